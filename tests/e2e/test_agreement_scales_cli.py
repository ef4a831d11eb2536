"""`seabench agreement` on runs judged with AudioBench's 0-5 and 0/1 rubrics (a local OpenAI-compatible
judge): human ratings of 0 are compared, not dropped; each scale is reported on its own labels; a
rating outside its item's scale stops the command with one line naming the file and row."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from tests.helpers.fake_openai import FakeOpenAI, user_text

ZERO_TO_FIVE = ("sqa/slue-p2-sqa5", "sqa/public-sg-speech-qa")  # audiobench_spoken_qa: 0-5
BINARY = "paralinguistics/mnsc-gender-dialogue"  # audiobench_paralinguistic: 0/1
# answers per run; the fake judge scores an answer "guess N" with N
ANSWERS = {"a": {ZERO_TO_FIVE[0]: (0, 5), ZERO_TO_FIVE[1]: (3, 1), BINARY: (0, 1)},
           "b": {ZERO_TO_FIVE[0]: (2, 4), ZERO_TO_FIVE[1]: (0, 0), BINARY: (1, 1)}}
# two raters per response: (run, task, row) -> scores, 0s among them
HUMANS = {("a", ZERO_TO_FIVE[0], 0): (0, 0), ("a", ZERO_TO_FIVE[0], 1): (5, 4), ("a", ZERO_TO_FIVE[1], 0): (2, 3),
          ("a", ZERO_TO_FIVE[1], 1): (0, 1), ("b", ZERO_TO_FIVE[0], 0): (3, 2), ("b", ZERO_TO_FIVE[0], 1): (4, 4),
          ("b", ZERO_TO_FIVE[1], 0): (0, 0), ("b", ZERO_TO_FIVE[1], 1): (1, 0), ("a", BINARY, 0): (0, 0),
          ("a", BINARY, 1): (1, 0), ("b", BINARY, 0): (0, 1), ("b", BINARY, 1): (1, 1)}


def _judge(req) -> str:  # type: ignore[no-untyped-def]  # fake_openai.Received
    found = re.search(r"\[Answer to judge\]\nguess (\d)", user_text(req.json))
    assert found, "the judge prompt carries the answer"
    return json.dumps({"rationale": "ok", "score": int(found.group(1))})


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seabench.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """Two runs (two models' stored answers), judged on AudioBench's 0-5 and 0/1 rubrics."""
    from seabench.tasks.datasets.audiobench_catalog import ENTRIES
    from tests.helpers.audiobench_data import write_entry

    tmp = tmp_path_factory.mktemp("agreement_scales")
    for salt, entry in enumerate(e for e in ENTRIES if e.task in {*ZERO_TO_FIVE, BINARY}):
        write_entry(tmp / "data", entry, salt)
    env = {**os.environ, "SEABENCH_DATA_DIR": str(tmp / "data"), "SEABENCH_CACHE_DIR": str(tmp / "cache"),
           "OPENAI_API_KEY": "local", "NO_COLOR": "1", "COLUMNS": "400"}
    run_ids = {}
    with FakeOpenAI(responder=_judge) as server:
        for name, answers in ANSWERS.items():
            preds = tmp / f"preds-{name}.jsonl"
            preds.write_text("".join(json.dumps({"task": task, "id": f"{i:05d}", "output": f"guess {score}"}) + "\n"
                                     for task, scores in answers.items() for i, score in enumerate(scores)))
            proc = _cli(env, "run", "--model", f"predictions:{preds}", "--tasks", ",".join([*ZERO_TO_FIVE, BINARY]),
                        "-o", str(tmp / f"run-{name}"), "--judge", f"openai:llama-3-70b-instruct@{server.base_url}",
                        "--quiet")
            assert proc.returncode == 0, proc.stderr[-2000:]
            results = json.loads((tmp / f"run-{name}" / "results.json").read_text(encoding="utf-8"))
            assert results["tasks"][ZERO_TO_FIVE[0]]["judging"]["scales"] == {"audiobench_spoken_qa@1": [0, 5]}
            assert results["tasks"][BINARY]["judging"]["scales"] == {"audiobench_paralinguistic@1": [0, 1]}
            run_ids[name] = results["run_id"]
    return tmp, env, run_ids


def _sample_ids(run: Path) -> dict[tuple[str, int], str]:
    """(task, row) -> sample id, in the order the stored answers were given."""
    ids: dict[str, list[str]] = {}
    for line in (run / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        ids.setdefault(record["task"], []).append(record["sample_id"])
    return {(task, row): sid for task, sids in ids.items() for row, sid in enumerate(sorted(sids))}


def _write_ratings(path: Path, tmp: Path, run_ids: dict[str, str], humans: dict) -> None:
    rows = []
    for (name, task, row), scores in humans.items():
        sid = _sample_ids(tmp / f"run-{name}")[(task, row)]
        rows += [{"task": task, "sample_id": sid, "model": run_ids[name], "rater": rater, "score": score}
                 for rater, score in zip(("nok", "lan"), scores, strict=True)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["task", "sample_id", "model", "rater", "score"])
        writer.writeheader()
        writer.writerows(rows)


def _expected(binary: bool) -> tuple[list[int], list[int]]:
    judge, human = [], []
    for (name, task, row), scores in sorted(HUMANS.items()):
        if (task == BINARY) == binary:
            judge.append(ANSWERS[name][task][row])
            human.append(int(np.floor(np.median(scores) + 0.5)))
    return judge, human


def test_zero_to_five_and_binary_ratings_are_all_compared(judged: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    tmp, env, run_ids = judged
    ratings = tmp / "ratings.csv"
    _write_ratings(ratings, tmp, run_ids, HUMANS)
    out = tmp / "report"
    proc = _cli(env, "agreement", "--judge-run", str(tmp / "run-a"), "--judge-run", str(tmp / "run-b"),
                "--human", str(ratings), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "agreement.json").read_text(encoding="utf-8"))
    counts = report["counts"]
    assert counts["ratings"] == 24 and counts["responses"] == 12  # every rated response, 0s included
    assert (counts["unmatched_ratings"], counts["judge_unscored"], counts["judge_outside_scale"]) == (0, 0, 0)
    assert report["excluded"] == [] and report["responses_by_scale"] == {"0-1": 4, "0-5": 8}
    overall = {tuple(g["scale"]): g for g in report["groups"] if g["kind"] == "overall"}
    assert set(overall) == {(0, 1), (0, 5)}  # one per scale, none pooled across them
    for scale, group in overall.items():
        judge, human = _expected(binary=scale == (0, 1))
        labels = list(range(scale[0], scale[1] + 1))
        s = group["stats"]
        assert group["counts"]["items"] == len(judge) and sorted(map(tuple, group["points"])) == sorted(zip(judge, human))
        assert np.array(group["confusion"]).shape == (len(labels), len(labels))  # 2x2 for 0/1, 6x6 for 0-5
        assert s["pearson"]["value"] == pytest.approx(stats.pearsonr(judge, human)[0])
        assert s["kendall_tau_b"]["value"] == pytest.approx(stats.kendalltau(judge, human, variant="b")[0])
        assert s["quadratic_kappa"]["value"] == pytest.approx(
            cohen_kappa_score(judge, human, weights="quadratic", labels=labels))
        assert s["krippendorff_alpha_ordinal"]["value"] == pytest.approx(krippendorff.alpha(
            reliability_data=np.array([judge, human], float), level_of_measurement="ordinal", value_domain=labels))
        assert s["exact_agreement"]["value"] == pytest.approx(np.mean(np.equal(judge, human)))
        assert (s["within_one_agreement"]["value"] is None) == (scale == (0, 1))
    assert overall[(0, 5)]["confusion"][0][0] == 2  # judge 0 and human 0 (a 1-5 analysis dropped these)
    assert [ia["scale"] for ia in report["inter_annotator"]] == [[0, 1], [0, 5]]
    html = (out / "agreement.html").read_text(encoding="utf-8")
    assert "0-1: 4, 0-5: 8" in html and "no overall across scales" in html


def test_a_rating_outside_its_items_scale_is_one_clear_error(judged: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    tmp, env, run_ids = judged
    humans = {**HUMANS, ("a", ZERO_TO_FIVE[0], 1): (6, 4), ("b", BINARY, 0): (2, 1)}  # 6 on 0-5, 2 on 0/1
    ratings = tmp / "bad_ratings.csv"
    _write_ratings(ratings, tmp, run_ids, humans)
    lines = {row: n for n, row in enumerate(ratings.read_text(encoding="utf-8").splitlines(), start=1)}
    six = next(n for row, n in lines.items() if row.startswith(ZERO_TO_FIVE[0]) and row.endswith(",nok,6"))
    two = next(n for row, n in lines.items() if row.startswith(BINARY) and row.endswith(",nok,2"))
    proc = _cli(env, "agreement", "--judge-run", str(tmp / "run-a"), "--judge-run", str(tmp / "run-b"),
                "--human", str(ratings), "--out", str(tmp / "bad_report"))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    message = " ".join(proc.stderr.split())  # the terminal may wrap the one line
    assert "2 human rating(s) outside their item's rubric scale" in message
    assert f"bad_ratings.csv:{six}: score 6" in message and "outside 0-5" in message
    assert f"bad_ratings.csv:{two}: score 2" in message and "outside 0-1" in message
    assert not (tmp / "bad_report" / "agreement.json").exists()
