"""The mini suite's references and its scoring agree: feeding the references back as
predictions scores perfectly on every deterministic task (issue 4's acceptance check)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seabench.registry import registry


def _answer(sample) -> str:  # noqa: ANN001 - Sample
    if sample.label is not None:
        return sample.label
    return sample.references[0]


def test_reference_answers_score_perfectly(tmp_path: Path) -> None:
    tasks = [t for t in registry().resolve_tasks("mini") if t.rubric is None]
    assert len(tasks) >= 20
    rows = [{"task": t.name, "id": s.id, "output": _answer(s)} for t in tasks for s in t.samples()]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "seabench.cli", "run", "--model", f"predictions:{preds}",
                          "--tasks", ",".join(t.name for t in tasks), "-o", str(tmp_path / "run"), "--quiet"],
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    perfect = {"wer": 0.0, "cer": 0.0, "bleu": 100.0, "chrf++": 100.0, "accuracy": 1.0}
    for name, task in result["tasks"].items():
        for metric, target in perfect.items():
            if metric in task["metrics"]:
                assert task["metrics"][metric]["value"] == pytest.approx(target), (name, metric)
        assert task["counts"]["errors"] == {}, name
        assert task["rates"]["extract_fail_rate"] == 0 and task["rates"]["wrong_language_rate"] == 0, name
