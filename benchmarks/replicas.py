"""Samples/s with 1 vs 2 model replicas on Ray (`--executor ray --replicas N`) against one process.

The same work in each mode: the embedded reference model on mini/asr-{en,id,vi,th,ms,zh} (--limit
PER_TASK each), batch size 16, response cache off, no judge, through `seabench.runner.Runner`:
  1. local: in this process with every core as a torch thread (torch's default);
  2. local 1t: in this process with one torch thread (what each replica gets);
  3. ray x1: one replica actor (1 CPU, so 1 torch thread);
  4. ray x2: two replica actors (1 CPU each).
One local Ray instance is started first (its start-up time is reported, not counted). For Ray modes
the time counted is the run minus the replicas' start-up (actor processes, model load), so the
figure is steady-state throughput including the driver's decoding, scoring and record writing.
Modes are interleaved over the repeats and the best repeat is kept; the 1-minute load average is
recorded before each timing. All modes must produce identical texts.

    python benchmarks/replicas.py [--per-task 32] [--repeats 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from seabench.executor_ray import RaySettings, connect
from seabench.records import iter_records
from seabench.runner import RunConfig, Runner

TASKS = ",".join(f"mini/asr-{lang}" for lang in ("en", "id", "vi", "th", "ms", "zh"))
BATCH = 16
CORES = os.cpu_count() or 1
MODES: dict[str, tuple[RaySettings | None, dict[str, int]]] = {
    "local": (None, {"threads": CORES}), "local 1t": (None, {"threads": 1}),
    "ray x1": (RaySettings(replicas=1), {}), "ray x2": (RaySettings(replicas=2), {})}


def once(mode: str, per_task: int, folder: Path) -> dict[str, object]:
    load = os.getloadavg()[0]
    executor, options = MODES[mode]
    config = RunConfig(model="reference", tasks=TASKS, output_dir=folder, limit=per_task, batch_size=BATCH,
                       use_cache=False, quiet=True, judge=None, executor=executor, model_options=dict(options))
    start = time.perf_counter()
    result = Runner(config).run()
    wall = time.perf_counter() - start
    report = result.manifest.executor
    startup = report.startup_s if report else 0.0
    texts = {(r.task, r.sample_id): r.output.text for r in iter_records(folder / "samples.jsonl") if r.output}
    return {"mode": mode, "samples": len(texts), "wall_s": wall, "startup_s": startup,
            "samples_per_s": len(texts) / (wall - startup), "load_before": load, "texts": texts,
            "per_replica": [r.samples for r in report.replicas] if report else []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-task", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("SEABENCH_CACHE_DIR", tempfile.mkdtemp(prefix="seabench-bench-cache-"))
    began = time.perf_counter()
    connect(None)
    ray_start = time.perf_counter() - began
    best: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for mode in MODES:
                got = once(mode, args.per_task, Path(tmp) / f"{mode.replace(' ', '')}-{repeat}")
                print(f"{mode:8s} repeat {repeat + 1}: {got['samples']} samples, {got['samples_per_s']:.1f}/s "
                      f"(start-up {got['startup_s']:.1f} s, load {got['load_before']:.1f})", flush=True)
                if mode not in best or got["samples_per_s"] > best[mode]["samples_per_s"]:  # type: ignore[operator]
                    best[mode] = got
    texts = [b.pop("texts") for b in best.values()]
    assert all(t == texts[0] for t in texts), "replicas produced other texts than one process"
    local, local1, one, two = (float(best[m]["samples_per_s"]) for m in MODES)  # type: ignore[arg-type]
    summary = {"ray_start_s": round(ray_start, 2), "cpus": CORES, "best": best, "x2_over_x1": two / one,
               "x2_over_local": two / local, "x1_over_local_1t": one / local1, "load_after": os.getloadavg()[0]}
    print(f"Ray start {ray_start:.1f} s; best samples/s: local {local:.1f}, local 1t {local1:.1f}, ray x1 {one:.1f}, "
          f"ray x2 {two:.1f}; x2/x1 {two / one:.2f}, x2/local {two / local:.2f}, x1/local-1t {one / local1:.2f}; "
          f"load after {summary['load_after']:.1f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
