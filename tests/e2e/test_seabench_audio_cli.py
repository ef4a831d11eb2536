"""SeaBench-Audio from the command line, judged by a local server speaking the Gemini REST protocol:
the rubric of each task type (CS = customer service, SKI = skills on the audio), the expected
answer language of translation items, SeaBench-Audio's generation settings, a user's rules.json
(sha256 recorded), a judge that never answers, and a dry run without an API key."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.fake_gemini import FakeGemini, prompt_text
from tests.helpers.fake_http import server_error
from tests.unit.test_datasets_hf import seabench_audio_parquet

SEABENCH = [sys.executable, "-m", "seabench.cli"]
KEY = "sba-judge-key"
JUDGE = "gemini:gemini-2.5-flash"
ROWS = [  # idx, language, task, query, reference, has audio
    (0, "en", "S2TT_en2th", "Translate what you hear into Thai.", "สวัสดีตอนเช้า", True),
    (1, "vi", "S2TT_free", "Hãy dịch đoạn ghi âm sang tiếng Anh.", "Good morning", True),
    (2, "th", "CS_mcq", "ลูกค้าต้องการอะไร (A) คืนเงิน (B) เปลี่ยนสินค้า", "B", True),
    (3, "id", "SKI_count", "Berapa kali bel berbunyi?", "3", True),
    (4, "en", "SQA_short", "What did the speaker buy?", "Bread", True),
    (5, "th", "SQA_short", "ผู้พูดซื้ออะไร", "ขนมปัง", True),
]
IDS = [f"{lang}-{task}-{idx}" for idx, lang, task, *_ in ROWS]
# A rules.json in SeaBench-Audio's published layout (task type -> full guide text), texts written here
RULES = {t: f"{t} house rule. Rating 1: nothing usable. Rating 2: mostly wrong. Rating 3: half right. "
            f"Rating 4: right but bare. Rating 5: right and helpful." for t in ("S2TT", "CS", "SKI", "SQA")}


def _verdict(req) -> str:  # type: ignore[no-untyped-def]
    """4 for Thai-expected answers, 2 for the rest: enough to tell cells apart."""
    text = prompt_text(req.json)
    score = 4 if "[Expected answer language]\nth" in text else 2
    return json.dumps({"rationale": "ok", "score": score})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL")}
    return {**base, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SEABENCH, *args], env=env, capture_output=True, text=True)


def _parquet(tmp_path: Path) -> Path:
    return seabench_audio_parquet(tmp_path / "test.parquet", ROWS)


def _predictions(tmp_path: Path, outputs: dict[str, str]) -> Path:
    path = tmp_path / "preds.jsonl"
    path.write_text("".join(json.dumps({"id": k, "output": v}, ensure_ascii=False) + "\n" for k, v in outputs.items()),
                    encoding="utf-8")
    return path


def _results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())["tasks"]["seabench-audio/test"]


def _records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]


def test_rubrics_per_task_type_target_language_and_generation_settings(tmp_path: Path, env: dict[str, str]) -> None:
    parquet = _parquet(tmp_path)
    run = tmp_path / "run"
    with FakeGemini(api_key=KEY, responder=_verdict) as server:
        proc = _cli({**env, "GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": server.url}, "run", "--model", "echo",
                    "-M", "text=Some answer", "--tasks", f"seabench-audio@{parquet}", "-o", str(run), "--judge", JUDGE)
        prompts = [prompt_text(r.json) for r in server.generate_requests()]
    assert proc.returncode == 0, proc.stderr
    assert len(prompts) == len(ROWS)
    by_question = {q: next(p for p in prompts if q in p) for _, _, _, q, _, _ in ROWS}
    assert "[Expected answer language]\nth" in by_question["Translate what you hear into Thai."]  # en audio, Thai out
    assert "[Expected answer language]\nen" in by_question["Hãy dịch đoạn ghi âm sang tiếng Anh."]
    assert "Customer service" in by_question[ROWS[2][3]] and "Skills on the audio" in by_question[ROWS[3][3]]
    assert "first score whose description fits" in by_question[ROWS[4][3]]
    task = _results(run)
    records = {r["sample_id"]: r for r in _records(run)}
    assert records[IDS[0]]["target_language"] == "th" and records[IDS[1]]["target_language"] == "en"
    assert [records[i]["metadata"]["rubric"] for i in IDS] == [
        "speech_translation", "speech_translation", "customer_service", "audio_skills", "spoken_qa", "spoken_qa"]
    judging = task["judging"]
    assert task["judge"] == JUDGE and judging["scored_by_judge"] == len(ROWS) and judging["unscored"] == 0
    assert set(judging["rubrics"]) == {"speech_translation@2", "customer_service@1", "audio_skills@1", "spoken_qa@2"}
    assert all(len(sha) == 64 for sha in judging["rubrics"].values())
    assert judging["served_versions"] == [f"gemini-2.5-flash-{server.model_version}"]
    manifest = json.loads((run / "results.json").read_text())["manifest"]
    settings = manifest["generation"]["seabench-audio/test"]
    assert (settings["max_new_tokens"], settings["repetition_penalty"], settings["temperature"]) == (2048, 1.1, 0.0)
    assert task["metrics"]["judge_score"]["value"] == pytest.approx((4 * 3 + 2 * 3) / 6)  # th expected: items 0, 2, 5
    cross = task["breakdowns"]["task_type×language"]  # SeaBench-Audio's summary and task tables, crossed
    assert cross["S2TT×en"]["judge_score"]["value"] == 4.0 and cross["S2TT×vi"]["judge_score"]["value"] == 2.0
    assert set(task["breakdowns"]["task_type"]) == {"S2TT", "CS", "SKI", "SQA"}


def test_official_rules_file_is_used_verbatim_and_its_sha256_recorded(tmp_path: Path, env: dict[str, str]) -> None:
    parquet = _parquet(tmp_path)
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES, indent=4), encoding="utf-8")
    sha = hashlib.sha256(rules.read_bytes()).hexdigest()
    run = tmp_path / "run"
    preds = _predictions(tmp_path, {i: "an answer" for i in IDS})
    assert _cli(env, "run", "--model", f"predictions:{preds}", "--tasks", f"seabench-audio@{parquet}", "-o", str(run),
                "--judge", "none").returncode == 0
    with FakeGemini(api_key=KEY, responder=_verdict) as server:
        proc = _cli({**env, "GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": server.url}, "score", str(run),
                    "--judge", JUDGE, "-J", f"rules={rules}")
        prompts = [prompt_text(r.json) for r in server.generate_requests()]
    assert proc.returncode == 0, proc.stderr
    assert sum(RULES["SQA"] in p for p in prompts) == 2 and sum(RULES["CS"] in p for p in prompts) == 1
    verdicts = [r["verdicts"][0] for r in _records(run)]
    assert {v["rubric_sha256"] for v in verdicts} == {sha} and {v["rubric_source"] for v in verdicts} == {str(rules)}
    assert {v["rubric"] for v in verdicts} == {f"{t}@file-{sha[:12]}" for t in RULES}
    assert _results(run)["judging"]["rubric_files"] == {str(rules): sha}


def test_a_judge_that_never_answers_leaves_no_score(tmp_path: Path, env: dict[str, str]) -> None:
    """One empty answer gets the lowest score without a call; with every call failing the task
    shows no score, not that minimum."""
    parquet = _parquet(tmp_path)
    run = tmp_path / "run"
    preds = _predictions(tmp_path, {i: ("" if n == 0 else "an answer") for n, i in enumerate(IDS)})
    with FakeGemini(api_key=KEY, faults=lambda req: server_error(500)) as server:
        proc = _cli({**env, "GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": server.url}, "run", "--model",
                    f"predictions:{preds}", "--tasks", f"seabench-audio@{parquet}", "-o", str(run), "--judge", JUDGE,
                    "-J", "max_retries=0")
    assert proc.returncode == 0, proc.stderr
    task = _results(run)
    assert task["metrics"]["judge_score"]["value"] is None
    assert task["judging"]["scored_without_call"] == 1 and task["judging"]["unscored"] == len(ROWS) - 1
    site = tmp_path / "site"
    assert _cli(env, "leaderboard", str(run), "--out", str(site)).returncode == 0
    with (site / "leaderboard.csv").open(encoding="utf-8") as fh:
        summary = [row for row in csv.DictReader(fh) if row["task"] == "seabench-audio/test"]
    assert summary and all(row["metric"] == "judge_score" and row["direction"] == "higher" for row in summary)
    assert all(row[column] == "" for row in summary for column in ("value", "ci_low", "ci_high", "normalised"))
    assert all(row["unit"] == "1-5" for row in summary)  # SeaBench-Audio's rules are rated 1-5


def test_dry_run_needs_no_api_key(tmp_path: Path, env: dict[str, str]) -> None:
    parquet = _parquet(tmp_path)
    run = tmp_path / "run"
    preds = _predictions(tmp_path, {i: "an answer" for i in IDS})
    assert _cli(env, "run", "--model", f"predictions:{preds}", "--tasks", f"seabench-audio@{parquet}", "-o", str(run),
                "--judge", "none").returncode == 0
    proc = _cli(env, "score", str(run), "--judge", JUDGE, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert f"calls: {len(ROWS)}" in proc.stdout
    proc = _cli(env, "score", str(run), "--judge", "openai:judge-model@http://127.0.0.1:9/v1", "--dry-run")
    assert proc.returncode == 0 and f"calls: {len(ROWS)}" in proc.stdout and "audio_seconds: 0" in proc.stdout


def test_task_type_by_language_pivot_compares_models_on_the_same_items(tmp_path: Path, env: dict[str, str]) -> None:
    """Model A answers "good" (judge: 5) except one SQA item the judge cannot score; model B answers
    "fair" (judge: 3). Each cell averages both models over the items judged for both."""
    parquet = _parquet(tmp_path)
    unscorable = IDS[4]  # en SQA

    def verdict(req) -> str:  # type: ignore[no-untyped-def]
        text = prompt_text(req.json)
        if "[Answer to judge]\nunscorable" in text:
            return "no score in this reply"
        return json.dumps({"rationale": "ok", "score": 5 if "[Answer to judge]\ngood" in text else 3})

    runs = []
    with FakeGemini(api_key=KEY, responder=verdict) as server:
        for name, answer in (("a", "good"), ("b", "fair")):
            (tmp_path / name).mkdir()
            preds = _predictions(tmp_path / name, {i: ("unscorable" if (name, i) == ("a", unscorable) else answer)
                                                   for i in IDS})
            run = tmp_path / f"run-{name}"
            proc = _cli({**env, "GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": server.url}, "run", "--model",
                        f"predictions:{preds}", "--tasks", f"seabench-audio@{parquet}", "-o", str(run), "--judge", JUDGE)
            assert proc.returncode == 0, proc.stderr
            runs.append(run)
    site = tmp_path / "site"
    assert _cli(env, "leaderboard", *map(str, runs), "--out", str(site)).returncode == 0
    cells = json.loads((site / "leaderboard.json").read_text())["task_types"]
    by = {(c["run_id"], c["task_type"], c["language"]): c for c in cells}
    run_ids = sorted({c["run_id"] for c in cells})
    assert len(run_ids) == 2
    a, b = (next(c["run_id"] for c in cells if c["value"] == 5.0), next(c["run_id"] for c in cells if c["value"] == 3.0))
    assert by[(a, "SQA", "en")]["value"] is None and by[(b, "SQA", "en")]["value"] is None  # the only item: unscored for A
    assert by[(b, "SQA", "en")]["n"] == 0 and by[(b, "SQA", "th")]["n"] == 1
    assert (by[(a, "SQA", "all")]["n"], by[(b, "SQA", "all")]["n"]) == (1, 1)  # the th item only, for both
    assert (by[(a, "all", "all")]["value"], by[(b, "all", "all")]["value"]) == (5.0, 3.0)
    assert by[(a, "all", "all")]["n"] == by[(b, "all", "all")]["n"] == len(ROWS) - 1
    assert (by[(a, "S2TT", "all")]["n"], by[(a, "all", "th")]["n"]) == (2, 2)
    table = (site / "task_types.csv").read_text()
    assert table.splitlines()[0].startswith("model,run_id,task,") and "SQA|en" in table.splitlines()[0]
    html = (site / "index.html").read_text()
    assert 'id="task-types"' in html and "5.00 <span" in html and "3.00 <span" in html
