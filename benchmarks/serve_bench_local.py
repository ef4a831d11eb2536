"""`seabench serve-bench` against a local server with known latencies: how closely the command recovers
them, cell by cell, through the real openai client.

The server (tests/helpers/fake_openai.py, in a child process, as a real server runs elsewhere) speaks
OpenAI chat-completions SSE: it waits `--ttft-ms` + `--ttft-ms-per-s` x audio seconds before the first
token, then `--itl-ms` between tokens, and always streams max_tokens tokens. It never slows down with
concurrency, so any growth of the measured figures with concurrency or audio length is the client's
own cost (building and uploading the request, parsing the stream) on this machine.

    python benchmarks/serve_bench_local.py [--concurrency 1,4,8,16] [--audio-seconds 30,60,120]
                                           [--trials 120] [--max-tokens 32] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.helpers (the fake server)

from tests.helpers.fake_openai import FakeOpenAI, wav_seconds


def serve(ttft_s: float, per_s: float, itl_s: float, urls: mp.Queue, stop: mp.Event,  # type: ignore[type-arg]
          counts: mp.Queue) -> None:  # type: ignore[type-arg]
    def tokens(req) -> str:  # type: ignore[no-untyped-def]
        return " ".join(f"w{i}" for i in range(int(req.json.get("max_tokens") or 16)))

    with FakeOpenAI(responder=tokens, first_token_s=lambda req: ttft_s + per_s * wav_seconds(req),
                    token_interval_s=itl_s) as server:
        urls.put(server.base_url)
        stop.wait()
        counts.put((len(server.completions()), server.peak_in_flight, time.process_time()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--audio-seconds", default="30,60,120")
    parser.add_argument("--trials", type=int, default=120)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--ttft-ms", type=float, default=40.0)
    parser.add_argument("--ttft-ms-per-s", type=float, default=0.5)
    parser.add_argument("--itl-ms", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    urls, counts, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    child = ctx.Process(target=serve, args=(args.ttft_ms / 1000, args.ttft_ms_per_s / 1000, args.itl_ms / 1000,
                                            urls, stop, counts), daemon=True)
    child.start()
    base_url = urls.get(timeout=60)
    out = args.out or Path(tempfile.mkdtemp(prefix="serve-bench-"))
    load_before = os.getloadavg()
    started = time.perf_counter()
    command = [sys.executable, "-m", "seabench.cli", "serve-bench", "--model", f"openai:fake@{base_url}",
               "--concurrency", args.concurrency, "--audio-seconds", args.audio_seconds, "--trials", str(args.trials),
               "--max-tokens", str(args.max_tokens), "--published", "meralion", "--out", str(out), "--quiet"]
    subprocess.run(command, check=True, cwd=ROOT)
    wall = time.perf_counter() - started
    stop.set()
    sent, peak, server_cpu = counts.get(timeout=30)
    child.join(timeout=30)

    data = json.loads((out / "serve_bench.json").read_text())
    print(f"server saw {sent} requests, at most {peak} at once, used {server_cpu:.1f} CPU s; wall {wall:.1f} s; load average "
          f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; {os.cpu_count()} CPUs")
    print("| concurrency | audio s | ok / sent | TTFT set ms | TTFT mean / p95 ms | ITL set ms | ITL mean / p95 ms "
          "| tokens/s | ideal tokens/s | client CPU % |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in data["cells"]:
        ttft = args.ttft_ms + args.ttft_ms_per_s * c["audio_s"]
        ideal = c["concurrency"] * args.max_tokens / ((ttft + (args.max_tokens - 1) * args.itl_ms) / 1000)
        print(f"| {c['concurrency']} | {c['audio_s']:g} | {c['ok']} / {c['requests']} | {ttft:.1f} | "
              f"{c['ttft_ms']['mean']:.1f} / {c['ttft_ms']['p95']:.1f} | {args.itl_ms:.1f} | "
              f"{c['itl_ms']['mean']:.2f} / {c['itl_ms']['p95']:.2f} | {c['tokens_per_s']:.0f} | {ideal:.0f} | "
              f"{100 * c['client_cpu_share']:.0f} |")
    print(f"tables: {out}/serve_bench.{{json,csv,md,html}}")


if __name__ == "__main__":
    main()
