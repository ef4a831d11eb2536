"""Reference-model throughput: the harness with batching vs one-at-a-time vs the model's own batched loop.

One process, one model, the same 64 mini clips (16 each from mini/asr-{en,id,vi,th}), greedy decoding
with each task's generation settings:
  1. one-at-a-time: a bare loop calling the model's `generate` with one clip per call (how
     SeaBench-Audio and AudioBench run models);
  2. bare batched: a bare loop over the model's batched `generate`, 16 clips per call, in the order the
     harness batches them (no audio decoding, no scoring, no records);
  3. harness: `seabench.runner.Runner` with batch size 16, response cache off, no judge (audio decoding,
     prompts, scoring, samples.jsonl, results.json all included).
Goals (issue 5): harness >= 3x the samples/s of (1); harness overhead vs (2) at most 5%.
All three must produce identical texts (a clip's output does not depend on its batch mates).

    python benchmarks/reference_throughput.py [--model reference] [--repeats 2] [--threads N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from seabench.records import iter_records
from seabench.registry import registry
from seabench.runner import RunConfig, Runner

TASKS = ("mini/asr-en", "mini/asr-id", "mini/asr-vi", "mini/asr-th")
PER_TASK = 16
BATCH = 16


def workload() -> list[tuple[str, list[tuple[str, object, str]], object]]:
    """Per task: (name, [(sample id, decoded clip, prompt)], generation config)."""
    out = []
    for task in registry().resolve_tasks(",".join(TASKS)):
        samples = task.samples(PER_TASK, 0)  # the samples the harness picks with --limit
        out.append((task.name, [(s.id, s.audio[0].load(), task.render(s)) for s in samples], task.generation))
    return out


def bare(lalm, work, batch: int) -> tuple[float, dict[str, str]]:
    texts: dict[str, str] = {}
    start = time.perf_counter()
    for _, items, gen in work:
        for k in range(0, len(items), batch):
            chunk = items[k : k + batch]
            results = lalm.generate(
                [clip for _, clip, _ in chunk], [prompt for _, _, prompt in chunk],
                max_new_tokens=gen.max_new_tokens, temperature=gen.temperature, seed=0,
            )
            texts.update({sid: r.text for (sid, _, _), r in zip(chunk, results, strict=True)})
    return time.perf_counter() - start, texts


def harness(model: str, folder: Path) -> tuple[float, dict[str, str]]:
    config = RunConfig(model=model, tasks=",".join(TASKS), output_dir=folder, limit=PER_TASK, batch_size=BATCH,
                       use_cache=False, quiet=True, judge=None)
    runner = Runner(config)
    runner.adapter.load()  # loading is not the harness's per-sample overhead (bare modes load before timing too)
    start = time.perf_counter()
    runner.run()
    elapsed = time.perf_counter() - start
    return elapsed, {r.sample_id: r.output.text for r in iter_records(folder / "samples.jsonl") if r.output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="reference", help="reference or reference:PATH")
    parser.add_argument("--repeats", type=int, default=2, help="best of N for each mode")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch CPU threads")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    adapter = registry().create_model(args.model, {})
    lalm = adapter.lalm
    work = workload()
    n = sum(len(items) for _, items, _ in work)
    bare(lalm, [(w[0], w[1][:2], w[2]) for w in work], BATCH)  # warm-up: first calls allocate
    times: dict[str, list[float]] = {"one_at_a_time": [], "bare_batched": [], "harness": []}
    outputs: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for mode, spent in times.items():
                if mode == "harness":
                    elapsed, texts = harness(args.model, Path(tmp) / f"run{r}")
                else:
                    elapsed, texts = bare(lalm, work, 1 if mode == "one_at_a_time" else BATCH)
                spent.append(elapsed)
                outputs[mode] = texts
    best = {mode: min(t) for mode, t in times.items()}
    rate = {mode: n / t for mode, t in best.items()}
    same = outputs["harness"] == outputs["bare_batched"] == outputs["one_at_a_time"]
    report = {
        "model": args.model,
        "snapshot": adapter.info().snapshot,
        "clips": n,
        "audio_s": round(sum(len(clip) for _, items, _ in work for _, clip, _ in items) / 16000, 1),
        "batch_size": BATCH,
        "threads": torch.get_num_threads(),
        "seconds": {m: round(t, 2) for m, t in best.items()},
        "samples_per_s": {m: round(v, 2) for m, v in rate.items()},
        "speedup_vs_one_at_a_time": round(rate["harness"] / rate["one_at_a_time"], 2),
        "harness_overhead_vs_bare_batched": round(best["harness"] / best["bare_batched"] - 1, 4),
        "identical_outputs": same,
    }
    print("| mode | seconds | samples/s |\n|---|---:|---:|")
    for mode, seconds in best.items():
        print(f"| {mode.replace('_', ' ')} | {seconds:.2f} | {rate[mode]:.2f} |")
    print(f"\nharness speed-up vs one-at-a-time: {report['speedup_vs_one_at_a_time']:.2f}x (goal >= 3x)")
    print(f"harness overhead vs bare batched generate: {100 * report['harness_overhead_vs_bare_batched']:.1f}% "
          "(goal <= 5%)")
    print(f"identical outputs across the three modes: {same}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
