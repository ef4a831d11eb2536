"""Names of the per-sample flags and the checks every free-text scorer applies to an output."""

from __future__ import annotations

EMPTY = "empty"
REFUSAL = "refusal"
EXTRACT_FAIL = "extract_fail"
WRONG_LANGUAGE = "wrong_language"

FLAGS = (EMPTY, REFUSAL, EXTRACT_FAIL, WRONG_LANGUAGE)


def unusable_reason(output: str) -> str | None:
    """EMPTY or REFUSAL when the output must be scored as no answer at all, else None."""
    if not output.strip():
        return EMPTY
    from seabench.extract import is_refusal

    return REFUSAL if is_refusal(output) else None


def language_flags(output: str, expected: str | None) -> list[str]:
    """[WRONG_LANGUAGE] when a non-empty output is not in the expected language."""
    if not expected or expected == "und" or not output.strip():
        return []
    from seabench.langid import is_wrong_language

    return [WRONG_LANGUAGE] if is_wrong_language(output, expected) else []
