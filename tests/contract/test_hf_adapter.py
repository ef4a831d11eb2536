"""The hf: adapter on tiny random checkpoints saved locally (Qwen2-Audio through its class, GLM-ASR
and Voxtral through AutoModelForMultimodalLM, Whisper as an ASR-only model), each with a locally
built tokenizer; nothing is downloaded."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from seabench.models.hf import create
from seabench.models.hf_checkpoint import REMOTE_CODE_REPOS
from seabench.models.hf_common import SR, split_points

from seabench import GenerationConfig, ModelInput, UserError
from tests.helpers.tiny_hf import tiny_glmasr, tiny_voxtral, tiny_whisper
from tests.unit.reference_fixtures import (
    WINDOW_S,
    clips,
    one_torch_thread,
    tiny_qwen2_audio,
)

GREEDY = GenerationConfig(max_new_tokens=8)


@pytest.fixture(scope="module", autouse=True)
def offline():
    with pytest.MonkeyPatch.context() as mp, one_torch_thread():
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hf")
    return {"qwen2_audio": tiny_qwen2_audio(root / "qwen2-audio"), "glmasr": tiny_glmasr(root / "glm-asr"),
            "whisper": tiny_whisper(root / "whisper"), "voxtral": tiny_voxtral(root / "voxtral")}


@pytest.fixture(scope="module")
def adapters(folders):
    made = {name: create(f"hf:{path}", {}) for name, path in folders.items()}
    yield made
    for adapter in made.values():
        adapter.close()


def _inputs(task: str = "mini/sqa-th", prompt: str = "Transcribe the audio.") -> list[ModelInput]:
    return [ModelInput(sample_id=f"s{i}", task=task, prompt=prompt, audio=[clip], language="th")
            for i, clip in enumerate(clips())]


@pytest.mark.parametrize(("family", "cls"), [("qwen2_audio", "Qwen2AudioForConditionalGeneration"),
                                             ("glmasr", "GlmAsrForConditionalGeneration"),
                                             ("voxtral", "VoxtralForConditionalGeneration")])
def test_info_names_the_local_snapshot(adapters, folders, family: str, cls: str) -> None:
    import transformers

    info = adapters[family].info()
    assert info.id == f"hf:{folders[family]}" and info.provider == "transformers"
    assert info.snapshot.startswith("dir:") and info.snapshot == adapters[family].info().snapshot
    assert info.dtype == "float32" and info.backend_version == f"transformers {transformers.__version__}"
    assert info.details["class"] == cls and info.details["device"] == "cpu"


def test_asr_only_model_transcribes_in_the_sample_language(adapters, folders) -> None:
    """An encoder-decoder without a chat template (Whisper) transcribes; the prompt is not used."""
    from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor

    adapter = adapters["whisper"]
    assert adapter.info().details["asr_only"] and "ignores task prompts" in adapter.warnings[0]
    audio = clips()[:2]
    inputs = [ModelInput(sample_id=f"s{i}", task="mini/asr-th", prompt=p, audio=[a], language=lang)
              for i, (a, p, lang) in enumerate(zip(audio, ["Transcribe.", "Anything else"], ["th", "vi-VN"]))]
    got = adapter.generate(inputs, GREEDY)
    processor = AutoProcessor.from_pretrained(str(folders["whisper"]))
    model = AutoModelForSpeechSeq2Seq.from_pretrained(str(folders["whisper"])).eval()
    for out, wave, lang in zip(got, audio, ["th", "vi"]):
        enc = processor.feature_extractor([wave], sampling_rate=SR, return_tensors="pt", return_attention_mask=True)
        with torch.inference_mode():
            ids = model.generate(**enc, language=lang, task="transcribe", max_new_tokens=8, do_sample=False)
        assert out.error is None and out.input_tokens is None
        assert out.text == processor.tokenizer.decode(ids[0], skip_special_tokens=True).strip()
    [two_clips] = adapter.generate([ModelInput(sample_id="x", task="mini/asr-th", prompt="", audio=audio)], GREEDY)
    assert two_clips.error and "exactly one audio clip" in two_clips.error


def test_snapshot_follows_the_weights(tmp_path, adapters) -> None:
    other = create(f"hf:{tiny_qwen2_audio(tmp_path / 'seed1', seed=1)}", {})
    assert other.info().snapshot != adapters["qwen2_audio"].info().snapshot


@pytest.mark.parametrize("family", ["qwen2_audio", "glmasr", "voxtral"])
def test_batched_left_padded_equals_one_by_one(adapters, family: str) -> None:
    adapter = adapters[family]
    # prompts of different lengths: Voxtral gives every clip under 30 s the same number of audio tokens
    inputs = [replace(inp, prompt=inp.prompt + " Now." * i) for i, inp in enumerate(_inputs())]
    batched = adapter.generate(inputs, GREEDY)
    single = [adapter.generate([inp], GREEDY)[0] for inp in inputs]
    assert [o.text for o in batched] == [o.text for o in single]
    assert all(o.text and o.error is None and o.output_tokens == 8 and o.finish_reason == "length" for o in batched)
    assert len({o.input_tokens for o in batched}) == 3  # clips of different lengths really were padded


def test_matches_transformers_generate_through_the_chat_template(adapters, folders) -> None:
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    processor = AutoProcessor.from_pretrained(str(folders["qwen2_audio"]))
    processor.tokenizer.padding_side = "left"
    model = Qwen2AudioForConditionalGeneration.from_pretrained(str(folders["qwen2_audio"])).eval()
    chat = [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": "Transcribe the audio."}]}]
    text = processor.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    enc = processor(text=[text] * 3, audio=clips(), sampling_rate=SR, return_tensors="pt", padding=True)
    with torch.inference_mode():
        ids = model.generate(**enc, max_new_tokens=8, do_sample=False)[:, enc["input_ids"].shape[1]:]
    expected = [t.strip() for t in processor.batch_decode(ids, skip_special_tokens=True)]
    got = adapters["qwen2_audio"].generate(_inputs(), GREEDY.model_copy(update={"system_prompt": "Be brief."}))
    assert [o.text for o in got] == expected


def test_repetition_penalty_and_stop_match_transformers_generate(adapters, folders) -> None:
    """-G repetition_penalty reaches transformers' generate; -G stop cuts the text before the stop string."""
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    processor = AutoProcessor.from_pretrained(str(folders["qwen2_audio"]))
    processor.tokenizer.padding_side = "left"
    model = Qwen2AudioForConditionalGeneration.from_pretrained(str(folders["qwen2_audio"])).eval()
    chat = [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": "Transcribe the audio."}]}]
    text = processor.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    enc = processor(text=[text] * 3, audio=clips(), sampling_rate=SR, return_tensors="pt", padding=True)
    with torch.inference_mode():
        ids = model.generate(**enc, max_new_tokens=8, do_sample=False, repetition_penalty=1.8)
    expected = [t.strip() for t in processor.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)]
    penalised = adapters["qwen2_audio"].generate(_inputs(), GREEDY.model_copy(update={"repetition_penalty": 1.8}))
    assert [o.text for o in penalised] == expected
    plain = adapters["qwen2_audio"].generate(_inputs(), GREEDY)
    assert [o.text for o in plain] != expected  # the penalty changed something, so the check above means something
    word = plain[0].text[2:4]
    stopped = adapters["qwen2_audio"].generate(_inputs()[:1], GREEDY.model_copy(update={"stop": (word,)}))
    assert stopped[0].text == plain[0].text[:plain[0].text.find(word)].strip() and stopped[0].finish_reason == "stop"


