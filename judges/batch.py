"""Gemini Batch mode for large judge runs: half the price of synchronous calls and separate,
higher limits, at the cost of latency (the service targets 24 h; usually much less).

`judge_in_batch` plans the same work as synchronous judging (same requests, same `--only-failed`
selection, empty answers scored without a call), answers what it can from the judge cache, and
submits the rest as inline batch requests (`client.batches.create`) with the same system
instruction, prompt, schema and settings as a synchronous call. Audio is uploaded once per clip
(Files API, reused by sha256) so requests carry file URIs, not bytes, and stay under the inline
request limit; requests are split into several jobs when they would not fit. The job names are
written to `RUN/judge_batch.json` as soon as each job exists: an interrupted or timed-out collect
(`wait_s`) resumes by polling the same jobs, never paying twice. Results go through the same
parse / cache / combine path as synchronous verdicts; an item the batch failed is `unscored` with
the reason, to be picked up by `seabench score RUN --judge ... --only-failed`."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seabench.audio import AudioError
from seabench.errors import UserError
from seabench.judging.backend import JudgeCache, JudgeReply, combine
from seabench.judging.phase import minimum_verdict, open_judge, plan, store
from seabench.judging.summary import write_judging
from seabench.judging.request import JudgeRequest
from seabench.records import (
    SAMPLES_FILE,
    atomic_write_text,
    latest_records,
    rewrite_records,
)
from seabench.registry import Registry
from seabench.retry import CallError, with_retries
from seabench.task import Task
from seabench.types import SampleRecord, Verdict

STATE_FILE = "judge_batch.json"
BATCH_OPTIONS = {"poll_s", "max_poll_s", "wait_s", "batch_mb"}
DONE_STATES = {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
REQUEST_OVERHEAD_BYTES = 2048  # config, schema and file reference of one inline request


class BatchTimeout(UserError):
    """The jobs were still running when `wait_s` ran out; the state file lets a re-run resume."""


@dataclass
class Item:
    record: SampleRecord
    request: JudgeRequest
    index: int  # n-sample judging: which sample
    key: str  # judge cache key; also the batch request's metadata


def _state_path(run_dir: Path) -> Path:
    return run_dir / STATE_FILE


def load_state(run_dir: Path, spec: str, temperature: float) -> list[dict[str, Any]]:
    """Jobs of an earlier, uncollected batch run of the same judge and temperature."""
    path = _state_path(run_dir)
    if not path.is_file():
        return []
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("spec") != spec or state.get("temperature") != temperature:
        raise UserError(f"{path} belongs to an uncollected batch of {state.get('spec')!r} at temperature "
                        f"{state.get('temperature')}; collect it with that judge first, or delete the file")
    return list(state.get("jobs", []))


def save_state(run_dir: Path, spec: str, temperature: float, jobs: list[dict[str, Any]]) -> None:
    atomic_write_text(_state_path(run_dir), json.dumps(
        {"version": 1, "spec": spec, "temperature": temperature, "jobs": jobs}, indent=1))


def chunks(items: list[tuple[Item, int]], limit_bytes: int) -> list[list[Item]]:
    """(item, size) -> groups whose summed size stays under the limit (a lone oversize item still goes)."""
    out: list[list[Item]] = []
    size = 0
    for item, n in items:
        if not out or size + n > limit_bytes:
            out.append([])
            size = 0
        out[-1].append(item)
        size += n
    return out


class BatchJudging:
    def __init__(self, backend: Any, run_dir: Path, spec: str, temperature: float, options: dict[str, Any]) -> None:
        self.backend = backend
        self.run_dir = run_dir
        self.spec = spec
        self.temperature = temperature
        self.poll_s = float(options.get("poll_s", 30.0))
        self.max_poll_s = float(options.get("max_poll_s", 600.0))
        self.wait_s = float(options["wait_s"]) if options.get("wait_s") is not None else None
        self.limit_bytes = int(float(options.get("batch_mb", 15.0)) * 1024 * 1024)
        self.failed: dict[str, JudgeReply] = {}  # items that never made it into a job

    async def _call(self, fn: Any) -> Any:
        from seabench.models.gemini import _translate

        async def once() -> Any:
            try:
                return await fn()
            except Exception as exc:
                raise _translate(exc) from exc

        outcome = await with_retries(once, self.backend.policy, limiter=self.backend.limiter)
        if not outcome.ok:
            assert outcome.error is not None
            raise UserError(f"Gemini Batch API: {outcome.error.describe()}")
        return outcome.value

    async def submit(self, pending: list[Item], jobs: list[dict[str, Any]]) -> None:
        from google.genai import types

        built: list[tuple[Item, Any, int]] = []
        for item in pending:
            with_audio = item.request.wants_audio and self.backend.accepts_audio
            try:
                contents, _, _ = await self.backend.contents(item.request, with_audio)
            except (CallError, AudioError) as exc:  # this item only: its audio could not be read or uploaded
                self.failed[item.key] = JudgeReply(raw="", error=str(exc))
                continue
            inlined = types.InlinedRequest(contents=contents, config=self.backend.config(self.temperature),
                                           metadata={"key": item.key})
            built.append((item, inlined, len(item.request.prompt(with_audio).encode()) + REQUEST_OVERHEAD_BYTES))
        if not built:
            return
        by_key = {item.key: inlined for item, inlined, _ in built}
        client = self.backend.client()
        for n, group in enumerate(chunks([(i, size) for i, _, size in built], self.limit_bytes)):
            job = await self._call(lambda g=group, n=n: client.aio.batches.create(
                model=self.backend.adapter.model, src=[by_key[i.key] for i in g],
                config=types.CreateBatchJobConfig(display_name=f"seabench-judge-{self.run_dir.name}-{len(jobs) + 1}")))
            jobs.append({"name": job.name, "keys": [i.key for i in group]})
            save_state(self.run_dir, self.spec, self.temperature, jobs)  # before anything else can fail

    async def wait(self, name: str, deadline: float | None) -> Any:
        client = self.backend.client()
        delay = self.poll_s
        while True:
            job = await self._call(lambda: client.aio.batches.get(name=name))
            state = getattr(job.state, "name", str(job.state))
            if state in DONE_STATES:
                return job
            if deadline is not None and time.monotonic() + delay > deadline:
                raise BatchTimeout(f"Gemini batch {name} is still {state}; run the same command again to "
                                   f"resume (state in {_state_path(self.run_dir)})")
            await asyncio.sleep(delay)
            delay = min(self.max_poll_s, delay * 1.5)

    def replies(self, job: Any) -> dict[str, JudgeReply]:
        from seabench.judges.gemini import reply_text

        state = getattr(job.state, "name", str(job.state))
        if state != "JOB_STATE_SUCCEEDED":
            return {}
        out: dict[str, JudgeReply] = {}
        for answer in (job.dest.inlined_responses if job.dest and job.dest.inlined_responses else []):
            key = (answer.metadata or {}).get("key")
            if key is None:
                continue
            if answer.error is not None or answer.response is None:
                out[key] = JudgeReply(raw="", error=f"batch item error: {answer.error}")
            else:
                out[key] = JudgeReply(raw=reply_text(answer.response))
        return out

    async def run(self, pending: list[Item]) -> dict[str, JudgeReply]:
        """Submit what no earlier job covers, wait for every job, and return replies by cache key."""
        try:
            jobs = load_state(self.run_dir, self.spec, self.temperature)
            covered = {k for job in jobs for k in job["keys"]}
            todo = [i for i in pending if i.key not in covered]
            if todo:
                await self.submit(todo, jobs)
            wanted = {i.key for i in pending}
            deadline = None if self.wait_s is None else time.monotonic() + self.wait_s
            replies: dict[str, JudgeReply] = dict(self.failed)
            for job in jobs:
                if not wanted & set(job["keys"]):
                    continue
                finished = await self.wait(job["name"], deadline)
                got = self.replies(finished)
                state = getattr(finished.state, "name", str(finished.state))
                for key in job["keys"]:
                    replies[key] = got.get(key) or JudgeReply(raw="", error=(
                        f"batch job {job['name']} ended {state}" if state != "JOB_STATE_SUCCEEDED" else
                        f"missing from the output of batch job {job['name']}"))
            return replies
        finally:
            await self.backend.aclose_loop()


def judge_in_batch(run_dir: Path, tasks: dict[str, Task], spec: str, reg: Registry, *,
                   options: dict[str, Any] | None = None, n_samples: int = 1, only_failed: bool = False) -> int:
    """Judge a run's judge-scored records through the Gemini Batch API; returns the records judged.
    Options: the gemini judge's own, plus poll_s (first poll interval, default 30, growing x1.5 to
    max_poll_s=600), wait_s (give up waiting and keep the state for a later resume; default: wait)
    and batch_mb (inline size per job, default 15)."""
    if not spec.startswith("gemini:"):
        raise UserError(f"Batch mode needs a gemini: judge, not {spec!r}")
    options = dict(options or {})
    batch_options = {k: options.pop(k) for k in BATCH_OPTIONS if k in options}
    backend, rubrics = open_judge(reg, spec, {**options, "upload": True})
    temperature = 0.0 if n_samples == 1 else 0.7
    path = run_dir / SAMPLES_FILE
    records = latest_records(path)
    work = plan(tasks, list(records.values()), backend.snapshot(), only_failed, rubrics)
    for record, request in work.skipped_empty:
        store(record, minimum_verdict(request, backend.snapshot()), request, sent=False)
    cache = JudgeCache()
    try:
        items = [Item(record, request, k, backend.sample_key(request, k, temperature))
                 for record, request in work.requests for k in range(n_samples)]
        verdicts: dict[str, Verdict] = {}
        for item in items:
            hit = backend.cached_verdict(item.request, item.key, cache)
            if hit is not None:
                verdicts[item.key] = hit
        pending = [i for i in items if i.key not in verdicts]
        if pending:
            replies = asyncio.run(BatchJudging(backend, run_dir, spec, temperature, batch_options).run(pending))
            for item in pending:
                reply = replies[item.key]
                reply.audio_seen = item.request.wants_audio and backend.accepts_audio
                verdicts[item.key] = backend.verdict_for(item.request, reply, item.key, cache)
        for record, request in work.requests:
            store(record, combine([verdicts[backend.sample_key(request, k, temperature)] for k in range(n_samples)]),
                  request)
    finally:
        cache.close()
        backend.close()
    rewrite_records(path, list(records.values()))
    write_judging(run_dir, tasks, records.values())
    _state_path(run_dir).unlink(missing_ok=True)
    return len(work.requests) + len(work.skipped_empty)
