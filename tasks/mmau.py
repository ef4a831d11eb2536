"""Multiple choice over audio (MMAU and friends): layered answer extraction, accuracy, and
`extract_fail_rate`; breakdowns by category and difficulty.

MMAU tasks also report `accuracy_mmau_rule`: the answer scored by MMAU's own published matching
rule (Sakshi113/MMAU `evaluation.py`), so a number can be set beside published MMAU results. Our
`accuracy` is the headline; docs/DATASETS.md says where and why the two differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from seabench import Sample, Score, Task
from seabench.metrics import Accuracy, ChoiceScorer, FlagRate, flag_rates
from seabench.metrics.flags import CONFLICT
from seabench.tasks.families import Loader, lettered, make_task

MMAU_RULE = "mmau_rule"


def mcq_prompt(sample: Sample) -> str:
    question = sample.instruction or "Listen to the audio and choose the correct answer."
    return f"{question}\n{lettered(sample.choices or [])}\nAnswer with the letter of the correct option."


def _words(text: str) -> set[str]:
    """Lower-cased word-character runs, as MMAU's matcher splits text."""
    return set(re.findall(r"\b\w+\b", text.lower()))


def mmau_rule_match(answer: str, prediction: str, choices: list[str]) -> bool:
    """MMAU's published rule, restated: every word of the answer appears in the prediction, and no
    word that belongs only to a wrong option does (options with the answer's own word set are not
    wrong options; words shared with the answer are allowed). An empty prediction never matches."""
    said = _words(prediction)
    if not said:
        return False
    gold = _words(answer)
    wrong: set[str] = set()
    for choice in choices:
        own = _words(choice)
        if own != gold:
            wrong |= own - gold
    return gold <= said and said.isdisjoint(wrong)


@dataclass(frozen=True)
class MmauRuleScorer:
    """1/0 by MMAU's rule on the raw output (no reasoning stripped, no markers, no letters)."""

    name: str = MMAU_RULE

    def score(self, sample: Sample, output: str) -> Score:
        if not sample.choices or sample.label is None:
            return Score(value=None, explanation="sample has no options or answer")
        return Score(value=float(mmau_rule_match(sample.label, output, sample.choices)))


def mcq(name: str, load: Loader, languages: Iterable[str], *, mmau_rule: bool = False, **kwargs: object) -> Task:
    """A multiple-choice task; `mmau_rule` adds MMAU's own matching rule as `accuracy_mmau_rule`."""
    kwargs.setdefault("breakdown_keys", ("language", "category", "difficulty", "subset"))
    scorers: tuple = (ChoiceScorer(),)
    metrics: tuple = (Accuracy(), *flag_rates("choice"), FlagRate(CONFLICT, "choice"))
    if mmau_rule:
        scorers += (MmauRuleScorer(),)
        metrics += (Accuracy(f"accuracy_{MMAU_RULE}", MMAU_RULE),)
    return make_task(
        name, "mmau", load, languages, scorers=scorers, metrics=metrics,
        primary_metric="accuracy", render=mcq_prompt, max_new_tokens=64, **kwargs,  # type: ignore[arg-type]
    )
