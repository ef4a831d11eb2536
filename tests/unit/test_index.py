"""The score index beside samples.jsonl: kept in step by every writer, always derivable from the
file, repaired when missing, torn, behind, damaged or describing another file; resume and results
read it instead of the records."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from seabench.index import columns_by_task, entry_of, index_path, open_index, read_index
from seabench.records import SAMPLES_FILE, SampleWriter, iter_records, rewrite_latest
from seabench.rescore import rescore
from seabench.runner import RunConfig, Runner
from seabench.metrics import MeanMetric
from seabench.types import ModelOutput, SampleRecord, Score
from tests.helpers.core import make_samples, make_task, registry_with


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


def _record(i: int, task: str = "t/a", text: str = "out") -> SampleRecord:
    return SampleRecord(run_id="r", task=task, sample_id=f"s{i:03d}", language=("en", "th")[i % 2],
                        metadata={"subset": ("x", "y")[i % 2], "n": i}, output=ModelOutput(text=text),
                        scores={"exact": Score(value=float(i % 3 == 0), stats={"k": float(i)}, flags=["empty"] if i % 5 == 0 else [])})


def _write(path: Path, records: list[SampleRecord]) -> None:
    writer = SampleWriter(path)
    for r in records:
        writer.write(r)
    writer.close()


def _entries(path: Path) -> list[dict]:
    return list(read_index(path)[1])


def _expected(path: Path) -> list[dict]:
    """The index as derived from samples.jsonl alone (positions left out)."""
    return [entry_of(r) for r in iter_records(path)]


def _without_positions(entries: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in ("n", "o", "c")} for e in entries]


def test_every_write_is_indexed_and_the_index_matches_the_file(tmp_path: Path) -> None:
    path = tmp_path / SAMPLES_FILE
    _write(path, [_record(i) for i in range(12)])
    _write(path, [_record(i) for i in range(12, 20)])  # a resumed writer appends to both
    entries = _entries(path)
    assert _without_positions(entries) == _expected(path)
    assert entries[-1]["o"] == path.stat().st_size
    assert open_index(path).end == path.stat().st_size


@pytest.mark.parametrize("damage", ["missing", "torn", "behind", "other_file", "rewritten", "middle_line", "garbage"])
def test_a_damaged_index_is_repaired_from_samples(tmp_path: Path, damage: str) -> None:
    path = tmp_path / SAMPLES_FILE
    _write(path, [_record(i) for i in range(30)])
    good = index_path(path).read_bytes()
    idx = index_path(path)
    lines = good.splitlines(keepends=True)
    if damage == "missing":
        idx.unlink()
    elif damage == "torn":  # killed while writing the index line
        idx.write_bytes(good[:-7])
    elif damage == "behind":  # killed between the record and its index line
        idx.write_bytes(b"".join(lines[:-5]))
    elif damage == "other_file":  # the index of another run with the same number of records
        other = tmp_path / "other" / SAMPLES_FILE
        other.parent.mkdir()
        _write(other, [_record(i, text="different") for i in range(30)])
        shutil.copy(index_path(other), idx)
    elif damage == "rewritten":  # samples.jsonl edited by hand, same length
        path.write_bytes(path.read_bytes().replace(b'"out"', b'"OUT"'))
    elif damage == "middle_line":
        lines[10] = b"{not json\n"
        idx.write_bytes(b"".join(lines))
    elif damage == "garbage":
        idx.write_bytes(b"\x00\xff garbage")
    entries = _entries(path)
    assert _without_positions(entries) == _expected(path)
    assert len(entries) == 30 and entries[-1]["o"] == path.stat().st_size
    if damage != "rewritten":
        assert index_path(path).read_bytes() == good


def test_a_torn_record_line_is_not_indexed_and_is_cut_by_the_next_writer(tmp_path: Path) -> None:
    path = tmp_path / SAMPLES_FILE
    _write(path, [_record(i) for i in range(5)])
    with open(path, "ab") as fh:
        fh.write(b'{"run_id": "r", "task": "t/a", "sample_id": "s0')  # kill -9 mid-write
    assert len(_entries(path)) == 5
    _write(path, [_record(9)])
    assert [e["i"] for e in _entries(path)] == ["s000", "s001", "s002", "s003", "s004", "s009"]
    assert _without_positions(_entries(path)) == _expected(path)


def test_rewrite_keeps_the_latest_line_where_the_sample_first_appeared(tmp_path: Path) -> None:
    path = tmp_path / SAMPLES_FILE
    _write(path, [_record(0), _record(1, text="first try"), _record(2), _record(1, text="retried")])
    rewrite_latest(path)
    records = list(iter_records(path))
    assert [(r.sample_id, r.output.text) for r in records] == [("s000", "out"), ("s001", "retried"), ("s002", "out")]
    assert _without_positions(_entries(path)) == _expected(path)


def test_columns_take_the_latest_record_of_a_sample(tmp_path: Path) -> None:
    path = tmp_path / SAMPLES_FILE
    retried = _record(1)
    retried.scores = {"other": Score(value=1.0)}
    _write(path, [_record(0), _record(1), _record(2), retried])
    columns = columns_by_task(read_index(path)[1])["t/a"]
    assert columns.ids == ["s000", "s001", "s002"]
    exact = columns.scorer("exact")
    assert list(exact.values[:1]) == [1.0] and exact.flag_sets[exact.codes[1]] == ("unscored",)  # replaced
    assert columns.scorer("other").values[1] == 1.0
    assert columns.values_of("n") == ["0", "1", "2"]


# -- the runner and `seabench score` read the index, not the records ----------------------------------
def _run(tmp_path: Path, n: int, out: str = "run", **config: object):  # type: ignore[no-untyped-def]
    samples = make_samples(tmp_path / "audio", n)
    reg = registry_with(make_task(samples))
    runner = Runner(RunConfig(model="echo", tasks="test/*", output_dir=tmp_path / out, quiet=True, batch_size=8,
                              **config), reg)  # type: ignore[arg-type]
    return runner, runner.run()


@pytest.fixture()
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many records were parsed from JSON since the fixture started."""
    count = [0]
    original = SampleRecord.model_validate_json.__func__  # type: ignore[attr-defined]

    def counting(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        count[0] += 1
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(SampleRecord, "model_validate_json", classmethod(counting))
    return count


def test_a_run_and_its_resume_never_parse_a_record(tmp_path: Path, parses: list[int]) -> None:
    _, first = _run(tmp_path, 40)
    assert parses[0] == 0  # results came from the index written alongside
    runner, again = _run(tmp_path, 40)
    assert parses[0] == 0 and runner.model_calls == 0
    assert again.tasks == first.tasks and again.samples_digest == first.samples_digest


def test_resume_after_the_index_was_lost_rebuilds_it_once(tmp_path: Path, parses: list[int]) -> None:
    _run(tmp_path, 40)
    index_path(tmp_path / "run" / SAMPLES_FILE).unlink()
    _run(tmp_path, 40)
    assert parses[0] == 40  # the rebuild read each record once
    _run(tmp_path, 40)
    assert parses[0] == 40


def test_results_are_recomputed_when_records_change(tmp_path: Path) -> None:
    _, first = _run(tmp_path, 20)
    path = tmp_path / "run" / SAMPLES_FILE
    lines = path.read_text().splitlines(keepends=True)
    changed = json.loads(lines[0])
    changed["scores"]["exact"]["value"] = 0.0
    path.write_text(json.dumps(changed) + "\n" + "".join(lines[1:]))
    _, again = _run(tmp_path, 20)
    assert first.tasks["test/echo"].metrics["accuracy"].value == 1.0
    assert again.tasks["test/echo"].metrics["accuracy"].value == pytest.approx(19 / 20)


def test_score_parses_each_record_once(tmp_path: Path, parses: list[int]) -> None:
    samples = make_samples(tmp_path / "audio", 30)
    reg = registry_with(make_task(samples))
    Runner(RunConfig(model="echo", tasks="test/*", output_dir=tmp_path / "run", quiet=True), reg).run()
    result = rescore(tmp_path / "run", reg)
    assert parses[0] == 30
    assert result.tasks["test/echo"].metrics["accuracy"].value == 1.0


def _peak_rescore_kib(tmp_path: Path, n: int) -> float:
    samples = make_samples(tmp_path / f"audio{n}", n)
    accuracy = MeanMetric("accuracy", "exact")
    accuracy.n_resamples = 10  # the bootstrap's own blocks (capped at 16 MB) are not what is measured here
    reg = registry_with(replace(make_task(samples), metrics=(accuracy,)))
    out = tmp_path / f"run{n}"
    Runner(RunConfig(model="echo", tasks="test/*", output_dir=out, quiet=True, model_options={"text": "x" * 4000}),
           reg).run()
    tracemalloc.start()
    rescore(out, reg)
    Runner(RunConfig(model="echo", tasks="test/*", output_dir=out, quiet=True, model_options={"text": "x" * 4000}),
           reg).run()
    peak = tracemalloc.get_traced_memory()[1] / 1024
    tracemalloc.stop()
    return peak


def test_score_and_resume_memory_does_not_grow_with_records(tmp_path: Path) -> None:
    """Each record carries a 4 KB answer: holding 1,500 of them would take 6 MB more than holding 150."""
    small, large = _peak_rescore_kib(tmp_path, 150), _peak_rescore_kib(tmp_path, 1500)
    assert large - small < 2500, (small, large)


def _same_columns(a: dict, b: dict) -> bool:  # type: ignore[type-arg]
    import numpy as np

    if a.keys() != b.keys():
        return False
    for name in a:
        x, y = a[name], b[name]
        if (x.ids, x.errors, x.languages, x.metadata, x.verdicts, x.spans, list(x.n_choices)) != \
                (y.ids, y.errors, y.languages, y.metadata, y.verdicts, y.spans, list(y.n_choices)):
            return False
        for scorer in x.scorer_names:
            u, v = x.scorer(scorer), y.scorer(scorer)
            if not (np.array_equal(u.values, v.values, equal_nan=True) and u.stats.keys() == v.stats.keys()
                    and all(np.array_equal(u.stats[k], v.stats[k], equal_nan=True) for k in u.stats)):
                return False
    return True


@pytest.mark.parametrize("damage", ["garbage", "other_file", "behind", "index_middle_line"])
def test_a_damaged_or_stale_column_snapshot_is_ignored(tmp_path: Path, damage: str) -> None:
    from seabench.snapshot import read_columns, snapshot_path

    path = tmp_path / SAMPLES_FILE
    _write(path, [_record(i) for i in range(20)])
    read_columns(path)  # writes the snapshot
    snap = snapshot_path(path)
    assert snap.exists()
    if damage == "garbage":
        snap.write_bytes(b"PK\x03\x04 not a zip")
    elif damage == "other_file":
        other = tmp_path / "other" / SAMPLES_FILE
        other.parent.mkdir()
        _write(other, [_record(i, text="different") for i in range(20)])
        read_columns(other)
        shutil.copy(snapshot_path(other), snap)
    elif damage == "behind":  # records written after the snapshot: it is extended from the index
        _write(path, [_record(i) for i in range(20, 26)] + [_record(3, text="retried")])
    elif damage == "index_middle_line":
        idx = index_path(path)
        _write(path, [_record(i) for i in range(20, 26)])
        lines = idx.read_bytes().splitlines(keepends=True)
        lines[-3] = b"{damaged\n"
        idx.write_bytes(b"".join(lines))
    expected = columns_by_task(_expected_entries(path))
    _, columns, lines_read = read_columns(path)
    assert _same_columns(columns, expected)
    assert lines_read == sum(1 for _ in iter_records(path))
    _, again, _ = read_columns(path)  # from the snapshot just written
    assert _same_columns(again, expected)


def _expected_entries(path: Path) -> list[dict]:
    """Index entries derived from samples.jsonl alone (with positions), as a rebuild would make them."""
    from seabench.index import check_index

    copy = path.parent / "check" / SAMPLES_FILE
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(path, copy)
    check_index(copy)
    return list(read_index(copy)[1])
