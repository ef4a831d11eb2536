"""Leaderboard and judge-agreement reports: reads run directories only (no torch, no models).

Public entry points (wired into the CLI): `build_leaderboard`, `run_agreement`, `serve_annotation`
and `make_annotation_server`. Submodules are imported on first use.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "build_leaderboard": "seabench.leaderboard.html",
    "run_agreement": "seabench.leaderboard.agreement_report",
    "serve_annotation": "seabench.leaderboard.annotate",
    "make_annotation_server": "seabench.leaderboard.annotate",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'seabench.leaderboard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)
