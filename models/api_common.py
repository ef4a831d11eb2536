"""What the HTTP API adapters (openai, gemini) share: the retry/concurrency options, an event loop
on a background thread that lives as long as the adapter (so one HTTP client with its connection
pool and TLS context serves every batch, instead of a new one per asyncio.run), an AdaptiveLimiter
kept across batches, and turning a final failure into a ModelOutput instead of an exception."""

from __future__ import annotations

import asyncio
import threading
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from seabench.adapter import AsyncModelAdapter
from seabench.retry import AdaptiveLimiter, Outcome, RetryPolicy, with_retries
from seabench.types import GenerationConfig, ModelInput, ModelOutput

C = TypeVar("C")
T = TypeVar("T")

COMMON_OPTIONS = {"concurrency", "timeout", "max_retries", "backoff", "max_backoff", "max_audio_s"}


class ApiAdapter(AsyncModelAdapter, Generic[C]):
    """Subclasses implement `_open_client()`, `_close_client(client)` and `agenerate`."""

    neutral_options = frozenset({"concurrency", "timeout", "max_retries", "backoff", "max_backoff", "probe"})

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
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

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

    def run_coroutine(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the adapter's own loop thread (started on first use) and wait for it."""
        if self._thread_loop is None:
            self._thread_loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._thread_loop.run_forever, name=f"{self.id}-loop",
                                            daemon=True)
            self._thread.start()
        future = asyncio.run_coroutine_threadsafe(coro, self._thread_loop)
        try:
            return future.result()
        except BaseException:  # Ctrl-C in the caller: stop the batch's requests too
            future.cancel()
            raise

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        return self.run_coroutine(self._gather(batch, config))

    async def aclose_client(self) -> None:
        """Close the client made in the running loop (callers that run their own loop use this)."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            client, self._client, self._loop = self._client, None, None
            await self._close_client(client)

    def close(self) -> None:
        loop, self._thread_loop = self._thread_loop, None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.aclose_client(), loop).result(timeout=10)
        except Exception:  # closing is best effort: the process may be shutting down
            pass
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()

    async def call(self, fn: Callable[[], Awaitable[T]]) -> Outcome[T]:
        return await with_retries(fn, self.policy, limiter=self.limiter)

    @staticmethod
    def failed(outcome: Outcome[Any], retries: int, start: float) -> ModelOutput:
        assert outcome.error is not None
        return ModelOutput(error=outcome.error.describe(), error_code=outcome.error.error_code, retries=retries,
                           latency_s=time.perf_counter() - start)
