"""Configuration of the reference audio-language model.

One JSON-serialisable object says which encoder, adapter and decoder to build, so a checkpoint folder
is fully described by `config.json` and the model code never guesses. The encoder and decoder keep
their transformers config dicts verbatim: that is what makes third-party checkpoints (Qwen2-Audio,
MERaLiON) mappable without retyping their hyper-parameters.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FORMAT_NAME = "seabench-reference-lalm"
FORMAT_VERSION = 1

SAMPLE_RATE = 16_000
HOP_LENGTH = 160  # Whisper log-mel hop: 100 frames per second

# Qwen2-Audio style template: every audio item becomes <|audio_bos|><|AUDIO|><|audio_eos|>, and the
# single <|AUDIO|> is expanded to one placeholder per audio embedding before tokenisation.
DEFAULT_CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'audio' %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "Audio {{ audio_count.value }}: <|audio_bos|><|AUDIO|><|audio_eos|>\n"
    "{% elif content['type'] == 'text' %}"
    "{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EncoderConfig(_Frozen):
    """Audio encoder: a transformers Whisper, Qwen2-Audio or wav2vec2 (SSL, e.g. XLS-R) encoder plus how
    its input is padded. Whisper and Qwen2-Audio read log-mel features; wav2vec2 reads the waveform.

    `pad_to="max"` feeds every clip padded to the encoder's full window (max_source_positions * 2 mel
    frames, 30 s for Whisper/Qwen2-Audio), exactly as those models were trained. `pad_to="batch"` pads
    only to the batch's longest clip (rounded up to `pad_multiple` frames) and zeroes everything past each
    clip between layers, so a clip's embeddings do not depend on its batch mates and short clips cost
    little; only models trained that way (the embedded tiny model, wav2vec2 encoders) should use it.
    `keep_padding` sends every window's full output to the decoder (MERaLiON: 100 embeddings per 30 s
    window, however short the clip).
    """

    kind: Literal["whisper", "qwen2_audio", "wav2vec2"]
    config: dict = Field(description="transformers WhisperConfig / Qwen2AudioEncoderConfig / Wav2Vec2Config fields")
    pad_to: Literal["max", "batch"] = "max"
    pad_multiple: int = Field(default=8, ge=1)
    mask_padding: bool = Field(
        default=True, description="attention ignores padded frames (Qwen2-Audio does, original Whisper does not)"
    )
    keep_padding: bool = Field(default=False, description="the decoder gets every window's full output")
    normalize_waveform: bool = Field(
        default=False, description="zero-mean unit-variance waveform per clip before features (MERaLiON-2, wav2vec2)"
    )

    @model_validator(mode="after")
    def _batch_padding_needs_masks(self) -> EncoderConfig:
        if self.pad_to == "batch" and not self.mask_padding:
            raise ValueError("pad_to='batch' needs mask_padding=True, or outputs would depend on batch mates")
        if self.kind == "wav2vec2" and self.pad_to != "batch":
            raise ValueError("a wav2vec2 encoder has no fixed window: use pad_to='batch'")
        if self.keep_padding and self.pad_to != "max":
            raise ValueError("keep_padding needs pad_to='max' (a fixed window)")
        return self


class AdapterConfig(_Frozen):
    """Bridge from encoder frames to decoder embeddings.

    `mlp_stack`: concatenate `stack` consecutive frames, then Linear -> SiLU -> Linear(x`hidden_mult`) ->
    SiLU -> Linear to the decoder width. `qwen2_pool` (Qwen2-Audio style): average pooling with stride
    `pool_stride` then one linear projection; use `pool_stride=1` with the qwen2_audio encoder, whose
    transformers class already pools before its final layer norm. `meralion` / `meralion2`: MERaLiON's
    adapters under their published names (LayerNorm `ln_speech`, `stack` frames concatenated; v1
    `mlp_adapter` + `speech_llm_proj`, v2 `mlp_adapter` + SiLU(`gate_proj`) * `pool_proj` + `out_proj`).
    """

    kind: Literal["mlp_stack", "qwen2_pool", "meralion", "meralion2"]
    stack: int = Field(default=4, ge=1)
    hidden_mult: int = Field(default=4, ge=1)
    pool_stride: int = Field(default=1, ge=1)


class AudioTokens(_Frozen):
    """Special token strings that frame audio in the prompt (Qwen2-Audio names by default)."""

    placeholder: str = "<|AUDIO|>"
    bos: str = "<|audio_bos|>"
    eos: str = "<|audio_eos|>"


class ReferenceConfig(_Frozen):
    """Everything needed to rebuild the model; persisted as `config.json`."""

    format: Literal["seabench-reference-lalm"] = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    encoder: EncoderConfig
    adapter: AdapterConfig
    decoder: dict = Field(description="transformers causal-LM config (must include model_type)")
    audio_tokens: AudioTokens = AudioTokens()
    audio_token_id: int = Field(ge=0, description="tokenizer id of audio_tokens.placeholder")
    stop_tokens: list[str] = Field(default_factory=lambda: ["<|im_end|>", "<|endoftext|>"])
    max_audio_seconds: float = Field(default=30.0, gt=0)
    chat_template: str = DEFAULT_CHAT_TEMPLATE
    default_system_prompt: str | None = None
    prompt_template: str | None = Field(
        default=None, description="a models/prompts.py template wrapping the user turn (MERaLiON's), or None"
    )
    source: str | None = Field(default=None, description="where the weights came from (e.g. converted Qwen2-Audio)")

    @property
    def num_mel_bins(self) -> int:
        """Feature channels: mel bins, or 1 (the waveform) for a wav2vec2 encoder."""
        if self.encoder.kind == "wav2vec2":
            return 1
        return int(self.encoder.config.get("num_mel_bins", 80))

    @property
    def max_source_positions(self) -> int:
        return int(self.encoder.config.get("max_source_positions", 1500))

    @property
    def max_mel_frames(self) -> int:
        """Encoder window in mel frames: conv2 has stride 2 so it is twice the position table."""
        return 2 * self.max_source_positions

    @property
    def window_seconds(self) -> float:
        """Audio one encoder pass reads; longer clips are cut into windows (up to max_audio_seconds)."""
        if self.encoder.kind == "wav2vec2":
            return self.max_audio_seconds
        return self.max_mel_frames * HOP_LENGTH / SAMPLE_RATE
