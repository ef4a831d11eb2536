"""SeaLLMs-Audio as its own case: a Qwen2-Audio encoder with a Qwen2.5 decoder (rope theta 1e6, untied
output matrix, long context) and its own chat template, in the hub's key layout. The reference model
loads it and matches transformers' Qwen2AudioForConditionalGeneration; the prompt is the template's."""

from __future__ import annotations

import pytest
import torch

from tests.helpers.tiny_hf import tiny_seallms_audio
from tests.unit.reference_fixtures import assert_same_as_transformers, clips

pytestmark = pytest.mark.usefixtures("single_torch_thread")

N_NEW = 10


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    from seabench.models.reference.inference import ReferenceLALM
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    folder = tiny_seallms_audio(tmp_path_factory.mktemp("seallms") / "SeaLLMs-Audio-tiny")
    hf = Qwen2AudioForConditionalGeneration.from_pretrained(str(folder)).eval()
    processor = AutoProcessor.from_pretrained(str(folder))
    return hf, processor, ReferenceLALM.from_pretrained(folder)


def _official_text(processor, prompt: str) -> str:
    """SeaBench_Audio/gen_responses.py: a user turn with the audio (by file) then the text, no system turn."""
    conversation = [{"role": "user", "content": [{"type": "audio", "audio_url": "clip.wav"},
                                                 {"type": "text", "text": prompt}]}]
    return processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)


def test_decoder_is_qwen2_5_shaped(pair) -> None:
    hf, _, lalm = pair
    decoder = lalm.model.decoder.config
    assert decoder.rope_parameters["rope_theta"] == 1_000_000.0 and decoder.max_position_embeddings == 32768
    assert not lalm.model.config.decoder["tie_word_embeddings"]
    assert torch.equal(lalm.model.decoder.lm_head.weight, hf.lm_head.weight)
    assert not torch.equal(lalm.model.decoder.lm_head.weight, lalm.model.decoder.get_input_embeddings().weight)


def test_prompt_is_the_checkpoints_template_without_a_system_turn(pair) -> None:
    _, processor, lalm = pair
    rendered = lalm.render("Transcribe the audio.", 1)
    assert rendered == _official_text(processor, "Transcribe the audio.") and "system" not in rendered


def test_logits_and_greedy_tokens_match_transformers(pair) -> None:
    hf, processor, lalm = pair
    for clip in clips()[1:]:
        enc = processor(text=_official_text(processor, "Transcribe the audio."), audio=[clip], return_tensors="pt",
                        padding=True, sampling_rate=16_000)
        assert_same_as_transformers(hf, enc, lalm, clip, "Transcribe the audio.", N_NEW)
