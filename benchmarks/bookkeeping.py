"""Bookkeeping at scale: scoring stored predictions, resuming, re-scoring (issue 14).

Builds N stored predictions split over four tasks (ASR en, th, zh and S2TT th->en; ~15 % word errors),
then measures, each as a fresh `seabench` process (CPU seconds, wall seconds and peak RSS):
  run          `seabench run --model predictions:P --tasks asr@en,asr@th,asr@zh,s2tt@th-en`
  resume       the same command again on the complete run (nothing left to do)
  score        `seabench score D` (re-scores every record, rewrites samples.jsonl, aggregates)
  resume 99%   a second run killed (SIGKILL) once 99 % of its records were written, then resumed
and, in this process, two references on the same strings:
  floor        jiwer (WER en/th, CER zh) and sacrebleu (BLEU, chrF++) called directly on strings
               already normalised by SeaBench's normalisers (normalising not timed)
  scorers      SeaBench's own scorers on the same outputs (normalisers, Thai/Chinese word
               segmentation, empty/refusal/language checks, edit counts, sacrebleu statistics),
               without reading or writing anything: what `score` costs beyond bookkeeping
Ratios are taken in the same run; the load average is printed before and after.

    python benchmarks/bookkeeping.py --n 10000 [--n 100000 ...] [--skip-99]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scoring_speed import EN_WORDS, TH_WORDS, corrupt  # noqa: E402

ZH = list("今天天气很好我们去市场买米鱼两三张票火车站在哪里请关门早上晚上图书馆书读她他们想要价格二十元会议开始点钟家庭朋友城市河桥学校老师")
EN, TH = EN_WORDS, TH_WORDS
TASKS = {"en": (EN, " ", "en", None), "th": (TH, "", "th", None), "zh": (ZH, "", "zh", None),
         "th-en": (EN, " ", "th", "en")}


def build(folder: Path, n: int, seed: int = 0) -> tuple[list[Path], Path, dict[str, list[tuple[str, str]]]]:
    """Manifests (one tiny shared clip), one predictions file, and (reference, output) pairs per task."""
    rng = random.Random(seed)
    sf.write(folder / "clip.wav", np.zeros(1600, dtype=np.float32), 16000)
    manifests, preds, pairs = [], [], {}
    for key, (vocab, sep, lang, target) in TASKS.items():
        rows, task_pairs = [], []
        name = f"asr@{key}" if target is None else f"s2tt@{key}"
        for i in range(n // len(TASKS)):
            ref = [rng.choice(vocab) for _ in range(rng.randint(6, 20))]
            ref_text, hyp_text = sep.join(ref), sep.join(corrupt(ref, rng, vocab))
            row = {"id": f"{key}-{i:06d}", "audio": "clip.wav", "language": lang, "reference": ref_text}
            if target:
                row["target_language"] = target
            rows.append(row)
            preds.append({"task": ("asr/" if target is None else "s2tt/") + key, "id": row["id"], "output": hyp_text})
            task_pairs.append((ref_text, hyp_text))
        path = folder / f"{key}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        manifests.append((name.split("@")[0], path))
        pairs[key] = task_pairs
    predictions = folder / "preds.jsonl"
    predictions.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds), encoding="utf-8")
    return [Path(f"{family}@{path}") for family, path in manifests], predictions, pairs


def floor_cpu(pairs: dict[str, list[tuple[str, str]]]) -> float:
    """CPU seconds of jiwer/sacrebleu on strings SeaBench has already normalised (normalising is not timed)."""
    import jiwer
    import sacrebleu

    from seabench.normalize import get_normalizer

    prepared = {}
    for key, items in pairs.items():
        lang = TASKS[key][2] if TASKS[key][3] is None else TASKS[key][3]
        norm = get_normalizer(lang)
        if key == "th":
            prepared[key] = [(" ".join(norm.words(r)), " ".join(norm.words(h))) for r, h in items]
        elif key == "th-en":
            prepared[key] = items
        else:
            prepared[key] = [(norm.normalize(r), norm.normalize(h)) for r, h in items]
    start = time.process_time()
    for key, items in prepared.items():
        refs, hyps = [r for r, _ in items], [h for _, h in items]
        if key == "th-en":
            sacrebleu.corpus_bleu(hyps, [refs])
            sacrebleu.corpus_chrf(hyps, [refs], word_order=2)
        elif key == "zh":
            jiwer.cer(refs, hyps)
        else:
            jiwer.wer(refs, hyps)
            jiwer.cer(refs, hyps)
    return time.process_time() - start


MEASURE = ("import resource, subprocess, sys, json\n"
           "code = subprocess.run(sys.argv[1:]).returncode\n"
           "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "print(json.dumps({'cpu': u.ru_utime + u.ru_stime, 'rss_mb': u.ru_maxrss / 1024, 'code': code}))\n")


def measured(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """CPU seconds and peak RSS of one seabench process (a wrapper makes it the only child measured)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "seabench.cli", *args], env=env,
                          capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["code"] not in (0, 1):
        raise SystemExit(f"seabench {' '.join(args)} failed: {done.stderr[-2000:]}")
    figures["wall"] = time.perf_counter() - start
    return figures


