"""Retries with backoff and an adaptive concurrency limit, shared by API model adapters and judges.

Why our own instead of each client's: retries must be counted per sample (ModelOutput.retries,
Verdict.retries), a 429 must also slow every other in-flight request down (AdaptiveLimiter), and a
failure after the last attempt must come back as a value so one bad sample never aborts a batch.
Adapters translate their client's exceptions into `CallError`; everything else here is client-agnostic.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from seabench.types import ErrorCode

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 429})  # plus every 5xx
DEFAULT_CONCURRENCY = 16  # requests in flight an API model or judge starts with
DEFAULT_CEILING = 64  # how far that default may grow while no 429 comes back (an explicit -M concurrency is fixed)
RATE_LIMIT_STATUS = frozenset({429, 503})  # statuses whose Retry-After we honour


class CallError(Exception):
    """An API call failed. `status` is the HTTP status (None: no response: connection error,
    timeout or a body that could not be parsed)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 timeout: bool = False, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.timeout = timeout
        self._retryable = retryable

    @property
    def retryable(self) -> bool:
        if self._retryable is not None:
            return self._retryable
        return self.status is None or self.status in RETRYABLE_STATUS or self.status >= 500

    @property
    def rate_limited(self) -> bool:
        return self.status == 429

    @property
    def error_code(self) -> ErrorCode:
        return ErrorCode.TIMEOUT if self.timeout else ErrorCode.MODEL_ERROR

    def describe(self) -> str:
        prefix = "timeout" if self.timeout else (f"HTTP {self.status}" if self.status else "error")
        return f"{prefix}: {self}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as delta-seconds or an HTTP date -> seconds to wait (None if absent/garbled)."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter. `max_retries` retries after the first attempt.

    Delay before retry n (0-based): base * multiplier**n, capped at max_delay, then "equal jitter"
    (a uniform draw in [d*(1-jitter), d]). A Retry-After on 429/503 replaces the computed delay
    (capped at max_retry_after). `seed` makes the jitter reproducible in tests."""

    max_retries: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: float = 0.5
    max_retry_after: float = 300.0
    attempt_timeout: float | None = None  # a backstop on top of the client's own timeout
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def delay(self, retry_index: int, error: CallError | None = None) -> float:
        if error is not None and error.retry_after is not None and error.status in RATE_LIMIT_STATUS:
            return min(error.retry_after, self.max_retry_after)
        d = min(self.max_delay, self.base_delay * self.multiplier ** retry_index)
        return d * (1.0 - self.jitter * self._rng.random())


@dataclass
class Outcome(Generic[T]):
    """What `with_retries` returns: a value, or the last error; and how many retries it took."""

    value: T | None = None
    error: CallError | None = None
    retries: int = 0
    rate_limited: int = 0  # how many of the failed attempts were 429s

    @property
    def ok(self) -> bool:
        return self.error is None


class AdaptiveLimiter:
    """A concurrency limit that backs off on 429s and rises on successes.

    Starts at `limit`; a 429 multiplies it by `decrease` (at most once per `cooldown_s`, so a burst
    of 429s from requests that were already in flight counts once). Every `grow_after` successes
    (default: the current limit, i.e. about one round of requests) it rises up to `max_limit`
    (default: `limit`, a fixed concurrency): by half while no 429 has ever come back, so a server
    with room is found within a few rounds, then by 1 a round once the server has pushed back.
    The state is plain numbers, so one limiter can be shared by successive event loops."""

    def __init__(self, limit: int, *, max_limit: int | None = None, min_limit: int = 1, decrease: float = 0.8,
                 cooldown_s: float = 15.0, grow_after: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self._limit = float(limit)
        self.max_limit = max(max_limit or limit, limit)
        self.min_limit = max(1, min_limit)
        self.decrease = decrease
        self.cooldown_s = cooldown_s
        self.grow_after = grow_after
        self._clock = clock
        self._last_decrease: float | None = None
        self.pushed_back = False  # a 429 has come back: grow by 1 a round from now on
        self._streak = 0
        self.in_flight = 0
        self.decreases = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def limit(self) -> int:
        return max(self.min_limit, int(self._limit))

    async def acquire(self) -> None:
        while self.in_flight >= self.limit:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut in self._waiters:
                    self._waiters.remove(fut)
                raise
        self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        free = self.limit - self.in_flight
        while free > 0 and self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                free -= 1

    async def __aenter__(self) -> AdaptiveLimiter:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def on_rate_limited(self) -> None:
        now = self._clock()
        self._streak = 0
        self.pushed_back = True
        if self._last_decrease is not None and now - self._last_decrease < self.cooldown_s:
            return
        self._last_decrease = now
        self._limit = max(float(self.min_limit), self._limit * self.decrease)
        self.decreases += 1

    def on_success(self) -> None:
        if self._limit >= self.max_limit:
            return
        self._streak += 1
        if self._streak >= (self.grow_after or self.limit):
            self._streak = 0
            step = 1 if self.pushed_back else max(1, self.limit // 2)
            self._limit = min(float(self.max_limit), float(self.limit + step))
            self._wake()


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy,
                       on_retry: Callable[[int, CallError, float], None] | None = None, *,
                       limiter: AdaptiveLimiter | None = None,
                       sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Outcome[T]:
    """Run `call` until it succeeds, fails for good, or attempts run out. Never raises for a
    failed call: the result carries the last error. `on_retry(retry_number, error, delay)` is told
    before each wait. With a limiter, each attempt holds a slot (not the waits between attempts)
    and 429s / successes steer it."""
    retries = 0
    rate_limited = 0
    while True:
        try:
            if limiter is not None:
                await limiter.acquire()
            try:
                if policy.attempt_timeout is not None:
                    value = await asyncio.wait_for(call(), policy.attempt_timeout)
                else:
                    value = await call()
            finally:
                if limiter is not None:
                    limiter.release()
        except CallError as exc:
            error = exc
        except (asyncio.TimeoutError, TimeoutError) as exc:
            error = CallError(f"no answer within {policy.attempt_timeout}s", timeout=True)
            error.__cause__ = exc
        except Exception as exc:  # a bug or an untranslated client error: fail this sample, don't retry
            error = CallError(f"{type(exc).__name__}: {exc}", retryable=False)
            error.__cause__ = exc
        else:
            if limiter is not None:
                limiter.on_success()
            return Outcome(value=value, retries=retries, rate_limited=rate_limited)
        if error.rate_limited:
            rate_limited += 1
            if limiter is not None:
                limiter.on_rate_limited()
        if not error.retryable or retries >= policy.max_retries:
            return Outcome(error=error, retries=retries, rate_limited=rate_limited)
        wait = policy.delay(retries, error)
        retries += 1
        if on_retry is not None:
            on_retry(retries, error, wait)
        await sleep(wait)
