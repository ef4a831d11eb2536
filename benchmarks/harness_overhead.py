"""Per-sample harness time around an instant model (the `predictions` adapter).

Two runs over the same ASR manifest in one process:
  1. without audio decoding: each sample's time between consecutive record writes with batch
     size 1 is everything the harness does (prompt, hashing, cache bypass, scoring, JSONL append);
  2. with audio decoding (`-M check_audio=true`): the decode+resample time per sample
     (44.1 kHz stereo FLAC/WAV -> 16 kHz mono), read from the records' timings.
Goal (issue 2): median of "everything else" at most 2 ms.

    python benchmarks/harness_overhead.py [--n 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from seabench.records import SampleWriter, iter_records
from seabench.runner import RunConfig, Runner

WORDS = "the market opens at seven and the bus to the city leaves from the old station".split()


def make_data(folder: Path, n: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    clips = []
    for i, fmt in enumerate(("flac", "wav")):
        wav = (0.1 * rng.standard_normal((44100 * 3, 2))).astype(np.float32)
        path = folder / f"clip{i}.{fmt}"
        sf.write(path, wav, 44100)
        clips.append(path.name)
    rows, preds = [], []
    for i in range(n):
        ref = " ".join(rng.choice(WORDS, size=12))
        rows.append({"id": f"b{i:05d}", "audio": clips[i % 2], "language": "en", "reference": ref})
        preds.append({"id": f"b{i:05d}", "output": ref if i % 3 else ref.replace("the", "a")})
    manifest, predictions = folder / "bench.jsonl", folder / "preds.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    predictions.write_text("".join(json.dumps(p) + "\n" for p in preds))
    return manifest, predictions


def timed_run(manifest: Path, predictions: Path, out: Path, decode: bool) -> tuple[list[float], list[float], float]:
    stamps: list[float] = []
    original = SampleWriter.write

    def stamped(self: SampleWriter, record) -> None:  # type: ignore[no-untyped-def]
        original(self, record)
        stamps.append(time.perf_counter())

    SampleWriter.write = stamped  # type: ignore[method-assign]
    try:
        options = {"check_audio": True} if decode else {}
        start = time.perf_counter()
        Runner(RunConfig(model=f"predictions:{predictions}", tasks=f"asr@{manifest}", output_dir=out,
                         model_options=options, batch_size=1, quiet=True)).run()
        wall = time.perf_counter() - start
    finally:
        SampleWriter.write = original  # type: ignore[method-assign]
    intervals = [b - a for a, b in zip(stamps, stamps[1:])]
    decodes = [r.timings.get("decode_s", 0.0) for r in iter_records(out / "samples.jsonl")]
    return intervals, decodes, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["SEABENCH_CACHE_DIR"] = str(folder / "cache")
        manifest, predictions = make_data(folder, args.n)
        # warm-up: imports, normaliser tables, first-call costs
        timed_run(manifest, predictions, folder / "warm", decode=False)
        other, _, wall_plain = timed_run(manifest, predictions, folder / "plain", decode=False)
        total, decodes, wall_decode = timed_run(manifest, predictions, folder / "decode", decode=True)
    ms = lambda xs, q=0.5: 1000 * float(np.quantile(xs, q))  # noqa: E731
    print(f"samples: {args.n} (3 s 44.1 kHz stereo FLAC/WAV, 12-word English references, WER+CER scoring)")
    print(f"everything but decode, per sample: median {ms(other):.3f} ms, p90 {ms(other, 0.9):.3f} ms "
          f"(run wall {wall_plain:.2f} s)")
    print(f"audio decode + resample, per sample: median {ms(decodes):.3f} ms, p90 {ms(decodes, 0.9):.3f} ms")
    print(f"with decoding, per sample: median {ms(total):.3f} ms (run wall {wall_decode:.2f} s; decode of the "
          f"next sample overlaps in a worker thread)")
    print(f"goal: median of everything else <= 2 ms: {'met' if statistics.median(other) <= 0.002 else 'NOT met'}")


if __name__ == "__main__":
    main()
