"""The mean judge score of a task, honest about a judge that never answered."""

from __future__ import annotations

from seabench.judging.phase import JUDGE_SCORER, NOT_SENT
from seabench.metrics import MeanMetric
from seabench.types import MetricValue, Score


class JudgeScore(MeanMetric):
    """Mean of the judge's scores (on the rubric's scale) over scored items (unscored ones are excluded and counted).

    Empty or failed answers get the lowest score without a call; when items were sent to the judge
    and none came back scored (every call failed), the task has no score rather than that minimum."""

    def __init__(self, name: str = "judge_score", scorer: str = JUDGE_SCORER) -> None:
        super().__init__(name, scorer)

    def compute(self, scores: list[Score], seed: int = 0) -> MetricValue:
        value = super().compute(scores, seed)
        never_answered = all(NOT_SENT in s.flags for s in scores if s.value is not None)
        if value.n and never_answered and any(s.value is None for s in scores):
            return MetricValue(name=self.name, value=None, n=0, n_failed=len(scores), direction=self.direction,
                               details={"reason": "no item was scored by the judge"})
        return value
