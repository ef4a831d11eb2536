"""`seabench score RUN_DIR`: recompute scores and results from stored outputs (never calls the
model), optionally (re-)judging judge-scored tasks with another judge or only the failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seabench.aggregate import aggregate_columns, inputs_digest
from seabench.errors import UserError
from seabench.judging.summary import attach_judging
from seabench.task_options import apply_task_options
from seabench.manifest import now
from seabench.progress import RunProgress
from seabench.index import TaskColumns, parse_record
from seabench.records import RESULTS_FILE, SAMPLES_FILE, Latest, atomic_write_text, iter_latest, rewrite_latest
from seabench.registry import Registry, registry
from seabench.rundir import run_lock
from seabench.scoring import score_record
from seabench.snapshot import read_columns
from seabench.task import Task
from seabench.types import RunResult, SampleRecord, TaskResult


def load_result(run_dir: Path) -> RunResult:
    path = run_dir / RESULTS_FILE
    if not path.is_file():
        raise UserError(f"{run_dir} has no {RESULTS_FILE}; is it a seabench run directory?")
    return RunResult.model_validate_json(path.read_text(encoding="utf-8"))


def run_tasks(previous: RunResult, reg: Registry, task_options: dict[str, Any] | None = None) -> dict[str, Task]:
    """The run's tasks with its task options, or with `task_options` when given (a re-score with other choices)."""
    options = previous.manifest.config.get("task_options") or {} if task_options is None else task_options
    return {t.name: apply_task_options(t, options) for t in reg.resolve_tasks(str(previous.manifest.config.get("tasks", "")))}


def judge_estimate(run_dir: Path, judge: str, *, only_failed: bool = False, n_samples: int = 1,
                   reg: Registry | None = None, options: dict[str, Any] | None = None) -> dict[str, float]:
    """Dry run: what judging would cost (calls, audio seconds, tokens), without any call or API key."""
    from seabench.judging.phase import describe_judge, plan

    reg = reg or registry()
    tasks = {n: t for n, t in run_tasks(load_result(run_dir), reg).items() if t.rubric}
    snapshot, with_audio, rubrics = describe_judge(reg, judge, options)
    work = plan(tasks, list(iter_latest(run_dir / SAMPLES_FILE, set(tasks))), snapshot, only_failed, rubrics)
    return work.estimate(n_samples, with_audio=with_audio)


def rescore(run_dir: Path, reg: Registry | None = None, *, judge: str | None = None, only_failed: bool = False,
            n_samples: int = 1, quiet: bool = True, judge_options: dict[str, Any] | None = None,
            batch: bool = False, task_options: dict[str, Any] | None = None) -> RunResult:
    previous = load_result(run_dir)
    with run_lock(run_dir):  # rewrites samples.jsonl: never while a run (or another score) writes it
        return _rescore(run_dir, previous, reg, judge=judge, only_failed=only_failed, n_samples=n_samples,
                        quiet=quiet, judge_options=judge_options, batch=batch, task_options=task_options)


def _rescore(run_dir: Path, previous: RunResult, reg: Registry | None, *, judge: str | None, only_failed: bool,
             n_samples: int, quiet: bool, judge_options: dict[str, Any] | None, batch: bool,
             task_options: dict[str, Any] | None = None) -> RunResult:
    reg = reg or registry()
    tasks = run_tasks(previous, reg, task_options)
    if task_options is not None:  # later re-scores keep these choices
        previous.manifest.config["task_options"] = task_options
    path = run_dir / SAMPLES_FILE

    def rescored(item: Latest, line: bytes) -> SampleRecord | None:
        task = tasks.get(item.task)
        if task is None:
            return None  # a task this version does not know: its records stay as they are
        record = parse_record(path, line, item.line[0])
        score_record(task, record.to_sample(), record)
        return record

    rewrite_latest(path, rescored)  # streamed: one record in memory at a time
    if judge is not None:
        from seabench.runner import judge_stored_records

        judged = {n: t for n, t in tasks.items() if t.rubric}
        if batch:
            from seabench.judges.batch import judge_in_batch

            judge_in_batch(run_dir, judged, judge, reg, options=judge_options, n_samples=n_samples,
                           only_failed=only_failed)
        else:
            with RunProgress(quiet=quiet) as progress:
                judge_stored_records(run_dir, judged, judge, reg, progress, n_samples=n_samples,
                                     only_failed=only_failed, options=judge_options)
    covered, columns, _ = read_columns(path, exclusive=True)
    seed = previous.manifest.seed
    results: dict[str, TaskResult] = {}
    for name, old in previous.tasks.items():
        if name not in tasks:
            results[name] = old
            continue
        rows = columns.get(name) or TaskColumns()
        results[name] = aggregate_columns(tasks[name], rows, old.counts.n, seed, old.dataset_hash, old.prompt_hash)
        results[name].inputs_digest = inputs_digest(tasks[name], old.counts.n, seed, old.dataset_hash, old.prompt_hash)
        results[name].rows_digest = rows.digest()
    attach_judging(run_dir, results)
    previous.manifest.finished_at = now()
    status = "complete" if all(t.status == "complete" for t in results.values()) else "partial"
    result = previous.model_copy(update={"tasks": results, "status": status, "samples_digest": covered.digest})
    atomic_write_text(run_dir / RESULTS_FILE, result.model_dump_json(indent=2))
    return result
