"""Means of per-sample values (accuracy, judge scores) and rates of per-sample flags."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seabench.metrics.base import SumMetric, safe_ratio
from seabench.metrics.columns import ScoreColumns
from seabench.metrics.flags import EMPTY, EXTRACT_FAIL, REFUSAL, WRONG_LANGUAGE
from seabench.types import Direction, Score


class MeanMetric(SumMetric):
    """Mean of Score.value over scored samples; None values are unscored: excluded and counted in n_failed."""

    def __init__(self, name: str, scorer: str, direction: Direction = "higher") -> None:
        self.name = name
        self.scorer = scorer
        self.direction = direction

    def row(self, score: Score) -> Sequence[float] | None:
        return None if score.value is None else (float(score.value), 1.0)

    def columns_matrix(self, columns: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        ok = ~np.isnan(columns.values)
        return _rows(columns.values[ok], np.ones(int(ok.sum()))), ok

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        return safe_ratio(sums[:, 0], sums[:, 1])


class Accuracy(MeanMetric):
    """Fraction correct in [0, 1] (scorers give 1/0; a failed extraction is a 0, never dropped)."""

    def __init__(self, name: str = "accuracy", scorer: str = "choice") -> None:
        super().__init__(name, scorer, "higher")


class FlagRate(SumMetric):
    """Fraction of all scored samples carrying `flag` (empty, refusal, extract_fail, wrong_language)."""

    direction: Direction = "lower"

    def __init__(self, flag: str, scorer: str, name: str | None = None) -> None:
        self.flag = flag
        self.scorer = scorer
        self.name = name or f"{flag}_rate"

    def row(self, score: Score) -> Sequence[float] | None:
        return (1.0 if self.flag in score.flags else 0.0, 1.0)

    def columns_matrix(self, columns: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        return _rows(columns.flagged(self.flag).astype(np.float64), np.ones(len(columns))), np.ones(len(columns), dtype=bool)

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        return safe_ratio(sums[:, 0], sums[:, 1])


def _rows(*columns: np.ndarray) -> np.ndarray:
    """(n, k) C-ordered, like the matrix built from rows."""
    return np.ascontiguousarray(np.column_stack(columns), dtype=np.float64)


def flag_rates(scorer: str) -> tuple[FlagRate, ...]:
    """The four standard rate metrics (empty_rate, refusal_rate, extract_fail_rate, wrong_language_rate)."""
    return tuple(FlagRate(flag, scorer) for flag in (EMPTY, REFUSAL, EXTRACT_FAIL, WRONG_LANGUAGE))
