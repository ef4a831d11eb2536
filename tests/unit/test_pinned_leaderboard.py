"""Leaderboard values are pinned on fixed run directories: cells, ranks, significance marks,
failures, the headline (overall, per-language and per-family scores with their CIs, ranks) and the
embedded sample answers must stay what `golden/aggregation/leaderboard.json` holds (written before the
leaderboard read the score index; the headline part when the one-rule headline replaced the old
overall and per-family means)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seabench.leaderboard.data import build_data
from tests.unit.test_leaderboard_data import make_runs

GOLDEN = Path(__file__).parent / "golden" / "aggregation" / "leaderboard.json"
PINNED = {"tasks", "languages", "families", "cells", "failures", "headline", "comparisons", "samples",
          "samples_truncated"}


def leaderboard_values(root: Path) -> dict[str, Any]:
    data = build_data(make_runs(root / "runs", n=40), root / "site", max_samples_per_task=25)
    values = json.loads(data.model_dump_json(include=PINNED))
    for view in values["samples"]:
        view.pop("audio")  # keys of the copied clips, not values
    return values


def test_leaderboard_values_are_pinned(tmp_path: Path) -> None:
    assert leaderboard_values(tmp_path) == json.loads(GOLDEN.read_text(encoding="utf-8"))
