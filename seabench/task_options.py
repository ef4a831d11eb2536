"""Task options (`-T key=value` on `seabench run` and `seabench score`): scoring choices that never
change what the model is asked or answers, so `seabench score RUN -T ...` re-scores stored outputs.

- `normalizer=whisper-en`: English word/character error rates use the Whisper-English-style
  normaliser of the Open ASR Leaderboard instead of ours (other languages keep their own).

An option becomes part of the task's version (`1+normalizer=whisper-en`), so a resume with other
options is refused instead of mixing scores, and results record the normaliser of each language
(`scoring.normalizers`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from seabench.errors import UserError
from seabench.metrics import ErrorRateScorer
from seabench.normalize import VARIANTS, get_normalizer
from seabench.task import Task

OPTIONS = {"normalizer": VARIANTS}


@dataclasses.dataclass(frozen=True)
class NormalizedErrorRate(ErrorRateScorer):
    """An error-rate scorer whose text goes through a chosen normaliser variant."""

    normalizer: str | None = None

    def tokens(self, text: str, language: str) -> list[str]:
        norm = get_normalizer(language, self.normalizer)
        return norm.words(text) if self.unit == "word" else norm.chars(text)

    def normalizer_version(self, language: str) -> str:
        return str(get_normalizer(language, self.normalizer).version)


def check_task_options(options: dict[str, Any]) -> None:
    for key, value in options.items():
        if key not in OPTIONS:
            raise UserError(f"unknown task option {key!r}; known: {', '.join(sorted(OPTIONS))}")
        if str(value) not in OPTIONS[key]:
            raise UserError(f"task option {key}={value!r}: choose one of {', '.join(OPTIONS[key])}")


def apply_task_options(task: Task, options: dict[str, Any]) -> Task:
    """The task with its scorers changed as the options say (unchanged when none applies to it)."""
    check_task_options(options)
    variant = options.get("normalizer")
    if variant is None or not any(isinstance(s, ErrorRateScorer) for s in task.scorers):
        return task
    scorers = tuple(NormalizedErrorRate(s.name, s.unit, str(variant)) if isinstance(s, ErrorRateScorer) else s
                    for s in task.scorers)
    return dataclasses.replace(task, scorers=scorers, version=f"{task.version}+normalizer={variant}")


def normalizer_versions(task: Task) -> dict[str, str]:
    """language -> normaliser version for the task's error-rate scorers (what results record)."""
    scorer = next((s for s in task.scorers if isinstance(s, ErrorRateScorer)), None)
    return {} if scorer is None else {lang: scorer.normalizer_version(lang) for lang in task.languages}
