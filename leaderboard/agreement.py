"""Judge-vs-human agreement statistics for ratings on one rubric scale, with cluster-bootstrap 95% CIs.

A scale is a rubric's integer labels lowest..highest (1-5 for SeaBench's rubrics, 0-5 and 0/1 for
AudioBench's); scores on different scales are never pooled. On a scale of k labels every item-level
statistic (Pearson, Spearman, Kendall tau-b, quadratic-weighted Cohen's kappa, Krippendorff's alpha,
exact and +-1 agreement) is a function of the k x k table of (judge, human) counts, so it is
computed from that table; a bootstrap resample is a weighted sum
of per-question tables, and 1,000 resamples take about a second. Krippendorff's alpha is also
implemented for general reliability data (any number of coders, missing values, any level). The
tests check every value against scipy, scikit-learn and `krippendorff` and against Krippendorff's
published example; none of those packages is needed at run time.

Bootstrap resamples *questions* (task, sample id) with replacement, so every response to a question
and every pair of responses used by the pairwise agreement move together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Scale = tuple[int, int]  # a rubric's (lowest, highest) score
SCALE = (1, 2, 3, 4, 5)  # the labels of SeaBench's 1-5 rubrics: the default
CI_LEVEL = 0.95


def _finite(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _average_ranks(x: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return _midranks(counts.astype(float))[inverse]


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    dx, dy = x - x.mean(), y - y.mean()
    denom = np.sqrt((dx @ dx) * (dy @ dy))
    return _finite(dx @ dy / denom) if denom > 0 else None


def spearman(x: ArrayLike, y: ArrayLike) -> float | None:
    """Spearman's rho with average ranks for ties (= scipy.stats.spearmanr), for small real-valued samples."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return _pearson(_average_ranks(x), _average_ranks(y)) if x.size >= 2 else None


