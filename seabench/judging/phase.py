"""The judging step of a run and of `seabench score --judge`: build requests for judge-scored
tasks, skip what is already judged (or everything but the failures with --only-failed), judge,
and store each verdict as `scores["judge"]` (None = unscored, excluded from means, counted).

The judge is told the language the answer should be in: the item's target language when it has
one (a translation), else the language spoken. A user rubric file (`-J rules=PATH`) replaces the
shipped rubric of every item it covers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seabench.judging.backend import JudgeBackend, JudgeCache
from seabench.judging.request import JudgeRequest
from seabench.judging.rubric import Rubric, load_rubric
from seabench.judging.rubric_file import RubricFile, split_rules_option
from seabench.scoring import output_text
from seabench.task import Task
from seabench.types import SampleRecord, Score, Verdict

JUDGE_SCORER = "judge"
NOT_SENT = "not_sent"  # flag of a judge score given without a call (empty or failed answer)
AUDIO_TOKENS_PER_S = 32  # Gemini's published audio rate, used for cost estimates
CHARS_PER_TOKEN = 4


def rubric_for(task: Task, record: SampleRecord, rubrics: RubricFile | None = None) -> Rubric:
    rubric_id = str(record.metadata.get("rubric") or task.rubric or "generic")
    if rubrics is None:
        return load_rubric(rubric_id)
    task_type = record.metadata.get("task_type")
    return rubrics.rubric_for(str(task_type) if task_type else None, rubric_id)


def is_judged(record: SampleRecord, judge: str, rubric: Rubric) -> bool:
    score = record.scores.get(JUDGE_SCORER)
    if not record.verdicts or score is None or score.value is None:
        return False
    last = record.verdicts[-1]
    return last.judge == judge and last.rubric == rubric.ref and last.rubric_sha256 in (None, rubric.sha256)


def needs_judging(record: SampleRecord, judge: str, rubric: Rubric, only_failed: bool) -> bool:
    if only_failed:
        score = record.scores.get(JUDGE_SCORER)
        return score is None or score.value is None
    return not is_judged(record, judge, rubric)


def request_for(task: Task, record: SampleRecord, rubrics: RubricFile | None = None) -> JudgeRequest:
    reference = record.reference if isinstance(record.reference, str) else " / ".join(record.reference or [])
    return JudgeRequest(task=task.name, sample_id=record.sample_id, rubric=rubric_for(task, record, rubrics),
                        answer=output_text(record), question=record.prompt, reference=reference,
                        language=record.target_language or record.language, audio=record.audio,
                        transcript=str(record.metadata.get("transcript") or ""))


def store(record: SampleRecord, verdict: Verdict, request: JudgeRequest, sent: bool = True) -> None:
    """Attach a verdict (with the rubric's sha256 and scale) and its judge score; `sent=False` marks a score
    given without a judge call, so a task none of whose calls succeeded shows no score."""
    rubric = request.rubric
    record.verdicts = [verdict.model_copy(update={"rubric_sha256": rubric.sha256, "rubric_source": rubric.source,
                                                  "scale": (rubric.scale_min, rubric.scale_max)})]
    flags = [] if verdict.score is not None else ["unscored"]
    if not sent:
        flags.append(NOT_SENT)
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


def plan(tasks: dict[str, Task], records: list[SampleRecord], judge: str, only_failed: bool,
         rubrics: RubricFile | None = None) -> JudgePlan:
    todo, empty = [], []
    for record in records:
        task = tasks.get(record.task)
        if task is None or task.rubric is None:
            continue
        request = request_for(task, record, rubrics)
        if not needs_judging(record, judge, request.rubric, only_failed):
            continue
        (todo if request.answer.strip() else empty).append((record, request))
    return JudgePlan(todo, empty)


def open_judge(reg, spec: str, options: dict[str, Any] | None) -> tuple[JudgeBackend, RubricFile | None]:  # noqa: ANN001 - Registry
    """The judge backend (without the `rules` option) and the user's rubric file it names, if any."""
    rest, rubrics = split_rules_option(options)
    return reg.create_judge(spec, rest), rubrics


def describe_judge(reg, spec: str, options: dict[str, Any] | None) -> tuple[str, bool, RubricFile | None]:  # noqa: ANN001
    """(snapshot, hears audio, rubric file) without a client or an API key, where the judge module
    can say (its `describe`); otherwise the backend is created and asked."""
    import importlib

    rest, rubrics = split_rules_option(options)
    entry = reg.judge_entry(spec)
    module = importlib.import_module(entry.loader.split(":")[0]) if isinstance(entry.loader, str) else None
    describe = getattr(module, "describe", None)
    if describe is not None:
        snapshot, audio = describe(spec, rest)
        return snapshot, audio, rubrics
    backend = reg.create_judge(spec, rest)
    try:
        return backend.snapshot(), backend.accepts_audio, rubrics
    finally:
        backend.close()


def run_judging(backend: JudgeBackend, work: JudgePlan, *, n_samples: int = 1, cache: JudgeCache | None = None,
                on_done=None) -> int:  # noqa: ANN001 - progress callback
    """Judge the plan; returns the number of records judged (calls may be fewer: cache hits)."""
    snapshot = backend.snapshot()
    for record, request in work.skipped_empty:
        store(record, minimum_verdict(request, snapshot), request, sent=False)
    verdicts = backend.judge([r for _, r in work.requests], n_samples=n_samples, cache=cache, on_done=on_done)
    for (record, request), verdict in zip(work.requests, verdicts):
        store(record, verdict, request)
    return len(work.requests) + len(work.skipped_empty)
