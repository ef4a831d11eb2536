"""The reference model with a wav2vec2 encoder (the XLS-R family of self-supervised speech encoders):
it reads the waveform, batches like one clip at a time, saves and loads, and trains (loss falls)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.unit.reference_fixtures import clips, tokenizer
from tests.unit.test_reference_train import _history, _train, train_dir  # noqa: F401 - the shared train split

pytestmark = pytest.mark.usefixtures("single_torch_thread")

N_NEW = 8


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    from seabench.models.reference.io import save_reference
    from seabench.models.reference.model import ReferenceModel
    from seabench.models.reference.presets import tiny_config

    tok = tokenizer()
    config = tiny_config(len(tok), tok.convert_tokens_to_ids("<|AUDIO|>"), encoder="wav2vec2", encoder_dim=32,
                         encoder_layers=2, encoder_heads=2, decoder_dim=64, decoder_layers=2, max_audio_seconds=8.0)
    config = config.model_copy(update={"decoder": {**config.decoder, "tie_word_embeddings": False}})
    torch.manual_seed(0)
    model = ReferenceModel(config).eval()
    with torch.no_grad():  # sharper logits: greedy decoding without near-ties
        model.decoder.get_output_embeddings().weight.mul_(4.0)
    return save_reference(model, tok, tmp_path_factory.mktemp("ssl") / "ckpt")


@pytest.fixture(scope="module")
def lalm(saved):
    from seabench.models.reference.inference import ReferenceLALM

    return ReferenceLALM.from_pretrained(saved)


def test_encoder_is_transformers_wav2vec2_over_the_waveform(lalm) -> None:
    from seabench.models.reference.features import extract_features
    from transformers import Wav2Vec2Model

    config = lalm.model.config
    assert config.encoder.kind == "wav2vec2" and config.num_mel_bins == 1 and config.window_seconds == 8.0
    assert isinstance(lalm.model.encoder.net, Wav2Vec2Model)
    batch = extract_features(config, lalm.extractor, clips()[:2])
    assert batch.features.shape[1] == 1 and batch.lengths.tolist() == [len(c) for c in clips()[:2]]
    frames = lalm.model.encoder.output_lengths(batch.lengths)
    assert frames.tolist() == [int(Wav2Vec2Model._get_feat_extract_output_lengths(lalm.model.encoder.net,
                                                                                   torch.tensor(len(c))))
                               for c in clips()[:2]]
    # each clip is normalised on its own, as Wav2Vec2FeatureExtractor does
    wave = batch.features[0, 0, : batch.lengths[0]]
    assert abs(float(wave.mean())) < 1e-4 and abs(float(wave.std()) - 1.0) < 1e-3


def test_matches_transformers_wav2vec2_on_one_clip(lalm) -> None:
    """The encoder's output is exactly Wav2Vec2Model's on the extractor's input."""
    from transformers import Wav2Vec2FeatureExtractor

    extractor = Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True)
    inputs = extractor(clips()[2], sampling_rate=16_000, return_tensors="pt")
    with torch.inference_mode():
        expected = lalm.model.encoder.net(**inputs).last_hidden_state
        got, steps = lalm.model.encoder(inputs["input_values"][:, None, :], torch.tensor([len(clips()[2])]))
    assert int(steps[0]) == expected.shape[1] and torch.allclose(got, expected, atol=1e-5)


def test_batched_equals_one_by_one_and_reload(lalm, saved: Path) -> None:
    from seabench.models.reference.inference import ReferenceLALM

    audio = clips()
    prompts = ["Transcribe the audio.", "Chép lại nội dung âm thanh này.", "Transcribe the audio."]
    batched = lalm.generate(audio, prompts, max_new_tokens=N_NEW)
    single = [lalm.generate([a], [p], max_new_tokens=N_NEW)[0] for a, p in zip(audio, prompts)]
    assert [r.token_ids for r in batched] == [r.token_ids for r in single]
    assert len({r.n_input_tokens for r in batched}) == 3  # clips of different lengths: different audio token counts
    again = ReferenceLALM.from_pretrained(saved).generate(audio, prompts, max_new_tokens=N_NEW)
    assert [r.token_ids for r in again] == [r.token_ids for r in batched]


def test_spec_augment_masks_a_waveform_in_time_only() -> None:
    from seabench.models.reference.train import spec_augment

    wave = np.ones((1, 16_000 * 4), dtype=np.float32)
    masked = spec_augment(wave, np.random.default_rng(3))
    zero = masked[0] == 0.0
    assert 0 < zero.mean() < 0.2  # a few spans of 10 ms steps, never the whole clip
    mel = np.ones((80, 400), dtype=np.float32)
    assert spec_augment(mel, np.random.default_rng(3)).min() == 0.0


def test_training_with_a_wav2vec2_encoder(train_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from seabench.models.reference.inference import ReferenceLALM

    final = _train(train_dir, tmp_path / "run", 6, encoder="wav2vec2")
    losses = [loss for _, loss in _history(tmp_path / "run" / "checkpoint-latest")]
    assert len(losses) == 6 and sum(losses[-2:]) / 2 < 0.9 * sum(losses[:2]) / 2
    config = json.loads((final / "config.json").read_text())
    assert config["encoder"]["kind"] == "wav2vec2" and config["encoder"]["normalize_waveform"]
    lalm = ReferenceLALM.from_pretrained(final)
    (result,) = lalm.generate([clips()[0]], ["Transcribe the speech in English."], max_new_tokens=3)
    assert result.n_output_tokens >= 1 and result.n_input_tokens > 10
