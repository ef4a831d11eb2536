"""`seabench serve-bench`: time to first token (TTFT) and inter-token latency (ITL) of a running
OpenAI-compatible server (`vllm serve`, SGLang, a proxy) against concurrency and audio length, the
measurement behind MERaLiON-AudioLLM's Table 1. SeaBench never starts the server.

Each cell (concurrency c, audio length L) is a closed loop: c workers, each sending its next streaming
request as soon as its previous one ends, so exactly c requests are in flight until the trials run out.
A warm-up (one request per worker unless told otherwise) runs first at the same concurrency and is kept
out of the figures. Every request hears its own window of speech, cut from the mini suite's ASR clips
laid end to end, so a server's prefix or multi-modal cache cannot make repeats free. Retries are off:
a failed request is counted in its cell's errors, never re-sent. Cells stop taking new requests when
their time budget is spent (and say so)."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from seabench.errors import UserError
from seabench.types import GenerationConfig, ModelInput

if TYPE_CHECKING:
    from seabench.servebench_report import PublishedTable

SR = 16000
PAUSE_S = 0.25  # silence between two clips of the pool
STEP = 0.6180339887498949  # request k starts at frac(k * STEP) of the pool: every window differs
DEFAULT_PROMPT = "Transcribe the audio."


class BenchSettings(BaseModel):
    """Everything that decides the measurement (written into the results)."""

    model: str
    concurrency: list[int]
    audio_seconds: list[float]
    trials: int = Field(ge=1)
    warmup: int | None = Field(None, ge=0)  # None: one request per concurrent slot
    max_tokens: int = Field(128, ge=1)
    prompt: str = DEFAULT_PROMPT
    ignore_eos: bool = False
    max_cell_s: float = Field(900.0, gt=0)
    request_timeout_s: float = Field(300.0, gt=0)


class Summary(BaseModel):
    n: int = 0
    mean: float | None = None
    p50: float | None = None
    p95: float | None = None

    @classmethod
    def of(cls, values: list[float], scale: float = 1.0) -> Summary:
        if not values:
            return cls()
        v = np.asarray(values, dtype=float) * scale
        return cls(n=len(v), mean=float(v.mean()), p50=float(np.percentile(v, 50)), p95=float(np.percentile(v, 95)))


class CellResult(BaseModel):
    concurrency: int
    audio_s: float
    requests: int  # measured requests sent
    ok: int
    errors: int
    error_kinds: dict[str, int] = Field(default_factory=dict)
    warmup: int  # warm-up requests sent (not in the figures)
    stopped_early: bool = False  # the time budget ran out before every trial was sent
    peak_in_flight: int = 0
    wall_s: float = 0.0  # measured phase, first send to last answer
    ttft_ms: Summary = Field(default_factory=Summary)
    itl_ms: Summary = Field(default_factory=Summary)  # every gap between streamed pieces, pooled
    # per request: (last piece - first piece) / (output tokens - 1), the time per output token after the first;
    # equals the ITL when every piece is one token (a server may hold a token back until a character is whole)
    tpot_ms: Summary = Field(default_factory=Summary)
    e2e_ms: Summary = Field(default_factory=Summary)
    input_tokens_mean: float | None = None  # the server's count: a model that cuts long audio shows it here
    output_tokens_mean: float | None = None
    tokens_per_s: float | None = None  # all output tokens of the phase / its wall time
    requests_per_s: float | None = None
    # this process's CPU seconds / wall seconds during the measured phase: near 1 (a whole core), the client
    # itself is what binds and the latencies above include its queueing
    client_cpu_share: float | None = None


class BenchResult(BaseModel):
    schema_version: int = 1
    kind: Literal["serve-bench"] = "serve-bench"
    status: Literal["complete", "interrupted", "failed"] = "complete"  # failed: a whole cell failed, so it stopped
    settings: BenchSettings
    server: dict[str, Any] = Field(default_factory=dict)
    client: dict[str, Any] = Field(default_factory=dict)
    started_at: str = ""
    finished_at: str = ""
    cells: list[CellResult] = Field(default_factory=list)


@dataclass
class RequestRecord:
    """One request, as a line of requests.jsonl."""

    concurrency: int
    audio_s: float
    phase: str  # warmup | measured
    index: int  # the global request number (also picks the audio window)
    sent_s: float  # since the cell started
    ok: bool
    error: str | None = None
    ttft_s: float | None = None
    e2e_s: float | None = None
    input_tokens: int | None = None  # as the server counted them: shows how much of the audio it took
    output_tokens: int | None = None
    gaps_s: list[float] = field(default_factory=list)


# -- audio --------------------------------------------------------------------------------------------
class AudioPool:
    """Speech clips laid end to end with short pauses; `window(seconds, k)` is request k's audio."""

    def __init__(self, waves: list[np.ndarray]) -> None:
        if not waves:
            raise UserError("serve-bench found no speech clips to build its audio from")
        pause = np.zeros(int(PAUSE_S * SR), dtype=np.float32)
        self.samples = np.concatenate([part for w in waves for part in (w.astype(np.float32), pause)])
        self.clips = len(waves)

    @classmethod
    def from_mini(cls) -> AudioPool:
        """The mini suite's ASR clips (all languages), in a fixed order."""
        from seabench.audio import load_audio
        from seabench.registry import registry

        refs = sorted({(s.id, a.path) for t in registry().resolve_tasks("mini/asr-*") for s in t.samples()
                       for a in s.audio})
        return cls([load_audio(path, sr=SR).waveform for _, path in refs])

    @property
    def seconds(self) -> float:
        return len(self.samples) / SR

    def window(self, seconds: float, k: int) -> np.ndarray:
        """`seconds` of audio starting at a point that differs for every k (wrapping around the pool)."""
        n = round(seconds * SR)
        start = int((k * STEP) % 1.0 * len(self.samples))
        return np.take(self.samples, np.arange(start, start + n), mode="wrap")


