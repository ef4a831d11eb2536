"""Leaderboard at scale (issue 14): `seabench leaderboard` over 3 runs x 40 tasks x 1,000 samples.

Builds the run directories as `seabench run` leaves them (samples.jsonl, its score index and column
snapshot, results.json, written by the real writers): 40 tasks cycling ASR (WER), multiple choice
(accuracy), translation (BLEU) and judge-scored tasks (1-5), two languages each, records of realistic
size (prompt, reference, answer, audio path). Then runs `seabench leaderboard` as a fresh process and
reports its CPU seconds, wall seconds and peak RSS:
  as run leaves them   index and column snapshot present
  index only           samples.cols deleted (rebuilt from the index and saved by this leaderboard)
  neither              samples.idx and samples.cols deleted (directories written before the index
                       existed: the leaderboard rebuilds both from samples.jsonl)
Goal: at most 3 s and 300 MB as run leaves them.

    python benchmarks/leaderboard_speed.py [--runs 3] [--tasks 40] [--n 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bookkeeping import measured  # noqa: E402

from seabench.aggregate import aggregate_task  # noqa: E402
from seabench.index import index_path  # noqa: E402
from seabench.manifest import build_manifest  # noqa: E402
from seabench.metrics import BLEU, WER, Accuracy, MeanMetric  # noqa: E402
from seabench.records import RESULTS_FILE, SAMPLES_FILE, SampleWriter, atomic_write_text  # noqa: E402
from seabench.snapshot import read_columns, snapshot_path  # noqa: E402
from seabench.task import Task  # noqa: E402
from seabench.types import AudioRef, ModelInfo, ModelOutput, RunResult, SampleRecord, Score, Verdict  # noqa: E402

WORDS = "the weather today is very good we go to market buy rice fish two three tickets train station".split()
KINDS = ("asr", "mcq", "s2tt", "judge")
BLEU_KEYS = ("bleu_sys_len", "bleu_ref_len", *(f"bleu_match_{i}" for i in range(1, 5)),
             *(f"bleu_total_{i}" for i in range(1, 5)))


def _task(name: str, kind: str) -> Task:
    metric = {"asr": WER(), "mcq": Accuracy(), "s2tt": BLEU(), "judge": MeanMetric("judge_score", "judge")}[kind]
    return Task(name=name, family=kind, version="1", languages=("en", "th"), load=list, scorers=(), metrics=(metric,),
                primary_metric=metric.name, rubric="generic" if kind == "judge" else None)


def _scores(kind: str, rng: random.Random, quality: float) -> tuple[dict[str, Score], list[Verdict]]:
    if kind == "asr":
        n = rng.randint(5, 20)
        err = sum(rng.random() > quality for _ in range(n))
        return {"wer": Score(value=err / n, stats={"sub": float(err), "del": 0.0, "ins": 0.0, "hits": float(n - err),
                                                   "ref_len": float(n)})}, []
    if kind == "mcq":
        ok = rng.random() < quality
        return {"choice": Score(value=float(ok), stats={"gold": 1.0, "pred": 1.0 if ok else 2.0, "n_labels": 4.0})}, []
    if kind == "s2tt":
        length = rng.randint(8, 30)
        stats = {k: float(rng.randint(1, length)) for k in BLEU_KEYS}
        return {"translation": Score(value=50.0, stats=stats)}, []
    score = float(min(5, max(1, round(1 + 4 * quality + rng.gauss(0, 0.8)))))
    return ({"judge": Score(value=score)},
            [Verdict(score=score, rationale="a rationale of a sentence or two " * 3, parse_ok=True, judge="judge:x",
                     rubric="generic@1")])


def build(root: Path, runs: int, n_tasks: int, n: int) -> list[Path]:
    manifest = build_manifest({"tasks": "bench"}, 0, 8)
    dirs = []
    for r in range(runs):
        rng = random.Random(r)
        quality = 0.6 + 0.15 * r
        run_dir = root / f"run{r}"
        writer = SampleWriter(run_dir / SAMPLES_FILE)
        results = {}
        for t in range(n_tasks):
            kind = KINDS[t % len(KINDS)]
            task = _task(f"{kind}/bench-{t:02d}", kind)
            records = []
            for i in range(n):
                scores, verdicts = _scores(kind, rng, quality)
                text = " ".join(rng.choice(WORDS) for _ in range(12))
                record = SampleRecord(run_id=f"run{r}", task=task.name, sample_id=f"s{i:05d}", language=("en", "th")[i % 2],
                                      prompt=f"Question {i}: listen to the clip and answer briefly.",
                                      audio=[AudioRef(path=f"/data/clips/{t:02d}/{i:05d}.wav")], reference=text,
                                      choices=["a", "b", "c", "d"] if kind == "mcq" else None,
                                      output=ModelOutput(text=text, latency_s=0.5), scores=scores, verdicts=verdicts,
                                      timings={"decode_s": 0.001, "generate_s": 0.2})
                writer.write(record)
                records.append(record)
            results[task.name] = aggregate_task(task, records, n, seed=0)
        writer.close()
        read_columns(run_dir / SAMPLES_FILE, exclusive=True)  # the snapshot a run's finalize leaves
        result = RunResult(run_id=f"run{r}", status="complete", model=ModelInfo(id=f"model-{r}", provider="bench",
                                                                                  snapshot=f"m{r}"),
                           tasks=results, manifest=manifest)
        atomic_write_text(run_dir / RESULTS_FILE, result.model_dump_json(indent=2))
        dirs.append(run_dir)
    return dirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        dirs = build(root, args.runs, args.tasks, args.n)
        print(f"built {args.runs} runs x {args.tasks} tasks x {args.n:,} samples in {time.perf_counter() - start:.1f} s")
        env = {**os.environ, "SEABENCH_CACHE_DIR": str(root / "cache")}
        command = ["leaderboard", *map(str, dirs), "--out", str(root / "site")]
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        figures = {"as run leaves them": measured(command, env)}
        for d in dirs:
            snapshot_path(d / SAMPLES_FILE).unlink()
        figures["index only"] = measured(command, env)
        for d in dirs:
            snapshot_path(d / SAMPLES_FILE).unlink()
            index_path(d / SAMPLES_FILE).unlink()
        figures["neither"] = measured(command, env)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    for name, f in figures.items():
        print(f"{name}: {f['cpu']:.2f} CPU s, {f['wall']:.2f} s wall, peak RSS {f['rss_mb']:.0f} MB")
    best = figures["as run leaves them"]
    print(f"goal (as run leaves them): <= 3 s and <= 300 MB: {'met' if best['cpu'] <= 3 and best['rss_mb'] <= 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
