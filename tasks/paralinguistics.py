"""Paralinguistics: closed-set labels (gender, emotion, accent, age group, language ID,
speaking rate) with synonym-aware extraction in SEA languages; accuracy and macro-F1."""

from __future__ import annotations

from collections.abc import Iterable

from seabench import Sample, Task
from seabench.metrics import Accuracy, LabelScorer, MacroF1, flag_rates
from seabench.tasks.families import Loader, make_task

QUESTIONS = {
    "gender": "Is the speaker male or female?",
    "emotion": "What emotion does the speaker express?",
    "accent": "What accent does the speaker have?",
    "age": "What is the speaker's age group?",
    "language": "Which language is spoken?",
    "speaking_rate": "Is the speaker talking slowly, at a normal pace, or fast?",
}
KINDS = tuple(QUESTIONS)


def label_prompt(kind: str | None):  # noqa: ANN201 - returns a renderer
    def render(sample: Sample) -> str:
        question = sample.instruction or QUESTIONS.get(kind or "", "Classify the audio.")
        return f"{question} Answer with one of: {', '.join(sample.choices or [])}."
    return render


def label(name: str, load: Loader, languages: Iterable[str], kind: str | None = None, **kwargs: object) -> Task:
    return make_task(
        name, "paralinguistics", load, languages,
        scorers=(LabelScorer(kind=kind),),
        metrics=(Accuracy(scorer="label"), MacroF1(), *flag_rates("label")),
        primary_metric="accuracy", render=label_prompt(kind), max_new_tokens=32, **kwargs,  # type: ignore[arg-type]
    )
