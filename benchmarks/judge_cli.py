"""Judging through the CLI, end to end (issue 14): `seabench score RUN --judge gemini:gemini-2.5-flash`
as a fresh process against a local Gemini-protocol server that answers every request after 200 ms.

The run directory holds N answers of a judge-scored task (mini/sqa-en's rubric, a 1 s WAV each,
written with the real record writer). The wall time of the whole command — start-up, reading the
records, N judge calls, rewriting samples.jsonl, aggregation — is compared with the ideal at the
default concurrency, N x latency / 16:
  default      no -J concurrency: starts at 16 and rises while no 429 comes back (up to 64)
  fixed 16     -J concurrency=16: the old behaviour, for comparison
Goal: `default` at most 1.25x the ideal. The server runs in a child process (see judge_throughput.py).

    python benchmarks/judge_cli.py [--calls 1000] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judge_throughput import KEY, serve  # noqa: E402

from seabench.aggregate import aggregate_task  # noqa: E402
from seabench.manifest import build_manifest  # noqa: E402
from seabench.records import RESULTS_FILE, SAMPLES_FILE, SampleWriter, atomic_write_text  # noqa: E402
from seabench.registry import registry  # noqa: E402
from seabench.retry import DEFAULT_CONCURRENCY  # noqa: E402
from seabench.scoring import score_record  # noqa: E402
from seabench.types import AudioRef, ModelInfo, ModelOutput, RunResult, SampleRecord  # noqa: E402

TASK = "mini/sqa-en"


def build(folder: Path, n: int) -> Path:
    """A run directory with n unjudged answers of a judge-scored task."""
    wav = folder / "q.wav"
    t = np.arange(16000) / 16000
    sf.write(wav, (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 16000, subtype="PCM_16")
    [task] = registry().resolve_tasks(TASK)
    run = folder / "run"
    writer = SampleWriter(run / SAMPLES_FILE)
    records = []
    for i in range(n):
        record = SampleRecord(run_id="bench", task=TASK, sample_id=f"q{i:05d}", language="en",
                              prompt="What time does the market open?", reference="At seven.",
                              audio=[AudioRef(path=str(wav), duration_s=1.0)],
                              output=ModelOutput(text=f"answer number {i} ."))
        score_record(task, record.to_sample(), record)
        writer.write(record)
        records.append(record)
    writer.close()
    manifest = build_manifest({"tasks": TASK}, 0, 8)
    result = RunResult(run_id="bench", status="complete", model=ModelInfo(id="bench", provider="bench", snapshot="b"),
                       tasks={TASK: aggregate_task(task, records, n, 0)}, manifest=manifest)
    atomic_write_text(run / RESULTS_FILE, result.model_dump_json(indent=2))
    return run


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seabench.cli", *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.2)
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    urls, counts, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(args.latency, urls, stop, counts), daemon=True)
    server.start()
    url, _ = urls.get(timeout=60)
    ideal = args.calls * args.latency / DEFAULT_CONCURRENCY
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": url, "NO_COLOR": "1"}
            env.pop("GOOGLE_API_KEY", None)
            print(f"load average before: {os.getloadavg()[0]:.2f}")
            walls = {}
            for name, extra in (("default", []), (f"fixed {DEFAULT_CONCURRENCY}", ["-J", f"concurrency={DEFAULT_CONCURRENCY}"])):
                folder = Path(tmp) / name.replace(" ", "")
                folder.mkdir()
                run = build(folder, args.calls)
                env["SEABENCH_CACHE_DIR"] = str(folder / "cache")  # no judge cache hits
                walls[name] = timed(["score", str(run), "--judge", "gemini:gemini-2.5-flash", "-q", *extra], env)
            print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        stop.set()
        sent = counts.get(timeout=30)
        server.join(timeout=10)
    for name, wall in walls.items():
        print(f"{name}: {args.calls} calls, {wall:.2f} s wall, ideal at concurrency {DEFAULT_CONCURRENCY} "
              f"{ideal:.2f} s, ratio {wall / ideal:.2f}")
    print(f"server saw {sent} requests (expected {2 * args.calls})")
    print(f"goal (default <= 1.25x ideal): {'met' if walls['default'] / ideal <= 1.25 else 'NOT met'}")


if __name__ == "__main__":
    main()
