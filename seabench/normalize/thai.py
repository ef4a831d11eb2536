"""Thai (th): marks kept, typing variants unified, no spaces inside Thai text, newmm words.

Spaces in Thai separate phrases, not words, and writers place them freely, so the canonical
text has no space next to a Thai character; words() segments with pythainlp's newmm and never
depends on spaces. ๆ (mai yamok, repetition) is meaningful and kept; ฯ (paiyannoi, abbreviation)
is dropped like punctuation so "กรุงเทพฯ" equals "กรุงเทพ"; "ฯลฯ" (etc.) becomes "และอื่นๆ".
"""

from __future__ import annotations

import re

from seabench.normalize._base import BaseNormalizer, join_without_spaces_around

_THAI = re.compile(r"[\u0e00-\u0e7f]")
_TYPING_FIXES = [
    (re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32"), "\\1\u0e33"),  # nikhahit + aa -> sara am
    (re.compile("([\u0e48-\u0e4b])([\u0e31\u0e34-\u0e37\u0e47])"), "\\2\\1"),  # tone before vowel
    (re.compile("([\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])\\1+"), "\\1"),  # doubled mark
    (re.compile("\u0e40\u0e40"), "\u0e41"),  # sara e typed twice -> sara ae
    (re.compile("\u0e2f\u0e25\u0e2f"), " และอื่นๆ "),  # ฯลฯ
    (re.compile("\u0e2f"), " "),  # ฯ
]


class ThaiNormalizer(BaseNormalizer):
    language = "th"
    version = "th-1"
    percent = "เปอร์เซ็นต์"

    def _before_punctuation(self, text: str) -> str:
        for pattern, replacement in _TYPING_FIXES:
            text = pattern.sub(replacement, text)
        return super()._before_punctuation(text)

    def _join(self, tokens: list[str]) -> str:
        return join_without_spaces_around(tokens, _THAI)

    def words(self, text: str) -> list[str]:
        from pythainlp.tokenize import word_tokenize

        tokens = word_tokenize(self.normalize(text), engine="newmm", keep_whitespace=False)
        return [t for t in tokens if t.strip()]
