"""`reference` / `reference:PATH` — the included reference LALM inside the harness.

`reference` loads the embedded tiny checkpoint shipped in `seabench/models/reference/checkpoint/`;
`reference:PATH` loads any folder in the reference format or a Qwen2-Audio-format checkpoint
(converted on load). Each harness batch is one call into the model's own batched generation, at the
size the runner chose (never split again here): clips grouped by length, the encoder run once per
group, left-padded prompts decoded with a KV cache. Weights are loaded on the first batch the
response cache cannot answer (`load()`), so a fully cached run never loads torch or the model.
Greedy unless the task samples (temperature > 0). Audio longer than the model's window follows the
harness-wide policy of `hf_common.LongAudioPlan` (ASR split at quiet points, anything else truncated).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import time
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seabench.models.hf_common import LongAudioPlan

from seabench.adapter import ALL_GENERATION_KEYS, ModelAdapter, check_options
from seabench.errors import MissingExtra, UserError
from seabench.generation import cut_at_stop
from seabench.types import (
    ErrorCode,
    GenerationConfig,
    ModelInfo,
    ModelInput,
    ModelOutput,
)

if TYPE_CHECKING:
    from seabench.models.reference.inference import ReferenceLALM

EMBEDDED = Path(__file__).resolve().parent / "reference" / "checkpoint"
# Smaller embedded checkpoints, `reference:NAME` (a folder of that name needs `reference:./NAME`).
VARIANTS = {"tiny": Path(__file__).resolve().parent / "reference" / "checkpoint-tiny"}
OPTIONS = {"device", "dtype", "batch_size", "max_audio_s", "threads"}
DTYPES = ("float32", "bfloat16", "float16")
WEIGHT_SUFFIXES = (".safetensors", ".bin")


class ReferenceAdapter(ModelAdapter):
    default_batch_size = 16
    neutral_options = frozenset({"threads", "batch_size"})  # batched outputs equal one-by-one outputs (tested)

    def __init__(
        self,
        folder: Path,
        model_id: str = "reference",
        *,
        device: str = "auto",
        dtype: str | None = None,
        batch_size: int = 16,
        max_audio_s: float | None = None,
        threads: int | None = None,
    ) -> None:
        if dtype is not None and dtype not in DTYPES:
            raise UserError(f"reference: dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
        if not (folder / "config.json").is_file():
            raise UserError(f"reference: {folder} is not a checkpoint folder (no config.json)")
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
            raise MissingExtra("torch", "reference", "the reference model")
        self.id = model_id
        self.folder = folder
        self.default_batch_size = batch_size
        self.max_audio_s = max_audio_s  # a hard limit the runner enforces; None = handle long audio here
        self._device, self._dtype, self._threads = device, dtype, threads
        self._lalm: ReferenceLALM | None = None
        self._raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if not _takes_system_prompt(self._raw):  # MERaLiON's Gemma template has no system turn
            self.generation_keys = ALL_GENERATION_KEYS - {"system_prompt"}
        self._snapshot = checkpoint_digest(folder)
        self.warnings: list[str] = []

    def load(self) -> None:
        if self._lalm is not None:
            return
        import torch

        from seabench.models.reference.inference import ReferenceLALM
        from seabench.models.reference.train import resolve_device

        if self._threads:
            torch.set_num_threads(int(self._threads))
        self._lalm = ReferenceLALM.from_pretrained(self.folder, device=resolve_device(self._device), dtype=self._dtype,
                                                   batch_size=self.default_batch_size)

    @property
    def lalm(self) -> ReferenceLALM:
        """The loaded model (loaded now if it was not yet)."""
        self.load()
        assert self._lalm is not None
        return self._lalm

    @property
    def window_s(self) -> float:
        """Audio longer than this is cut into windows (or truncated) before the model sees it."""
        return float(self.lalm.model.config.max_audio_seconds)

    def info(self) -> ModelInfo:
        """Identity from the checkpoint's files; dtype, parameters and architecture once loaded (a run
        answered entirely from the response cache never loads the model, and records only this)."""
        details: dict[str, Any] = {"folder": str(self.folder), "loaded": self._lalm is not None}
        dtype = self._dtype
        if self._lalm is not None:
            config = self._lalm.model.config
            dtype = str(self._lalm.dtype).removeprefix("torch.")
            details.update({"source": config.source or config.format, "encoder": config.encoder.kind,
                            "adapter": config.adapter.kind, "decoder": config.decoder.get("model_type"),
                            "parameters": sum(p.numel() for p in self._lalm.model.parameters()),
                            "audio_window_s": self.window_s})
        return ModelInfo(
            id=self.id,
            provider="seabench-reference",
            snapshot=f"sha256:{self._snapshot}",
            dtype=dtype,
            backend_version=f"torch {version('torch')}, transformers {version('transformers')}",
            max_audio_s=self.max_audio_s,
            details=details,
        )

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        plan = LongAudioPlan.build(batch, self.window_s)
        pieces = [piece.inp for piece in plan.pieces]
        self.lalm.batch_size = max(len(pieces), 1)  # the runner sized this batch: one call, never re-split
        start = time.perf_counter()
        try:
            results = self.lalm.generate(
                [p.audio for p in pieces],
                [p.prompt for p in pieces],
                max_new_tokens=config.max_new_tokens,
                temperature=config.temperature if config.sampling else 0.0,
                top_p=config.top_p,
                seed=config.seed,
                system_prompt=config.system_prompt,
                repetition_penalty=config.repetition_penalty,
            )
        except Exception as exc:  # noqa: BLE001 - one failed batch is recorded per sample, never raised
            message = f"{type(exc).__name__}: {exc}"
            return [ModelOutput(error=message, error_code=ErrorCode.MODEL_ERROR) for _ in batch]
        latency = time.perf_counter() - start  # every sample of a batch waits for the whole batch
        outputs = []
        for r in results:
            text, hit = cut_at_stop(r.text, config.stop)
            outputs.append(ModelOutput(text=text, finish_reason="stop" if hit else r.finish_reason,
                                       input_tokens=r.n_input_tokens, output_tokens=r.n_output_tokens,
                                       latency_s=latency, timing={"prefill_s": r.prefill_s, "decode_s": r.decode_s}))
        return plan.merge(outputs)


def _takes_system_prompt(raw: dict[str, Any]) -> bool:
    """Whether the checkpoint's chat template has a system turn, from its config.json alone (the
    prompt template a loaded model would use: named by a native folder, MERaLiON's for MERaLiON)."""
    from seabench.models.prompts import TEMPLATES

    name = raw.get("prompt_template") or raw.get("model_type")
    return name not in TEMPLATES or TEMPLATES[name].system_turn


