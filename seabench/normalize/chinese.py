"""Chinese (zh, also zh-TW, cmn, yue): simplified script, no punctuation, no spaces between Han.

Traditional is converted to simplified with OpenCC's phrase-aware t2s tables (offline,
opencc-python-reimplemented), so a model is not penalised for the script variant. Chinese
numerals are left as written (一 is also part of words like 一样); full-width digits become ASCII.
CER counts characters; words() segments with jieba.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import mmap
import os
import re
import struct
import threading
from functools import cache
from typing import Any

from seabench.normalize._base import BaseNormalizer, join_without_spaces_around

_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
                  r"\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


@cache
def _converter() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


class _Segmenter:
    """jieba's segmentation with its prefix dictionary loaded one first character at a time.

    jieba only ever looks up substrings of the text it cuts, so a dictionary holding the entries of
    every character in that text segments exactly as the whole one. Loading all of it (half a
    second of unmarshalling in every process) is replaced by a file of marshalled per-character
    groups in the cache directory (keyed by jieba's dictionary file), mapped into memory and
    unmarshalled group by group as new characters come."""

    def __init__(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self.tokenizer = jieba.Tokenizer()
        self._table, self._base, self._where, total = _groups(self.tokenizer)
        self.tokenizer.FREQ, self.tokenizer.total, self.tokenizer.initialized = {}, total, True
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def lcut(self, text: str) -> list[str]:
        new = set(text) - self._seen
        if new:
            with self._lock:
                for char in new:
                    span = self._where.get(char)
                    if span is not None:
                        start, end = self._base + span[0], self._base + span[1]
                        self.tokenizer.FREQ.update(marshal.loads(self._table[start:end]))
                self._seen |= new
        return self.tokenizer.lcut(text)


_HEADER = struct.Struct("<Q")  # length of the marshalled ({character: (start, end)}, total) that follows


def _groups(tokenizer: Any) -> tuple[bytes | mmap.mmap, int, dict[str, tuple[int, int]], int]:
    """jieba's prefix dictionary as one table of marshalled per-character groups, where the groups
    start in it, each group's span from there, and the dictionary's total count."""
    import jieba

    from seabench.cache import cache_dir, write_cache_file

    with tokenizer.get_dict_file() as fh:
        stat = os.fstat(fh.fileno())
        key = f"{jieba.__version__}:{fh.name}:{stat.st_size}:{stat.st_mtime_ns}"
        path = cache_dir() / "jieba" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.groups"
        try:
            with open(path, "rb") as cached:
                table = mmap.mmap(cached.fileno(), 0, access=mmap.ACCESS_READ)
            (size,) = _HEADER.unpack_from(table)
            where, total = marshal.loads(table[_HEADER.size:_HEADER.size + size])
            if isinstance(where, dict) and isinstance(total, int):
                return table, _HEADER.size + size, where, total
        except (OSError, ValueError, EOFError, TypeError, struct.error):
            pass
        freq, total = tokenizer.gen_pfdict(fh)
    by_char: dict[str, dict[str, int]] = {}
    for word, count in freq.items():
        by_char.setdefault(word[0], {})[word] = count
    blobs = [(char, marshal.dumps(entries)) for char, entries in by_char.items()]
    where, offset = {}, 0
    for char, blob in blobs:
        where[char] = (offset, offset + len(blob))
        offset += len(blob)
    head = marshal.dumps((where, total))
    table = b"".join([_HEADER.pack(len(head)), head, *(blob for _, blob in blobs)])
    write_cache_file(path, table)
    return table, _HEADER.size + len(head), where, total


@cache
def _jieba() -> _Segmenter:
    return _Segmenter()


class ChineseNormalizer(BaseNormalizer):
    language = "zh"
    version = "zh-1"

    def _before_punctuation(self, text: str) -> str:
        return _converter().convert(text)

    def _join(self, tokens: list[str]) -> str:
        return join_without_spaces_around(tokens, _CJK)

    def words(self, text: str) -> list[str]:
        return [t for t in _jieba().lcut(self.normalize(text)) if t.strip()]
