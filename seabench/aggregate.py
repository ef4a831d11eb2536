"""Records -> TaskResult: metrics with CIs, per-language/per-subset breakdowns and counts.

Presentation lives elsewhere (leaderboard); this only computes."""

from __future__ import annotations

from collections import Counter, defaultdict

from seabench.task import Task
from seabench.task_options import normalizer_versions
from seabench.types import MetricValue, SampleRecord, Score, TaskCounts, TaskResult

FLAG_COUNTS = ("empty", "refusal", "extract_fail", "wrong_language")


def _scores(records: list[SampleRecord], scorer: str) -> list[Score]:
    return [r.scores.get(scorer) or Score(value=None, flags=["unscored"]) for r in records]


def compute_metrics(task: Task, records: list[SampleRecord], seed: int) -> dict[str, MetricValue]:
    return {m.name: m.compute(_scores(records, m.scorer), seed=seed) for m in task.metrics}


def group_key(record: SampleRecord, key: str) -> str | None:
    if key == "language":
        return record.language
    value = record.metadata.get(key)
    return None if value is None else str(value)


def breakdowns(task: Task, records: list[SampleRecord], seed: int,
               overall: dict[str, MetricValue] | None = None) -> dict[str, dict[str, dict[str, MetricValue]]]:
    """Metrics per language and per metadata key. A language breakdown with a single language is the
    overall result itself (reused, not recomputed), kept so per-language tables list the task."""
    out: dict[str, dict[str, dict[str, MetricValue]]] = {}
    for key in task.breakdown_keys:
        groups: dict[str, list[SampleRecord]] = defaultdict(list)
        for r in records:
            g = group_key(r, key)
            if g is not None:
                groups[g].append(r)
        if len(groups) > 1:
            out[key] = {g: compute_metrics(task, rs, seed) for g, rs in sorted(groups.items())}
        elif key == "language" and groups:
            [(g, rs)] = groups.items()
            same = overall is not None and len(rs) == len(records)
            out[key] = {g: overall if same else compute_metrics(task, rs, seed)}  # type: ignore[dict-item]
    return out


def count(records: list[SampleRecord], n_total: int, primary_scorer: str) -> TaskCounts:
    errors = Counter(r.error_code.value for r in records if r.error_code is not None)
    flags: Counter[str] = Counter()
    unscored = 0
    for r in records:
        seen = {f for s in r.scores.values() for f in s.flags}
        flags.update(seen & set(FLAG_COUNTS))
        primary = r.scores.get(primary_scorer)
        if primary is None or primary.value is None:
            unscored += 1
    return TaskCounts(
        n=n_total, completed=len(records), errors=dict(errors), empty=flags["empty"],
        refusals=flags["refusal"], extract_fail=flags["extract_fail"],
        wrong_language=flags["wrong_language"], unscored=unscored,
    )


def aggregate_task(task: Task, records: list[SampleRecord], n_total: int, seed: int,
                   dataset_hash: str = "", prompt_hash: str = "") -> TaskResult:
    metrics = compute_metrics(task, records, seed)
    primary = task.metric(task.primary_metric)
    counts = count(records, n_total, primary.scorer)
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
        metrics=metrics, breakdowns=breakdowns(task, records, seed, metrics), counts=counts, rates=rates,
        rubric=task.rubric, scoring=scoring, dataset_hash=dataset_hash, prompt_hash=prompt_hash,
    )
