"""Corpus BLEU/chrF++ from segment statistics equal sacrebleu's corpus scores exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sacrebleu

from seabench.metrics import BLEU, ChrFpp, bleu_tokenizer, translation_stats
from seabench.metrics.translation import BLEU_KEYS, CHRF_KEYS, bleu_from_sums, chrf_from_sums
from seabench.types import Score

GOLDEN = json.loads((Path(__file__).parent / "golden" / "metrics" / "translation.json").read_text("utf-8"))["cases"]


def _streams(case: dict) -> tuple[list[str], list[list[str]]]:
    segs = case["segments"]
    nrefs = max(len(s["refs"]) for s in segs)
    return [s["hyp"] for s in segs], [[s["refs"][i] for s in segs] for i in range(nrefs)]


def _scores(case: dict) -> list[Score]:
    return [Score(stats=translation_stats(s["hyp"], s["refs"], case["tokenize"])) for s in case["segments"]]


@pytest.mark.parametrize("case", GOLDEN, ids=[c["id"] for c in GOLDEN])
def test_golden_corpus_bleu_and_chrfpp(case: dict) -> None:
    hyps, refs = _streams(case)
    assert bleu_tokenizer(case["target_language"]) == case["tokenize"]
    bleu = BLEU().compute(_scores(case))
    chrf = ChrFpp().compute(_scores(case))
    # Exactly sacrebleu's corpus numbers, and the stored golden values.
    assert bleu.value == sacrebleu.corpus_bleu(hyps, refs, tokenize=case["tokenize"]).score
    assert chrf.value == sacrebleu.corpus_chrf(hyps, refs, word_order=2).score
    assert bleu.value == pytest.approx(case["expected"]["bleu"], abs=1e-5)
    assert chrf.value == pytest.approx(case["expected"]["chrf++"], abs=1e-5)
    assert f"tok:{case['tokenize']}" in bleu.details["signature"]
    assert f"nrefs:{len(refs)}" in bleu.details["signature"]
    assert "nw:2" in chrf.details["signature"]


def test_signature_matches_sacrebleu() -> None:
    case = GOLDEN[0]
    hyps, refs = _streams(case)
    metric = sacrebleu.BLEU(tokenize="13a")
    metric.corpus_score(hyps, refs)
    assert BLEU().compute(_scores(case)).details["signature"] == str(metric.get_signature())


def test_mixed_tokenizers_are_named_in_signature() -> None:
    scores = _scores(GOLDEN[0]) + _scores(GOLDEN[2])
    assert "tok:13a+zh" in BLEU().compute(scores).details["signature"]


@pytest.mark.parametrize(
    ("language", "tokenizer"),
    [("zh", "zh"), ("zh-CN", "zh"), ("th", "char"), ("lo", "char"), ("km", "char"), ("my", "char"),
     ("ja", "char"), ("en", "13a"), ("vi", "13a"), ("ms_SG", "13a"), (None, "13a")],
)
def test_tokenizer_by_target_language(language: str | None, tokenizer: str) -> None:
    assert bleu_tokenizer(language) == tokenizer


def test_vectorised_scores_equal_sacrebleu_on_random_statistics() -> None:
    rng = np.random.default_rng(7)
    bleu_ref, chrf_ref = sacrebleu.BLEU(), sacrebleu.CHRF(word_order=2)
    bleu_rows, chrf_rows = [], []
    for _ in range(300):
        total = rng.integers(0, 40, size=4)
        total[rng.random(4) < 0.1] = 0
        correct = np.minimum(total, rng.integers(0, 30, size=4)) * (rng.random(4) > 0.2)
        bleu_rows.append([int(total[0]), int(rng.integers(0, 60)), *correct.tolist(), *total.tolist()])
        hyp = rng.integers(0, 50, size=8) * (rng.random(8) > 0.1)
        ref = rng.integers(0, 50, size=8) * (rng.random(8) > 0.1)
        match = np.minimum(np.minimum(hyp, ref), rng.integers(0, 50, size=8))
        chrf_rows.append(np.stack([hyp, ref, match], axis=1).ravel().tolist())
    bleu_vec = bleu_from_sums(np.array(bleu_rows, dtype=float))
    chrf_vec = chrf_from_sums(np.array(chrf_rows, dtype=float))
    for row, value in zip(bleu_rows, bleu_vec, strict=True):
        assert value == pytest.approx(bleu_ref._compute_score_from_stats(list(row)).score, rel=1e-9, abs=1e-9)
    for row, value in zip(chrf_rows, chrf_vec, strict=True):
        assert value == pytest.approx(chrf_ref._compute_f_score(row), rel=1e-9, abs=1e-9)


def test_empty_hypothesis_has_no_matches() -> None:
    st = translation_stats("", ["Where is the station?"], "13a")
    assert st["bleu_sys_len"] == 0 and st["bleu_ref_len"] == 5
    assert all(st[k] == 0 for k in BLEU_KEYS if k.startswith("bleu_match"))
    assert all(st[k] == 0 for k in CHRF_KEYS if k.startswith("chrf_match") or k.startswith("chrf_hyp"))
    assert BLEU().compute([Score(stats=st)]).value == 0.0


def test_missing_statistics_count_as_failed() -> None:
    value = BLEU().compute([*_scores(GOLDEN[0]), Score(value=None, flags=["unscored"])])
    assert value.n == 4 and value.n_failed == 1
