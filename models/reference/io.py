"""Checkpoint folders: the native format (config.json + model.safetensors + tokenizer), Qwen2-Audio and
MERaLiON (v1 `meralion`, v2 `meralion2`).

A Qwen2-Audio folder (Qwen2-Audio-7B-Instruct, SeaLLMs-Audio-7B, or a tiny test model) or a MERaLiON
folder (`speech_encoder.*` Whisper encoder, `ln_speech`, `speech_audio_adapter.*`, `text_decoder.*`
Gemma 2) is converted on load by renaming weight prefixes, so one inference path serves every family
without trust_remote_code (the MERaLiON processor's settings are read from its JSON files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .config import (
    FORMAT_NAME,
    SAMPLE_RATE,
    AdapterConfig,
    AudioTokens,
    EncoderConfig,
    ReferenceConfig,
)
from .model import ReferenceModel

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"

# Qwen2-Audio weight prefixes: transformers 5 in-memory names, then the on-disk names (what save_pretrained
# writes and the published checkpoints use).
_QWEN2_AUDIO_PREFIXES = (
    ("model.audio_tower.", "encoder.net."),
    ("model.multi_modal_projector.", "adapter."),
    ("model.language_model.", "decoder.model."),
    ("lm_head.", "decoder.lm_head."),
    ("audio_tower.", "encoder.net."),
    ("multi_modal_projector.", "adapter."),
    ("language_model.model.", "decoder.model."),
    ("language_model.lm_head.", "decoder.lm_head."),
)
_MERALION_PREFIXES = (
    ("speech_encoder.", "encoder.net."),
    ("ln_speech.", "adapter.ln_speech."),
    ("speech_audio_adapter.", "adapter."),
    ("text_decoder.", "decoder."),
)
MERALION_TYPES = ("meralion", "meralion2")
# Keys of a saved sub-config that describe the file rather than the architecture.
_CONFIG_NOISE = {"architectures", "transformers_version", "_name_or_path", "torch_dtype", "dtype", "model_type"}


def save_reference(model: ReferenceModel, tokenizer: PreTrainedTokenizerBase, folder: str | Path) -> Path:
    """Write config.json, model.safetensors and the tokenizer files into `folder`."""
    from safetensors.torch import save_model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(model.config.model_dump_json(indent=2), encoding="utf-8")
    save_model(model, str(folder / WEIGHTS_FILE))
    tokenizer.save_pretrained(str(folder))
    return folder


def load_reference(
    folder: str | Path, device: str = "cpu", dtype: torch.dtype | None = None
) -> tuple[ReferenceModel, PreTrainedTokenizerBase]:
    """Load a native or Qwen2-Audio-format folder, in eval mode on `device` (float32 unless `dtype`)."""
    folder = Path(folder)
    raw = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    if raw.get("format") == FORMAT_NAME:
        model, tokenizer = _load_native(folder, raw, dtype)
    elif raw.get("model_type") == "qwen2_audio":
        model, tokenizer = load_qwen2_audio(folder, dtype)
    elif raw.get("model_type") in MERALION_TYPES:
        model, tokenizer = load_meralion(folder, dtype)
    else:
        raise ValueError(f"{folder}: neither a {FORMAT_NAME} folder nor a Qwen2-Audio or MERaLiON checkpoint")
    return model.to(device=device).eval(), tokenizer


def _load_native(folder: Path, raw: dict, dtype: torch.dtype | None) -> tuple[ReferenceModel, PreTrainedTokenizerBase]:
    from safetensors.torch import load_model
    from transformers import AutoTokenizer

    model = _empty_model(ReferenceConfig.model_validate(raw), dtype)
    load_model(model, str(folder / WEIGHTS_FILE), strict=True)
    return model, AutoTokenizer.from_pretrained(str(folder))


def load_qwen2_audio(
    folder: str | Path, dtype: torch.dtype | None = None
) -> tuple[ReferenceModel, PreTrainedTokenizerBase]:
    """Build the reference model from a Qwen2-Audio checkpoint folder (CPU, float32 unless `dtype`)."""
    from transformers import AutoTokenizer

    folder = Path(folder)
    raw = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    names = _weight_names(folder, _QWEN2_AUDIO_PREFIXES)
    text = {k: v for k, v in raw["text_config"].items() if k not in _CONFIG_NOISE - {"model_type"}}
    text.setdefault("model_type", "qwen2")
    # tie exactly when the checkpoint has no separate output matrix (its flags are not reliable across versions)
    text["tie_word_embeddings"] = "decoder.lm_head.weight" not in names
    audio = {k: v for k, v in raw["audio_config"].items() if k not in _CONFIG_NOISE}
    config = ReferenceConfig(
        encoder=EncoderConfig(kind="qwen2_audio", config=audio, pad_to="max", mask_padding=True),
        adapter=AdapterConfig(kind="qwen2_pool", pool_stride=1),
        decoder=text,
        audio_token_id=int(raw.get("audio_token_index", raw.get("audio_token_id", 151646))),
        max_audio_seconds=_preprocessor_seconds(folder),
        chat_template=_chat_template(folder, tokenizer),
        source=f"qwen2_audio:{folder.name}",
    )
    return _load_renamed(folder, config, names, _QWEN2_AUDIO_PREFIXES, dtype), tokenizer


def load_meralion(folder: str | Path, dtype: torch.dtype | None = None) -> tuple[ReferenceModel, PreTrainedTokenizerBase]:
    """Build the reference model from a MERaLiON v1 (`meralion`) or v2 (`meralion2`) checkpoint folder.

    As the official processor does, every window of audio (30 s published) is a full Whisper window whose
    output is stacked `speech_mlp_scale_factor` frames at a time into a fixed number of speech tokens (100
    published); v2 reads up to `time_duration_limit` seconds (300) as consecutive windows. Prompts get
    MERaLiON's own user-turn wrapper (models/prompts.py) inside the tokenizer's Gemma chat template."""
    from transformers import AutoTokenizer

    folder = Path(folder)
    raw = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    kind = raw["model_type"]
    tokenizer = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)  # never the repo's own code
    names = _weight_names(folder, _MERALION_PREFIXES)
    text = {k: v for k, v in raw["text_config"].items() if k not in _CONFIG_NOISE}
    text["model_type"] = "gemma2"
    text["tie_word_embeddings"] = "decoder.lm_head.weight" not in names
    speech = {k: v for k, v in raw["speech_config"].items() if k not in _CONFIG_NOISE}
    stack = int(raw.get("speech_mlp_scale_factor", 15))
    settings = _processor_settings(folder)
    window_s = float(settings.get("whisper_chunk_size", 30))
    token_id = int(raw.get("speech_token_index", 255999))
    config = ReferenceConfig(
        encoder=EncoderConfig(kind="whisper", config=speech, pad_to="max", mask_padding=False, keep_padding=True,
                              normalize_waveform=bool(settings.get("do_normalize", kind == "meralion2"))),
        adapter=AdapterConfig(kind=kind, stack=stack),
        decoder=text,
        audio_tokens=AudioTokens(placeholder=tokenizer.convert_ids_to_tokens(token_id), bos="", eos=""),
        audio_token_id=token_id,
        stop_tokens=_stop_tokens(folder, tokenizer),
        max_audio_seconds=float(settings.get("time_duration_limit", window_s)),
        chat_template=_chat_template(folder, tokenizer),
        prompt_template=kind,
        source=f"{kind}:{folder.name}",
    )
    if abs(config.window_seconds - window_s) > 1e-6:
        raise ValueError(f"{folder}: the processor's {window_s:g} s windows do not match the encoder's "
                         f"{config.window_seconds:g} s")
    per_window = settings.get("fixed_speech_embeds_length")
    if per_window is not None and int(per_window) != config.max_mel_frames // 2 // stack:
        raise ValueError(f"{folder}: {per_window} speech tokens per window do not match the encoder and adapter "
                         f"({config.max_mel_frames // 2 // stack})")
    return _load_renamed(folder, config, names, _MERALION_PREFIXES, dtype), tokenizer


def _weight_names(folder: Path, prefixes: tuple[tuple[str, str], ...]) -> set[str]:
    """Every weight of the checkpoint, renamed to the reference model's names (read without loading)."""
    from safetensors import safe_open

    names: set[str] = set()
    for shard in _shards(folder):
        with safe_open(str(shard), framework="pt") as f:
            names.update(_rename(k, prefixes) for k in f.keys())  # noqa: SIM118 (safe_open is not a dict)
    return names


