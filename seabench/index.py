"""The score index: a compact side file beside samples.jsonl, so results, resume and the
leaderboard never parse every full record.

`samples.idx` has one short JSON line per line of samples.jsonl, in the same order: the record's
task, sample id, error code, language, metadata values, choice count, a summary of its last
verdict, and each scorer's value, flags and sufficient statistics — what aggregation reads, without
prompts, outputs or rationales. Each line also holds where its record ends in samples.jsonl and the
CRC-32 of samples.jsonl up to there.

The index is only ever a cache of samples.jsonl. It is appended with each record (after the record
itself is flushed), and checked whenever it is opened: the CRC of samples.jsonl up to the last
indexed record must match, so an index that is missing, torn, behind, or that describes another
file (a rewritten samples.jsonl, a copy from another run) is extended from the file's tail or
rebuilt from the file. Only a process holding the run lock changes it in place; others repair it
through a new file and an atomic rename.

In memory a task's rows are columns (`TaskColumns`): one float array per statistic, so a
100,000-sample run costs megabytes to aggregate, not gigabytes of records.
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from seabench.metrics.columns import ColumnsBuilder, ScoreColumns, unscored
from seabench.secrets import redact, redactor
from seabench.types import ErrorCode, SampleRecord

INDEX_HEADER = (json.dumps({"seabench_index": 1}) + "\n").encode()
_CHUNK = 1 << 20
VERDICT_FIELDS = ("score", "judge", "model_version", "rubric", "rubric_sha256", "rubric_source", "parse_ok", "cached")
RETRYABLE = frozenset(code.value for code in ErrorCode if code.retryable)


def index_path(samples: Path) -> Path:
    return samples.with_suffix(".idx")


@dataclass(frozen=True)
class Covered:
    """The prefix of samples.jsonl the index describes: its length and CRC-32."""

    end: int = 0
    crc: int = 0

    @property
    def digest(self) -> str:
        return f"{self.end}:{self.crc:08x}"


def entry_of(record: SampleRecord) -> dict[str, Any]:
    """What the index keeps of one record (its position is added by the writer)."""
    entry: dict[str, Any] = {"t": record.task, "i": record.sample_id, "l": record.language}
    if record.error_code is not None:
        entry["e"] = record.error_code.value
    if record.metadata:
        entry["m"] = {k: str(v) for k, v in record.metadata.items() if v is not None}
    if record.choices:
        entry["k"] = len(record.choices)
    entry["s"] = {name: [s.value, s.flags, s.stats] if s.stats else ([s.value, s.flags] if s.flags else [s.value])
                  for name, s in record.scores.items()}
    if record.verdicts:
        last = record.verdicts[-1]
        entry["v"] = {k: getattr(last, k) for k in VERDICT_FIELDS if getattr(last, k) is not None}
    return entry


def index_line(entry: dict[str, Any], length: int, covered: Covered, clean: Callable[[str], str] = redact) -> bytes:
    """The index line of a record line of `length` bytes, after which samples.jsonl is `covered`
    (secrets masked as in the record itself)."""
    entry["n"], entry["o"], entry["c"] = length, covered.end, covered.crc
    return (clean(json.dumps(entry, ensure_ascii=False, separators=(",", ":"))) + "\n").encode()


class IndexWriter:
    """Appends an index line for each record line appended to samples.jsonl (which must already be
    covered by the index: open it with `open_index(..., exclusive=True)` first)."""

    def __init__(self, samples: Path, covered: Covered, clean: Callable[[str], str] = redact) -> None:
        path = index_path(samples)
        self.clean = clean
        if not path.exists() or path.stat().st_size == 0:
            path.write_bytes(INDEX_HEADER)
        self._fh: IO[bytes] = open(path, "ab")
        self.covered = covered

    def add(self, record: SampleRecord, line: bytes) -> None:
        self.covered = Covered(self.covered.end + len(line), zlib.crc32(line, self.covered.crc))
        self._fh.write(index_line(entry_of(record), len(line), self.covered, self.clean))
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


# -- checking and repairing -------------------------------------------------------------------
def _crc_prefix(path: Path, end: int) -> int | None:
    """CRC-32 of the first `end` bytes of `path`, None if it is shorter."""
    crc = 0
    left = end
    with open(path, "rb") as fh:
        while left > 0:
            chunk = fh.read(min(_CHUNK, left))
            if not chunk:
                return None
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
    return crc


def _last_entry(path: Path) -> tuple[Covered, int] | None:
    """What the index claims to cover and the byte length of its complete lines; None when it is
    missing, has another header, or its last complete line is unreadable."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return None
    with fh:
        if fh.readline() != INDEX_HEADER:
            return None
        size = fh.seek(0, os.SEEK_END)
        window = 1 << 16
        while True:
            start = max(len(INDEX_HEADER), size - window)
            fh.seek(start)
            tail = fh.read(size - start)
            cut = tail.rfind(b"\n")
            if cut < 0:
                if start == len(INDEX_HEADER):
                    return Covered(), len(INDEX_HEADER)  # only a header (and maybe a torn line)
                window *= 4
                continue
            good = start + cut + 1
            previous = tail.rfind(b"\n", 0, cut)
            if previous < 0 and start > len(INDEX_HEADER):
                window *= 4  # the last complete line does not fit the window
                continue
            try:
                entry = json.loads(tail[previous + 1: cut + 1])
                return Covered(int(entry["o"]), int(entry["c"])), good
            except (ValueError, KeyError, TypeError):
                return None


