"""How a task's primary metric is displayed, normalised to 0-100 and recomputed per sample.

One place decides what kind of number a metric is (error rate, accuracy, 0-100 score, judge score
on its rubric's scale) and in which unit readers see it, so the page, the terminal, the exports, the
overall score and the significance test agree. A judge score's scale is read from results.json
(`judging.scales`: 1-5 for SeaBench's rubrics, 0-5 and 0/1 for AudioBench's), not assumed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Literal

import numpy as np

from seabench.index import TaskColumns
from seabench.judging.rubric import shipped_scale
from seabench.metrics.columns import ScoreColumns
from seabench.types import SampleRecord, Score, TaskResult

Kind = Literal["error_rate", "accuracy", "score100", "judge", "other"]
Scale = tuple[float, float]  # a judge rubric's (lowest, highest) score
LEGACY_JUDGE_SCALE: Scale = (1.0, 5.0)  # every rubric before AudioBench's: results that record no scale

HEADLINE_RULE = ("Overall = the mean of the language scores; a language score = the mean of that language's task "
                 "results, each normalised to 0-100 (0 = chance or worst, 100 = perfect).")

AGGREGATION_RULE = (
    HEADLINE_RULE + " Normalisation: accuracy -> (acc - 1/k)/(1 - 1/k) with k answer options read from the samples "
    "(chance 0 when k is unknown); WER/CER/MER and other error rates (the mixed error rate of code-switched ASR) -> "
    "100 x max(0, 1 - rate); BLEU/chrF++ and AudioBench's 0-100 judge number -> as is; a judge score on its rubric's "
    "scale lo-hi (1-5 for SeaBench's rubrics, 0-5 or 0/1 for AudioBench's, as results.json records it) -> "
    "(s - lo)/(hi - lo) x 100; clipped to [0, 100]. A task with several languages gives one result per language; a "
    "metric with no 0-100 scale (or a task judged on different scales) is left out. Every model is scored on the same results over the same items: a (task, language) "
    "result counts only when every model has it, over the items every model has a score for (what is left out is "
    "listed). 95% CIs resample items with replacement within each task and language (the same resamples for every "
    "model); a model's rank is 1 + the number of models significantly better than it (paired bootstrap, p < 0.05), "
    "so models that cannot be told apart share a rank."
)

UNITS_NOTE = ("Units: WER, CER, MER, other error rates (the mixed error rate) and accuracy are percentages "
              "(12.3 = 12.3 %) on the page, in the terminal and in the CSV, Markdown and JSON exports; BLEU, chrF++ "
              "and AudioBench's judge number (judge_score_audiobench_rule) are 0-100; a judge score is on its "
              "rubric's scale (1-5, 0-5 or 0-1: the unit column); headline and normalised scores are 0-100 points. "
              "results.json keeps error rates and accuracy as fractions.")
PERCENT_KINDS = ("error_rate", "accuracy")
UNITS: dict[str, str] = {"error_rate": "%", "accuracy": "%", "score100": "0-100", "other": ""}
_PEER_RULE = re.compile(r"_[a-z0-9]+_rule$")
_ERROR_RATE_WORDS = frozenset({"wer", "cer", "mer"})


def metric_kind(metric: str, task: TaskResult | None = None) -> Kind:
    """What kind of number a metric is; a peer rule's metric (`wer_audiobench_rule`) is its base metric's kind,
    except AudioBench's judge numbers, which it reports on 0-100."""
    name = metric.lower()
    if name == "judge_score_audiobench_rule":
        return "score100"
    name = _PEER_RULE.sub("", name)
    if name.endswith("error_rate") or not _ERROR_RATE_WORDS.isdisjoint(re.split(r"[_\-.]", name)):
        return "error_rate"  # wer, cer, mer, mixed_error_rate, wer_normalised, sentence_cer ...
    if name in {"accuracy", "acc", "macro_f1", "f1"}:
        return "accuracy"
    if name.startswith(("bleu", "chrf")):
        return "score100"
    if "judge" in name or "rating" in name or (task is not None and (task.judge or task.rubric)):
        return "judge"
    return "other"


def judge_scale(task: TaskResult) -> Scale | None:
    """The scale a task's judge scores are on, as its results record it (`judging.scales`); for results
    written before scales were recorded, its shipped rubric's; else SeaBench's 1-5. None when its items
    were judged on different scales (no one 0-100 mapping)."""
    found = set(task.judging.scales.values()) if task.judging else set()
    if not found:
        refs = list(task.judging.rubrics) if task.judging else []
        found = {scale for ref in refs or [task.rubric or ""] if (scale := shipped_scale(ref))}
    if len(found) > 1:
        return None
    low, high = next(iter(found), LEGACY_JUDGE_SCALE)
    return float(low), float(high)


def unit(kind: Kind, scale: Scale | None = None) -> str:
    """The unit readers see a kind of value in: "%", "0-100", a judge's "1-5", "0-5" or "0-1"."""
    if kind != "judge":
        return UNITS[kind]
    return "mixed scales" if scale is None else f"{scale[0]:g}-{scale[1]:g}"


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


def in_unit(kind: Kind, value: float | None) -> float | None:
    """A stored value in the unit every reader sees (rates and accuracies as percentages)."""
    return None if value is None else (100.0 * value if kind in PERCENT_KINDS else value)


def normalise(kind: Kind, value: float | None, n_choices: int | None = None,
              scale: Scale | None = None) -> float | None:
    """Map a primary metric to 0 (random/worst) .. 100 (perfect); None when the kind has no rule (a judge
    score needs its rubric's `scale`)."""
    if value is None:
        return None
    out = normalise_array(kind, np.array([value]), n_choices, scale)
    return None if out is None else float(out[0])


def normalise_array(kind: Kind, values: np.ndarray, n_choices: int | None = None,
                    scale: Scale | None = None) -> np.ndarray | None:
    """`normalise` of many values at once (NaN stays NaN, e.g. an undefined bootstrap replicate)."""
    values = np.asarray(values, dtype=np.float64)
    if kind == "judge" and (scale is None or scale[1] <= scale[0]):
        return None
    with np.errstate(invalid="ignore"):
        if kind == "error_rate":
            out = 100.0 * np.maximum(0.0, 1.0 - values)
        elif kind == "accuracy":
            chance = 1.0 / n_choices if n_choices and n_choices > 1 else 0.0
            out = 100.0 * (values - chance) / (1.0 - chance)
        elif kind == "score100":
            out = values.copy()
        elif kind == "judge":
            low, high = scale  # type: ignore[misc]  # checked above
            out = (values - low) / (high - low) * 100.0
        else:
            return None
        return np.clip(out, 0.0, 100.0)


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
