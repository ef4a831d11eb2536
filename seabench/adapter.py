"""The model adapter contract. Batch-first: local models batch on the device, API adapters
fan out under a concurrency limit (AsyncModelAdapter)."""

from __future__ import annotations

import asyncio
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from seabench.types import GENERATION_KEYS, ErrorCode, GenerationConfig, ModelInfo, ModelInput, ModelOutput

ALL_GENERATION_KEYS = frozenset(GENERATION_KEYS)


class ModelAdapter(ABC):
    """Subclasses set `id` and implement info() and generate()."""

    id: str = ""
    default_batch_size: int = 8
    needs_audio: bool = True  # False: the runner does not decode audio (e.g. stored predictions)
    cacheable: bool = True  # False: outputs are not stored in the response cache
    max_audio_s: float | None = None
    # Generation settings this adapter honours (names from GENERATION_KEYS, adapter-specific ones as
    # "extra.NAME"); None: it generates nothing (stored outputs), so settings do not apply.
    generation_keys: frozenset[str] | None = ALL_GENERATION_KEYS
    # -M options that cannot change an answer (timeouts, concurrency ...); every other option is part
    # of the response-cache key.
    neutral_options: frozenset[str] = frozenset()

    @abstractmethod
    def info(self) -> ModelInfo:
        """Identity of the model; `snapshot` keys the response cache. Must not need `load()`."""

    def load(self) -> None:
        """Load weights or start an engine: heavy work belongs here, not in __init__ or info(). The
        executor calls it once, before the first batch the response cache cannot answer, so a fully
        cached run never loads the model. Must be idempotent; generate() may call it too."""

    def answer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The -M options that can change an answer, for the response-cache key."""
        return {k: v for k, v in sorted(options.items()) if k not in self.neutral_options}

    @abstractmethod
    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        """Return one output per input, in order. Per-sample failures go in ModelOutput.error."""

    warnings: list[str]

    def prepare(self, planned: dict[str, list[str]]) -> None:
        """Told every (task -> sample ids) of the run before generation starts."""

    def close(self) -> None:
        """Release devices, sessions or servers."""


class AsyncModelAdapter(ModelAdapter):
    """For API models: `agenerate` one input; generate() fans a batch out with a semaphore."""

    concurrency: int = 16

    @property
    def default_batch_size(self) -> int:  # type: ignore[override]
        return self.concurrency * 2

    @abstractmethod
    async def agenerate(self, inp: ModelInput, config: GenerationConfig) -> ModelOutput: ...

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        return asyncio.run(self._gather(batch, config))

    async def _gather(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        sem = asyncio.Semaphore(self.concurrency)

        async def one(inp: ModelInput) -> ModelOutput:
            async with sem:
                start = time.perf_counter()
                try:
                    out = await self.agenerate(inp, config)
                except Exception as exc:  # an API failure after retries is a sample error, not a crash
                    out = ModelOutput(error=f"{type(exc).__name__}: {exc}", error_code=ErrorCode.MODEL_ERROR)
                if out.latency_s is None:
                    out.latency_s = time.perf_counter() - start
                return out

        return list(await asyncio.gather(*(one(i) for i in batch)))


_HEX_ID = re.compile(r"[0-9a-f]{7,}")


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """`-M key=value` pairs -> dict, with ints, floats and booleans recognised."""
    from seabench.errors import UserError

    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UserError(f"model option {pair!r} must look like key=value")
        key, raw = pair.split("=", 1)
        value: Any = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        elif not _HEX_ID.fullmatch(raw) or raw.isdigit():  # a commit hash like "12e4567" stays a string
            for cast in (int, float):
                try:
                    value = cast(raw)
                    break
                except ValueError:
                    pass
        out[key.strip()] = value
    return out


def model_alias(spec: str, options: dict[str, Any], prefixes: Iterable[str]) -> tuple[str, dict[str, Any]]:
    """Model ids in other harnesses' spelling, in ours: `hf/ORG/NAME` (Inspect) -> `hf:ORG/NAME`, and a
    bare `hf` with the option `pretrained=ORG/NAME` (lm-eval's `--model hf --model_args pretrained=...`)."""
    known = set(prefixes)
    head, slash, rest = spec.partition("/")
    if slash and rest and ":" not in head and head in known:
        spec = f"{head}:{rest}"
    if spec in known and "pretrained" in options:
        options = dict(options)
        spec = f"{spec}:{options.pop('pretrained')}"
    return spec, options


def check_options(model: str, options: dict[str, Any], allowed: set[str]) -> None:
    """Unknown -M options fail loudly instead of being ignored."""
    from seabench.errors import UserError

    unknown = sorted(set(options) - allowed)
    settings = [k for k in unknown if k in GENERATION_KEYS]
    if settings:
        raise UserError(f"{settings[0]} is a generation setting, not a model option: "
                        f"pass it as -G {settings[0]}=VALUE")
    if unknown:
        raise UserError(f"model {model!r} does not take option(s) {', '.join(unknown)}; "
                        f"it takes: {', '.join(sorted(allowed)) or 'none'}")