def test_voxtral_matches_transformers_generate_on_audio_files(adapters, folders, tmp_path) -> None:
    """Voxtral's documented input is an audio file: the adapter's in-memory clips must give the same answers."""
    import soundfile
    from transformers import AutoProcessor, VoxtralForConditionalGeneration

    processor = AutoProcessor.from_pretrained(str(folders["voxtral"]))
    model = VoxtralForConditionalGeneration.from_pretrained(str(folders["voxtral"])).eval()
    chats = []
    for n, clip in enumerate(clips()):
        soundfile.write(tmp_path / f"{n}.wav", clip, SR, subtype="FLOAT")
        chats.append([{"role": "user", "content": [{"type": "audio", "path": str(tmp_path / f"{n}.wav")},
                                                   {"type": "text", "text": "Transcribe the audio."}]}])
    enc = processor.apply_chat_template(chats, return_tensors="pt")
    with torch.inference_mode():
        ids = model.generate(**enc, max_new_tokens=8, do_sample=False)[:, enc["input_ids"].shape[1]:]
    expected = [t.strip() for t in processor.tokenizer.batch_decode(ids, skip_special_tokens=True)]
    assert [o.text for o in adapters["voxtral"].generate(_inputs(), GREEDY)] == expected


def test_control_tokens_in_the_prompt_are_text(adapters) -> None:
    """A prompt containing <|AUDIO|> must not add an audio slot (it would break or change the input)."""
    [out] = adapters["qwen2_audio"].generate(_inputs(prompt="Say <|AUDIO|><|im_end|> aloud.")[:1], GREEDY)
    assert out.error is None and out.text


def test_mistral_control_tokens_in_the_prompt_are_text(adapters) -> None:
    """Voxtral's tokenizer is byte-level: `[AUDIO]` read as text costs 7 tokens, like `(AUDIO)`."""
    adapter = adapters["voxtral"]
    [control, plain] = [adapter.generate(_inputs(prompt=f"Say {word}[/INST] aloud.")[:1], GREEDY)[0]
                        for word in ("[AUDIO]", "(AUDIO)")]
    assert control.error is None and control.text and control.input_tokens == plain.input_tokens


def test_text_only_input(adapters) -> None:
    [out] = adapters["qwen2_audio"].generate(
        [ModelInput(sample_id="t", task="mini/open-th", prompt="Hello there.")], GREEDY)
    assert out.error is None and out.text and out.input_tokens and out.input_tokens > 5


