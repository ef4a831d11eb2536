"""Numbers a paper or model card reports, set beside a run's own (`seabench leaderboard --published FILE`).

A published table is YAML or CSV: one row per (model, task, metric, value, source), optionally a
language (default: the whole task) and a note. `task` is a SeaBench task name and `metric` one of the
metrics a SeaBench run reports for it, in the unit SeaBench stores: WER/CER/accuracy as fractions
(0.492) or written with a percent sign ("49.2%"), BLEU/chrF++ and AudioBench's judge numbers on
0-100, judge scores on their rubric's scale (1-5, 0-5, 0-1). In YAML, `source` may name an entry of a top-level `sources:` mapping, so a
long citation is written once. `--published papers` is the table shipped with SeaBench
(published_papers.yaml: MERaLiON's and MMAU's published numbers, each with where it was read).

Published rows carry no per-item data, so they get no CI and no headline rank; the page shows them
marked as published, beside every run's value of the same task and metric.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError
from seabench.leaderboard.scoring import Kind, metric_kind

from seabench.types import MetricValue, RunResult

BUILTIN = {"papers": Path(__file__).parent / "published_papers.yaml"}
ALL = "all"
FIELDS = ("model", "task", "metric", "value", "source")


class PublishedRow(BaseModel):
    model: str
    task: str
    metric: str
    value: float
    source: str
    language: str = ALL
    note: str = ""


class OursValue(BaseModel):
    """A run's own value of the published row's task and metric (None: the run did not compute it)."""

    run_id: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None


class PublishedEntry(PublishedRow):
    kind: Kind
    ours: list[OursValue] = Field(default_factory=list)


def _value(raw: Any, metric: str, where: str) -> float:
    """A number, or a percentage written with '%'; an accuracy above 1 without '%' is refused (a forgotten '%')."""
    text = str(raw).strip()
    try:
        value = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{where}: value {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: value {text!r} is not a finite number")
    if metric_kind(metric) == "accuracy" and not text.endswith("%") and value > 1:
        raise ValueError(f"{where}: {metric} {text} looks like a percentage; write {value / 100:g} or {text}%")
    return value


def _row(raw: dict[str, Any], sources: dict[str, str], where: str) -> PublishedRow:
    missing = [f for f in FIELDS if raw.get(f) in (None, "")]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)} (a published row needs {', '.join(FIELDS)})")
    fields = {k: str(v).strip() for k, v in raw.items() if k in PublishedRow.model_fields and v not in (None, "")}
    fields["value"] = _value(raw["value"], fields["metric"], where)
    fields["source"] = sources.get(fields["source"], fields["source"])
    try:
        return PublishedRow(**fields)
    except ValidationError as exc:
        raise ValueError(f"{where}: {exc.errors()[0]['msg']}") from None


def load_published(spec: str | Path) -> list[PublishedRow]:
    """Rows of a published table (a path, or the name of a shipped one); one-line ValueError on a bad file."""
    path = BUILTIN.get(str(spec), Path(spec))
    if not path.is_file():
        raise ValueError(f"--published {spec}: no such file (or one of the shipped tables: {', '.join(BUILTIN)})")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        absent = [f for f in FIELDS if f not in (reader.fieldnames or [])]
        if absent:
            raise ValueError(f"{path}: not a published table: CSV columns {', '.join(absent)} missing")
        return [_row(raw, {}, f"{path}:{n}") for n, raw in enumerate(reader, start=2)]
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    rows = doc.get("rows") if isinstance(doc, dict) else doc
    sources = doc.get("sources") or {} if isinstance(doc, dict) else {}
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows) or not isinstance(sources, dict):
        raise ValueError(f"{path}: not a published table: expected a list of rows (or `rows:` and `sources:`)")
    return [_row(raw, {str(k): str(v) for k, v in sources.items()}, f"{path}: row {n}") for n, raw in enumerate(rows, 1)]


def _ours(result: RunResult, row: PublishedRow) -> MetricValue | None:
    task = result.tasks[row.task]
    metrics = task.metrics if row.language == ALL else task.breakdowns.get("language", {}).get(row.language, {})
    return metrics.get(row.metric)


def match_published(rows: Sequence[PublishedRow], run_ids: Sequence[str], results: Sequence[RunResult]
                    ) -> tuple[list[PublishedEntry], int]:
    """The rows whose task some run has, each with every such run's value; and how many rows were left out."""
    entries = []
    for row in rows:
        holding = [(rid, res) for rid, res in zip(run_ids, results, strict=True) if row.task in res.tasks]
        if not holding:
            continue
        ours = []
        for rid, res in holding:
            mv = _ours(res, row)
            ours.append(OursValue(run_id=rid, value=mv.value if mv else None, ci_low=mv.ci_low if mv else None,
                                  ci_high=mv.ci_high if mv else None))
        entries.append(PublishedEntry(**row.model_dump(), kind=metric_kind(row.metric), ours=ours))
    return entries, len(rows) - len(entries)
