"""Bootstrap CIs from sufficient statistics: deterministic, correct resampling, paired tests."""

from __future__ import annotations

import numpy as np
import pytest

from seabench.metrics import WER, Accuracy, edit_stats, paired_bootstrap, resample_sums
from seabench.metrics.base import safe_ratio
from seabench.types import Score


def _wer_scores(rng: np.random.Generator, n: int, p_error: float) -> list[Score]:
    scores = []
    for _ in range(n):
        ref = [f"w{int(x)}" for x in rng.integers(0, 50, size=int(rng.integers(3, 15)))]
        hyp = [w if rng.random() > p_error else "x" for w in ref]
        scores.append(Score(stats=edit_stats(ref, hyp)))
    return scores


def test_resample_sums_equal_explicit_index_resampling() -> None:
    mat = np.arange(30, dtype=float).reshape(10, 3) ** 1.5
    sums = resample_sums(mat, n_resamples=50, seed=3)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 10, size=(50, 10))
    assert np.allclose(sums, mat[idx].sum(axis=1))


def test_resample_stream_does_not_depend_on_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    mat = np.random.default_rng(0).random((40, 2))
    whole = resample_sums(mat, 100, seed=5)
    monkeypatch.setattr("seabench.metrics.bootstrap._BLOCK_ENTRIES", 40 * 7)
    assert np.allclose(whole, resample_sums(mat, 100, seed=5))


def test_a_draw_holds_one_block_of_multiplicities() -> None:
    """Issue 14's memory goal: resampling 25,000 items holds one 16 MB block of multiplicities and a 2 MB
    array of indices at a time (a new block and index array beside the previous ones took 47 MB), and the
    draw is still the one a single call to the generator gives."""
    import tracemalloc

    from seabench.metrics import bootstrap

    n = 25_000
    mat = np.random.default_rng(2).integers(0, 30, size=(n, 3)).astype(float)
    tracemalloc.start()
    try:
        sums = resample_sums(mat, 200, seed=9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    block = 8 * bootstrap._BLOCK_ENTRIES
    assert peak < 1.4 * block, peak / 2**20
    idx = np.random.default_rng(9).integers(0, n, size=(200, n))
    assert np.array_equal(sums, np.stack([np.bincount(row, minlength=n) for row in idx]) @ mat)


def test_ci_contains_point_and_is_deterministic() -> None:
    scores = _wer_scores(np.random.default_rng(1), 200, 0.15)
    a, b = WER().compute(scores, seed=11), WER().compute(scores, seed=11)
    assert a == b
    assert a.ci_low is not None and a.ci_high is not None
    assert a.ci_low < a.value < a.ci_high
    assert 0.05 < a.value < 0.3
    assert a.ci_high - a.ci_low < 0.1
    other = WER().compute(scores, seed=12)
    assert (other.ci_low, other.ci_high) != (a.ci_low, a.ci_high)
    assert a.details["ci"] == {"method": "percentile bootstrap", "level": 0.95, "resamples": 1000, "seed": 11}


def test_ci_matches_a_direct_bootstrap_of_corpus_wer() -> None:
    scores = _wer_scores(np.random.default_rng(2), 60, 0.2)
    value = WER().compute(scores, seed=4)
    errors = np.array([s.stats["sub"] + s.stats["del"] + s.stats["ins"] for s in scores])
    lengths = np.array([s.stats["ref_len"] for s in scores])
    idx = np.random.default_rng(4).integers(0, 60, size=(1000, 60))
    direct = errors[idx].sum(axis=1) / lengths[idx].sum(axis=1)
    assert value.ci_low == pytest.approx(np.percentile(direct, 2.5))
    assert value.ci_high == pytest.approx(np.percentile(direct, 97.5))


def test_single_item_has_no_interval() -> None:
    value = Accuracy().compute([Score(value=1.0)])
    assert value.value == 1.0 and value.ci_low is None and value.ci_high is None


def _ratio(sums: np.ndarray) -> np.ndarray:
    return safe_ratio(sums[:, 0], sums[:, 1])


def test_paired_bootstrap_identical_systems() -> None:
    mat = np.column_stack([np.random.default_rng(0).integers(0, 2, 100), np.ones(100)])
    result = paired_bootstrap(mat, mat, _ratio, n=500, seed=0)
    assert result.delta == 0.0 and result.p_value == 1.0
    assert result.ci_low == result.ci_high == 0.0


def test_paired_bootstrap_detects_a_real_difference() -> None:
    rng = np.random.default_rng(9)
    better = (rng.random(300) < 0.8).astype(float)
    worse = np.where(rng.random(300) < 0.7, better, 0.0)  # same items, some correct answers lost
    a = np.column_stack([better, np.ones(300)])
    b = np.column_stack([worse, np.ones(300)])
    result = paired_bootstrap(a, b, _ratio, n=1000, seed=1)
    assert result.delta == pytest.approx(better.mean() - worse.mean())
    assert result.p_value < 0.01
    assert 0 < result.ci_low < result.delta < result.ci_high
    assert result == paired_bootstrap(a, b, _ratio, n=1000, seed=1)


def test_paired_bootstrap_no_signal_for_noise() -> None:
    rng = np.random.default_rng(4)
    a = np.column_stack([(rng.random(200) < 0.6).astype(float), np.ones(200)])
    b = np.column_stack([(rng.random(200) < 0.6).astype(float), np.ones(200)])
    result = paired_bootstrap(a, b, _ratio, n=1000, seed=2)
    assert result.p_value > 0.05
    assert result.ci_low < 0 < result.ci_high


def test_metric_paired_drops_items_either_side_failed() -> None:
    a = [Score(value=1.0), Score(value=1.0), Score(value=None), Score(value=0.0)]
    b = [Score(value=0.0), Score(value=None), Score(value=1.0), Score(value=0.0)]
    result = Accuracy().paired(a, b, seed=0)
    assert result.n == 2 and result.delta == pytest.approx(0.5)


def test_paired_needs_the_same_items() -> None:
    with pytest.raises(ValueError):
        paired_bootstrap(np.ones((3, 2)), np.ones((4, 2)), _ratio)
