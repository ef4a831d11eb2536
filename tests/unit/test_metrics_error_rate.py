"""Corpus WER/CER/MER from edit counts: golden cases in several languages, checked against jiwer."""

from __future__ import annotations

import json
from pathlib import Path

import jiwer
import pytest

from seabench.metrics import CER, MER, WER, edit_stats
from seabench.types import Score

GOLDEN = json.loads((Path(__file__).parent / "golden" / "metrics" / "error_rate.json").read_text("utf-8"))["cases"]


def _scores(pairs: list[dict]) -> list[Score]:
    return [Score(stats=edit_stats(p["ref"], p["hyp"])) for p in pairs]


@pytest.mark.parametrize("case", GOLDEN, ids=[c["id"] for c in GOLDEN])
def test_golden_corpus_error_rate(case: dict) -> None:
    metric = WER() if case["unit"] == "word" else CER()
    value = metric.compute(_scores(case["pairs"]))
    exp = case["expected"]
    errors, ref_len = exp["sub"] + exp["del"] + exp["ins"], exp["sub"] + exp["del"] + exp["hits"]
    assert {k: value.details[k] for k in ("sub", "del", "ins", "hits")} == exp
    assert value.details["ref_len"] == ref_len
    assert value.value == pytest.approx(errors / ref_len, abs=1e-12)
    # Same number as jiwer's own corpus computation on the same tokens.
    refs = [" ".join(p["ref"]) for p in case["pairs"]]
    hyps = [" ".join(p["hyp"]) for p in case["pairs"]]
    assert value.value == pytest.approx(jiwer.wer(refs, hyps), abs=1e-12)
    assert value.direction == "lower"
    assert value.n == len(case["pairs"]) and value.n_failed == 0


def test_corpus_wer_is_not_mean_of_utterance_rates() -> None:
    pairs = GOLDEN[0]["pairs"]  # en: 1 deletion in 6 words, 1 insertion in 2 words
    value = WER().compute(_scores(pairs)).value
    per_utterance = [s.stats for s in _scores(pairs)]
    mean_rate = sum((st["sub"] + st["del"] + st["ins"]) / st["ref_len"] for st in per_utterance) / len(per_utterance)
    assert value == pytest.approx(2 / 8)
    assert mean_rate == pytest.approx((1 / 6 + 1 / 2) / 2)
    assert abs(value - mean_rate) > 0.05


def test_empty_hypothesis_is_all_deletions() -> None:
    st = edit_stats(["ฉัน", "ชอบ", "กิน"], [])
    assert st == {"sub": 0.0, "del": 3.0, "ins": 0.0, "hits": 0.0, "ref_len": 3.0}
    assert WER().compute([Score(stats=st)]).value == 1.0


def test_mer_from_same_stats() -> None:
    scores = _scores(GOLDEN[6]["pairs"])  # ms: S=1, I=1, H=2
    assert MER().compute(scores).value == pytest.approx(2 / 4)
    assert WER().compute(scores).value == pytest.approx(2 / 3)
    out = jiwer.process_words("apa khabar semua", "apa kabar semua lah")
    assert MER().compute(scores).value == pytest.approx(out.mer)


def test_unscored_samples_are_counted_not_aggregated() -> None:
    scores = _scores(GOLDEN[0]["pairs"]) + [Score(value=None, flags=["unscored"])]
    value = WER().compute(scores)
    assert value.n == 2 and value.n_failed == 1
    assert value.value == pytest.approx(0.25)
    nothing = WER().compute([Score(value=None)])
    assert nothing.value is None and nothing.n_failed == 1


def test_all_empty_references_give_no_value() -> None:
    value = WER().compute([Score(stats=edit_stats([], []))])
    assert value.value is None and value.n == 1


def test_edit_counts_equal_jiwers_on_random_token_lists() -> None:
    import random

    import jiwer

    from seabench.metrics.error_rate import edit_stats

    rng = random.Random(0)
    vocab = ["a", "b", "c", "d", "e", "the", "ไป", "我"]
    for _ in range(500):
        ref = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        hyp = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        out = jiwer.process_words([ref], [hyp], reference_transform=lambda s: s, hypothesis_transform=lambda s: s)
        assert edit_stats(ref, hyp) == {"sub": out.substitutions, "del": out.deletions, "ins": out.insertions,
                                        "hits": out.hits, "ref_len": len(ref)}
