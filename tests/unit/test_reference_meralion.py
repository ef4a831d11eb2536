"""MERaLiON v1/v2 checkpoints in their published layout load into the reference model and behave exactly
like a plain implementation of the official forward (tests/helpers/remote_code/meralion.py, the tiny
checkpoints' own remote code): same prompt text, same logits, same greedy tokens, including v2's
several 30 s-style windows per clip."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from tests.helpers.tiny_hf import MERALION_CODE, tiny_meralion
from tests.unit.reference_fixtures import assert_same_as_transformers, clips

pytestmark = pytest.mark.usefixtures("single_torch_thread")

OFFICIAL_V1 = "Given the following audio context: <SpeechHere>\n\nText instruction: {query}"
OFFICIAL_V2 = "Instruction: {query} \nFollow the text instruction based on the following audio: <SpeechHere>"
N_NEW = 10
WINDOW_S = 6


@pytest.fixture(scope="module")
def code():
    spec = importlib.util.spec_from_file_location("meralion_official_forward", MERALION_CODE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=[1, 2], ids=["v1", "v2"])
def pair(request, tmp_path_factory, code):
    """(version, official model, official processor, reference LALM, folder); v2's decoder is tied like Gemma's."""
    from seabench.models.reference.inference import ReferenceLALM

    version = request.param
    folder = tiny_meralion(tmp_path_factory.mktemp(f"meralion{version}") / "ckpt", version, window_s=WINDOW_S,
                           tied=version == 2)
    suffix = "2" if version == 2 else ""
    official = getattr(code, f"MERaLiON{suffix}ForConditionalGeneration").from_pretrained(str(folder)).eval()
    processor = getattr(code, f"MERaLiON{suffix}Processor").from_pretrained(str(folder))
    processor.tokenizer.padding_side = "left"
    return version, official, processor, ReferenceLALM.from_pretrained(folder), folder


def _official_text(processor, version: int, query: str) -> str:
    template = OFFICIAL_V2 if version == 2 else OFFICIAL_V1
    conversation = [{"role": "user", "content": template.format(query=query)}]
    return processor.tokenizer.apply_chat_template(conversation=conversation, tokenize=False,
                                                   add_generation_prompt=True)


def _long_clip() -> np.ndarray:
    return np.tile(clips()[2], 4)[: int(14.5 * 16000)]  # 14.5 s: three 6 s windows for v2, cut to 6 s for v1


def test_config_and_weights_map_one_to_one(pair) -> None:
    version, official, _, lalm, _ = pair
    config = lalm.model.config
    assert config.adapter.kind == ("meralion2" if version == 2 else "meralion") and config.adapter.stack == 15
    assert config.encoder.keep_padding and not config.encoder.mask_padding and config.window_seconds == WINDOW_S
    assert config.max_audio_seconds == (3 * WINDOW_S if version == 2 else WINDOW_S)
    assert config.encoder.normalize_waveform == (version == 2)
    ours, theirs = lalm.model.state_dict(), official.state_dict()
    assert torch.equal(ours["adapter.ln_speech.weight"], theirs["ln_speech.weight"])
    assert torch.equal(ours["adapter.mlp_adapter.0.weight"], theirs["speech_audio_adapter.mlp_adapter.0.weight"])
    assert torch.equal(ours["encoder.net.conv1.weight"], theirs["speech_encoder.conv1.weight"])
    assert torch.equal(ours["decoder.lm_head.weight"], theirs["text_decoder.lm_head.weight"])
    assert sum(t.numel() for t in ours.values()) == sum(t.numel() for t in theirs.values())


@pytest.mark.parametrize("query", ["Transcribe the audio.", ""])
def test_prompt_is_the_official_one(pair, query: str) -> None:
    version, _, processor, lalm, _ = pair
    expected = _official_text(processor, version, query or "Please follow the instruction in the speech.")
    assert lalm.render(query, 1) == expected
    with pytest.raises(ValueError, match="at most 1 audio clip"):
        lalm.render(query, 2)


@pytest.mark.parametrize("clip", ["short", "long"])
def test_logits_and_greedy_tokens_match_the_official_forward(pair, clip: str) -> None:
    version, official, processor, lalm, _ = pair
    audio = clips()[1] if clip == "short" else _long_clip()
    enc = processor(text=_official_text(processor, version, "Transcribe the audio."), audios=audio)
    assert enc["input_features"].shape[0] == (3 if clip == "long" and version == 2 else 1)
    assert_same_as_transformers(official, enc, lalm, audio, "Transcribe the audio.", N_NEW)


def test_batched_equals_one_by_one(pair) -> None:
    _, _, _, lalm, _ = pair
    audio = [clips()[0], _long_clip(), clips()[2]]
    prompts = ["Transcribe the audio.", "What is said?", ""]
    batched = lalm.generate(audio, prompts, max_new_tokens=N_NEW)
    single = [lalm.generate([a], [p], max_new_tokens=N_NEW)[0] for a, p in zip(audio, prompts)]
    assert [r.token_ids for r in batched] == [r.token_ids for r in single]


def test_reference_adapter_runs_a_meralion_folder(pair) -> None:
    """`reference:PATH` on a MERaLiON folder: the processor's audio limit, no system turn, the same answer."""
    from seabench.models.reference_adapter import create

    from seabench import GenerationConfig, ModelInput

    version, _, _, lalm, folder = pair
    adapter = create(f"reference:{folder}", {})
    assert adapter.window_s == lalm.model.config.max_audio_seconds
    assert "system_prompt" not in adapter.generation_keys
    inp = ModelInput(sample_id="a", task="mini/sqa-th", prompt="Transcribe the audio.", audio=[_long_clip()])
    [out] = adapter.generate([inp], GenerationConfig(max_new_tokens=N_NEW))
    [direct] = lalm.generate([_long_clip()], ["Transcribe the audio."], max_new_tokens=N_NEW)
    assert out.error is None and out.text == direct.text
    truncated = ["audio 1 truncated from 14.5 s to the model's limit of 6 s"]
    assert out.warnings == ([] if version == 2 else truncated)  # v2 reads all three windows, v1 one
