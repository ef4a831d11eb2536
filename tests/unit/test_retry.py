"""seabench.retry: Retry-After parsing, backoff, which failures are retried, AdaptiveLimiter."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from seabench.retry import AdaptiveLimiter, CallError, RetryPolicy, parse_retry_after, with_retries
from seabench.types import ErrorCode


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Flaky:
    """Raises the given errors in turn, then returns "ok"; counts calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def run_retries(call: Flaky, policy: RetryPolicy, **kw: object):
    waits: list[float] = []

    async def fake_sleep(s: float) -> None:
        waits.append(s)

    outcome = asyncio.run(with_retries(call, policy, sleep=fake_sleep, **kw))  # type: ignore[arg-type]
    return outcome, waits


# -- Retry-After ------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [("3", 3.0), ("0", 0.0), (" 1.5 ", 1.5), ("-4", 0.0), (None, None),
                                             ("", None), ("soon", None)])
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 42, usegmt=True), now=now) == pytest.approx(42.0)
    assert parse_retry_after(email.utils.formatdate(now - 42, usegmt=True), now=now) == 0.0


# -- classification ---------------------------------------------------------------------------
@pytest.mark.parametrize("status, retryable", [(408, True), (429, True), (500, True), (502, True), (503, True),
                                               (504, True), (400, False), (401, False), (403, False),
                                               (404, False), (422, False), (None, True)])
def test_which_statuses_are_retried(status: int | None, retryable: bool) -> None:
    assert CallError("x", status=status).retryable is retryable


def test_timeout_maps_to_timeout_code() -> None:
    assert CallError("x", timeout=True).error_code is ErrorCode.TIMEOUT
    assert CallError("x", status=500).error_code is ErrorCode.MODEL_ERROR


# -- backoff ----------------------------------------------------------------------------------
def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, multiplier=2.0, max_delay=10.0, jitter=0.5, seed=1)
    for n, full in enumerate([1, 2, 4, 8, 10, 10]):
        d = policy.delay(n)
        assert full * 0.5 <= d <= full


def test_jitter_is_reproducible_with_a_seed() -> None:
    a = [RetryPolicy(seed=7).delay(3) for _ in range(2)]
    assert a[0] == a[1]
    p = RetryPolicy(seed=7)
    assert len({p.delay(3) for _ in range(5)}) > 1  # but differs between successive retries


def test_retry_after_replaces_backoff_on_429_and_503_only() -> None:
    policy = RetryPolicy(base_delay=0.001, max_retry_after=30)
    assert policy.delay(0, CallError("x", status=429, retry_after=7)) == 7
    assert policy.delay(0, CallError("x", status=503, retry_after=7)) == 7
    assert policy.delay(0, CallError("x", status=429, retry_after=999)) == 30
    assert policy.delay(0, CallError("x", status=500, retry_after=7)) < 0.01


# -- with_retries -----------------------------------------------------------------------------
def test_transient_failures_are_retried_and_counted() -> None:
    call = Flaky(CallError("busy", status=429, retry_after=2.0), CallError("boom", status=500),
                 CallError("dropped"), CallError("slow", timeout=True))
    seen: list[int] = []
    outcome, waits = run_retries(call, RetryPolicy(base_delay=0.5, jitter=0.0),
                                 on_retry=lambda n, err, wait: seen.append(n))
    assert outcome.ok and outcome.value == "ok"
    assert outcome.retries == 4 and call.calls == 5 and seen == [1, 2, 3, 4]
    assert outcome.rate_limited == 1
    assert waits == [2.0, 1.0, 2.0, 4.0]  # Retry-After, then backoff for retries 2..4


def test_client_errors_fail_at_once() -> None:
    call = Flaky(CallError("bad request", status=400))
    outcome, waits = run_retries(call, RetryPolicy())
    assert not outcome.ok and outcome.retries == 0 and call.calls == 1 and waits == []
    assert outcome.error is not None and outcome.error.status == 400
    assert outcome.error.error_code is ErrorCode.MODEL_ERROR


def test_attempts_are_bounded_and_the_last_error_is_returned() -> None:
    call = Flaky(*[CallError(f"e{i}", status=503) for i in range(10)])
    outcome, waits = run_retries(call, RetryPolicy(max_retries=3, base_delay=0.001))
    assert not outcome.ok and outcome.retries == 3 and call.calls == 4 and len(waits) == 3
    assert str(outcome.error) == "e3"


