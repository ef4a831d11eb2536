"""Tamil (ta): NFC (two-part vowel signs compose), every mark kept, Tamil digits -> ASCII.

The shared pipeline already keeps virama and vowel signs and maps ௦-௯ to 0-9; the one Tamil
rule here unifies the two spellings of the syllable "shri" (ஶ்ரீ with U+0BB6, ஸ்ரீ with U+0BB8).
"""

from __future__ import annotations

from seabench.normalize._base import BaseNormalizer


class TamilNormalizer(BaseNormalizer):
    language = "ta"
    version = "ta-1"
    percent = "சதவீதம்"

    def _before_punctuation(self, text: str) -> str:
        shri = text.replace("\u0bb6\u0bcd\u0bb0\u0bc0", "\u0bb8\u0bcd\u0bb0\u0bc0")
        return super()._before_punctuation(shri)