def checkpoint_digest(folder: Path) -> str:
    """sha256 over config.json and every weight file, so a retrained checkpoint never hits old cache entries."""
    digest = hashlib.sha256()
    files = [folder / "config.json", *sorted(p for p in folder.iterdir() if p.name.endswith(WEIGHT_SUFFIXES))]
    for path in files:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def resolve_folder(spec: str) -> Path:
    """`reference` -> the embedded checkpoint; `reference:tiny` -> an embedded variant; `reference:PATH` -> PATH."""
    _, _, path = spec.partition(":")
    if not path or path in VARIANTS:
        embedded = VARIANTS[path] if path else EMBEDDED
        if not (embedded / "config.json").is_file():
            raise UserError(f"the embedded reference checkpoint is missing from {embedded}; reinstall seabench")
        return embedded
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise UserError(f"reference: no checkpoint folder at {folder}")
    return folder


def create(spec: str, options: dict[str, Any]) -> ReferenceAdapter:
    check_options("reference", options, OPTIONS)
    folder = resolve_folder(spec)

    def number(key: str, kind: type) -> Any:
        value = options.get(key)
        return None if value is None else kind(value)

    return ReferenceAdapter(
        folder,
        model_id=spec,
        device=str(options.get("device", "auto")),
        dtype=options.get("dtype"),
        batch_size=number("batch_size", int) or ReferenceAdapter.default_batch_size,
        max_audio_s=number("max_audio_s", float),
        threads=number("threads", int),
    )
