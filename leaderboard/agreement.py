"""Judge-vs-human agreement statistics for 1-5 ratings, with cluster-bootstrap 95% CIs.

Correlations come straight from scipy.stats (Pearson, Spearman, Kendall tau-b); quadratic-weighted
Cohen's kappa and Krippendorff's alpha (coincidence-matrix form, any level of measurement, missing
values allowed) are implemented here so the report needs neither scikit-learn nor `krippendorff`;
the tests check both against those packages and against Krippendorff's published example.

Bootstrap resamples *questions* (task, sample id) with replacement, so every response to a question
- and every pair of responses used by the pairwise agreement - moves together.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel

Level = Literal["nominal", "ordinal", "interval", "ratio"]
SCALE = (1, 2, 3, 4, 5)
CI_LEVEL = 0.95


# ---------------------------------------------------------------- coefficients


def _finite(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _scipy(fn: Callable[..., object], x: ArrayLike, y: ArrayLike, **kw: object) -> float | None:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return None  # undefined for constant input
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _finite(fn(x, y, **kw)[0])  # type: ignore[operator, index]


def pearson(x: ArrayLike, y: ArrayLike) -> float | None:
    from scipy.stats import pearsonr

    return _scipy(pearsonr, x, y)


def spearman(x: ArrayLike, y: ArrayLike) -> float | None:
    from scipy.stats import spearmanr

    return _scipy(spearmanr, x, y)


def kendall_tau_b(x: ArrayLike, y: ArrayLike) -> float | None:
    from scipy.stats import kendalltau

    return _scipy(kendalltau, x, y, variant="b")


def quadratic_kappa(a: ArrayLike, b: ArrayLike, labels: Sequence[int] = SCALE) -> float | None:
    """Cohen's kappa with quadratic weights over the full scale (= sklearn with labels=scale)."""
    a, b = np.asarray(a), np.asarray(b)
    index = {v: i for i, v in enumerate(labels)}
    k = len(labels)
    observed = np.zeros((k, k))
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        observed[index[x], index[y]] += 1
    total = observed.sum()
    if total == 0:
        return None
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total
    weights = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2
    denom = (weights * expected).sum()
    return None if denom == 0 else float(1.0 - (weights * observed).sum() / denom)


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
    return _alpha_from_counts(counts, values, level)


def _alpha_from_counts(counts: np.ndarray, values: np.ndarray, level: Level) -> float | None:
    """alpha from a (units x values) table of how many coders gave each value to each unit."""
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    if counts.size == 0:
        return None
    scaled = counts / (m - 1.0)[:, None]
    coincidence = scaled.T @ counts - np.diag(scaled.sum(axis=0))
    marginals = coincidence.sum(axis=0)
    n = marginals.sum()
    delta = _distance(values.astype(float), marginals, level)
    expected = (np.outer(marginals, marginals) * delta).sum() / (n - 1.0)
    if expected == 0:
        return None
    return float(1.0 - (coincidence * delta).sum() / expected)


def paired_alpha(a: ArrayLike, b: ArrayLike, level: Level = "ordinal") -> float | None:
    """alpha for two raters who both rated every unit (the judge-vs-human case)."""
    return krippendorff_alpha(np.vstack([np.asarray(a, float), np.asarray(b, float)]), level)


def exact_agreement(a: ArrayLike, b: ArrayLike) -> float | None:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.mean(a == b)) if a.size else None


def within_one(a: ArrayLike, b: ArrayLike) -> float | None:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.mean(np.abs(a - b) <= 1)) if a.size else None


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


ITEM_STATS = ("pearson", "spearman", "kendall_tau_b", "quadratic_kappa", "krippendorff_alpha_ordinal",
              "exact_agreement", "within_one_agreement", "pairwise_agreement_with_ties",
              "pairwise_agreement_without_ties", "system_spearman", "system_kendall_tau_b")