def _load_renamed(folder: Path, config: ReferenceConfig, names: set[str], prefixes: tuple[tuple[str, str], ...],
                  dtype: torch.dtype | None) -> ReferenceModel:
    """The model with the checkpoint's renamed weights copied in shard by shard (peak memory: model + one
    shard); every weight must fit exactly."""
    from safetensors.torch import load_file

    model = _empty_model(config, dtype)
    expected = set(model.state_dict())
    tied = bool(config.decoder.get("tie_word_embeddings"))
    if tied:
        expected.discard("decoder.lm_head.weight")
    if names != expected:
        missing, unexpected = sorted(expected - names), sorted(names - expected)
        raise ValueError(f"{folder.name}: weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for shard in _shards(folder):
        weights = {_rename(k, prefixes): v for k, v in load_file(str(shard)).items()}
        model.load_state_dict(weights, strict=False)
    if tied:
        model.decoder.tie_weights()
    return model.eval()


def _empty_model(config: ReferenceConfig, dtype: torch.dtype | None) -> ReferenceModel:
    """The model in `dtype` without random initialisation (weights are loaded next)."""
    import torch
    from transformers.initialization import no_init_weights

    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype or torch.float32)
    try:
        with no_init_weights():
            return ReferenceModel(config)
    finally:
        torch.set_default_dtype(before)


