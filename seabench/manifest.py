"""The run manifest: everything needed to know how numbers were produced (no secrets)."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from seabench.types import Manifest

TRACKED_PACKAGES = (
    "seabench", "numpy", "pydantic", "soundfile", "soxr", "jiwer", "sacrebleu", "pythainlp", "jieba",
    "opencc-python-reimplemented", "py3langid", "torch", "transformers", "tokenizers", "vllm",
    "google-genai", "openai", "datasets",
)


def package_versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def seabench_version() -> str:
    try:
        return version("seabench")
    except PackageNotFoundError:
        return "0+unknown"


def git_state() -> tuple[str | None, bool | None]:
    """Commit and dirty flag of the seabench checkout, when running from one."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None, None
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, timeout=5).stdout.strip())
        return sha, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def build_manifest(config: dict[str, Any], seed: int, batch_size: int) -> Manifest:
    sha, dirty = git_state()
    return Manifest(
        seabench_version=seabench_version(),
        git_sha=sha,
        git_dirty=dirty,
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages=package_versions(),
        config=config,
        config_hash=config_hash(config),
        seed=seed,
        batch_size=batch_size,
        created_at=now(),
    )
