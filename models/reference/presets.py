"""Named configurations. `tiny_config` is the embedded default model: small enough (about 6.5 M
parameters, under 30 MB in float32 with a 4k vocabulary) to train and run on a laptop CPU. With
`encoder="wav2vec2"` its encoder is a self-supervised-style wav2vec2 (the XLS-R architecture, scaled
down) that reads the waveform instead of log-mel features."""

from __future__ import annotations

from typing import Literal

from .config import AdapterConfig, EncoderConfig, ReferenceConfig

WAV2VEC2_HOP = 320  # samples per wav2vec2 frame: the product of its conv strides (5*2*2*2*2*2*2)


def tiny_config(
    vocab_size: int,
    audio_token_id: int,
    *,
    num_mel_bins: int = 80,
    encoder_dim: int = 192,
    encoder_layers: int = 4,
    encoder_heads: int = 4,
    max_audio_seconds: float = 15.0,
    stack: int = 4,
    decoder_dim: int = 256,
    decoder_layers: int = 4,
    decoder_heads: int = 4,
    decoder_kv_heads: int = 2,
    max_positions: int = 2048,
    encoder: Literal["whisper", "wav2vec2"] = "whisper",
) -> ReferenceConfig:
    """Whisper-style (or wav2vec2) encoder over batch-padded input, 4-frame MLP stack, small tied-embedding Qwen2."""
    encoder_config = (wav2vec2_encoder(encoder_dim, encoder_layers, encoder_heads, stack) if encoder == "wav2vec2"
                      else whisper_encoder(num_mel_bins, encoder_dim, encoder_layers, encoder_heads, stack,
                                           max_audio_seconds))
    decoder = dict(
        model_type="qwen2",
        vocab_size=vocab_size,
        hidden_size=decoder_dim,
        intermediate_size=3 * decoder_dim,
        num_hidden_layers=decoder_layers,
        num_attention_heads=decoder_heads,
        num_key_value_heads=decoder_kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        rms_norm_eps=1e-6,
    )
    return ReferenceConfig(
        encoder=encoder_config,
        adapter=AdapterConfig(kind="mlp_stack", stack=stack, hidden_mult=2),
        decoder=decoder,
        audio_token_id=audio_token_id,
        max_audio_seconds=max_audio_seconds,
    )


def whisper_encoder(num_mel_bins: int, dim: int, layers: int, heads: int, stack: int,
                    max_audio_seconds: float) -> EncoderConfig:
    window_frames = int(max_audio_seconds * 100)  # 100 mel frames per second
    return EncoderConfig(
        kind="whisper",
        config=dict(num_mel_bins=num_mel_bins, d_model=dim, encoder_layers=layers, encoder_attention_heads=heads,
                    encoder_ffn_dim=4 * dim, max_source_positions=(window_frames + 1) // 2),
        pad_to="batch",
        pad_multiple=2 * stack,  # whole groups of stacked frames after the stride-2 conv
        mask_padding=True,
    )


def wav2vec2_encoder(dim: int, layers: int, heads: int, stack: int) -> EncoderConfig:
    """XLS-R's layout (seven strided convs over the waveform, layer norm, stable-layer-norm transformer)
    at `dim` width, with narrow convs (at most 64 channels; XLS-R has 512) so it stays cheap on a CPU. Its own SpecAugment is off (training
    masks the input itself)."""
    return EncoderConfig(
        kind="wav2vec2",
        config=dict(hidden_size=dim, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=4 * dim,
                    conv_dim=(min(64, dim),) * 7, conv_stride=(5, 2, 2, 2, 2, 2, 2), conv_kernel=(10, 3, 3, 3, 3, 2, 2),
                    feat_extract_norm="layer", do_stable_layer_norm=True, num_conv_pos_embeddings=32,
                    num_conv_pos_embedding_groups=8, apply_spec_augment=False, layerdrop=0.0,
                    hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0),
        pad_to="batch",
        pad_multiple=WAV2VEC2_HOP * stack,  # whole groups of stacked frames
        mask_padding=True,
        normalize_waveform=True,
    )
