"""Turn a judge's raw reply into a Verdict. Structured JSON first, then a regex fallback; a
missing, fractional or out-of-range score is `unscored` with a reason, never coerced."""

from __future__ import annotations

import json
import re

from seabench.judging.rubric import Rubric
from seabench.types import Verdict

_JSON_BLOCK = re.compile(r"\{.*\}", re.S)
_FALLBACKS = (
    re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]"),
    re.compile(r"(?:rating|score)\s*[:=]\s*\**\s*(-?\d+(?:\.\d+)?)", re.I),
)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _from_json(raw: str) -> tuple[float | None, str] | None:
    match = _JSON_BLOCK.search(raw)
    if not match:
        return None
    try:
        obj = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or "score" not in obj:
        return None
    return _number(obj.get("score")), str(obj.get("rationale", ""))


def parse_verdict(raw: str, rubric: Rubric, judge: str) -> Verdict:
    base = {"raw": raw, "judge": judge, "rubric": rubric.ref}
    if not raw or not raw.strip():
        return Verdict(score=None, unscored_reason="empty judge reply", **base)
    parsed = _from_json(raw)
    if parsed is None:
        for pattern in _FALLBACKS:
            found = pattern.findall(raw)
            if found:
                parsed = (_number(found[-1]), raw.strip())
                break
    if parsed is None:
        return Verdict(score=None, unscored_reason="no score found in judge reply", **base)
    score, rationale = parsed
    if score is None:
        return Verdict(score=None, rationale=rationale, unscored_reason="score is not a number", **base)
    if score != int(score):
        return Verdict(score=None, rationale=rationale, unscored_reason=f"fractional score {score:g}", **base)
    if not rubric.scale_min <= score <= rubric.scale_max:
        return Verdict(score=None, rationale=rationale,
                       unscored_reason=f"score {score:g} outside {rubric.scale_min}-{rubric.scale_max}", **base)
    return Verdict(score=score, rationale=rationale, parse_ok=True, **base)
