"""A run directory holds one configuration, written by one process at a time.

`run.json` records what determines the answers — model id and snapshot, answer-changing options,
seed, and per task its version, generation settings, prompt and data hashes and the samples chosen
— and the config hash over all of it. Resuming with anything that would change answers is refused
with the difference named; adding tasks is allowed and recorded. A lock file names the process
writing the directory; a lock left by a killed process is taken over."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from seabench.errors import UserError
from seabench.manifest import now
from seabench.records import atomic_write_text

RUN_FILE = "run.json"
LOCK_FILE = ".seabench.lock"


class TaskIdentity(BaseModel):
    """What fixes one task's answers (hashes cover the samples after --limit, before --shard)."""

    version: str
    generation: dict[str, Any]
    prompt_hash: str
    dataset_hash: str
    samples_hash: str
    n: int
    limit: int | float | None = None
    added_at: str = ""

    def key(self) -> dict[str, Any]:
        return self.model_dump(exclude={"added_at", "n"})


class RunIdentity(BaseModel):
    run_id: str
    created_at: str
    model: str
    snapshot: str = ""
    options: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    shard: str | None = None
    task_specs: list[str] = Field(default_factory=list)
    tasks: dict[str, TaskIdentity] = Field(default_factory=dict)
    config_hash: str = ""

    def compute_hash(self) -> str:
        payload = {"model": self.model, "snapshot": self.snapshot, "options": self.options, "seed": self.seed,
                   "tasks": {name: t.key() for name, t in sorted(self.tasks.items())}}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def read_identity(run_dir: Path) -> RunIdentity | None:
    path = run_dir / RUN_FILE
    if not path.exists():
        return None
    try:
        return RunIdentity.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise UserError(f"{path} is unreadable ({str(exc).splitlines()[0]}); "
                        "start a fresh run with another --output-dir") from None


def write_identity(run_dir: Path, identity: RunIdentity) -> None:
    identity.config_hash = identity.compute_hash()
    atomic_write_text(run_dir / RUN_FILE, identity.model_dump_json(indent=2))


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, (dict, list)) else repr(value)


def differences(old: RunIdentity, new: RunIdentity) -> list[str]:
    """What would change answers if `new` resumed `old` (tasks only in `new` are additions, not differences)."""
    found = [f"{label} {_show(getattr(old, field))} -> {_show(getattr(new, field))}"
             for field, label in (("model", "model"), ("snapshot", "model snapshot"), ("options", "model options"),
                                  ("seed", "seed"), ("shard", "shard"))
             if getattr(old, field) != getattr(new, field)]
    for name, task in new.tasks.items():
        before = old.tasks.get(name)
        if before is None:
            continue
        labels = {"version": "task version", "generation": "generation settings", "prompt_hash": "prompts",
                  "dataset_hash": "task data", "samples_hash": "samples chosen (--limit)", "limit": "--limit"}
        for field, label in labels.items():
            a, b = getattr(before, field), getattr(task, field)
            if a != b:
                found.append(f"{name}: {label} {_show(a)} -> {_show(b)}")
    return found


def reconcile(run_dir: Path, wanted: RunIdentity) -> RunIdentity:
    """The identity to record for this invocation: `wanted` for a new dir, or the existing one with new
    tasks added; raises (naming the differences) when the run would answer differently."""
    old = read_identity(run_dir)
    if old is None:
        for task in wanted.tasks.values():
            task.added_at = wanted.created_at
        return wanted
    if not old.snapshot:  # written by a seabench that did not record identities: adopt this one
        return wanted.model_copy(update={"run_id": old.run_id, "created_at": old.created_at})
    diff = differences(old, wanted)
    if diff:
        shown = "; ".join(diff[:3]) + (f"; and {len(diff) - 3} more" if len(diff) > 3 else "")
        raise UserError(f"{run_dir} holds a run with other settings ({shown}). Resume it with its own settings, "
                        f"or start a fresh run with another --output-dir")
    merged = old.model_copy(deep=True)
    for name, task in wanted.tasks.items():
        if name not in merged.tasks:
            merged.tasks[name] = task.model_copy(update={"added_at": wanted.created_at})
    merged.task_specs = [*merged.task_specs, *(s for s in wanted.task_specs if s not in merged.task_specs)]
    return merged


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Exclusive writer of `run_dir` for the duration of the block; a dead holder's lock is taken over."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_FILE
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": now()}
    for _attempt in range(3):
        tmp = run_dir / f"{LOCK_FILE}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        tmp.write_text(json.dumps(me))
        try:
            os.link(tmp, path)  # atomic: the lock appears with its contents, or not at all
            break
        except FileExistsError:
            holder = _holder(path)
            if holder is not None:
                raise UserError(f"{run_dir} is being written by another seabench process (pid {holder['pid']} on "
                                f"{holder['host']}, since {holder['since']}); wait for it to finish or use another "
                                f"--output-dir") from None
            path.unlink(missing_ok=True)  # stale: its process is gone
        finally:
            tmp.unlink(missing_ok=True)
    else:
        raise UserError(f"could not take the lock {path}; remove it if no seabench process is using {run_dir}")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _holder(path: Path) -> dict[str, Any] | None:
    """The live process holding the lock, or None if the lock is stale (dead pid, unreadable file)."""
    try:
        holder = json.loads(path.read_text())
        pid, host = int(holder["pid"]), str(holder["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if host == socket.gethostname() and not _alive(pid):
        return None
    return {"pid": pid, "host": host, "since": holder.get("since", "?")}
