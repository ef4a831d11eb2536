"""Apply a task's deterministic scorers to one record. Used at generation time and by
`seabench score` to re-score stored outputs without regenerating them."""

from __future__ import annotations

from seabench.task import Task
from seabench.types import Sample, SampleRecord, Score


def output_text(record: SampleRecord) -> str:
    """A failed sample is scored as an empty answer, so every model is judged on the same items."""
    if record.error_code is not None or record.output is None:
        return ""
    return record.output.text


def score_record(task: Task, sample: Sample, record: SampleRecord) -> None:
    """Recompute the task's deterministic scores; judge scores already on the record are kept."""
    text = output_text(record)
    scores: dict[str, Score] = {}
    for scorer in task.scorers:
        try:
            score = scorer.score(sample, text)
        except Exception as exc:  # a scorer bug on one odd output must not stop the run
            score = Score(value=None, explanation=f"scorer error: {type(exc).__name__}: {exc}", flags=["scorer_error"])
        if record.error_code is not None and "error" not in score.flags:
            score.flags.append("error")
        scores[scorer.name] = score
    record.scores.update(scores)