# -- measuring -----------------------------------------------------------------------------------------
@dataclass
class Cell:
    """A closed loop of `concurrency` workers over one audio length."""

    concurrency: int
    audio_s: float
    warmup: int
    trials: int
    deadline: float  # time.monotonic() after which no new request is sent
    first_index: int
    records: list[RequestRecord] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    stopped_early: bool = False
    cpu_s: float = 0.0  # process CPU time of the measured phase


class ServeBench:
    """Runs the cells of one bench against one adapter (an `openai:` adapter with streaming on)."""

    def __init__(self, adapter: Any, settings: BenchSettings, pool: AudioPool,
                 on_request: Callable[[RequestRecord], None] = lambda r: None) -> None:
        self.adapter = adapter
        self.settings = settings
        self.pool = pool
        self.on_request = on_request
        self.generation = GenerationConfig(max_new_tokens=settings.max_tokens, temperature=0.0)
        self.next_index = 0
        self.results: list[CellResult] = []
        self.last_records: list[RequestRecord] = []  # the latest cell's, warm-up included

    def request(self, audio_s: float, index: int) -> dict[str, Any]:
        inp = ModelInput(sample_id=f"serve-bench-{index}", task="serve-bench", prompt=self.settings.prompt,
                         audio=[self.pool.window(audio_s, index)])
        request = self.adapter.request(inp, self.generation)
        if self.settings.ignore_eos:  # vLLM and SGLang extension: always generate max_tokens
            request["extra_body"] = {**request.get("extra_body", {}), "ignore_eos": True}
        return request

    def run_cell(self, concurrency: int, audio_s: float, progress: Callable[[bool], None]) -> CellResult:
        """Measure one cell; its result is in `results` even when Ctrl-C stops it half way."""
        s = self.settings
        warmup = concurrency if s.warmup is None else s.warmup
        cell = Cell(concurrency, audio_s, warmup, s.trials, time.monotonic() + s.max_cell_s, self.next_index)
        self.next_index += warmup + s.trials
        self.last_records = cell.records
        try:
            self.adapter.run_coroutine(self._run(cell, progress))
        finally:
            self.results.append(summarize(cell))
        return self.results[-1]

    async def _run(self, cell: Cell, progress: Callable[[bool], None]) -> None:
        from seabench.retry import AdaptiveLimiter

        # the bench sets the concurrency: the adapter's limiter must neither hold requests back nor shrink
        self.adapter.limiter = AdaptiveLimiter(cell.concurrency, min_limit=cell.concurrency)
        started = time.perf_counter()
        for phase, count, first in (("warmup", cell.warmup, cell.first_index),
                                    ("measured", cell.trials, cell.first_index + cell.warmup)):
            queue = iter(range(first, first + count))
            workers = [self._worker(cell, phase, queue, started, progress) for _ in range(cell.concurrency)]
            cpu = time.process_time()
            await asyncio.gather(*workers)
            cell.cpu_s = time.process_time() - cpu

    async def _worker(self, cell: Cell, phase: str, queue: Iterator[int], started: float,
                      progress: Callable[[bool], None]) -> None:
        """Send the queue's requests one after another. Each next request is built in a thread while the
        current one streams (encoding minutes of audio would otherwise stall every stream's clock)."""
        def build(i: int | None) -> asyncio.Future[dict[str, Any]] | None:
            return None if i is None else asyncio.ensure_future(asyncio.to_thread(self.request, cell.audio_s, i))

        index = next(queue, None)
        upcoming = build(index)
        while upcoming is not None:
            request, current = await upcoming, index
            index = next(queue, None)
            upcoming = build(index)
            if time.monotonic() > cell.deadline:
                cell.stopped_early = True
                return
            cell.records.append(await self._send(cell, phase, current, request, started))
            self.on_request(cell.records[-1])
            progress(not cell.records[-1].ok)

    async def _send(self, cell: Cell, phase: str, index: int, request: dict[str, Any], started: float) -> RequestRecord:
        cell.in_flight += 1
        cell.peak_in_flight = max(cell.peak_in_flight, cell.in_flight)
        sent = time.perf_counter()
        try:
            outcome = await self.adapter.answer(request)
        finally:
            cell.in_flight -= 1
        record = RequestRecord(cell.concurrency, cell.audio_s, phase, index, sent - started, outcome.ok,
                               e2e_s=time.perf_counter() - sent)
        if outcome.ok and outcome.value is not None and outcome.value.clock is not None:
            got = outcome.value
            record.ttft_s = got.clock.ttft_s
            record.gaps_s = got.clock.gaps
            record.input_tokens = got.input_tokens
            record.output_tokens = got.output_tokens if got.output_tokens is not None else len(got.clock.arrivals)
            if record.ttft_s is None:  # a finished answer without a single token has no TTFT
                record.ok, record.error = False, "empty answer: no token was streamed"
        elif outcome.error is not None:
            record.error = outcome.error.describe()[:300]
        return record


