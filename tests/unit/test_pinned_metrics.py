"""Metric values are pinned on fixed data: every value, CI bound, breakdown, count and rate of
tests/helpers/pinned_records.py, and the per-sample statistics of the ASR and translation scorers,
must stay exactly what `golden/aggregation/pinned.json` holds (written before aggregation moved to
the score index), whichever way a result is computed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seabench.aggregate import aggregate_columns, aggregate_task
from seabench.index import columns_by_task, read_index
from seabench.records import SampleWriter
from seabench.scoring import score_record
from seabench.types import SampleRecord
from tests.helpers.pinned_records import pinned_cases

GOLDEN = Path(__file__).parent / "golden" / "aggregation" / "pinned.json"


def latest(records: list[SampleRecord]) -> list[SampleRecord]:
    """The last record of each sample, in the order samples first appeared (as resume reads them)."""
    return list({r.sample_id: r for r in records}.values())


PINNED = ("status", "metrics", "breakdowns", "counts", "rates", "scoring", "primary_metric", "direction")


def result_values(results: dict[str, Any]) -> dict[str, Any]:
    """The computed parts of TaskResults as plain JSON (floats round-trip exactly); which normaliser
    versions were used is recorded, not computed."""
    values = json.loads(json.dumps({name: r.model_dump(mode="json", include=set(PINNED)) for name, r in results.items()}))
    for value in values.values():
        value["scoring"].pop("normalizers", None)
    return values


def score_values(records: list[SampleRecord]) -> dict[str, Any]:
    return json.loads(json.dumps({r.sample_id: {name: [s.value, s.stats, s.flags, s.answer] for name, s in r.scores.items()}
                                  for r in records}))


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cases():  # type: ignore[no-untyped-def]
    return pinned_cases()


def test_aggregation_from_records_is_pinned(golden: dict[str, Any], cases) -> None:  # type: ignore[no-untyped-def]
    results = {task.name: aggregate_task(task, latest(records), n, seed=0) for task, records, n in cases}
    pinned = {name: {k: v for k, v in r.items() if k in PINNED} for name, r in golden["results"].items()}
    assert result_values(results) == pinned


def test_aggregation_from_the_score_index_is_pinned(golden: dict[str, Any], cases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same records written to samples.jsonl (retried sample included) and read back through the index."""
    path = tmp_path / "samples.jsonl"
    writer = SampleWriter(path)
    for _, records, _ in cases:
        for record in records:
            writer.write(record)
    writer.close()
    columns = columns_by_task(read_index(path)[1])
    results = {task.name: aggregate_columns(task, columns[task.name], n, seed=0) for task, _, n in cases}
    pinned = {name: {k: v for k, v in r.items() if k in PINNED} for name, r in golden["results"].items()}
    assert result_values(results) == pinned


def test_asr_and_translation_scores_are_pinned(golden: dict[str, Any], cases) -> None:  # type: ignore[no-untyped-def]
    for task, records, _ in cases:
        if task.family not in ("asr", "s2tt"):
            continue
        fresh = [r.model_copy(deep=True) for r in records]
        for record in fresh:
            record.scores = {}
            score_record(task, record.to_sample(), record)
        assert score_values(fresh) == golden["scores"][task.name], task.name
