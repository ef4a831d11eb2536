"""`hf:ORG/NAME_OR_PATH` — audio-text checkpoints run with transformers, prompted the way their
authors prompt them (models/prompts.py names the official file of every prompt).

Five ways in, chosen from the checkpoint:
- chat (default): the processor's chat template, clips first then the task prompt (Qwen2-Audio,
  SeaLLMs-Audio, GLM-ASR, Voxtral ...; Qwen2.5-Omni with its official system prompt, text output only);
- wrapped: a fixed user-turn wrapper with an audio marker the processor expands, rendered by the
  tokenizer's chat template (MERaLiON v1/v2, whose remote processor takes `text=..., audios=...`);
- raw: the whole prompt as text for processors without a chat template (Phi-4-multimodal remote code);
- asr: encoder-decoders without a chat template (Whisper) transcribe in the sample's language, or the
  one forced with `-G language=th` (`-G language=auto` lets the model detect it);
- ctc: CTC recognisers (`AutoModelForCTC`: wav2vec2 / XLS-R fine-tuned for ASR), greedy CTC decoding.

A hub id is read from the local Hugging Face cache only, and remote code runs only for allow-listed,
pinned checkpoints (models/hf_checkpoint.py). Inputs are batched with left padding; decoding is greedy
unless the task samples."""

from __future__ import annotations

import itertools
import time
from typing import Any

from seabench.models import prompts
from seabench.models.hf_checkpoint import Checkpoint, resolve
from seabench.models.hf_common import (
    SR,
    LongAudioPlan,
    conversation,
    snapshot_of,
    window_of,
)

from seabench.adapter import ALL_GENERATION_KEYS, ModelAdapter, check_options
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

OPTIONS = {"device", "dtype", "batch_size", "max_audio_s", "attn_implementation", "revision", "trust_remote_code",
           "code_sha256", "prompt_template"}
AUTO_CLASSES = ("AutoModelForMultimodalLM", "AutoModelForSeq2SeqLM", "AutoModelForSpeechSeq2Seq", "AutoModelForCTC")
REMOTE_AUTO_CLASSES = (*AUTO_CLASSES, "AutoModelForCausalLM")  # Phi-4-multimodal's remote code is a causal LM
DTYPES = ("float32", "bfloat16", "float16")
# Omni models also speak: ask for text only.
GENERATE_EXTRA: dict[str, dict[str, Any]] = {"qwen2_5_omni": {"return_audio": False},
                                             "qwen3_omni_moe": {"return_audio": False}}
AUTO_LANGUAGE = "auto"
CTC_KEYS = frozenset({"max_new_tokens", "seed", "stop"})


def uses_mistral_chat(processor: Any) -> bool:
    """Mistral checkpoints (Voxtral) build chats with mistral-common's own encoder, not a Jinja template;
    it never reads control tokens from message text, so prompts need no escaping there."""
    return type(getattr(processor, "tokenizer", None)).__name__ == "MistralCommonBackend"


def has_chat_template(processor: Any) -> bool:
    tokenizer = getattr(processor, "tokenizer", None)
    return uses_mistral_chat(processor) or bool(getattr(processor, "chat_template", None)
                                                 or getattr(tokenizer, "chat_template", None))


def load_processor(folder: str, trust: bool, *, need_template: bool = True) -> Any:
    """The model's processor, left-padding, with a pad token; fails if it has no chat template
    (unless `need_template` is False: ASR-only models do not take prompts)."""
    transformers = require("transformers", "hf", "the hf: adapter")
    try:
        processor = transformers.AutoProcessor.from_pretrained(folder, trust_remote_code=trust)
    except Exception as exc:  # e.g. Qwen2.5-Omni's video processor without torchvision: one line, not a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise UserError(f"{folder}: its processor cannot be loaded here ({type(exc).__name__}: {first})") from None
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is not None:
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    if need_template and not has_chat_template(processor):
        raise UserError(f"{folder}: its processor has no chat template, which seabench needs to build prompts")
    return processor


