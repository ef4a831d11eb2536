"""How a task's primary metric is displayed, normalised to 0-100 and recomputed per sample.

One place decides what kind of number a metric is (error rate, accuracy, 0-100 score, 1-5 judge
score), so the page, the exports, the overall score and the significance test agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal

import numpy as np

from seabench.index import TaskColumns
from seabench.metrics.columns import ScoreColumns
from seabench.types import SampleRecord, Score, TaskResult

Kind = Literal["error_rate", "accuracy", "score100", "judge", "other"]

AGGREGATION_RULE = (
    "Overall score = unweighted mean over tasks of each task's primary metric normalised to 0-100, "
    "where 0 is the random/worst baseline and 100 is perfect: accuracy -> (acc - 1/k)/(1 - 1/k) with k "
    "answer options read from the samples (chance 0 when k is unknown); WER/CER/MER -> 100*max(0, 1 - rate); "
    "BLEU/chrF++ -> as is; judge score 1-5 -> (s - 1)/4*100. Normalised values are clipped to [0, 100]. "
    "Per language, only tasks with a breakdown for that language count; the number of tasks is shown, "
    "and models evaluated on different task sets are not directly comparable. A judge-scored task's overall "
    "cell averages every model over the same items: those the judge scored for all of them (unscored items "
    "are counted in the failures table)."
)


def metric_kind(metric: str, task: TaskResult | None = None) -> Kind:
    name = metric.lower()
    if name in {"wer", "cer", "mer"} or name.endswith(("_wer", "_cer")):
        return "error_rate"
    if name in {"accuracy", "acc", "macro_f1", "f1"}:
        return "accuracy"
    if name.startswith(("bleu", "chrf")):
        return "score100"
    if "judge" in name or "rating" in name or (task is not None and (task.judge or task.rubric)):
        return "judge"
    return "other"


def format_value(kind: Kind, value: float | None) -> str:
    """Human display: rates and accuracies as percentages, 0-100 scores with one decimal."""
    if value is None:
        return "–"
    if kind in ("error_rate", "accuracy"):
        return f"{100 * value:.1f}%"
    if kind == "score100":
        return f"{value:.1f}"
    if kind == "judge":
        return f"{value:.2f}"
    return f"{value:.4g}"


def normalise(kind: Kind, value: float | None, n_choices: int | None = None) -> float | None:
    """Map a primary metric to 0 (random/worst) .. 100 (perfect); None when the kind has no rule."""
    if value is None:
        return None
    if kind == "error_rate":
        out = 100.0 * max(0.0, 1.0 - value)
    elif kind == "accuracy":
        chance = 1.0 / n_choices if n_choices and n_choices > 1 else 0.0
        out = 100.0 * (value - chance) / (1.0 - chance)
    elif kind == "score100":
        out = value
    elif kind == "judge":
        out = (value - 1.0) / 4.0 * 100.0
    else:
        return None
    return min(100.0, max(0.0, out))


def n_choices(records: Iterable[SampleRecord]) -> int | None:
    """Most common number of answer options (choices, or n_labels from label scorers)."""
    counts: Counter[int] = Counter()
    for r in records:
        if r.choices:
            counts[len(r.choices)] += 1
            continue
        for s in r.scores.values():
            if "n_labels" in s.stats:
                counts[int(s.stats["n_labels"])] += 1
                break
    return counts.most_common(1)[0][0] if counts else None


def choice_counts(columns: TaskColumns) -> Counter[int]:
    """`n_choices` of records, counted from a task's columns."""
    counts = Counter(int(k) for k in columns.n_choices if k)
    labelled = [columns.scorer(name).stat("n_labels") for name in columns.scorer_names]
    for row, k in enumerate(columns.n_choices):
        if not k:
            found = next((int(column[row]) for column in labelled if not np.isnan(column[row])), None)
            if found is not None:
                counts[found] += 1
    return counts


def judge_score(record: SampleRecord) -> float | None:
    """The judge's score for a record: the last verdict (the most recent judging); None = unscored."""
    return record.verdicts[-1].score if record.verdicts else None


_SCORER_CANDIDATES = {"wer": ("wer",), "mer": ("wer",), "cer": ("cer",), "bleu": ("translation",),
                      "chrf++": ("translation",), "accuracy": ("choice", "label"), "macro_f1": ("label", "choice"),
                       "judge_score": ("judge",)}


def primary_columns(columns: TaskColumns, metric: str, kind: Kind) -> ScoreColumns:
    """`primary_score` of every row (a blank, unscored Score where a record has none)."""
    names = [*_SCORER_CANDIDATES.get(metric.lower(), ()), metric]
    chosen = np.full(len(columns), -1)
    for j, name in enumerate(names):
        if name in columns.scorer_names:
            chosen[(chosen < 0) & columns.scorer(name).present] = j
    used = set(chosen.tolist())
    if len(used) == 1 and -1 not in used:
        return columns.scorer(names[chosen[0]])  # every row scored by the same scorer: the usual case
    scores = []
    judged = columns.judge_scores()
    for row, j in enumerate(chosen):
        if j >= 0:
            scores.append(columns.scorer(names[j]).take(np.array([row])).scores()[0])
        elif kind == "judge" and columns.verdicts[row] is not None:
            scores.append(Score(value=None if np.isnan(judged[row]) else float(judged[row])))
        else:
            scores.append(Score(value=None))
    return ScoreColumns.from_scores(scores)


def primary_score(record: SampleRecord, metric: str, kind: Kind) -> Score | None:
    """The Score the primary metric aggregates for this record (verdict-derived for judge tasks)."""
    for name in (*_SCORER_CANDIDATES.get(metric.lower(), ()), metric):
        if name in record.scores:
            return record.scores[name]
    if kind == "judge" and record.verdicts:
        return Score(value=judge_score(record), explanation=record.verdicts[-1].rationale)
    return None
