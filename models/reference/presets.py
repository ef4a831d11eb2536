"""Named configurations. `tiny_config` is the embedded default model: small enough (about 6.5 M
parameters, under 30 MB in float32 with a 4k vocabulary) to train and run on a laptop CPU."""

from __future__ import annotations

from .config import AdapterConfig, EncoderConfig, ReferenceConfig


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
) -> ReferenceConfig:
    """Whisper-style encoder over batch-padded features, 4-frame MLP stack, small tied-embedding Qwen2."""
    window_frames = int(max_audio_seconds * 100)  # 100 mel frames per second
    encoder = EncoderConfig(
        kind="whisper",
        config=dict(
            num_mel_bins=num_mel_bins,
            d_model=encoder_dim,
            encoder_layers=encoder_layers,
            encoder_attention_heads=encoder_heads,
            encoder_ffn_dim=4 * encoder_dim,
            max_source_positions=(window_frames + 1) // 2,
        ),
        pad_to="batch",
        pad_multiple=2 * stack,  # whole groups of stacked frames after the stride-2 conv
        mask_padding=True,
    )
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
        encoder=encoder,
        adapter=AdapterConfig(kind="mlp_stack", stack=stack, hidden_mult=2),
        decoder=decoder,
        audio_token_id=audio_token_id,
        max_audio_seconds=max_audio_seconds,
    )
