"""Fixtures for the reference-model tests: audio clips, a local tokenizer and tiny random models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

SR = 16_000
CORPUS = [
    "Transcribe the audio. Terjemahkan audio ini ke bahasa Inggris.",
    "Chép lại nội dung âm thanh này bằng tiếng Việt.",
    "ถอดเสียงพูดเป็นข้อความภาษาไทย",
    "இந்த ஒலியை எழுதுங்கள். 请把这段音频转写成文字。",
    "What is the speaker's emotion? Apakah bahasa yang dituturkan?",
    "system user assistant Audio 1: You are a helpful assistant.",
]
WINDOW_S = 10
PROMPTS = ["Transcribe the audio.", "Chép lại nội dung âm thanh này."]


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest single-threaded (thread hand-offs cost more than the math); restore after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def clips() -> list[np.ndarray]:
    """Three clips of different kinds and lengths: a chirp-free sine, noise, and a two-tone mix."""
    rng = np.random.default_rng(0)
    t1 = np.arange(int(1.3 * SR)) / SR
    t3 = np.arange(int(3.7 * SR)) / SR
    sine = 0.4 * np.sin(2 * np.pi * 440 * t1)
    noise = 0.1 * rng.standard_normal(int(2.2 * SR))
    mix = 0.3 * np.sin(2 * np.pi * 220 * t3) + 0.2 * np.sin(2 * np.pi * 1250 * t3)
    return [a.astype(np.float32) for a in (sine, noise, mix)]


def tokenizer():  # -> PreTrainedTokenizerFast
    from seabench.models.reference.tokenizer import train_tokenizer

    return train_tokenizer(CORPUS, vocab_size=400)


def tiny_qwen2_audio(folder: Path, seed: int = 0, window_s: int = WINDOW_S, *, hidden: int = 64, heads: int = 4,
                     max_shard_size: str = "500KB", decoder: dict | None = None,
                     chat_template: str | None = None) -> Path:
    """Save a tiny random Qwen2AudioForConditionalGeneration + processor (audio window `window_s`) to `folder`.
    Sharded by default, like the 7B checkpoints; `hidden`/`heads` set the decoder's size (vLLM needs
    head_dim >= 32); `decoder` overrides text-config fields and `chat_template` the processor's template
    (SeaLLMs-Audio: a Qwen2.5 decoder and its own template)."""
    import torch
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        WhisperFeatureExtractor,
    )

    tok = tokenizer()
    config = Qwen2AudioConfig(
        audio_config=dict(
            model_type="qwen2_audio_encoder",
            d_model=64,
            encoder_layers=2,
            encoder_attention_heads=4,
            encoder_ffn_dim=128,
            num_mel_bins=80,
            max_source_positions=window_s * 50,  # published models: 30 s; tests mostly use 10 s for speed
        ),
        text_config={**dict(
            model_type="qwen2",
            vocab_size=len(tok),
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=2,
            num_attention_heads=heads,
            num_key_value_heads=max(heads // 2, 1),
            max_position_embeddings=2048,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        ), **(decoder or {})},
        audio_token_index=tok.convert_tokens_to_ids("<|AUDIO|>"),
    )
    torch.manual_seed(seed)
    model = Qwen2AudioForConditionalGeneration(config).eval()
    # Random init gives near-uniform logits; sharper weights make greedy decoding free of near-ties.
    with torch.no_grad():
        model.lm_head.weight.mul_(8.0)
    extractor = WhisperFeatureExtractor(feature_size=80, chunk_length=window_s)
    processor = Qwen2AudioProcessor(feature_extractor=extractor, tokenizer=tok, chat_template=chat_template)
    model.save_pretrained(folder, max_shard_size=max_shard_size)
    processor.save_pretrained(folder)
    return folder


def tiny_reference_config(vocab_size: int, audio_token_id: int, **encoder):  # -> ReferenceConfig
    """Whisper encoder (batch padding, 8 s window) + 4-frame MLP stack + 2-layer Qwen2, all d=64."""
    from seabench.models.reference.config import AdapterConfig, EncoderConfig, ReferenceConfig

    enc = dict(
        kind="whisper",
        config=dict(
            num_mel_bins=80,
            d_model=64,
            encoder_layers=2,
            encoder_attention_heads=4,
            encoder_ffn_dim=128,
            max_source_positions=400,
        ),
        pad_to="batch",
    )
    enc.update(encoder)
    return ReferenceConfig(
        encoder=EncoderConfig(**enc),
        adapter=AdapterConfig(kind="mlp_stack", stack=4, hidden_mult=2),
        decoder=dict(
            model_type="qwen2",
            vocab_size=vocab_size,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=1024,
            tie_word_embeddings=False,  # tied random embeddings make greedy decoding repeat one token
        ),
        audio_token_id=audio_token_id,
        max_audio_seconds=8.0,
    )


def tiny_reference_checkpoint(folder: Path) -> Path:
    """A random reference-format checkpoint with sharpened logits (no greedy near-ties), saved to `folder`."""
    import torch
    from seabench.models.reference.io import save_reference
    from seabench.models.reference.model import ReferenceModel

    tok = tokenizer()
    torch.manual_seed(0)
    model = ReferenceModel(tiny_reference_config(len(tok), tok.convert_tokens_to_ids("<|AUDIO|>"))).eval()
    with torch.no_grad():
        model.decoder.lm_head.weight.mul_(8.0)
    return save_reference(model, tok, folder)


def assert_same_as_transformers(model, enc, lalm, clip: np.ndarray, prompt: str, n_new: int) -> None:
    """The reference LALM gives `model`'s logits on the processor output `enc`, and its greedy tokens
    when it renders `prompt` over `clip` itself."""
    import torch

    with torch.inference_mode():
        theirs = model(**enc).logits
        ours = lalm.model(enc["input_ids"], enc["attention_mask"], enc["input_features"],
                          enc["feature_attention_mask"]).logits
        expected = model.generate(**enc, max_new_tokens=n_new, do_sample=False)[0, enc["input_ids"].shape[1]:]
    assert torch.allclose(ours, theirs, atol=1e-4, rtol=1e-4)
    [result] = lalm.generate([clip], [prompt], max_new_tokens=n_new)
    assert result.token_ids[: len(expected)] == tuple(expected.tolist())
    assert result.n_input_tokens == enc["input_ids"].shape[1]
