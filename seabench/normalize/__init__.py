"""Per-language text normalisation for WER/CER, with golden tests (docs/NORMALIZATION.md).

`get_normalizer("th-TH").words(text)` is what scorers call. Every normaliser keeps combining
marks (Whisper's BasicTextNormalizer drops them and so splits Thai and Tamil words); each carries
a `version` that results record, bumped whenever its rules change. Segmenters and script
converters (pythainlp, jieba, opencc) are imported on first use, never at import time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol, runtime_checkable

__all__ = ["VARIANTS", "Normalizer", "get_normalizer", "normalize"]


@runtime_checkable
class Normalizer(Protocol):
    language: str  # primary subtag, e.g. "th"
    version: str  # e.g. "th-1"; bumped when rules change; recorded in results

    def normalize(self, text: str) -> str:
        """Canonical text; words separated by single spaces where the script uses spaces."""
        ...

    def words(self, text: str) -> list[str]:
        """Normalised words for WER (Thai: newmm, Chinese: jieba, others: whitespace)."""
        ...

    def chars(self, text: str) -> list[str]:
        """Normalised characters (code points) for CER, whitespace removed."""
        ...


_ALIASES = {
    "eng": "en", "ind": "id", "in": "id", "msa": "ms", "may": "ms", "zsm": "ms", "zlm": "ms",
    "vie": "vi", "tha": "th", "tam": "ta", "zho": "zh", "chi": "zh", "cmn": "zh", "yue": "zh",
}


VARIANTS = ("whisper-en",)  # `normalizer=NAME` task option: another normaliser for the languages it covers


@lru_cache(maxsize=None)
def get_normalizer(language: str, variant: str | None = None) -> Normalizer:
    """Normaliser for a BCP-47 tag ("th", "th-TH", "zh-TW", "en-SG", "ms-MY"...).

    Unknown languages (km, lo, my, und...) get the safe default: NFC, lower case, punctuation
    and symbols removed, marks kept, whitespace collapsed. `variant="whisper-en"` gives English
    (en, en-SG, ...) the Whisper-English-style normaliser the Open ASR Leaderboard uses; other
    languages keep their own.
    """
    if variant is not None and variant not in VARIANTS:
        from seabench.errors import UserError

        raise UserError(f"unknown normalizer {variant!r}; known: {', '.join(VARIANTS)}")
    subtags = (language or "und").replace("_", "-").lower().split("-")
    primary = _ALIASES.get(subtags[0], subtags[0])
    if primary == "en" and variant == "whisper-en":
        from seabench.normalize.english import WhisperEnglishNormalizer

        return WhisperEnglishNormalizer()
    if primary == "en":
        from seabench.normalize.english import EnglishNormalizer, SinglishNormalizer

        return SinglishNormalizer() if "sg" in subtags[1:] else EnglishNormalizer()
    if primary == "id":
        from seabench.normalize.malay import IndonesianNormalizer

        return IndonesianNormalizer()
    if primary == "ms":
        from seabench.normalize.malay import MalayNormalizer

        return MalayNormalizer()
    if primary == "vi":
        from seabench.normalize.vietnamese import VietnameseNormalizer

        return VietnameseNormalizer()
    if primary == "th":
        from seabench.normalize.thai import ThaiNormalizer

        return ThaiNormalizer()
    if primary == "zh":
        from seabench.normalize.chinese import ChineseNormalizer

        return ChineseNormalizer()
    if primary == "ta":
        from seabench.normalize.tamil import TamilNormalizer

        return TamilNormalizer()
    from seabench.normalize._base import BaseNormalizer

    return BaseNormalizer(primary if primary.isalpha() and len(primary) <= 8 else "und")


def normalize(text: str, language: str) -> str:
    """`get_normalizer(language).normalize(text)`."""
    return get_normalizer(language).normalize(text)
