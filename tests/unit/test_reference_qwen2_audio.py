"""A Qwen2-Audio-format checkpoint loaded into the reference model behaves exactly like transformers' model."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from tests.unit.reference_fixtures import PROMPTS, WINDOW_S, clips, one_torch_thread, tiny_qwen2_audio


@pytest.fixture(scope="module", autouse=True)
def _single_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


N_NEW = 16


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(transformers model, its processor, converted reference model, checkpoint folder)."""
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    from seabench.models.reference.io import load_qwen2_audio

    folder = tiny_qwen2_audio(Path(tmp_path_factory.mktemp("qwen2_audio")))
    hf = Qwen2AudioForConditionalGeneration.from_pretrained(str(folder)).eval()
    processor = AutoProcessor.from_pretrained(str(folder))
    processor.tokenizer.padding_side = "left"
    ref, _ = load_qwen2_audio(folder)
    return hf, processor, ref, folder


@functools.cache
def _clips():
    return clips()


def _inputs(processor, items: list[tuple[int, int]]):
    """Processor output for (clip index, prompt index) pairs, left-padded as one batch."""
    audio = _clips()
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


@pytest.fixture(scope="module")
def hf_greedy(pair) -> list[list[int]]:
    """transformers' greedy continuation (no stop token) of each item, one at a time."""
    hf, processor, _, _ = pair
    out = []
    for item in ITEMS:
        inputs = _inputs(processor, [item])
        with torch.inference_mode():
            tokens = hf.generate(**inputs, max_new_tokens=N_NEW, do_sample=False, eos_token_id=None)
        out.append(tokens[0, inputs["input_ids"].shape[1] :].tolist())
    return out


def test_greedy_generation_matches_transformers_one_at_a_time_and_batched(pair, hf_greedy) -> None:
    _, processor, ref, _ = pair
    pad = processor.tokenizer.pad_token_id
    assert all(len(t) == N_NEW for t in hf_greedy)
    assert len({tuple(t) for t in hf_greedy}) > 1  # the outputs depend on audio and prompt
    for item, expected in zip(ITEMS, hf_greedy, strict=True):
        inputs = _inputs(processor, [item])
        with torch.inference_mode():
            ours = ref.generate(*_ref_args(inputs), max_new_tokens=N_NEW, stop_token_ids=[], pad_token_id=pad)
        assert ours.tokens[0].tolist() == expected
    batch = _inputs(processor, ITEMS)
    with torch.inference_mode():
        batched = ref.generate(*_ref_args(batch), max_new_tokens=N_NEW, stop_token_ids=[], pad_token_id=pad)
    assert batched.tokens.tolist() == hf_greedy


