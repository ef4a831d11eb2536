"""Spelled-out numbers -> digits, driven by a per-language lexicon.

One direction for every language: number words become digits ("twenty five" -> "25",
"dua puluh lima" -> "25"), because digits are what most references and models write, and the
digit form is unambiguous. The parser is a small place-value state machine, so a run of words
that does not form one number ("two three") stays two numbers ("2 3").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

UNIT, TEEN, TENS, HUNDRED, SCALE = "unit", "teen", "tens", "hundred", "scale"
TEEN_SUFFIX, TENS_SUFFIX = "teen_suffix", "tens_suffix"

_EMPTY, _HUNDREDS, _TENS, _UNITS = 3, 2, 1, 0  # lowest place filled so far in the current group
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


@dataclass(frozen=True)
class Word:
    kind: str
    value: int
    ordinal: bool = False  # "third": ends the number and prints as "3rd"
    fresh: bool = False  # "seratus"/"seribu": a self-contained 100/1000 that cannot follow a unit


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, Word]
    point: frozenset[str] = frozenset()  # decimal point word: "point", "koma"
    conjunction: frozenset[str] = frozenset()  # "one hundred and five"
    article: frozenset[str] = frozenset()  # "a hundred", "a thousand"
    years: bool = False  # "nineteen ninety nine" -> 1999
    ordinal_suffix: bool = False  # English "1st/2nd/3rd/4th"

    @cached_property
    def digit_words(self) -> dict[str, int]:
        """Words allowed after the decimal point: "three point one four"."""
        return {w: e.value for w, e in self.words.items() if e.kind == UNIT and not e.ordinal}

    def is_kind(self, token: str | None, kinds: tuple[str, ...]) -> bool:
        entry = self.words.get(token or "")
        return entry is not None and entry.kind in kinds


def _fmt(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _ordinal(value: Decimal) -> str:
    n = int(value)
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{_SUFFIXES.get(n % 10, 'th')}"


class _State:
    """Value being built: completed scales in `total`, the current sub-1000 group in `group`."""

    def __init__(self) -> None:
        self.total = Decimal(0)
        self.group = Decimal(0)
        self.place = _EMPTY
        self.scale_limit: int | None = None
        self.spelled = False  # some word (not only digits) seen: enables the year rule
        self.digits = False  # the group came from a digit token: only a scale may follow
        self.unit: tuple[int, int] | None = None  # (place before, value) after a unit word
        self.fraction = False  # after "point N": only a scale may follow

    @property
    def value(self) -> Decimal:
        return self.total + self.group


def _take(state: _State, entry: Word, lex: Lexicon) -> bool:
    """Apply one number word to the state; False if it cannot continue this number."""
    last_unit, state.unit = state.unit, None
    kind, value = entry.kind, entry.value
    if kind == SCALE:
        if state.scale_limit is not None and value >= state.scale_limit:
            return False
        if entry.fresh and state.group:
            return False
        state.total += (state.group or 1) * value
        state.group, state.place, state.scale_limit = Decimal(0), _EMPTY, value
        state.digits = state.fraction = False
        return True
    if state.digits or state.fraction:
        return kind == HUNDRED and state.digits and not entry.fresh and _hundred(state, value)
    if kind == UNIT:
        if state.place == _UNITS:
            return False
        state.unit = (state.place, value)
        state.group += value
        state.place = _UNITS
        return True
    if kind in (TEEN, TENS):
        if state.place <= _TENS and not _year(state, lex):
            return False
        state.group += value
        state.place = _UNITS if kind == TEEN else _TENS
        return True
    if kind in (TEEN_SUFFIX, TENS_SUFFIX):
        if last_unit is None or last_unit[0] <= _TENS:
            return False
        u = last_unit[1]
        state.group += (10 if kind == TEEN_SUFFIX else 9 * u)
        state.place = _UNITS if kind == TEEN_SUFFIX else _TENS
        return True
    if kind == HUNDRED:
        if entry.fresh:
            if state.place != _EMPTY:
                return False
            state.group, state.place = Decimal(value), _HUNDREDS
            return True
        return _hundred(state, value)
    return False


def _hundred(state: _State, value: int) -> bool:
    if state.place == _HUNDREDS or state.group >= 100:
        return False
    state.group = (state.group or 1) * value
    state.place, state.digits = _HUNDREDS, False
    return True


def _year(state: _State, lex: Lexicon) -> bool:
    """'nineteen ninety' / 'twenty twenty four': a spelled 10-99 followed by another pair."""
    if not (lex.years and state.spelled and state.scale_limit is None and 10 <= state.group <= 99):
        return False
    state.group *= 100
    state.place = _HUNDREDS
    return True


class NumberParser:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self._starters = frozenset(lexicon.words) | lexicon.article

    def convert(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            starts = token in self._starters or token[0].isdigit()
            parsed = self._parse(tokens, i) if starts else None
            if parsed is None:
                out.append(tokens[i])
                i += 1
            else:
                text, i = parsed
                out.append(text)
        return out

    def _parse(self, tokens: list[str], start: int) -> tuple[str, int] | None:
        """Longest number starting at tokens[start] as (digits, end index), or None."""
        lex, state = self.lex, _State()
        best: tuple[str, int] | None = None
        i = start
        while i < len(tokens):
            token = tokens[i]
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            entry = lex.words.get(token)
            if entry is not None:
                if not _take(state, entry, lex):
                    break
                state.spelled = True
                i += 1
                if entry.ordinal:
                    value = state.value
                    return (_ordinal(value) if lex.ordinal_suffix else _fmt(value)), i
                best = _fmt(state.value), i
            elif i == start and _DIGITS.fullmatch(token):
                state.group, state.place, state.digits = Decimal(token), _UNITS, True
                i += 1
                best = token, i  # a bare digit token is kept exactly as written
            elif i == start and token in lex.article and lex.is_kind(following, (HUNDRED, SCALE)):
                state.group, state.place = Decimal(1), _UNITS  # "a hundred"
                i += 1
            elif self._joins(state, token, following, i > start):
                i += 1  # "one hundred and five"
            elif i > start and token in lex.point and not state.digits \
                    and following in lex.digit_words:
                i = self._fraction(state, tokens, i + 1)
                best = _fmt(state.value), i
            else:
                break
        return best

    def _joins(self, state: _State, token: str, following: str | None, inside: bool) -> bool:
        return (inside and token in self.lex.conjunction and not state.digits
                and state.place in (_EMPTY, _HUNDREDS)
                and self.lex.is_kind(following, (UNIT, TEEN, TENS)))

    def _fraction(self, state: _State, tokens: list[str], i: int) -> int:
        digits = []
        while i < len(tokens) and tokens[i] in self.lex.digit_words:
            digits.append(str(self.lex.digit_words[tokens[i]]))
            i += 1
        state.group += Decimal("0." + "".join(digits))
        state.fraction, state.place = True, _UNITS
        return i
