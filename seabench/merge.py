"""`seabench merge D1 D2 ... --out D`: the shards of one run (`seabench run --shard I/N`) as one run dir.

Merging works on records, never on the model: it checks that the shards are of one configuration
(one config hash; the differences are named otherwise) and one split (every shard I of N given once),
and that their records cover every sample exactly once (missing and doubled samples are named). It
then copies each sample's latest record line, unparsed, into one samples.jsonl (with its score index),
and aggregates results.json from them as `seabench run` would, CIs included.

Rows follow the order of the task's samples when the task data is readable here (the order an
unsharded run writes), so the merged results equal the unsharded run's number for number; without the
data they follow the shards' order, which changes no value but the bootstrap CIs' last digits (a
warning says so). The merged dir is a normal run dir: `seabench run` with the same settings and no
--shard finds nothing left to do; `seabench score` and `seabench leaderboard` read it as any run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seabench.aggregate import aggregate_columns, inputs_digest
from seabench.errors import UserError
from seabench.index import TaskColumns, columns_by_task, index_path, read_index
from seabench.judging.summary import attach_judging, write_judging
from seabench.manifest import now
from seabench.records import (
    RESULTS_FILE,
    SAMPLES_FILE,
    Latest,
    atomic_write_text,
    iter_latest,
    latest_lines,
    write_lines,
)
from seabench.registry import Registry, registry
from seabench.rescore import run_tasks
from seabench.rundir import (
    RUN_FILE,
    RunIdentity,
    differences,
    new_run_id,
    read_identity,
    run_lock,
    write_identity,
)
from seabench.selection import Shard
from seabench.task import Task
from seabench.types import MergedShard, RunResult, TaskResult

SHOWN = 5  # ids named in an error before "and N more"


@dataclass
class ShardDir:
    path: Path
    identity: RunIdentity
    result: RunResult | None  # None when the shard stopped before writing results.json
    shard: Shard
    lines: list[Latest]

    @property
    def label(self) -> str:
        return f"{self.path} (shard {self.shard})"


def merge_runs(run_dirs: list[Path], out: Path, reg: Registry | None = None) -> RunResult:
    """Merge shard run dirs into `out` (a new or empty directory) and return its results."""
    if not run_dirs:
        raise UserError("merge needs the run directories of the shards: seabench merge D1 D2 ... --out D")
    if len(set(map(Path.resolve, run_dirs))) != len(run_dirs):
        raise UserError("merge: a run directory is given twice")
    for directory in run_dirs:
        if not (directory / RUN_FILE).is_file():
            raise UserError(f"{directory} is not a seabench run directory (no run.json)")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"--out {out} is not empty; merge into a new directory")
    with contextlib.ExitStack() as locks:
        for directory in [*run_dirs, out]:  # no run may write a shard (or the output) while it is read
            locks.enter_context(run_lock(directory))
        shards = [_read_shard(d) for d in run_dirs]
        _check_one_configuration(shards)
        _check_one_split(shards)
        reg = reg or registry()
        first = shards[0]
        described = next((s.result for s in shards if s.result is not None), None)
        if described is None:
            raise UserError("no shard has a results.json yet: finish the shards (re-run their commands), then merge")
        tasks = run_tasks(described, reg)
        unknown = sorted(set(first.identity.tasks) - set(tasks))
        if unknown:
            raise UserError(f"merge: this seabench does not know the task(s) {', '.join(unknown)} the shards ran")
        order, notes = _sample_orders(tasks, first.identity)
        placed = _place(shards, order)
        write_lines(out / SAMPLES_FILE, _lines(shards, placed))
        identity = _merged_identity(shards)
        write_identity(out, identity)
        return _results(out, shards, described, identity, tasks, notes)


def _read_shard(path: Path) -> ShardDir:
    identity = read_identity(path)
    assert identity is not None  # checked before locking
    result = None
    if (path / RESULTS_FILE).is_file():
        try:
            result = RunResult.model_validate_json((path / RESULTS_FILE).read_text(encoding="utf-8"))
        except ValueError:
            result = None
    samples = path / SAMPLES_FILE
    lines = latest_lines(samples, exclusive=True) if samples.exists() else []
    return ShardDir(path, identity, result, Shard.parse(identity.shard) or Shard(1, 1), lines)


def _check_one_configuration(shards: list[ShardDir]) -> None:
    """Every shard must have the first one's config hash; otherwise name what differs."""
    first = shards[0]
    for other in shards[1:]:
        if other.identity.config_hash == first.identity.config_hash:
            continue
        found = differences(first.identity.model_copy(update={"shard": None}),
                            other.identity.model_copy(update={"shard": None}))
        only = sorted(set(first.identity.tasks) ^ set(other.identity.tasks))
        if only:
            found.append(f"tasks in one but not the other: {', '.join(only)}")
        shown = "; ".join(found[:3]) or "run.json differs"
        raise UserError(f"{other.path} is not a shard of the same run as {first.path} (config hash "
                        f"{other.identity.config_hash} vs {first.identity.config_hash}: {shown})")


