"""Agreement statistics equal scipy / scikit-learn / krippendorff and reproduce published examples."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from seabench.leaderboard.agreement import (
    Items, alpha_from_counts, bootstrap_stats, contingency, kendall_tau_b, krippendorff_alpha, labels_of,
    pairwise_agreement, round_half_up, spearman, table_statistics,
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


def _table_stats(judge: np.ndarray, human: np.ndarray) -> dict[str, float | None]:
    return table_statistics(contingency(judge, human))


@pytest.mark.parametrize("seed", range(6))
def test_table_statistics_equal_scipy_sklearn_krippendorff(seed: int) -> None:
    judge, human = _ratings(seed, n=[200, 37, 5, 400, 12, 60][seed])
    ours = _table_stats(judge, human)
    assert ours["pearson"] == pytest.approx(stats.pearsonr(judge, human)[0], abs=1e-12)
    assert ours["spearman"] == pytest.approx(stats.spearmanr(judge, human)[0], abs=1e-12)
    assert ours["kendall_tau_b"] == pytest.approx(stats.kendalltau(judge, human, variant="b")[0], abs=1e-12)
    assert ours["quadratic_kappa"] == pytest.approx(
        cohen_kappa_score(judge, human, weights="quadratic", labels=[1, 2, 3, 4, 5]), abs=1e-12)
    alpha = krippendorff.alpha(reliability_data=np.vstack([judge, human]).astype(float), level_of_measurement="ordinal")
    assert ours["krippendorff_alpha_ordinal"] == pytest.approx(alpha, abs=1e-12)
    assert ours["exact_agreement"] == pytest.approx(np.mean(judge == human))
    assert ours["within_one_agreement"] == pytest.approx(np.mean(np.abs(judge - human) <= 1))


@pytest.mark.parametrize("seed", range(4))
def test_small_sample_rank_correlations_equal_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, 7).astype(float) / 2  # ties on purpose
    y = x + rng.normal(0, 0.7, 7).round(1)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y, variant="b")[0], abs=1e-12)


def test_weighted_table_equals_materialised_resample() -> None:
    """A bootstrap multiplicity vector gives the same numbers as the duplicated data given to scipy."""
    judge, human = _ratings(9, 50)
    weights = np.random.default_rng(1).integers(0, 3, 50)
    dup_j, dup_h = np.repeat(judge, weights), np.repeat(human, weights)
    table = (weights[:, None] * np.stack([contingency([j], [h]).ravel() for j, h in zip(judge, human)])).sum(axis=0)
    ours = table_statistics(table.reshape(5, 5))
    assert ours["kendall_tau_b"] == pytest.approx(stats.kendalltau(dup_j, dup_h, variant="b")[0], abs=1e-12)
    assert ours["spearman"] == pytest.approx(stats.spearmanr(dup_j, dup_h)[0], abs=1e-12)
    counts = np.zeros((50, 5))
    counts[np.arange(50), judge - 1] += 1
    counts[np.arange(50), human - 1] += 1
    ref = krippendorff.alpha(reliability_data=np.vstack([dup_j, dup_h]).astype(float), level_of_measurement="ordinal")
    assert alpha_from_counts(counts, np.arange(1.0, 6.0), "ordinal", weights.astype(float)) == pytest.approx(ref, abs=1e-12)


def test_kappa_on_partial_scale_uses_full_scale_weights() -> None:
    judge, human = np.array([1, 2, 5, 2, 1]), np.array([1, 2, 2, 5, 1])  # uneven gaps: index != value distance
    ref = cohen_kappa_score(judge, human, weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert _table_stats(judge, human)["quadratic_kappa"] == pytest.approx(ref)
    assert _table_stats(judge, human)["quadratic_kappa"] != pytest.approx(cohen_kappa_score(judge, human, weights="quadratic"))


def test_degenerate_inputs_are_undefined_not_zero() -> None:
    constant = _table_stats(np.array([3, 3, 3]), np.array([1, 2, 3]))
    assert constant["pearson"] is None and constant["spearman"] is None and constant["kendall_tau_b"] is None
    assert constant["exact_agreement"] == pytest.approx(1 / 3)
    assert all(v is None for v in _table_stats(np.array([2]), np.array([2])).values())
    assert spearman([1.0, 1.0], [1.0, 2.0]) is None and kendall_tau_b([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == pytest.approx(-1)
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
    counts = items.counts()
    assert (counts["items"], counts["questions"], counts["systems"], counts["pairs"]) == (120, 40, 3, 120)
    first = bootstrap_stats(items.n_questions, items.statistics, n_boot=200, seed=3)
    assert first == bootstrap_stats(items.n_questions, items.statistics, n_boot=200, seed=3)
    for name in ("pearson", "quadratic_kappa", "krippendorff_alpha_ordinal", "exact_agreement", "pairwise_agreement_with_ties"):
        s = first[name]
        assert s.ci_low is not None and s.ci_low <= s.value <= s.ci_high, name
    assert first["pearson"].value == pytest.approx(stats.pearsonr(judge, human)[0])
    _assert_pairwise_and_system_spearman(first, judge, human)


def _assert_pairwise_and_system_spearman(result: dict, judge: np.ndarray, human: np.ndarray) -> None:
    """Point values for items laid out as question i // 3 answered by system m{i % 3}: pairwise agreement
    over each question's three pairs, and the Spearman correlation of the three systems' means."""
    pairs = np.array([(3 * q + a, 3 * q + b) for q in range(len(judge) // 3) for a, b in ((0, 1), (0, 2), (1, 2))])
    with_ties, without, _, _ = pairwise_agreement(judge, human, pairs)
    assert result["pairwise_agreement_with_ties"].value == pytest.approx(with_ties)
    assert result["pairwise_agreement_without_ties"].value == pytest.approx(without)
    means = [(judge[i::3].mean(), human[i::3].mean()) for i in range(3)]
    assert result["system_spearman"].value == pytest.approx(stats.spearmanr(*zip(*means))[0])


# ---------------------------------------------------------------- other rubric scales: AudioBench's 0-5 and 0/1


def _ratings_on(labels: tuple[int, ...], seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    human = rng.integers(labels[0], labels[-1] + 1, n)
    judge = np.clip(human + rng.integers(-1, 2, n) * (rng.random(n) < 0.4), labels[0], labels[-1])
    return judge, human


@pytest.mark.parametrize("scale", [(0, 5), (0, 1)])
@pytest.mark.parametrize("seed", range(4))
def test_other_scales_equal_scipy_sklearn_krippendorff(scale: tuple[int, int], seed: int) -> None:
    labels = labels_of(scale)
    judge, human = _ratings_on(labels, seed, n=[150, 23, 7, 60][seed])
    table = contingency(judge, human, labels)
    assert table.shape == (len(labels), len(labels))  # a 0/1 scale is a 2x2 table
    ours = table_statistics(table, labels)
    assert ours["pearson"] == pytest.approx(stats.pearsonr(judge, human)[0], abs=1e-12)
    assert ours["spearman"] == pytest.approx(stats.spearmanr(judge, human)[0], abs=1e-12)
    assert ours["kendall_tau_b"] == pytest.approx(stats.kendalltau(judge, human, variant="b")[0], abs=1e-12)
    assert ours["quadratic_kappa"] == pytest.approx(
        cohen_kappa_score(judge, human, weights="quadratic", labels=list(labels)), abs=1e-12)
    alpha = krippendorff.alpha(reliability_data=np.vstack([judge, human]).astype(float), level_of_measurement="ordinal",
                               value_domain=list(labels))
    assert ours["krippendorff_alpha_ordinal"] == pytest.approx(alpha, abs=1e-12)
    assert ours["exact_agreement"] == pytest.approx(np.mean(judge == human))
    if len(labels) > 2:
        assert ours["within_one_agreement"] == pytest.approx(np.mean(np.abs(judge - human) <= 1))
    else:  # every pair of 0/1 scores is within 1: not reported
        assert ours["within_one_agreement"] is None
        assert ours["quadratic_kappa"] == pytest.approx(cohen_kappa_score(judge, human), abs=1e-12)  # = plain kappa
        assert ours["krippendorff_alpha_ordinal"] == pytest.approx(krippendorff.alpha(
            reliability_data=np.vstack([judge, human]).astype(float), level_of_measurement="nominal"), abs=1e-12)


def test_zero_to_five_kappa_uses_the_full_zero_to_five_weights() -> None:
    judge, human = np.array([0, 1, 5, 1, 0]), np.array([0, 1, 1, 5, 0])  # 2, 3 and 4 unused
    ref = cohen_kappa_score(judge, human, weights="quadratic", labels=[0, 1, 2, 3, 4, 5])
    assert table_statistics(contingency(judge, human, labels_of((0, 5))), labels_of((0, 5)))["quadratic_kappa"] == pytest.approx(ref)


@pytest.mark.parametrize("scale", [(0, 5), (0, 1)])
def test_bootstrap_items_on_other_scales(scale: tuple[int, int]) -> None:
    labels = labels_of(scale)
    judge, human = _ratings_on(labels, 4, 90)
    items = Items(judge, human, [f"q{i // 3}" for i in range(90)], [f"m{i % 3}" for i in range(90)], labels)
    result = bootstrap_stats(items.n_questions, items.statistics, n_boot=100, seed=2)
    assert result["pearson"].value == pytest.approx(stats.pearsonr(judge, human)[0])
    assert result["quadratic_kappa"].value == pytest.approx(
        cohen_kappa_score(judge, human, weights="quadratic", labels=list(labels)))
    assert result["exact_agreement"].ci_low <= result["exact_agreement"].value <= result["exact_agreement"].ci_high
    assert (result["within_one_agreement"].value is None) == (len(labels) == 2)
    _assert_pairwise_and_system_spearman(result, judge, human)


def test_items_refuse_scores_off_their_scale() -> None:
    with pytest.raises(ValueError, match="outside 0-1"):
        Items([0, 1, 2], [0, 1, 1], ["q0", "q1", "q2"], ["m", "m", "m"], labels_of((0, 1)))
    with pytest.raises(ValueError, match="outside 1-5"):
        Items([0, 1], [1, 1], ["q0", "q1"], ["m", "m"])  # a 0 never lands in a 1-5 table
    with pytest.raises(ValueError, match="two or more"):
        labels_of((1, 1))
