"""`hf:ORG/NAME_OR_PATH` — audio-text checkpoints run with transformers.

Covers the Qwen2-Audio family (Qwen2-Audio-Instruct, SeaLLMs-Audio) and any model that
transformers exposes through an auto class (`AutoModelForMultimodalLM`, `AutoModelForSeq2SeqLM`,
`AutoModelForSpeechSeq2Seq`) with a processor chat template: GLM-ASR, AudioFlamingo3, Voxtral,
Gemma 3n, Granite Speech, Qwen2.5-Omni (text output) where their processors' dependencies are
installed. Prompts go through the processor's chat template with control tokens in user text
escaped. Inputs are batched with left padding; decoding is greedy unless the task samples.

Remote code (MERaLiON) runs only for repos on REMOTE_CODE_ALLOWED at a pinned commit: remote
code is arbitrary Python from the hub, so `trust_remote_code` is refused for anything else."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from seabench.models.hf_common import (
    SR,
    LongAudioPlan,
    conversation,
    snapshot_of,
    window_of,
)

from seabench.adapter import ModelAdapter, check_options
from seabench.errors import UserError, require
from seabench.generation import cut_at_stop
from seabench.languages import primary
from seabench.types import (
    ErrorCode,
    GenerationConfig,
    ModelInfo,
    ModelInput,
    ModelOutput,
)

# repo id -> pinned commit. None: allowed, but only at a full commit hash the user passes with
# `-M revision=<40 hex>` (no hash for these repos has been verified by the maintainers yet).
REMOTE_CODE_ALLOWED: dict[str, str | None] = {
    "MERaLiON/MERaLiON-AudioLLM-Whisper-SEA-LION": None,
    "MERaLiON/MERaLiON-2-10B": None,
    "MERaLiON/MERaLiON-2-10B-ASR": None,
    "MERaLiON/MERaLiON-2-3B": None,
}
COMMIT = re.compile(r"[0-9a-f]{40}")
OPTIONS = {"device", "dtype", "batch_size", "max_audio_s", "attn_implementation", "revision", "trust_remote_code"}
AUTO_CLASSES = ("AutoModelForMultimodalLM", "AutoModelForSeq2SeqLM", "AutoModelForSpeechSeq2Seq")
DTYPES = ("float32", "bfloat16", "float16")
# Omni models also speak: ask for text only.
GENERATE_EXTRA: dict[str, dict[str, Any]] = {"qwen2_5_omni": {"return_audio": False},
                                             "qwen3_omni_moe": {"return_audio": False}}
MERALION_TYPES = ("meralion", "meralion2")
MERALION_PROMPT = "Instruction: {prompt} \nFollow the text instruction based on the following audio: <SpeechHere>"


def check_remote_code(model: str, revision: str | None, trust: bool) -> str | None:
    """The revision to load; raises unless remote code is off or the repo is allow-listed and pinned."""
    if not trust:
        return revision
    if model not in REMOTE_CODE_ALLOWED:
        raise UserError(
            f"trust_remote_code is off for {model!r}: remote code runs arbitrary Python from the hub, so seabench "
            f"only enables it for allow-listed repos at a pinned commit ({', '.join(sorted(REMOTE_CODE_ALLOWED))}). "
            "Use a transformers-native checkpoint, or add the repo and a reviewed commit to "
            "REMOTE_CODE_ALLOWED in seabench/models/hf.py")
    pinned = REMOTE_CODE_ALLOWED[model]
    if pinned is not None:
        if revision not in (None, pinned):
            raise UserError(f"{model} runs remote code only at its pinned commit {pinned}, not {revision!r}")
        return pinned
    if revision is None or not COMMIT.fullmatch(revision):
        raise UserError(f"{model} runs remote code only at a pinned commit: pass -M revision=<40-hex commit "
                        f"hash you have reviewed> (got {revision!r}; branch and tag names can move)")
    return revision


def uses_mistral_chat(processor: Any) -> bool:
    """Mistral checkpoints (Voxtral) build chats with mistral-common's own encoder, not a Jinja template;
    it never reads control tokens from message text, so prompts need no escaping there."""
    return type(getattr(processor, "tokenizer", None)).__name__ == "MistralCommonBackend"


def has_chat_template(processor: Any) -> bool:
    tokenizer = getattr(processor, "tokenizer", None)
    return uses_mistral_chat(processor) or bool(getattr(processor, "chat_template", None)
                                                 or getattr(tokenizer, "chat_template", None))


def load_processor(model: str, revision: str | None, trust: bool, *, need_template: bool = True) -> Any:
    """The model's processor, left-padding, with a pad token; fails if it has no chat template
    (unless `need_template` is False: ASR-only models do not take prompts)."""
    transformers = require("transformers", "hf", "the hf: adapter")
    processor = transformers.AutoProcessor.from_pretrained(model, revision=revision, trust_remote_code=trust)
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is not None:
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    if need_template and not has_chat_template(processor):
        raise UserError(f"{model}: its processor has no chat template, which seabench needs to build prompts")
    return processor


class HFAdapter(ModelAdapter):
    neutral_options = frozenset({"batch_size"})  # batched outputs equal one-by-one outputs (tested)
    max_audio_s = None  # long audio is chunked or truncated here, not rejected by the runner

    def __init__(self, model: str, options: dict[str, Any]) -> None:
        torch = require("torch", "hf", "the hf: adapter")
        transformers = require("transformers", "hf", "the hf: adapter")
        self._torch, self._transformers = torch, transformers
        self.id = f"hf:{model}"
        self.model_name = model
        self.warnings: list[str] = []
        trust = bool(options.get("trust_remote_code", False))
        revision = check_remote_code(model, _text(options.get("revision")), trust)
        self.device = _device(torch, str(options.get("device", "auto")))
        self.dtype_name = _dtype_name(str(options.get("dtype", "auto")), self.device)
        self.default_batch_size = int(options.get("batch_size", 8))
        config = transformers.AutoConfig.from_pretrained(model, revision=revision, trust_remote_code=trust)
        self.model_type = str(config.model_type)
        auto = _auto_class(transformers, config, model, trust)
        self.processor = load_processor(model, revision, trust, need_template=False)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        # An encoder-decoder without a chat template (Whisper) only transcribes: prompts are not used.
        self.asr_only = bool(getattr(config, "is_encoder_decoder", False)) and not has_chat_template(self.processor)
        if not self.asr_only and not has_chat_template(self.processor):
            raise UserError(f"{model}: its processor has no chat template, which seabench needs to build prompts")
        if self.asr_only:
            self.warnings.append(f"{self.id} is an ASR-only model: it transcribes the audio and ignores task "
                                 "prompts (use it for ASR tasks or as the ASR side of a cascade)")
        self._template_kwargs = _template_kwargs(self.processor)
        load_args: dict[str, Any] = {"revision": revision, "trust_remote_code": trust,
                                     "dtype": getattr(torch, self.dtype_name)}
        if options.get("attn_implementation"):
            load_args["attn_implementation"] = str(options["attn_implementation"])
        self.model = auto.from_pretrained(model, **load_args).to(self.device).eval()
        limit = options.get("max_audio_s")
        self.window_s = float(limit) if limit is not None else window_of(self.processor)
        self.commit = getattr(self.model.config, "_commit_hash", None)

    def info(self) -> ModelInfo:
        return ModelInfo(
            id=self.id, provider="transformers", snapshot=snapshot_of(self.model_name, self.commit),
            dtype=self.dtype_name, backend_version=f"transformers {self._transformers.__version__}",
            max_audio_s=self.window_s,
            details={"class": type(self.model).__name__, "device": str(self.device),
                     "torch": self._torch.__version__, "asr_only": self.asr_only,
                     "attn_implementation": getattr(self.model.config, "_attn_implementation", None)})

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        plan = LongAudioPlan.build(batch, self.window_s)
        inputs = [p.inp for p in plan.pieces]
        size = max(self.default_batch_size, 1)
        outputs: list[ModelOutput] = []
        for start in range(0, len(inputs), size):
            outputs.extend(self._isolating(inputs[start:start + size], config))
        return plan.merge(outputs)

    def _isolating(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        """Run a batch; if it fails, run its inputs one by one so only the bad one gets an error."""
        try:
            return self._forward(inputs, config)
        except Exception as exc:  # noqa: BLE001 - any failure becomes the sample's error
            if len(inputs) > 1:
                return [out for inp in inputs for out in self._isolating([inp], config)]
            return [ModelOutput(error=f"{type(exc).__name__}: {exc}", error_code=ErrorCode.MODEL_ERROR)]

    def _encode(self, inputs: list[ModelInput], config: GenerationConfig) -> Any:
        if self.model_type in MERALION_TYPES:
            return self._encode_meralion(inputs, config)
        chats = [conversation(inp, config.system_prompt, with_audio=True) for inp in inputs]
        if uses_mistral_chat(self.processor):
            chats = [_audio_as_base64_wav(chat) for chat in chats]
        return self.processor.apply_chat_template(chats, add_generation_prompt=True, tokenize=True, return_dict=True,
                                                  return_tensors="pt", **self._template_kwargs)

    def _encode_meralion(self, inputs: list[ModelInput], config: GenerationConfig) -> Any:
        """MERaLiON's remote processor takes a text prompt with a `<SpeechHere>` marker."""
        texts = []
        for inp in inputs:
            messages = [{"role": "system", "content": config.system_prompt}] if config.system_prompt else []
            messages.append({"role": "user", "content": MERALION_PROMPT.format(prompt=inp.prompt)})
            texts.append(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        return self.processor(text=texts, audios=[w for inp in inputs for w in inp.audio], return_tensors="pt",
                              padding=True)

    def _forward(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        if self.asr_only:
            return self._forward_asr(inputs, config)
        start = time.perf_counter()
        enc = self._encode(inputs, config)
        sequences = self._generate_ids(enc, config, GENERATE_EXTRA.get(self.model_type, {}))
        new = sequences[:, enc["input_ids"].shape[1]:]
        share = (time.perf_counter() - start) / len(inputs)
        prompt_lengths = enc["attention_mask"].sum(dim=1).tolist()
        return [self._output(row.tolist(), int(n_in), share, config.stop) for row, n_in in zip(new, prompt_lengths)]

    def _forward_asr(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        """Transcribe each clip in its sample's language (one generate per language in the batch)."""
        if any(len(inp.audio) != 1 for inp in inputs):
            raise ValueError("an ASR-only model takes exactly one audio clip per sample")
        groups: dict[str | None, list[int]] = {}
        for n, inp in enumerate(inputs):
            groups.setdefault(self._asr_language(inp.language), []).append(n)
        outputs: list[ModelOutput] = [ModelOutput()] * len(inputs)
        prefix = set(getattr(self.tokenizer, "all_special_ids", [])) - self._stop
        for language, members in groups.items():
            start = time.perf_counter()
            enc = self.processor.feature_extractor([inputs[n].audio[0] for n in members], sampling_rate=SR,
                                                   return_tensors="pt", return_attention_mask=True)
            extra = {"language": language, "task": "transcribe"} if language else {}
            sequences = self._generate_ids(dict(enc), config, extra)
            share = (time.perf_counter() - start) / len(members)
            for n, row in zip(members, sequences):
                ids = row.tolist()
                while ids and ids[0] in prefix:  # decoder start, language and task tokens
                    ids.pop(0)
                outputs[n] = self._output(ids, None, share, config.stop)
        return outputs

    def _asr_language(self, language: str) -> str | None:
        """The language code Whisper-style generation forces, or None to let the model detect it."""
        known = getattr(self.model.generation_config, "lang_to_id", None) or {}
        code = primary(language)
        return code if f"<|{code}|>" in known else None

    def _generate_ids(self, enc: dict[str, Any], config: GenerationConfig, extra: dict[str, Any]) -> Any:
        torch = self._torch
        enc = {k: v.to(self.device, dtype=self.model.dtype) if v.is_floating_point() else v.to(self.device)
               for k, v in enc.items() if hasattr(v, "to")}
        sampled = config.sampling
        kwargs: dict[str, Any] = {"max_new_tokens": config.max_new_tokens, "do_sample": sampled,
                                  "pad_token_id": self.tokenizer.pad_token_id, **extra}
        if config.repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = config.repetition_penalty
        if config.stop:  # transformers stops on the strings; the text is cut before them in _output
            kwargs.update(stop_strings=list(config.stop), tokenizer=self.tokenizer)
        if sampled:
            kwargs.update(temperature=config.temperature, top_p=config.top_p)
            torch.manual_seed(config.seed)
        else:  # greedy regardless of sampling defaults in the checkpoint's generation_config.json
            kwargs.update(temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        return getattr(out, "sequences", out[0] if isinstance(out, tuple) else out).cpu()

    @property
    def _stop(self) -> set[int]:
        return _eos_ids(self.model.generation_config, self.tokenizer)

    def _output(self, ids: list[int], n_in: int | None, latency_s: float, stop_strings: tuple[str, ...] = ()) -> ModelOutput:
        stop = self._stop
        end = next((i for i, t in enumerate(ids) if t in stop), None)
        kept = ids if end is None else ids[:end]
        text, hit = cut_at_stop(self.tokenizer.decode(kept, skip_special_tokens=True), stop_strings)
        return ModelOutput(text=text.strip(), finish_reason="length" if end is None and not hit else "stop",
                           input_tokens=n_in,
                           output_tokens=len(kept) + (end is not None), latency_s=latency_s)

    def close(self) -> None:
        model, self.model = getattr(self, "model", None), None
        if model is not None and str(self.device).startswith("cuda"):
            del model
            self._torch.cuda.empty_cache()


def _text(value: Any) -> str | None:
    """-M values that look numeric arrive as numbers; a revision is always text."""
    return None if value is None else str(value)


def _audio_as_base64_wav(chat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """mistral-common takes audio only as a file (url, path or base64), not as samples: a float32
    WAV keeps every sample exact."""
    import base64
    import io

    import soundfile

    def item(content: dict[str, Any]) -> dict[str, Any]:
        if content.get("type") != "audio":
            return content
        buffer = io.BytesIO()
        soundfile.write(buffer, content["audio"], SR, format="WAV", subtype="FLOAT")
        return {"type": "audio", "base64": base64.b64encode(buffer.getvalue()).decode("ascii")}

    return [{**message, "content": [item(c) for c in message["content"]]} for message in chat]


def _template_kwargs(processor: Any) -> dict[str, Any]:
    """Pad only the text (audio features keep the extractor's own padding) and escape control tokens
    in user text, with the keywords this transformers version has."""
    import inspect

    params = inspect.signature(processor.apply_chat_template).parameters
    if "processor_kwargs" not in params:
        return {"padding": True}
    kwargs: dict[str, Any] = {"processor_kwargs": {"text_kwargs": {"padding": True}}}
    if "sanitize_control_tokens" in params:
        kwargs["sanitize_control_tokens"] = True
    return kwargs


def _eos_ids(generation_config: Any, tokenizer: Any) -> set[int]:
    eos = generation_config.eos_token_id if generation_config.eos_token_id is not None else tokenizer.eos_token_id
    return set(eos if isinstance(eos, list) else [eos]) - {None}


def _device(torch: Any, name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device={name} was asked for but torch sees no CUDA device")
    if name != "cpu" and not name.startswith("cuda"):
        raise UserError(f"device must be cpu, cuda, cuda:N or auto, not {name!r}")
    return name


def _dtype_name(name: str, device: str) -> str:
    if name == "auto":
        return "bfloat16" if device.startswith("cuda") else "float32"
    if name not in DTYPES:
        raise UserError(f"dtype must be one of {', '.join(DTYPES)} or auto, not {name!r}")
    return name


def _auto_class(transformers: Any, config: Any, model: str, trust: bool) -> Any:
    """The first generation auto class that maps this config (or that its remote code declares)."""
    remote = getattr(config, "auto_map", None) or {}
    for name in AUTO_CLASSES:
        auto = getattr(transformers, name, None)
        if auto is None:
            continue
        if (trust and name in remote) or type(config) in auto._model_mapping:
            return auto
    raise UserError(f"{model}: transformers {transformers.__version__} has no audio-text generation class for "
                    f"model type {config.model_type!r} (looked in {', '.join(AUTO_CLASSES)})")


def create(spec: str, options: dict[str, Any]) -> HFAdapter:
    model = spec.split(":", 1)[1] if ":" in spec else ""
    if not model:
        raise UserError("the hf: adapter needs a model: hf:ORG/NAME or hf:/path/to/checkpoint")
    check_options(spec, options, OPTIONS)
    if model.startswith(("/", ".", "~")) and not Path(model).expanduser().is_dir():
        raise UserError(f"no checkpoint folder at {model}")
    return HFAdapter(str(Path(model).expanduser()) if Path(model).expanduser().is_dir() else model, options)
