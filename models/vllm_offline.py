"""`vllm:ORG/NAME_OR_PATH` — vLLM's offline engine (`vllm.LLM`) with audio as multi-modal data.

The runner hands over all of a task's prompts at once (`default_batch_size` is large) so vLLM
schedules them itself. `-M` options other than `max_audio_s`, `code_sha256` and `prompt_template` are
vLLM engine arguments
(`-M tensor_parallel_size=2 -M max_model_len=8192 -M gpu_memory_utilization=0.8` ...), checked
against the fields of `vllm.EngineArgs` before the engine starts. Prompts are rendered with the
model's processor chat template, the same conversation the `hf:` adapter builds, or with the family's
official wrapper from models/prompts.py (MERaLiON: `-M prompt_template=meralion2`, chosen automatically
from the checkpoint's model type; MERaLiON needs the MERaLiON vLLM plugin, see docs/MODELS.md).
With `-M disable_log_stats=false` each output's timing holds vLLM's own queue, prefill and decode seconds."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from seabench.models import prompts
from seabench.models.hf import as_text, load_processor
from seabench.models.hf_checkpoint import Checkpoint, resolve
from seabench.models.hf_common import (
    SR,
    LongAudioPlan,
    conversation,
    snapshot_of,
    window_of,
)

from seabench.adapter import ALL_GENERATION_KEYS, ModelAdapter
from seabench.errors import MissingExtra, UserError, unknown_name
from seabench.types import (
    ErrorCode,
    GenerationConfig,
    ModelInfo,
    ModelInput,
    ModelOutput,
)

ADAPTER_OPTIONS = {"max_audio_s", "code_sha256", "prompt_template"}


class VllmAdapter(ModelAdapter):
    """One engine for the adapter's lifetime, started on first use (`load()`), so a driver whose Ray replicas
    generate (--executor ray) or a fully cached run never starts one; `close()` shuts it down."""

    default_batch_size = 10_000
    max_audio_s = None  # long audio is chunked or truncated here, not rejected by the runner

    def __init__(self, checkpoint: Checkpoint, engine_args: dict[str, Any], max_audio_s: float | None,
                 prompt_template: str | None = None) -> None:
        import vllm

        self.id = f"vllm:{checkpoint.name}"
        self.checkpoint = checkpoint
        self.engine_args = engine_args
        self.warnings: list[str] = []
        self.template = prompts.choose(prompt_template, checkpoint.name, checkpoint.model_type)
        raw = self.template is not None and self.template.raw is not None  # a text prompt needs no chat template
        self.processor = load_processor(str(checkpoint.folder), checkpoint.trust_remote_code, need_template=not raw)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        if self.template is not None and not self.template.system_turn:
            self.generation_keys = ALL_GENERATION_KEYS - {"system_prompt"}
        self.window_s = max_audio_s if max_audio_s is not None else window_of(self.processor)
        self._vllm = vllm
        self._llm: Any = None

    def load(self) -> None:
        if self._llm is None:
            self._llm = self._vllm.LLM(model=str(self.checkpoint.folder), **self.engine_args)

    @property
    def llm(self) -> Any:
        self.load()
        return self._llm

    def info(self) -> ModelInfo:
        commit = None if self.checkpoint.is_local else self.checkpoint.commit
        details: dict[str, Any] = {"engine_args": {k: v for k, v in sorted(self.engine_args.items())}}
        if self.template is not None:
            details.update(prompt_template=self.template.name, prompt_source=self.template.source)
        return ModelInfo(id=self.id, provider="vllm", snapshot=snapshot_of(self.checkpoint.name, commit),
                         dtype=str(self.engine_args.get("dtype", "auto")), backend_version=self._vllm.__version__,
                         max_audio_s=self.window_s, details=details)

    def request(self, inp: ModelInput, config: GenerationConfig) -> dict[str, Any]:
        """The prompt dict `LLM.generate` takes for one input (public: the CPU check reuses it)."""
        template = self.template
        system = config.system_prompt if config.system_prompt is not None else getattr(template, "system", None)
        if template is not None and template.raw is not None:
            prompt = template.raw_text(inp.prompt, len(inp.audio), system)
        elif template is not None and template.user is not None:
            text = template.user_text(inp.prompt) if inp.audio else inp.prompt
            messages = [{"role": "system", "content": system}] if system else []
            prompt = self.tokenizer.apply_chat_template([*messages, {"role": "user", "content": text}],
                                                        add_generation_prompt=True, tokenize=False)
        else:
            prompt = self.processor.apply_chat_template(conversation(inp, system, with_audio=False),
                                                        add_generation_prompt=True, tokenize=False)
        req: dict[str, Any] = {"prompt": _without_bos(prompt, self.tokenizer)}
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
        llm, self._llm = getattr(self, "_llm", None), None
        if llm is not None:
            shutdown = getattr(getattr(llm, "llm_engine", None), "shutdown", None)
            if callable(shutdown):
                shutdown()


def _output(result: Any, latency_s: float) -> ModelOutput:
    completion = result.outputs[0]
    return ModelOutput(text=completion.text, finish_reason=completion.finish_reason,
                       input_tokens=len(result.prompt_token_ids or []), output_tokens=len(completion.token_ids),
                       latency_s=latency_s, timing=request_timing(getattr(result, "metrics", None)))


# vLLM's per-request timestamps: V1's RequestStateStats, then V0's RequestMetrics (vLLM <= 0.10)
_STAMPS = (("queued_ts", "scheduled_ts", "first_token_ts", "last_token_ts"),
           ("arrival_time", "first_scheduled_time", "first_token_time", "last_token_time"))


def request_timing(metrics: Any) -> dict[str, float]:
    """Queue, prefill (scheduled to first token) and decode (first to last token) seconds of one request,
    as vLLM measures them. The engine keeps them only when it logs stats: `-M disable_log_stats=false`."""
    for names in _STAMPS:
        stamps = [getattr(metrics, name, None) for name in names]
        if all(isinstance(t, (int, float)) and t > 0 for t in stamps):
            queued, scheduled, first, last = stamps
            return {"queue_s": scheduled - queued, "prefill_s": first - scheduled, "decode_s": last - first}
    return {}


def _without_bos(prompt: str, tokenizer: Any) -> str:
    """vLLM tokenises a text prompt with the tokenizer's special tokens: a template that writes the BOS
    itself (Gemma's, so MERaLiON's) would start with two; the official MERaLiON example writes none."""
    bos = getattr(tokenizer, "bos_token", None)
    if not bos or not prompt.startswith(bos):
        return prompt
    adds_bos = tokenizer("a")["input_ids"][:1] == [tokenizer.bos_token_id]
    return prompt[len(bos):] if adds_bos else prompt


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
    if "data_parallel_size" in engine_args:  # the in-process engine would run one replica and ignore it
        raise UserError("-M data_parallel_size is not for the in-process vLLM engine; for data parallelism run "
                        "replicas: --executor ray --replicas N (tensor_parallel_size still applies inside each)")
    known = engine_arg_names(vllm) - {"model"}
    for name in engine_args:
        if name not in known:
            raise unknown_name("vLLM engine argument", name, known | ADAPTER_OPTIONS)
    checkpoint = resolve(model, as_text(engine_args.pop("revision", None)), bool(engine_args.get("trust_remote_code")),
                         as_text(options.get("code_sha256")))
    max_audio_s = options.get("max_audio_s")
    template = options.get("prompt_template")
    return VllmAdapter(checkpoint, engine_args, float(max_audio_s) if max_audio_s is not None else None,
                       None if template is None else str(template))
