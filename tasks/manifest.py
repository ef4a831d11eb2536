"""Read task data from a JSONL or CSV manifest of local audio files.

This is both how the built-in mini suite is stored and how users run any task family on their
own data without code: `seabench run --tasks asr@my_data.jsonl`. A bad row is reported with the
file, row and field, and the good rows still run.

Fields (one JSON object per line, or CSV columns):
  id (required, unique) · audio (path relative to the manifest, or a list; CSV: `|`-separated)
  language (BCP-47, required) · instruction · reference (str or list) · target_language
  choices (list; CSV: `|`-separated) · label · metadata (object) — any other field is kept in metadata.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

from seabench import AudioRef, Sample, Task, UserError
from seabench.languages import is_known
from seabench.samples import SampleTable, stratum

KNOWN = {"id", "audio", "language", "instruction", "reference", "target_language", "choices", "label", "metadata"}


@dataclass
class ManifestData:
    path: Path
    samples: SampleTable
    problems: list[str] = field(default_factory=list)
    languages: frozenset[str] = frozenset()  # of the usable rows


MAX_LINE_BYTES = 1 << 20  # a manifest row is a few hundred bytes; a 1 MiB line is not a row
CACHE_FROM_BYTES = 1 << 20  # manifests this large keep their parsed rows in the cache directory
_CACHE_VERSION = 1


Span = tuple[int, int, int]  # a usable row's line number, and where its JSON object is in the rows' bytes


def _lines(raw: bytes) -> Iterator[tuple[int, int, int, str | None, str | None]]:
    """(line number, where the line starts and ends, decoded line or None, why not) — invalid UTF-8 and
    over-long lines are row errors."""
    start, n = 0, 0
    while start < len(raw):
        stop = raw.find(b"\n", start)
        stop = len(raw) if stop < 0 else stop + 1
        n += 1
        if stop - start > MAX_LINE_BYTES + (raw[stop - 1:stop] == b"\n"):
            yield n, start, stop, None, f"line is {(stop - start) / 2**20:.1f} MiB, over the 1 MiB limit for one row"
        else:
            try:
                yield n, start, stop, raw[start:stop].decode("utf-8"), None
            except UnicodeDecodeError as exc:
                yield n, start, stop, None, (f"not valid UTF-8 (byte 0x{raw[start + exc.start]:02x} at column "
                                             f"{exc.start + 1})")
        start = stop


def _raw_rows(path: Path, raw: bytes) -> tuple[bytes, list[tuple[int, dict[str, Any] | None, str | None, Span | None]]]:
    """The bytes the rows' JSON objects are in (the file itself, or the CSV rows as JSON lines), and
    (row number, row or None, parse error, where the row is)."""
    rows: list[tuple[int, dict[str, Any] | None, str | None, Span | None]] = []
    if path.suffix.lower() == ".csv":
        good: list[str] = []
        for n, _, _, line, error in _lines(raw):
            if line is None:
                rows.append((n, None, error, None))
                good.append("\n")  # keeps csv's line numbers equal to the file's
            else:
                good.append(line)
        reader = csv.DictReader(good)
        lines: list[bytes] = []
        offset = 0
        for row in reader:
            obj = _from_csv(row)
            lines.append((json.dumps(obj, ensure_ascii=False) + "\n").encode())
            rows.append((reader.line_num, obj, None, (reader.line_num, offset, offset + len(lines[-1]))))
            offset += len(lines[-1])
        return b"".join(lines), sorted(rows, key=lambda r: r[0])
    for n, start, stop, line, error in _lines(raw):
        if line is None:
            rows.append((n, None, error, None))
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((n, None, f"not valid JSON ({exc.msg})", None))
            continue
        rows.append((n, obj, None, (n, start, stop)) if isinstance(obj, dict) else (n, None, "not a JSON object", None))
    return raw, rows


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
    for key in ("audio", "choices"):
        if key in out:
            out[key] = [p.strip() for p in out[key].split("|")]
    if "metadata" in out:
        out["metadata"] = json.loads(out["metadata"])
    return out


def _field_error(path: Path, n: int, name: str, msg: str) -> str:
    return f"{path}: row {n}, field '{name}': {msg}"


def _audio_path(parent: Path, audio: str, resolved_dirs: dict[str, str]) -> str:
    """`str((parent / audio).resolve())` for a relative path, as is for an absolute one. The directory
    part is resolved once per manifest (resolving every row's path took most of the time to read a
    large manifest); only the file itself is then checked for being a symlink."""
    if os.path.isabs(audio):
        return audio
    head, tail = os.path.split(audio)
    if tail in ("", ".", ".."):
        return str((parent / audio).resolve())
    base = resolved_dirs.get(head)
    if base is None:
        base = resolved_dirs[head] = str((parent / head).resolve())
    full = os.path.join(base, tail)
    return str((parent / audio).resolve()) if os.path.islink(full) else full


def _sample(path: Path, n: int, row: dict[str, Any], need: tuple[str, ...], resolved_dirs: dict[str, str]) -> Sample:
    def fail(name: str, msg: str) -> UserError:
        return UserError(_field_error(path, n, name, msg))

    for name in ("id", "language", *need):
        if row.get(name) in (None, "", []):
            raise fail(name, "is required")
    for name in ("language", "target_language"):
        code = row.get(name)
        if code is not None and not (isinstance(code, str) and is_known(code)):
            raise fail(name, f"{code!r} is not a language code (BCP-47, e.g. th, vi, en-SG, zh-Hant)")
    audio = row.get("audio") or []
    audio = [audio] if isinstance(audio, str) else audio
    if not isinstance(audio, list) or not all(isinstance(a, str) for a in audio):
        raise fail("audio", "must be a path or a list of paths")
    refs = [AudioRef(path=_audio_path(path.parent, a, resolved_dirs)) for a in audio]
    choices = row.get("choices")
    if choices is not None and (not isinstance(choices, list) or len(choices) < 2):
        raise fail("choices", "must be a list of at least two options")
    label = row.get("label")
    if choices and label is not None and str(label) not in [str(c) for c in choices]:
        raise fail("label", f"{label!r} is not one of the choices")
    reference = row.get("reference")
    if reference is not None and not isinstance(reference, (str, list)):
        raise fail("reference", "must be a string or a list of strings")
    metadata = dict(row.get("metadata") or {})
    metadata.update({k: v for k, v in row.items() if k not in KNOWN})
    return Sample(
        id=str(row["id"]), audio=refs, instruction=str(row.get("instruction") or ""), reference=reference,
        choices=[str(c) for c in choices] if choices else None, label=None if label is None else str(label),
        language=str(row["language"]), target_language=row.get("target_language"), metadata=metadata,
    )


def read_manifest(path: Path, need: tuple[str, ...] = ()) -> ManifestData:
    """Parse and validate every row; bad rows become problems, not exceptions. Rows are kept as their
    bytes and made into Samples when used; a large manifest's parse is kept in the cache directory
    (keyed by its content and location) for the next command."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    key = _cache_key(path, need) if len(raw) >= CACHE_FROM_BYTES and path.suffix.lower() != ".csv" else None
    parsed = _cached(key, digest) if key else None
    if parsed is None:
        parsed = _parse(path, raw, need)
        if key:
            _store(key, digest, parsed)
    blob, rows, ids, strata, problems, languages = parsed
    if not ids and problems:
        raise UserError(f"{path}: no usable rows; first problem: {problems[0]}")
    resolved_dirs: dict[str, str] = {}

    def make(i: int) -> Sample:
        n, start, end = rows[3 * i: 3 * i + 3]
        return _sample(path, n, json.loads((blob or raw)[start:end].decode("utf-8")), need, resolved_dirs)

    source = hashlib.sha256(f"{_CACHE_VERSION}\x00{path.resolve()}\x00{need}\x00{digest}".encode()).hexdigest()
    return ManifestData(path, SampleTable(ids, make, strata, source=source), problems, languages)


