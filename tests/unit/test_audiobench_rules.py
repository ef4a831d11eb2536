"""AudioBench's rules restated (ASR clean-up, judge-scale mapping, Spoken-MQA numbers), the
catalogue against AudioBench's own dataset list, its rubrics, and the suites built from it."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from seabench import Sample, Score
from seabench.judging import load_rubric
from seabench.judging.phase import NOT_SENT
from seabench.registry import registry
from seabench.tasks.audiobench_judge import SCALE_MAX, AudioBenchJudgeScore
from seabench.tasks.audiobench_wer import AudioBenchWerScorer, clean
from seabench.tasks.codeswitch import MixedErrorRateScorer, mixed_units
from seabench.tasks.datasets.audiobench import choice_label, gold_label, parse_choices
from seabench.tasks.datasets.audiobench_catalog import ENTRIES, SHARED_ASR, SHARED_OTHER, SHARED_S2TT
from seabench.tasks.math_answer import NumberAnswerScorer, answer_number

# Every dataset name AudioBench's src/dataset.py loads (its private YouTube sets aside).
AUDIOBENCH_DATASETS = """
cn_college_listen_mcq_test slue_p2_sqa5_test public_sg_speech_qa_test dream_tts_mcq_test librispeech_test_clean
librispeech_test_other common_voice_15_en_test peoples_speech_test gigaspeech_test earnings21_test earnings22_test
tedlium3_test tedlium3_long_form_test openhermes_audio_test alpaca_audio_test audiocaps_test wavcaps_test
clotho_aqa_test audiocaps_qa_test wavcaps_qa_test voxceleb_accent_test voxceleb_gender_test iemocap_gender_test
iemocap_emotion_test meld_sentiment_test meld_emotion_test covost2_en_id_test covost2_en_zh_test covost2_en_ta_test
covost2_id_en_test covost2_zh_en_test covost2_ta_en_test aishell_asr_zh_test spoken_squad_test muchomusic_test
imda_part1_asr_test imda_part2_asr_test imda_part3_30s_asr_test imda_part4_30s_asr_test imda_part5_30s_asr_test
imda_part6_30s_asr_test imda_part3_30s_sqa_human_test imda_part4_30s_sqa_human_test imda_part5_30s_sqa_human_test
imda_part6_30s_sqa_human_test imda_part3_30s_ds_human_test imda_part4_30s_ds_human_test imda_part5_30s_ds_human_test
imda_part6_30s_ds_human_test imda_ar_sentence imda_ar_dialogue imda_gr_sentence imda_gr_dialogue seame_dev_man
seame_dev_sge mmau_mini gigaspeech2_thai gigaspeech2_indo gigaspeech2_viet spoken-mqa_short_digit
spoken-mqa_long_digit spoken-mqa_single_step_reasoning spoken-mqa_multi_step_reasoning cna_test idpc_test
parliament_test ukusnews_test mediacorp_test idpc_short_test parliament_short_test ukusnews_short_test
mediacorp_short_test nlb_asr_test
""".split()


# -- the catalogue --------------------------------------------------------------------------------

def test_catalogue_covers_audiobench_with_one_task_each() -> None:
    registered = {e.audiobench for e in ENTRIES} | set(SHARED_ASR) | set(SHARED_S2TT) | set(SHARED_OTHER)
    assert set(AUDIOBENCH_DATASETS) <= registered, sorted(set(AUDIOBENCH_DATASETS) - registered)
    names = [e.task for e in ENTRIES]
    assert len(names) == len(set(names))
    tasks = registry().tasks()
    assert all(name in tasks for name in names + [t for t, _ in SHARED_ASR.values()] + list(SHARED_S2TT.values()))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.task)
def test_each_task_reports_audiobenchs_metric_beside_its_own(entry) -> None:  # noqa: ANN001
    task = registry().tasks()[entry.task]
    metrics = {m.name for m in task.metrics}
    expected = {"wer": "wer_audiobench_rule", "llama3_70b_judge": "judge_score_audiobench_rule",
                "llama3_70b_judge_binary": "judge_score_audiobench_rule", "acc": "accuracy"}[entry.metric]
    assert expected in metrics and task.primary_metric in metrics
    if entry.metric.startswith("llama3"):
        rubric = load_rubric(task.rubric or "")
        assert rubric.scale_max == (1 if entry.metric.endswith("binary") else 5) and rubric.scale_min == 0
    assert "docs/DATASETS.md" in task.data_status().hint


def test_shared_sets_also_report_audiobenchs_wer() -> None:
    tasks = registry().tasks()
    for name, rule in SHARED_ASR.values():
        scorers = {s.name: s for s in tasks[name].scorers}
        assert scorers["wer_audiobench_rule"].rule == rule, name


# -- AudioBench's ASR clean-up --------------------------------------------------------------------

@pytest.mark.parametrize("rule, text, words", [
    ("english", "[noise] Um, I can't pay 20 dollars (laughs) for the Colour TV.",
     "i can not pay $twenty for the color tv"),  # Whisper writes $20, then AudioBench spells 20 out
    ("english", "Café NAÏVE résumé", "cafe naive resume"),
    ("english", "It's twelve o'clock, uh, okay?", "it is 120 clock okay"),  # Whisper reads "o" after 12 as 0
    ("english", "It rose 25% to $3.50", "it rose 25 to $threefifty"),
    ("code_switch", "我们 去 shopping 吧, OK?", "我 们 去 shopping 吧 ok"),
    ("imda_part4", "வணக்கம், I am fine lah", "வணக்கம் i am fine lah"),
    ("thai_raw", "วันนี้อากาศดี!", "วันนี้ อากาศ ดี !"),
    ("vietnamese", "Xin chào, các BẠN!", "xin chào các bạn"),
    ("english", "  (laughs) ", "empty"),
])
def test_audiobench_clean_up(rule: str, text: str, words: str) -> None:
    assert clean(text, rule) == words.split()  # type: ignore[arg-type]


def test_audiobench_wer_differs_from_ours_where_its_rule_is_wrong_for_thai() -> None:
    """AudioBench's Thai WER keeps punctuation as words; SeaBench's normaliser drops it."""
    from seabench.metrics import ErrorRateScorer

    sample = Sample(id="t", reference="วันนี้อากาศดีมาก", language="th")
    ours = ErrorRateScorer("wer", "word").score(sample, "วันนี้อากาศดีมาก!")
    theirs = AudioBenchWerScorer("thai_raw").score(sample, "วันนี้อากาศดีมาก!")
    assert ours.value == 0.0 and theirs.value > 0 and theirs.stats["ins"] == 1.0


def test_empty_answer_is_the_word_empty_for_audiobench_and_all_deletions_for_us() -> None:
    sample = Sample(id="e", reference="one two three four", language="en")
    theirs = AudioBenchWerScorer().score(sample, "")
    assert theirs.stats["sub"] == 1.0 and theirs.stats["del"] == 3.0


# -- mixed error rate -----------------------------------------------------------------------------

def test_mixed_error_rate_counts_chinese_characters_and_english_words() -> None:
    assert mixed_units("我們去 Shopping 吧!") == ["我", "们", "去", "shopping", "吧"]
    sample = Sample(id="c", reference="我们去 shopping 吧", language="zh")
    score = MixedErrorRateScorer().score(sample, "我们去 shop 吧")
    assert score.stats["sub"] == 1.0 and score.stats["ref_len"] == 5.0
    assert MixedErrorRateScorer().score(sample, "").stats["del"] == 5.0


# -- judge-scale mapping --------------------------------------------------------------------------

def test_judge_scores_map_to_audiobenchs_hundred_point_scale() -> None:
    judged = [Score(value=4.0), Score(value=None, flags=["unscored"]), Score(value=5.0)]
    value = AudioBenchJudgeScore(5).compute(judged)
    assert value.value == pytest.approx((80 + 0 + 100) / 3) and value.n == 3  # unscored counts 0, as AudioBench's
    assert AudioBenchJudgeScore(1).compute([Score(value=1.0), Score(value=0.0)]).value == 50.0
    minimum_only = [Score(value=0.0, flags=[NOT_SENT]), Score(value=None, flags=["unscored"])]
    assert AudioBenchJudgeScore(5).compute(minimum_only).value is None  # the judge itself scored nothing
    assert AudioBenchJudgeScore(5).compute([Score(value=None, flags=["unscored"])]).value is None  # no judge ran


@pytest.mark.parametrize("rubric_id", sorted(SCALE_MAX))
def test_audiobench_rubrics_restate_its_decisions(rubric_id: str) -> None:
    rubric = load_rubric(rubric_id)
    assert (rubric.scale_min, rubric.scale_max) == (0, SCALE_MAX[rubric_id])
    lowest = " ".join(rubric.lines(0)).lower()
    assert "cannot" in lowest and "language" in lowest  # refusals and wrong-language answers score 0
    assert "AudioBench" in rubric.criteria and rubric.inputs == ["audio", "question", "reference", "answer"]


# -- readers of AudioBench's columns --------------------------------------------------------------

def test_choices_in_every_shape_and_the_gold_option() -> None:
    lines = parse_choices("(A) Find a place.\n(B) Buy a map.\n(C) Get an address.")
    assert lines == ["Find a place.", "Buy a map.", "Get an address."]
    assert parse_choices("(A) Reggae (B) Pop music (C) Latin rock (D) Ska ") == ["Reggae", "Pop music", "Latin rock", "Ska"]
    assert parse_choices(["(A) Man", "(B) Woman"]) == ["Man", "Woman"]
    assert choice_label("(B) Buy a map.", lines) == "Buy a map."
    assert choice_label("Get an address.", lines) == "Get an address."


@pytest.mark.parametrize("reference, labels, kind, gold", [
    ("Judging by the voice, they are in a neutral state state.", ("anger", "neutral", "sad"), "emotion", "neutral"),
    ("The voice suggests the speaker may be feeling sad.", ("anger", "neutral", "sad"), "emotion", "sad"),
    ("Listening to it, there is a female speaker in this clip.", ("male", "female"), "gender", "female"),
    ("The speaker sounds like a male.", ("male", "female"), "gender", "male"),
    ("Their accent points to the Malay-speaking community of Singapore.", ("Chinese", "Malay", "Indian"), "accent",
     "Malay"),
    ("The speaker's sentiment is negative throughout.", ("neutral", "positive", "negative"), None, "negative"),
    ("It is hard to say.", ("male", "female"), "gender", None),
])
def test_gold_class_is_read_from_audiobenchs_reference_sentence(reference: str, labels: tuple, kind: str | None,
                                                                  gold: str | None) -> None:
    assert gold_label(reference, list(labels), kind) == gold


# -- Spoken-MQA numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("output, number", [
    ("Six times seven is 42.", Fraction(42)),
    ("First 3 + 4 = 7, then 7 x 2 = 14. The answer is: 14.", Fraction(14)),
    ("The answer is 1,200 dollars, not 1,000.", Fraction(1200)),
    ("<think>maybe 5</think> It is 2.50", Fraction(5, 2)),
    ("half: 1/2", Fraction(1, 2)),
    ("I do not know.", None),
])
def test_the_number_an_answer_gives(output: str, number: Fraction | None) -> None:
    assert answer_number(output) == number


def test_number_scorer_accepts_any_reference_and_flags_no_number() -> None:
    sample = Sample(id="m", reference=["#### 18", "18.0"], language="en")
    assert NumberAnswerScorer().score(sample, "So the total is 18.").value == 1.0
    assert NumberAnswerScorer().score(sample, "It is 81").value == 0.0
    failed = NumberAnswerScorer().score(sample, "no idea")
    assert failed.value == 0.0 and failed.flags == ["extract_fail"]


# -- suites ---------------------------------------------------------------------------------------

def test_suites_by_purpose() -> None:
    reg = registry()
    names = {suite: {t.name for t in reg.resolve_tasks(suite)} for suite in
             ("audiobench", "meralion", "sea-asr", "sea-understanding", "seabench-audio")}
    assert {e.task for e in ENTRIES} | {"mmau/test-mini", "asr/mnsc-part1", "s2tt/covost2-en-ta"} <= names["audiobench"]
    assert names["audiobench"] - names["meralion"] == {"asr/nlb"} | {t for t in names["audiobench"]
                                                                      if t.startswith("math/")}
    assert {"asr/gigaspeech2-th", "asr/mnsc-part4", "asr/seame-dev-sge", "asr/fleurs-ms"} <= names["sea-asr"]
    assert not {"asr/librispeech-clean", "asr/fleurs-en", "mini/asr-th"} & names["sea-asr"]
    assert {"s2tt/covost2-en-ta", "s2tt/fleurs-ms-en", "sqa/mnsc-part3", "sds/mnsc-part6", "seabench-audio/test",
            "paralinguistics/fleurs-gender-ta"} <= names["sea-understanding"]
    assert not {"sqa/spoken-squad", "asr/mnsc-part1", "mini/sqa-th"} & names["sea-understanding"]
    assert names["seabench-audio"] == {"seabench-audio/test"}


def _documented_names(text: str) -> set[str]:
    """Task names in docs/DATASETS.md, with `a-{x,y}` and `part{1..6}` groups expanded."""
    found: set[str] = set()
    for name in re.findall(r"`([a-z0-9-]+/[^`\s]+)`", text):
        parts = [name]
        while any("{" in n for n in parts):
            expanded = []
            for n in parts:
                m = re.search(r"\{([^}]*)\}", n)
                if not m:
                    expanded.append(n)
                    continue
                inner = m.group(1)
                values = ([str(i) for i in range(int(inner[0]), int(inner[-1]) + 1)] if ".." in inner
                          else inner.split(","))
                expanded += [n[:m.start()] + v + n[m.end():] for v in values]
            parts = expanded
        found.update(parts)
    return found


def test_every_real_dataset_task_is_documented() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "DATASETS.md").read_text(encoding="utf-8")
    documented = _documented_names(text)
    missing = [name for name in registry().tasks() if not name.startswith("mini/") and name not in documented]
    assert not missing, missing
