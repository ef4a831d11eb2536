"""One scorer's Scores over a task's rows, held column by column.

Corpus metrics only read values, flags and sufficient statistics, so a task of 100,000 samples is
a few float arrays here instead of 100,000 Score objects. The same columns come from Scores in
memory (`from_scores`) or from the score index beside samples.jsonl (seabench.index), so both
paths go through one aggregation and give identical numbers.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

import numpy as np

from seabench.types import Score

MISSING = float("nan")  # an absent value (unscored) or statistic


class ScoreColumns:
    """`values[r]` (NaN: unscored), the flags of row r (`flag_sets[codes[r]]`), and one float array
    per statistic (NaN where a row does not have it)."""

    def __init__(self, values: np.ndarray, codes: np.ndarray, flag_sets: Sequence[tuple[str, ...]],
                 stats: dict[str, np.ndarray], present: np.ndarray | None = None) -> None:
        self.values = values
        self.codes = codes
        self.flag_sets = list(flag_sets)
        self.stats = stats
        self.present = np.ones(len(values), dtype=bool) if present is None else present  # rows that have this score

    def __len__(self) -> int:
        return len(self.values)

    def stat(self, key: str) -> np.ndarray:
        column = self.stats.get(key)
        return np.full(len(self), MISSING) if column is None else column

    def has(self, keys: Iterable[str]) -> np.ndarray:
        """Rows that carry every one of `keys`."""
        ok = np.ones(len(self), dtype=bool)
        for key in keys:
            ok &= ~np.isnan(self.stat(key))
        return ok

    def flagged(self, flag: str) -> np.ndarray:
        """Rows whose flags include `flag`."""
        wanted = [code for code, flags in enumerate(self.flag_sets) if flag in flags]
        return np.isin(self.codes, wanted)

    def take(self, rows: np.ndarray) -> ScoreColumns:
        """The columns of some rows (a breakdown group), in the given order."""
        return ScoreColumns(self.values[rows], self.codes[rows], self.flag_sets,
                            {key: column[rows] for key, column in self.stats.items()}, self.present[rows])

    def scores(self) -> list[Score]:
        """Score objects (value, statistics, flags) for metrics that only read Scores."""
        keys = list(self.stats)
        out = []
        for r in range(len(self)):
            value = self.values[r]
            stats = {k: float(self.stats[k][r]) for k in keys if not np.isnan(self.stats[k][r])}
            out.append(Score(value=None if np.isnan(value) else float(value), stats=stats,
                             flags=list(self.flag_sets[self.codes[r]])))
        return out

    @classmethod
    def from_scores(cls, scores: Sequence[Score]) -> ScoreColumns:
        values = np.array([MISSING if s.value is None else s.value for s in scores], dtype=np.float64)
        flag_sets: list[tuple[str, ...]] = [("unscored",)]
        code_of = {flag_sets[0]: 0}
        codes = np.empty(len(scores), dtype=np.int32)
        for row, s in enumerate(scores):
            key = tuple(s.flags)
            codes[row] = code_of.setdefault(key, len(code_of))
            if codes[row] == len(flag_sets):
                flag_sets.append(key)
        keys = {key for s in scores for key in s.stats}
        stats = {key: np.array([s.stats.get(key, MISSING) for s in scores], dtype=np.float64) for key in sorted(keys)}
        return cls(values, codes, flag_sets, stats)


class ColumnsBuilder:
    """Fills ScoreColumns row by row; a row written twice keeps the second write (a retried sample),
    rows never written are unscored."""

    def __init__(self) -> None:
        self.values = array("d")  # 8 bytes a row, not a Python float object
        self.codes = array("i")
        self.present = array("b")
        self.stats: dict[str, array[float]] = {}
        self.flag_sets: list[tuple[str, ...]] = [("unscored",)]
        self._code_of: dict[tuple[str, ...], int] = {("unscored",): 0}

    @classmethod
    def from_arrays(cls, values: np.ndarray, codes: np.ndarray, present: np.ndarray, flag_sets: Sequence[tuple[str, ...]],
                    stats: dict[str, np.ndarray]) -> ColumnsBuilder:
        """A builder holding these rows already (to add more)."""
        builder = cls()
        builder.values.frombytes(np.asarray(values, dtype=np.float64).tobytes())
        builder.codes.frombytes(np.asarray(codes, dtype=np.int32).tobytes())
        builder.present.frombytes(np.asarray(present, dtype=np.int8).tobytes())
        builder.flag_sets = [tuple(flags) for flags in flag_sets]
        builder._code_of = {flags: code for code, flags in enumerate(builder.flag_sets)}
        for key, column in stats.items():
            builder.stats[key] = array("d")
            builder.stats[key].frombytes(np.asarray(column, dtype=np.float64).tobytes())
        return builder

    def _pad(self, n: int) -> None:
        while len(self.values) < n:
            self.values.append(MISSING)
            self.codes.append(0)
            self.present.append(0)
            for column in self.stats.values():
                column.append(MISSING)

    def code(self, flags: Sequence[str]) -> int:
        key = tuple(flags)
        code = self._code_of.get(key)
        if code is None:
            code = self._code_of[key] = len(self.flag_sets)
            self.flag_sets.append(key)
        return code

    def put(self, row: int, value: float | None, flags: Sequence[str], stats: dict[str, float]) -> None:
        self._pad(row + 1)
        self.values[row] = MISSING if value is None else float(value)
        self.codes[row] = self.code(flags)
        self.present[row] = 1
        for key in stats.keys() - self.stats.keys():
            self.stats[key] = array("d", [MISSING]) * len(self.values)
        for key, column in self.stats.items():
            column[row] = float(stats[key]) if key in stats else MISSING

    def clear(self, row: int) -> None:
        """Row `row` unscored (its latest record has no score of this scorer)."""
        if row < len(self.values):
            self.put(row, None, ("unscored",), {})
            self.present[row] = 0

    def build(self, n: int) -> ScoreColumns:
        self._pad(n)
        return ScoreColumns(np.frombuffer(self.values, dtype=np.float64)[:n].copy(),
                            np.frombuffer(self.codes, dtype=np.int32)[:n].copy(), self.flag_sets,
                            {k: np.frombuffer(v, dtype=np.float64)[:n].copy() for k, v in self.stats.items()},
                            np.frombuffer(self.present, dtype=np.int8)[:n].astype(bool))


def unscored(n: int) -> ScoreColumns:
    """n rows a scorer never scored."""
    return ColumnsBuilder().build(n)