# (the rows' bytes when not the file's own, each usable row's Span flattened, their ids and strata, problems,
# languages)
_Parsed: TypeAlias = "tuple[bytes | None, array[int], list[str], list[str], list[str], frozenset[str]]"


def _parse(path: Path, raw: bytes, need: tuple[str, ...]) -> _Parsed:
    seen: set[str] = set()
    resolved_dirs: dict[str, str] = {}
    blob, found = _raw_rows(path, raw)
    rows = array("q")
    ids: list[str] = []
    strata: dict[str, str] = {}
    row_strata: list[str] = []
    problems: list[str] = []
    for n, row, error, where in found:
        if row is None or where is None:
            problems.append(f"{path}: row {n}: {error}")
            continue
        try:
            sample = _sample(path, n, row, need, resolved_dirs)
        except UserError as exc:
            problems.append(str(exc))
            continue
        if sample.id in seen:
            problems.append(_field_error(path, n, "id", f"duplicate id {sample.id!r}"))
            continue
        seen.add(sample.id)
        rows.extend(where)
        ids.append(sample.id)
        key = stratum(sample)
        row_strata.append(strata.setdefault(key, key))
    languages = frozenset(key.split("\x00", 1)[0] for key in strata)
    return None if blob is raw else blob, rows, ids, row_strata, problems, languages


