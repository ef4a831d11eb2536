"""Multiple-choice and label scorers (1/0 after answer extraction) and corpus macro-F1.

A failed extraction is scored 0 and flagged `extract_fail`: never a random guess, never dropped.
Empty, refused and unextractable answers are mutually exclusive flags, so their rates add up.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seabench.metrics.base import SumMetric
from seabench.metrics.columns import ScoreColumns
from seabench.metrics.flags import CONFLICT, EXTRACT_FAIL, unusable_reason
from seabench.types import Sample, Score

NO_PREDICTION = -1.0


def label_index(label: str | None, options: Sequence[str], letters: bool = False) -> int | None:
    """Index of a gold label among `options`: exact, then case-insensitive; with `letters`, 'B' -> 1."""
    if label is None:
        return None
    if label in options:
        return list(options).index(label)
    folded = [o.strip().casefold() for o in options]
    if label.strip().casefold() in folded:
        return folded.index(label.strip().casefold())
    letter = label.strip().strip("()").upper()
    if letters and len(letter) == 1 and letter in string.ascii_uppercase[: len(options)]:
        return string.ascii_uppercase.index(letter)
    return None


def _classify(options: Sequence[str], gold: int, pred_index: int | None, method: str) -> Score:
    """Shared Score layout: value 1/0, answer text, gold/pred indices for macro-F1."""
    stats = {
        "gold": float(gold),
        "pred": NO_PREDICTION if pred_index is None else float(pred_index),
        "n_labels": float(len(options)),
    }
    right = pred_index is not None and (pred_index == gold or options[pred_index] == options[gold])  # copies of one text
    return Score(
        value=float(right),
        answer=None if pred_index is None else options[pred_index],
        explanation=method,
        stats=stats,
    )


def _score_options(sample: Sample, output: str, options: Sequence[str], gold: int | None, extract: Any) -> Score:
    if not options:
        return Score(value=None, explanation="sample has no options")
    if gold is None:
        return Score(value=None, explanation=f"gold label {sample.label!r} is not one of the options")
    reason = unusable_reason(output)
    if reason:
        score = _classify(options, gold, None, reason)
        score.flags.append(reason)
        return score
    result = extract()
    score = _classify(options, gold, result.index, f"extracted by {result.method}")
    if result.index is None:
        score.flags.append(EXTRACT_FAIL)
        if result.method == CONFLICT:
            score.flags.append(CONFLICT)  # a letter naming one option and the text naming another
    return score


@dataclass(frozen=True)
class ChoiceScorer:
    """Multiple choice over `sample.choices`; the gold `sample.label` is the option text or its letter."""

    name: str = "choice"

    def score(self, sample: Sample, output: str) -> Score:
        options = sample.choices or []
        gold = label_index(sample.label, options, letters=True)

        def extract() -> Any:
            from seabench.extract import extract_choice

            return extract_choice(output, options, sample.language)

        return _score_options(sample, output, options, gold, extract)


@dataclass(frozen=True)
class LabelScorer:
    """Closed-set labels (gender, emotion, accent, age, language id, speaking rate).

    The label set is `labels` if given, else `sample.choices`; `kind` tells the extractor which
    vocabulary of synonyms to use (e.g. "gender": "male"/"man"/"laki-laki").
    """

    name: str = "label"
    labels: tuple[str, ...] | None = None
    kind: str | None = None

    def score(self, sample: Sample, output: str) -> Score:
        options = list(self.labels or sample.choices or [])
        gold = label_index(sample.label, options)

        def extract() -> Any:
            from seabench.extract import extract_label

            return extract_label(output, options, sample.language, self.kind)

        return _score_options(sample, output, options, gold, extract)


class MacroF1(SumMetric):
    """Macro-averaged F1 in [0, 1] over the labels present (gold or predicted) in the data.

    Rows are one-hot per-class (TP, FP, FN) counts, so resampled sums give each replicate's
    confusion counts. A failed extraction is a false negative for the gold class and no one's
    false positive. F1 = 2TP / (2TP + FP + FN), matching scikit-learn's macro F1.
    """

    def __init__(self, name: str = "macro_f1", scorer: str = "label") -> None:
        self.name = name
        self.scorer = scorer

    def matrix(self, scores: Sequence[Score]) -> tuple[np.ndarray, np.ndarray]:
        return self.columns_matrix(ScoreColumns.from_scores(scores))

    def columns_matrix(self, columns: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        ok = columns.has(("gold", "pred", "n_labels"))
        gold = columns.stat("gold")[ok].astype(np.int64)
        pred = columns.stat("pred")[ok].astype(np.int64)
        n_labels = int(columns.stat("n_labels")[ok].max()) if ok.any() else 0
        mat = np.zeros((len(gold), 3 * n_labels))
        rows = np.arange(len(gold))
        hit = pred == gold
        mat[rows[hit], gold[hit]] = 1.0  # TP
        mat[rows[~hit], 2 * n_labels + gold[~hit]] = 1.0  # FN for the gold class
        wrong = ~hit & (pred >= 0)
        mat[rows[wrong], n_labels + pred[wrong]] = 1.0  # FP for the predicted class
        return mat, ok

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        tp, fp, fn = np.split(sums, 3, axis=1)
        present = (tp + fp + fn) > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            f1 = np.where(present, 2 * tp / np.where(present, 2 * tp + fp + fn, 1.0), 0.0)
            return f1.sum(axis=1) / present.sum(axis=1)

    def details(self, totals: np.ndarray, columns: ScoreColumns) -> dict[str, Any]:
        tp, fp, fn = np.split(totals, 3)
        counts = {"tp": tp, "fp": fp, "fn": fn}
        return {"per_class": {key: value.astype(int).tolist() for key, value in counts.items()}}
