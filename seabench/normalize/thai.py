"""Thai (th): marks kept, typing variants unified, no spaces inside Thai text, newmm words.

Spaces in Thai separate phrases, not words, and writers place them freely, so the canonical
text has no space next to a Thai character; words() segments with pythainlp's newmm and never
depends on spaces. ๆ (mai yamok, repetition) is meaningful and kept; ฯ (paiyannoi, abbreviation)
is dropped like punctuation so "กรุงเทพฯ" equals "กรุงเทพ"; "ฯลฯ" (etc.) becomes "และอื่นๆ".
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from collections.abc import Iterable
from functools import cache
from typing import Any

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

        tokens = word_tokenize(self.normalize(text), custom_dict=_dictionary(), engine="newmm", keep_whitespace=False)
        return [t for t in tokens if t.strip()]


class WordTrie:
    """pythainlp's default word list as a trie of plain dicts, answering what newmm asks of a
    dictionary (`prefixes`) exactly as pythainlp's Trie does. Nodes are made as texts reach them:
    the words under a node are a range of the sorted word list, so a child is two bisections away,
    and start-up is one sort instead of building the whole trie (a quarter of a second)."""

    END = ""  # key marking a node where a word ends (never a character)
    _RANGE = 0  # key of a node's (first, last + 1) position in the sorted words (never a character)
    _UNSEEN = object()

    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted({word.strip() for word in words} - {""})
        self.root: dict[Any, Any] = {self._RANGE: (0, len(self.words))}
        self.size = len(self.words)

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        """Every word that `text` starts with at `start`, shortest first."""
        found = []
        node = self.root
        for end in range(start, len(text)):
            child = node.get(text[end], self._UNSEEN)
            if child is self._UNSEEN:
                child = node[text[end]] = self._child(node, text[start:end + 1])
            if child is None:
                break
            if self.END in child:
                found.append(text[start:end + 1])
            node = child
        return found

    def _child(self, node: dict[Any, Any], prefix: str) -> dict[Any, Any] | None:
        """The node of `prefix` (None when no word starts with it), from its parent's range."""
        first, last = node[self._RANGE]
        first = bisect_left(self.words, prefix, first, last)
        if ord(prefix[-1]) < sys.maxunicode:  # every word starting with prefix sorts below this
            last = bisect_left(self.words, prefix[:-1] + chr(ord(prefix[-1]) + 1), first, last)
        if first == last:
            return None
        child: dict[Any, Any] = {self._RANGE: (first, last)}
        if self.words[first] == prefix:
            child[self.END] = True
        return child

    def __len__(self) -> int:
        return self.size


@cache
def _dictionary() -> WordTrie:
    from pythainlp.corpus import thai_words

    return WordTrie(thai_words())
