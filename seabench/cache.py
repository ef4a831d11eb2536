"""SQLite response cache under the user cache dir, keyed by model snapshot + input hash +
generation config. An identical run into a new output dir calls the model zero times."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from seabench.types import GenerationConfig, ModelOutput


def cache_dir() -> Path:
    env = os.environ.get("SEABENCH_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("seabench"))


def data_dir() -> Path:
    """Where real datasets live: `$SEABENCH_DATA_DIR`, else the user data dir, beside (never inside) the
    cache, so clearing the cache never deletes downloaded data."""
    env = os.environ.get("SEABENCH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("seabench"))


def write_cache_file(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, best effort: what the cache dir keeps (unpacked models,
    dictionaries, parsed manifests) only ever saves time, so a read-only or full disk is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def response_key(snapshot: str, input_hash: str, config: GenerationConfig,
                 options: dict[str, Any] | None = None) -> str:
    """Everything that can change an answer: model snapshot, input (prompt + audio), generation
    settings, and the answer-changing -M options."""
    payload = "\x00".join([snapshot, input_hash, config.model_dump_json(),
                           json.dumps(options or {}, sort_keys=True, default=str)])
    return hashlib.sha256(payload.encode()).hexdigest()


class SqliteStore:
    """A thread-safe key -> text table in one SQLite file (WAL), committed on every write so a
    crash loses nothing already stored. Shared by the response and judge caches.

    A corrupt or unreadable file is moved aside once (`<name>.corrupt-<time>`) and an empty store
    started in its place; if even that fails the store is bypassed (every lookup misses, writes are
    dropped). Either way `problem` says what happened, once, and the run goes on: a cache can only
    ever cost time, never an answer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            self._db = self._open()
        except (sqlite3.DatabaseError, OSError) as exc:
            self._recover(exc)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # each write is committed, but not fsynced: a killed process loses nothing (the WAL is in
            # the OS's hands); only a power cut may drop the last entries, which are then re-asked
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("SELECT key FROM entries LIMIT 1").fetchall()
            db.commit()
        except BaseException:
            db.close()
            raise
        return db

    def _recover(self, exc: Exception) -> None:
        """Move a broken file aside and start empty; bypass the cache if that fails too."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        if self.problem is not None:  # recovered once already: stop using the cache
            return
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            for suffix in ("", "-wal", "-shm"):
                old = self.path.with_name(self.path.name + suffix)
                if old.exists():
                    old.replace(aside.with_name(aside.name + suffix))
            self._db = self._open()
            self.problem = (f"cache {self.path} was unreadable ({exc}); moved it to {aside} and started an "
                            f"empty one")
        except (sqlite3.DatabaseError, OSError) as again:
            self.problem = f"cache {self.path} is unusable ({again}); running without it"

    def get_many(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        with self._lock:
            for _attempt in range(2):
                if self._db is None:
                    return {}
                try:
                    marks = ",".join("?" * len(keys))
                    return dict(self._db.execute(f"SELECT key, value FROM entries WHERE key IN ({marks})",
                                                 keys).fetchall())
                except sqlite3.DatabaseError as exc:
                    self._recover(exc)
            return {}

    def put_many(self, items: dict[str, str]) -> None:
        if not items:
            return
        with self._lock:
            for _attempt in range(2):
                if self._db is None:
                    return
                try:
                    self._db.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)",
                                         list(items.items()))
                    self._db.commit()
                    return
                except sqlite3.DatabaseError as exc:
                    self._recover(exc)

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None


class ResponseCache:
    def __init__(self, path: Path | None = None) -> None:
        self.store = SqliteStore(path or cache_dir() / "responses.sqlite")
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: list[str]) -> dict[str, ModelOutput]:
        found = {k: ModelOutput.model_validate_json(v) for k, v in self.store.get_many(keys).items()}
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, items: dict[str, ModelOutput]) -> None:
        """Only successful outputs are cached; failures must be retried, not replayed."""
        self.store.put_many({k: o.model_dump_json() for k, o in items.items() if o.error is None})

    def close(self) -> None:
        self.store.close()


LEGACY_DATA = "data"  # where datasets lived, inside the cache, before data_dir(): never cleared


def legacy_data_dir() -> Path | None:
    """`<cache>/data` from before datasets moved out of the cache, while it still holds a dataset."""
    old = cache_dir() / LEGACY_DATA
    return old if old.is_dir() and any(p.name != "_blobs" for p in old.iterdir()) else None


def cache_usage() -> dict[str, tuple[int, int]]:
    """What the cache dir holds: entry (file or folder) -> (bytes, files)."""
    root = cache_dir()
    usage: dict[str, tuple[int, int]] = {}
    if not root.is_dir():
        return usage
    for entry in sorted(root.iterdir()):
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        usage[entry.name] = (sum(p.stat().st_size for p in files), len(files))
    return usage


def clear_cache(only: str | None = None) -> list[str]:
    """Delete the cache dir's contents (or one entry: responses, judgements, ...); never the data dir,
    even when SEABENCH_DATA_DIR points inside the cache."""
    import shutil

    root, data = cache_dir().resolve(), data_dir().resolve()
    if not root.is_dir():
        return []
    removed = []
    for entry in sorted(root.iterdir()):
        if (only is not None and not entry.name.startswith(only)) or entry.name == LEGACY_DATA:
            continue
        resolved = entry.resolve()
        if resolved == data or data.is_relative_to(resolved) or resolved.is_relative_to(data):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed.append(entry.name)
    return removed
