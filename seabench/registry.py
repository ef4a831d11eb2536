"""Name -> factory registry for tasks, models, judges and suites.

Nothing is imported until it is needed: built-in entries are "module:attr" strings, task
modules are imported only when tasks are listed or resolved, and out-of-tree plugins come in
through the `seabench.plugins` entry-point group (each entry point is a callable taking the
Registry and adding to it).
"""

from __future__ import annotations

import fnmatch
import importlib
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seabench.errors import UserError, unknown_name
from seabench.task import Task

ENTRY_POINT_GROUP = "seabench.plugins"
LABEL_KINDS = ("gender", "emotion", "accent", "age", "language", "speaking_rate")


@dataclass(frozen=True)
class ModelEntry:
    prefix: str
    loader: str | Callable[..., Any]  # create(spec: str, options: dict) -> ModelAdapter
    description: str
    example: str
    extra: str | None = None  # pip extra that provides its dependencies
    requires: tuple[str, ...] = ()  # importable modules it needs


@dataclass(frozen=True)
class JudgeEntry(ModelEntry):
    """The same fields; its loader returns a JudgeBackend."""


def load_object(ref: str | Callable[..., Any]) -> Any:
    if not isinstance(ref, str):
        return ref
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


@dataclass
class Registry:
    task_providers: list[str | Callable[[], Iterable[Task]]] = field(default_factory=list)
    families: dict[str, str | Callable[..., Task]] = field(default_factory=dict)
    models: dict[str, ModelEntry] = field(default_factory=dict)
    judges: dict[str, JudgeEntry] = field(default_factory=dict)
    suites: dict[str, list[str] | str | Callable[[dict[str, Task]], list[str]]] = field(default_factory=dict)
    _tasks: dict[str, Task] | None = None
    _plugins_loaded: bool = False

    # -- adding (used by built-ins and plugins) ---------------------------------------------
    def add_tasks(self, provider: str | Callable[[], Iterable[Task]]) -> None:
        self.task_providers.append(provider)
        self._tasks = None

    def add_task(self, task: Task) -> None:
        self.add_tasks(lambda: [task])

    def add_family(self, name: str, factory: str | Callable[..., Task]) -> None:
        """A family builds a Task from a user manifest: `--tasks asr@path/to/manifest.jsonl`."""
        self.families[name] = factory

    def add_model(self, entry: ModelEntry) -> None:
        self.models[entry.prefix] = entry

    def add_judge(self, entry: JudgeEntry) -> None:
        self.judges[entry.prefix] = entry

    def add_suite(self, name: str, patterns: list[str] | str | Callable[[dict[str, Task]], list[str]]) -> None:
        """Task names or globs, or a function of the registered tasks ("module:attr", imported when used)."""
        self.suites[name] = patterns

    def suite(self, name: str) -> list[str]:
        """The names and globs a suite stands for."""
        patterns = self.suites[name]
        return list(patterns) if isinstance(patterns, list) else list(load_object(patterns)(self.tasks()))

    # -- plugins -----------------------------------------------------------------------------
    def load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                ep.load()(self)
            except Exception as exc:  # a broken plugin must not break seabench itself
                warnings.warn(f"seabench plugin {ep.name!r} failed to load: {exc}", stacklevel=2)
        self._tasks = None

    # -- tasks -------------------------------------------------------------------------------
    def tasks(self) -> dict[str, Task]:
        self.load_plugins()
        if self._tasks is None:
            found: dict[str, Task] = {}
            for provider in self.task_providers:
                for task in load_object(provider)():
                    found[task.name] = task
            self._tasks = found
        return self._tasks

    def resolve_tasks(self, spec: str) -> list[Task]:
        """Comma-separated names, globs (`asr/*`), suites (`mini`) and manifests (`asr@file.jsonl`)."""
        known = self.tasks()
        chosen: dict[str, Task] = {}
        for part in [p.strip() for p in spec.split(",") if p.strip()]:
            if "@" in part:
                task = self.task_from_manifest(part)
                chosen[task.name] = task
                continue
            patterns = self.suite(part) if part in self.suites else [part]
            matched = False
            for pattern in patterns:
                names = fnmatch.filter(known, pattern) if any(c in pattern for c in "*?[") else (
                    [pattern] if pattern in known else [])
                for name in sorted(names):
                    chosen[name] = known[name]
                    matched = True
            if not matched:
                raise unknown_name("task", part, list(known) + list(self.suites))
        if not chosen:
            raise UserError(f"no tasks selected by {spec!r}")
        return list(chosen.values())

    def task_from_manifest(self, spec: str) -> Task:
        family, _, path = spec.partition("@")
        self.load_plugins()
        if family not in self.families:
            raise unknown_name("task family", family, self.families)
        if not Path(path).is_file():
            raise UserError(f"manifest not found: {path}")
        return load_object(self.families[family])(Path(path))

    # -- models and judges -------------------------------------------------------------------
    def _entry(self, table: dict[str, Any], kind: str, spec: str) -> Any:
        self.load_plugins()
        prefix = spec.split(":", 1)[0]
        if prefix not in table:
            raise unknown_name(kind, prefix, table)
        return table[prefix]

    def model_entry(self, spec: str) -> ModelEntry:
        return self._entry(self.models, "model", spec)

    def create_model(self, spec: str, options: dict[str, Any] | None = None) -> Any:
        entry = self.model_entry(spec)
        return load_object(entry.loader)(spec, dict(options or {}))

    def judge_entry(self, spec: str) -> JudgeEntry:
        return self._entry(self.judges, "judge", spec)

    def create_judge(self, spec: str, options: dict[str, Any] | None = None) -> Any:
        entry: JudgeEntry = self.judge_entry(spec)
        return load_object(entry.loader)(spec, dict(options or {}))


