"""What the HTTP API adapters (openai, gemini) share: the retry/concurrency options, one client
per event loop (AsyncModelAdapter.generate runs each batch in its own asyncio.run, and async HTTP
clients must not outlive their loop), an AdaptiveLimiter kept across batches, and turning a final
failure into a ModelOutput instead of an exception."""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from seabench.adapter import AsyncModelAdapter
from seabench.retry import AdaptiveLimiter, Outcome, RetryPolicy, with_retries
from seabench.types import GenerationConfig, ModelInput, ModelOutput

C = TypeVar("C")
T = TypeVar("T")

COMMON_OPTIONS = {"concurrency", "timeout", "max_retries", "backoff", "max_backoff", "max_audio_s"}


class ApiAdapter(AsyncModelAdapter, Generic[C]):
    """Subclasses implement `_open_client()`, `_close_client(client)` and `agenerate`."""

    def __init__(self, options: dict[str, Any], default_timeout: float) -> None:
        self.concurrency = int(options.get("concurrency", 16))
        self.timeout = float(options.get("timeout", default_timeout))
        self.policy = RetryPolicy(max_retries=int(options.get("max_retries", 6)),
                                  base_delay=float(options.get("backoff", 1.0)),
                                  max_delay=float(options.get("max_backoff", 60.0)))
        self.max_audio_s = float(options["max_audio_s"]) if options.get("max_audio_s") is not None else None
        self.limiter = AdaptiveLimiter(self.concurrency)
        self.warnings: list[str] = []
        self._client: C | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @abstractmethod
    def _open_client(self) -> C: ...

    @abstractmethod
    async def _close_client(self, client: C) -> None: ...

    def client(self) -> C:
        """The client bound to the running event loop (made on first use in that loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = self._open_client(), loop
        return self._client

    async def _gather(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        try:
            return await super()._gather(batch, config)
        finally:
            if self._client is not None and self._loop is asyncio.get_running_loop():
                client, self._client, self._loop = self._client, None, None
                await self._close_client(client)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> Outcome[T]:
        return await with_retries(fn, self.policy, limiter=self.limiter)

    @staticmethod
    def failed(outcome: Outcome[Any], retries: int, start: float) -> ModelOutput:
        assert outcome.error is not None
        return ModelOutput(error=outcome.error.describe(), error_code=outcome.error.error_code, retries=retries,
                           latency_s=time.perf_counter() - start)