def scorers_cpu(folder: Path, tasks: list[Path], predictions: Path) -> float:
    """CPU seconds of SeaBench's scorers on every (sample, output), in this process, after a warm-up."""
    from seabench.registry import registry
    from seabench.types import Sample

    rows = (json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines())
    outputs = {(row["task"], row["id"]): row["output"] for row in rows}
    work: list[tuple[object, Sample, str]] = []
    for task in registry().resolve_tasks(",".join(map(str, tasks))):
        for sample in task.samples():
            work.extend((scorer, sample, outputs[(task.name, sample.id)]) for scorer in task.scorers)
    for scorer, sample, text in work[:50]:
        scorer.score(sample, text)  # type: ignore[attr-defined]
    start = time.process_time()
    for scorer, sample, text in work:
        scorer.score(sample, text)  # type: ignore[attr-defined]
    return time.process_time() - start


def killed_at(args: list[str], env: dict[str, str], samples: Path, size: int, share: float) -> None:
    """Start a run and SIGKILL it once samples.jsonl holds `share` of `size` bytes."""
    proc = subprocess.Popen([sys.executable, "-m", "seabench.cli", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if samples.exists() and samples.stat().st_size >= share * size:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()


def bench(n: int, folder: Path, skip_99: bool) -> dict[str, float]:
    tasks, predictions, pairs = build(folder, n)
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(folder / "cache"), "NO_COLOR": "1"}
    figures = {"floor_cpu": floor_cpu(pairs), "scorers_cpu": scorers_cpu(folder, tasks, predictions)}

    def run_args(out: Path) -> list[str]:
        return ["run", "--model", f"predictions:{predictions}", "--tasks", ",".join(map(str, tasks)), "-o", str(out),
                "--quiet"]

    out = folder / "run"
    steps = [("run", run_args(out)), ("resume", run_args(out)), ("score", ["score", str(out), "-q"])]
    for name, args in steps:
        for key, value in measured(args, env).items():
            figures[f"{name}_{key}"] = value
    if not skip_99:
        second = folder / "run99"
        killed_at(run_args(second), env, second / "samples.jsonl", (out / "samples.jsonl").stat().st_size, 0.99)
        figures["left_99"] = n - (second / "samples.jsonl").read_bytes().count(b"\n")
        for key, value in measured(run_args(second), env).items():
            figures[f"resume99_{key}"] = value
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="stored predictions in all (repeatable)")
    parser.add_argument("--skip-99", action="store_true", help="leave out the killed-at-99%% resume")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for n in args.n or [10_000]:
        with tempfile.TemporaryDirectory() as tmp:
            f = bench(n, Path(tmp), args.skip_99)
        floor = f["floor_cpu"]
        print(f"n={n:,}: floor {floor:.2f} CPU s; scorers alone {f['scorers_cpu']:.2f} CPU s "
              f"({f['scorers_cpu'] / floor:.1f}x floor)")
        for name in ("run", "resume", "score", "resume99"):
            if f"{name}_cpu" not in f:
                continue
            extra = f" ({f['left_99']:.0f} samples left)" if name == "resume99" else ""
            print(f"  {name:9s} {f[name + '_cpu']:7.2f} CPU s ({f[name + '_cpu'] / floor:5.1f}x floor) "
                  f"{f[name + '_wall']:7.2f} s wall  peak RSS {f[name + '_rss_mb']:5.0f} MB{extra}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
