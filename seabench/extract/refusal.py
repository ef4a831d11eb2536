"""Refusal and empty-answer detection, counted per task as their own rates.

A refusal is a first-person "I can't help / answer / process audio" (or "as an AI ...") near the
start of the answer. Hedges that still answer ("I can't be sure, but it's B", "Maaf, jawabannya
A") are not refusals: an answer marker anywhere, or a "but ..." after a weak inability
("can't tell / determine / be sure"), clears the flag.
"""

from __future__ import annotations

import re

from seabench.extract._text import strip_reasoning, widen_fold

_OPENING_CHARS = 300

# Inabilities that refuse the task outright.
_STRONG = [
    # English
    r"\bi(?:'m|\s+am)?\s*(?:can(?:no|')t|can\s+not|am\s+unable\s+to|(?:'m|am)\s+not\s+able\s+to|won't|will\s+not|"
    r"unable\s+to|do\s+not\s+have\s+the\s+ability\s+to|don't\s+have\s+the\s+ability\s+to)\s+"
    r"(?:help|assist|answer|comply|fulfil+|provide|respond|process|listen|hear\s+(?:the\s+|this\s+|any\s+)?audio|"
    r"access|play|analy[sz]e|transcribe|translate|support|do\s+that)",
    r"\bas\s+an?\s+(?:ai|language\s+model|text-based)",
    r"\b(?:sorry|apologi[sz]e),?\s+(?:but\s+)?i\s+(?:can(?:no|')t|cannot|am\s+unable|'m\s+unable|won't)",
    r"\bi\s+(?:don't|do\s+not)\s+have\s+(?:access\s+to|the\s+ability\s+to\s+(?:listen|hear|process))"
    r"\s+(?:the\s+)?audio",
    # Indonesian / Malay
    r"\b(?:saya|aku)\s+(?:tidak|tak)\s+(?:bisa|dapat|boleh|mampu)\s+"
    r"(?:membantu|menjawab|mendengar(?:kan)?|memproses|memberikan|menerjemahkan|menterjemah|"
    r"mentranskripsikan|melakukan|menolong)",
    r"\bmaaf,?\s+(?:saya|aku)\s+(?:tidak|tak)\s+(?:bisa|dapat|boleh|mampu)",
    r"\bsebagai\s+(?:model\s+bahasa|ai|kecerdasan\s+buatan)",
    # Vietnamese
    r"\b(?:tôi|mình|em)\s+không\s+thể\s+"
    r"(?:giúp|trả\s+lời|nghe|xử\s+lý|cung\s+cấp|hỗ\s+trợ|dịch|phiên\s+âm|thực\s+hiện)",
    r"\bxin\s+lỗi,?\s+(?:nhưng\s+)?(?:tôi|mình|em)\s+không\s+(?:thể|có\s+khả\s+năng)",
    r"\blà\s+(?:một\s+)?(?:mô\s+hình\s+ngôn\s+ngữ|ai|trí\s+tuệ\s+nhân\s+tạo),?\s+tôi\s+không",
    # Thai
    r"(?:ขอโทษ|ขออภัย|เสียใจ)[^\n]{0,20}?ไม่สามารถ",
    r"(?:ฉัน|ผม|ดิฉัน|หนู)(?:ไม่สามารถ|ไม่อาจ)(?:ช่วย|ตอบ|ฟัง|ประมวลผล|ให้|แปล|ถอดความ|ทำ)",
    r"ในฐานะ(?:ที่เป็น)?(?:โมเดลภาษา|ปัญญาประดิษฐ์|เอไอ|AI)",
    # Chinese
    r"(?:抱歉|对不起|對不起|很遗憾|很遺憾|不好意思)[^\n]{0,12}?(?:我)?(?:无法|無法|不能|没办法|沒辦法)",
    r"我(?:无法|無法|不能|没办法|沒辦法)(?:帮|幫|回答|处理|處理|听|聽|提供|协助|協助|翻译|翻譯|转录|轉錄|完成)",
    r"作为(?:一个)?(?:AI|人工智能|语言模型)|作為(?:一個)?(?:AI|人工智能|語言模型)",
    # Tamil: "sorry ... cannot"
    r"மன்னிக்கவும்[^\n]{0,60}?முடியாது",
]
# Inabilities that are often hedges before an answer.
_WEAK = [
    r"\bi\s*(?:can(?:no|')t|can\s+not|(?:am|'m)\s+unable\s+to|(?:am|'m)\s+not\s+able\s+to)\s+"
    r"(?:determine|identify|tell|be\s+(?:sure|certain)|know|say)",
    r"\b(?:saya|aku)\s+(?:tidak|tak)\s+(?:bisa|dapat|boleh)\s+"
    r"(?:menentukan|memastikan|mengenal\s*pasti|mengetahui)",
    r"\b(?:tôi|mình)\s+không\s+thể\s+(?:xác\s+định|biết|nhận\s+ra|chắc)",
    r"ไม่สามารถ(?:ระบุ|บอก|ตัดสิน)",
    r"(?:无法|無法|不能)(?:确定|確定|判断|判斷|识别|識別)",
]
_STRONG_RE = re.compile("|".join(_STRONG), re.I)
_WEAK_RE = re.compile("|".join(_WEAK), re.I)
# An explicit answer statement anywhere means the model did answer.
_ANSWERED = re.compile(
    r"\banswer\s+(?:is|would\s+be|should\s+be)\b|\banswer\s*[:：]|"
    r"\bjawa[bp]an(?:nya)?(?:\s+\w+)?\s*(?:adalah|ialah|:)|\bjawa[bp]annya\b|"
    r"\bđáp\s+án(?:\s+\w+)?\s*(?:là|:)|\bcâu\s+trả\s+lời(?:\s+\w+)?\s*(?:là|:)|"
    r"คำตอบ(?:ที่ถูกต้อง)?\s*(?:คือ|:)|答案\s*(?:是|为|為|:|：)",
    re.I,
)
_CONTRAST = re.compile(r"\b(?:but|however|tapi|tetapi|namun|nhưng|song)\b|แต่|但|不过|不過", re.I)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
_WORDLIKE = re.compile(r"[^\W_]", re.U)


def _opening(text: str) -> str:
    return widen_fold(strip_reasoning(text or "")).translate(_APOSTROPHES)


def is_refusal(text: str) -> bool:
    """True when the model declines the task instead of answering it."""
    answer = _opening(text)
    if not answer or _ANSWERED.search(answer):
        return False
    head = answer[:_OPENING_CHARS]
    if _STRONG_RE.search(head):
        return True
    weak = _WEAK_RE.search(head)
    return weak is not None and not _CONTRAST.search(answer[weak.end():])


def is_empty(text: str) -> bool:
    """No letter or digit left once reasoning blocks are dropped (whitespace, '...', '<think>')."""
    return _WORDLIKE.search(strip_reasoning(text or "")) is None
