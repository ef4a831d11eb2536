"""Multiple-choice answer extraction in layers, with no random fallback.

Layers, first hit wins: answer marker (last one first) -> leading letter (or a last line that is
only a letter) -> a single parenthesised letter -> option text -> none. Option text on
space-separated scripts follows MMAU's token rule (all tokens of one option present, no token
unique to another option present); when any option is Thai/Chinese/etc. the options are found
as substrings, longest first, and more than one distinct option found is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from seabench.extract._markers import first_clause, first_sentence, marker_tails
from seabench.extract._text import (
    PhraseFinder,
    has_unsegmented,
    match_form,
    strip_reasoning,
    to_simplified,
    tokens,
    unique,
    widen_fold,
)

MAX_LETTERS = 10  # A-J

# Method names a scorer may see in ExtractResult.method.
METHODS = ("marker", "letter", "paren_letter", "named_letter", "option_text", "exact", "synonym", "none")


@dataclass(frozen=True)
class ExtractResult:
    """What was extracted and by which layer (for per-layer statistics)."""

    index: int | None
    method: str

    @property
    def ok(self) -> bool:
        return self.index is not None


NONE = ExtractResult(None, "none")

_PREFIX = (
    r"(?:option|choice|answer|pilihan|opsi|jawaban|jawapan|lựa\s*chọn|phương\s*án|đáp\s*án|câu|"
    r"ตัวเลือก(?:ที่)?|ข้อ|选项|选择|选)"
)
_LEAD = r"[\s\"'“‘「(\[{<]*"
_LEADING_LETTER = re.compile(
    rf"^(?P<lead>{_LEAD}(?:{_PREFIX}\s*[:：]?{_LEAD})?)(?P<letter>[A-Ja-j])"
    r"(?P<close>[)\]}>\"'”’」]*)(?P<rest>.*)$",
    re.S | re.I,
)
# An uppercase A or I followed by a lowercase word is English ("A dog", "I think"), unless the
# word says why ("A because ...").
_CONNECTIVE = re.compile(
    r"^\s+(?:because|since|as|which|karena|kerana|sebab|vì|bởi|เพราะ|因为)\b", re.I
)
_WORD_AFTER = re.compile(r"^\s+[a-zà-ỹ]")
_CLOSED = re.compile(r"\s*(?:[.):：]|$)")


def _letter_index(letter: str, n_choices: int) -> int | None:
    index = ord(letter.upper()) - ord("A")
    return index if index < min(n_choices, MAX_LETTERS) else None


def leading_letter(text: str, choices: list[str]) -> int | None:
    """Index of a letter at the very start of `text` ("B", "(B)", "B.", "Option B", "选项B")."""
    m = _LEADING_LETTER.match(text)
    if m is None:
        return None
    letter, rest = m["letter"], m["rest"]
    framed = bool(m["lead"].strip() or m["close"])
    if rest[:1].isalnum() and not m["close"] and not has_unsegmented(rest[:1]):
        return None  # "Bird", "Option Bird"; but "选项B是" is fine
    if letter.islower() and not (framed or _CLOSED.match(rest)):
        return None  # a lowercase letter must be framed: "(b)", "b)", "b."
    if not framed and rest.strip() and _starts_an_option(text, choices):
        return None  # "C major chord" is option text, not letter C
    if letter in "AIai" and not framed and _WORD_AFTER.match(rest) and not _CONNECTIVE.match(rest):
        return None
    return _letter_index(letter, len(choices))


@lru_cache(maxsize=1024)
def _choice_forms(choices: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(form for form in map(match_form, choices) if form)


def _starts_an_option(text: str, choices: list[str]) -> bool:
    head = match_form(text)
    return any(head.startswith(form) for form in _choice_forms(tuple(choices)))


def _last_line_letter(text: str, choices: list[str]) -> int | None:
    """A final line that is only a letter ("...so the sound is a dog.\n\n(B)")."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    last = lines[-1].strip()
    if len(last) > 12:
        return None
    return leading_letter(last, choices)


_PAREN_LETTER = re.compile(r"\(([A-J])\)")


def _paren_letter(text: str, choices: list[str]) -> int | None:
    """Exactly one distinct "(X)" letter anywhere in the text."""
    found = {_letter_index(x, len(choices)) for x in _PAREN_LETTER.findall(text)}
    return found.pop() if len(found) == 1 else None


_NAMED_LETTER = re.compile(rf"{_PREFIX}\s*[:：]?\s*\(?([A-J])(?![A-Za-z])", re.I)


def _named_letter(text: str, choices: list[str]) -> int | None:
    """Exactly one distinct letter named as an option anywhere ("..., jadi pilihan B", "so option C")."""
    found = {_letter_index(x, len(choices)) for x in _NAMED_LETTER.findall(text) if x.isupper()}
    return found.pop() if len(found) == 1 else None


def option_text(text: str, choices: list[str]) -> int | None:
    """The single option named in `text`, or None when none or several are."""
    if not text.strip():
        return None
    if any(has_unsegmented(c) for c in choices):
        return _option_substring(text, choices)
    return _option_tokens(text, choices)


@lru_cache(maxsize=1024)
def _choice_tokens(choices: tuple[str, ...]) -> list[set[str]]:
    return [tokens(c) for c in choices]


def _option_tokens(text: str, choices: list[str]) -> int | None:
    """MMAU's rule: every token of the option present, no token unique to another option."""
    said = tokens(text)
    option_tokens = _choice_tokens(tuple(choices))
    hits = []
    for i, own in enumerate(option_tokens):
        if not own or not own <= said:
            continue
        others = set().union(*(t for j, t in enumerate(option_tokens) if j != i and t != own))
        if said.isdisjoint(others - own):
            hits.append(i)
    return hits[0] if len(hits) == 1 else None


@lru_cache(maxsize=1024)
def _option_finder(choices: tuple[str, ...]) -> PhraseFinder | None:
    norms = [match_form(c).replace(" ", "") for c in choices]
    if len(set(norms)) < len(norms):  # duplicate options cannot be told apart by text
        return None
    return PhraseFinder((c, i) for i, c in enumerate(choices))


def _option_substring(text: str, choices: list[str]) -> int | None:
    finder = _option_finder(tuple(choices))
    return None if finder is None else unique([key for key, _, _ in finder.find(match_form(text))])


def extract_choice(text: str, choices: list[str], language: str = "en") -> ExtractResult:
    """Which of `choices` the answer picks. `language` is accepted for symmetry; markers of every
    supported language are always tried because models often answer in another language."""
    del language
    answer = to_simplified(widen_fold(strip_reasoning(text or "")))
    if not answer or not choices:
        return NONE
    for tail in marker_tails(answer):
        index = leading_letter(tail, choices)
        sentence = first_sentence(tail)
        if index is None:
            index = option_text(sentence, choices)
        if index is None:
            index = option_text(first_clause(sentence), choices)
        if index is not None:
            return ExtractResult(index, "marker")
    for layer, finder in (
        ("letter", leading_letter),
        ("letter", _last_line_letter),
        ("paren_letter", _paren_letter),
        ("named_letter", _named_letter),
        ("option_text", option_text),
    ):
        index = finder(answer, choices)
        if index is not None:
            return ExtractResult(index, layer)
    return NONE
