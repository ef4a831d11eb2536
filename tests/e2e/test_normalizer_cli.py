"""`-T normalizer=whisper-en` from the command line: English WER as the Open ASR Leaderboard
normalises it, at run time or by re-scoring stored outputs, with the normaliser recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.core import write_manifest, write_tone

SEABENCH = [sys.executable, "-m", "seabench.cli"]
# reference, hypothesis: equal under our en-2 rules; Whisper's keeps "okay" and splits "p.m."
PAIRS = [("It's five p.m., okay?", "it is 5pm ok"), ("We're going to the theatre.", "we are going to the theater")]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}


def _run(tmp_path: Path, *extra: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_tone(tmp_path / "a.wav", seconds=0.2)
    manifest = write_manifest(tmp_path / "data.jsonl", [
        {"id": f"u{i}", "audio": "a.wav", "language": "en", "reference": ref} for i, (ref, _) in enumerate(PAIRS)])
    preds = write_manifest(tmp_path / "preds.jsonl", [{"id": f"u{i}", "output": hyp} for i, (_, hyp) in enumerate(PAIRS)])
    out = tmp_path / "run"
    proc = subprocess.run([*SEABENCH, "run", "--model", f"predictions:{preds}", "--tasks", f"asr@{manifest}", "-o",
                           str(out), "--quiet", *extra], env=_env(tmp_path), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def _task(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())["tasks"]["asr/data"]


def test_whisper_normalizer_at_run_time_and_by_rescoring(tmp_path: Path) -> None:
    ours = _task(_run(tmp_path / "a"))
    assert ours["metrics"]["wer"]["value"] == 0.0 and ours["scoring"]["normalizers"] == {"en": "en-2"}

    whisper = _task(_run(tmp_path / "b", "-T", "normalizer=whisper-en"))
    assert whisper["scoring"]["normalizers"] == {"en": "whisper-en-1"} and whisper["version"] == "1+normalizer=whisper-en"
    # whisper: "it is 5 p m okay" vs "it is 5 pm ok" -> 3 errors; the theatre pair matches (12 words)
    assert whisper["metrics"]["wer"]["value"] == pytest.approx(3 / 12)

    run = tmp_path / "a" / "run"
    proc = subprocess.run([*SEABENCH, "score", str(run), "-T", "normalizer=whisper-en", "--quiet"],
                          env=_env(tmp_path), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rescored = _task(run)
    assert rescored["scoring"]["normalizers"] == {"en": "whisper-en-1"}
    assert rescored["metrics"]["wer"]["value"] == pytest.approx(whisper["metrics"]["wer"]["value"])


def test_unknown_normalizer_is_one_clear_line(tmp_path: Path) -> None:
    proc = subprocess.run([*SEABENCH, "run", "--model", "echo", "--tasks", "mini/asr-en", "-T", "normalizer=nope",
                           "-o", str(tmp_path / "r")], env=_env(tmp_path), capture_output=True, text=True)
    assert proc.returncode == 2 and "normalizer='nope': choose one of whisper-en" in proc.stderr
    assert "Traceback" not in proc.stderr
