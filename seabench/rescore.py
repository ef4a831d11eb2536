"""`seabench score RUN_DIR`: recompute scores and results from stored outputs; never calls a model."""

from __future__ import annotations

from pathlib import Path

from seabench.aggregate import aggregate_task
from seabench.errors import UserError
from seabench.manifest import now
from seabench.records import RESULTS_FILE, SAMPLES_FILE, atomic_write_text, latest_records, rewrite_records
from seabench.registry import Registry, registry
from seabench.scoring import score_record
from seabench.types import RunResult, TaskResult


def load_result(run_dir: Path) -> RunResult:
    path = run_dir / RESULTS_FILE
    if not path.is_file():
        raise UserError(f"{run_dir} has no {RESULTS_FILE}; is it a seabench run directory?")
    return RunResult.model_validate_json(path.read_text(encoding="utf-8"))


def rescore(run_dir: Path, reg: Registry | None = None) -> RunResult:
    previous = load_result(run_dir)
    reg = reg or registry()
    tasks = {t.name: t for t in reg.resolve_tasks(str(previous.manifest.config.get("tasks", "")))}
    records = latest_records(run_dir / SAMPLES_FILE)
    for record in records.values():
        task = tasks.get(record.task)
        if task is not None:
            score_record(task, record.to_sample(), record)
    rewrite_records(run_dir / SAMPLES_FILE, list(records.values()))
    results: dict[str, TaskResult] = {}
    for name, old in previous.tasks.items():
        if name not in tasks:
            results[name] = old
            continue
        recs = [r for (t, _), r in records.items() if t == name]
        results[name] = aggregate_task(tasks[name], recs, old.counts.n, previous.manifest.seed,
                                       old.dataset_hash, old.prompt_hash)
    previous.manifest.finished_at = now()
    status = "complete" if all(t.status == "complete" for t in results.values()) else "partial"
    result = previous.model_copy(update={"tasks": results, "status": status})
    atomic_write_text(run_dir / RESULTS_FILE, result.model_dump_json(indent=2))
    return result