def _check_one_split(shards: list[ShardDir]) -> None:
    """One N for all, and each shard I of N given exactly once."""
    counts = sorted({s.shard.count for s in shards})
    if len(counts) > 1:
        raise UserError("the run dirs split the run differently (" + ", ".join(s.label for s in shards)
                        + "): merge the shards of one --shard I/N split")
    count = counts[0]
    given: dict[int, list[ShardDir]] = {}
    for s in shards:
        given.setdefault(s.shard.index, []).append(s)
    doubled = [f"shard {i}/{count} given twice ({', '.join(str(s.path) for s in dirs)})"
               for i, dirs in sorted(given.items()) if len(dirs) > 1]
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in given]
    problems = doubled + ([(f"shard(s) {', '.join(missing)} missing: run them with --shard I/{count}, then "
                            "merge all of them")] if missing else [])
    if problems:
        raise UserError("cannot merge: " + "; ".join(problems))


def _sample_orders(tasks: dict[str, Task], identity: RunIdentity) -> tuple[dict[str, list[str]], list[str]]:
    """Each task's sample ids in the task's order, when its data is here and unchanged."""
    order: dict[str, list[str]] = {}
    missing: list[str] = []
    for name, planned in identity.tasks.items():
        try:
            ids = [s.id for s in tasks[name].samples(planned.limit, identity.seed)]
        except (UserError, OSError, ValueError):
            missing.append(name)
            continue
        digest = hashlib.sha256(b"".join(i.encode() + b"\x00" for i in ids)).hexdigest()[:16]
        if digest == planned.samples_hash:
            order[name] = ids
        else:
            missing.append(name)
    notes = [(f"{', '.join(missing)}: the task data here is missing or differs from what the shards ran on, so "
              "rows follow the shards' order: values equal an unsharded run's, bootstrap CIs may differ in the "
              "last digits")] if missing else []
    return order, notes


def _place(shards: list[ShardDir], order: dict[str, list[str]]) -> dict[str, list[tuple[int, Latest]]]:
    """Each task's records as (shard number, line), in the order they go into the merged file; raises
    naming every missing or doubled sample."""
    found: dict[str, dict[str, tuple[int, Latest]]] = {}
    doubled: list[str] = []
    for n, shard in enumerate(shards):
        for line in shard.lines:
            have = found.setdefault(line.task, {})
            if line.sample_id in have:
                doubled.append(f"{line.task} {line.sample_id!r} in both {shards[have[line.sample_id][0]].path} "
                               f"and {shard.path}")
            else:
                have[line.sample_id] = (n, line)
    identity = shards[0].identity
    problems = [*doubled[:SHOWN], *([f"and {len(doubled) - SHOWN} more doubled"] if len(doubled) > SHOWN else [])]
    problems += [f"records of task {t!r}, which the run does not have" for t in sorted(set(found) - set(identity.tasks))]
    for name, planned in identity.tasks.items():
        have = found.get(name, {})
        if name in order:
            lost = [i for i in order[name] if i not in have]
            if lost:
                owners = sorted({_owner(shards, name, i) for i in lost})
                shown = ", ".join(repr(i) for i in lost[:SHOWN]) + (f" and {len(lost) - SHOWN} more" if len(lost) > SHOWN else "")
                problems.append(f"{name}: {len(lost)} sample(s) have no record ({shown}) in {', '.join(owners)}")
            stray = sorted(set(have) - set(order[name]))
            if stray:
                problems.append(f"{name}: records of samples the run does not have ({', '.join(map(repr, stray[:SHOWN]))})")
        elif len(have) != planned.n:
            problems.append(f"{name}: {len(have)} of {planned.n} samples have a record ("
                            + ", ".join(_shard_counts(shards, name)) + ")")
    if problems:
        raise UserError("cannot merge: " + "; ".join(problems) + ". Resume an incomplete shard with its own command "
                        "(same --shard and --output-dir)")
    placed: dict[str, list[tuple[int, Latest]]] = {}
    for name in identity.tasks:
        have = found.get(name, {})
        placed[name] = [have[i] for i in order[name]] if name in order else list(have.values())
    return placed


