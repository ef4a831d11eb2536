"""Shared pieces of the task family factories: prompt rendering and task assembly."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from seabench import DataStatus, GenerationConfig, Metric, Sample, Scorer, Task
from seabench.languages import name as language_name

LETTERS = "ABCDEFGHIJ"
Loader = Callable[[], Iterable[Sample]]


def lettered(choices: list[str]) -> str:
    return "\n".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(choices))


def make_task(name: str, family: str, load: Loader, languages: Iterable[str], *, scorers: tuple[Scorer, ...],
              metrics: tuple[Metric, ...], primary_metric: str, render: Callable[[Sample], str],
              version: str = "1", size: int | None = None, max_new_tokens: int = 256,
              data_status: Callable[[], DataStatus] | None = None, rubric: str | None = None,
              description: str = "", breakdown_keys: tuple[str, ...] = ("language", "subset"),
              problems: tuple[str, ...] = ()) -> Task:
    return Task(
        name=name, family=family, version=version, languages=tuple(sorted(set(languages))), load=load,
        scorers=scorers, metrics=metrics, primary_metric=primary_metric, render=render,
        generation=GenerationConfig(max_new_tokens=max_new_tokens), size=size, rubric=rubric,
        data_status=data_status or (lambda: DataStatus(True)), description=description,
        breakdown_keys=breakdown_keys, problems=problems,
    )


def with_default(default: Callable[[Sample], str]) -> Callable[[Sample], str]:
    """Use the sample's own instruction when it has one, else the family's default prompt."""
    def render(sample: Sample) -> str:
        return sample.instruction or default(sample)
    return render


def language_of(sample: Sample) -> str:
    return language_name(sample.language)
