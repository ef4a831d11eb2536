"""Answer extraction against hand-labelled golden answers in six languages."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from seabench.extract import METHODS, ExtractResult, extract_choice, extract_label, is_empty, strip_reasoning
from seabench.extract.choice import option_text

GOLDEN = Path(__file__).parent / "golden" / "extract"
CHOICE = yaml.safe_load((GOLDEN / "choice_cases.yaml").read_text(encoding="utf-8"))
LABEL = yaml.safe_load((GOLDEN / "label_cases.yaml").read_text(encoding="utf-8"))


def _choice(case: dict):  # type: ignore[no-untyped-def]
    return extract_choice(case["answer"], CHOICE["choice_sets"][case["set"]], case["lang"])


@pytest.mark.parametrize("case", CHOICE["cases"], ids=[c["id"] for c in CHOICE["cases"]])
def test_choice_golden(case: dict) -> None:
    result = _choice(case)
    assert (result.index, result.method) == (case["expected"], case["method"])


def test_choice_golden_set_covers_every_language_and_enough_cases() -> None:
    cases = CHOICE["cases"]
    assert len(cases) >= 60
    assert {c["lang"] for c in cases} == {"en", "id", "ms", "vi", "th", "zh"}
    assert {c["method"] for c in cases} == {"exact", "marker", "letter", "option_text", "conflict", "none"}


def test_accuracy_and_extract_fail_rate_match_hand_tally() -> None:
    """Numbers counted by hand from the golden file's header; a scorer would report these."""
    results = [_choice(c) for c in CHOICE["cases"]]
    n = len(results)

    def right(r: ExtractResult, c: dict) -> bool:
        options = CHOICE["choice_sets"][c["set"]]
        return r.index is not None and options[r.index] == options[c["gold"]]

    accuracy = Fraction(sum(right(r, c) for r, c in zip(results, CHOICE["cases"])), n)
    fail_rate = Fraction(sum(r.index is None for r in results), n)
    assert n == 86
    assert accuracy == Fraction(46, 86)
    assert fail_rate == Fraction(21, 86)


@pytest.mark.parametrize("case", LABEL["cases"], ids=[c["id"] for c in LABEL["cases"]])
def test_label_golden(case: dict) -> None:
    result = extract_label(case["answer"], LABEL["label_sets"][case["set"]], case["lang"], case["kind"])
    assert result.index == case["expected"]
    assert result.method in METHODS
    assert (result.method == "none") == (case["expected"] is None)


def test_label_golden_set_size() -> None:
    assert len(LABEL["cases"]) >= 40
    assert {c["kind"] for c in LABEL["cases"]} >= {"gender", "emotion", "accent", "age", "language", "speaking_rate"}


def test_no_random_fallback_is_deterministic() -> None:
    choices = ["Dog barking", "Cat meowing"]
    assert {extract_choice("no idea at all", choices).index for _ in range(20)} == {None}


@pytest.mark.parametrize(
    ("answer", "n_choices", "expected"),
    [
        ("J", 10, 9),
        ("J", 4, None),  # letters that do not exist for this question are not answers
        ("I", 10, 8),
        ("I think the answer is C", 10, 2),  # "I" the pronoun is not option I
        ("b)", 4, 1),
        ("a", 4, 0),
        ("a dog", 4, None),
        ("Ｂ", 4, 1),  # full-width letter
        ("（Ｃ）", 4, 2),
    ],
)
def test_letters(answer: str, n_choices: int, expected: int | None) -> None:
    choices = [f"option number {i}" for i in range(n_choices)]
    assert extract_choice(answer, choices).index == expected


def test_single_parenthesised_letter_anywhere() -> None:
    choices = ["Dog barking", "Cat meowing", "Car horn"]
    assert extract_choice("It must be (B) given the pitch", choices) == ExtractResult(1, "paren_letter")
    assert extract_choice("Either (A) or (B)", choices).index is None


def test_option_text_is_mmau_token_rule_on_english() -> None:
    choices = ["Dog barking", "Dog barking and a car horn", "Cat meowing"]
    # Subset options: naming the longer one is not ambiguous, naming only the shorter one is that one.
    assert extract_choice("dog barking and a car horn", choices).index == 1
    assert extract_choice("barking dog", choices).index == 0  # word order does not matter
    assert extract_choice("a dog barking and a cat meowing", choices).index is None


def test_option_text_substring_for_thai_and_chinese_longest_first() -> None:
    assert extract_choice("声音来自男孩", ["男", "男孩", "女孩"], "zh").index == 1
    assert extract_choice("เป็นเสียงผู้หญิง", ["หญิง", "ผู้หญิงสูงอายุ", "ชาย"], "th").index == 0


def test_strip_reasoning() -> None:
    assert strip_reasoning("<think>A or B</think>\n**C**") == "C"
    assert strip_reasoning("<reasoning>long</reasoning>Answer: D") == "Answer: D"
    assert strip_reasoning("template put the opener in the prompt</think> B") == "B"
    assert strip_reasoning("<think>never finished") == ""


@pytest.mark.parametrize(
    ("text", "empty"),
    [("", True), ("   \n\t", True), ("...!?", True), ("<think>x</think>  ", True), ("。", True),
     ("B", False), ("ก", False), ("0", False), ("ok.", False)],
)
def test_is_empty(text: str, empty: bool) -> None:
    assert is_empty(text) is empty


def test_unknown_label_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown label kind"):
        extract_label("male", ["male", "female"], kind="height")


def test_unknown_labels_match_their_own_text() -> None:
    labels = ["laughter", "crying", "coughing"]
    assert extract_label("I hear someone coughing.", labels).index == 2
    assert extract_label("laughter then crying", labels).index is None


def _mmau_rule(prediction: str, gold: str, choices: list[str]) -> bool:
    """MMAU's published string-match rule, restated from its description for comparison."""

    def words(text: str) -> set[str]:
        return set(re.findall(r"\b\w+\b", text.lower()))

    said, own = words(prediction), words(gold)
    wrong = set().union(*(words(c) - own for c in choices if words(c) != own))
    return bool(said) and own <= said and said.isdisjoint(wrong)


ENGLISH_ANSWERS = [
    "Dog barking", "a dog is barking", "I hear a car horn.", "Rain falling on a roof", "cat", "meowing cat",
    "It is a dog barking, not a cat meowing.", "car horn and rain", "barking", "The sound of rain falling.",
    "Horn of a car", "Maybe the dog?", "falling rain, definitely", "", "Dog's barking!",
]


@pytest.mark.parametrize("answer", ENGLISH_ANSWERS)
def test_option_text_agrees_with_mmau_rule_on_english(answer: str) -> None:
    choices = CHOICE["choice_sets"]["en_sound"]
    picked = option_text(answer, choices)
    for gold_index, gold in enumerate(choices):
        assert (picked == gold_index) == _mmau_rule(answer, gold, choices)
