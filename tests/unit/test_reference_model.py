"""The native reference model: save/load, batching invariance, seeded sampling, loss, features, presets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.unit.reference_fixtures import PROMPTS, SR, clips, one_torch_thread, tiny_reference_config, tokenizer


@pytest.fixture(scope="module", autouse=True)
def _single_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


N_NEW = 12


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A tiny random whisper + mlp_stack + qwen2 model saved in the native format."""
    from seabench.models.reference.io import save_reference
    from seabench.models.reference.model import ReferenceModel

    tok = tokenizer()
    torch.manual_seed(0)
    model = ReferenceModel(tiny_reference_config(len(tok), tok.convert_tokens_to_ids("<|AUDIO|>"))).eval()
    with torch.no_grad():  # sharper logits: greedy decoding without near-ties
        model.decoder.get_output_embeddings().weight.mul_(4.0)
    return save_reference(model, tok, tmp_path_factory.mktemp("reference") / "tiny")


@pytest.fixture(scope="module")
def lalm(saved):
    from seabench.models.reference.inference import ReferenceLALM

    return ReferenceLALM.from_pretrained(saved, batch_size=8)


def _items(full: bool = True) -> tuple[list[np.ndarray], list[str]]:
    """Every clip with every prompt, or (full=False) each clip once with alternating prompts."""
    audio = clips()
    if not full:
        return audio, [PROMPTS[i % len(PROMPTS)] for i in range(len(audio))]
    return [a for a in audio for _ in PROMPTS], [p for _ in audio for p in PROMPTS]


