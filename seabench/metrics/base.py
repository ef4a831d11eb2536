"""Shared machinery for metrics that are a function of summed per-sample statistics.

Every metric here (WER, BLEU, accuracy, a mean, a flag rate, macro-F1) is written as
`statistic(column sums of a per-sample row matrix)`. The point estimate and every bootstrap
replicate go through the same vectorised `statistic`, so the CI is computed from sufficient
statistics and is consistent with the point estimate by construction.

The row matrix is read straight from a scorer's columns (`columns_matrix`), and `compute_all`
computes a task's metrics together: metrics with the same number of usable rows share one
bootstrap draw (the draw depends only on that number and the seed), so the CI of each is exactly
what it would be alone, at a fraction of the cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from seabench.metrics.bootstrap import (CI_LEVEL, N_RESAMPLES, PairedBootstrap, paired_bootstrap, percentile_interval,
                                        resample_sums_many)
from seabench.metrics.columns import ScoreColumns
from seabench.types import Direction, MetricValue, Score

if TYPE_CHECKING:
    from seabench.task import Metric


class SumMetric:
    """Base class: subclasses define `row()` (or `matrix()`) and a vectorised `statistic()`."""

    name: str
    scorer: str
    direction: Direction = "higher"
    n_resamples: int = N_RESAMPLES

    def row(self, score: Score) -> Sequence[float] | None:
        """The statistics one Score contributes, or None if it cannot be aggregated (failed)."""
        raise NotImplementedError

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        """(B, k) column sums -> (B,) metric values; NaN where undefined."""
        raise NotImplementedError

    def matrix(self, scores: Sequence[Score]) -> tuple[np.ndarray, np.ndarray]:
        """(n_ok, k) statistics of the usable scores, and a boolean mask of which scores were usable."""
        rows = [self.row(s) for s in scores]
        ok = np.array([r is not None for r in rows], dtype=bool)
        kept = [r for r in rows if r is not None]
        width = len(kept[0]) if kept else 0
        return np.asarray(kept, dtype=np.float64).reshape(len(kept), width), ok

    def columns_matrix(self, columns: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        """What `matrix` gives, read from columns; subclasses read their statistics vectorised."""
        return self.matrix(columns.scores())

    def point(self, totals: np.ndarray) -> float | None:
        """Point estimate from the column sums of all usable rows."""
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(self.statistic(totals[None, :])[0])
        return value if np.isfinite(value) else None

    def details(self, totals: np.ndarray, columns: ScoreColumns) -> dict[str, Any]:
        """Extra numbers worth persisting next to the value (totals, signatures)."""
        return {}

    def compute(self, scores: list[Score], seed: int = 0) -> MetricValue:
        return compute_sums([(self, ScoreColumns.from_scores(scores))], seed)[0]

    def usable(self, columns: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        """(matrix, mask) of the rows this metric can aggregate, through `columns_matrix` only when the
        metric's own class reads columns (a subclass that redefines `row` is read through `row`)."""
        return self.columns_matrix(columns) if _reads_columns(self) else self.matrix(columns.scores())

    def paired(self, scores_a: Sequence[Score], scores_b: Sequence[Score], seed: int = 0) -> PairedBootstrap:
        """Significance of metric(a) - metric(b) over the same items (position i = same item)."""
        if len(scores_a) != len(scores_b):
            raise ValueError(f"paired comparison needs aligned scores: {len(scores_a)} vs {len(scores_b)}")
        return self.paired_columns(ScoreColumns.from_scores(scores_a), ScoreColumns.from_scores(scores_b), seed)

    def paired_columns(self, columns_a: ScoreColumns, columns_b: ScoreColumns, seed: int = 0) -> PairedBootstrap:
        """`paired` on aligned columns."""
        return paired_bootstrap(*self.paired_rows(columns_a, columns_b), self.statistic, self.n_resamples, seed)

    def paired_rows(self, columns_a: ScoreColumns, columns_b: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        """The statistics of the items both systems can aggregate (the others are dropped from both,
        so both sides are always averaged over the same item set)."""
        mat_a, ok_a = self.usable(columns_a)
        mat_b, ok_b = self.usable(columns_b)
        both = ok_a & ok_b
        return mat_a[both[ok_a]], mat_b[both[ok_b]]


def _reads_columns(metric: SumMetric) -> bool:
    """True when the class that says how to read columns is not overridden by a subclass reading rows."""
    for klass in type(metric).__mro__:
        if "columns_matrix" in vars(klass):
            return klass is not SumMetric
        if "row" in vars(klass) or "matrix" in vars(klass):
            return False
    return False


def compute_sums(batch: Sequence[tuple[SumMetric, ScoreColumns]], seed: int) -> list[MetricValue]:
    """Value, CI and details of each (metric, columns); one bootstrap draw per number of usable rows,
    shared by every metric of the batch that has that many (each CI is exactly what it is alone)."""
    out: list[MetricValue] = []
    draws: dict[tuple[int, int], list[tuple[SumMetric, np.ndarray, MetricValue]]] = defaultdict(list)
    for metric, columns in batch:
        mat, ok = metric.usable(columns)
        n, n_failed = int(ok.sum()), int((~ok).sum())
        if n == 0:
            out.append(MetricValue(name=metric.name, value=None, n=0, n_failed=n_failed, direction=metric.direction))
            continue
        totals = mat.sum(axis=0)
        value = metric.point(totals)
        ci_info = {"method": "percentile bootstrap", "level": CI_LEVEL, "resamples": metric.n_resamples, "seed": seed}
        details: dict[str, Any] = {"ci": ci_info}
        details.update(metric.details(totals, columns))
        out.append(result := MetricValue(name=metric.name, value=value, n=n, n_failed=n_failed,
                                         direction=metric.direction, details=details))
        if value is not None and n >= 2:
            draws[(n, metric.n_resamples)].append((metric, mat, result))
    for (_, n_resamples), group in draws.items():
        sums = resample_sums_many([mat for _, mat, _ in group], n_resamples, seed)
        for (metric, _, result), resampled in zip(group, sums, strict=True):
            with np.errstate(divide="ignore", invalid="ignore"):
                ci = percentile_interval(metric.statistic(resampled), CI_LEVEL)
            if ci is not None:
                result.ci_low, result.ci_high = ci
    return out


def compute_all(metrics: Sequence[Metric], columns_of: Callable[[str], ScoreColumns], seed: int = 0
                ) -> dict[str, MetricValue]:
    """Every metric of a task over the same rows (`columns_of(scorer)`), in the given order. Corpus
    metrics read columns and share bootstrap draws; any other Metric gets Score objects."""
    out: dict[str, MetricValue] = {}
    batch = []
    for m in metrics:
        if isinstance(m, SumMetric) and type(m).compute is SumMetric.compute:
            batch.append((m, columns_of(m.scorer)))
        else:
            out[m.name] = m.compute(columns_of(m.scorer).scores(), seed=seed)
    out.update({m.name: value for (m, _), value in zip(batch, compute_sums(batch, seed), strict=True)})
    return {m.name: out[m.name] for m in metrics}


def stat_matrix(columns: ScoreColumns, keys: Sequence[str], ok: np.ndarray) -> np.ndarray:
    """(n_ok, len(keys)) statistics of the usable rows, C-ordered like a matrix built from rows."""
    return np.ascontiguousarray(np.column_stack([columns.stat(k)[ok] for k in keys]).reshape(int(ok.sum()), len(keys)),
                                dtype=np.float64)


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio with NaN where the denominator is zero (an undefined metric, not 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
