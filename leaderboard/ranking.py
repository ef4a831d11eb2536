"""The headline score, its bootstrap CI, per-language and per-family scores, and the ranking.

One rule for every number a reader compares (the page states it next to the scores):

- A *result* is one task in one language: the task's primary metric on the items of that language,
  normalised to 0-100 (0 = chance or worst, 100 = perfect; `scoring.normalise`).
- A *language score* is the mean of that language's results.
- The *overall score* is the mean of the language scores, so it can be checked by hand from the
  language columns, and every language counts the same however many tasks it has.
- A *family score* (asr, s2tt, ...) is the same rule over that family's results only.

Every model is scored on the same results over the same items: a (task, language) result enters
only when every model has it, and then over the items every model has a score for (the others are
listed as left out). That makes the bootstrap paired for free: each result's items are resampled
with replacement (1,000 times, within that task and language) and the same resample is applied to
every model, so one draw gives each model's CI and every pairwise test. A model's rank is 1 + the
number of models significantly better than it (paired bootstrap of the overall difference, p < 0.05),
so models that cannot be told apart share a rank.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field
from seabench.leaderboard.scoring import Kind, Scale, normalise_array, primary_columns
from seabench.leaderboard.significance import ALPHA, metric_for

from seabench.index import TaskColumns
from seabench.metrics.bootstrap import CI_LEVEL, percentile_interval, resample_sums_many

OVERALL = "all"


class ScoreCI(BaseModel):
    """A 0-100 score with its percentile bootstrap CI and how many results it averages."""

    score: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n_results: int = 0  # (task, language) results averaged (for the overall: over all languages)
    n_tasks: int = 0


class RunHeadline(BaseModel):
    run_id: str
    overall: ScoreCI
    rank: int | None = None
    tied_with: list[str] = Field(default_factory=list)  # run ids it is not significantly different from
    languages: dict[str, ScoreCI] = Field(default_factory=dict)
    families: dict[str, ScoreCI] = Field(default_factory=dict)


class HeadlinePair(BaseModel):
    """Overall score of run_a minus run_b, paired over the same resamples."""

    run_a: str
    run_b: str
    delta: float
    ci_low: float | None
    ci_high: float | None
    p_value: float
    significant: bool


class Result(BaseModel):
    """One (task, language) result in the headline, with the item count it is computed on."""

    task: str
    language: str
    family: str
    n_items: int


class Headline(BaseModel):
    languages: list[str] = Field(default_factory=list)
    families: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list)
    results: list[Result] = Field(default_factory=list)
    left_out: list[str] = Field(default_factory=list)  # "task (language): why", for the reader
    runs: list[RunHeadline] = Field(default_factory=list)  # best first
    pairs: list[HeadlinePair] = Field(default_factory=list)
    n_boot: int = 0
    seed: int = 0

    def of(self, run_id: str) -> RunHeadline | None:
        return next((r for r in self.runs if r.run_id == run_id), None)


class TaskSpec(Protocol):
    """What the headline needs to know about a task (data.TaskInfo has these)."""

    name: str
    family: str
    primary_metric: str
    kind: Kind
    n_choices: int | None
    scale: Scale | None


@dataclass
class _Cell:
    task: TaskSpec
    language: str
    matrices: list[np.ndarray]  # per run, (n_items, k) statistics of the common items, same row order


@dataclass
class _Usable:
    """One run's items of a task that the primary metric can use: statistics rows, ids, languages."""

    matrix: np.ndarray
    ids: list[str]
    languages: np.ndarray

    def rows(self, language: str) -> dict[str, int]:
        return {self.ids[i]: i for i in np.flatnonzero(self.languages == language)}


def _usable(columns: TaskColumns, task: TaskSpec) -> _Usable:
    matrix, ok = metric_for(task.primary_metric).usable(primary_columns(columns, task.primary_metric, task.kind))
    rows = np.flatnonzero(ok)
    return _Usable(matrix, [columns.ids[r] for r in rows], np.array([columns.languages[r] for r in rows], dtype=object))


def _cells(runs: Sequence[Mapping[str, TaskColumns]], tasks: Sequence[TaskSpec]) -> tuple[list[_Cell], list[str]]:
    cells: list[_Cell] = []
    left_out: list[str] = []
    for task in tasks:
        if normalise_array(task.kind, np.array([0.5]), task.n_choices, task.scale) is None:
            why = "was judged on different scales" if task.kind == "judge" else "has no 0-100 scale"
            left_out.append(f"{task.name}: its metric {task.primary_metric} {why}")
            continue
        if any(task.name not in run for run in runs):
            left_out.append(f"{task.name}: not run by every model")
            continue
        usable = [_usable(run[task.name], task) for run in runs]
        if not any(u.ids for u in usable):
            left_out.append(f"{task.name}: no item every model has a score for")
        for language in sorted(set().union(*(set(u.languages.tolist()) for u in usable))):
            rows = [u.rows(language) for u in usable]
            common = sorted(set(rows[0]).intersection(*rows[1:]))
            if not common:
                left_out.append(f"{task.name} ({language}): no item every model has a score for")
                continue
            cells.append(_Cell(task, language, [u.matrix[[r[i] for i in common]] for u, r in zip(usable, rows, strict=True)]))
    return cells, left_out


def _cell_seed(seed: int, cell: _Cell) -> int:
    """Independent resamples per result (items of different tasks are unrelated), the same for every run."""
    return (seed + zlib.crc32(f"{cell.task.name}\0{cell.language}".encode())) % (2 ** 32)


