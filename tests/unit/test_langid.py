"""Language identification and the conservative wrong-language flag."""

from __future__ import annotations

import pytest

from seabench.langid import compatible, detect_language, is_wrong_language, primary

CLEAR = [
    ("en", "The speaker sounds happy and excited about the trip to the beach."),
    ("id", "Pembicara terdengar sangat senang karena besok mereka akan berlibur ke Bali bersama keluarga."),
    ("vi", "Người nói nghe có vẻ vui vẻ và hào hứng về chuyến đi biển sắp tới."),
    ("th", "ผู้พูดฟังดูมีความสุขและตื่นเต้นกับการเดินทางไปทะเล"),
    ("zh", "说话人听起来很开心，对这次去海边的旅行很兴奋。"),
    ("ta", "பேச்சாளர் கடற்கரைப் பயணத்தைப் பற்றி மகிழ்ச்சியாக இருக்கிறார்."),
]


@pytest.mark.parametrize(("lang", "text"), CLEAR, ids=[lang for lang, _ in CLEAR])
def test_clear_sentences_identified(lang: str, text: str) -> None:
    detected, confidence = detect_language(text)
    assert compatible(detected, lang)
    assert confidence > 0.5
    assert not is_wrong_language(text, lang)


def test_detect_nothing_to_judge() -> None:
    assert detect_language("  12 345 !!") == ("und", 0.0)
    assert detect_language("<think>English reasoning here</think>") == ("und", 0.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Penutur kedengaran gembira dan teruja tentang perjalanan itu.", "id"),  # Malay for an id question
        ("Pembicara terdengar senang dan bersemangat tentang perjalanan itu.", "ms"),
        ("Saya tidak tahu jawapannya, maaf sekali ya.", "id-ID"),
        ("說話人聽起來很開心，對這次旅行很興奮。", "zh-TW"),  # traditional script, zh variants compatible
        ("说话人听起来很开心，对这次旅行很兴奋。", "yue"),
        ("说话人听起来很开心，对这次旅行很兴奋。", "cmn-Hans-CN"),
    ],
)
def test_compatible_languages_not_flagged(text: str, expected: str) -> None:
    assert not is_wrong_language(text, expected)


@pytest.mark.parametrize(
    "text", ["", "   ", "42", "12,345.6", "B", "OK", "Yes.", "C. 3", "Hello there!", "The answer is B."]
)
def test_short_or_numeric_not_flagged(text: str) -> None:
    assert not is_wrong_language(text, "th")
    assert not is_wrong_language(text, "vi")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The speaker sounds happy and excited about the trip.", "th"),  # English answer to a Thai question
        ("The speaker is a man with a deep and calm voice.", "vi"),
        ("The speaker is saying that he wants to go to the market tomorrow morning.", "id"),
        ("ผู้พูดฟังดูมีความสุขและตื่นเต้นกับการเดินทางไปทะเล", "en"),
        ("说话人听起来很开心，对这次去海边的旅行很兴奋。", "ms"),
        ("The speaker said สวัสดี which means hello in Thai.", "th"),  # one Thai word is not a Thai answer
        ("<think>คิดก่อน</think>The speaker sounds angry and tired today.", "th"),  # reasoning is not the answer
    ],
)
def test_wrong_language_flagged(text: str, expected: str) -> None:
    assert is_wrong_language(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jadi the speaker is saying bahwa dia mau pergi ke pasar besok pagi", "id"),
        ("ผู้พูดบอกว่า he wants to go to the market tomorrow", "th"),
        ("这个人的 voice 听起来很 happy，应该是女生", "zh"),
        ("Lah, this one very nice one leh, I tell you ah", "en"),
    ],
)
def test_code_switched_answers_not_flagged(text: str, expected: str) -> None:
    assert not is_wrong_language(text, expected)


def test_languages_the_identifier_cannot_judge_are_never_flagged() -> None:
    assert not is_wrong_language("The speaker sounds happy and excited about the trip.", "sw")


@pytest.mark.parametrize(
    ("code", "primary_tag"),
    [("th-TH", "th"), ("zh_Hant_TW", "zh"), ("fil", "tl"), ("zsm", "ms"), ("EN", "en"), ("yue-HK", "zh")],
)
def test_primary(code: str, primary_tag: str) -> None:
    assert primary(code) == primary_tag


def test_compatible_families() -> None:
    assert compatible("ms", "id") and compatible("zh-Hant", "yue")
    assert not compatible("th", "lo") and not compatible("en", "ms")


def test_identifier_loaded_once_and_restricted() -> None:
    from seabench.langid import LANGUAGES, _identifier

    for text in ("Saya tidak tahu jawapannya.", "Tôi không biết câu trả lời.", "ฉันไม่รู้คำตอบเลยจริงๆ"):
        detect_language(text)
    assert _identifier.cache_info().currsize == 1
    assert set(_identifier().nb_classes) <= set(LANGUAGES)


def test_japanese_kanji_counts_as_its_own_script() -> None:
    assert not is_wrong_language("話者は今日とても嬉しそうに旅行の話をしています。", "ja")
    assert is_wrong_language("The speaker sounds very happy about the trip today.", "ja")
