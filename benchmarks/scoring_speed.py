"""How long scoring and bootstrap CIs take at task scale, on synthetic data.

Parts timed separately: per-sample scoring (normalisation included) of ASR utterances for WER and
CER in English and Thai, of translation segments for BLEU + chrF++, and the 1,000-resample
bootstrap CIs computed from the per-sample statistics. Last, the statistics bootstrap is compared
with a naive bootstrap that re-runs sacrebleu on every resample (on a smaller corpus, extrapolated
to 1,000 resamples).

    /work/.venv/bin/python benchmarks/scoring_speed.py   (from the repo root)
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from seabench.metrics import BLEU, CER, WER, ChrFpp, ErrorRateScorer, TranslationScorer
from seabench.types import Sample

EN_WORDS = (
    "the a weather today is very good we go to market buy rice fish two three tickets bangkok train "
    "station where please close door morning evening library book read she he they want would like "
    "price twenty dollars meeting starts nine clock family friends city river bridge school teacher"
).split()
TH_WORDS = (
    "วันนี้ อากาศ ดี มาก เรา ไป ตลาด ซื้อ ข้าว ปลา สอง สาม ตั๋ว กรุงเทพ รถไฟ สถานี ที่ไหน ปิด ประตู "
    "ตอนเช้า ตอนเย็น ห้องสมุด หนังสือ อ่าน เธอ เขา พวกเขา อยาก ราคา ยี่สิบ บาท ประชุม เริ่ม โมง ครอบครัว "
    "เพื่อน เมือง แม่น้ำ สะพาน โรงเรียน ครู"
).split()


def corrupt(words: list[str], rng: random.Random, vocab: list[str]) -> list[str]:
    """Roughly 15 % word errors: substitutions, deletions and insertions."""
    out: list[str] = []
    for w in words:
        r = rng.random()
        if r < 0.05:
            continue
        out.append(rng.choice(vocab) if r < 0.12 else w)
        if rng.random() < 0.03:
            out.append(rng.choice(vocab))
    return out


def asr_samples(language: str, n: int, seed: int) -> list[tuple[Sample, str]]:
    rng = random.Random(seed)
    vocab, sep = (TH_WORDS, "") if language == "th" else (EN_WORDS, " ")
    pairs = []
    for i in range(n):
        ref = [rng.choice(vocab) for _ in range(rng.randint(5, 25))]
        hyp = corrupt(ref, rng, vocab)
        text = sep.join(ref)
        sample = Sample(id=f"{language}-{i}", reference=text.capitalize() + ".", language=language)
        pairs.append((sample, sep.join(hyp)))
    return pairs


def mt_samples(n: int, seed: int) -> list[tuple[Sample, str]]:
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        ref = [rng.choice(EN_WORDS) for _ in range(rng.randint(8, 30))]
        hyp = corrupt(ref, rng, EN_WORDS)
        sample = Sample(id=f"mt-{i}", reference=" ".join(ref).capitalize() + ".", language="th", target_language="en")
        pairs.append((sample, " ".join(hyp).capitalize() + "."))
    return pairs


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of one part (CPU time stays meaningful when the machine is shared)."""

    wall: float
    cpu: float

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


def timed(fn: Callable[[], Any]) -> tuple[Any, Timing]:
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, Timing(time.perf_counter() - start, time.process_time() - cpu)


def naive_bleu_bootstrap(hyps: list[str], refs: list[str], n_resamples: int, seed: int) -> list[float]:
    """The slow way: resample segments, then re-run sacrebleu on each resampled corpus."""
    import sacrebleu

    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_resamples):
        idx = rng.integers(0, len(hyps), size=len(hyps))
        values.append(sacrebleu.corpus_bleu([hyps[i] for i in idx], [[refs[i] for i in idx]]).score)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="utterances per ASR language and translation segments")
    parser.add_argument("--naive-n", type=int, default=1_000, help="corpus size for the naive-bootstrap comparison")
    parser.add_argument("--naive-resamples", type=int, default=50, help="resamples actually run by the naive baseline")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rows: list[tuple[str, int, Timing, str]] = []
    wer_scorer, cer_scorer = ErrorRateScorer("wer", "word"), ErrorRateScorer("cer", "char")
    for language in ("en", "th"):
        pairs = asr_samples(language, args.n, args.seed)
        # Load the normaliser, segmenter and language identifier outside the timing (once per process).
        wer_scorer.score(*pairs[0])
        # Like the runner: every scorer of a task scores one sample before the next sample.
        both, t_score = timed(lambda: [(wer_scorer.score(s, o), cer_scorer.score(s, o)) for s, o in pairs])
        wer, t_wer_ci = timed(lambda: WER().compute([w for w, _ in both], seed=args.seed))
        cer, t_cer_ci = timed(lambda: CER().compute([c for _, c in both], seed=args.seed))
        rows += [
            (f"ASR {language}: score WER + CER (flags, normalise, jiwer)", args.n, t_score,
             f"WER {wer.value:.4f}, CER {cer.value:.4f}"),
            (f"ASR {language}: WER + CER corpus value + 95% CIs", args.n, t_wer_ci + t_cer_ci,
             f"WER CI [{wer.ci_low:.4f}, {wer.ci_high:.4f}]"),
        ]

    pairs = mt_samples(args.n, args.seed)
    scorer = TranslationScorer()
    scorer.score(*pairs[0])
    mt_scores, t_mt = timed(lambda: [scorer.score(sample, output) for sample, output in pairs])
    bleu, t_bleu_ci = timed(lambda: BLEU().compute(mt_scores, seed=args.seed))
    chrf, t_chrf_ci = timed(lambda: ChrFpp().compute(mt_scores, seed=args.seed))
    rows += [
        ("MT en: score BLEU + chrF++ statistics", args.n, t_mt, f"BLEU {bleu.value:.2f}, chrF++ {chrf.value:.2f}"),
        ("MT en: BLEU + chrF++ corpus value + 95% CIs", args.n, t_bleu_ci + t_chrf_ci,
         f"BLEU CI [{bleu.ci_low:.2f}, {bleu.ci_high:.2f}]"),
    ]

    small = pairs[: args.naive_n]
    small_scores = mt_scores[: args.naive_n]
    hyps = [out.strip() for _, out in small]
    refs = [str(sample.reference) for sample, _ in small]
    _, t_naive = timed(lambda: naive_bleu_bootstrap(hyps, refs, args.naive_resamples, args.seed))
    naive_1000 = t_naive.cpu / args.naive_resamples * 1000  # CPU time: robust on a shared machine
    _, t_ours = timed(lambda: BLEU().compute(small_scores, seed=args.seed))
    rows += [
        (f"naive BLEU bootstrap, {args.naive_resamples} resamples (re-run sacrebleu)", args.naive_n, t_naive,
         f"-> {naive_1000:.1f} CPU s for 1,000"),
        ("statistics BLEU bootstrap, 1,000 resamples", args.naive_n, t_ours, f"{naive_1000 / t_ours.cpu:.0f}x less CPU"),
    ]

    width = max(len(r[0]) for r in rows)
    print(f"{'part':<{width}}  {'items':>6}  {'wall s':>7}  {'CPU s':>7}  result")
    for name, n, t, note in rows:
        print(f"{name:<{width}}  {n:>6}  {t.wall:>7.3f}  {t.cpu:>7.3f}  {note}")


if __name__ == "__main__":
    main()
