"""Spoken math word problems (Spoken-MQA): the final number of the answer against the reference.

The rule restates AudioBench's (its `spoken_mqa.py`, borrowed from GSM8K-style evaluation): if
the answer says "the answer is", the number right after the last such phrase is the answer,
otherwise the last number in the text; thousands commas are dropped, and numbers compare by
value ("5.0" = "5", "1/2" = "0.5"). Reasoning blocks are removed first. No number at all is
wrong and flagged `extract_fail`; several references (reasoning splits) accept any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from seabench import Sample, Score, Task
from seabench.metrics import Accuracy, flag_rates
from seabench.metrics.flags import EXTRACT_FAIL, final_answer, unusable_reason
from seabench.tasks.families import Loader, make_task, with_default

_TRIGGER = re.compile(r"the answer is:?", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:/\d+|\.\d+)?")


def _value(text: str) -> Fraction | None:
    try:
        return Fraction(text.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return None


def answer_number(output: str) -> Fraction | None:
    """The number an answer gives (after the last "the answer is", else the last one), or None."""
    text = final_answer(output).replace(",", "")
    parts = _TRIGGER.split(text)
    after_trigger = len(parts) > 1
    numbers = _NUMBER.findall(parts[-1])
    if not numbers:
        return None
    return _value(numbers[0] if after_trigger else numbers[-1])


def reference_number(reference: str) -> Fraction | None:
    """A reference such as "42", "#### 1,200" or "0.50"."""
    found = _NUMBER.findall(reference.split("####")[-1].replace(",", ""))
    return _value(found[-1]) if found else None


@dataclass(frozen=True)
class NumberAnswerScorer:
    name: str = "number"

    def score(self, sample: Sample, output: str) -> Score:
        golds = [g for g in (reference_number(r) for r in sample.references) if g is not None]
        if not golds:
            return Score(value=None, explanation="reference has no number")
        reason = unusable_reason(output)
        if reason:
            return Score(value=0.0, flags=[reason])
        said = answer_number(output)
        if said is None:
            return Score(value=0.0, flags=[EXTRACT_FAIL], explanation="no number in the answer")
        return Score(value=float(said in golds), answer=str(said))


def math_prompt(sample: Sample) -> str:
    return "Listen to the problem and solve it. End with: The answer is <number>."


def number_answer(name: str, load: Loader, languages: Iterable[str], **kwargs: object) -> Task:
    return make_task(
        name, "math", load, languages, scorers=(NumberAnswerScorer(),),
        metrics=(Accuracy(scorer="number"), *flag_rates("number")), primary_metric="accuracy",
        render=with_default(math_prompt), max_new_tokens=512, **kwargs,  # type: ignore[arg-type]
    )
