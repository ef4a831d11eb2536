"""What must be equal between two runs of one configuration, whatever process, replica or shard
produced them: every record but its run id and timings, every task result but the digest of where
its rows sit in samples.jsonl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORD_VARIES = {"run_id", "timings"}  # a run's own id; seconds measured while it ran
OUTPUT_VARIES = {"latency_s", "timing", "cached"}  # seconds; whether the response cache answered
RESULT_VARIES = {"rows_digest"}  # positions and CRC of the record lines, which hold the above


def records(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(task, sample id) -> the record without what may differ (one record per sample is expected)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        key = (record["task"], record["sample_id"])
        assert key not in out, f"{key} recorded twice in {run_dir}"
        for name in RECORD_VARIES:
            record.pop(name, None)
        for name in OUTPUT_VARIES:
            (record.get("output") or {}).pop(name, None)
        out[key] = record
    return out


def task_results(run_dir: Path) -> dict[str, Any]:
    tasks = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]
    for result in tasks.values():
        for name in RESULT_VARIES:
            result.pop(name, None)
    return tasks
