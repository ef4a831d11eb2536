"""Vietnamese (vi): NFC, every tone mark and đ kept, one tone-placement style.

Vietnamese has two accepted places for the tone mark in open syllables with oa/oe/uy
("hoà"/"hòa", "khoẻ"/"khỏe", "thuỷ"/"thủy"). Both are common in references and model output, so
they are mapped to one style (the mark on the first vowel, as in "hòa"), otherwise a correct
word would count as an error. Number words are left as written; digits stay digits.
"""

from __future__ import annotations

import re
import unicodedata

from seabench.normalize._base import CONTINENTAL_DIGITS, BaseNormalizer

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (NFD combining marks)
_NEW_STYLE = re.compile(rf"^([bcdđghklmnprstvx]*)([ou])([aey])([{_TONES}])$")


def old_style_tone(word: str) -> str:
    """'hoà' -> 'hòa': move the tone of a final oa/oe/uy onto its first vowel ('quý' untouched)."""
    decomposed = unicodedata.normalize("NFD", word)
    m = _NEW_STYLE.match(decomposed)
    if m is None:
        return word
    return unicodedata.normalize("NFC", m[1] + m[2] + m[4] + m[3])


class VietnameseNormalizer(BaseNormalizer):
    language = "vi"
    version = "vi-1"
    digits = CONTINENTAL_DIGITS  # 1.000.000 đồng, 3,5 kg
    percent = "phần trăm"

    def _tokens(self, tokens: list[str]) -> list[str]:
        return [old_style_tone(t) for t in tokens]
