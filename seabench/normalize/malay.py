"""Indonesian (id) and Malay (ms) normalisers: own number words, reduplication, fillers.

Choices (see docs/NORMALIZATION.md): number words -> digits ("dua puluh lima" -> "25",
"seribu" -> "1000"), ordinals "ketiga"/"ke-3" -> "ke 3", reduplication written with a hyphen or
a 2 ("anak-anak", "anak2") -> "anak anak", currency "Rp10.000"/"RM5" -> "10000 rupiah"/"5 ringgit".
Discourse particles (lah, kan, kok, leh, lor, meh...) are words and are never removed.
"""

from __future__ import annotations

import re

from seabench.normalize._base import CONTINENTAL_DIGITS, ENGLISH_DIGITS, BaseNormalizer
from seabench.normalize._numbers import (
    HUNDRED,
    SCALE,
    TEEN,
    TEEN_SUFFIX,
    TENS_SUFFIX,
    UNIT,
    Lexicon,
    NumberParser,
    Word,
)

_SHARED = {
    "satu": Word(UNIT, 1), "dua": Word(UNIT, 2), "tiga": Word(UNIT, 3), "empat": Word(UNIT, 4),
    "lima": Word(UNIT, 5), "enam": Word(UNIT, 6), "tujuh": Word(UNIT, 7),
    "sembilan": Word(UNIT, 9), "sepuluh": Word(TEEN, 10), "sebelas": Word(TEEN, 11),
    "belas": Word(TEEN_SUFFIX, 10), "puluh": Word(TENS_SUFFIX, 10),
    "ratus": Word(HUNDRED, 100), "seratus": Word(HUNDRED, 100, fresh=True),
    "ribu": Word(SCALE, 10**3), "seribu": Word(SCALE, 10**3, fresh=True),
    "juta": Word(SCALE, 10**6), "sejuta": Word(SCALE, 10**6, fresh=True),
}
_INDONESIAN = Lexicon({
    **_SHARED, "nol": Word(UNIT, 0), "delapan": Word(UNIT, 8),
    "miliar": Word(SCALE, 10**9), "milyar": Word(SCALE, 10**9),
    "semiliar": Word(SCALE, 10**9, fresh=True), "triliun": Word(SCALE, 10**12),
}, point=frozenset({"koma"}))
_MALAY = Lexicon({
    **_SHARED, "sifar": Word(UNIT, 0), "lapan": Word(UNIT, 8),
    "bilion": Word(SCALE, 10**9), "sebilion": Word(SCALE, 10**9, fresh=True),
    "trilion": Word(SCALE, 10**12),
}, point=frozenset({"perpuluhan"}))

_REDUPLICATED = re.compile(r"^([^\W\d_]{3,})[2²]$")


class IndonesianNormalizer(BaseNormalizer):
    language = "id"
    version = "id-1"
    digits = CONTINENTAL_DIGITS  # Rp10.000,50
    lexicon = _INDONESIAN
    fillers = frozenset({"em", "emm", "ehm", "eh", "eee", "hmm", "hm", "mm", "mmm", "uh", "um"})
    percent = "persen"
    currency = re.compile(r"\brp\.?\s*(\d[\d\ue000]*)")
    currency_name = "rupiah"

    def __init__(self, language: str | None = None) -> None:
        super().__init__(language)
        self._numbers = NumberParser(self.lexicon)
        number_words = "|".join(w for w, e in self.lexicon.words.items()
                                if e.kind in (UNIT, TEEN) or e.fresh)
        self._ordinal = re.compile(rf"^ke({number_words})$")

    def _before_punctuation(self, text: str) -> str:
        return super()._before_punctuation(self.currency.sub(rf" \1 {self.currency_name} ", text))

    def _tokens(self, tokens: list[str]) -> list[str]:
        words: list[str] = []
        for token in tokens:
            if token in self.fillers:
                continue
            if m := _REDUPLICATED.match(token):
                words += [m[1], m[1]]
            elif m := self._ordinal.match(token):
                words += ["ke", m[1]]
            else:
                words.append(token)
        return self._numbers.convert(words)


class MalayNormalizer(IndonesianNormalizer):
    """ms: Malaysian digit grouping (1,000.50), 'lapan', 'bilion'; 'eh' is a particle, kept."""

    language = "ms"
    version = "ms-1"
    digits = ENGLISH_DIGITS
    lexicon = _MALAY
    fillers = IndonesianNormalizer.fillers - {"eh"}
    percent = "peratus"
    currency = re.compile(r"\brm\s*(\d[\d\ue000]*)")
    currency_name = "ringgit"
