"""The CLI as a user runs it: kill -9 and resume, predictions with missing/extra ids, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.core import write_manifest, write_tone

SEABENCH = [sys.executable, "-m", "seabench.cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}


def _asr_manifest(tmp_path: Path, n: int) -> Path:
    write_tone(tmp_path / "a.wav", seconds=0.3)
    return write_manifest(tmp_path / "data.jsonl", [
        {"id": f"u{i:03d}", "audio": "a.wav", "language": "en", "reference": f"number {i}"} for i in range(n)])


def test_kill_9_then_resume_runs_each_sample_once(tmp_path: Path) -> None:
    manifest = _asr_manifest(tmp_path, 200)
    log = tmp_path / "calls.log"
    cmd = [*SEABENCH, "run", "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"),
           "-M", "delay=0.05", "-M", f"log={log}", "--batch-size", "4", "--quiet"]
    proc = subprocess.Popen(cmd, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = tmp_path / "run" / "samples.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:
        if samples.exists() and len(samples.read_bytes().splitlines()) >= 60:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    completed = {json.loads(line)["sample_id"] for line in samples.read_text().split("\n")[:-1] if line.endswith("}")}
    calls_before = len(log.read_text().splitlines())
    assert 0 < len(completed) < 200
    subprocess.run(cmd, env=_env(tmp_path), check=True, capture_output=True)
    records = [json.loads(line) for line in samples.read_text().splitlines()]
    ids = [r["sample_id"] for r in records]
    assert sorted(ids) == [f"u{i:03d}" for i in range(200)]
    resumed_calls = {line.split("\t")[1] for line in log.read_text().splitlines()[calls_before:]}
    assert not (resumed_calls & completed), "a completed sample reached the model again"
    # generated before the kill but not yet recorded: replayed from the response cache
    from_cache = {r["sample_id"] for r in records if r["output"].get("cached")}
    assert resumed_calls | completed | from_cache == set(ids)
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    assert result["status"] == "complete" and result["tasks"]["asr/data"]["counts"]["completed"] == 200


def test_predictions_missing_and_extra_ids(tmp_path: Path) -> None:
    manifest = _asr_manifest(tmp_path, 5)
    preds = write_manifest(tmp_path / "preds.jsonl", [
        {"id": "u000", "output": "number 0"}, {"id": "u001", "output": "numbr one"},
        {"id": "u002", "output": ""}, {"id": "zzz", "output": "stray"}])
    out = subprocess.run([*SEABENCH, "run", "--model", f"predictions:{preds}", "--tasks", f"asr@{manifest}",
                          "-o", str(tmp_path / "run")], env=_env(tmp_path), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "1 prediction ids match no sample: zzz" in out.stderr
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    task = result["tasks"]["asr/data"]
    assert task["counts"]["errors"] == {"missing_prediction": 2}
    assert task["counts"]["empty"] >= 1
    # 10 reference words; u000 perfect, u001 one substitution ("one" normalises to "1"),
    # u002 empty and u003, u004 missing: all deleted -> 7 errors
    assert task["metrics"]["wer"]["value"] == pytest.approx(7 / 10)


@pytest.mark.parametrize("args, expected", [
    (["run", "--model", "nope"], "unknown model 'nope'"),
    (["run", "--model", "echo", "--tasks", "mini/asr-xx"], "unknown task 'mini/asr-xx'"),
    (["run", "--model", "predictions:/no/such.jsonl", "--tasks", "mini/*"], "predictions file not found"),
])
def test_user_mistakes_are_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    out = subprocess.run([*SEABENCH, *args, "-o", str(tmp_path / "r")], env=_env(tmp_path), capture_output=True,
                         text=True)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in out.stderr


def test_help_for_each_command(tmp_path: Path) -> None:
    for command in ("run", "tasks", "models", "score"):
        out = subprocess.run([*SEABENCH, command, "--help"], env=_env(tmp_path), capture_output=True, text=True)
        assert out.returncode == 0 and "Usage" in out.stdout


def test_broken_audio_manifest_exits_0_and_counts_errors(tmp_path: Path) -> None:
    from tests.helpers.broken_audio import make_broken_audio

    cases = make_broken_audio(tmp_path / "broken")
    write_tone(tmp_path / "ok.wav")
    rows = [{"id": "good", "audio": "ok.wav", "language": "en", "reference": "hello"}]
    rows += [{"id": name, "audio": str(path), "language": "en", "reference": "hello"} for name, (path, _) in cases.items()]
    manifest = write_manifest(tmp_path / "broken.jsonl", rows)
    out = subprocess.run([*SEABENCH, "run", "--model", "echo", "-M", "text=hello", "-M", "max_audio_s=30",
                          "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run")], env=_env(tmp_path),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    task = json.loads((tmp_path / "run" / "results.json").read_text())["tasks"]["asr/broken"]
    expected: dict[str, int] = {}
    for _, code in cases.values():
        expected[code] = expected.get(code, 0) + 1
    assert task["counts"]["errors"] == expected and len(cases) >= 10
    assert task["metrics"]["wer"]["value"] == pytest.approx(len(cases) / (len(cases) + 1))
