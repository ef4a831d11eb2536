"""Shared machinery for metrics that are a function of summed per-sample statistics.

Every metric here (WER, BLEU, accuracy, a mean, a flag rate, macro-F1) is written as
`statistic(column sums of a per-sample row matrix)`. The point estimate and every bootstrap
replicate go through the same vectorised `statistic`, so the CI is computed from sufficient
statistics and is consistent with the point estimate by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seabench.metrics.bootstrap import CI_LEVEL, N_RESAMPLES, PairedBootstrap, bootstrap_ci, paired_bootstrap
from seabench.types import Direction, MetricValue, Score


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

    def point(self, totals: np.ndarray) -> float | None:
        """Point estimate from the column sums of all usable rows."""
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(self.statistic(totals[None, :])[0])
        return value if np.isfinite(value) else None

    def details(self, totals: np.ndarray, scores: Sequence[Score]) -> dict[str, Any]:
        """Extra numbers worth persisting next to the value (totals, signatures)."""
        return {}

    def compute(self, scores: list[Score], seed: int = 0) -> MetricValue:
        mat, ok = self.matrix(scores)
        n, n_failed = int(ok.sum()), int((~ok).sum())
        if n == 0:
            return MetricValue(name=self.name, value=None, n=0, n_failed=n_failed, direction=self.direction)
        totals = mat.sum(axis=0)
        value = self.point(totals)
        ci = bootstrap_ci(mat, self.statistic, self.n_resamples, seed) if value is not None else None
        ci_info = {"method": "percentile bootstrap", "level": CI_LEVEL, "resamples": self.n_resamples, "seed": seed}
        details: dict[str, Any] = {"ci": ci_info}
        details.update(self.details(totals, scores))
        return MetricValue(
            name=self.name,
            value=value,
            ci_low=ci[0] if ci else None,
            ci_high=ci[1] if ci else None,
            n=n,
            n_failed=n_failed,
            direction=self.direction,
            details=details,
        )

    def paired(self, scores_a: Sequence[Score], scores_b: Sequence[Score], seed: int = 0) -> PairedBootstrap:
        """Significance of metric(a) - metric(b) over the same items (position i = same item).

        Items that either system cannot aggregate are dropped from both, so both sides are
        always averaged over the same item set.
        """
        if len(scores_a) != len(scores_b):
            raise ValueError(f"paired comparison needs aligned scores: {len(scores_a)} vs {len(scores_b)}")
        mat_a, ok_a = self.matrix(scores_a)
        mat_b, ok_b = self.matrix(scores_b)
        both = ok_a & ok_b
        keep_a = both[ok_a]
        keep_b = both[ok_b]
        return paired_bootstrap(mat_a[keep_a], mat_b[keep_b], self.statistic, self.n_resamples, seed)


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio with NaN where the denominator is zero (an undefined metric, not 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
