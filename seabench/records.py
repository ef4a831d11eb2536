"""Crash-safe run files: samples.jsonl is append-only (one flushed line per completed sample),
results.json is replaced atomically. A torn last line (from kill -9) is cut off on open."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from seabench.errors import UserError
from seabench.secrets import redact
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
    """(task, sample_id) -> the last record written for it (a retried sample supersedes)."""
    return {(r.task, r.sample_id): r for r in iter_records(path)}


class SampleWriter:
    """Appends records; `fsync_every` trades durability against speed (flush is always done)."""

    def __init__(self, path: Path, fsync_every: int = 16) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _cut_torn_tail(path)
        self.path = path
        self._fh = open(path, "a", encoding="utf-8")
        self._since_sync = 0
        self._fsync_every = fsync_every

    def write(self, record: SampleRecord) -> None:
        self._fh.write(redact(record.model_dump_json(exclude_none=True)) + "\n")
        self._fh.flush()
        self._since_sync += 1
        if self._since_sync >= self._fsync_every:
            os.fsync(self._fh.fileno())
            self._since_sync = 0

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


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


def rewrite_records(path: Path, records: list[SampleRecord]) -> None:
    """Replace samples.jsonl (after re-scoring or de-duplicating retried samples)."""
    atomic_write_text(path, "".join(r.model_dump_json(exclude_none=True) + "\n" for r in records))


def dump_json(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
