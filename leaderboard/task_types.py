"""Judge scores per task type × language (SeaBench-Audio's summary.csv and task.csv, side by side
for every model), computed from the sample records so every cell compares models on the same items.

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
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from seabench.judging.phase import JUDGE_SCORER, NOT_SENT
from seabench.leaderboard.scoring import judge_score
from seabench.types import SampleRecord

ALL = "all"
TASK_TYPE = "task_type"


class TaskTypeCell(BaseModel):
    run_id: str
    task: str
    task_type: str  # SeaBench-Audio task type (prefix), or "all"
    language: str  # or "all"
    value: float | None  # mean judge score 1-5 over the common items; None: no item judged by a call
    n: int  # items averaged (judged for every model in the cell)
    n_items: int  # items of the cell this run holds


def scored_by_call(record: SampleRecord) -> bool:
    """The judge itself scored this item (not an empty answer given the minimum without a call)."""
    score = record.scores.get(JUDGE_SCORER)
    return judge_score(record) is not None and not (score is not None and NOT_SENT in score.flags)


def judge_answered(records: Iterable[SampleRecord]) -> bool:
    """False when items were sent to the judge and none came back scored (every call failed); a run
    whose answers were all empty (nothing sent, all given the lowest score) has its scores."""
    records = list(records)
    return any(scored_by_call(r) for r in records) or all(judge_score(r) is not None for r in records)


def _cells_of(record: SampleRecord) -> list[tuple[str, str]]:
    kind = str(record.metadata.get(TASK_TYPE))
    return [(kind, record.language), (kind, ALL), (ALL, record.language), (ALL, ALL)]


def task_type_cells(runs: Sequence[dict[str, dict[str, SampleRecord]]], ids: Sequence[str]) -> list[TaskTypeCell]:
    """`runs[i]` is run `ids[i]`'s records (task -> sample id -> record). Only tasks whose records
    carry a task type are pivoted."""
    tasks = sorted({name for records in runs for name, recs in records.items()
                    if any(TASK_TYPE in r.metadata and r.verdicts for r in recs.values())})
    out: list[TaskTypeCell] = []
    for task in tasks:
        holding = [(rid, records[task]) for rid, records in zip(ids, runs, strict=True) if task in records]
        members: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for rid, recs in holding:
            for sid, record in recs.items():
                for cell in _cells_of(record):
                    members[cell][rid].add(sid)
        held = dict(holding)
        live = [rid for rid, recs in holding if judge_answered(recs.values())]
        for (kind, language), by_run in sorted(members.items()):
            common = set.intersection(*({s for s in by_run.get(rid, ()) if judge_score(held[rid][s]) is not None}
                                        for rid in live)) if live else set()
            for rid, recs in holding:
                values = [judge_score(recs[s]) for s in sorted(common)] if rid in live else []
                out.append(TaskTypeCell(run_id=rid, task=task, task_type=kind, language=language,
                                        value=statistics.fmean(values) if values else None,  # type: ignore[arg-type]
                                        n=len(values), n_items=len(by_run.get(rid, ()))))
    return out


def export_task_types_csv(cells: Sequence[TaskTypeCell], labels: dict[str, str]) -> str:
    """One row per model and task with a column per task type × language (SeaBench-Audio's pivots)."""
    from seabench.leaderboard.data import _csv_safe
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
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return buf.getvalue()
