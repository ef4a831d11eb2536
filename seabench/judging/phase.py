"""The judging step of a run and of `seabench score --judge`: build requests for judge-scored
tasks, skip what is already judged (or everything but the failures with --only-failed), judge,
and store each verdict as `scores["judge"]` (None = unscored, excluded from means, counted)."""

from __future__ import annotations

from dataclasses import dataclass

from seabench.judging.backend import JudgeBackend, JudgeCache
from seabench.judging.request import JudgeRequest
from seabench.judging.rubric import Rubric, load_rubric
from seabench.scoring import output_text
from seabench.task import Task
from seabench.types import SampleRecord, Score, Verdict

JUDGE_SCORER = "judge"
AUDIO_TOKENS_PER_S = 32  # Gemini's published audio rate, used for cost estimates
CHARS_PER_TOKEN = 4


def rubric_for(task: Task, record: SampleRecord) -> Rubric:
    return load_rubric(str(record.metadata.get("rubric") or task.rubric or "generic"))


def is_judged(record: SampleRecord, judge: str) -> bool:
    score = record.scores.get(JUDGE_SCORER)
    return bool(record.verdicts) and record.verdicts[-1].judge == judge and score is not None and score.value is not None


def needs_judging(record: SampleRecord, judge: str, only_failed: bool) -> bool:
    if only_failed:
        score = record.scores.get(JUDGE_SCORER)
        return score is None or score.value is None
    return not is_judged(record, judge)


def request_for(task: Task, record: SampleRecord) -> JudgeRequest:
    reference = record.reference if isinstance(record.reference, str) else " / ".join(record.reference or [])
    return JudgeRequest(task=task.name, sample_id=record.sample_id, rubric=rubric_for(task, record),
                        answer=output_text(record), question=record.prompt, reference=reference,
                        language=record.language, audio=record.audio)


def store(record: SampleRecord, verdict: Verdict) -> None:
    record.verdicts = [verdict]
    flags = [] if verdict.score is not None else ["unscored"]
    record.scores[JUDGE_SCORER] = Score(value=verdict.score, explanation=verdict.rationale or verdict.unscored_reason,
                                        flags=flags)


def minimum_verdict(request: JudgeRequest, judge: str) -> Verdict:
    """An empty or failed answer is the rubric's minimum without spending a judge call."""
    return Verdict(score=float(request.rubric.scale_min), rationale="empty or failed answer: lowest score, not sent "
                   "to the judge", parse_ok=True, judge=judge, rubric=request.rubric.ref)


@dataclass
class JudgePlan:
    requests: list[tuple[SampleRecord, JudgeRequest]]
    skipped_empty: list[tuple[SampleRecord, JudgeRequest]]

    def estimate(self, n_samples: int, with_audio: bool) -> dict[str, float]:
        calls = len(self.requests) * n_samples
        audio_s = sum((a.duration_s or 0.0) for _, r in self.requests for a in r.audio) * n_samples if with_audio else 0
        text_tokens = sum(len(r.prompt(with_audio)) for _, r in self.requests) / CHARS_PER_TOKEN * n_samples
        return {"calls": calls, "audio_seconds": round(audio_s, 1),
                "input_tokens": round(text_tokens + audio_s * AUDIO_TOKENS_PER_S),
                "output_tokens_max": calls * 300, "answers_scored_without_a_call": len(self.skipped_empty)}


def plan(tasks: dict[str, Task], records: list[SampleRecord], judge: str, only_failed: bool) -> JudgePlan:
    todo, empty = [], []
    for record in records:
        task = tasks.get(record.task)
        if task is None or task.rubric is None or not needs_judging(record, judge, only_failed):
            continue
        request = request_for(task, record)
        (todo if request.answer.strip() else empty).append((record, request))
    return JudgePlan(todo, empty)


def run_judging(backend: JudgeBackend, work: JudgePlan, *, n_samples: int = 1, cache: JudgeCache | None = None,
                on_done=None) -> int:  # noqa: ANN001 - progress callback
    """Judge the plan; returns the number of records judged (calls may be fewer: cache hits)."""
    snapshot = backend.snapshot()
    for record, request in work.skipped_empty:
        store(record, minimum_verdict(request, snapshot))
    verdicts = backend.judge([r for _, r in work.requests], n_samples=n_samples, cache=cache, on_done=on_done)
    for (record, _), verdict in zip(work.requests, verdicts):
        store(record, verdict)
    return len(work.requests) + len(work.skipped_empty)