def _cache_key(path: Path, need: tuple[str, ...]) -> str:
    from seabench.samples import _package_stamp

    return json.dumps([_CACHE_VERSION, str(path.resolve()), list(need), _package_stamp()])


def _cache_file(key: str) -> Path:
    from seabench.cache import cache_dir

    return cache_dir() / "manifests" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _cached(key: str, digest: str) -> _Parsed | None:
    """A stored parse of this manifest (same location, need, code and content), if there is one."""
    try:
        stored = json.loads(_cache_file(key).read_bytes())
        if stored["key"] != key or stored["digest"] != digest:
            return None
        rows, values = array("q", stored["rows"]), stored["strata_values"]
        ids, strata = stored["ids"], [values[k] for k in stored["strata"]]
        if not len(rows) == 3 * len(ids) == 3 * len(strata):
            return None
        return None, rows, ids, strata, stored["problems"], frozenset(stored["languages"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _store(key: str, digest: str, parsed: _Parsed) -> None:
    from seabench.cache import write_cache_file

    _, rows, ids, strata, problems, languages = parsed
    values = sorted(set(strata))
    code = {value: k for k, value in enumerate(values)}
    stored = {"key": key, "digest": digest, "rows": rows.tolist(),
              "ids": ids, "strata_values": values, "strata": [code[v] for v in strata], "problems": problems,
              "languages": sorted(languages)}
    write_cache_file(_cache_file(key), json.dumps(stored, ensure_ascii=False).encode("utf-8"))


def _from_manifest(path: Path, family: str, build: Callable[..., Task], need: tuple[str, ...],
                   **kwargs: Any) -> Task:
    data = read_manifest(path, need)
    samples = data.samples
    return build(f"{family}/{path.stem}", lambda: samples, data.languages, size=len(samples),
                 problems=tuple(data.problems), description=f"from {path}", **kwargs)


def asr_from_manifest(path: Path) -> Task:
    from seabench.tasks.asr import asr

    return _from_manifest(path, "asr", asr, ("audio", "reference"))


def s2tt_from_manifest(path: Path) -> Task:
    from seabench.tasks.s2tt import s2tt

    return _from_manifest(path, "s2tt", s2tt, ("audio", "reference", "target_language"))


def mcq_from_manifest(path: Path) -> Task:
    from seabench.tasks.mmau import mcq

    return _from_manifest(path, "mcq", mcq, ("choices", "label"))


def label_from_manifest(kind: str) -> Callable[[Path], Task]:
    def build(path: Path) -> Task:
        from seabench.tasks.paralinguistics import label

        return _from_manifest(path, kind, label, ("audio", "choices", "label"), kind=kind)
    return build
