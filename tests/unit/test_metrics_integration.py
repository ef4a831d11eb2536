"""Scorers wired to the real normalisers, answer extractors and language identifier (clear-cut cases)."""

from __future__ import annotations

from seabench.metrics import WER, Accuracy, ChoiceScorer, ErrorRateScorer, LabelScorer, TranslationScorer, flag_rates
from seabench.types import Sample


def test_asr_refusal_and_wrong_language() -> None:
    sample = Sample(id="a", reference="สวัสดีครับ วันนี้อากาศดีมาก", language="th")
    scorer = ErrorRateScorer()
    refused = scorer.score(sample, "Sorry, I cannot transcribe this audio.")
    english = scorer.score(sample, "Hello, the weather is very nice today.")
    exact = scorer.score(sample, "สวัสดีครับ  วันนี้อากาศดีมาก!")
    assert refused.flags == ["refusal"] and refused.stats["del"] == refused.stats["ref_len"] > 1
    assert english.flags == ["wrong_language"]
    assert exact.flags == [] and exact.value == 0.0
    wer = WER().compute([refused, english, exact])
    assert wer.value is not None and wer.value > 2 / 3


def test_choice_and_label_with_real_extractors() -> None:
    sample = Sample(id="q", choices=["dog barking", "car horn", "rain"], label="car horn", language="en")
    outputs = ["The answer is B.", "<think>Maybe rain?</think>", "I cannot determine this from the audio.", "A"]
    scores = [ChoiceScorer().score(sample, out) for out in outputs]
    assert [s.flags for s in scores] == [[], ["empty"], ["refusal"], []]
    assert Accuracy().compute(scores).value == 0.25
    rates = {m.name: m.compute(scores).value for m in flag_rates("choice")}
    assert rates["empty_rate"] == rates["refusal_rate"] == 0.25
    gender = Sample(id="g", label="female", language="th")
    assert LabelScorer(labels=("male", "female"), kind="gender").score(gender, "ผู้หญิง").value == 1.0


def test_translation_into_the_wrong_language_is_flagged() -> None:
    sample = Sample(id="t", reference="Xin chào các bạn", language="en", target_language="vi")
    assert TranslationScorer().score(sample, "Hello everyone, how are you today?").flags == ["wrong_language"]
    assert TranslationScorer().score(sample, "Xin chào tất cả các bạn").flags == []
