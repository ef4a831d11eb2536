"""Records -> TaskResult: metrics with CIs, breakdowns and counts.

Everything is computed from a task's columns (seabench.index.TaskColumns), which come from the
score index beside samples.jsonl or from records in memory; both give identical numbers.
Presentation lives elsewhere (leaderboard); this only computes."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np

from seabench.index import TaskColumns
from seabench.metrics.base import compute_all
from seabench.task import BreakdownKey, Task, breakdown_name
from seabench.task_options import normalizer_versions
from seabench.types import MetricValue, SampleRecord, TaskCounts, TaskResult

FLAG_COUNTS = ("empty", "refusal", "extract_fail", "wrong_language")
CROSS = "×"  # joins the values of a cross breakdown's keys: "qa×th"


def compute_metrics(task: Task, columns: TaskColumns, seed: int, rows: np.ndarray | None = None
                    ) -> dict[str, MetricValue]:
    """The task's metrics over all rows, or over `rows` (a breakdown group)."""
    if rows is None:
        return compute_all(task.metrics, columns.scorer, seed)
    return compute_all(task.metrics, lambda scorer: columns.scorer(scorer).take(rows), seed)


def group_values(columns: TaskColumns, key: BreakdownKey) -> list[str | None]:
    """Each row's group for a breakdown key; a cross key's group joins its keys' values (None when
    any is missing)."""
    if isinstance(key, str):
        return columns.values_of(key)
    parts = [columns.values_of(k) for k in key]
    return [None if any(v is None for v in values) else CROSS.join(values)  # type: ignore[arg-type]
            for values in zip(*parts, strict=True)]


def breakdowns(task: Task, columns: TaskColumns, seed: int,
               overall: dict[str, MetricValue] | None = None) -> dict[str, dict[str, dict[str, MetricValue]]]:
    """Metrics per language, per metadata key and per cross key (every cell listed). A language
    breakdown with a single language is the overall result itself (reused, not recomputed), kept so
    per-language tables list the task; a single-group metadata breakdown says nothing and is left out."""
    out: dict[str, dict[str, dict[str, MetricValue]]] = {}
    for key in task.breakdown_keys:
        groups: dict[str, list[int]] = {}
        for row, group in enumerate(group_values(columns, key)):
            if group is not None:
                groups.setdefault(group, []).append(row)
        if len(groups) > 1 or (groups and not isinstance(key, str)):
            out[breakdown_name(key)] = {g: compute_metrics(task, columns, seed, np.asarray(rows))
                                        for g, rows in sorted(groups.items())}
        elif key == "language" and groups:
            [(g, rows)] = groups.items()
            same = overall is not None and len(rows) == len(columns)
            out[key] = {g: overall if same else compute_metrics(task, columns, seed, np.asarray(rows))}  # type: ignore[dict-item]
    return out


def count(columns: TaskColumns, n_total: int, primary_scorer: str) -> TaskCounts:
    errors = Counter(code for code in columns.errors if code is not None)
    seen = {flag: np.zeros(len(columns), dtype=bool) for flag in FLAG_COUNTS}
    for name in columns.scorer_names:
        scorer = columns.scorer(name)
        for flag, rows in seen.items():
            rows |= scorer.flagged(flag)
    unscored = int(np.isnan(columns.scorer(primary_scorer).values).sum())
    return TaskCounts(
        n=n_total, completed=len(columns), errors=dict(errors), empty=int(seen["empty"].sum()),
        refusals=int(seen["refusal"].sum()), extract_fail=int(seen["extract_fail"].sum()),
        wrong_language=int(seen["wrong_language"].sum()), unscored=unscored,
    )


@cache
def _aggregation_code() -> str:
    """Digest of the code that turns rows into results (this module, the index, the metrics)."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([here / "aggregate.py", here / "index.py", *(here / "metrics").glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def inputs_digest(task: Task, n_total: int, seed: int, dataset_hash: str, prompt_hash: str) -> str:
    """Everything but the records that a task's result depends on. A result whose inputs digest and
    rows digest (`TaskColumns.digest`) both match is reused, not recomputed (a resume with nothing new)."""
    described = {"code": _aggregation_code(), "task": [task.name, task.version, task.family, list(task.languages),
                                                       task.primary_metric, list(task.breakdown_keys), task.rubric],
                 "scorers": [repr(s) for s in task.scorers],
                 "metrics": [[type(m).__qualname__, sorted(vars(m).items())] for m in task.metrics],
                 "n": n_total, "seed": seed, "dataset": dataset_hash, "prompts": prompt_hash}
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()[:16]


def aggregate_task(task: Task, records: Iterable[SampleRecord], n_total: int, seed: int,
                   dataset_hash: str = "", prompt_hash: str = "") -> TaskResult:
    """From records in memory (the last record of a sample wins, where the sample first appeared)."""
    return aggregate_columns(task, TaskColumns.from_records(records), n_total, seed, dataset_hash, prompt_hash)


def aggregate_columns(task: Task, columns: TaskColumns, n_total: int, seed: int,
                      dataset_hash: str = "", prompt_hash: str = "") -> TaskResult:
    metrics = compute_metrics(task, columns, seed)
    primary = task.metric(task.primary_metric)
    counts = count(columns, n_total, primary.scorer)
    done = max(counts.completed, 1)
    rates = {
        "error_rate": counts.n_errors / done,
        "empty_rate": counts.empty / done,
        "refusal_rate": counts.refusals / done,
        "extract_fail_rate": counts.extract_fail / done,
        "wrong_language_rate": counts.wrong_language / done,
    }
    scoring = {name: mv.details for name, mv in metrics.items() if mv.details}
    if normalizers := normalizer_versions(task):
        scoring["normalizers"] = normalizers  # which normaliser each language's WER/CER used
    return TaskResult(
        name=task.name, version=task.version, family=task.family, languages=list(task.languages),
        primary_metric=task.primary_metric, direction=primary.direction,
        status="complete" if counts.completed >= n_total else "partial",
        metrics=metrics, breakdowns=breakdowns(task, columns, seed, metrics), counts=counts, rates=rates,
        rubric=task.rubric, scoring=scoring, dataset_hash=dataset_hash, prompt_hash=prompt_hash,
    )
