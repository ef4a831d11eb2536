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
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Any

from seabench import AudioRef, Sample, Task, UserError
from seabench.languages import is_known

KNOWN = {"id", "audio", "language", "instruction", "reference", "target_language", "choices", "label", "metadata"}


@dataclass
class ManifestData:
    path: Path
    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


MAX_LINE_BYTES = 1 << 20  # a manifest row is a few hundred bytes; a 1 MiB line is not a row


def _lines(path: Path) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, decoded line or None, why not) — invalid UTF-8 and over-long lines are row errors, and
    an over-long line is skipped without being held in memory."""
    with open(path, "rb") as fh:
        n = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            n += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                size = len(raw)
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line in bounded chunks
                    raw = fh.readline(MAX_LINE_BYTES)
                    size += len(raw)
                yield n, None, f"line is {size / 2**20:.1f} MiB, over the 1 MiB limit for one row"
                continue
            try:
                yield n, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                yield n, None, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"


def _raw_rows(path: Path) -> list[tuple[int, dict[str, Any] | None, str | None]]:
    """(row number, row or None, parse error)."""
    rows: list[tuple[int, dict[str, Any] | None, str | None]] = []
    if path.suffix.lower() == ".csv":
        good: list[str] = []
        for n, line, error in _lines(path):
            if line is None:
                rows.append((n, None, error))
                good.append("\n")  # keeps csv's line numbers equal to the file's
            else:
                good.append(line)
        reader = csv.DictReader(good)
        for row in reader:
            rows.append((reader.line_num, _from_csv(row), None))
        return sorted(rows, key=lambda r: r[0])
    for n, line, error in _lines(path):
        if line is None:
            rows.append((n, None, error))
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((n, None, f"not valid JSON ({exc.msg})"))
            continue
        rows.append((n, obj, None) if isinstance(obj, dict) else (n, None, "not a JSON object"))
    return rows


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
    """Parse and validate every row; bad rows become problems, not exceptions."""
    data = ManifestData(path)
    seen: set[str] = set()
    resolved_dirs: dict[str, str] = {}
    for n, row, error in _raw_rows(path):
        if row is None:
            data.problems.append(f"{path}: row {n}: {error}")
            continue
        try:
            sample = _sample(path, n, row, need, resolved_dirs)
        except UserError as exc:
            data.problems.append(str(exc))
            continue
        if sample.id in seen:
            data.problems.append(_field_error(path, n, "id", f"duplicate id {sample.id!r}"))
            continue
        seen.add(sample.id)
        data.samples.append(sample)
    if not data.samples and data.problems:
        raise UserError(f"{path}: no usable rows; first problem: {data.problems[0]}")
    return data


def _from_manifest(path: Path, family: str, build: Callable[..., Task], need: tuple[str, ...],
                   **kwargs: Any) -> Task:
    data = read_manifest(path, need)
    samples = data.samples
    return build(f"{family}/{path.stem}", lambda: samples, {s.language for s in samples}, size=len(samples),
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