def _shards(folder: Path) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if not index.exists():
        return [folder / WEIGHTS_FILE]
    weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
    return [folder / name for name in sorted(set(weight_map.values()))]


def _rename(name: str, prefixes: tuple[tuple[str, str], ...]) -> str:
    for old, new in prefixes:
        if name.startswith(old):
            return new + name[len(old) :]
    raise ValueError(f"unrecognised weight {name!r}")


def _processor_settings(folder: Path) -> dict:
    """The processor's saved settings (MERaLiON: time_duration_limit, whisper_chunk_size,
    fixed_speech_embeds_length, do_normalize), wherever this transformers version stored them."""
    settings: dict = {}
    for name in ("preprocessor_config.json", "processor_config.json"):
        path = folder / name
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            settings.update({k: v for k, v in data.items() if not isinstance(v, dict)})
    return settings


def _stop_tokens(folder: Path, tokenizer: PreTrainedTokenizerBase) -> list[str]:
    """The tokens generation stops at: generation_config.json's eos ids (Gemma: <eos>, <end_of_turn>)."""
    path = folder / "generation_config.json"
    ids = json.loads(path.read_text(encoding="utf-8")).get("eos_token_id") if path.exists() else None
    if ids is None:
        ids = tokenizer.eos_token_id
    ids = ids if isinstance(ids, list) else [ids]
    return [str(t) for t in tokenizer.convert_ids_to_tokens([int(i) for i in ids])]


def _preprocessor_seconds(folder: Path) -> float:
    """Audio window of the checkpoint's feature extractor (30 s for the published models)."""
    for name in ("preprocessor_config.json", "processor_config.json"):
        path = folder / name
        if path.exists():
            cfg = json.loads(path.read_text(encoding="utf-8"))
            cfg = cfg.get("feature_extractor", cfg)  # transformers 5 nests it in processor_config.json
            rate = cfg.get("sampling_rate", SAMPLE_RATE)
            samples = cfg.get("n_samples") or cfg.get("chunk_length", 30) * rate
            return float(samples) / rate
    return 30.0


def _chat_template(folder: Path, tokenizer: PreTrainedTokenizerBase) -> str:
    """The processor's chat template wherever this transformers version stored it."""
    jinja = folder / "chat_template.jinja"
    if jinja.exists():
        return jinja.read_text(encoding="utf-8")
    for name in ("chat_template.json", "processor_config.json", "tokenizer_config.json"):
        path = folder / name
        if path.exists():
            template = json.loads(path.read_text(encoding="utf-8")).get("chat_template")
            if isinstance(template, str):
                return template
    if isinstance(getattr(tokenizer, "chat_template", None), str):
        return tokenizer.chat_template
    from transformers import Qwen2AudioProcessor

    return Qwen2AudioProcessor.default_chat_template.fget(None)  # type: ignore[attr-defined]
