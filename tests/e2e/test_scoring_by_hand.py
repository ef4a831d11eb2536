"""Issue 3's acceptance: scores from `seabench run --model predictions:...` equal jiwer and sacrebleu
applied by hand to the same normalised text, for every language, and multiple-choice accuracy and
extract_fail_rate are exact on hand-labelled answers in six languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jiwer
import pytest
import sacrebleu

from seabench.metrics import bleu_tokenizer
from seabench.normalize import get_normalizer
from seabench.registry import registry
from tests.helpers.core import write_manifest, write_tone

LANGS = ("en", "id", "ms", "vi", "th", "zh", "ta")


def perturb(text: str, i: int) -> str:
    """Deterministic errors of several kinds: deletions, substitutions, insertions, case/punctuation noise."""
    if i % 4 == 0:
        return text
    if i % 4 == 1:
        return text[: max(1, len(text) * 2 // 3)]
    if i % 4 == 2:
        return text.upper() + " !!"
    return "xyz " + text[::-1][:10] + " " + text


def _run(tmp_path: Path, tasks: str, rows: list[dict]) -> dict:
    preds = write_manifest(tmp_path / "preds.jsonl", rows)
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "seabench.cli", "run", "--model", f"predictions:{preds}", "--tasks",
                          tasks, "-o", str(tmp_path / "run"), "--quiet"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads((tmp_path / "run" / "results.json").read_text())["tasks"]


def test_asr_wer_cer_equal_jiwer_by_hand(tmp_path: Path) -> None:
    tasks = registry().resolve_tasks(",".join(f"mini/asr-{lang}" for lang in LANGS))
    rows, expected = [], {}
    for task in tasks:
        samples = list(task.samples())
        hyps = [perturb(s.references[0], i) for i, s in enumerate(samples)]
        rows += [{"task": task.name, "id": s.id, "output": h} for s, h in zip(samples, hyps)]
        norm = get_normalizer(samples[0].language)
        refs_w = [" ".join(norm.words(s.references[0])) for s in samples]
        hyps_w = [" ".join(norm.words(h)) for h in hyps]
        refs_c = [" ".join(norm.chars(s.references[0])) for s in samples]
        hyps_c = [" ".join(norm.chars(h)) for h in hyps]
        expected[task.name] = (jiwer.wer(refs_w, hyps_w), jiwer.wer(refs_c, hyps_c))
    results = _run(tmp_path, ",".join(t.name for t in tasks), rows)
    for name, (wer, cer) in expected.items():
        assert results[name]["metrics"]["wer"]["value"] == pytest.approx(wer, abs=1e-9), name
        assert results[name]["metrics"]["cer"]["value"] == pytest.approx(cer, abs=1e-9), name
        assert 0 < wer and 0 < cer, name


def test_translation_bleu_chrf_equal_sacrebleu_by_hand(tmp_path: Path) -> None:
    tasks = registry().resolve_tasks("mini/s2tt-*")
    rows, expected = [], {}
    for task in tasks:
        samples = list(task.samples())
        hyps = [perturb(s.references[0], i).strip() for i, s in enumerate(samples)]
        rows += [{"task": task.name, "id": s.id, "output": h} for s, h in zip(samples, hyps)]
        refs = [[s.references[0] for s in samples]]
        tok = bleu_tokenizer(samples[0].target_language)
        expected[task.name] = (sacrebleu.corpus_bleu(hyps, refs, tokenize=tok).score,
                               sacrebleu.corpus_chrf(hyps, refs, word_order=2).score)
    results = _run(tmp_path, "mini/s2tt-*", rows)
    for name, (bleu, chrf) in expected.items():
        assert results[name]["metrics"]["bleu"]["value"] == pytest.approx(bleu, abs=1e-9), name
        assert results[name]["metrics"]["chrf++"]["value"] == pytest.approx(chrf, abs=1e-9), name


# (answer, correct?, extraction fails?) written by hand for the options below
CHOICES = ["a dog barking", "a cat meowing", "a car horn", "rain falling"]
ANSWERS = [
    ("en", "The answer is B.", True, False),
    ("en", "I hear a dog barking, not a cat.", False, True),  # names a distractor too: ambiguous
    ("en", "<think>maybe a car horn</think>Answer: (A)", False, False),
    ("en", "I'm sorry, I can't help with that.", False, True),
    ("id", "Jawabannya adalah B.", True, False),
    ("id", "Suara kucing mengeong, jadi pilihan B", True, False),
    ("ms", "Jawapannya ialah C", False, False),
    ("vi", "Đáp án là B.", True, False),
    ("vi", "Tôi không chắc.", False, True),
    ("th", "คำตอบคือ B", True, False),
    ("th", "", False, True),
    ("zh", "答案是B", True, False),
    ("zh", "我认为是D。", False, False),
    ("en", "B", True, False),
    ("en", "a cat meowing", True, False),
]


def test_multiple_choice_accuracy_and_extract_fail_rate_exact(tmp_path: Path) -> None:
    write_tone(tmp_path / "a.wav")
    manifest = write_manifest(tmp_path / "mc.jsonl", [
        {"id": f"q{i}", "audio": "a.wav", "language": lang, "choices": CHOICES, "label": "a cat meowing"}
        for i, (lang, *_rest) in enumerate(ANSWERS)])
    rows = [{"id": f"q{i}", "output": answer} for i, (_, answer, *_rest) in enumerate(ANSWERS)]
    results = _run(tmp_path, f"mcq@{manifest}", rows)["mcq/mc"]
    n = len(ANSWERS)
    assert results["metrics"]["accuracy"]["value"] == pytest.approx(sum(a[2] for a in ANSWERS) / n)
    assert results["metrics"]["accuracy"]["n"] == n  # nothing dropped from the denominator
    assert results["rates"]["extract_fail_rate"] + results["rates"]["refusal_rate"] + results["rates"]["empty_rate"] \
        == pytest.approx(sum(a[3] for a in ANSWERS) / n)
