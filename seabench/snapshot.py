"""Column snapshots: the score index's columns saved in one compact file, `samples.cols`.

Building columns from the index costs a JSON parse per record; a snapshot holds them as arrays
(NumPy `.npz`, no pickle) plus a JSON header, and says which prefix of samples.jsonl and of the
index it covers. `read_columns` loads the snapshot, checks it against the index (the index line it
ends on must carry the same samples.jsonl length and CRC), adds the index entries written since,
and saves a new snapshot when there were any. A snapshot that is missing, damaged or describes
another file is ignored and rebuilt: like the index, it is only ever a cache of samples.jsonl.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from seabench.index import (
    INDEX_HEADER, Covered, TaskColumns, check_index, index_path, reset_index, stream_entries,
)
from seabench.metrics.columns import ColumnsBuilder

VERSION = 1


def snapshot_path(samples: Path) -> Path:
    return samples.with_suffix(".cols")


def read_columns(samples: Path, *, exclusive: bool = False) -> tuple[Covered, dict[str, TaskColumns], int]:
    """(what the index covers, every task's columns, how many record lines they come from)."""
    try:
        return _read(samples, exclusive)
    except (ValueError, KeyError, TypeError):  # a damaged line inside the index (its checks read only the last)
        reset_index(samples, exclusive=exclusive)
        snapshot_path(samples).unlink(missing_ok=True)
        return _read(samples, exclusive)


def _read(samples: Path, exclusive: bool) -> tuple[Covered, dict[str, TaskColumns], int]:
    covered, index_end = check_index(samples, exclusive=exclusive)
    loaded = _load(samples, covered, index_end)
    meta, columns = loaded if loaded is not None else ({"index_pos": len(INDEX_HEADER), "lines": 0, "end": 0}, {})
    lines, tail = meta["lines"], 0
    if covered.end > meta["end"]:
        for entry in stream_entries(index_path(samples), covered, max(meta["index_pos"], len(INDEX_HEADER))):
            columns.setdefault(entry["t"], TaskColumns()).add(entry)
            lines += 1
            tail += 1
    if covered.end and (tail or loaded is None):
        _save(samples, covered, index_end, columns, lines)
    return covered, columns, lines


def _last_line(path: Path, pos: int) -> dict[str, Any] | None:
    """The index entry whose line ends at byte `pos`."""
    with open(path, "rb") as fh:
        start = max(0, pos - (1 << 16))
        fh.seek(start)
        block = fh.read(pos - start)
    if not block.endswith(b"\n"):
        return None
    try:
        return json.loads(block[block.rfind(b"\n", 0, len(block) - 1) + 1:])
    except ValueError:
        return None


def _load(samples: Path, covered: Covered, index_end: int) -> tuple[dict[str, Any], dict[str, TaskColumns]] | None:
    path = snapshot_path(samples)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("version") != VERSION or meta["end"] > covered.end or meta["index_pos"] > index_end:
                return None
            if meta["end"]:
                last = _last_line(index_path(samples), meta["index_pos"])
                if last is None or last.get("o") != meta["end"] or last.get("c") != meta["crc"]:
                    return None
            return meta, {task["name"]: _task_from(task, data, f"t{i}") for i, task in enumerate(meta["tasks"])}
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None


def _task_from(meta: dict[str, Any], data: Any, key: str) -> TaskColumns:
    strings: dict[str, str] = {}  # one object per distinct language or error code, as TaskColumns.add keeps them
    columns = TaskColumns(ids=meta["ids"], errors=[None if e is None else strings.setdefault(e, e) for e in meta["errors"]],
                          languages=[strings.setdefault(lang, lang) for lang in meta["languages"]],
                          metadata=meta["metadata"], verdicts=meta["verdicts"], _strings=strings)
    columns.n_choices = array("i", data[f"{key}.n_choices"].astype(np.int32).tobytes())
    columns.spans = array("q", data[f"{key}.spans"].astype(np.int64).tobytes())
    columns.positions = array("q", data[f"{key}.positions"].astype(np.int64).tobytes())
    for j, (name, scorer) in enumerate(meta["scorers"].items()):
        prefix = f"{key}.s{j}"
        columns.add_scorer(name, ColumnsBuilder.from_arrays(
            data[f"{prefix}.values"], data[f"{prefix}.codes"], data[f"{prefix}.present"],
            [tuple(flags) for flags in scorer["flag_sets"]],
            {stat: data[f"{prefix}.stat{k}"] for k, stat in enumerate(scorer["stats"])}))
    columns.index_rows()
    return columns


def _save(samples: Path, covered: Covered, index_end: int, columns: dict[str, TaskColumns], lines: int) -> None:
    """Write the snapshot beside samples.jsonl (atomically; best effort: it only saves time)."""
    arrays: dict[str, np.ndarray] = {}
    tasks = []
    for i, (name, rows) in enumerate(columns.items()):
        key = f"t{i}"
        arrays[f"{key}.n_choices"] = np.frombuffer(rows.n_choices, dtype=np.int32) if len(rows) else np.zeros(0, np.int32)
        arrays[f"{key}.spans"] = np.asarray(rows.spans, dtype=np.int64).reshape(len(rows), 2)
        arrays[f"{key}.positions"] = np.asarray(rows.positions, dtype=np.int64).reshape(len(rows), 2)
        scorers = {}
        for j, scorer_name in enumerate(rows.scorer_names):
            built = rows.scorer(scorer_name)
            prefix = f"{key}.s{j}"
            arrays[f"{prefix}.values"], arrays[f"{prefix}.codes"] = built.values, built.codes
            arrays[f"{prefix}.present"] = built.present
            stats = list(built.stats)
            for k, stat in enumerate(stats):
                arrays[f"{prefix}.stat{k}"] = built.stats[stat]
            scorers[scorer_name] = {"flag_sets": built.flag_sets, "stats": stats}
        tasks.append({"name": name, "ids": rows.ids, "errors": rows.errors, "languages": rows.languages,
                      "metadata": rows.metadata, "verdicts": rows.verdicts, "scorers": scorers})
    meta = {"version": VERSION, "end": covered.end, "crc": covered.crc, "index_pos": index_end, "lines": lines,
            "tasks": tasks}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    path = snapshot_path(samples)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