def error_kind(message: str) -> str:
    """`HTTP 503: ...` -> `HTTP 503`; `timeout: ...` -> `timeout`; `error: APIConnectionError: ...` ->
    `APIConnectionError`: a short name to count a cell's failures by."""
    head, _, rest = message.partition(":")
    if head.strip() == "error" and rest.strip():
        return rest.split(":", 1)[0].strip()
    return head.strip() or "error"


def summarize(cell: Cell) -> CellResult:
    measured = [r for r in cell.records if r.phase == "measured"]
    ok = [r for r in measured if r.ok]
    failed = [r for r in measured if not r.ok]
    result = CellResult(concurrency=cell.concurrency, audio_s=cell.audio_s, requests=len(measured), ok=len(ok),
                        errors=len(failed), error_kinds=dict(Counter(error_kind(r.error or "") for r in failed)),
                        warmup=sum(1 for r in cell.records if r.phase == "warmup"),
                        stopped_early=cell.stopped_early, peak_in_flight=cell.peak_in_flight)
    if not measured:
        return result
    begin = min(r.sent_s for r in measured)
    end = max(r.sent_s + (r.e2e_s or 0.0) for r in measured)
    result.wall_s = end - begin
    result.ttft_ms = Summary.of([r.ttft_s for r in ok if r.ttft_s is not None], 1000.0)
    result.itl_ms = Summary.of([g for r in ok for g in r.gaps_s], 1000.0)
    result.tpot_ms = Summary.of([sum(r.gaps_s) / (r.output_tokens - 1) for r in ok
                                 if r.output_tokens is not None and r.output_tokens > 1], 1000.0)
    result.e2e_ms = Summary.of([r.e2e_s for r in ok if r.e2e_s is not None], 1000.0)
    tokens = [r.output_tokens for r in ok if r.output_tokens is not None]
    if tokens:
        result.output_tokens_mean = float(np.mean(tokens))
    prompts = [r.input_tokens for r in ok if r.input_tokens is not None]
    if prompts:
        result.input_tokens_mean = float(np.mean(prompts))
    if result.wall_s > 0:
        result.tokens_per_s = sum(tokens) / result.wall_s
        result.requests_per_s = len(ok) / result.wall_s
        result.client_cpu_share = cell.cpu_s / result.wall_s
    return result


