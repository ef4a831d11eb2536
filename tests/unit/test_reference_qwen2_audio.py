"""A Qwen2-Audio-format checkpoint loaded into the reference model behaves exactly like transformers' model."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tests.unit.reference_fixtures import PROMPTS, clips, tiny_qwen2_audio  # noqa: E402

N_NEW = 16


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(transformers model, its processor, converted reference model, checkpoint folder)."""
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    from seabench.models.reference.io import load_qwen2_audio

    torch.set_num_threads(2)
    folder = tiny_qwen2_audio(Path(tmp_path_factory.mktemp("qwen2_audio")))
    hf = Qwen2AudioForConditionalGeneration.from_pretrained(str(folder)).eval()
    processor = AutoProcessor.from_pretrained(str(folder))
    processor.tokenizer.padding_side = "left"
    ref, _ = load_qwen2_audio(folder)
    return hf, processor, ref, folder


def _inputs(processor, items: list[tuple[int, int]]):
    """Processor output for (clip index, prompt index) pairs, left-padded as one batch."""
    audio = clips()
    texts = [
        processor.apply_chat_template(
            [{"role": "user", "content": [{"type": "audio", "audio": "clip"}, {"type": "text", "text": PROMPTS[p]}]}],
            add_generation_prompt=True,
            tokenize=False,
        )
        for _, p in items
    ]
    return processor(
        text=texts, audio=[audio[c] for c, _ in items], sampling_rate=16_000, return_tensors="pt", padding=True
    )


def _ref_args(inputs):
    return inputs["input_ids"], inputs["attention_mask"], inputs["input_features"], inputs["feature_attention_mask"]


ITEMS = list(itertools.product(range(3), range(len(PROMPTS))))


def test_converted_weights_and_config(pair) -> None:
    hf, processor, ref, _ = pair
    assert ref.config.encoder.kind == "qwen2_audio" and ref.config.adapter.kind == "qwen2_pool"
    assert ref.config.audio_token_id == hf.config.audio_token_id
    assert ref.config.chat_template == processor.chat_template
    theirs = hf.state_dict()
    ours = ref.state_dict()
    assert torch.equal(ours["adapter.linear.weight"], theirs["model.multi_modal_projector.linear.weight"])
    assert torch.equal(ours["decoder.lm_head.weight"], theirs["lm_head.weight"])
    assert sum(t.numel() for t in ours.values()) == sum(t.numel() for t in theirs.values())


@pytest.mark.parametrize(("clip", "prompt"), ITEMS)
def test_logits_match_transformers(pair, clip: int, prompt: int) -> None:
    hf, processor, ref, _ = pair
    inputs = _inputs(processor, [(clip, prompt)])
    with torch.inference_mode():
        expected = hf(**inputs).logits
        got = ref(*_ref_args(inputs)).logits
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)


def test_left_padded_batch_logits_match_transformers(pair) -> None:
    hf, processor, ref, _ = pair
    inputs = _inputs(processor, ITEMS)
    assert (inputs["attention_mask"][:, 0] == 0).any()  # really padded
    positions = (inputs["attention_mask"].cumsum(-1) - 1).clamp(min=0)
    with torch.inference_mode():
        expected = hf(**inputs, position_ids=positions).logits
        got = ref(*_ref_args(inputs), position_ids=positions).logits
    real = inputs["attention_mask"].bool()
    torch.testing.assert_close(got[real], expected[real], atol=1e-4, rtol=0)


def test_greedy_generation_matches_transformers_one_at_a_time_and_batched(pair) -> None:
    hf, processor, ref, _ = pair
    pad = processor.tokenizer.pad_token_id
    singles = []
    for item in ITEMS:
        inputs = _inputs(processor, [item])
        with torch.inference_mode():
            theirs = hf.generate(**inputs, max_new_tokens=N_NEW, do_sample=False, eos_token_id=None)
            ours = ref.generate(*_ref_args(inputs), max_new_tokens=N_NEW, stop_token_ids=[], pad_token_id=pad)
        theirs = theirs[0, inputs["input_ids"].shape[1] :].tolist()
        assert ours.tokens[0].tolist() == theirs
        singles.append(theirs)
    assert len({tuple(s) for s in singles}) > 1  # the outputs depend on audio and prompt
    batch = _inputs(processor, ITEMS)
    with torch.inference_mode():
        batched = ref.generate(*_ref_args(batch), max_new_tokens=N_NEW, stop_token_ids=[], pad_token_id=pad)
    assert batched.tokens.tolist() == singles


def test_text_api_on_converted_folder_matches_transformers(pair) -> None:
    """ReferenceLALM renders, expands and featurises exactly like the Qwen2-Audio processor."""
    from seabench.models.reference.inference import ReferenceLALM

    hf, processor, _, folder = pair
    lalm = ReferenceLALM.from_pretrained(folder, batch_size=4)
    audio = clips()
    results = lalm.generate([audio[c] for c, _ in ITEMS], [PROMPTS[p] for _, p in ITEMS], max_new_tokens=N_NEW)
    stops = lalm.stop_token_ids
    for (clip, prompt), result in zip(ITEMS, results, strict=True):
        inputs = _inputs(processor, [(clip, prompt)])
        with torch.inference_mode():
            out = hf.generate(**inputs, max_new_tokens=N_NEW, do_sample=False, eos_token_id=stops)
        new = out[0, inputs["input_ids"].shape[1] :].tolist()
        assert result.n_input_tokens == inputs["input_ids"].shape[1]
        assert list(result.token_ids) == new
        assert result.text == processor.tokenizer.decode(new, skip_special_tokens=True)
        assert result.finish_reason == ("stop" if new[-1] in stops else "length")
