"""Judge throughput: 1,000 judge calls against a local Gemini-protocol server that answers every
request after 200 ms, through the real google-genai client.

  ours      the gemini judge (async client, AdaptiveLimiter at concurrency 32, retries, parsing);
  baseline  SeaBench-Audio's way: a ThreadPoolExecutor of 5 threads, one blocking
            generate_content per item (same requests; SeaBench-Audio also re-uploads each wav,
            which is left out here in the baseline's favour).

Ideal wall time = calls x latency / concurrency (6.25 s for ours). Goal (issue 7): ours at most
1.25x its ideal. Each request carries a 1 s, 16 kHz WAV inline, the rubric prompt and the JSON
schema; the judge cache is off so every item is a real call.

    python benchmarks/judge_throughput.py [--calls 1000] [--latency 0.2] [--concurrency 32]
                                          [--baseline-threads 5] [--baseline-calls N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.helpers (the fake server)

from seabench import AudioRef  # noqa: E402
from seabench.judging import JudgeRequest, load_rubric  # noqa: E402
from seabench.registry import registry  # noqa: E402
from tests.helpers.fake_gemini import FakeGemini, prompt_text  # noqa: E402

KEY = "bench-key"


def reply(req) -> str:  # type: ignore[no-untyped-def]
    n = int(prompt_text(req.json).split("answer number ")[-1].split()[0])
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


def run_ours(requests: list[JudgeRequest], concurrency: int) -> tuple[float, int]:
    judge = registry().create_judge("gemini:gemini-2.5-flash", {"concurrency": concurrency, "timeout": 30})
    start = time.perf_counter()
    verdicts = judge.judge(requests)
    wall = time.perf_counter() - start
    judge.close()
    assert all(v.score == float(i % 5 + 1) for i, v in enumerate(verdicts)), "a verdict is wrong"
    return wall, sum(v.score is not None for v in verdicts)


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
    args = ap.parse_args()
    baseline_calls = args.calls if args.baseline_calls is None else args.baseline_calls
    with tempfile.TemporaryDirectory() as tmp, FakeGemini(responder=reply, latency_s=args.latency) as server:
        os.environ.update({"GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": server.url,
                           "SEABENCH_CACHE_DIR": str(Path(tmp) / "cache")})
        os.environ.pop("GOOGLE_API_KEY", None)
        requests = make_requests(Path(tmp), args.calls)
        ideal = args.calls * args.latency / args.concurrency
        wall, ok = run_ours(requests, args.concurrency)
        assert len(server.generate_requests()) == args.calls
        print(f"ours      calls={args.calls} concurrency={args.concurrency} latency={args.latency * 1000:.0f}ms  "
              f"wall={wall:.2f}s  ideal={ideal:.2f}s  ratio={wall / ideal:.3f}  "
              f"throughput={args.calls / wall:.1f} calls/s  scored={ok}  goal<=1.25: {'met' if wall / ideal <= 1.25 else 'MISSED'}")
        if baseline_calls:
            b_wall, b_ok = run_baseline(requests[:baseline_calls], args.baseline_threads, server.url)
            b_ideal = baseline_calls * args.latency / args.baseline_threads
            print(f"baseline  calls={baseline_calls} threads={args.baseline_threads}  wall={b_wall:.2f}s  "
                  f"ideal={b_ideal:.2f}s  ratio={b_wall / b_ideal:.3f}  throughput={baseline_calls / b_wall:.1f} calls/s  "
                  f"ok={b_ok}")
            print(f"speed-up  {baseline_calls / b_wall and (args.calls / wall) / (baseline_calls / b_wall):.1f}x calls/s "
                  "over the 5-thread baseline")


if __name__ == "__main__":
    main()
