"""Chinese (zh, also zh-TW, cmn, yue): simplified script, no punctuation, no spaces between Han.

Traditional is converted to simplified with OpenCC's phrase-aware t2s tables (offline,
opencc-python-reimplemented), so a model is not penalised for the script variant. Chinese
numerals are left as written (一 is also part of words like 一样); full-width digits become ASCII.
CER counts characters; words() segments with jieba.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

from seabench.normalize._base import BaseNormalizer, join_without_spaces_around

_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
                  r"\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


@cache
def _converter() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


class ChineseNormalizer(BaseNormalizer):
    language = "zh"
    version = "zh-1"

    def _before_punctuation(self, text: str) -> str:
        return _converter().convert(text)

    def _join(self, tokens: list[str]) -> str:
        return join_without_spaces_around(tokens, _CJK)

    def words(self, text: str) -> list[str]:
        return [t for t in _jieba().lcut(self.normalize(text)) if t.strip()]
