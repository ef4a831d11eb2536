"""Checkpoint folders: the native format (config.json + model.safetensors + tokenizer) and Qwen2-Audio.

A Qwen2-Audio folder (Qwen2-Audio-7B-Instruct, SeaLLMs-Audio-7B, or a tiny test model) is converted on
load by renaming weights, so one inference path serves both families without trust_remote_code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .config import FORMAT_NAME, SAMPLE_RATE, AdapterConfig, EncoderConfig, ReferenceConfig
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
    else:
        raise ValueError(f"{folder}: neither a {FORMAT_NAME} folder nor a Qwen2-Audio checkpoint")
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
    """Build the reference model from a Qwen2-Audio checkpoint folder (CPU, float32 unless `dtype`).

    Weights are renamed and copied shard by shard, so peak memory is the model plus one shard.
    """
    from safetensors import safe_open
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    folder = Path(folder)
    raw = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    shards = _shards(folder)
    names: set[str] = set()
    for shard in shards:
        with safe_open(str(shard), framework="pt") as f:
            names.update(_rename(k) for k in f.keys())  # noqa: SIM118 (safe_open is not a dict)
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
    model = _empty_model(config, dtype)
    expected = set(model.state_dict())
    if text["tie_word_embeddings"]:
        expected.discard("decoder.lm_head.weight")
    if names != expected:
        missing, unexpected = sorted(expected - names), sorted(names - expected)
        raise ValueError(f"Qwen2-Audio weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for shard in shards:
        weights = {_rename(k): v for k, v in load_file(str(shard)).items()}
        model.load_state_dict(weights, strict=False)
    if text["tie_word_embeddings"]:
        model.decoder.tie_weights()
    return model.eval(), tokenizer


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


def _rename(name: str) -> str:
    for old, new in _QWEN2_AUDIO_PREFIXES:
        if name.startswith(old):
            return new + name[len(old) :]
    raise ValueError(f"unrecognised Qwen2-Audio weight {name!r}")


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