# -- the command -----------------------------------------------------------------------------------------
def parse_list(text: str, kind: Callable[[str], Any], flag: str) -> list[Any]:
    """`1,4,8,16` -> [1, 4, 8, 16]; every value positive, no duplicates."""
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{flag} {text!r} must be a comma-separated list of numbers, e.g. 1,4,8,16") from None
    if not values or any(v <= 0 for v in values) or len(set(values)) != len(values):
        raise UserError(f"{flag} {text!r} must list distinct positive numbers")
    return values


def open_adapter(model: str, options: dict[str, Any], settings: BenchSettings) -> Any:
    """The `openai:` adapter, streaming, one attempt per request, never fewer connections than cells need."""
    from seabench.registry import registry

    if not model.startswith("openai:") or "@" not in model:
        raise UserError("serve-bench measures a running OpenAI-compatible server: --model openai:MODEL@URL "
                        "(start it yourself, e.g. `vllm serve MODEL`; seabench never starts one)")
    forced = {"stream": True, "max_retries": 0, "concurrency": max(settings.concurrency),
              "timeout": settings.request_timeout_s}
    clash = sorted(k for k in set(options) & set(forced) if k != "timeout")
    if clash:
        raise UserError(f"serve-bench sets -M {', '.join(clash)} itself (streaming, no retries, "
                        "--concurrency); leave them out")
    return registry().create_model(model, {**options, **forced})


def client_details() -> dict[str, Any]:
    from seabench.manifest import git_state, package_versions

    sha, dirty = git_state()
    versions = package_versions()
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_avg_start": list(os.getloadavg()), "seabench": versions.get("seabench"), "git_sha": sha,
            "git_dirty": dirty, "openai": versions.get("openai")}


def serve_bench(model: str, options: dict[str, Any], settings: BenchSettings, out_dir: Path,
                published: PublishedTable | None = None, quiet: bool = False) -> BenchResult:
    """Measure every (concurrency, audio length) cell, writing requests.jsonl as requests finish and the
    tables (JSON, CSV, Markdown, HTML) at the end, or when interrupted with what was measured so far.
    A cell in which every request failed stops the bench (a server that is down, or audio it refuses)."""
    from seabench.manifest import now
    from seabench.progress import RunProgress
    from seabench.servebench_report import write_reports

    if "timeout" in options:  # -M timeout=S is the adapter's usual way to set it: record what was used
        settings = settings.model_copy(update={"request_timeout_s": float(options["timeout"])})
    adapter = open_adapter(model, options, settings)
    pool = AudioPool.from_mini()
    result = BenchResult(settings=settings, client=client_details(), started_at=now())
    out_dir.mkdir(parents=True, exist_ok=True)
    log = (out_dir / "requests.jsonl").open("w", encoding="utf-8")

    def write(record: RequestRecord) -> None:
        log.write(json.dumps(record.__dict__, ensure_ascii=False) + "\n")
        log.flush()

    bench = ServeBench(adapter, settings, pool, on_request=write)
    try:
        result.server = adapter.info().details
        with RunProgress(quiet=quiet, unit="requests") as progress:
            for audio_s in settings.audio_seconds:
                for c in settings.concurrency:
                    name = f"c={c} audio={audio_s:g}s"
                    progress.add_task(name, (c if settings.warmup is None else settings.warmup) + settings.trials)
                    cell = bench.run_cell(c, audio_s, lambda error, n=name: progress.advance(n, error))
                    if cell.ok == 0 and not any(r.ok for r in bench.last_records):
                        result.status = "failed"
                        return result
    except KeyboardInterrupt:
        result.status = "interrupted"
    finally:
        result.cells = list(bench.results)
        log.close()
        adapter.close()
        result.finished_at = now()
        result.client["load_avg_end"] = list(os.getloadavg())
        write_reports(result, out_dir, published)
    return result
