"""Rubric-driven LLM judging: rubrics as data, backends in `seabench.judges`, and the judging
step shared by `seabench run` and `seabench score`."""

from __future__ import annotations

import os

from seabench.judging.backend import JudgeBackend, JudgeCache, JudgeReply
from seabench.judging.phase import JUDGE_SCORER, JudgePlan, plan, run_judging
from seabench.judging.request import JudgeRequest
from seabench.judging.rubric import Rubric, all_rubrics, load_rubric
from seabench.judging.verdict import parse_verdict

DEFAULT_JUDGE = "gemini:gemini-2.5-flash"


def default_judge() -> str | None:
    """Gemini 2.5 Flash (audio-aware) when a Gemini key is in the environment, else no judge."""
    return DEFAULT_JUDGE if (os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")) else None


__all__ = ["DEFAULT_JUDGE", "JUDGE_SCORER", "JudgeBackend", "JudgeCache", "JudgePlan", "JudgeReply", "JudgeRequest",
           "Rubric", "all_rubrics", "default_judge", "load_rubric", "parse_verdict", "plan", "run_judging"]
