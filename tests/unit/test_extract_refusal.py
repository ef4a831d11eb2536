"""Refusal detection in six languages, next to answers that look like refusals but are not."""

from __future__ import annotations

import pytest

from seabench.extract import is_refusal

REFUSALS = [
    "I can't help with that.",
    "I'm sorry, but I cannot process audio files.",
    "As an AI language model, I am unable to listen to the recording.",
    "I don't have the ability to listen to audio.",
    "I am unable to determine the speaker's emotion from this clip.",
    "Maaf, saya tidak bisa membantu dengan permintaan itu.",
    "Saya tidak dapat mendengar audio tersebut.",
    "Maaf, saya tidak dapat memproses fail audio ini.",
    "Xin lỗi, tôi không thể giúp bạn với yêu cầu này.",
    "Tôi không thể nghe được tệp âm thanh.",
    "ขอโทษ ฉันไม่สามารถช่วยเรื่องนี้ได้",
    "ขออภัยครับ ผมไม่สามารถฟังไฟล์เสียงได้",
    "抱歉，我无法处理音频文件。",
    "对不起，我不能回答这个问题。",
    "作为一个AI，我没办法听音频。",
    "மன்னிக்கவும், என்னால் ஆடியோவைக் கேட்க முடியாது.",
    "<think>The user wants me to transcribe.</think>I'm sorry, but I can't assist with that.",
]

NOT_REFUSALS = [
    "",
    "B",
    "I can't be sure, but it sounds like a dog barking.",
    "I cannot tell for certain; however, the answer is B.",
    "Sorry for the wait, the answer is C.",
    "The speaker says: I can't hear you, can you repeat?",
    "I think the speaker cannot help laughing.",
    "Maaf, jawabannya adalah A.",
    "Saya tidak yakin, tetapi jawabannya C.",
    "Maaf ya, suaranya perempuan.",
    "Xin lỗi, đáp án là B.",
    "Tôi không chắc lắm, nhưng đáp án là A.",
    "ขอโทษครับ คำตอบคือ ข้อ B",
    "ผู้พูดบอกว่าขอโทษที่มาสาย",
    "抱歉，答案是B。",
    "说话人说他不能来了。",
    "我不确定，但是答案是C。",
]


@pytest.mark.parametrize("text", REFUSALS)
def test_refusals_detected(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize("text", NOT_REFUSALS)
def test_lookalikes_not_refusals(text: str) -> None:
    assert not is_refusal(text)
