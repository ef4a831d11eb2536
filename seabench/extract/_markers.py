"""Answer markers ("the answer is", "jawabannya", "đáp án là", "คำตอบคือ", "答案是", ...).

A marker says where the model states its final answer; the text after it (the tail) is what
gets resolved to an option or label. Markers that lead nowhere are skipped, so a later clear
marker beats an earlier one and an unresolvable last marker falls back to the one before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_COPULA = (
    r"(?:\s*(?:is|was|would\s+be|should\s+be|will\s+be|must\s+be|adalah|ialah|iaitu|yaitu|yakni|"
    r"là|คือ|ได้แก่|是|为|為)(?![a-zà-ỹ]))?"
)
_QUALIFIER = r"(?:\s+(?:yang\s+)?(?:benar|betul|tepat|paling\s+tepat|akhir|akhirnya|saya|terbaik))?"

_MARKERS = [
    # English
    r"\b(?:correct|right|best|final|most\s+likely|most\s+appropriate|my)\s+(?:answer|option|choice)\b",
    r"\b(?:the\s+)?answer\s*(?=(?:is|would|should|will|must)\b|[:：=])",
    r"\b(?:the\s+)?(?:correct|right)\s+one\b",
    r"\bi\s*(?:would|will|'d|'ll)?\s*(?:choose|pick|select|go\s+with)\b",
    r"\\boxed\{",
    # Indonesian / Malay
    r"\bjawa[bp]an(?:nya)?" + _QUALIFIER + r"(?:nya)?\b",
    r"\b(?:pilihan|opsi)\s+(?:yang\s+)?(?:benar|betul|tepat)\b",
    r"\b(?:saya|aku)\s+(?:memilih|pilih)\b",
    # Vietnamese
    r"\bđáp\s+án(?:\s+(?:đúng|chính\s+xác|cuối\s+cùng|của\s+tôi))?",
    r"\bcâu\s+trả\s+lời(?:\s+(?:đúng|chính\s+xác|cuối\s+cùng|của\s+tôi))?",
    r"\b(?:lựa\s+chọn|phương\s+án)\s+(?:đúng|chính\s+xác)\b",
    r"\b(?:tôi|em|mình)\s+chọn\b",
    # Thai ("ตอบ" alone also covers "คำตอบ"; the copula is consumed either way)
    r"คำตอบ(?:ที่ถูกต้อง|ที่ถูก|สุดท้าย)?",
    r"(?<!คำ)ตอบ",
    r"ตัวเลือกที่ถูกต้อง",
    r"(?:ขอ)?เลือก",
    # Chinese
    r"(?:正确|最终|最后的?)?答案",
    r"答(?=[:：])",
    r"(?:应该|应|我)?选(?:择)?(?!项)",
    r"正确的?选项",
]

_MARKER_RE = re.compile(f"(?:{'|'.join(_MARKERS)}){_COPULA}\\s*[:：=\\-–]?\\s*", re.I)


def marker_tails(text: str) -> Iterator[str]:
    """Tails after each marker, last marker first; `text` should be width-folded, not casefolded."""
    for match in sorted(_MARKER_RE.finditer(text), key=lambda m: m.start(), reverse=True):
        yield text[match.end():]


def has_marker(text: str) -> bool:
    return _MARKER_RE.search(text) is not None


_SENTENCE_END = re.compile(r"\n|[.!?](?=\s|$)|[。！？]")


def first_sentence(text: str) -> str:
    """The tail up to the end of its sentence: option text is looked for only there."""
    end = _SENTENCE_END.search(text)
    return text[: end.start()] if end else text
