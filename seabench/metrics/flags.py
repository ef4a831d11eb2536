"""Names of the per-sample flags and the checks every scorer applies to a raw output."""

from __future__ import annotations

from functools import lru_cache

EMPTY = "empty"
REFUSAL = "refusal"
EXTRACT_FAIL = "extract_fail"
WRONG_LANGUAGE = "wrong_language"
CONFLICT = "conflict"  # multiple choice: the letter and the option text name different options

FLAGS = (EMPTY, REFUSAL, EXTRACT_FAIL, WRONG_LANGUAGE)


# The checks are pure functions of the text; a small memo lets the WER and CER scorers of one
# sample share them (language identification is the most expensive step of ASR scoring).
@lru_cache(maxsize=1024)
def unusable_reason(output: str) -> str | None:
    """EMPTY (nothing but whitespace, punctuation or reasoning) or REFUSAL, else None.

    Either way the output is scored as no answer at all: all deletions, zero matches, wrong.
    """
    from seabench.extract import is_empty, is_refusal

    if is_empty(output):
        return EMPTY
    return REFUSAL if is_refusal(output) else None


@lru_cache(maxsize=1024)
def final_answer(output: str) -> str:
    """The part of a free-text output that is scored: think/reasoning blocks dropped."""
    from seabench.extract import strip_reasoning

    return strip_reasoning(output)


def language_flags(answer: str, expected: str | None) -> list[str]:
    """[WRONG_LANGUAGE] when a non-empty answer is not in the expected language."""
    if not expected or expected == "und" or not answer.strip():
        return []
    return [WRONG_LANGUAGE] if _wrong_language(answer, expected) else []


@lru_cache(maxsize=1024)
def _wrong_language(answer: str, expected: str) -> bool:
    from seabench.langid import is_wrong_language

    return is_wrong_language(answer, expected)
