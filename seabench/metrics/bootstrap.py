"""Bootstrap resampling over per-sample sufficient statistics.

A corpus metric is a function of column sums of an (n_items x k) statistics matrix, so a
resample is a vector of item multiplicities and its sums are `counts @ matrix`. That lets us
draw 1,000 resamples with a few matrix products instead of re-running jiwer/sacrebleu on every
resample (which is what makes naive bootstraps take minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from pydantic import BaseModel

N_RESAMPLES = 1000
CI_LEVEL = 0.95

# Vectorised metric: (B, k) summed statistics -> (B,) metric values (NaN where undefined).
StatisticFn = Callable[[np.ndarray], np.ndarray]

# Upper bound on the number of entries of one (chunk x n) multiplicity block (~16 MB of float64).
_BLOCK_ENTRIES = 2_000_000
# ... and of the item indices drawn at a time to fill it (~2 MB of int64).
_INDEX_ENTRIES = 250_000


def _multiplicity_blocks(n: int, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Yield (chunk x n) blocks of item multiplicities; the stream depends only on (n, seed).
    Each block is the same buffer, refilled: use it before asking for the next. Indices are drawn a
    few rows at a time (the same stream as a whole block's draw), so a draw of 25,000 items peaks at
    20 MB, not the 47 MB that a new block and a new index array beside the previous ones came to."""
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_resamples, _BLOCK_ENTRIES // max(n, 1)))
    step = max(1, _INDEX_ENTRIES // max(n, 1))
    buffer = np.empty((chunk, n))
    done = 0
    while done < n_resamples:
        rows = min(chunk, n_resamples - done)
        counts = buffer[:rows]
        for start in range(0, rows, step):
            idx = rng.integers(0, n, size=(min(step, rows - start), n))
            for r, drawn in enumerate(idx, start):  # row by row stays in cache: ~3x faster than one bincount
                counts[r] = np.bincount(drawn, minlength=n)
        yield counts
        done += rows


def resample_sums(matrix: np.ndarray, n_resamples: int = N_RESAMPLES, seed: int = 0) -> np.ndarray:
    """Column sums of `n_resamples` bootstrap resamples of the rows of `matrix` -> (B, k).

    Resampling is with replacement over items; the same seed and item count always give the
    same resamples, so two systems scored on the same items are resampled identically.
    """
    return resample_sums_many([matrix], n_resamples, seed)[0]


def resample_sums_many(matrices: list[np.ndarray], n_resamples: int = N_RESAMPLES, seed: int = 0) -> list[np.ndarray]:
    """`resample_sums` of several matrices with the same number of rows, from one draw of
    multiplicities (each result equals that matrix's own `resample_sums`; the draw is the costly part)."""
    arrays = [np.asarray(m, dtype=np.float64) for m in matrices]
    for matrix in arrays:
        if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[0] != arrays[0].shape[0]:
            raise ValueError(f"need non-empty (n_items, k) matrices of one n_items, got shape {matrix.shape}")
    # Matrices of whole numbers (edit and n-gram counts, 0/1 values) are multiplied in one product, which
    # reads each block of multiplicities once: their sums are exact in any order, so each result is
    # bit for bit what its own product gives. Any other matrix keeps its own product.
    exact = [i for i, m in enumerate(arrays) if _whole(m, arrays[0].shape[0])]
    stacked = np.hstack([arrays[i] for i in exact]) if exact else None
    edges = np.cumsum([0] + [arrays[i].shape[1] for i in exact])
    blocks: list[list[np.ndarray]] = [[] for _ in arrays]
    for counts in _multiplicity_blocks(arrays[0].shape[0], n_resamples, seed):
        if stacked is not None:
            product = counts @ stacked
            for j, i in enumerate(exact):
                blocks[i].append(product[:, edges[j]:edges[j + 1]])
        for i, matrix in enumerate(arrays):
            if i not in exact:
                blocks[i].append(counts @ matrix)
    return [np.vstack(out) for out in blocks]


def _whole(matrix: np.ndarray, n_items: int) -> bool:
    """Whole numbers small enough that any sum of n_items multiples of them is exact in float64."""
    if matrix.size == 0:
        return True
    largest = float(np.abs(matrix).max())
    return bool(np.all(matrix == np.round(matrix))) and largest * n_items * n_items < 2.0 ** 52


def percentile_interval(values: np.ndarray, level: float = CI_LEVEL) -> tuple[float, float] | None:
    """Percentile interval of bootstrap replicates, ignoring undefined (NaN) replicates."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_ci(
    matrix: np.ndarray,
    statistic: StatisticFn,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    level: float = CI_LEVEL,
) -> tuple[float, float] | None:
    """Percentile bootstrap CI of `statistic` over items. None when fewer than two items."""
    if np.asarray(matrix).shape[0] < 2:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        values = statistic(resample_sums(matrix, n_resamples, seed))
    return percentile_interval(values, level)


class PairedBootstrap(BaseModel):
    """Difference `a - b` of one metric on the same items, with a paired bootstrap test."""

    delta: float
    ci_low: float | None
    ci_high: float | None
    p_value: float
    n: int
    n_resamples: int
    seed: int


def paired_bootstrap(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    metric_fn: StatisticFn,
    n: int = N_RESAMPLES,
    seed: int = 0,
    level: float = CI_LEVEL,
) -> PairedBootstrap:
    """Paired bootstrap of metric(a) - metric(b); rows of both matrices are the same items.

    Both systems are resampled with the same item multiplicities. The two-sided p-value tests
    "no difference" by centring the bootstrap distribution of the difference on zero:
    p = (1 + #{|d_b - d| >= |d|}) / (1 + B).
    """
    return paired_bootstraps([(stats_a, stats_b, metric_fn)], n, seed, level)[0]


def paired_bootstraps(pairs: list[tuple[np.ndarray, np.ndarray, StatisticFn]], n: int = N_RESAMPLES, seed: int = 0,
                      level: float = CI_LEVEL) -> list[PairedBootstrap]:
    """`paired_bootstrap` of each (a, b, metric) pair; pairs with the same number of items share one
    draw of multiplicities (each result is exactly what it would be alone)."""
    prepared = []
    for stats_a, stats_b, metric_fn in pairs:
        a = np.asarray(stats_a, dtype=np.float64)
        b = np.asarray(stats_b, dtype=np.float64)
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"paired bootstrap needs the same items: {a.shape[0]} vs {b.shape[0]} rows")
        prepared.append((a, b, metric_fn))
    by_items: dict[int, list[int]] = {}
    for i, (a, _, _) in enumerate(prepared):
        by_items.setdefault(a.shape[0], []).append(i)
    sums: dict[int, np.ndarray] = {}
    for members in by_items.values():
        stacked = [np.hstack([prepared[i][0], prepared[i][1]]) for i in members]
        sums.update(zip(members, resample_sums_many(stacked, n, seed), strict=True))
    out = []
    for i, (a, b, metric_fn) in enumerate(prepared):
        k = a.shape[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = float(metric_fn(a.sum(axis=0, keepdims=True))[0] - metric_fn(b.sum(axis=0, keepdims=True))[0])
            diffs = metric_fn(sums[i][:, :k]) - metric_fn(sums[i][:, k:])
        finite = diffs[np.isfinite(diffs)]
        extreme = int(np.sum(np.abs(finite - delta) >= abs(delta))) if np.isfinite(delta) else finite.size
        interval = percentile_interval(diffs, level)
        out.append(PairedBootstrap(
            delta=delta,
            ci_low=interval[0] if interval else None,
            ci_high=interval[1] if interval else None,
            p_value=(1 + extreme) / (1 + finite.size),
            n=a.shape[0],
            n_resamples=n,
            seed=seed,
        ))
    return out
