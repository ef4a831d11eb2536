"""User manifests: good rows run, bad rows are named by file, row and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from seabench import UserError
from seabench.registry import _builtin
from tests.helpers.core import write_manifest, write_tone


def test_bad_rows_are_reported_and_good_rows_kept(tmp_path: Path) -> None:
    write_tone(tmp_path / "a.wav")
    path = write_manifest(tmp_path / "m.jsonl", [
        {"id": "1", "audio": "a.wav", "language": "th", "reference": "สวัสดี"},
        {"id": "2", "audio": "a.wav", "reference": "x"},  # no language
        {"id": "1", "audio": "a.wav", "language": "th", "reference": "dup"},
        {"id": "4", "audio": "a.wav", "language": "en", "reference": "y", "speaker": "spk1"},
    ])
    with open(path, "a") as fh:
        fh.write("{not json\n")
    from seabench.tasks.manifest import read_manifest as read

    data = read(path, ("audio", "reference"))
    assert [s.id for s in data.samples] == ["1", "4"]
    assert data.samples[1].metadata == {"speaker": "spk1"}
    assert Path(data.samples[0].audio[0].path) == (tmp_path / "a.wav").resolve()
    assert any("row 2, field 'language': is required" in p for p in data.problems)
    assert any("row 3, field 'id': duplicate" in p for p in data.problems)
    assert any("row 5: not valid JSON" in p for p in data.problems)


def test_label_must_be_a_choice(tmp_path: Path) -> None:
    path = write_manifest(tmp_path / "g.jsonl", [
        {"id": "1", "audio": "a.wav", "language": "en", "choices": ["male", "female"], "label": "man"}])
    with pytest.raises(UserError, match="field 'label'"):
        _builtin().resolve_tasks(f"gender@{path}")


def test_csv_manifest(tmp_path: Path) -> None:
    write_tone(tmp_path / "a.wav")
    (tmp_path / "m.csv").write_text("id,audio,language,reference\nu1,a.wav,vi,xin chào\n", encoding="utf-8")
    [task] = _builtin().resolve_tasks(f"asr@{tmp_path / 'm.csv'}")
    assert task.name == "asr/m" and [s.reference for s in task.samples()] == ["xin chào"]


def test_missing_manifest_is_one_line_error() -> None:
    with pytest.raises(UserError, match="manifest not found"):
        _builtin().resolve_tasks("asr@/nonexistent/m.jsonl")