def test_unexpected_exceptions_are_returned_not_raised_nor_retried() -> None:
    call = Flaky(KeyError("bug"))
    outcome, _ = run_retries(call, RetryPolicy())
    assert not outcome.ok and call.calls == 1 and "KeyError" in str(outcome.error)


def test_attempt_timeout_gives_a_timeout_error() -> None:
    async def hang() -> str:
        await asyncio.sleep(5)
        return "late"

    outcome = asyncio.run(with_retries(hang, RetryPolicy(max_retries=1, base_delay=0.001, attempt_timeout=0.05)))
    assert not outcome.ok and outcome.retries == 1
    assert outcome.error is not None and outcome.error.error_code is ErrorCode.TIMEOUT


# -- AdaptiveLimiter --------------------------------------------------------------------------
def test_limiter_never_exceeds_its_limit() -> None:
    limiter = AdaptiveLimiter(4)
    peak = 0

    async def work() -> None:
        nonlocal peak
        async with limiter:
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(0.001)

    async def main() -> None:
        await asyncio.gather(*(work() for _ in range(40)))

    asyncio.run(main())
    assert peak == 4 and limiter.in_flight == 0


def test_limiter_backs_off_on_429_with_cooldown_then_grows_back() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(10, cooldown_s=15, clock=clock)
    limiter.on_rate_limited()
    assert limiter.limit == 8
    limiter.on_rate_limited()  # same burst: within the cool-down
    assert limiter.limit == 8 and limiter.decreases == 1
    clock.t = 16
    limiter.on_rate_limited()
    assert limiter.limit == 6  # 10 * 0.8 * 0.8 = 6.4
    for _ in range(5):
        limiter.on_success()
    assert limiter.limit == 6  # grows only after a full round (= current limit) of successes
    limiter.on_success()
    assert limiter.limit == 7
    for _ in range(100):
        limiter.on_success()
    assert limiter.limit == 10  # never above the configured maximum


def test_limiter_floor_is_one() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(2, cooldown_s=0, clock=clock)
    for _ in range(10):
        clock.t += 1
        limiter.on_rate_limited()
    assert limiter.limit == 1


def test_limiter_shrink_holds_back_new_requests_and_growth_releases_them() -> None:
    limiter = AdaptiveLimiter(2, grow_after=1)

    async def main() -> list[str]:
        order: list[str] = []
        await limiter.acquire()
        await limiter.acquire()
        limiter.on_rate_limited()  # 2 -> 1 while two are in flight

        async def late(name: str) -> None:
            await limiter.acquire()
            order.append(name)

        waiter = asyncio.create_task(late("third"))
        limiter.release()
        await asyncio.sleep(0.01)
        assert order == []  # one still in flight = the new limit
        limiter.on_success()  # grow back to 2
        await asyncio.sleep(0.01)
        await waiter
        return order

    assert asyncio.run(main()) == ["third"]


def test_with_retries_steers_the_limiter() -> None:
    limiter = AdaptiveLimiter(10, cooldown_s=0)
    call = Flaky(CallError("busy", status=429, retry_after=0))
    outcome, _ = run_retries(call, RetryPolicy(), limiter=limiter)
    assert outcome.ok and limiter.limit == 8 and limiter.in_flight == 0


def test_limiter_can_be_shared_by_successive_event_loops() -> None:
    limiter = AdaptiveLimiter(1)

    async def twice() -> None:
        async def one() -> None:
            async with limiter:
                await asyncio.sleep(0.001)

        await asyncio.gather(one(), one())

    asyncio.run(twice())
    asyncio.run(twice())
    assert limiter.in_flight == 0


def test_a_limiter_with_a_ceiling_rises_by_half_until_pushed_back_then_by_one() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(16, max_limit=64, cooldown_s=0, clock=clock)
    rises = []
    for _ in range(200):
        limiter.on_success()
        if not rises or rises[-1] != limiter.limit:
            rises.append(limiter.limit)
    assert rises == [16, 24, 36, 54, 64]  # one round of successes each, never above the ceiling
    limiter.on_rate_limited()
    assert limiter.limit == 51 and limiter.pushed_back
    for _ in range(51):
        limiter.on_success()
    assert limiter.limit == 52  # after a 429: one more a round
