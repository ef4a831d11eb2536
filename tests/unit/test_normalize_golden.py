"""Golden cases for every normaliser, read from tests/unit/golden/normalize/*.json.

Each case gives the input and the expected canonical text, and optionally the expected WER words
and CER characters. The expected values were written by hand from the rules in
docs/NORMALIZATION.md, not recorded from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seabench.normalize import get_normalizer

GOLDEN = Path(__file__).parent / "golden" / "normalize"


def _cases() -> list[Any]:
    params = []
    for path in sorted(GOLDEN.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, case in enumerate(data["cases"]):
            language = case.get("language", data["language"])
            params.append(pytest.param(language, case, data.get("normalizer"), id=f"{path.stem}-{i}"))
    return params


@pytest.mark.parametrize(("language", "case", "variant"), _cases())
def test_golden(language: str, case: dict[str, Any], variant: str | None) -> None:
    normalizer = get_normalizer(language, variant)
    assert normalizer.normalize(case["input"]) == case["expected_normalized"]
    if "expected_words" in case:
        assert normalizer.words(case["input"]) == case["expected_words"]
    if "expected_chars" in case:
        assert normalizer.chars(case["input"]) == case["expected_chars"]


def test_every_language_has_enough_golden_cases() -> None:
    counts = {p.stem: len(json.loads(p.read_text(encoding="utf-8"))["cases"])
              for p in GOLDEN.glob("*.json")}
    for language in ("en", "en-SG", "id", "ms", "vi", "th", "zh", "ta"):
        assert counts.get(language, 0) >= 25, language
    assert counts.get("und", 0) >= 10
