"""AudioBench's judged number, computed from SeaBench's verdicts: `judge_score_audiobench_rule`.

AudioBench's Llama-3-70B-Instruct judge gives 0-5 for open answers and 0/1 for closed ones, and
AudioBench reports 100 x the mean over every item: x20 for the 0-5 scale, x100 for 0/1. A reply it
cannot parse counts 0 in that mean. SeaBench's own `judge_score` is the plain mean on the rubric's
scale with unscored items left out and counted; this metric restates AudioBench's mapping on the
same verdicts, so both numbers come from one judge run:

    judge_score_audiobench_rule = 100 / scale_max x mean(score), unscored verdicts counted as 0

(a task the judge scored nothing of has no value, rather than 0).

The rubrics that restate AudioBench's judge decisions are rubrics/audiobench_*.yaml.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from seabench import Task
from seabench.judging.phase import NOT_SENT
from seabench.metrics import SumMetric
from seabench.metrics.base import safe_ratio
from seabench.types import MetricValue, Score

NAME = "judge_score_audiobench_rule"
OPEN_RUBRICS = {"sqa": "audiobench_spoken_qa", "sds": "audiobench_summary", "si": "audiobench_instruction",
                "caption": "audiobench_caption", "aqa": "audiobench_audio_qa"}
CHOICE_RUBRIC = "audiobench_choice"  # multiple choice, 0/1
PARALINGUISTIC_RUBRIC = "audiobench_paralinguistic"  # speaker traits, 0/1
SCALE_MAX = {**dict.fromkeys(OPEN_RUBRICS.values(), 5), CHOICE_RUBRIC: 1, PARALINGUISTIC_RUBRIC: 1}


class AudioBenchJudgeScore(SumMetric):
    """100 x mean(score / scale_max) over judged items, an unscored verdict counting 0 (0-100, higher)."""

    def __init__(self, scale_max: int, name: str = NAME, scorer: str = "judge") -> None:
        self.scale_max = scale_max
        self.name = name
        self.scorer = scorer

    def row(self, score: Score) -> Sequence[float] | None:
        value = 0.0 if score.value is None else float(score.value)  # unscored: AudioBench's 0
        return (100.0 * value / self.scale_max, 1.0)

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        return safe_ratio(sums[:, 0], sums[:, 1])

    def compute(self, scores: list[Score], seed: int = 0) -> MetricValue:
        """No value when the judge scored nothing itself: no judge ran, every call failed, or only
        empty answers got their minimum without a call."""
        if not any(s.value is not None and NOT_SENT not in s.flags for s in scores):
            return MetricValue(name=self.name, value=None, n=0, n_failed=len(scores), direction=self.direction,
                               details={"reason": "no item was scored by the judge"})
        return super().compute(scores, seed)


def with_audiobench_judge(task: Task, rubric: str) -> Task:
    """The task judged with one of the AudioBench-protocol rubrics, reporting its mapped score too."""
    metric = AudioBenchJudgeScore(SCALE_MAX[rubric])
    return dataclasses.replace(task, rubric=rubric, metrics=(*task.metrics, metric))
