"""Agreement statistics equal scipy / scikit-learn / krippendorff and reproduce published examples."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from seabench.leaderboard.agreement import (
    Items, bootstrap_stats, confusion, exact_agreement, kendall_tau_b, krippendorff_alpha, pairwise_agreement,
    pearson, quadratic_kappa, round_half_up, spearman, within_one,
)

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units,
# missing values allowed. Published: nominal 0.743, interval 0.849, ratio 0.797.
KRIPPENDORFF_EXAMPLE = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])


def _ratings(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    human = rng.integers(1, 6, n)
    judge = np.clip(human + rng.integers(-1, 2, n) * (rng.random(n) < 0.5), 1, 5)
    return judge, human


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_published_example(level: str, published: float) -> None:
    ours = krippendorff_alpha(KRIPPENDORFF_EXAMPLE, level)  # type: ignore[arg-type]
    assert ours == pytest.approx(published, abs=5e-4)
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=KRIPPENDORFF_EXAMPLE, level_of_measurement=level))


def test_krippendorff_ordinal_example_matches_package() -> None:
    ours = krippendorff_alpha(KRIPPENDORFF_EXAMPLE, "ordinal")
    ref = krippendorff.alpha(reliability_data=KRIPPENDORFF_EXAMPLE, level_of_measurement="ordinal")
    assert ours == pytest.approx(ref, abs=1e-12)
    assert ours == pytest.approx(0.815, abs=5e-4)  # the ordinal value reported for this example


@pytest.mark.parametrize("seed", range(5))
def test_alpha_random_matrices_with_missing_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(1, 6, (4, 40)).astype(float)
    data[rng.random(data.shape) < 0.25] = NAN
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert krippendorff_alpha(data, level) == pytest.approx(ref, abs=1e-10)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(5))
def test_correlations_and_kappa_equal_scipy_and_sklearn(seed: int) -> None:
    judge, human = _ratings(seed)
    assert pearson(judge, human) == pytest.approx(stats.pearsonr(judge, human)[0], abs=1e-12)
    assert spearman(judge, human) == pytest.approx(stats.spearmanr(judge, human)[0], abs=1e-12)
    assert kendall_tau_b(judge, human) == pytest.approx(stats.kendalltau(judge, human, variant="b")[0], abs=1e-12)
    ref = cohen_kappa_score(judge, human, weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert quadratic_kappa(judge, human) == pytest.approx(ref, abs=1e-12)
    # all five values occur, so sklearn's default label set gives the same number
    assert quadratic_kappa(judge, human) == pytest.approx(cohen_kappa_score(judge, human, weights="quadratic"), abs=1e-12)
    alpha = krippendorff.alpha(reliability_data=np.vstack([judge, human]).astype(float), level_of_measurement="ordinal")
    assert krippendorff_alpha(np.vstack([judge, human]), "ordinal") == pytest.approx(alpha, abs=1e-12)


def test_kappa_on_partial_scale_uses_full_scale_weights() -> None:
    judge, human = [1, 2, 5, 2, 1], [1, 2, 2, 5, 1]  # uneven gaps: index != value distance
    ref = cohen_kappa_score(judge, human, weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert quadratic_kappa(judge, human) == pytest.approx(ref)
    assert quadratic_kappa(judge, human) != pytest.approx(cohen_kappa_score(judge, human, weights="quadratic"))


def test_simple_agreements_and_degenerate_inputs() -> None:
    assert exact_agreement([1, 2, 3, 4], [1, 2, 4, 2]) == 0.5
    assert within_one([1, 2, 3, 4], [1, 2, 4, 2]) == 0.75
    assert pearson([3, 3, 3], [1, 2, 3]) is None and spearman([1], [1]) is None
    assert krippendorff_alpha([[1, 1, 1], [1, 1, 1]]) is None  # no disagreement possible: undefined
    assert round_half_up(3.5) == 4 and round_half_up(2.5) == 3 and round_half_up(2.4) == 2


def test_pairwise_agreement_mt_bench_style() -> None:
    judge = np.array([5, 3, 4, 4, 2, 1])
    human = np.array([4, 2, 4, 3, 2, 2])
    pairs = np.array([[0, 1], [2, 3], [4, 5]])  # judge: >, =, >   human: >, >, =
    with_ties, without, n, n_untied = pairwise_agreement(judge, human, pairs)
    assert (with_ties, without, n, n_untied) == (pytest.approx(1 / 3), 1.0, 3, 1)


def test_bootstrap_over_questions_is_seeded_and_brackets_the_estimate() -> None:
    judge, human = _ratings(0, 120)
    items = Items(judge, human, [f"q{i // 3}" for i in range(120)], [f"m{i % 3}" for i in range(120)])
    assert items.counts() == {"items": 120, "questions": 40, "systems": 3, "pairs": 120, "pairs_without_ties": items.counts()["pairs_without_ties"]}
    first = bootstrap_stats(items.n_questions, items.statistics, n_boot=200, seed=3)
    again = bootstrap_stats(items.n_questions, items.statistics, n_boot=200, seed=3)
    assert first == again
    for name in ("pearson", "quadratic_kappa", "krippendorff_alpha_ordinal", "exact_agreement", "pairwise_agreement_with_ties"):
        s = first[name]
        assert s.ci_low is not None and s.ci_low <= s.value <= s.ci_high, name
    assert first["pearson"].value == pytest.approx(stats.pearsonr(judge, human)[0])
    assert first["system_spearman"].value is not None


def test_confusion_matrix_rows_are_human() -> None:
    m = confusion([1, 2, 5], [1, 3, 5])
    assert m[0][0] == 1 and m[2][1] == 1 and m[4][4] == 1 and sum(map(sum, m)) == 3
