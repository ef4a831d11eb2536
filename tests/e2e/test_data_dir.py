"""Datasets live beside the cache, not inside it (issue 17): the default locations, and `seabench cache
clear` keeping datasets, including those left in the cache by older versions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SEABENCH = [sys.executable, "-m", "seabench.cli"]


def _home_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEABENCH_", "XDG_"))}
    return {**env, "HOME": str(home), "NO_COLOR": "1"}


def test_default_data_dir_is_beside_the_cache_and_clear_keeps_datasets(tmp_path: Path) -> None:
    env = _home_env(tmp_path)
    cache, data = tmp_path / ".cache" / "seabench", tmp_path / ".local" / "share" / "seabench"
    info = subprocess.run([*SEABENCH, "cache", "info"], env=env, capture_output=True, text=True)
    assert info.returncode == 0 and f"cache: {cache}" in info.stdout and f"data:  {data}" in info.stdout
    (data / "fleurs").mkdir(parents=True)
    (data / "fleurs" / "test.tsv").write_text("rows")
    (cache / "audio-blobs" / "ab").mkdir(parents=True)
    (cache / "audio-blobs" / "ab" / "ab12.wav").write_bytes(b"RIFF")
    (cache / "responses.sqlite").write_bytes(b"")
    (cache / "data" / "commonvoice").mkdir(parents=True)  # where an older version kept datasets
    (cache / "data" / "commonvoice" / "test.tsv").write_text("rows")
    info = subprocess.run([*SEABENCH, "cache", "info"], env=env, capture_output=True, text=True)
    assert f"{cache / 'data'} holds datasets from before they moved out of the cache" in info.stdout
    cleared = subprocess.run([*SEABENCH, "cache", "clear", "-y"], env=env, capture_output=True, text=True)
    assert cleared.returncode == 0, cleared.stderr
    assert not (cache / "responses.sqlite").exists() and not (cache / "audio-blobs").exists()
    assert (data / "fleurs" / "test.tsv").read_text() == "rows"
    assert (cache / "data" / "commonvoice" / "test.tsv").read_text() == "rows"
