"""Rows of a Hugging Face dataset on disk: a `save_to_disk` folder, a parquet file, or a folder
of parquet files (a Hub snapshot such as `data/test-00000-of-00002.parquet`).

Rows come back as plain dicts read from Arrow, with audio still the stored `{"bytes", "path"}`
struct: nothing goes through `datasets`' Audio decoding, which needs torchcodec (and FFmpeg) in
recent versions. Reading the Arrow format is what `cast_column(..., Audio(decode=False))` gives,
and it also works when the audio is nested (AudioBench's older `context: {"text", "audio"}`).
Audio is then decoded by soundfile like every other clip (see `_blobs`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seabench import UserError, require

BATCH = 64
SAVED_MARKERS = ("state.json", "dataset_dict.json")


def is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and any((path / m).is_file() for m in SAVED_MARKERS)


def parquet_files(path: Path, split: str | None = None) -> list[Path]:
    """The parquet files of `path`; with `split`, only that split's files when the names show
    splits (`test-00000-of-00002.parquet`, `short_digit/...`), else all of them."""
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
    if split:
        own = [p for p in files if p.name.startswith((f"{split}-", f"{split}.")) or split in p.relative_to(path).parts[:-1]]
        return own or files
    return files


def _saved_rows(path: Path, split: str) -> Iterator[dict[str, Any]]:
    datasets = require("datasets", "datasets", "reading a dataset saved with save_to_disk")
    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        names = list(loaded)
        if split not in loaded and len(names) != 1:
            raise UserError(f"{path}: no '{split}' split in this dataset (it has {', '.join(names)})")
        loaded = loaded[split] if split in loaded else loaded[names[0]]
    table = loaded.with_format("arrow")
    for start in range(0, len(table), BATCH):
        yield from table[start:start + BATCH].to_pylist()


def _parquet_rows(files: list[Path]) -> Iterator[dict[str, Any]]:
    pq = require("pyarrow.parquet", "datasets", "reading parquet datasets")
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=BATCH):
            yield from batch.to_pylist()


def iter_rows(path: Path, split: str = "test") -> Iterator[dict[str, Any]]:
    """Every row, in stored order (which is what makes row-index sample ids stable)."""
    if is_saved_dataset(path):
        yield from _saved_rows(path, split)
        return
    files = parquet_files(path, split)
    if not files:
        raise UserError(f"{path}: neither a save_to_disk folder ({' or '.join(SAVED_MARKERS)}) "
                        "nor parquet files")
    yield from _parquet_rows(files)


def folder_of(path: Path) -> Path:
    """Where relative audio paths inside the data are resolved from."""
    return path if path.is_dir() else path.parent


def text_of(value: Any) -> str:
    """AudioBench stores text either as a string or as `{"text": ..., "audio": ...}`."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value)


def audio_of(value: Any) -> Any:
    """The audio struct of a column that is either audio itself or `{"text", "audio"}`."""
    if isinstance(value, dict) and "audio" in value and not ({"bytes", "array"} & set(value)):
        return value["audio"]
    return value


def scalars(value: Any) -> dict[str, Any]:
    """The JSON-friendly scalar fields of a struct column (for sample metadata)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, (str, int, float, bool))}
