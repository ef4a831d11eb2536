"""Breakdowns by language, by metadata key, and cross breakdowns (a pair of keys, e.g. task_type×language)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from seabench.aggregate import aggregate_task
from seabench.metrics import MeanMetric
from seabench.task import breakdown_name
from tests.helpers.pinned_records import judged


def test_a_cross_breakdown_lists_every_cell_with_its_metric_and_ci() -> None:
    task, records, n = judged()
    crossed = replace(task, breakdown_keys=("language", ("task_type", "language")))
    result = aggregate_task(crossed, records, n, seed=0)
    cells = result.breakdowns[breakdown_name(("task_type", "language"))]
    assert "task_type×language" in result.breakdowns
    expected = {f"{r.metadata['task_type']}×{r.language}" for r in records}
    assert set(cells) == expected and len(cells) == 4
    for cell, metrics in cells.items():
        task_type, language = cell.split("×")
        mine = [r for r in records if r.metadata["task_type"] == task_type and r.language == language]
        alone = MeanMetric("judge_score", "judge").compute([r.scores["judge"] for r in mine], seed=0)
        assert metrics["judge_score"] == alone  # value, CI, n and n_failed as if computed on the cell alone
        assert metrics["judge_score"].n + metrics["judge_score"].n_failed == len(mine)


def test_a_sample_missing_a_key_is_left_out_of_the_cross_breakdown() -> None:
    task, records, n = judged()
    records[0].metadata.pop("task_type")
    crossed = replace(task, breakdown_keys=(("task_type", "language"),))
    cells = aggregate_task(crossed, records, n, seed=0).breakdowns["task_type×language"]
    assert sum(m["judge_score"].n + m["judge_score"].n_failed for m in cells.values()) == len(records) - 1


def test_a_single_cell_cross_breakdown_is_kept_but_a_single_group_key_is_not() -> None:
    task, records, n = judged()
    for r in records:
        r.metadata["task_type"] = "qa"
        r.language = "th"
    crossed = replace(task, breakdown_keys=("task_type", ("task_type", "language")))
    result = aggregate_task(crossed, records, n, seed=0)
    assert "task_type" not in result.breakdowns
    [(cell, metrics)] = result.breakdowns["task_type×language"].items()
    assert cell == "qa×th" and np.isclose(metrics["judge_score"].value, result.metrics["judge_score"].value)
