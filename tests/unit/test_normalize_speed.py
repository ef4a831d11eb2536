"""Normalisation sits inside every WER/CER scorer: 10,000 short sentences must take well under a
second for the languages without a segmenter (measured about 0.05-0.15 s each)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from seabench.normalize import get_normalizer

GOLDEN = Path(__file__).parent / "golden" / "normalize"


@pytest.mark.parametrize("tag", ["en", "en-SG", "id", "ms", "vi", "ta", "und"])
def test_ten_thousand_sentences_under_a_second(tag: str) -> None:
    cases = json.loads((GOLDEN / f"{tag}.json").read_text(encoding="utf-8"))["cases"]
    inputs = [c["input"] for c in cases if c["input"]]
    sentences = [f"{inputs[i % len(inputs)]} {inputs[(7 * i + 3) % len(inputs)]}"
                 for i in range(10_000)]
    normalizer = get_normalizer(tag)
    normalizer.normalize(sentences[0])  # builds the shared Unicode tables once
    start = time.process_time()  # CPU time: other helpers' load on the machine does not count
    for sentence in sentences:
        normalizer.words(sentence)
    assert time.process_time() - start < 1.0