def kendall_tau_b(x: ArrayLike, y: ArrayLike) -> float | None:
    """Kendall's tau-b (= scipy.stats.kendalltau variant b) by direct pair counting: for small samples."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    upper = np.triu_indices(x.size, 1)
    sx = np.sign(x[:, None] - x[None, :])[upper]
    sy = np.sign(y[:, None] - y[None, :])[upper]
    denom = np.sqrt((sx != 0).sum() * (sy != 0).sum())
    return _finite((sx * sy).sum() / denom) if denom > 0 else None


def labels_of(scale: Scale) -> tuple[int, ...]:
    """Every score a rubric with this (lowest, highest) allows: (0, 1) -> (0, 1), (0, 5) -> (0, ..., 5)."""
    low, high = scale
    if high <= low:
        raise ValueError(f"a rubric scale needs two or more scores, not {low}-{high}")
    return tuple(range(low, high + 1))


# ---------------------------------------------------------------- coefficients from a contingency table
#
# With scores on one scale of k labels every judge-vs-human statistic here is a function of the k x k
# table of (judge, human) counts. A bootstrap resample is then just a weighted sum of per-question tables,
# which makes 1,000 resamples cheap; the tests check each value against scipy / sklearn / krippendorff
# on the raw score lists.


def contingency(judge: ArrayLike, human: ArrayLike, labels: Sequence[int] = SCALE) -> np.ndarray:
    """table[j, h] = number of responses with judge score labels[j] and human score labels[h]."""
    index = {v: i for i, v in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for j, h in zip(np.asarray(judge).tolist(), np.asarray(human).tolist(), strict=True):
        table[index[j], index[h]] += 1
    return table


def _corr(table: np.ndarray, x: np.ndarray, y: np.ndarray) -> float | None:
    n = table.sum()
    mx = table.sum(axis=1) @ x / n
    my = table.sum(axis=0) @ y / n
    dx, dy = x - mx, y - my
    vx, vy = table.sum(axis=1) @ dx**2, table.sum(axis=0) @ dy**2
    if vx <= 1e-12 * n or vy <= 1e-12 * n:
        return None  # constant input: undefined
    return _finite(dx @ table @ dy / np.sqrt(vx * vy))


def _midranks(counts: np.ndarray) -> np.ndarray:
    """Average rank of each scale value given how often it occurs (ties share the mean rank)."""
    before = np.cumsum(counts) - counts
    return before + (counts + 1.0) / 2.0


def _kendall_tau_b(table: np.ndarray) -> float | None:
    # after[j, h] = sum of table[j', h'] over j' > j, h' > h; below[j, h] over j' > j, h' < h
    rev = table[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
    after = np.zeros_like(table)
    after[:-1, :-1] = rev[1:, 1:]
    fwd = table[::-1, :].cumsum(axis=0)[::-1, :].cumsum(axis=1)
    below = np.zeros_like(table)
    below[:-1, 1:] = fwd[1:, :-1]
    concordant, discordant = (table * after).sum(), (table * below).sum()
    n = table.sum()
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    n0 = n * (n - 1) / 2
    denom = (n0 - (rows * (rows - 1) / 2).sum()) * (n0 - (cols * (cols - 1) / 2).sum())
    return _finite((concordant - discordant) / np.sqrt(denom)) if denom > 0 else None


def _quadratic_kappa(table: np.ndarray) -> float | None:
    k = table.shape[0]
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    weights = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2
    denom = (weights * expected).sum()
    return None if denom == 0 else _finite(1.0 - (weights * table).sum() / denom)


def table_statistics(table: np.ndarray, labels: Sequence[int] = SCALE) -> dict[str, float | None]:
    """Item-level judge-vs-human statistics of a (judge x human) count table over `labels`.

    +-1 agreement is None (not applicable) on a two-label scale such as 0/1, where it is always 1."""
    if table.sum() < 2:
        return {k: None for k in TABLE_STATS}
    values = np.asarray(labels, dtype=float)
    offset = np.abs(values[:, None] - values[None, :])
    coincidence = table + table.T  # two coders per unit: each unit adds (j, h) and (h, j)
    n = table.sum()
    return {
        "pearson": _corr(table, values, values),
        "spearman": _corr(table, _midranks(table.sum(axis=1)), _midranks(table.sum(axis=0))),
        "kendall_tau_b": _kendall_tau_b(table),
        "quadratic_kappa": _quadratic_kappa(table),
        "krippendorff_alpha_ordinal": _alpha_from_coincidence(coincidence, values, "ordinal"),
        "exact_agreement": float(np.trace(table) / n),
        "within_one_agreement": float(table[offset <= 1].sum() / n) if len(labels) > 2 else None,
    }


TABLE_STATS = ("pearson", "spearman", "kendall_tau_b", "quadratic_kappa", "krippendorff_alpha_ordinal",
               "exact_agreement", "within_one_agreement")


def _distance(values: np.ndarray, marginals: np.ndarray, level: Level) -> np.ndarray:
    """Squared difference function delta^2(c, k) of Krippendorff's alpha."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        total = values[:, None] + values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total != 0, ((values[:, None] - values[None, :]) / total) ** 2, 0.0)
    cum = np.concatenate([[0.0], np.cumsum(marginals)])
    lo = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
    hi = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
    between = cum[hi + 1] - cum[lo]  # sum of n_g for g from c to k inclusive
    return (between - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2


def krippendorff_alpha(reliability: ArrayLike, level: Level = "ordinal") -> float | None:
    """Krippendorff's alpha of a (coders x units) matrix; NaN marks a missing value.

    Builds the coincidence matrix o_ck = sum_u (n_uc n_uk - [c=k] n_uc) / (m_u - 1) over units
    with at least two values, then alpha = 1 - (n - 1) sum o*delta^2 / sum n_c n_k delta^2.
    """
    data = np.asarray(reliability, dtype=float)
    present = ~np.isnan(data)
    values = np.unique(data[present])
    if values.size == 0:
        return None
    counts = np.zeros((data.shape[1], values.size))
    coder_idx, unit_idx = np.nonzero(present)
    np.add.at(counts, (unit_idx, np.searchsorted(values, data[coder_idx, unit_idx])), 1.0)
    return alpha_from_counts(counts, values, level)


def alpha_from_counts(counts: np.ndarray, values: np.ndarray, level: Level,
                      weights: np.ndarray | None = None) -> float | None:
    """alpha from a (units x values) table of how many coders gave each value to each unit.

    `weights` multiplies each unit's contribution (a bootstrap multiplicity)."""
    m = counts.sum(axis=1)
    keep = m >= 2
    w = np.ones(len(counts)) if weights is None else np.asarray(weights, float)
    counts, m, w = counts[keep], m[keep], w[keep]
    if counts.size == 0:
        return None
    scaled = counts * (w / (m - 1.0))[:, None]
    coincidence = scaled.T @ counts - np.diag(scaled.sum(axis=0))
    return _alpha_from_coincidence(coincidence, values, level)


def _alpha_from_coincidence(coincidence: np.ndarray, values: np.ndarray, level: Level) -> float | None:
    marginals = coincidence.sum(axis=0)
    n = marginals.sum()
    delta = _distance(values.astype(float), marginals, level)
    expected = (np.outer(marginals, marginals) * delta).sum() / (n - 1.0)
    if n <= 1 or expected <= 1e-12:
        return None
    return _finite(1.0 - (coincidence * delta).sum() / expected)


def pairwise_agreement(judge: ArrayLike, human: ArrayLike, pairs: np.ndarray) -> tuple[float | None, float | None, int, int]:
    """MT-Bench-style preference agreement over response pairs (i, j) to the same question.

    Each side prefers i, j, or ties (equal scores). Returns (agreement with ties, agreement
    without ties, n pairs, n pairs where neither side tied); "without ties" drops a pair when
    either the judge or the human tied.
    """
    judge, human = np.asarray(judge, float), np.asarray(human, float)
    if len(pairs) == 0:
        return None, None, 0, 0
    jp = np.sign(judge[pairs[:, 0]] - judge[pairs[:, 1]])
    hp = np.sign(human[pairs[:, 0]] - human[pairs[:, 1]])
    untied = (jp != 0) & (hp != 0)
    with_ties = float(np.mean(jp == hp))
    without = float(np.mean(jp[untied] == hp[untied])) if untied.any() else None
    return with_ties, without, int(len(pairs)), int(untied.sum())


def round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


# ---------------------------------------------------------------- bootstrap over questions


class Stat(BaseModel):
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0


# A statistics function maps per-cluster multiplicities (all ones = the observed data) to values.
WeightedStats = Callable[[np.ndarray], dict[str, float | None]]


class Items:
    """Matched judge/human scores of responses on one scale (`labels`), summarised per question for
    weighted resampling."""

    def __init__(self, judge: Sequence[int], human: Sequence[int], question: Sequence[str],
                 system: Sequence[str], labels: Sequence[int] = SCALE) -> None:
        judge_a, human_a = np.asarray(judge, int), np.asarray(human, int)
        self.labels = tuple(labels)
        low, k = self.labels[0], len(self.labels)
        if not (np.isin(judge_a, self.labels).all() and np.isin(human_a, self.labels).all()):
            raise ValueError(f"a score outside {low}-{self.labels[-1]}: statistics are computed within one scale")
        _, q = np.unique(np.asarray(question, dtype=object).astype(str), return_inverse=True)
        self.systems, s = np.unique(np.asarray(system, dtype=object).astype(str), return_inverse=True)
        self.n_questions = int(q.max()) + 1 if q.size else 0
        self.tables = np.zeros((self.n_questions, k * k))
        np.add.at(self.tables, (q, (judge_a - low) * k + (human_a - low)), 1.0)
        self.pairs = np.zeros((self.n_questions, 4))  # agree (ties), pairs, agree (no ties), untied pairs
        for qi in range(self.n_questions):
            rows = np.flatnonzero(q == qi)
            pairs = np.array([(a, b) for i, a in enumerate(rows) for b in rows[i + 1:]], dtype=int).reshape(-1, 2)
            with_ties, without, n, n_untied = pairwise_agreement(judge_a, human_a, pairs)
            self.pairs[qi] = ((with_ties or 0) * n, n, (without or 0) * n_untied, n_untied)
        n_sys = len(self.systems)
        self.sums = np.zeros((self.n_questions, 3 * n_sys))  # per system: judge sum, human sum, count
        np.add.at(self.sums, (q, s), judge_a)
        np.add.at(self.sums, (q, n_sys + s), human_a)
        np.add.at(self.sums, (q, 2 * n_sys + s), 1.0)
        self.n_items = int(judge_a.size)

    def statistics(self, weights: np.ndarray) -> dict[str, float | None]:
        k = len(self.labels)
        out = table_statistics((weights @ self.tables).reshape(k, k), self.labels)
        agree, n, agree_untied, n_untied = weights @ self.pairs
        out["pairwise_agreement_with_ties"] = float(agree / n) if n else None
        out["pairwise_agreement_without_ties"] = float(agree_untied / n_untied) if n_untied else None
        n_sys = len(self.systems)
        sums = weights @ self.sums
        count = sums[2 * n_sys:]
        present = count > 0
        judge_mean = sums[:n_sys][present] / count[present]
        human_mean = sums[n_sys:2 * n_sys][present] / count[present]
        enough = int(present.sum()) >= 3
        out["system_spearman"] = spearman(judge_mean, human_mean) if enough else None
        out["system_kendall_tau_b"] = kendall_tau_b(judge_mean, human_mean) if enough else None
        return out

    def counts(self) -> dict[str, int]:
        return {"items": self.n_items, "questions": self.n_questions, "systems": len(self.systems),
                "pairs": int(self.pairs[:, 1].sum()), "pairs_without_ties": int(self.pairs[:, 3].sum())}


def bootstrap_stats(n_clusters: int, statistics: WeightedStats, n_boot: int = 1000, seed: int = 0,
                    level: float = CI_LEVEL) -> dict[str, Stat]:
    """Point estimates on the data plus percentile CIs over `n_boot` resamples of the clusters."""
    point = statistics(np.ones(n_clusters))
    rng = np.random.default_rng(seed)
    reps: dict[str, list[float]] = {k: [] for k in point}
    if n_clusters >= 2:
        for _ in range(n_boot):
            weights = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters).astype(float)
            for k, v in statistics(weights).items():
                if v is not None:
                    reps[k].append(v)
    tail = (1 - level) / 2 * 100
    out = {}
    for k, v in point.items():
        lo, hi = np.percentile(reps[k], [tail, 100 - tail]) if v is not None and reps[k] else (None, None)
        out[k] = Stat(value=v, ci_low=None if lo is None else float(lo), ci_high=None if hi is None else float(hi),
                      n=n_clusters)
    return out
