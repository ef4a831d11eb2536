"""Language codes used across tasks, prompts and reports."""

from __future__ import annotations

import re

NAMES = {
    "en": "English", "id": "Indonesian", "ms": "Malay", "vi": "Vietnamese", "th": "Thai", "zh": "Chinese",
    "ta": "Tamil", "tl": "Filipino", "km": "Khmer", "lo": "Lao", "my": "Burmese", "yue": "Cantonese",
    "ja": "Japanese", "ko": "Korean", "fr": "French", "de": "German", "es": "Spanish", "ar": "Arabic",
}


# ISO 639-1 codes, plus the three-letter codes SEA corpora use (cmn, yue, zsm, fil, nan ...)
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el
en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu
ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na
nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so
sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())
THREE_LETTER = frozenset({"cmn", "yue", "nan", "hak", "wuu", "zsm", "fil", "ceb", "ilo", "hil", "war", "ban",
                          "bug", "min", "ace", "mad", "sun", "jav", "tha", "vie", "ind", "msa", "zho", "chi",
                          "tam", "eng", "khm", "lao", "mya", "shn", "kac", "hmn", "und", "mul", "zxx"})
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def is_known(code: str) -> bool:
    """A BCP-47 tag whose primary subtag is a real language code (`th`, `en-SG`, `zh-Hant`, `cmn`)."""
    if not _BCP47.match(code):
        return False
    base = code.replace("_", "-").split("-")[0].lower()
    return base in ISO_639_1 or base in THREE_LETTER


def primary(code: str | None) -> str:
    """BCP-47 primary subtag, with Mandarin aliases folded into zh."""
    if not code:
        return "und"
    base = code.replace("_", "-").split("-")[0].lower()
    return "zh" if base in ("cmn", "zho", "chi") else base


def name(code: str | None) -> str:
    return NAMES.get(primary(code), code or "unknown")
