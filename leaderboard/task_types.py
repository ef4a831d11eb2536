"""Judge scores per task type × language (SeaBench-Audio's summary.csv and task.csv, side by side
for every model), computed from the sample records (their columns in the score index) so every cell
compares models on the same items.

A cell (task, task type, language; either may be "all") averages each model over the items of that
cell that every model holding the task had scored by the judge. A model whose items were sent to the
judge and none came back scored (every call failed; only empty answers got the lowest score without
a call) shows no score anywhere in the task and does not shrink the others' item sets.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from seabench.index import TaskColumns
from seabench.judging.phase import JUDGE_SCORER, NOT_SENT

ALL = "all"
TASK_TYPE = "task_type"


class TaskTypeCell(BaseModel):
    run_id: str
    task: str
    task_type: str  # SeaBench-Audio task type (prefix), or "all"
    language: str  # or "all"
    value: float | None  # mean judge score (rubric scale) over the common items; None: no item judged by a call
    n: int  # items averaged (judged for every model in the cell)
    n_items: int  # items of the cell this run holds


def scored_by_call(rows: TaskColumns) -> np.ndarray:
    """Rows the judge itself scored (not empty answers given the minimum without a call)."""
    return ~np.isnan(rows.judge_scores()) & ~rows.scorer(JUDGE_SCORER).flagged(NOT_SENT)


def judge_answered(rows: TaskColumns) -> bool:
    """False when items were sent to the judge and none came back scored (every call failed); a run
    whose answers were all empty (nothing sent, all given the lowest score) has its scores."""
    return bool(scored_by_call(rows).any() or (~np.isnan(rows.judge_scores())).all())


def _cells_of(kind: str, language: str) -> list[tuple[str, str]]:
    return [(kind, language), (kind, ALL), (ALL, language), (ALL, ALL)]


def task_type_cells(runs: Sequence[dict[str, TaskColumns]], ids: Sequence[str]) -> list[TaskTypeCell]:
    """`runs[i]` is run `ids[i]`'s rows (task -> columns). Only tasks whose records carry a task type
    are pivoted."""
    tasks = sorted({name for columns in runs for name, rows in columns.items()
                    if any(kind is not None and verdict is not None
                           for kind, verdict in zip(rows.values_of(TASK_TYPE), rows.verdicts, strict=True))})
    out: list[TaskTypeCell] = []
    for task in tasks:
        holding = [(rid, columns[task]) for rid, columns in zip(ids, runs, strict=True) if task in columns]
        members: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        scores: dict[str, dict[str, float | None]] = {}
        for rid, rows in holding:
            kinds = [str(kind) for kind in rows.values_of(TASK_TYPE)]
            for sid, kind, language in zip(rows.ids, kinds, rows.languages, strict=True):
                for cell in _cells_of(kind, language):
                    members[cell][rid].add(sid)
            scores[rid] = {sid: None if np.isnan(v) else float(v) for sid, v in zip(rows.ids, rows.judge_scores(), strict=True)}
        live = [rid for rid, rows in holding if judge_answered(rows)]
        for (kind, language), by_run in sorted(members.items()):
            common = set.intersection(*({s for s in by_run.get(rid, ()) if scores[rid][s] is not None}
                                        for rid in live)) if live else set()
            for rid, _ in holding:
                values = [scores[rid][s] for s in sorted(common)] if rid in live else []
                out.append(TaskTypeCell(run_id=rid, task=task, task_type=kind, language=language,
                                        value=statistics.fmean(values) if values else None,  # type: ignore[arg-type]
                                        n=len(values), n_items=len(by_run.get(rid, ()))))
    return out


def export_task_types_csv(cells: Sequence[TaskTypeCell], labels: dict[str, str]) -> str:
    """One row per model and task with a column per task type × language (SeaBench-Audio's pivots)."""
    from seabench.leaderboard.exports import csv_safe
    columns = sorted({(c.task_type, c.language) for c in cells}, key=lambda k: (k[0] == ALL, k[0], k[1] == ALL, k[1]))
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for c in cells:
        row = rows.setdefault((c.run_id, c.task), {"model": labels.get(c.run_id, c.run_id), "run_id": c.run_id,
                                                   "task": c.task})
        row[f"{c.task_type}|{c.language}"] = "" if c.value is None else round(c.value, 4)
        row[f"{c.task_type}|{c.language}|n"] = c.n
    header = ["model", "run_id", "task"] + [f"{t}|{lang}{suffix}" for t, lang in columns for suffix in ("", "|n")]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows.values():
        writer.writerow({k: csv_safe(v) for k, v in row.items()})
    return buf.getvalue()
