"""Word/character error rates: per-sample edit counts (as jiwer counts them) and corpus WER/CER/MER.

Corpus error rates are total edits / total reference tokens over the whole task, never the
mean of per-utterance rates (which over-weights short utterances). Values are fractions in
[0, inf): 0.123 means 12.3 %; insertions can push a rate above 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from seabench.metrics.base import SumMetric, safe_ratio, stat_matrix
from seabench.metrics.columns import ScoreColumns
from seabench.metrics.flags import EMPTY, final_answer, language_flags, unusable_reason
from seabench.types import Direction, Sample, Score

if TYPE_CHECKING:
    from seabench.normalize import Normalizer

EDIT_KEYS = ("sub", "del", "ins", "hits", "ref_len")


def edit_stats(reference: Sequence[str], hypothesis: Sequence[str]) -> dict[str, float]:
    """Levenshtein alignment counts between two already-normalised token lists: what
    `jiwer.process_words` counts (its tokens-to-integers mapping and rapidfuzz's opcodes), without
    its per-call transforms and alignment objects, which cost more than the alignment itself."""
    from rapidfuzz.distance import Levenshtein

    ids: dict[str, int] = {}
    ref = [ids.setdefault(token, len(ids)) for token in reference]
    hyp = [ids.setdefault(token, len(ids)) for token in hypothesis]
    counts = {"replace": 0, "delete": 0, "insert": 0, "equal": 0}
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(ref, hyp):
        counts[tag] += (j2 - j1) if tag == "insert" else (i2 - i1)
    return {
        "sub": float(counts["replace"]),
        "del": float(counts["delete"]),
        "ins": float(counts["insert"]),
        "hits": float(counts["equal"]),
        "ref_len": float(len(reference)),
    }


def _normalizer(language: str) -> Normalizer:
    from seabench.normalize import get_normalizer  # cached per language there

    return get_normalizer(language)


@dataclass(frozen=True)
class ErrorRateScorer:
    """Per-sample edit counts after the language's normaliser; `unit` picks words or characters.

    Words come from the normaliser (pythainlp newmm for Thai, jieba for Chinese); characters
    exclude spaces. Reasoning blocks (<think>...</think>) are dropped first. An empty or refused
    output is scored as an empty hypothesis, i.e. every reference token is a deletion. With
    several references the closest one (fewest edits) is used.
    """

    name: str = "wer"
    unit: Literal["word", "char"] = "word"

    def tokens(self, text: str, language: str) -> list[str]:
        normalizer = _normalizer(language)
        return normalizer.words(text) if self.unit == "word" else normalizer.chars(text)

    def normalizer_version(self, language: str) -> str:
        """Recorded in results so a WER can be tied to the exact normalisation it used."""
        return str(_normalizer(language).version)

    def score(self, sample: Sample, output: str) -> Score:
        references = sample.references
        if not references:
            return Score(value=None, explanation="sample has no reference")
        flags: list[str] = []
        reason = unusable_reason(output)
        answer = "" if reason else final_answer(output)
        hypothesis = self.tokens(answer, sample.language) if answer else []
        if reason:
            flags.append(reason)
        elif not hypothesis:
            flags.append(EMPTY)  # only fillers or symbols survived normalisation
        else:
            flags += language_flags(answer, sample.language)
        stats = min(
            (edit_stats(self.tokens(ref, sample.language), hypothesis) for ref in references),
            key=lambda st: st["sub"] + st["del"] + st["ins"],
        )
        errors = stats["sub"] + stats["del"] + stats["ins"]
        joiner = " " if self.unit == "word" else ""
        return Score(
            value=errors / max(stats["ref_len"], 1.0),
            answer=joiner.join(hypothesis),
            stats=stats,
            flags=flags,
        )


def _edit_row(score: Score) -> tuple[float, float, float, float] | None:
    st = score.stats
    if not all(k in st for k in EDIT_KEYS):
        return None
    return st["sub"], st["del"], st["ins"], st["hits"]


class _CorpusEditMetric(SumMetric):
    """Rows are (S, D, I, H); the subclass says how to turn the sums into a rate."""

    direction: Direction = "lower"

    def __init__(self, name: str, scorer: str) -> None:
        self.name = name
        self.scorer = scorer

    def row(self, score: Score) -> Sequence[float] | None:
        return _edit_row(score)

    def columns_matrix(self, columns: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        ok = columns.has(EDIT_KEYS)
        return stat_matrix(columns, ("sub", "del", "ins", "hits"), ok), ok

    def details(self, totals: np.ndarray, columns: ScoreColumns) -> dict[str, Any]:
        s, d, i, h = (int(x) for x in totals)
        return {"sub": s, "del": d, "ins": i, "hits": h, "ref_len": s + d + h, "scale": "fraction"}


class ErrorRate(_CorpusEditMetric):
    """Corpus WER/CER = (S + D + I) / (S + D + H), a fraction in [0, inf); direction lower."""

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        s, d, i, h = sums.T
        return safe_ratio(s + d + i, s + d + h)


class WER(ErrorRate):
    """Corpus word error rate of the `wer` scorer (fraction, 0.123 = 12.3 %)."""

    def __init__(self, name: str = "wer", scorer: str = "wer") -> None:
        super().__init__(name, scorer)


class CER(ErrorRate):
    """Corpus character error rate of the `cer` scorer (fraction, 0.123 = 12.3 %)."""

    def __init__(self, name: str = "cer", scorer: str = "cer") -> None:
        super().__init__(name, scorer)


class MER(_CorpusEditMetric):
    """Corpus match error rate (S + D + I) / (S + D + I + H), a fraction in [0, 1]; direction lower."""

    def __init__(self, name: str = "mer", scorer: str = "wer") -> None:
        super().__init__(name, scorer)

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        s, d, i, h = sums.T
        return safe_ratio(s + d + i, s + d + i + h)
