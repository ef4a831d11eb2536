"""Crash-safe run files: samples.jsonl is append-only (one flushed line per completed sample),
results.json is replaced atomically. A torn last line (from kill -9) is cut off on open.

Every writer here keeps the score index (`samples.idx`, seabench.index) in step with samples.jsonl;
rewrites stream, so no step holds every record in memory."""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from seabench.errors import UserError
from seabench.index import INDEX_HEADER, Covered, IndexWriter, entry_of, index_line, index_path, open_index, parse_record
from seabench.secrets import redact, redactor
from seabench.snapshot import snapshot_path
from seabench.types import SampleRecord

SAMPLES_FILE = "samples.jsonl"
RESULTS_FILE = "results.json"


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; results and sites are meant to be shared and served
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact(text))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def iter_records(path: Path) -> Iterator[SampleRecord]:
    """Every record. Only a torn final line (no newline: the process died mid-write) is skipped;
    any other unreadable line is an error, never a silently dropped sample."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.endswith("\n"):
                return  # torn final line
            try:
                yield SampleRecord.model_validate_json(line)
            except (ValidationError, ValueError) as exc:
                reason = str(exc).splitlines()[0]
                raise UserError(f"{path}:{n}: unreadable sample record ({reason}); fix or delete that line") from None


def latest_records(path: Path) -> dict[tuple[str, str], SampleRecord]:
    """(task, sample_id) -> the last record written for it (a retried sample supersedes).
    Holds every record: for small runs and tests; large ones stream (`iter_latest`)."""
    return {(r.task, r.sample_id): r for r in iter_records(path)}


def record_line(record: SampleRecord, clean: Callable[[str], str] = redact) -> bytes:
    return (clean(record.model_dump_json(exclude_none=True)) + "\n").encode()


class SampleWriter:
    """Appends records and their index lines (the record first, so a crash can only leave the index
    behind, which the next open repairs); `fsync_every` trades durability against speed (flush is
    always done)."""

    def __init__(self, path: Path, fsync_every: int = 16) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _cut_torn_tail(path)
        path.touch()
        self.path = path
        self.clean = redactor()
        self.index = IndexWriter(path, open_index(path, exclusive=True), self.clean)
        self._fh = open(path, "ab")
        self._since_sync = 0
        self._fsync_every = fsync_every

    def write(self, record: SampleRecord) -> None:
        line = record_line(record, self.clean)
        self._fh.write(line)
        self._fh.flush()
        self.index.add(record, line)
        self._since_sync += 1
        if self._since_sync >= self._fsync_every:
            os.fsync(self._fh.fileno())
            self._since_sync = 0

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        self.index.close()


def _cut_torn_tail(path: Path) -> None:
    """Truncate after the last newline so new appends never merge into a torn line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        step = min(size, 1 << 16)
        pos = size
        while pos > 0:
            start = max(0, pos - step)
            fh.seek(start)
            chunk = fh.read(pos - start)
            idx = chunk.rfind(b"\n")
            if idx >= 0:
                end = start + idx + 1
                if end != size:
                    fh.truncate(end)
                return
            pos = start
        fh.truncate(0)


def rewrite_records(path: Path, records: Iterable[SampleRecord]) -> None:
    """Replace samples.jsonl and its index with `records` (streamed)."""
    with _Rewrite(path) as out:
        for record in records:
            out.add(record_line(record, out.clean), entry_of(record))


def write_lines(path: Path, lines: Iterable[tuple[bytes, dict[str, Any]]]) -> None:
    """Replace samples.jsonl and its index with record lines and their index entries, copied unparsed
    (`seabench merge` joins shards this way)."""
    with _Rewrite(path) as out:
        for line, entry in lines:
            out.add(line, entry)


@dataclass(frozen=True, slots=True)
class Latest:
    """Where the latest line of one sample is, in samples.jsonl and in its index."""

    task: str
    sample_id: str
    line: tuple[int, int]
    entry: tuple[int, int]


def latest_lines(path: Path, *, exclusive: bool = False) -> list[Latest]:
    """The latest line of each sample, in the order samples first appear (as `latest_records`).
    `exclusive`: the caller holds the run lock (the index may be repaired in place)."""
    open_index(path, exclusive=exclusive)
    order: dict[tuple[str, str], Latest] = {}
    with open(index_path(path), "rb") as fh:
        pos = len(fh.readline())
        for raw in fh:
            entry = json.loads(raw)
            end = entry["o"]
            order[(entry["t"], entry["i"])] = Latest(entry["t"], entry["i"], (end - entry["n"], end), (pos, pos + len(raw)))
            pos += len(raw)
    return list(order.values())


def iter_latest(path: Path, tasks: set[str] | None = None) -> Iterator[SampleRecord]:
    """The latest record of each sample (of `tasks`), streamed in the order samples first appear."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for item in latest_lines(path):
            if tasks is None or item.task in tasks:
                yield parse_record(path, _read(fh, item.line), item.line[0])


def rewrite_latest(path: Path, replace: Callable[[Latest, bytes], SampleRecord | None] | None = None) -> None:
    """Rewrite samples.jsonl (and its index) with one line per sample: its latest, where the sample
    first appeared. `replace(item, line)` may give a new record for a line (None keeps the line,
    copied byte for byte without being parsed). Streams: memory does not grow with the run."""
    if not path.exists():
        return
    items = latest_lines(path, exclusive=True)
    with open(path, "rb") as records, open(index_path(path), "rb") as entries, _Rewrite(path) as out:
        for item in items:
            line = _read(records, item.line)
            new = replace(item, line) if replace else None
            if new is None:
                out.add(line, json.loads(_read(entries, item.entry)))
            else:
                out.add(record_line(new, out.clean), entry_of(new))


def _read(fh: BinaryIO, span: tuple[int, int]) -> bytes:
    fh.seek(span[0])
    return fh.read(span[1] - span[0])


class _Rewrite:
    """New samples.jsonl and index written beside the old ones, then renamed over them (a crash in
    between leaves an index that does not match, which is rebuilt on the next open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.covered = Covered()
        self.clean = redactor()

    def __enter__(self) -> _Rewrite:
        self._tmp = [tempfile.mkstemp(prefix=f".{p.name}.", dir=self.path.parent) for p in (self.path, index_path(self.path))]
        self._records = os.fdopen(self._tmp[0][0], "wb")
        self._index = os.fdopen(self._tmp[1][0], "wb")
        self._index.write(INDEX_HEADER)
        return self

    def add(self, line: bytes, entry: dict[str, Any]) -> None:
        self._records.write(line)
        self.covered = Covered(self.covered.end + len(line), zlib.crc32(line, self.covered.crc))
        self._index.write(index_line(entry, len(line), self.covered, self.clean))

    def __exit__(self, kind: object, *_: object) -> None:
        for fh in (self._records, self._index):
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        tmp_records, tmp_index = self._tmp[0][1], self._tmp[1][1]
        if kind is not None:
            for tmp in (tmp_records, tmp_index):
                Path(tmp).unlink(missing_ok=True)
            return
        for tmp in (tmp_records, tmp_index):
            os.chmod(tmp, 0o644)
        os.replace(tmp_records, self.path)
        os.replace(tmp_index, index_path(self.path))
        snapshot_path(self.path).unlink(missing_ok=True)  # described the old file


def dump_json(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