class Items:
    """Matched judge/human scores of responses, grouped into questions for resampling."""

    def __init__(self, judge: Sequence[float], human: Sequence[float], question: Sequence[str],
                 system: Sequence[str]) -> None:
        self.judge = np.asarray(judge, float)
        self.human = np.asarray(human, float)
        q_names, self.question = np.unique(np.asarray(question, dtype=object).astype(str), return_inverse=True)
        self.systems, self.system = np.unique(np.asarray(system, dtype=object).astype(str), return_inverse=True)
        self.n_questions = len(q_names)
        self.rows = [np.flatnonzero(self.question == q) for q in range(self.n_questions)]
        self.pairs = [np.array([(i, j) for a, i in enumerate(r) for j in r[a + 1:]], dtype=int).reshape(-1, 2)
                      for r in self.rows]

    def select(self, questions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row indices and (remapped) response pairs of a multiset of questions."""
        rows = [self.rows[q] for q in questions]
        idx = np.concatenate(rows) if rows else np.zeros(0, int)
        offsets = np.cumsum([0] + [len(r) for r in rows[:-1]])
        pairs = []
        for q, r, off in zip(questions, rows, offsets, strict=True):
            if len(self.pairs[q]):
                local = np.searchsorted(r, self.pairs[q])  # position within the question's rows
                pairs.append(local + off)
        return idx, (np.vstack(pairs) if pairs else np.zeros((0, 2), int))

    def statistics(self, questions: np.ndarray) -> dict[str, float | None]:
        idx, pairs = self.select(questions)
        j, h, s = self.judge[idx], self.human[idx], self.system[idx]
        with_ties, without, _, _ = pairwise_agreement(j, h, pairs)
        out: dict[str, float | None] = {
            "pearson": pearson(j, h), "spearman": spearman(j, h), "kendall_tau_b": kendall_tau_b(j, h),
            "quadratic_kappa": quadratic_kappa(j, h), "krippendorff_alpha_ordinal": paired_alpha(j, h),
            "exact_agreement": exact_agreement(j, h), "within_one_agreement": within_one(j, h),
            "pairwise_agreement_with_ties": with_ties, "pairwise_agreement_without_ties": without,
        }
        sys_j, sys_h = self.system_means(idx, s)
        enough = len(sys_j) >= 3
        out["system_spearman"] = spearman(sys_j, sys_h) if enough else None
        out["system_kendall_tau_b"] = kendall_tau_b(sys_j, sys_h) if enough else None
        return out

    def system_means(self, idx: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        present = np.unique(s)
        return (np.array([self.judge[idx][s == k].mean() for k in present]),
                np.array([self.human[idx][s == k].mean() for k in present]))

    def counts(self) -> dict[str, int]:
        _, pairs = self.select(np.arange(self.n_questions))
        _, _, n_pairs, n_untied = pairwise_agreement(self.judge, self.human, pairs)
        return {"items": int(self.judge.size), "questions": self.n_questions, "systems": len(self.systems),
                "pairs": n_pairs, "pairs_without_ties": n_untied}


def bootstrap_stats(n_clusters: int, statistics: Callable[[np.ndarray], dict[str, float | None]],
                    n_boot: int = 1000, seed: int = 0, level: float = CI_LEVEL) -> dict[str, Stat]:
    """Point estimates on all clusters plus percentile CIs over `n_boot` cluster resamples."""
    point = statistics(np.arange(n_clusters))
    rng = np.random.default_rng(seed)
    reps: dict[str, list[float]] = {k: [] for k in point}
    if n_clusters >= 2:
        for _ in range(n_boot):
            for k, v in statistics(rng.integers(0, n_clusters, n_clusters)).items():
                if v is not None:
                    reps[k].append(v)
    tail = (1 - level) / 2 * 100
    out = {}
    for k, v in point.items():
        lo, hi = (np.percentile(reps[k], [tail, 100 - tail]) if v is not None and reps[k] else (None, None))
        out[k] = Stat(value=v, ci_low=None if lo is None else float(lo), ci_high=None if hi is None else float(hi),
                      n=n_clusters)
    return out


def confusion(judge: ArrayLike, human: ArrayLike, labels: Sequence[int] = SCALE) -> list[list[int]]:
    """counts[h][j]: rows are the human score, columns the judge score."""
    index = {v: i for i, v in enumerate(labels)}
    out = [[0] * len(labels) for _ in labels]
    for j, h in zip(np.asarray(judge).tolist(), np.asarray(human).tolist(), strict=True):
        out[index[int(h)]][index[int(j)]] += 1
    return out
