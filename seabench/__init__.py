"""SeaBench: evaluate audio-language models on Southeast Asian languages.

The public API that tasks, models, judges and plugins build on."""

from seabench.adapter import AsyncModelAdapter, ModelAdapter, check_options, parse_options
from seabench.audio import AudioError, load_audio
from seabench.errors import MissingExtra, UserError, require
from seabench.registry import JudgeEntry, ModelEntry, Registry, registry
from seabench.task import DataStatus, Metric, Scorer, Task
from seabench.types import (
    AudioRef,
    ErrorCode,
    GenerationConfig,
    Manifest,
    MetricValue,
    ModelInfo,
    ModelInput,
    ModelOutput,
    RunResult,
    Sample,
    SampleRecord,
    Score,
    TaskCounts,
    TaskResult,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncModelAdapter", "AudioError", "AudioRef", "DataStatus", "ErrorCode", "GenerationConfig",
    "JudgeEntry", "Manifest", "Metric", "MetricValue", "MissingExtra", "ModelAdapter", "ModelEntry",
    "ModelInfo", "ModelInput", "ModelOutput", "Registry", "RunResult", "Sample", "SampleRecord", "Score",
    "Scorer", "Task", "TaskCounts", "TaskResult", "UserError", "Verdict", "check_options", "load_audio",
    "parse_options", "registry", "require",
]
