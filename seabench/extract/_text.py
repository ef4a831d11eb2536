"""Text helpers shared by the extractors: reasoning removal, folding, script tests, phrase search.

Why not NFKC: it rewrites Thai sara am (U+0E33) into two code points, so Thai patterns written
in normal spelling would stop matching. Only full-width ASCII is folded, then NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache

_WIDTH = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)} | {0x3000: " "}
_REASONING_BLOCK = re.compile(r"<(think|thinking|reasoning|reflection)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_CLOSE_TAG = re.compile(r"</(?:think|thinking|reasoning|reflection)\s*>", re.I)
_OPEN_TAG = re.compile(r"<(?:think|thinking|reasoning|reflection)\b[^>]*>", re.I)
_MARKDOWN = re.compile(r"\*\*|__|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)|`")

# Scripts written without spaces between words: matched as substrings, never as \w+ tokens.
UNSEGMENTED = (
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao, Myanmar, Khmer
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana, Han
)
_UNSEGMENTED_RE = re.compile(f"[{UNSEGMENTED}]")
_UNSEGMENTED_RUN = re.compile(f"([{UNSEGMENTED}]+)")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Scripts with spaces but heavy suffixing (Tamil): a match must start a word, may end mid-word.
_LEFT_ONLY = "\u0b80-\u0bff"
# Letters that need a word boundary on their side of a match (Latin incl. Vietnamese, digits).
_BOUNDED = "0-9A-Za-z\u00c0-\u024f\u1e00-\u1eff"


def strip_reasoning(text: str) -> str:
    """Drop think/reasoning blocks and markdown emphasis so only the final answer remains.

    A closing tag without its opener (chat templates often put `<think>` in the prompt) means
    everything before it was reasoning. An opener that is never closed means the model ran out
    of tokens while thinking: that unfinished reasoning is not an answer and is dropped.
    """
    text = _REASONING_BLOCK.sub(" ", text)
    closes = list(_CLOSE_TAG.finditer(text))
    if closes:
        text = text[closes[-1].end():]
    opener = _OPEN_TAG.search(text)
    if opener:
        text = text[: opener.start()]
    return _MARKDOWN.sub("", text).strip()


def fold(text: str) -> str:
    """Width-fold, NFC and casefold: the form every comparison is made in."""
    return unicodedata.normalize("NFC", text.translate(_WIDTH)).casefold()


def widen_fold(text: str) -> str:
    """Width-fold and NFC but keep case (letters A-J are case-sensitive evidence)."""
    return unicodedata.normalize("NFC", text.translate(_WIDTH))


@cache
def _t2s():  # type: ignore[no-untyped-def]
    from opencc import OpenCC  # lazy: only needed when Han characters appear

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese so 開心 matches 开心 (no-op without Han characters)."""
    return _t2s().convert(text) if _HAN_RE.search(text) else text


def has_unsegmented(text: str) -> bool:
    return _UNSEGMENTED_RE.search(text) is not None


def _is_punct(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


_CLAUSE_PUNCT = frozenset(",.;:!?\n，。；：！？、")


def match_form(text: str, keep_clauses: bool = False) -> str:
    """Folded text with punctuation/symbols as spaces, single-spaced: what phrase search runs on.

    keep_clauses leaves clause punctuation as "," so negation scope can stop at it."""
    folded = to_simplified(fold(text))
    chars = (
        " , " if keep_clauses and c in _CLAUSE_PUNCT else " " if c == "\n" or _is_punct(c) else c
        for c in folded
    )
    return " ".join("".join(chars).split())


def tokens(text: str) -> set[str]:
    """MMAU-style word tokens; each Han/Thai run is split off so Latin words inside it are found."""
    spaced = _UNSEGMENTED_RUN.sub(r" \1 ", match_form(text))
    return set(spaced.split())


def _edge(char: str, side: str) -> str:
    """Lookaround that stops a phrase matching inside a longer Latin or Tamil word."""
    if re.match(f"[{_BOUNDED}]", char):
        return f"(?<![{_BOUNDED}])" if side == "left" else f"(?![{_BOUNDED}])"
    if side == "left" and re.match(f"[{_LEFT_ONLY}]", char):
        return f"(?<![{_LEFT_ONLY}])"
    return ""


def phrase_pattern(phrase: str) -> str:
    """Regex source for an already match_form()-ed phrase: flexible spaces, script-aware edges."""
    body = r"\s*".join(re.escape(part) for part in phrase.split())
    return _edge(phrase[0], "left") + body + _edge(phrase[-1], "right")


class PhraseFinder:
    """Finds phrases left to right, longest first at each position, never overlapping.

    Tiling is what keeps "female" from counting as "male", "ผู้หญิง" from also counting as "หญิง"
    and "男孩" from counting as "男". Each phrase maps to a key (an option or label index); a
    key of None is a known phrase that means nothing (e.g. "ความเร็ว", speed, contains "เร็ว").
    """

    def __init__(self, phrases: Iterable[tuple[str, int | None]]) -> None:
        self._keys: dict[str, int | None] = {}
        spaced: set[str] = set()
        for phrase, key in phrases:
            norm = match_form(phrase)
            if norm and norm.replace(" ", "") not in self._keys:
                self._keys[norm.replace(" ", "")] = key
                spaced.add(norm)
        ordered = sorted(spaced, key=len, reverse=True)
        self._regex = re.compile("|".join(phrase_pattern(p) for p in ordered)) if ordered else None

    def find(self, text: str) -> list[tuple[int | None, int, int]]:
        """(key, start, end) for every hit in match_form(text); offsets refer to that form."""
        if self._regex is None:
            return []
        return [
            (self._keys[m.group(0).replace(" ", "")], m.start(), m.end())
            for m in self._regex.finditer(text)
        ]


# Negation-lite: a hit right after a negator in the same clause is not an assertion. Runs on
# match_form() text, where "isn't" has become "isn t".
_CLAUSE_END = re.compile(r",|\b(?:but|tapi|tetapi|namun|nhưng|mà)\b|แต่|但是|但|不过")
_NEG_LATIN = re.compile(
    r"(?:\bnot|\b\w*n t|\bno|\bnever|\bneither|\bnor|\bnon|\brather than|\binstead of|\bbukan(?:nya)?|\btidak|"
    r"\btak|\bkhông(?: phải)?|\bchẳng(?: phải)?|\bchứ không phải)(?: \S+){0,2} ?$"
)
_NEG_THAI = re.compile(r"(?:ไม่ใช่|มิใช่|ไม่)[\u0e00-\u0e7f]{0,6}$")
_NEG_HAN = re.compile(r"(?:不是|并非|而非|没有|不|非)[\u4e00-\u9fff]{0,2}$")


def negated(text: str, start: int) -> bool:
    """True when the words just before `start` (same clause) negate the hit."""
    before = text[max(0, start - 40): start]
    cut = list(_CLAUSE_END.finditer(before))
    if cut:
        before = before[cut[-1].end():]
    return any(rx.search(before) for rx in (_NEG_LATIN, _NEG_THAI, _NEG_HAN))


def unique(keys: Sequence[int | None]) -> int | None:
    """The one key that was found, or None when none or several were."""
    found = {k for k in keys if k is not None}
    return found.pop() if len(found) == 1 else None
