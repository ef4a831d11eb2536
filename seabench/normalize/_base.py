"""The pipeline every normaliser shares, with hooks for language rules.

Why not Whisper's BasicTextNormalizer: it turns combining marks (Unicode M*) into spaces, which
splits Thai, Tamil, Lao, Khmer and Myanmar words apart. Here marks are never removed; only
punctuation (P*) and symbols (S*) become spaces.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

DECIMAL_MARK = "\ue000"  # private-use placeholders survive the punctuation pass
APOSTROPHE_MARK = "\ue001"

_VARIATION_SELECTORS = [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), 0x20E3]
_ZERO_WIDTH_SPACE = 0x200B
# The planes with punctuation, symbols, digits or format characters (0, 1 and 14; 2 and 3 hold
# ideographs, the others nothing or private use): scanning only these is a quarter of the start-up.
# tests/unit/test_startup_once.py checks the tables against a scan of all of Unicode.
PLANES = (0, 1, 2, 3, 14)


@cache
def _tables() -> tuple[dict[int, str | None], dict[int, str]]:
    """Two translate tables built in one pass over Unicode's planes in use (about 0.03 s, once per process).

    The first does width folding, any script's decimal digits -> ASCII and removes invisible
    format characters. Width folding touches only the full-width ASCII block (U+FF01-FF5E) and the
    ideographic space, so unlike blanket NFKC it cannot rewrite Thai sara am or other letters.
    The second maps every punctuation and symbol code point (ASCII, full-width, CJK, Thai,
    emoji...) to a space and restores the protected decimal points and apostrophes.
    """
    prepare_table: dict[int, str | None] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
    prepare_table[0x3000] = " "
    punctuation_table = {}
    for cp in (cp for plane in PLANES for cp in range(plane << 16, min(plane + 1 << 16, sys.maxunicode + 1))):
        char = chr(cp)
        category = unicodedata.category(char)
        if category[0] in "PS":
            punctuation_table[cp] = " "
        elif category == "Nd" and cp > 0x7F:
            prepare_table[cp] = str(unicodedata.decimal(char))
        elif category == "Cf" or (category == "Cc" and not char.isspace()):
            prepare_table[cp] = None
    prepare_table[_ZERO_WIDTH_SPACE] = " "  # a word separator in Thai/Khmer/Lao/Myanmar text
    for cp in _VARIATION_SELECTORS:
        prepare_table[cp] = None
    punctuation_table[ord(DECIMAL_MARK)] = "."
    punctuation_table[ord(APOSTROPHE_MARK)] = "'"
    return prepare_table, punctuation_table


def prepare(text: str) -> str:
    """NFC, width folding, digits to ASCII, invisible characters dropped, lower case."""
    return unicodedata.normalize("NFC", text).translate(_tables()[0]).lower()


def strip_punctuation(text: str) -> str:
    """Replace P*/S* with spaces; protected decimal points and apostrophes come back."""
    return text.translate(_tables()[1])


class Numbers:
    """Digit-group conventions: which separator groups thousands and which marks decimals."""

    def __init__(self, thousands: str, decimal: str) -> None:
        t, d = re.escape(thousands), re.escape(decimal)
        # 1,000,000 and Indian 1,00,000 both lose their separators; "1,5" or "12,34" do not.
        self._thousands = re.compile(rf"(?<=\d){t}(?=(?:\d\d{t})*\d{{3}}(?!\d))")
        self._decimal = re.compile(rf"(?<=\d){d}(?=\d)")

    def canonical(self, text: str) -> str:
        """Drop thousands separators, turn the decimal separator into a protected '.'."""
        return self._decimal.sub(DECIMAL_MARK, self._thousands.sub("", text))


ENGLISH_DIGITS = Numbers(thousands=",", decimal=".")
CONTINENTAL_DIGITS = Numbers(thousands=".", decimal=",")


class BaseNormalizer:
    """NFC, width fold, lower case, punctuation and symbols out, marks kept, spaces collapsed.

    Subclasses override the hooks: `_before_punctuation` (string rules that need punctuation or
    symbols, e.g. '%' or apostrophes), `_tokens` (word-level rules: numbers, spelling, fillers)
    and `_join` (how words are glued back, e.g. no spaces between Thai or Han characters).
    """

    language: str = "und"
    version: str = "und-1"
    digits: Numbers = ENGLISH_DIGITS
    percent: str = ""  # the language's word for '%', so "50%" equals "50 percent"

    def __init__(self, language: str | None = None) -> None:
        if language is not None:
            self.language = language

    def normalize(self, text: str) -> str:
        text = self.digits.canonical(prepare(text))
        text = strip_punctuation(self._before_punctuation(text))
        return self._join(self._tokens(text.split()))

    def words(self, text: str) -> list[str]:
        return self.normalize(text).split()

    def chars(self, text: str) -> list[str]:
        return [char for char in self.normalize(text) if not char.isspace()]

    def _before_punctuation(self, text: str) -> str:
        return text.replace("%", f" {self.percent} ") if self.percent else text

    def _tokens(self, tokens: list[str]) -> list[str]:
        return tokens

    def _join(self, tokens: list[str]) -> str:
        return " ".join(tokens)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(language={self.language!r}, version={self.version!r})"


def join_without_spaces_around(tokens: list[str], script: re.Pattern[str]) -> str:
    """Join words with spaces, except next to characters of an unspaced script (Thai, Han).

    Spaces inside such text are phrase breaks that writers place freely, so they are not part of
    the canonical form; spaces between two Latin words or numbers stay.
    """
    if not tokens:
        return ""
    out = [tokens[0]]
    for token in tokens[1:]:
        if not (script.match(out[-1][-1]) or script.match(token[0])):
            out.append(" ")
        out.append(token)
    return "".join(out)
