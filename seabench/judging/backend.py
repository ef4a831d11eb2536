"""Judge backends call a model with a JudgeRequest; the shared machinery here adds the
response cache, retries, adaptive concurrency, n-sample judging and parsing, so backends stay small."""

from __future__ import annotations

import asyncio
import hashlib
import json
import statistics
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seabench.cache import SqliteStore, cache_dir
from seabench.judging.request import JudgeRequest
from seabench.judging.verdict import parse_verdict
from seabench.retry import AdaptiveLimiter, RetryPolicy, with_retries
from seabench.types import Verdict


@dataclass
class JudgeReply:
    raw: str
    retries: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    audio_seen: bool = False
    error: str | None = None  # the call failed after retries
    model_version: str | None = None  # what the API says answered (e.g. Gemini's modelVersion)


class JudgeCache:
    """judge snapshot + rubric id@version + prompt + audio hash + answer -> raw reply (parsed ones only)."""

    def __init__(self, path: Path | None = None) -> None:
        self.store = SqliteStore(path or cache_dir() / "judgements.sqlite")

    def get(self, key: str) -> tuple[str, bool] | None:
        value = self.store.get_many([key]).get(key)
        if value is None:
            return None
        entry = json.loads(value)
        return entry["raw"], bool(entry["audio_seen"])

    def put(self, key: str, raw: str, audio_seen: bool) -> None:
        self.store.put_many({key: json.dumps({"raw": raw, "audio_seen": audio_seen}, ensure_ascii=False)})

    def close(self) -> None:
        self.store.close()


class JudgeBackend(ABC):
    """Subclasses implement `snapshot()` and one attempt of `acall` (raising seabench.retry.CallError
    for a failed call); retries with backoff, the adaptive concurrency limit (429 -> fewer requests
    in flight, Retry-After honoured) and the cache live here."""

    id: str = ""
    concurrency: int = 16
    accepts_audio: bool = True
    policy: RetryPolicy = RetryPolicy()

    @abstractmethod
    def snapshot(self) -> str:
        """Exact judge model identity; part of every cache key."""

    @abstractmethod
    async def acall(self, request: JudgeRequest, with_audio: bool, temperature: float) -> JudgeReply:
        """One attempt. Raise CallError to have it retried (when retryable) or failed with a reason."""

    def close(self) -> None:
        """Release clients and sessions."""

    async def aclose_loop(self) -> None:
        """Release what is bound to the current event loop (async HTTP clients) before it ends."""

    @property
    def limiter(self) -> AdaptiveLimiter:
        """One limiter per backend, kept across judge() calls so a 429 slows later batches too."""
        if self.__dict__.get("_limiter") is None:
            self.__dict__["_limiter"] = AdaptiveLimiter(self.concurrency)
        return self.__dict__["_limiter"]

    def sample_key(self, req: JudgeRequest, index: int, temperature: float) -> str:
        with_audio = req.wants_audio and self.accepts_audio
        return req.cache_key(self.snapshot(), with_audio, index) + hashlib.sha256(f"{temperature}".encode()).hexdigest()[:8]

    def cached_verdict(self, req: JudgeRequest, key: str, cache: JudgeCache | None) -> Verdict | None:
        hit = cache.get(key) if cache else None
        if hit is None:
            return None
        verdict = parse_verdict(hit[0], req.rubric, self.snapshot())
        return verdict.model_copy(update={"cached": True, "audio_seen": hit[1]})

    def verdict_for(self, req: JudgeRequest, reply: JudgeReply, key: str, cache: JudgeCache | None) -> Verdict:
        """A reply (or a failed call) -> Verdict; parsed replies are cached. Shared with Batch mode."""
        snapshot = self.snapshot()
        if reply.error is not None:
            return Verdict(score=None, raw=reply.raw, judge=snapshot, rubric=req.rubric.ref,
                           unscored_reason=f"judge call failed: {reply.error}", retries=reply.retries,
                           audio_seen=reply.audio_seen)
        verdict = parse_verdict(reply.raw, req.rubric, snapshot).model_copy(
            update={"retries": reply.retries, "audio_seen": reply.audio_seen, "model_version": reply.model_version})
        if cache and verdict.parse_ok:
            cache.put(key, reply.raw, reply.audio_seen)
        return verdict

    def judge(self, requests: list[JudgeRequest], *, n_samples: int = 1, temperature: float | None = None,
              cache: JudgeCache | None = None, on_done: Callable[[int], None] | None = None) -> list[Verdict]:
        """One Verdict per request, in order. n_samples > 1 samples at `temperature` (default 0.7)
        and records every score; the verdict's score is their mean."""
        temp = (0.0 if n_samples == 1 else 0.7) if temperature is None else temperature
        return asyncio.run(self._judge_all(requests, n_samples, temp, cache, on_done))

    async def _attempts(self, req: JudgeRequest, with_audio: bool, temp: float) -> JudgeReply:
        outcome = await with_retries(lambda: self.acall(req, with_audio, temp), self.policy, limiter=self.limiter)
        if outcome.ok:
            assert outcome.value is not None
            reply = outcome.value
            reply.retries += outcome.retries
            return reply
        assert outcome.error is not None
        return JudgeReply(raw="", retries=outcome.retries, audio_seen=with_audio, error=outcome.error.describe())

    async def _judge_all(self, requests: list[JudgeRequest], n: int, temp: float, cache: JudgeCache | None,
                         on_done: Callable[[int], None] | None) -> list[Verdict]:
        # bounds requests being prepared (audio read and encoded); each HTTP attempt waits on the limiter
        prepared = asyncio.Semaphore(2 * self.limiter.max_limit)

        async def one_sample(req: JudgeRequest, index: int) -> Verdict:
            key = self.sample_key(req, index, temp)
            hit = self.cached_verdict(req, key, cache)
            if hit is not None:
                return hit
            async with prepared:
                reply = await self._attempts(req, req.wants_audio and self.accepts_audio, temp)
            return self.verdict_for(req, reply, key, cache)

        async def one(i: int, req: JudgeRequest) -> Verdict:
            samples = await asyncio.gather(*(one_sample(req, k) for k in range(n)))
            if on_done:
                on_done(i)
            return combine(samples)

        try:
            return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(requests))))
        finally:
            await self.aclose_loop()


def combine(samples: list[Verdict]) -> Verdict:
    """n-sample judging: mean of the parsed scores; unscored only if every sample failed."""
    if len(samples) == 1:
        return samples[0]
    scores = [v.score for v in samples if v.score is not None]
    first = next((v for v in samples if v.parse_ok), samples[0])
    if not scores:
        return first.model_copy(update={"samples": []})
    spread = statistics.pstdev(scores) if len(scores) > 1 else 0.0
    return first.model_copy(update={
        "score": statistics.fmean(scores), "samples": scores, "parse_ok": True, "unscored_reason": None,
        "rationale": f"{first.rationale}\n[{len(scores)}/{len(samples)} samples, spread (sd) {spread:.2f}]",
        "retries": sum(v.retries for v in samples), "cached": all(v.cached for v in samples)})