def test_text_api_on_converted_folder_matches_transformers(pair, hf_greedy) -> None:
    """ReferenceLALM renders, expands and featurises exactly like the Qwen2-Audio processor."""
    from seabench.models.reference.inference import ReferenceLALM

    _, processor, _, folder = pair
    lalm = ReferenceLALM.from_pretrained(folder, batch_size=4)
    assert lalm.model.config.max_audio_seconds == WINDOW_S
    audio = _clips()
    results = lalm.generate([audio[c] for c, _ in ITEMS], [PROMPTS[p] for _, p in ITEMS], max_new_tokens=N_NEW)
    stops = set(lalm.stop_token_ids)
    assert stops == {processor.tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")}
    for item, unstopped, result in zip(ITEMS, hf_greedy, results, strict=True):
        # greedy decoding with a stop token is the unstopped sequence cut after its first stop token
        cut = next((i + 1 for i, t in enumerate(unstopped) if t in stops), len(unstopped))
        expected = unstopped[:cut]
        assert result.n_input_tokens == _inputs(processor, [item])["input_ids"].shape[1]
        assert list(result.token_ids) == expected
        assert result.n_output_tokens == len(expected)
        assert result.finish_reason == ("stop" if expected[-1] in stops else "length")
        body = expected[:-1] if result.finish_reason == "stop" else expected
        assert result.text == processor.tokenizer.decode(body, skip_special_tokens=True)


def test_checkpoint_is_sharded(pair) -> None:
    _, _, _, folder = pair
    assert (folder / "model.safetensors.index.json").exists()
    assert len(list(folder.glob("model-*.safetensors"))) > 1


def test_in_memory_weight_layout_loads_the_same(pair, tmp_path: Path) -> None:
    """transformers saves the hub layout (`language_model.model.*`, `audio_tower.*`); its in-memory state-dict
    names (`model.language_model.*`, ...) load too, so a checkpoint written by other tools also converts."""
    from safetensors.torch import load_file

    from seabench.models.reference.io import load_qwen2_audio

    _, processor, ref, folder = pair
    layouts = {
        "language_model.model.": "model.language_model.",
        "language_model.lm_head.": "lm_head.",
        "audio_tower.": "model.audio_tower.",
        "multi_modal_projector.": "model.multi_modal_projector.",
    }
    weights = {}
    for shard in folder.glob("model-*.safetensors"):
        for name, tensor in load_file(str(shard)).items():
            hub = next(p for p in layouts if name.startswith(p))
            weights[layouts[hub] + name[len(hub) :]] = tensor
    assert len(weights) == len(ref.state_dict())
    converted, _ = load_qwen2_audio(_with_weights(folder, tmp_path, weights))
    inputs = _inputs(processor, [(1, 0)])
    with torch.inference_mode():
        torch.testing.assert_close(converted(*_ref_args(inputs)).logits, ref(*_ref_args(inputs)).logits, atol=0, rtol=0)


def test_checkpoint_without_output_matrix_loads_tied(pair, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from seabench.models.reference.io import load_qwen2_audio

    _, _, _, folder = pair
    weights = {k: v for f in folder.glob("model-*.safetensors") for k, v in load_file(str(f)).items()}
    del weights["language_model.lm_head.weight"]
    converted, _ = load_qwen2_audio(_with_weights(folder, tmp_path, weights))
    assert converted.decoder.lm_head.weight is converted.decoder.get_input_embeddings().weight
    assert torch.equal(converted.decoder.lm_head.weight, weights["language_model.model.embed_tokens.weight"])


def _with_weights(folder: Path, target: Path, weights: dict) -> Path:
    """A copy of the checkpoint folder whose weights are `weights` in one unsharded file."""
    import shutil

    from safetensors.torch import save_file

    for item in folder.iterdir():
        if not item.name.startswith("model"):
            shutil.copy(item, target / item.name)
    save_file(weights, str(target / "model.safetensors"))
    return target


def test_bfloat16_load_runs(pair) -> None:
    from seabench.models.reference.inference import ReferenceLALM

    _, _, _, folder = pair
    lalm = ReferenceLALM.from_pretrained(folder, dtype="bfloat16")
    assert {p.dtype for p in lalm.model.parameters()} == {torch.bfloat16}
    result = lalm.generate([_clips()[0]], [PROMPTS[0]], max_new_tokens=4)[0]
    assert 1 <= result.n_output_tokens <= 4


def test_published_30_second_window_matches_transformers(tmp_path: Path) -> None:
    """Same checks with the 30 s window (3000 mel frames) of Qwen2-Audio-7B and SeaLLMs-Audio-7B."""
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    from seabench.models.reference.io import load_qwen2_audio

    folder = tiny_qwen2_audio(tmp_path, seed=3, window_s=30)
    hf = Qwen2AudioForConditionalGeneration.from_pretrained(str(folder)).eval()
    processor = AutoProcessor.from_pretrained(str(folder))
    ref, _ = load_qwen2_audio(folder)
    assert ref.config.max_audio_seconds == 30
    inputs = _inputs(processor, [(2, 1)])
    assert inputs["input_features"].shape[-1] == 3000
    pad = processor.tokenizer.pad_token_id
    with torch.inference_mode():
        torch.testing.assert_close(ref(*_ref_args(inputs)).logits, hf(**inputs).logits, atol=1e-4, rtol=0)
        theirs = hf.generate(**inputs, max_new_tokens=N_NEW, do_sample=False, eos_token_id=None)
        ours = ref.generate(*_ref_args(inputs), max_new_tokens=N_NEW, stop_token_ids=[], pad_token_id=pad)
    assert ours.tokens[0].tolist() == theirs[0, inputs["input_ids"].shape[1] :].tolist()
