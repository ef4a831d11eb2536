"""What the HTTP API adapters (openai, gemini) share: the retry/concurrency options, an event loop
on a background thread that lives as long as the adapter (so one HTTP client with its connection
pool and TLS context serves every batch, instead of a new one per asyncio.run), an AdaptiveLimiter
kept across batches, turning a final failure into a ModelOutput instead of an exception, and the
clock that times streamed answers (time to first token, gaps between tokens)."""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from seabench.adapter import AsyncModelAdapter
from seabench.retry import DEFAULT_CEILING, DEFAULT_CONCURRENCY, AdaptiveLimiter, Outcome, RetryPolicy, with_retries
from seabench.types import GenerationConfig, ModelInput, ModelOutput

C = TypeVar("C")
T = TypeVar("T")

COMMON_OPTIONS = {"concurrency", "timeout", "max_retries", "backoff", "max_backoff", "max_audio_s", "stream"}


def transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """Timeout and transport exception classes of whichever HTTP stacks the clients use (httpx,
    httpx2, aiohttp); a stream being read raises them unwrapped."""
    timeouts: list[type[BaseException]] = [asyncio.TimeoutError, TimeoutError]
    transport: list[type[BaseException]] = []
    for name in ("httpx", "httpx2"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        timeouts.append(mod.TimeoutException)
        transport.append(mod.TransportError)
    try:
        import aiohttp

        transport.append(aiohttp.ClientError)
    except ImportError:
        pass
    return tuple(timeouts), tuple(transport)


@dataclass
class StreamClock:
    """When the pieces of one streamed answer arrived (time.perf_counter seconds). `start` is taken
    just before the request is sent, so the time to first token includes the upload and the server's
    queue and prefill, as a user of the server experiences it."""

    start: float = field(default_factory=time.perf_counter)
    arrivals: list[float] = field(default_factory=list)

    def tick(self) -> None:
        """A piece carrying generated text arrived now."""
        self.arrivals.append(time.perf_counter())

    @property
    def ttft_s(self) -> float | None:
        return self.arrivals[0] - self.start if self.arrivals else None

    @property
    def gaps(self) -> list[float]:
        """Inter-token latencies: the time between consecutive pieces."""
        return [b - a for a, b in zip(self.arrivals, self.arrivals[1:])]

    def timing(self, tokens: int | None) -> dict[str, float]:
        """The ModelOutput.timing entries. `tokens` is the server's count of generated tokens; without
        it every streamed piece counts as one token."""
        if not self.arrivals:
            return {}
        gaps = self.gaps
        elapsed = self.arrivals[-1] - self.start
        out = {"ttft_s": self.arrivals[0] - self.start, "stream_chunks": float(len(self.arrivals))}
        if gaps:
            out["itl_mean_s"] = float(np.mean(gaps))
            out["itl_p95_s"] = float(np.percentile(gaps, 95))
        if elapsed > 0:
            out["tokens_per_s"] = (tokens if tokens is not None else len(self.arrivals)) / elapsed
        return out


class ApiAdapter(AsyncModelAdapter, Generic[C]):
    """Subclasses implement `_open_client()`, `_close_client(client)` and `agenerate`."""

    # streaming changes how an answer arrives, never what it says (tested)
    neutral_options = frozenset({"concurrency", "timeout", "max_retries", "backoff", "max_backoff", "probe", "stream"})

    def __init__(self, options: dict[str, Any], default_timeout: float) -> None:
        self.concurrency = int(options.get("concurrency", DEFAULT_CONCURRENCY))
        self.timeout = float(options.get("timeout", default_timeout))
        self.policy = RetryPolicy(max_retries=int(options.get("max_retries", 6)),
                                  base_delay=float(options.get("backoff", 1.0)),
                                  max_delay=float(options.get("max_backoff", 60.0)))
        self.max_audio_s = float(options["max_audio_s"]) if options.get("max_audio_s") is not None else None
        self.stream = bool(options.get("stream", False))  # answers streamed and timed (ModelOutput.timing)
        # the default concurrency rises while the server keeps up (no 429); an explicit one is kept
        self.limiter = AdaptiveLimiter(self.concurrency,
                                       max_limit=None if "concurrency" in options else max(self.concurrency, DEFAULT_CEILING))
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