def _entries_from(samples: Path, covered: Covered) -> Iterator[tuple[bytes, Covered]]:
    """Index lines for the complete record lines of samples.jsonl after `covered`."""
    end, crc = covered.end, covered.crc
    clean = redactor()
    with open(samples, "rb") as fh:
        fh.seek(end)
        for line in fh:
            if not line.endswith(b"\n"):
                return  # torn final line: not a record (yet)
            record = parse_record(samples, line, end)
            end, crc = end + len(line), zlib.crc32(line, crc)
            yield index_line(entry_of(record), len(line), Covered(end, crc), clean), Covered(end, crc)


def parse_record(samples: Path, line: bytes, offset: int) -> SampleRecord:
    """One record line; an unreadable one is a one-line error naming where it is (never skipped)."""
    from pydantic import ValidationError

    from seabench.errors import UserError

    try:
        return SampleRecord.model_validate_json(line)
    except (ValidationError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        raise UserError(f"{samples} at byte {offset}: unreadable sample record ({reason}); "
                        "fix or delete that line") from None


def open_index(samples: Path, *, exclusive: bool = False) -> Covered:
    """Make the index describe every complete record line of `samples` and say what it covers.
    `exclusive`: the caller holds the run lock and may change the index in place."""
    return check_index(samples, exclusive=exclusive)[0]


def check_index(samples: Path, *, exclusive: bool = False) -> tuple[Covered, int]:
    """`open_index`, and the byte length of the index lines that cover it."""
    path = index_path(samples)
    if not samples.exists():
        if exclusive:
            path.unlink(missing_ok=True)
        return Covered(), 0
    claimed = _last_entry(path)
    keep = 0
    covered = Covered()
    if claimed is not None:
        last, good = claimed
        if last.end == 0 or _crc_prefix(samples, last.end) == last.crc:
            covered, keep = last, good
    if keep and covered.end == _complete_end(samples, covered.end) and path.stat().st_size == keep:
        return covered, keep
    new = _entries_from(samples, covered)
    if keep and exclusive:
        with open(path, "r+b") as out:
            out.truncate(keep)  # drop a torn or unverified tail
            out.seek(keep)
            for line, covered in new:
                out.write(line)
            return covered, out.tell()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            if keep:
                with open(path, "rb") as old:
                    out.write(old.read(keep))
            else:
                out.write(INDEX_HEADER)
            for line, covered in new:
                out.write(line)
            length = out.tell()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return covered, length


def _complete_end(samples: Path, start: int) -> int:
    """Offset after the last newline of `samples` (searching back no further than `start`)."""
    with open(samples, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        pos = size
        while pos > start:
            begin = max(start, pos - (1 << 16))
            fh.seek(begin)
            cut = fh.read(pos - begin).rfind(b"\n")
            if cut >= 0:
                return begin + cut + 1
            pos = begin
    return start


def read_index(samples: Path, *, exclusive: bool = False) -> tuple[Covered, Iterator[dict[str, Any]]]:
    """What the (checked) index covers, and its entries in file order."""
    covered = open_index(samples, exclusive=exclusive)
    return covered, _entries(samples, covered, exclusive)


def _entries(samples: Path, covered: Covered, exclusive: bool) -> Iterator[dict[str, Any]]:
    """The index's entries; a damaged line inside it (the checks only read its last line) gets the
    index rebuilt from samples.jsonl, and reading goes on after the entries already given."""
    given = 0
    try:
        for entry in stream_entries(index_path(samples), covered):
            yield entry
            given += 1
        return
    except (ValueError, KeyError, TypeError):
        pass
    path = index_path(samples)
    reset_index(samples, exclusive=exclusive)
    covered = open_index(samples, exclusive=exclusive)
    for n, entry in enumerate(stream_entries(path, covered)):
        if n >= given:
            yield entry


def reset_index(samples: Path, *, exclusive: bool = False) -> None:
    """Drop the index so the next open rebuilds it (in place when the caller holds the run lock)."""
    if exclusive:
        index_path(samples).write_bytes(INDEX_HEADER)
    else:
        index_path(samples).unlink(missing_ok=True)


def stream_entries(path: Path, covered: Covered, start: int = len(INDEX_HEADER)) -> Iterator[dict[str, Any]]:
    """The index's entries from byte `start` (an entry's first byte) up to the one ending at `covered.end`."""
    if covered.end == 0:
        return
    with open(path, "rb") as fh:
        fh.seek(start)
        for raw in fh:
            entry = json.loads(raw)
            if not isinstance(entry, dict) or entry["o"] > covered.end:
                raise ValueError("index entry out of place")
            yield entry
            if entry["o"] == covered.end:
                return


# -- columns ---------------------------------------------------------------------------------------
@dataclass
class TaskColumns:
    """Everything aggregation needs about one task's records, one row per sample in the order samples
    first appear (a later record of a sample replaces its row, as a retried sample does)."""

    ids: list[str] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    metadata: dict[str, list[str | None]] = field(default_factory=dict)
    n_choices: array[int] = field(default_factory=lambda: array("i"))
    verdicts: list[dict[str, Any] | None] = field(default_factory=list)
    # two numbers a row, flat (no tuple objects): (start, end) of the record's line, and (end, crc) of that
    # line, for digests
    spans: array[int] = field(default_factory=lambda: array("q"))
    positions: array[int] = field(default_factory=lambda: array("q"))
    _scorers: dict[str, ColumnsBuilder] = field(default_factory=dict)
    _built: dict[str, ScoreColumns] = field(default_factory=dict)
    _rows: dict[str, int] = field(default_factory=dict)
    _strings: dict[str, str] = field(default_factory=dict)  # one object per distinct language or error code

    def __len__(self) -> int:
        return len(self.ids)

    def span(self, row: int) -> tuple[int, int]:
        """(start, end) of the row's record line in samples.jsonl."""
        return self.spans[2 * row], self.spans[2 * row + 1]

    def add(self, entry: dict[str, Any]) -> None:
        self._built.clear()
        sid = entry["i"]
        row = self._rows.get(sid)
        if row is None:
            row = self._rows[sid] = len(self.ids)
            self.ids.append(sid)
            self.errors.append(None)
            self.languages.append("und")
            self.n_choices.append(0)
            self.verdicts.append(None)
            self.spans.extend((0, 0))
            self.positions.extend((0, 0))
            for column in self.metadata.values():
                column.append(None)
        else:
            for builder in self._scorers.values():
                builder.clear(row)
        error, language = entry.get("e"), entry.get("l", "und")
        self.errors[row] = None if error is None else self._strings.setdefault(error, error)
        self.languages[row] = self._strings.setdefault(language, language)
        self.n_choices[row] = entry.get("k", 0)
        self.verdicts[row] = entry.get("v")
        end = entry.get("o", 0)
        self.spans[2 * row], self.spans[2 * row + 1] = end - entry.get("n", 0), end
        self.positions[2 * row], self.positions[2 * row + 1] = end, entry.get("c", 0)
        meta = entry.get("m") or {}
        for key in meta.keys() - self.metadata.keys():
            self.metadata[key] = [None] * len(self.ids)
        for key, column in self.metadata.items():
            column[row] = meta.get(key)
        for name, packed in entry["s"].items():
            builder = self._scorers.get(name)
            if builder is None:
                builder = self._scorers[name] = ColumnsBuilder()
            builder.put(row, packed[0], packed[1] if len(packed) > 1 else (), packed[2] if len(packed) > 2 else {})

    def add_scorer(self, name: str, builder: ColumnsBuilder) -> None:
        self._scorers[name] = builder

    def index_rows(self) -> None:
        """Rebuild the sample id -> row map (after the columns were set directly)."""
        self._rows = {sid: row for row, sid in enumerate(self.ids)}

    def subset(self, ids: set[str]) -> TaskColumns:
        """The rows of the given sample ids, in their order here."""
        keep = [row for row, sid in enumerate(self.ids) if sid in ids]
        if len(keep) == len(self):
            return self
        out = TaskColumns(ids=[self.ids[r] for r in keep], errors=[self.errors[r] for r in keep],
                          languages=[self.languages[r] for r in keep],
                          metadata={k: [v[r] for r in keep] for k, v in self.metadata.items()},
                          n_choices=array("i", [self.n_choices[r] for r in keep]),
                          verdicts=[self.verdicts[r] for r in keep],
                          spans=array("q", [x for r in keep for x in self.spans[2 * r:2 * r + 2]]),
                          positions=array("q", [x for r in keep for x in self.positions[2 * r:2 * r + 2]]))
        rows = np.asarray(keep, dtype=np.int64)
        for name in self.scorer_names:
            built = self.scorer(name).take(rows)
            out.add_scorer(name, ColumnsBuilder.from_arrays(built.values, built.codes, built.present, built.flag_sets,
                                                            built.stats))
        out.index_rows()
        return out

    def scorer(self, name: str) -> ScoreColumns:
        """One scorer's columns over every row (unscored where a record has no such score)."""
        if name not in self._built:
            builder = self._scorers.get(name)
            self._built[name] = builder.build(len(self)) if builder else unscored(len(self))
        return self._built[name]

    @property
    def scorer_names(self) -> list[str]:
        return list(self._scorers)

    def rows_of(self, ids: Iterable[str]) -> np.ndarray:
        """Row numbers of the given sample ids (each must be here)."""
        return np.array([self._rows[i] for i in ids], dtype=np.int64)

    def __contains__(self, sample_id: object) -> bool:
        return sample_id in self._rows

    def values_of(self, key: str) -> list[str | None]:
        """Each row's value of a breakdown key: the language, or a metadata value as text."""
        if key == "language":
            return self.languages
        return self.metadata.get(key) or [None] * len(self)

    def judge_scores(self) -> np.ndarray:
        """The score of each row's last verdict (NaN: no verdict or unscored)."""
        return np.array([np.nan if v is None or v.get("score") is None else float(v["score"]) for v in self.verdicts],
                        dtype=np.float64)

    def done(self) -> set[str]:
        """Sample ids whose latest record is final (a transient failure is retried on resume)."""
        return {sid for sid, error in zip(self.ids, self.errors, strict=True) if error not in RETRYABLE}

    def digest(self) -> str:
        """Identifies these rows' latest records (their positions and the CRC of the file up to them)."""
        return f"{zlib.crc32(self.positions.tobytes()):08x}:{len(self)}"

    @classmethod
    def from_records(cls, records: Iterable[SampleRecord]) -> TaskColumns:
        columns = cls()
        for r in records:
            columns.add(entry_of(r))
        return columns


def columns_by_task(entries: Iterable[dict[str, Any]], wanted: dict[str, set[str] | None] | None = None
                    ) -> dict[str, TaskColumns]:
    """Entries grouped into columns per task (the latest entry of each sample wins); with `wanted`,
    only those tasks, and of each only the given sample ids (None: all of them)."""
    out: dict[str, TaskColumns] = {}
    for entry in entries:
        task = entry["t"]
        if wanted is not None:
            if task not in wanted:
                continue
            ids = wanted[task]
            if ids is not None and entry["i"] not in ids:
                continue
        columns = out.get(task)
        if columns is None:
            columns = out[task] = TaskColumns()
        columns.add(entry)
    return out
