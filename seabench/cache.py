"""SQLite response cache under the user cache dir, keyed by model snapshot + input hash +
generation config. An identical run into a new output dir calls the model zero times."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path

from seabench.types import GenerationConfig, ModelOutput


def cache_dir() -> Path:
    env = os.environ.get("SEABENCH_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("seabench"))


def response_key(snapshot: str, input_hash: str, config: GenerationConfig) -> str:
    payload = "\x00".join([snapshot, input_hash, config.model_dump_json()])
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "responses.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, output TEXT NOT NULL)")
        self._db.commit()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: list[str]) -> dict[str, ModelOutput]:
        if not keys:
            return {}
        with self._lock:
            marks = ",".join("?" * len(keys))
            rows = self._db.execute(f"SELECT key, output FROM responses WHERE key IN ({marks})", keys).fetchall()
        found = {k: ModelOutput.model_validate_json(v) for k, v in rows}
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, items: dict[str, ModelOutput]) -> None:
        """Only successful outputs are cached; failures must be retried, not replayed."""
        rows = [(k, o.model_dump_json()) for k, o in items.items() if o.error is None]
        if not rows:
            return
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO responses (key, output) VALUES (?, ?)", rows)
            self._db.commit()

    def close(self) -> None:
        self._db.close()