def _label_family(kind: str) -> Callable[[Path], Task]:
    def build(path: Path) -> Task:
        return load_object("seabench.tasks.manifest:label_from_manifest")(kind)(path)
    return build


def _builtin() -> Registry:
    reg = Registry()
    reg.add_tasks("seabench.tasks.mini:tasks")
    reg.add_tasks("seabench.tasks.datasets:tasks")
    reg.add_tasks("seabench.tasks.seabench_audio:tasks")
    for family in ("asr", "s2tt", "mcq"):
        reg.add_family(family, f"seabench.tasks.manifest:{family}_from_manifest")
    reg.add_family("seabench-audio", "seabench.tasks.seabench_audio:from_parquet")
    reg.add_family("mmau", "seabench.tasks.datasets.mmau:from_json")
    for kind in LABEL_KINDS:
        reg.add_family(kind, _label_family(kind))
    reg.add_suite("mini", ["mini/*"])
    reg.add_suite("fleurs", ["asr/fleurs-*", "s2tt/fleurs-*", "paralinguistics/fleurs-*"])
    for suite in ("audiobench", "meralion", "sea-asr", "sea-understanding"):
        reg.add_suite(suite, f"seabench.tasks.suites:{suite.replace('-', '_')}")
    reg.add_suite("seabench-audio", ["seabench-audio/*"])
    models = [
        ModelEntry("reference", "seabench.models.reference_adapter:create",
                   "the included reference LALM (embedded tiny checkpoint, or reference:PATH)",
                   "reference", "reference", ("torch", "transformers")),
        ModelEntry("predictions", "seabench.models.predictions:create",
                   "scores stored outputs: SeaBench samples.jsonl, lm-eval/lmms-eval --log_samples, "
                   "AudioBench or SeaBench-Audio JSON, JSONL/CSV of id (+task) and output",
                   "predictions:preds.jsonl"),
        ModelEntry("hf", "seabench.models.hf:create",
                   "transformers checkpoints (cached hub ids or folders): Qwen2-Audio family, audio-text auto "
                   "classes, MERaLiON and Phi-4 (pinned remote code), Whisper and CTC ASR",
                   "hf:Qwen/Qwen2-Audio-7B-Instruct", "hf", ("torch", "transformers")),
        ModelEntry("vllm", "seabench.models.vllm_offline:create",
                   "offline vLLM engine with audio as multi-modal data",
                   "vllm:Qwen/Qwen2-Audio-7B-Instruct", "vllm", ("vllm",)),
        ModelEntry("openai", "seabench.models.openai_compat:create",
                   "OpenAI-compatible chat completions with input_audio (e.g. vllm serve)",
                   "openai:MODEL@http://127.0.0.1:8000/v1", "openai", ("openai",)),
        ModelEntry("gemini", "seabench.models.gemini:create",
                   "Google Gemini via google-genai (GEMINI_API_KEY)", "gemini:gemini-2.5-flash",
                   "gemini", ("google.genai",)),
        ModelEntry("cascade", "seabench.models.cascade:create",
                   "ASR model's transcript fed to a text LLM (needs what its two models need)",
                   "cascade:hf:openai/whisper-large-v3+openai:MODEL@URL"),
        ModelEntry("echo", "seabench.models.echo:create",
                   "test model: answers with the prompt (or -M text=...); no dependencies", "echo"),
    ]
    for entry in models:
        reg.add_model(entry)
    reg.add_judge(JudgeEntry("gemini", "seabench.judges.gemini:create",
                             "Gemini judge that hears the audio", "gemini:gemini-2.5-flash", "gemini",
                             ("google.genai",)))
    reg.add_judge(JudgeEntry("openai", "seabench.judges.openai_compat:create",
                             "OpenAI-compatible judge (e.g. a vLLM-served open model)",
                             "openai:MODEL@http://127.0.0.1:8000/v1", "openai", ("openai",)))
    return reg


_REGISTRY: Registry | None = None


def registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _builtin()
    return _REGISTRY
