"""SeaBench: evaluate audio-language models on Southeast Asian languages.

The public API that tasks, models, judges and plugins build on. Names are resolved lazily so
that importing a light submodule (e.g. `seabench.normalize`) does not pull in numpy or pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "seabench.adapter": ("AsyncModelAdapter", "ModelAdapter", "check_options", "parse_options"),
    "seabench.audio": ("AudioError", "load_audio"),
    "seabench.errors": ("MissingExtra", "UserError", "require"),
    "seabench.executor_ray": ("RaySettings",),
    "seabench.merge": ("merge_runs",),
    "seabench.registry": ("JudgeEntry", "ModelEntry", "Registry", "registry"),
    "seabench.servebench": ("BenchSettings", "serve_bench"),
    "seabench.tables": ("load_results", "load_samples"),
    "seabench.task": ("DataStatus", "Metric", "Scorer", "Task"),
    "seabench.types": ("AudioRef", "ErrorCode", "GenerationConfig", "Manifest", "MetricValue", "ModelInfo",
                       "ModelInput", "ModelOutput", "RunResult", "Sample", "SampleRecord", "Score", "TaskCounts",
                       "TaskResult", "Verdict"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'seabench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # let type checkers and IDEs see the real names
    from seabench.adapter import AsyncModelAdapter, ModelAdapter, check_options, parse_options  # noqa: F401
    from seabench.audio import AudioError, load_audio  # noqa: F401
    from seabench.errors import MissingExtra, UserError, require  # noqa: F401
    from seabench.executor_ray import RaySettings  # noqa: F401
    from seabench.merge import merge_runs  # noqa: F401
    from seabench.registry import JudgeEntry, ModelEntry, Registry, registry  # noqa: F401
    from seabench.servebench import BenchSettings, serve_bench  # noqa: F401
    from seabench.tables import load_results, load_samples  # noqa: F401
    from seabench.task import DataStatus, Metric, Scorer, Task  # noqa: F401
    from seabench.types import (  # noqa: F401
        AudioRef, ErrorCode, GenerationConfig, Manifest, MetricValue, ModelInfo, ModelInput, ModelOutput, RunResult,
        Sample, SampleRecord, Score, TaskCounts, TaskResult, Verdict)
