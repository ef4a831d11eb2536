"""Sample tables: a manifest's rows become Samples only when used, a large manifest's parse and a
task's hashes are kept in the cache directory, and a complete resume or a re-score makes no Sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seabench.tasks.manifest as manifest
from seabench.registry import _builtin
from seabench.rescore import rescore
from seabench.runner import RunConfig, Runner, _task_hashes
from seabench.samples import SampleTable, task_hashes
from seabench.selection import select
from tests.helpers.core import write_manifest, write_tone


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(manifest, "CACHE_FROM_BYTES", 0)  # every manifest is cached, however small


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many manifest rows were turned into Samples since the fixture started."""
    count = [0]
    original = manifest._sample

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        count[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(manifest, "_sample", counting)
    return count


def _manifest(tmp_path: Path, n: int = 30) -> Path:
    write_tone(tmp_path / "a.wav")
    rows = [{"id": f"u{i:03d}", "audio": "a.wav", "language": ("th", "en")[i % 2], "reference": f"word {i}",
             "subset": ("x", "y", "z")[i % 3]} for i in range(n)]
    rows.insert(5, {"id": "bad", "audio": "a.wav", "reference": "no language"})
    return write_manifest(tmp_path / "m.jsonl", rows)


def test_rows_are_made_into_samples_only_when_used(tmp_path: Path, made: list[int]) -> None:
    data = manifest.read_manifest(_manifest(tmp_path), ("audio", "reference"))
    parsed = made[0]  # every row is validated once while parsing
    assert len(data.samples) == 30 and data.languages == {"th", "en"} and len(data.problems) == 1
    assert data.samples.ids[:2] == ["u000", "u001"] and made[0] == parsed
    assert data.samples[3].reference == "word 3" and data.samples[-1].id == "u029" and made[0] == parsed + 2
    assert [s.id for s in data.samples[10:12]] == ["u010", "u011"]


def test_a_cached_parse_gives_the_same_table_and_a_changed_file_is_parsed_again(tmp_path: Path,
                                                                                 made: list[int]) -> None:
    path = _manifest(tmp_path)
    first = manifest.read_manifest(path, ("audio", "reference"))
    assert list((tmp_path / "cache" / "manifests").glob("*.json"))
    before = made[0]
    again = manifest.read_manifest(path, ("audio", "reference"))
    assert made[0] == before  # nothing parsed or validated
    assert (again.samples.ids, again.samples.strata, again.problems, again.languages, again.samples.source) == \
        (first.samples.ids, first.samples.strata, first.problems, first.languages, first.samples.source)
    assert list(again.samples) == list(first.samples)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "new", "audio": "a.wav", "language": "vi", "reference": "x"}) + "\n")
    changed = manifest.read_manifest(path, ("audio", "reference"))
    assert changed.samples.ids[-1] == "new" and "vi" in changed.languages
    assert changed.samples.source != first.samples.source


def test_selection_and_filters_on_a_table_make_no_sample(tmp_path: Path, made: list[int]) -> None:
    table = manifest.read_manifest(_manifest(tmp_path), ("audio", "reference")).samples
    before = made[0]
    chosen = select(table, 7, seed=3)
    eager = select(SampleTable.of(list(table)), 7, seed=3)  # the same selection from Samples in memory
    made[0] = before
    assert chosen.ids == eager.ids and len(chosen) == 7
    assert table.where(lambda sid: sid.endswith("1")).ids == ["u001", "u011", "u021"]
    assert table.without({"u000", "u001"}).ids == table.ids[2:]
    assert made[0] == before


def test_task_hashes_are_kept_and_recomputed_when_the_task_changes(tmp_path: Path) -> None:
    [task] = _builtin().resolve_tasks(f"asr@{_manifest(tmp_path)}")
    samples = task.samples()
    computed: list[str] = []

    def compute(t, s):  # type: ignore[no-untyped-def]
        computed.append(t.version)
        return _task_hashes(t, s)

    first = task_hashes(task, samples, None, 0, compute)
    assert first == _task_hashes(task, samples) and computed == ["1"]
    assert task_hashes(task, samples, None, 0, compute) == first and computed == ["1"]
    from dataclasses import replace

    task_hashes(replace(task, version="2"), samples, None, 0, compute)
    task_hashes(task, task.samples(5, 0), 5, 0, compute)
    assert computed == ["1", "2", "1"]


def test_a_complete_resume_and_a_rescore_make_no_sample(tmp_path: Path, made: list[int]) -> None:
    path = _manifest(tmp_path)
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": f"u{i:03d}", "output": f"word {i}"}) + "\n" for i in range(30)))
    config = RunConfig(model=f"predictions:{preds}", tasks=f"asr@{path}", output_dir=tmp_path / "run", quiet=True)
    first = Runner(config, _builtin()).run()
    assert first.tasks["asr/m"].metrics["wer"].value == 0.0
    before = made[0]
    again = Runner(config, _builtin()).run()
    assert made[0] == before and again.tasks == first.tasks
    rescored = rescore(tmp_path / "run", _builtin())
    assert made[0] == before and rescored.tasks["asr/m"].metrics == first.tasks["asr/m"].metrics
