"""Multiple choice over audio (MMAU and friends): layered answer extraction, accuracy, and
`extract_fail_rate`; breakdowns by category and difficulty."""

from __future__ import annotations

from collections.abc import Iterable

from seabench import Sample, Task
from seabench.metrics import Accuracy, ChoiceScorer, flag_rates
from seabench.tasks.families import Loader, lettered, make_task


def mcq_prompt(sample: Sample) -> str:
    question = sample.instruction or "Listen to the audio and choose the correct answer."
    return f"{question}\n{lettered(sample.choices or [])}\nAnswer with the letter of the correct option."


def mcq(name: str, load: Loader, languages: Iterable[str], **kwargs: object) -> Task:
    kwargs.setdefault("breakdown_keys", ("language", "category", "difficulty", "subset"))
    return make_task(
        name, "mmau", load, languages,
        scorers=(ChoiceScorer(),), metrics=(Accuracy(), *flag_rates("choice")),
        primary_metric="accuracy", render=mcq_prompt, max_new_tokens=64, **kwargs,  # type: ignore[arg-type]
    )
