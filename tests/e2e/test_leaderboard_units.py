"""One unit everywhere: the terminal table after `seabench run`, leaderboard.csv, leaderboard.md,
leaderboard.json and the page show WER/CER and accuracy as the same percentages, and each judge
score on its own rubric's scale (AudioBench's 0-5 and 0/1), normalised on that scale."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SEABENCH = [sys.executable, "-m", "seabench.cli"]


def _seabench(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(cwd / "cache"), "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    done = subprocess.run([*SEABENCH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_terminal_exports_and_page_agree(tmp_path: Path) -> None:
    terminal = _seabench(tmp_path, "run", "--model", "echo", "--tasks", "mini/asr-zh,mini/gender", "--limit", "4", "-o", "run")
    _seabench(tmp_path, "leaderboard", "run", "--out", "site")
    site = tmp_path / "site"
    rows = {(r["task"], r["language"]): r for r in csv.DictReader((site / "leaderboard.csv").open(encoding="utf-8"))}
    payload = json.loads((site / "leaderboard.json").read_text(encoding="utf-8"))
    cells = {(c["task"], c["language"]): c for c in payload["cells"]}
    markdown = (site / "leaderboard.md").read_text(encoding="utf-8")
    html = (site / "index.html").read_text(encoding="utf-8")
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    for task, metric in (("mini/asr-zh", "cer"), ("mini/gender", "accuracy")):
        fraction = results["tasks"][task]["metrics"][metric]["value"]  # results.json keeps the fraction
        shown = f"{100 * fraction:.1f}%"
        assert re.search(rf"{re.escape(task)}\s.*{metric} [↑↓]\s.*{re.escape(shown)}", terminal), terminal
        row, cell = rows[(task, "all")], cells[(task, "all")]
        assert row["unit"] == "%" and float(row["value"]) == cell["value"] == 100 * fraction
        assert cell["display"] == shown and f"| {shown} [" in markdown
        assert f"{metric} {shown} [" in html  # the chart marks' numbers on the page
    assert "Error rates (WER, CER, MER, mixed) and accuracy in %" in terminal and "percentages" in payload["units"]


JUDGED = ("sqa/slue-p2-sqa5", "paralinguistics/mnsc-gender-dialogue")  # AudioBench rubrics 0-5 and 0/1
SEAME = "asr/seame-dev-man"


def _judge_reply(req) -> str:  # type: ignore[no-untyped-def]  # fake_openai.Received
    """AudioBench's 0-5 rubric: 4 for "good", 3 for "fair"; its 0/1 rubric: 1 and 0."""
    from tests.helpers.fake_openai import user_text

    text = user_text(req.json)
    binary = "Score from 0 to 1." in text
    good = "[Answer to judge]\ngood" in text
    return json.dumps({"rationale": "ok", "score": (1 if good else 0) if binary else (4 if good else 3)})


def test_audiobench_scales_and_the_mixed_error_rate_from_run_to_leaderboard(tmp_path: Path) -> None:
    """A real run of a 0-5 and a 0/1 AudioBench judged task and SEAME's code-switched ASR: results.json
    records each rubric's scale, and the terminal, leaderboard.csv and the headline normalise each on
    its own scale (0-5 mean 3.5 -> 70, 0/1 mean 0.5 -> 50, corpus mixed error rate r -> 100 x (1 - r))."""
    from seabench.tasks.datasets.audiobench_catalog import ENTRIES
    from tests.helpers.audiobench_data import CODE_SWITCH, write_entry
    from tests.helpers.fake_openai import FakeOpenAI

    data = tmp_path / "data"
    for salt, entry in enumerate(e for e in ENTRIES if e.task in {*JUDGED, SEAME}):
        write_entry(data, entry, salt)
    rows = [{"task": task, "id": f"{i:05d}", "output": answer} for task in JUDGED
            for i, answer in enumerate(("good", "fair"))]
    rows += [{"task": SEAME, "id": "00000", "output": CODE_SWITCH[0]},
             {"task": SEAME, "id": "00001", "output": CODE_SWITCH[1].rsplit(" ", 1)[0]}]  # one unit of 4 left out
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    env = {"SEABENCH_DATA_DIR": str(data), "OPENAI_API_KEY": "local"}
    with FakeOpenAI(responder=_judge_reply) as server:
        terminal = _seabench(tmp_path, "run", "--model", f"predictions:{preds}", "--tasks", ",".join([*JUDGED, SEAME]),
                             "-o", "run", "--judge", f"openai:llama-3-70b-instruct@{server.base_url}", env=env)
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))["tasks"]
    assert results["sqa/slue-p2-sqa5"]["judging"]["scales"] == {"audiobench_spoken_qa@1": [0, 5]}
    assert results["paralinguistics/mnsc-gender-dialogue"]["judging"]["scales"] == {"audiobench_paralinguistic@1": [0, 1]}
    rate = results[SEAME]["metrics"]["mixed_error_rate"]["value"]
    assert rate == pytest.approx(1 / 9)  # corpus: 1 error in 5 + 4 units (a per-item mean would be 1/8)
    for task, shown, scale in (("sqa/slue-p2-sqa5", "3.50", "0-5"), ("paralinguistics/mnsc-gender-dialogue", "0.50", "0-1"),
                               (SEAME, f"{100 * rate:.1f}%", "%")):
        cells = rf"{re.escape(task)}[\s│]+\S+ [↑↓][\s│]+{re.escape(scale)}[\s│]+{re.escape(shown)}[\s│]"
        assert re.search(cells, terminal), terminal  # task │ metric ↑ │ unit │ value

    _seabench(tmp_path, "leaderboard", "run", "--out", "site")
    site = tmp_path / "site"
    csv_rows = {r["task"]: r for r in csv.DictReader((site / "leaderboard.csv").open(encoding="utf-8"))
                if r["language"] == "all"}
    expected = {"sqa/slue-p2-sqa5": ("0-5", 3.5, 70.0), "paralinguistics/mnsc-gender-dialogue": ("0-1", 0.5, 50.0),
                SEAME: ("%", 100 * rate, 100 * (1 - rate))}
    for task, (unit, value, normalised) in expected.items():
        row = csv_rows[task]
        assert (row["unit"], float(row["value"]), float(row["normalised"])) == (unit, pytest.approx(value),
                                                                               pytest.approx(normalised)), row
    ranking = next(csv.DictReader((site / "ranking.csv").open(encoding="utf-8")))
    assert float(ranking["zh"]) == pytest.approx(100 * (1 - rate))  # recomputed from the items' edit counts
    assert float(ranking["en"]) == pytest.approx(70.0) and float(ranking["en-SG"]) == pytest.approx(50.0)
    assert "judge\\_score (0-5) ↑" in (site / "leaderboard.md").read_text(encoding="utf-8")
