"""Judge-scored tasks (spoken QA, open voice instructions, SeaBench-Audio): the answer is rated
1-5 by an LLM judge following the rubric named by the task or by each item (`metadata.rubric`).
Empty, refused and wrong-language answers are flagged here, before any judge runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seabench import Sample, Score, Task
from seabench.judging.metric import JudgeScore
from seabench.metrics import flag_rates
from seabench.metrics.flags import language_flags, unusable_reason
from seabench.tasks.families import Loader, make_task

DEFAULT_RUBRIC = {"sqa": "spoken_qa", "open": "generic", "seabench-audio": "generic"}


@dataclass(frozen=True)
class ResponseFlags:
    """No value of its own (the judge gives it); records empty / refusal / wrong-language flags."""

    name: str = "response"

    def score(self, sample: Sample, output: str) -> Score:
        reason = unusable_reason(output)
        expected = sample.target_language or sample.language  # a translation is expected in its target language
        return Score(value=None, answer=output.strip(), flags=[reason] if reason else language_flags(output, expected))


def judged(name: str, load: Loader, languages: Iterable[str], family: str = "open", rubric: str | None = None,
           **kwargs: object) -> Task:
    return make_task(
        name, family, load, languages,
        scorers=(ResponseFlags(),), metrics=(JudgeScore(), *flag_rates("response")),
        primary_metric="judge_score", render=lambda s: s.instruction, rubric=rubric or DEFAULT_RUBRIC.get(family, "generic"),
        max_new_tokens=512, **kwargs,  # type: ignore[arg-type]
    )