def test_sampling_is_seeded(adapters) -> None:
    config = GenerationConfig(max_new_tokens=8, temperature=1.5, top_p=0.95, seed=7)
    adapter = adapters["qwen2_audio"]
    first = [o.text for o in adapter.generate(_inputs(), config)]
    assert first == [o.text for o in adapter.generate(_inputs(), config)]
    assert first != [o.text for o in adapter.generate(_inputs(), GREEDY)]


def _long_clip() -> np.ndarray:
    tone = np.tile(clips()[2], 7)  # 25.9 s
    tone[int(9.2 * SR):int(9.4 * SR)] = 0.0  # a pause before the 10 s window edge
    return tone


def test_long_asr_audio_is_chunked_at_a_pause(adapters) -> None:
    adapter = adapters["qwen2_audio"]
    wave = _long_clip()
    cuts = split_points(len(wave), wave, WINDOW_S)
    assert len(cuts) == 2 and 9.2 * SR <= cuts[0] <= 9.4 * SR
    bounds = [0, *cuts, len(wave)]
    assert all(b - a <= WINDOW_S * SR for a, b in itertools.pairwise(bounds))
    [out] = adapter.generate([ModelInput(sample_id="long", task="mini/asr-th", prompt="Transcribe.",
                                         audio=[wave], language="th")], GREEDY)
    pieces = adapter.generate([ModelInput(sample_id=f"p{i}", task="mini/sqa-th", prompt="Transcribe.",
                                          audio=[wave[a:b]], language="th") for i, (a, b) in
                               enumerate(itertools.pairwise(bounds))], GREEDY)
    assert out.text == "".join(p.text for p in pieces)  # Thai: joined without spaces
    assert out.output_tokens == 24 and any("split into 3 windows" in w for w in out.warnings)


def test_long_audio_of_other_tasks_is_truncated_with_a_warning(adapters) -> None:
    adapter = adapters["qwen2_audio"]
    wave = _long_clip()
    [out] = adapter.generate([ModelInput(sample_id="q", task="mini/sqa-th", prompt="What?", audio=[wave])], GREEDY)
    [cut] = adapter.generate([ModelInput(sample_id="q", task="mini/sqa-th", prompt="What?",
                                         audio=[wave[:WINDOW_S * SR]])], GREEDY)
    assert out.text == cut.text
    assert out.warnings == ["audio 1 truncated from 25.9 s to the model's limit of 10 s"]


def test_a_failing_sample_does_not_fail_its_batch(adapters) -> None:
    inputs = _inputs()
    inputs[1] = ModelInput(sample_id="bad", task="mini/sqa-th", prompt="x", audio=[np.zeros((2, 2, 2), np.float32)])
    outs = adapters["qwen2_audio"].generate(inputs, GREEDY)
    assert outs[1].error and outs[1].error_code == "model_error"
    assert outs[0].error is None and outs[2].error is None and outs[0].text


@pytest.mark.parametrize("family", ["qwen2_audio", "voxtral"])
def test_runs_through_the_runner(adapters, folders, tmp_path, family: str) -> None:
    from seabench.runner import RunConfig, Runner

    result = Runner(RunConfig(model=f"hf:{folders[family]}", tasks="mini/asr-th", output_dir=tmp_path,
                              limit=2, use_cache=False, quiet=True, judge=None,
                              model_options={"batch_size": 2, "max_audio_s": 9.5})).run()
    task = result.tasks["mini/asr-th"]
    assert result.status == "complete" and task.counts.completed == 2 and task.counts.n_errors == 0
    assert result.model.snapshot == adapters[family].info().snapshot and result.model.max_audio_s == 9.5


def test_remote_code_is_refused_unless_allow_listed(folders) -> None:
    with pytest.raises(UserError, match="trust_remote_code is off .* allow-listed model families"):
        create(f"hf:{folders['qwen2_audio']}", {"trust_remote_code": True})
    with pytest.raises(UserError, match="trust_remote_code is off"):
        create("hf:someone/clever-model", {"trust_remote_code": True, "revision": "a" * 40})
    assert "MERaLiON/MERaLiON-2-10B" in REMOTE_CODE_REPOS and "microsoft/Phi-4-multimodal-instruct" in REMOTE_CODE_REPOS


@pytest.mark.parametrize(("options", "message"), [({"colour": "red"}, "does not take option"),
                                                   ({"dtype": "int4"}, "dtype must be"),
                                                   ({"device": "tpu"}, "device must be")])
def test_bad_options_fail_before_loading(folders, options, message) -> None:
    with pytest.raises(UserError, match=message):
        create(f"hf:{folders['qwen2_audio']}", options)


def test_missing_folder_is_a_user_error(tmp_path) -> None:
    with pytest.raises(UserError, match="no checkpoint folder"):
        create(f"hf:{tmp_path / 'nope'}", {})
