"""Judge throughput: 1,000 judge calls against a local Gemini-protocol server that answers every
request after 200 ms, through the real google-genai client.

  ours      the gemini judge (async client, AdaptiveLimiter at concurrency 32, retries, parsing);
            `--judge openai` the openai-compatible judge (text-only); `--judge machinery` an in-process
            backend that only sleeps the latency: the judging machinery without any HTTP client;
  baseline  SeaBench-Audio's way: a ThreadPoolExecutor of 5 threads, one blocking
            generate_content per item (same requests; SeaBench-Audio also re-uploads each wav,
            which is left out here in the baseline's favour).

Ideal wall time = calls x latency / concurrency (6.25 s for ours). Goal (issue 7): ours at most
1.25x its ideal. Each request carries a 1 s, 16 kHz WAV inline, the rubric prompt and the JSON
schema; the judge cache is off so every item is a real call. The server runs in a child process
(as a real service would be elsewhere), so the CPU time printed is the judge's own; when
CPU time approaches the ideal wall time, the client's CPU (not the concurrency) is what binds.

    python benchmarks/judge_throughput.py [--calls 1000] [--latency 0.2] [--concurrency 32]
                                          [--baseline-threads 5] [--baseline-calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.helpers (the fake server)

from seabench import AudioRef
from seabench.judging import JudgeBackend, JudgeReply, JudgeRequest, load_rubric
from seabench.registry import registry
from tests.helpers.fake_gemini import FakeGemini, prompt_text
from tests.helpers.fake_openai import FakeOpenAI, user_text

KEY = "bench-key"


def reply(req) -> str:  # type: ignore[no-untyped-def]
    body = req.json
    text = user_text(body) if "messages" in body else prompt_text(body)
    n = int(text.split("answer number ")[-1].split()[0])
    return json.dumps({"rationale": "The answer matches the reference.", "score": n % 5 + 1})


def make_requests(folder: Path, n: int) -> list[JudgeRequest]:
    wav = folder / "q.wav"
    t = np.arange(16000) / 16000
    sf.write(wav, (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 16000, subtype="PCM_16")
    ref = AudioRef(path=str(wav), duration_s=1.0)
    rubric = load_rubric("spoken_qa")
    return [JudgeRequest(task="bench", sample_id=f"b{i}", rubric=rubric, answer=f"answer number {i} .",
                         question="What time does the market open?", reference="At seven.", language="en",
                         audio=[ref]) for i in range(n)]


def serve(latency: float, urls: mp.Queue, stop: mp.Event, counts: mp.Queue) -> None:  # type: ignore[type-arg]
    """Both protocols on two ports of one child process."""
    with FakeGemini(responder=reply, latency_s=latency) as gemini, FakeOpenAI(responder=reply, latency_s=latency) as oai:
        urls.put((gemini.url, oai.base_url))
        stop.wait()
        counts.put(len(gemini.generate_requests()) + len(oai.completions()))


class SleepingJudge(JudgeBackend):
    """Answers after `latency` without any client: what the judging machinery itself costs."""

    def __init__(self, latency: float, concurrency: int) -> None:
        self.latency, self.concurrency = latency, concurrency

    def snapshot(self) -> str:
        return "sleeping-judge"

    async def acall(self, request: JudgeRequest, with_audio: bool, temperature: float) -> JudgeReply:
        await asyncio.sleep(self.latency)
        n = int(request.answer.split("answer number ")[-1].split()[0])
        return JudgeReply(raw=json.dumps({"rationale": "ok", "score": n % 5 + 1}))


def run_ours(requests: list[JudgeRequest], concurrency: int, spec: str, latency: float) -> tuple[float, float, int]:
    """(wall s, CPU s of this process, verdicts scored)."""
    judge = (SleepingJudge(latency, concurrency) if spec == "machinery" else
             registry().create_judge(spec, {"concurrency": concurrency, "timeout": 30}))
    cpu, start = time.process_time(), time.perf_counter()
    verdicts = judge.judge(requests)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    judge.close()
    assert all(v.score == float(i % 5 + 1) for i, v in enumerate(verdicts)), "a verdict is wrong"
    return wall, cpu, sum(v.score is not None for v in verdicts)


def run_baseline(requests: list[JudgeRequest], threads: int, base_url: str) -> tuple[float, int]:
    """One blocking call per item on a 5-thread pool, like SeaBench-Audio's gen_judgements.py."""
    from google import genai
    from google.genai import types
    from seabench.judges.gemini import verdict_schema

    from seabench.judging.request import SYSTEM

    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=base_url))
    audio = Path(requests[0].audio[0].path).read_bytes()
    config = types.GenerateContentConfig(system_instruction=SYSTEM, temperature=0.0, response_mime_type="application/json",
                                         response_schema=verdict_schema(),
                                         thinking_config=types.ThinkingConfig(thinking_budget=0))

    def one(req: JudgeRequest) -> bool:
        parts = [types.Part.from_bytes(data=audio, mime_type="audio/wav"), types.Part(text=req.prompt(True))]
        response = client.models.generate_content(model="gemini-2.5-flash", contents=parts, config=config)
        return '"score"' in (response.text or "")

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        ok = sum(pool.map(one, requests))
    return time.perf_counter() - start, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--baseline-threads", type=int, default=5)
    ap.add_argument("--baseline-calls", type=int, default=None, help="default: --calls (0 skips the baseline)")
    ap.add_argument("--judge", choices=("gemini", "openai", "machinery"), default="gemini")
    args = ap.parse_args()
    baseline_calls = args.calls if args.baseline_calls is None else args.baseline_calls
    ctx = mp.get_context("spawn")
    urls, counts, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(args.latency, urls, stop, counts), daemon=True)
    server.start()
    url, openai_url = urls.get(timeout=60)
    spec = {"gemini": "gemini:gemini-2.5-flash", "openai": f"openai:judge@{openai_url}"}.get(args.judge, args.judge)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": url,
                           "SEABENCH_CACHE_DIR": str(Path(tmp) / "cache")})
        os.environ.pop("GOOGLE_API_KEY", None)
        requests = make_requests(Path(tmp), args.calls)
        run_ours(requests[:8], 8, spec, args.latency)  # imports and first-connection costs stay out of the measurement
        ideal = args.calls * args.latency / args.concurrency
        wall, cpu, ok = run_ours(requests, args.concurrency, spec, args.latency)
        load = os.getloadavg()[0]
        print(f"ours      judge={spec.split(':')[0]} calls={args.calls} concurrency={args.concurrency} latency={args.latency * 1000:.0f}ms  "
              f"wall={wall:.2f}s  ideal={ideal:.2f}s  ratio={wall / ideal:.3f}  "
              f"throughput={args.calls / wall:.1f} calls/s  scored={ok}  "
              f"goal<=1.25: {'met' if wall / ideal <= 1.25 else 'MISSED'}")
        print(f"          judge CPU {cpu:.2f}s ({cpu / args.calls * 1000:.2f} ms/call), "
              f"{os.cpu_count()} CPUs, 1-min load average {load:.1f}")
        if baseline_calls:
            b_wall, b_ok = run_baseline(requests[:baseline_calls], args.baseline_threads, url)
            b_ideal = baseline_calls * args.latency / args.baseline_threads
            print(f"baseline  calls={baseline_calls} threads={args.baseline_threads}  wall={b_wall:.2f}s  "
                  f"ideal={b_ideal:.2f}s  ratio={b_wall / b_ideal:.3f}  throughput={baseline_calls / b_wall:.1f} calls/s  "
                  f"ok={b_ok}")
            print(f"speed-up  {(args.calls / wall) / (baseline_calls / b_wall):.1f}x calls/s over the "
                  f"{args.baseline_threads}-thread baseline")
    stop.set()
    sent = counts.get(timeout=30)
    server.join(timeout=10)
    expected = (0 if spec == "machinery" else 8 + args.calls) + baseline_calls
    assert sent == expected, f"server saw {sent} requests, expected {expected}"


if __name__ == "__main__":
    main()
