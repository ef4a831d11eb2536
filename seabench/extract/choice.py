"""Multiple-choice answer extraction in layers, with no random fallback.

Layers, first hit wins: the whole answer is one option's text ("exact") -> answer marker (last
one first) -> leading letter (or a last line that is only a letter) -> a single parenthesised
letter -> option text -> none. Option text on space-separated scripts follows MMAU's token rule
(all tokens of one option present, no token unique to another option present); when any option
is Thai/Chinese/etc. the options are found as substrings, longest first, and more than one
distinct option found is ambiguous.

Options with the same text are one answer (the first copy's index is returned; scorers credit
any copy). Exact option text beats a letter reading, so an option that is itself a letter or a
note name ("D", "A#") is found by its text; a letter followed by a different option's text
("(B) Paris" when B is London) is a `conflict`: never credited, counted.
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
METHODS = ("exact", "marker", "letter", "paren_letter", "named_letter", "option_text", "synonym", "conflict", "none")


@dataclass(frozen=True)
class ExtractResult:
    """What was extracted and by which layer (for per-layer statistics)."""

    index: int | None
    method: str

    @property
    def ok(self) -> bool:
        return self.index is not None


NONE = ExtractResult(None, "none")
CONFLICT = ExtractResult(None, "conflict")

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
    found = _leading(text, choices)
    return None if found is None else found[0]


def _leading(text: str, choices: list[str]) -> tuple[int, str] | None:
    """(index, the text after the letter) for a leading letter, else None."""
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
    index = _letter_index(letter, len(choices))
    return None if index is None else (index, rest)


@lru_cache(maxsize=1024)
def _choice_forms(choices: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(form for form in map(match_form, choices) if form)


def _starts_an_option(text: str, choices: list[str]) -> bool:
    head = match_form(text)
    return any(head.startswith(form) for form in _choice_forms(tuple(choices)))


@lru_cache(maxsize=1024)
def _forms(choices: tuple[str, ...], keep_clauses: bool) -> tuple[tuple[str, int], ...]:
    """(match form, index) of each distinct option text, longest first; a duplicate option keeps
    the index of its first copy, so identical options are one answer."""
    first: dict[str, int] = {}
    for i, choice in enumerate(choices):
        form = match_form(choice, keep_clauses=keep_clauses)
        if form:
            first.setdefault(form, i)
    return tuple(sorted(first.items(), key=lambda item: len(item[0]), reverse=True))


_EDGE_PUNCT = re.compile(r"^[\s\"'“‘「(\[{<]+|[\s\"'”’」)\]}>.!?。！？]+$")


def exact_option(text: str, choices: list[str]) -> int | None:
    """The option whose text the whole of `text` is (quotes, brackets and a final period aside)."""
    form = match_form(_EDGE_PUNCT.sub("", text))
    return next((i for f, i in _forms(tuple(choices), False) if f == form), None) if form else None


def option_prefix(text: str, choices: list[str]) -> int | None:
    """The option whose whole text begins `text` ("F. Scott Fitzgerald, who wrote ..."), longest
    option first. A one-word option must be followed by clause punctuation or nothing, so "no"
    does not answer "no doubt it is B"."""
    head = match_form(text, keep_clauses=True)
    for form, index in _forms(tuple(choices), True):
        if head == form or head.startswith(form + " ,") or (" " in form and head.startswith(form + " ")):
            return index
    return None


def _same(choices: list[str], i: int, j: int) -> bool:
    return i == j or match_form(choices[i]) == match_form(choices[j])


def _resolve(text: str, choices: list[str]) -> ExtractResult | None:
    """A letter or an option's text at the start of `text` (a marker tail or the whole answer).

    Option text that starts with the letter itself ("F. Scott Fitzgerald") is option text; a
    letter followed by another option's text ("(B) Paris" with B = London) is a conflict."""
    prefix = option_prefix(text, choices)
    found = _leading(text, choices)
    if found is None:
        return None if prefix is None else ExtractResult(prefix, "option_text")
    index, rest = found
    if prefix is not None and not _same(choices, prefix, index):
        letter = text.lstrip(_LEAD_CHARS)[:1].casefold()
        if match_form(choices[prefix]).split()[0] == letter:
            return ExtractResult(prefix, "option_text")
        return CONFLICT
    named = _named_after_letter(rest, choices)
    if named is not None and not _same(choices, named, index):
        return CONFLICT
    return ExtractResult(index, "letter")


_LEAD_CHARS = " \t\n\"'“‘「([{<"
_AFTER_LETTER = re.compile(r"^[\s.:：)\]}>\-–—]+")


def _named_after_letter(rest: str, choices: list[str]) -> int | None:
    """The option whose text follows a letter ("(B) Paris", "B. Paris, because ...")."""
    rest = _AFTER_LETTER.sub("", rest)
    if not rest:
        return None
    prefix = option_prefix(rest, choices)
    return prefix if prefix is not None else exact_option(first_clause(first_sentence(rest)), choices)


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
    """MMAU's rule: every token of the option present, no token unique to another option.
    Copies of one option text count once."""
    said = tokens(text)
    option_tokens = _choice_tokens(tuple(choices))
    hits: dict[str, int] = {}
    for i, own in enumerate(option_tokens):
        if not own or not own <= said:
            continue
        others = set().union(*(t for j, t in enumerate(option_tokens) if j != i and t != own))
        if said.isdisjoint(others - own):
            hits.setdefault(match_form(choices[i]), i)
    return next(iter(hits.values())) if len(hits) == 1 else None


@lru_cache(maxsize=1024)
def _option_finder(choices: tuple[str, ...]) -> PhraseFinder | None:
    first: dict[str, int] = {}
    for i, c in enumerate(choices):
        first.setdefault(match_form(c).replace(" ", ""), i)  # copies of one option are one answer
    return PhraseFinder((c, first[match_form(c).replace(" ", "")]) for c in choices)


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
    index = exact_option(answer, choices)
    if index is not None:
        return ExtractResult(index, "exact")
    for tail in marker_tails(answer):
        found = _resolve(tail, choices)
        if found is None:
            sentence = first_sentence(tail)
            index = option_text(sentence, choices)
            if index is None:
                index = option_text(first_clause(sentence), choices)
            found = None if index is None else ExtractResult(index, "option_text")
        if found is not None:
            return found if found is CONFLICT else ExtractResult(found.index, "marker")
    whole = _resolve_letter(answer, choices)
    if whole is not None:
        return whole
    for layer, finder in (
        ("letter", _last_line_letter),
        ("paren_letter", _paren_letter),
        ("named_letter", _named_letter),
        ("option_text", option_text),
    ):
        index = finder(answer, choices)
        if index is not None:
            return ExtractResult(index, layer)
    return NONE


def _resolve_letter(answer: str, choices: list[str]) -> ExtractResult | None:
    """A leading letter of the whole answer, checked against the option text after it."""
    if _leading(answer, choices) is None:
        return None
    return _resolve(answer, choices)