class HFAdapter(ModelAdapter):
    neutral_options = frozenset({"batch_size"})  # batched outputs equal one-by-one outputs (tested)
    max_audio_s = None  # long audio is chunked or truncated here, not rejected by the runner

    def __init__(self, checkpoint: Checkpoint, options: dict[str, Any]) -> None:
        torch = require("torch", "hf", "the hf: adapter")
        transformers = require("transformers", "hf", "the hf: adapter")
        self._torch, self._transformers = torch, transformers
        self.checkpoint = checkpoint
        self.id = f"hf:{checkpoint.name}"
        self.warnings: list[str] = []
        trust = checkpoint.trust_remote_code
        folder = str(checkpoint.folder)
        self.device = _device(torch, str(options.get("device", "auto")))
        self.dtype_name = _dtype_name(str(options.get("dtype", "auto")), self.device)
        self.default_batch_size = int(options.get("batch_size", 8))
        config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=trust)
        self.model_type = str(config.model_type)
        auto = _auto_class(transformers, config, checkpoint.name, trust)
        self.processor = load_processor(folder, trust, need_template=False)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.template = prompts.choose(options.get("prompt_template"), model_type=self.model_type)
        self.kind = self._kind(auto, config)
        self.generation_keys = self._generation_keys()
        load_args: dict[str, Any] = {"trust_remote_code": trust, "dtype": getattr(torch, self.dtype_name)}
        if options.get("attn_implementation"):
            load_args["attn_implementation"] = str(options["attn_implementation"])
        self.model = getattr(transformers, auto).from_pretrained(folder, **load_args).to(self.device).eval()
        limit = options.get("max_audio_s")
        self.window_s = float(limit) if limit is not None else window_of(self.processor)
        self._details = self._describe()

    def _describe(self) -> dict[str, Any]:
        """Model details for the manifest, read once (info() stays valid after close())."""
        details: dict[str, Any] = {
            "class": type(self.model).__name__, "device": str(self.device), "torch": self._torch.__version__,
            "asr_only": self.asr_only, "input": self.kind,
            "attn_implementation": getattr(self.model.config, "_attn_implementation", None)}
        if self.template is not None:
            details.update(prompt_template=self.template.name, prompt_source=self.template.source)
        if self.checkpoint.trust_remote_code:
            details["remote_code"] = True
        return details

    def _kind(self, auto: str, config: Any) -> str:
        if auto == "AutoModelForCTC":
            return "ctc"
        if self.template is not None and self.template.raw is not None:
            return "raw"
        if self.template is not None and self.template.user is not None:
            return "wrapped"
        if has_chat_template(self.processor):
            return "chat"
        if getattr(config, "is_encoder_decoder", False):
            self.warnings.append(f"{self.id} is an ASR-only model: it transcribes the audio and ignores task "
                                 "prompts (use it for ASR tasks or as the ASR side of a cascade)")
            return "asr"
        raise UserError(f"{self.checkpoint.name}: its processor has no chat template, which seabench needs to "
                        "build prompts")

    def _generation_keys(self) -> frozenset[str]:
        if self.kind == "ctc":
            return CTC_KEYS
        if self.kind == "asr":
            return (ALL_GENERATION_KEYS - {"system_prompt"}) | {"extra.language"}
        if self.template is not None and not self.template.system_turn:
            return ALL_GENERATION_KEYS - {"system_prompt"}
        return ALL_GENERATION_KEYS

    @property
    def asr_only(self) -> bool:
        return self.kind in ("asr", "ctc")

    def info(self) -> ModelInfo:
        commit = self.checkpoint.commit if not self.checkpoint.is_local else None
        return ModelInfo(
            id=self.id, provider="transformers", snapshot=snapshot_of(self.checkpoint.name, commit),
            dtype=self.dtype_name, backend_version=f"transformers {self._transformers.__version__}",
            max_audio_s=self.window_s, details=dict(self._details))

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        plan = LongAudioPlan.build(batch, self.window_s)
        inputs = [p.inp for p in plan.pieces]
        size = 1 if self.kind == "raw" else max(self.default_batch_size, 1)  # the official raw path is one by one
        outputs: list[ModelOutput | None] = [None] * len(inputs)
        # a processor given text and audio lists pairs them in order: text-only inputs go in their own batches
        for _, group in itertools.groupby(sorted(range(len(inputs)), key=lambda i: not inputs[i].audio),
                                          key=lambda i: not inputs[i].audio):
            members = list(group)
            for start in range(0, len(members), size):
                part = members[start:start + size]
                for i, out in zip(part, self._isolating([inputs[i] for i in part], config)):
                    outputs[i] = out
        return plan.merge([out for out in outputs if out is not None])

    def _isolating(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        """Run a batch; if it fails, run its inputs one by one so only the bad one gets an error."""
        try:
            return self._forward(inputs, config)
        except Exception as exc:  # noqa: BLE001 - any failure becomes the sample's error
            if len(inputs) > 1:
                return [out for inp in inputs for out in self._isolating([inp], config)]
            return [ModelOutput(error=f"{type(exc).__name__}: {exc}", error_code=ErrorCode.MODEL_ERROR)]

    # -- prompts ---------------------------------------------------------------------------------
    def _system(self, config: GenerationConfig) -> str | None:
        """The task's system prompt, else the family's official one (Qwen2.5-Omni)."""
        if config.system_prompt is not None:
            return config.system_prompt
        return self.template.system if self.template is not None else None

    def _encode(self, inputs: list[ModelInput], config: GenerationConfig) -> Any:
        if self.kind == "wrapped":
            return self._encode_wrapped(inputs, config)
        if self.kind == "raw":
            return self._encode_raw(inputs, config)
        chats = [conversation(inp, self._system(config), with_audio=True) for inp in inputs]
        if uses_mistral_chat(self.processor):
            chats = [_audio_as_base64_wav(chat) for chat in chats]
        return self.processor.apply_chat_template(chats, add_generation_prompt=True, tokenize=True, return_dict=True,
                                                  return_tensors="pt", **_template_kwargs(self.processor))

    def wrapped_text(self, inp: ModelInput, config: GenerationConfig) -> str:
        """The chat-templated text of one input with the family's user-turn wrapper (public: tests
        compare it with the official script's string)."""
        assert self.template is not None
        if self.template.max_clips is not None and len(inp.audio) > self.template.max_clips:
            raise ValueError(f"{self.template.name} takes at most {self.template.max_clips} audio clip per prompt")
        text = self.template.user_text(inp.prompt) if inp.audio else inp.prompt
        messages = [{"role": "system", "content": config.system_prompt}] if config.system_prompt else []
        messages.append({"role": "user", "content": text})
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def _encode_wrapped(self, inputs: list[ModelInput], config: GenerationConfig) -> Any:
        """MERaLiON's processor takes the templated text and the waveforms, and expands `<SpeechHere>`."""
        texts = [self.wrapped_text(inp, config) for inp in inputs]
        waves = [wave for inp in inputs for wave in inp.audio]
        return self.processor(text=texts, audios=waves) if waves else self.processor(text=texts)

    def _encode_raw(self, inputs: list[ModelInput], config: GenerationConfig) -> Any:
        """Phi-4-multimodal's way: `<|user|><|audio_1|>...<|end|><|assistant|>`, clips as (array, rate)."""
        assert self.template is not None
        [inp] = inputs
        text = self.template.raw_text(inp.prompt, len(inp.audio), self._system(config))
        audios = [(wave, SR) for wave in inp.audio] or None
        return self.processor(text=text, audios=audios, return_tensors="pt")

    # -- generation ------------------------------------------------------------------------------
    def _forward(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        if self.kind == "asr":
            return self._forward_asr(inputs, config)
        if self.kind == "ctc":
            return self._forward_ctc(inputs, config)
        start = time.perf_counter()
        enc = self._encode(inputs, config)
        sequences = self._generate_ids(enc, config, GENERATE_EXTRA.get(self.model_type, {}))
        new = sequences[:, enc["input_ids"].shape[1]:]
        share = (time.perf_counter() - start) / len(inputs)
        prompt_lengths = enc["attention_mask"].sum(dim=1).tolist()
        return [self._output(row.tolist(), int(n_in), share, config.stop) for row, n_in in zip(new, prompt_lengths)]

    def _forward_asr(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        """Transcribe each clip in its language (one generate per language in the batch)."""
        _one_clip_each(inputs)
        groups: dict[str | None, list[int]] = {}
        for n, inp in enumerate(inputs):
            groups.setdefault(self._asr_language(inp.language, config), []).append(n)
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

    def _asr_language(self, language: str, config: GenerationConfig) -> str | None:
        """The language Whisper-style generation forces: `-G language=` if given (`auto`: none), else the
        sample's language when the model has a token for it, else None (the model detects it)."""
        known = getattr(self.model.generation_config, "lang_to_id", None) or {}
        forced = config.extra.get("language")
        if forced is not None:
            code = str(forced)
            if code == AUTO_LANGUAGE:
                return None
            if f"<|{code}|>" not in known:
                codes = sorted(k.strip("<|>") for k in known)
                raise ValueError(f"-G language={code}: this model has no language token for it; it knows "
                                 f"{', '.join(codes) or 'none'} (or auto)")
            return code
        code = primary(language)
        return code if f"<|{code}|>" in known else None

    def _forward_ctc(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        """Greedy CTC: the best label per frame, repeats merged, blanks dropped. Extractors without an
        attention mask (group-norm wav2vec2) see one clip at a time, as padding would change their input."""
        _one_clip_each(inputs)
        torch = self._torch
        extractor = self.processor.feature_extractor
        masked = bool(getattr(extractor, "return_attention_mask", False))
        groups = [inputs] if masked else [[inp] for inp in inputs]
        outputs: list[ModelOutput] = []
        for group in groups:
            start = time.perf_counter()
            enc = extractor([inp.audio[0] for inp in group], sampling_rate=SR, return_tensors="pt", padding=True,
                            return_attention_mask=masked)
            enc = {k: v.to(self.device, dtype=self.model.dtype) if v.is_floating_point() else v.to(self.device)
                   for k, v in enc.items()}
            with torch.inference_mode():
                labels = self.model(**enc).logits.argmax(-1).cpu()
            if masked:
                frames = self.model._get_feat_extract_output_lengths(enc["attention_mask"].sum(-1)).tolist()
            else:
                frames = [labels.shape[1]] * len(group)
            share = (time.perf_counter() - start) / len(group)
            outputs.extend(self._ctc_output(row[:n].tolist(), share, config) for row, n in zip(labels, frames))
        return outputs

    def _ctc_output(self, labels: list[int], latency_s: float, config: GenerationConfig) -> ModelOutput:
        blank = self.tokenizer.pad_token_id
        tokens = [label for label, _ in itertools.groupby(labels) if label != blank]
        cut = len(tokens) > config.max_new_tokens
        tokens = tokens[:config.max_new_tokens]
        text, hit = cut_at_stop(self.tokenizer.decode(tokens, group_tokens=False), config.stop)
        return ModelOutput(text=text.strip(), finish_reason="length" if cut and not hit else "stop",
                           output_tokens=len(tokens), latency_s=latency_s)

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


def _one_clip_each(inputs: list[ModelInput]) -> None:
    if any(len(inp.audio) != 1 for inp in inputs):
        raise ValueError("an ASR-only model takes exactly one audio clip per sample")


def as_text(value: Any) -> str | None:
    """-M values that look numeric arrive as numbers; a revision or a hash is always text."""
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


def _auto_class(transformers: Any, config: Any, model: str, trust: bool) -> str:
    """The first generation auto class that maps this config (or that its remote code declares)."""
    remote = getattr(config, "auto_map", None) or {}
    for name in REMOTE_AUTO_CLASSES if trust else AUTO_CLASSES:
        auto = getattr(transformers, name, None)
        if auto is None:
            continue
        if (trust and name in remote) or type(config) in auto._model_mapping:
            return name
    raise UserError(f"{model}: transformers {transformers.__version__} has no audio-text generation class for "
                    f"model type {config.model_type!r} (looked in {', '.join(AUTO_CLASSES)})")


def create(spec: str, options: dict[str, Any]) -> HFAdapter:
    model = spec.split(":", 1)[1] if ":" in spec else ""
    if not model:
        raise UserError("the hf: adapter needs a model: hf:ORG/NAME or hf:/path/to/checkpoint")
    check_options(spec, options, OPTIONS)
    _device(require("torch", "hf", "the hf: adapter"), str(options.get("device", "auto")))
    _dtype_name(str(options.get("dtype", "auto")), "cpu")
    checkpoint = resolve(model, as_text(options.get("revision")), bool(options.get("trust_remote_code", False)),
                         as_text(options.get("code_sha256")))
    return HFAdapter(checkpoint, options)