def _owner(shards: list[ShardDir], task: str, sample_id: str) -> str:
    """The shard that should hold a sample (every shard of the split is given: checked before)."""
    return next(s.label for s in shards if s.shard.holds(task, sample_id))


def _shard_counts(shards: list[ShardDir], task: str) -> list[str]:
    """Per shard: records written of those it planned, from its results.json."""
    out = []
    for s in shards:
        result = s.result.tasks.get(task) if s.result else None
        written = sum(1 for line in s.lines if line.task == task)
        planned = f" of {result.counts.n}" if result is not None else ""
        out.append(f"{s.label}: {written}{planned}")
    return out


def _lines(shards: list[ShardDir], placed: dict[str, list[tuple[int, Latest]]]) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Record lines and index entries, read from the shards' files (one open file per shard)."""
    with contextlib.ExitStack() as stack:
        records = [stack.enter_context(open(s.path / SAMPLES_FILE, "rb")) if s.lines else None for s in shards]
        entries = [stack.enter_context(open(index_path(s.path / SAMPLES_FILE), "rb")) if s.lines else None
                   for s in shards]
        for rows in placed.values():
            for n, line in rows:
                yield _span(records[n], line.line), json.loads(_span(entries[n], line.entry))


def _span(fh: Any, span: tuple[int, int]) -> bytes:
    fh.seek(span[0])
    return fh.read(span[1] - span[0])


def _merged_identity(shards: list[ShardDir]) -> RunIdentity:
    """The shards' identity without a shard: what an unsharded run of the same settings records."""
    first = shards[0].identity
    merged = first.model_copy(deep=True, update={"run_id": new_run_id(), "shard": None,
                                                 "created_at": min(s.identity.created_at for s in shards)})
    for name, task in merged.tasks.items():
        task.added_at = min(s.identity.tasks[name].added_at for s in shards)
    return merged


def _results(out: Path, shards: list[ShardDir], described: RunResult, identity: RunIdentity,
             tasks: dict[str, Task], notes: list[str]) -> RunResult:
    from seabench.runner import run_status

    path = out / SAMPLES_FILE
    judged = {name for name in identity.tasks if tasks[name].rubric}
    if judged:
        write_judging(out, judged, iter_latest(path, judged))
    covered, entries = read_index(path, exclusive=True)
    columns = columns_by_task(entries, dict.fromkeys(identity.tasks))
    seed = identity.seed
    results: dict[str, TaskResult] = {}
    for name, planned in identity.tasks.items():
        rows = columns.get(name) or TaskColumns()
        result = aggregate_columns(tasks[name], rows, planned.n, seed, planned.dataset_hash, planned.prompt_hash)
        result.inputs_digest = inputs_digest(tasks[name], planned.n, seed, planned.dataset_hash, planned.prompt_hash)
        result.rows_digest = rows.digest()
        results[name] = result
    attach_judging(out, results)
    manifest = described.manifest.model_copy(deep=True, update={
        "shard": None, "executor": None, "created_at": min(s.result.manifest.created_at for s in shards if s.result),
        "finished_at": now(), "config_hash": identity.config_hash,
        "merged_from": [MergedShard(path=str(s.path), shard=s.identity.shard, run_id=s.identity.run_id,
                                    samples=len(s.lines)) for s in shards]})
    manifest.config["shard"] = None
    warnings = list(dict.fromkeys(w for s in shards if s.result for w in s.result.warnings))
    result = RunResult(run_id=identity.run_id, status=run_status(results.values()), model=described.model,
                       tasks=results, manifest=manifest, warnings=[*warnings, *notes], samples_digest=covered.digest)
    atomic_write_text(out / RESULTS_FILE, result.model_dump_json(indent=2))
    return result
