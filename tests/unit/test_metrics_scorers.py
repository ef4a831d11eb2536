"""Sample-level scorers: normalisation, flags (empty/refusal/extract_fail/wrong_language), statistics.

Refusal, wrong-language and answer-extraction heuristics belong to other modules with their own
tests; here they are replaced by tiny deterministic stand-ins so these tests check only how the
scorers use them. The text normalisers are the real ones.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass

import jiwer
import pytest
import sacrebleu
from sklearn.metrics import f1_score

from seabench.metrics import (
    BLEU,
    CER,
    WER,
    Accuracy,
    ChoiceScorer,
    ChrFpp,
    ErrorRateScorer,
    FlagRate,
    LabelScorer,
    MacroF1,
    MeanMetric,
    TranslationScorer,
    flag_rates,
)
from seabench.metrics import flags
from seabench.normalize import get_normalizer
from seabench.types import Sample, Score


@dataclass(frozen=True)
class _Extracted:
    index: int | None
    method: str


def _extract(text: str, options: list[str]) -> _Extracted:
    clean = text.strip().rstrip(".")
    if len(clean) == 1 and "A" <= clean.upper() < chr(ord("A") + len(options)):
        return _Extracted(ord(clean.upper()) - ord("A"), "letter")
    folded = [o.casefold() for o in options]
    if clean.casefold() in folded:
        return _Extracted(folded.index(clean.casefold()), "option_text")
    return _Extracted(None, "none")


def _drop_think(text: str) -> str:
    return re.sub(r"<think>.*?</think>", " ", text, flags=re.S)


@pytest.fixture(autouse=True)
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    extract = types.ModuleType("seabench.extract")
    extract.is_refusal = lambda text: text.lower().startswith("sorry")  # type: ignore[attr-defined]
    extract.is_empty = lambda text: not any(c.isalnum() for c in _drop_think(text))  # type: ignore[attr-defined]
    extract.strip_reasoning = lambda text: _drop_think(text).strip()  # type: ignore[attr-defined]
    extract.extract_choice = lambda text, choices, language: _extract(text, choices)  # type: ignore[attr-defined]
    extract.extract_label = (  # type: ignore[attr-defined]
        lambda text, labels, language, kind=None: _extract(text, labels)
    )
    langid = types.ModuleType("seabench.langid")
    langid.is_wrong_language = lambda text, expected: text.startswith("[fr]")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "seabench.extract", extract)
    monkeypatch.setitem(sys.modules, "seabench.langid", langid)
    memos = (flags.unusable_reason, flags.final_answer, flags._wrong_language)
    for memo in memos:  # results of the stand-ins must not leak into other tests
        memo.cache_clear()
    yield
    for memo in memos:
        memo.cache_clear()


def _asr(reference: str | list[str], language: str, sid: str = "s") -> Sample:
    return Sample(id=sid, reference=reference, language=language)


WER_SCORER = ErrorRateScorer("wer", "word")
CER_SCORER = ErrorRateScorer("cer", "char")


def test_wer_scorer_normalises_both_sides() -> None:
    score = WER_SCORER.score(_asr("The cat sat on the mat.", "en"), "the cat, sat on mat")
    assert score.stats == {"sub": 0.0, "del": 1.0, "ins": 0.0, "hits": 5.0, "ref_len": 6.0}
    assert score.value == pytest.approx(1 / 6)
    assert score.answer == "the cat sat on mat"
    assert score.flags == []


def test_thai_wer_uses_newmm_words_and_cer_keeps_marks() -> None:
    sample = _asr("ฉันไปโรงเรียนทุกวัน", "th")
    output = "ฉันไปโรงเรียน"
    words = WER_SCORER.score(sample, output)
    ref_words = get_normalizer("th").words(sample.reference)
    assert len(ref_words) > 3  # segmented, not one whitespace "word"
    assert words.stats["ref_len"] == len(ref_words)
    assert words.stats["del"] >= 1 and words.stats["sub"] + words.stats["ins"] == 0
    assert words.answer == " ".join(get_normalizer("th").words(output))
    chars = CER_SCORER.score(sample, output)
    assert chars.stats["ref_len"] == len("ฉันไปโรงเรียนทุกวัน")  # every mark is a character
    assert chars.stats["del"] == len("ทุกวัน") and chars.stats["hits"] == len(output)


def test_chinese_cer_is_on_characters_without_punctuation() -> None:
    score = CER_SCORER.score(_asr("今天天气很好。", "zh"), "今天天气真好")
    assert score.stats == {"sub": 1.0, "del": 0.0, "ins": 0.0, "hits": 5.0, "ref_len": 6.0}


@pytest.mark.parametrize(
    ("output", "flag"),
    [("", "empty"), ("   ", "empty"), ("...", "empty"), ("<think>no idea</think>", "empty"),
     ("Sorry, I cannot transcribe this.", "refusal")],
)
def test_empty_or_refused_transcript_is_all_deletions(output: str, flag: str) -> None:
    score = WER_SCORER.score(_asr("selamat pagi semua", "ms"), output)
    assert score.stats == {"sub": 0.0, "del": 3.0, "ins": 0.0, "hits": 0.0, "ref_len": 3.0}
    assert score.value == 1.0 and score.flags == [flag]


def test_reasoning_block_is_not_scored() -> None:
    score = WER_SCORER.score(_asr("selamat pagi semua", "ms"), "<think>Malay greeting.</think> Selamat pagi semua!")
    assert score.value == 0.0 and score.answer == "selamat pagi semua"


def test_wrong_language_is_flagged_but_still_scored() -> None:
    score = WER_SCORER.score(_asr("xin chào các bạn", "vi"), "[fr] bonjour")
    assert score.flags == ["wrong_language"]
    assert score.stats["ref_len"] == 4 and score.stats["hits"] == 0


def test_closest_of_several_references_is_used() -> None:
    score = WER_SCORER.score(_asr(["saya mau pergi", "saya ingin pergi ke pasar"], "id"), "saya ingin pergi ke pasar")
    assert score.stats["ref_len"] == 5 and score.value == 0.0


def test_sample_without_reference_is_unscored() -> None:
    assert WER_SCORER.score(_asr([], "en"), "hello").value is None


def test_corpus_wer_from_scorer_equals_jiwer_on_normalised_text() -> None:
    data = [("Hello world, how are you?", "hello word how are you"), ("Good morning.", ""),
            ("It costs 20 dollars", "it costs twenty dollars today")]
    samples = [_asr(ref, "en", str(i)) for i, (ref, _) in enumerate(data)]
    scores = [WER_SCORER.score(s, hyp) for s, (_, hyp) in zip(samples, data, strict=True)]
    norm = get_normalizer("en")
    expected = jiwer.wer([norm.normalize(r) for r, _ in data], [norm.normalize(h) for _, h in data])
    assert WER().compute(scores).value == pytest.approx(expected)
    cer_scores = [CER_SCORER.score(s, hyp) for s, (_, hyp) in zip(samples, data, strict=True)]
    expected_cer = jiwer.wer([" ".join(norm.chars(r)) for r, _ in data], [" ".join(norm.chars(h)) for _, h in data])
    assert CER().compute(cer_scores).value == pytest.approx(expected_cer)


def _mt(ref: str | list[str], target: str, sid: str = "t") -> Sample:
    return Sample(id=sid, reference=ref, language="en", target_language=target)


def test_translation_scorer_picks_tokenizer_and_matches_sacrebleu() -> None:
    data = [("今天天气很好。", "今天天气很好，我们去公园吧。"), ("我想买两张票。", "我要买两张票。"),
            ("", "他在图书馆看书。"), ("Sorry, I can't translate that.", "请关门。")]
    scorer = TranslationScorer()
    scores = [scorer.score(_mt(ref, "zh-CN", str(i)), hyp) for i, (hyp, ref) in enumerate(data)]
    assert all(s.stats["tok_zh"] == 1.0 for s in scores)
    assert [s.flags for s in scores] == [[], [], ["empty"], ["refusal"]]
    hyps = [h if not s.flags else "" for (h, _), s in zip(data, scores, strict=True)]
    refs = [[r for _, r in data]]
    bleu = BLEU().compute(scores)
    assert bleu.value == sacrebleu.corpus_bleu(hyps, refs, tokenize="zh").score
    assert ChrFpp().compute(scores).value == sacrebleu.corpus_chrf(hyps, refs, word_order=2).score
    assert "tok:zh" in bleu.details["signature"]


def test_translation_value_is_sentence_chrfpp_and_hypothesis_is_stripped() -> None:
    score = TranslationScorer().score(_mt(["Good morning!", "Morning!"], "en"), "  Good morning \n")
    assert score.answer == "Good morning"
    assert score.value == pytest.approx(
        sacrebleu.sentence_chrf("Good morning", ["Good morning!", "Morning!"], word_order=2).score
    )
    assert score.stats["nrefs"] == 2 and score.stats["tok_13a"] == 1.0


def test_translation_tokenizer_override_and_thai_char() -> None:
    assert TranslationScorer().score(_mt("สวัสดีครับ", "th"), "สวัสดี").stats["tok_char"] == 1.0
    assert TranslationScorer(tokenize="13a").score(_mt("สวัสดีครับ", "th"), "สวัสดี").stats["tok_13a"] == 1.0


def _mcq(label: str, sid: str = "q") -> Sample:
    return Sample(id=sid, choices=["dog barking", "car horn", "rain"], label=label, language="en")


@pytest.mark.parametrize(
    ("output", "label", "value", "answer", "flags"),
    [("B", "car horn", 1.0, "car horn", []), ("b.", "B", 1.0, "car horn", []), ("rain", "B", 0.0, "rain", []),
     ("I think it might be a bird", "A", 0.0, None, ["extract_fail"]), ("", "A", 0.0, None, ["empty"]),
     ("Sorry, I can't answer.", "A", 0.0, None, ["refusal"])],
)
def test_choice_scorer(output: str, label: str, value: float, answer: str | None, flags: list[str]) -> None:
    score = ChoiceScorer().score(_mcq(label), output)
    assert (score.value, score.answer, score.flags) == (value, answer, flags)


def test_choice_gold_outside_options_is_unscored() -> None:
    assert ChoiceScorer().score(_mcq("thunder"), "A").value is None


def test_accuracy_counts_extraction_failures_as_wrong() -> None:
    outputs = ["A", "B", "no idea", "C", ""]
    scores = [ChoiceScorer().score(_mcq("A", str(i)), out) for i, out in enumerate(outputs)]
    acc = Accuracy().compute(scores)
    assert acc.value == pytest.approx(1 / 5) and acc.n == 5 and acc.n_failed == 0
    rates = {m.name: m.compute(scores).value for m in flag_rates("choice")}
    assert rates == {"empty_rate": 0.2, "refusal_rate": 0.0, "extract_fail_rate": 0.2, "wrong_language_rate": 0.0}


def test_label_scorer_and_macro_f1_match_sklearn() -> None:
    labels = ("happy", "sad", "angry", "neutral")
    gold = ["happy", "sad", "sad", "angry", "neutral", "happy", "angry", "sad"]
    outputs = ["happy", "Sad", "angry", "angry", "hmm", "sad", "angry", "sad"]
    scorer = LabelScorer(labels=labels, kind="emotion")
    samples = [Sample(id=str(i), label=g, language="id") for i, g in enumerate(gold)]
    scores = [scorer.score(s, o) for s, o in zip(samples, outputs, strict=True)]
    assert scores[4].flags == ["extract_fail"] and scores[4].stats["pred"] == -1
    y_true = [labels.index(g) for g in gold]
    y_pred = [int(s.stats["pred"]) for s in scores]
    expected = f1_score(y_true, y_pred, labels=[0, 1, 2, 3], average="macro")
    value = MacroF1().compute(scores)
    assert value.value == pytest.approx(expected)
    assert value.ci_low <= value.value <= value.ci_high
    assert Accuracy(scorer="label").compute(scores).value == pytest.approx(5 / 8)


def test_label_scorer_uses_sample_choices_when_no_label_set() -> None:
    sample = Sample(id="g", choices=["male", "female"], label="Female", language="th")
    assert LabelScorer().score(sample, "female").value == 1.0


def test_mean_metric_excludes_unscored() -> None:
    scores = [Score(value=v) for v in (5.0, 3.0, None, 4.0)]
    value = MeanMetric("judge_score", "judge").compute(scores)
    assert value.value == pytest.approx(4.0) and value.n == 3 and value.n_failed == 1
    assert 3.0 <= value.ci_low <= value.ci_high <= 5.0


def test_flag_rate_over_all_samples() -> None:
    scores = [Score(value=None, flags=["refusal"]), Score(value=1.0), Score(value=0.0),
              Score(value=0.0, flags=["refusal"])]
    value = FlagRate("refusal", "choice").compute(scores)
    assert value.name == "refusal_rate" and value.value == 0.5 and value.direction == "lower" and value.n == 4
