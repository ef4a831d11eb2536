"""`vllm:ORG/NAME_OR_PATH` — vLLM's offline engine (`vllm.LLM`) with audio as multi-modal data.

The runner hands over all of a task's prompts at once (`default_batch_size` is large) so vLLM
schedules them itself. `-M` options other than `max_audio_s` are vLLM engine arguments
(`-M tensor_parallel_size=2 -M max_model_len=8192 -M gpu_memory_utilization=0.8` ...), checked
against the fields of `vllm.EngineArgs` before the engine starts. Prompts are rendered with the
model's processor chat template, the same conversation the `hf:` adapter builds."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from seabench.models.hf import check_remote_code, load_processor
from seabench.models.hf_common import (
    SR,
    LongAudioPlan,
    conversation,
    snapshot_of,
    window_of,
)

from seabench.adapter import ModelAdapter
from seabench.errors import MissingExtra, UserError, unknown_name
from seabench.types import (
    ErrorCode,
    GenerationConfig,
    ModelInfo,
    ModelInput,
    ModelOutput,
)

ADAPTER_OPTIONS = {"max_audio_s"}


class VllmAdapter(ModelAdapter):
    """One engine for the adapter's lifetime; `close()` shuts it down."""

    default_batch_size = 10_000
    max_audio_s = None  # long audio is chunked or truncated here, not rejected by the runner

    def __init__(self, model: str, engine_args: dict[str, Any], max_audio_s: float | None) -> None:
        import vllm

        self.id = f"vllm:{model}"
        self.model = model
        self.engine_args = engine_args
        self.warnings: list[str] = []
        self.processor = load_processor(model, engine_args.get("revision"), bool(engine_args.get("trust_remote_code")))
        self.window_s = max_audio_s if max_audio_s is not None else window_of(self.processor)
        self._vllm = vllm
        self.llm: Any = vllm.LLM(model=model, **engine_args)
        self._commit = _hub_commit(model, engine_args.get("revision"), bool(engine_args.get("trust_remote_code")))

    def info(self) -> ModelInfo:
        return ModelInfo(id=self.id, provider="vllm", snapshot=snapshot_of(self.model, self._commit),
                         dtype=str(self.engine_args.get("dtype", "auto")), backend_version=self._vllm.__version__,
                         max_audio_s=self.window_s,
                         details={"engine_args": {k: v for k, v in sorted(self.engine_args.items())}})

    def request(self, inp: ModelInput, config: GenerationConfig) -> dict[str, Any]:
        """The prompt dict `LLM.generate` takes for one input (public: the CPU check reuses it)."""
        prompt = self.processor.apply_chat_template(conversation(inp, config.system_prompt, with_audio=False),
                                                    add_generation_prompt=True, tokenize=False)
        req: dict[str, Any] = {"prompt": prompt}
        if inp.audio:
            req["multi_modal_data"] = {"audio": [(wave, SR) for wave in inp.audio]}
        return req

    def sampling(self, config: GenerationConfig) -> Any:
        sampled = config.sampling
        return self._vllm.SamplingParams(max_tokens=config.max_new_tokens,
                                         temperature=config.temperature if sampled else 0.0,
                                         top_p=config.top_p if sampled else 1.0,
                                         seed=config.seed if sampled else None,
                                         repetition_penalty=config.repetition_penalty, stop=list(config.stop))

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        plan = LongAudioPlan.build(batch, self.window_s)
        requests = [self.request(p.inp, config) for p in plan.pieces]
        params = self.sampling(config)
        start = time.perf_counter()
        try:
            results = self.llm.generate(requests, params, use_tqdm=False)
        except Exception:  # noqa: BLE001 - one bad request fails the whole call: retry one by one to isolate it
            return plan.merge([self._one(req, params) for req in requests])
        share = (time.perf_counter() - start) / max(len(requests), 1)
        return plan.merge([_output(r, share) for r in results])

    def _one(self, request: dict[str, Any], params: Any) -> ModelOutput:
        start = time.perf_counter()
        try:
            [result] = self.llm.generate([request], params, use_tqdm=False)
        except Exception as exc:  # noqa: BLE001 - any failure becomes the sample's error
            return ModelOutput(error=f"{type(exc).__name__}: {exc}", error_code=ErrorCode.MODEL_ERROR)
        return _output(result, time.perf_counter() - start)

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            shutdown = getattr(getattr(llm, "llm_engine", None), "shutdown", None)
            if callable(shutdown):
                shutdown()


def _output(result: Any, latency_s: float) -> ModelOutput:
    completion = result.outputs[0]
    return ModelOutput(text=completion.text, finish_reason=completion.finish_reason,
                       input_tokens=len(result.prompt_token_ids or []), output_tokens=len(completion.token_ids),
                       latency_s=latency_s)


def _hub_commit(model: str, revision: str | None, trust: bool) -> str | None:
    """The commit a hub id resolves to (from the local hub cache); None for a local folder."""
    if Path(model).expanduser().is_dir():
        return None
    from transformers import AutoConfig

    return getattr(AutoConfig.from_pretrained(model, revision=revision, trust_remote_code=trust), "_commit_hash", None)


def engine_arg_names(vllm: Any) -> set[str]:
    return {f.name for f in dataclasses.fields(vllm.EngineArgs)}


def create(spec: str, options: dict[str, Any]) -> VllmAdapter:
    model = spec.split(":", 1)[1] if ":" in spec else ""
    if not model:
        raise UserError("the vllm: adapter needs a model: vllm:ORG/NAME or vllm:/path/to/checkpoint")
    try:
        import vllm
    except ImportError as exc:
        raise MissingExtra("vllm", "vllm", "the vllm: adapter") from exc
    engine_args = {k: v for k, v in options.items() if k not in ADAPTER_OPTIONS}
    known = engine_arg_names(vllm) - {"model"}
    for name in engine_args:
        if name not in known:
            raise unknown_name("vLLM engine argument", name, known | ADAPTER_OPTIONS)
    revision = check_remote_code(model, engine_args.get("revision"), bool(engine_args.get("trust_remote_code")))
    if revision is not None:
        engine_args["revision"] = revision  # the pinned commit of an allow-listed remote-code repo
    max_audio_s = options.get("max_audio_s")
    return VllmAdapter(model, engine_args, float(max_audio_s) if max_audio_s is not None else None)