def test_folder_holds_config_weights_and_tokenizer(saved: Path) -> None:
    from seabench.models.reference.config import ReferenceConfig

    names = {p.name for p in saved.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    config = ReferenceConfig.model_validate_json((saved / "config.json").read_text())
    assert config.encoder.kind == "whisper" and config.adapter.kind == "mlp_stack"


def test_save_load_round_trip_gives_identical_outputs(saved: Path, lalm, tmp_path: Path) -> None:
    from seabench.models.reference.inference import ReferenceLALM
    from seabench.models.reference.io import save_reference

    again = ReferenceLALM.from_pretrained(save_reference(lalm.model, lalm.tokenizer, tmp_path / "copy"))
    for name, tensor in lalm.model.state_dict().items():
        assert torch.equal(tensor, again.model.state_dict()[name]), name
    audio, prompts = _items(full=False)
    assert again.generate(audio, prompts, max_new_tokens=N_NEW) == lalm.generate(audio, prompts, max_new_tokens=N_NEW)
    assert again.tokenizer("ภาษาไทย Tiếng Việt")["input_ids"] == lalm.tokenizer("ภาษาไทย Tiếng Việt")["input_ids"]


def test_batched_generation_equals_one_at_a_time(saved: Path, lalm) -> None:
    from seabench.models.reference.inference import ReferenceLALM

    audio, prompts = _items()
    batched = lalm.generate(audio, prompts, max_new_tokens=N_NEW)
    single = ReferenceLALM(lalm.model, lalm.tokenizer, batch_size=1).generate(audio, prompts, max_new_tokens=N_NEW)
    assert batched == single
    assert len({r.token_ids for r in batched}) > 1  # audio and prompt both matter
    assert all(0 < r.n_output_tokens <= N_NEW for r in batched)
    assert all(r.finish_reason == ("stop" if r.n_output_tokens < N_NEW else r.finish_reason) for r in batched)


def test_stop_tokens_end_rows_independently(lalm) -> None:
    from seabench.models.reference.inference import ReferenceLALM

    audio, prompts = _items()
    greedy = lalm.generate(audio, prompts, max_new_tokens=N_NEW)
    stopper = ReferenceLALM(lalm.model, lalm.tokenizer)
    stop = greedy[0].token_ids[2]
    stopper.stop_token_ids = [stop]
    for full, result in zip(greedy, stopper.generate(audio, prompts, max_new_tokens=N_NEW), strict=True):
        if stop in full.token_ids:
            cut = full.token_ids.index(stop) + 1
            assert result.token_ids == full.token_ids[:cut] and result.finish_reason == "stop"
            assert result.text == lalm.tokenizer.decode(list(full.token_ids[: cut - 1]), skip_special_tokens=True)
        else:
            assert result == full and result.finish_reason == "length"
    assert any(r.finish_reason == "length" for r in greedy)


def test_sampling_is_reproducible_with_a_seed(lalm) -> None:
    audio, prompts = _items(full=False)
    kwargs = dict(max_new_tokens=N_NEW, temperature=1.0, top_p=0.95)
    first = lalm.generate(audio, prompts, seed=7, **kwargs)
    assert lalm.generate(audio, prompts, seed=7, **kwargs) == first
    assert lalm.generate(audio, prompts, seed=8, **kwargs) != first


def test_choose_next_filters() -> None:
    from seabench.models.reference.model import SamplingParams, choose_next

    logits = torch.tensor([[0.0, 3.0, 2.9, -1.0], [5.0, 0.0, 0.0, 4.9]])
    gen = torch.Generator().manual_seed(0)
    assert choose_next(logits, SamplingParams(), gen).tolist() == [1, 0]
    assert choose_next(logits, SamplingParams(temperature=1.0, top_k=1), gen).tolist() == [1, 0]
    assert choose_next(logits, SamplingParams(temperature=1.0, top_p=0.01), gen).tolist() == [1, 0]
    draws = {tuple(choose_next(logits, SamplingParams(temperature=1.0, top_k=2), gen).tolist()) for _ in range(50)}
    assert {d[0] for d in draws} == {1, 2} and {d[1] for d in draws} == {0, 3}


def test_audio_embeddings_do_not_depend_on_padding(lalm) -> None:
    """pad_to='batch': a clip encodes the same alone, unpadded, next to a longer clip, or with junk padding."""
    from seabench.models.reference.features import extract_features

    short, _, long = clips()
    config, extractor = lalm.model.config, lalm.extractor
    alone = extract_features(config, extractor, [short])
    paired = extract_features(config, extractor, [short, long])
    n_frames = int(alone.lengths[0])
    assert n_frames == int(paired.lengths[0]) == short.shape[0] // 160
    assert n_frames < alone.features.shape[-1] < paired.features.shape[-1] <= config.max_mel_frames
    assert alone.features.shape[-1] % config.encoder.pad_multiple == 0
    junk = paired.features.clone()
    junk[0, :, n_frames:] = torch.randn(
        junk.shape[1], junk.shape[2] - n_frames, generator=torch.Generator().manual_seed(0)
    )
    n_audio = int(lalm.model.audio_token_counts(alone.lengths)[0])
    with torch.inference_mode():
        expected = lalm.model.encode_audio(alone.features, alone.lengths)
        assert expected.shape[0] == n_audio
        for features, lengths in [
            (alone.features[..., :n_frames], alone.lengths),  # no padding at all
            (paired.features, paired.lengths),
            (junk, paired.lengths),
        ]:
            got = lalm.model.encode_audio(features, lengths)[:n_audio]
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_long_clips_are_truncated_to_the_window(lalm) -> None:
    from seabench.models.reference.features import extract_features

    config = lalm.model.config
    too_long = np.zeros(int((config.max_audio_seconds + 3) * SR), dtype=np.float32)
    batch = extract_features(config, lalm.extractor, [too_long])
    assert int(batch.lengths[0]) == int(config.max_audio_seconds * 100)
    assert lalm.generate([too_long], ["?"], max_new_tokens=2)[0].n_output_tokens >= 1


def test_text_only_and_multi_clip_prompts(lalm) -> None:
    audio = clips()
    results = lalm.generate([None, [audio[0], audio[1]]], ["Hello", "Compare the two clips."], max_new_tokens=4)
    assert results[0].n_input_tokens < results[1].n_input_tokens
    assert lalm.render("Hi", 2).count(lalm.placeholder) == 2


def test_loss_ignores_audio_and_padding_positions(lalm) -> None:
    from seabench.models.reference.features import extract_features

    model, tok = lalm.model, lalm.tokenizer
    batch = extract_features(model.config, lalm.extractor, [clips()[0]])
    n_audio = int(model.audio_token_counts(batch.lengths)[0])
    text = "<|audio_bos|>" + "<|AUDIO|>" * n_audio + "<|audio_eos|>xin chào"
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
    mask = torch.ones_like(ids)
    args = (ids, mask, batch.features, batch.attention_mask)
    model.train()
    try:
        out = model(*args, labels=ids.clone())
        out.loss.backward()
    finally:
        model.zero_grad(set_to_none=True)
        model.eval()
    assert torch.isfinite(out.loss)
    with torch.no_grad():
        logits = model(*args).logits
    keep = ids[0, 1:] != model.config.audio_token_id
    expected = torch.nn.functional.cross_entropy(logits[0, :-1][keep], ids[0, 1:][keep])
    torch.testing.assert_close(out.loss.detach(), expected, atol=1e-5, rtol=0)


def test_placeholder_count_mismatch_is_an_error(lalm) -> None:
    from seabench.models.reference.features import extract_features

    model, tok = lalm.model, lalm.tokenizer
    batch = extract_features(model.config, lalm.extractor, [clips()[0]])
    ids = torch.tensor([tok("<|AUDIO|><|AUDIO|> hi", add_special_tokens=False)["input_ids"]])
    with pytest.raises(ValueError, match="placeholders"):
        model(ids, torch.ones_like(ids), batch.features, batch.attention_mask)


def test_tokenizer_round_trips_sea_scripts_and_keeps_specials_whole() -> None:
    from seabench.models.reference.tokenizer import SPECIAL_TOKENS

    tok = tokenizer()
    for text in ["ถอดเสียงพูด", "Chép lại nội dung", "இந்த ஒலியை", "请把这段音频", "Singlish lah 😀"]:
        assert tok.decode(tok(text)["input_ids"]) == text
    for special in SPECIAL_TOKENS:
        assert tok(special, add_special_tokens=False)["input_ids"] == [tok.convert_tokens_to_ids(special)]


def test_tiny_preset_fits_the_size_budget() -> None:
    from seabench.models.reference.model import ReferenceModel
    from seabench.models.reference.presets import tiny_config

    config = tiny_config(vocab_size=4000, audio_token_id=4)
    assert config.encoder.pad_to == "batch" and config.window_seconds == 15.0
    with torch.device("meta"):
        model = ReferenceModel(config)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params > 3_000_000 and 4 * n_params <= 30_000_000


@pytest.mark.parametrize(
    "decoder",
    [
        dict(model_type="llama"),
        dict(model_type="gemma2", head_dim=16, sliding_window=16),  # window shorter than the prompts
    ],
)
def test_other_decoder_families_batch_like_one_at_a_time(decoder: dict) -> None:
    from seabench.models.reference.inference import ReferenceLALM
    from seabench.models.reference.model import ReferenceModel

    tok = tokenizer()
    config = tiny_reference_config(len(tok), tok.convert_tokens_to_ids("<|AUDIO|>"))
    sizes = {k: config.decoder[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers")}
    heads = {"num_attention_heads": 4, "num_key_value_heads": 2}
    torch.manual_seed(1)
    model = ReferenceModel(config.model_copy(update={"decoder": {**sizes, **heads, **decoder}})).eval()
    assert type(model.decoder).__name__.lower().startswith(decoder["model_type"])
    audio, prompts = _items(full=False)
    batched = ReferenceLALM(model, tok).generate(audio, prompts, max_new_tokens=8)
    assert batched == ReferenceLALM(model, tok, batch_size=1).generate(audio, prompts, max_new_tokens=8)


def test_whisper_full_window_mode_matches_transformers_whisper_encoder() -> None:
    """pad_to='max' without masking is the original Whisper encoder (the MERaLiON set-up), op for op."""
    from seabench.models.reference.features import build_feature_extractor, extract_features
    from seabench.models.reference.model import ReferenceModel

    tok = tokenizer()
    config = tiny_reference_config(len(tok), 4, pad_to="max", mask_padding=False)
    torch.manual_seed(2)
    model = ReferenceModel(config).eval()
    batch = extract_features(config, build_feature_extractor(config), clips())
    assert batch.features.shape[-1] == config.max_mel_frames
    with torch.inference_mode():
        ours, steps = model.encoder(batch.features, batch.lengths)
        theirs = model.encoder.net(batch.features).last_hidden_state
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    assert steps.tolist() == [(int(n) - 1) // 2 + 1 for n in batch.lengths]


def test_batch_padding_without_masks_is_rejected() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="mask_padding"):
        tiny_reference_config(400, 4, pad_to="batch", mask_padding=False)