def _replicates(cell: _Cell, n_boot: int, seed: int) -> list[tuple[float, np.ndarray]]:
    """Per run: (normalised point value, normalised value on each of the n_boot resamples)."""
    metric = metric_for(cell.task.primary_metric)
    # one draw of resample counts for every run (the same resamples; whole-number matrices share one product)
    sums = resample_sums_many(cell.matrices, n_boot, _cell_seed(seed, cell)) if n_boot else [None] * len(cell.matrices)
    out = []
    for matrix, resampled in zip(cell.matrices, sums, strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            point = metric.statistic(matrix.sum(axis=0, keepdims=True))
            boot = metric.statistic(resampled) if resampled is not None else np.empty(0)
        out.append((float(normalise_array(cell.task.kind, point, cell.task.n_choices, cell.task.scale)[0]),
                    normalise_array(cell.task.kind, boot, cell.task.n_choices, cell.task.scale)))
    return out


def _score(point: float, boot: np.ndarray, n_results: int, n_tasks: int) -> ScoreCI:
    interval = percentile_interval(boot, CI_LEVEL) if boot.size else None
    return ScoreCI(score=point, ci_low=interval[0] if interval else None, ci_high=interval[1] if interval else None,
                   n_results=n_results, n_tasks=n_tasks)


def _group_mean(values: dict[str, list[tuple[float, np.ndarray]]]) -> tuple[float, np.ndarray]:
    """Mean over languages of the mean over that language's results (point and replicates)."""
    per_language = [(float(np.mean([p for p, _ in cells])), np.mean([b for _, b in cells], axis=0))
                    for cells in values.values()]
    return float(np.mean([p for p, _ in per_language])), np.mean([b for _, b in per_language], axis=0)


def _paired(run_a: str, run_b: str, a: tuple[float, np.ndarray], b: tuple[float, np.ndarray]) -> HeadlinePair:
    """Two-sided paired bootstrap p of the overall difference (distribution centred on zero)."""
    delta = a[0] - b[0]
    diffs = a[1] - b[1]
    finite = diffs[np.isfinite(diffs)]
    extreme = int(np.sum(np.abs(finite - delta) >= abs(delta)))
    p_value = (1 + extreme) / (1 + finite.size)
    interval = percentile_interval(diffs, CI_LEVEL) if diffs.size else None
    return HeadlinePair(run_a=run_a, run_b=run_b, delta=delta, ci_low=interval[0] if interval else None,
                        ci_high=interval[1] if interval else None, p_value=p_value,
                        significant=bool(finite.size) and p_value < ALPHA and delta != 0)


def headline(run_ids: Sequence[str], runs: Sequence[Mapping[str, TaskColumns]], tasks: Sequence[TaskSpec], *,
             n_boot: int = 1000, seed: int = 0) -> Headline:
    """Scores, CIs and ranks of `runs` (task name -> columns each, in the order of `run_ids`)."""
    cells, left_out = _cells(runs, tasks)
    if not cells:
        return Headline(left_out=left_out, runs=[RunHeadline(run_id=r, overall=ScoreCI(score=None)) for r in run_ids],
                        n_boot=n_boot, seed=seed)
    reps = [_replicates(cell, n_boot, seed) for cell in cells]
    languages = sorted({c.language for c in cells})
    families = sorted({c.task.family for c in cells})
    overall: dict[str, tuple[float, np.ndarray]] = {}
    out: list[RunHeadline] = []
    for i, run_id in enumerate(run_ids):
        def grouped(keep: str | None) -> dict[str, list[tuple[float, np.ndarray]]]:
            groups: dict[str, list[tuple[float, np.ndarray]]] = {}
            for cell, rep in zip(cells, reps, strict=True):
                if keep is None or cell.task.family == keep:
                    groups.setdefault(cell.language, []).append(rep[i])  # noqa: B023 (used at once)
            return groups

        def n_tasks(keep: str | None = None, language: str | None = None) -> int:
            return len({c.task.name for c in cells if (keep is None or c.task.family == keep)
                        and (language is None or c.language == language)})

        by_language = grouped(None)
        overall[run_id] = _group_mean(by_language)
        head = RunHeadline(run_id=run_id, overall=_score(*overall[run_id], len(cells), n_tasks()))
        for language, values in by_language.items():
            head.languages[language] = _score(*_group_mean({language: values}), len(values), n_tasks(language=language))
        for family in families:
            values = grouped(family)
            head.families[family] = _score(*_group_mean(values), sum(map(len, values.values())), n_tasks(family))
        out.append(head)
    pairs = [_paired(a, b, overall[a], overall[b]) for k, a in enumerate(run_ids) for b in run_ids[k + 1:]]
    for head in out:
        better = 0
        for pair in pairs:
            if head.run_id not in (pair.run_a, pair.run_b):
                continue
            other = pair.run_b if pair.run_a == head.run_id else pair.run_a
            mine = pair.delta if pair.run_a == head.run_id else -pair.delta
            if not pair.significant:
                head.tied_with.append(other)
            elif mine < 0:
                better += 1
        head.rank = 1 + better
    out.sort(key=lambda h: (h.rank, -(h.overall.score or 0.0)))
    return Headline(languages=languages, families=families, tasks=sorted({c.task.name for c in cells}),
                    results=[Result(task=c.task.name, language=c.language, family=c.task.family,
                                    n_items=c.matrices[0].shape[0]) for c in cells],
                    left_out=left_out, runs=out, pairs=pairs, n_boot=n_boot, seed=seed)
