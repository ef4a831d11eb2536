"""SQLite response cache under the user cache dir, keyed by model snapshot + input hash +
generation config. An identical run into a new output dir calls the model zero times."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
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


def response_key(snapshot: str, input_hash: str, config: GenerationConfig,
                 options: dict[str, Any] | None = None) -> str:
    """Everything that can change an answer: model snapshot, input (prompt + audio), generation
    settings, and the answer-changing -M options."""
    payload = "\x00".join([snapshot, input_hash, config.model_dump_json(),
                           json.dumps(options or {}, sort_keys=True, default=str)])
    return hashlib.sha256(payload.encode()).hexdigest()


class SqliteStore:
    """A thread-safe key -> text table in one SQLite file (WAL), committed on every write so a
    crash loses nothing already stored. Shared by the response and judge caches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()

    def get_many(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        with self._lock:
            marks = ",".join("?" * len(keys))
            return dict(self._db.execute(f"SELECT key, value FROM entries WHERE key IN ({marks})", keys).fetchall())

    def put_many(self, items: dict[str, str]) -> None:
        if not items:
            return
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", list(items.items()))
            self._db.commit()

    def close(self) -> None:
        self._db.close()


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
