"""Each model family through `hf:` the way its authors run it, on tiny local checkpoints in the family's
real layout (MERaLiON v1/v2 and a Phi-4-multimodal stand-in ship remote code; Whisper; wav2vec2 CTC).
Every comparison runs the official script's steps (file named in models/prompts.py) next to the adapter."""

from __future__ import annotations

import functools
import shutil
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from seabench.models.hf import create
from seabench.models.hf_checkpoint import code_sha256
from seabench.models.hf_common import SR, window_of

from seabench import GenerationConfig, ModelInput, UserError
from tests.helpers.tiny_hf import (
    tiny_meralion,
    tiny_phi4mm,
    tiny_seallms_audio,
    tiny_wav2vec2_ctc,
    tiny_whisper,
)
from tests.unit.reference_fixtures import clips, one_torch_thread, tiny_qwen2_audio

GREEDY = GenerationConfig(max_new_tokens=8)
# the official prompts, typed here from the scripts (DAMO-NLP-SG/SeaLLMs-Audio SeaBench_Audio/scripts/)
OFFICIAL = {1: "Given the following audio context: <SpeechHere>\n\nText instruction: {query}",
            2: "Instruction: {query} \nFollow the text instruction based on the following audio: <SpeechHere>"}
SPOKEN = "Please follow the instruction in the speech."
OMNI_SYSTEM = ("You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of perceiving "
               "auditory and visual inputs, as well as generating text and speech.")
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module", autouse=True)
def offline(tmp_path_factory):
    """No network; remote code is copied into a temporary modules cache, not the user's."""
    import transformers.dynamic_module_utils as dynamic

    with pytest.MonkeyPatch.context() as mp, one_torch_thread():
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setattr(dynamic, "HF_MODULES_CACHE", str(tmp_path_factory.mktemp("hf-modules")))
        yield


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("families")
    return {"meralion1": tiny_meralion(root / "meralion1", 1), "meralion2": tiny_meralion(root / "meralion2", 2),
            "phi4mm": tiny_phi4mm(root / "phi4mm"), "whisper": tiny_whisper(root / "whisper"),
            "ctc": tiny_wav2vec2_ctc(root / "ctc"), "ctc_group": tiny_wav2vec2_ctc(root / "ctc-group", layer_norm=False),
            "qwen2_audio": tiny_qwen2_audio(root / "qwen2-audio"),
            "seallms_audio": tiny_seallms_audio(root / "SeaLLMs-Audio-tiny")}


def pinned(folder: Path) -> dict[str, object]:
    return {"trust_remote_code": True, "code_sha256": code_sha256(folder)}


@pytest.fixture(scope="module")
def meralion(folders):
    made = {v: create(f"hf:{folders[f'meralion{v}']}", pinned(folders[f"meralion{v}"])) for v in (1, 2)}
    yield made
    for adapter in made.values():
        adapter.close()


def _inputs(prompt: str = "Transcribe the audio.", task: str = "mini/sqa-th") -> list[ModelInput]:
    return [ModelInput(sample_id=f"s{i}", task=task, prompt=prompt, audio=[clip], language="th")
            for i, clip in enumerate(clips())]


def _long_clip() -> np.ndarray:
    return np.tile(clips()[2], 4)[: int(14.5 * SR)]


# -- MERaLiON -------------------------------------------------------------------------------------------
def _official_meralion(folder: Path, version: int, query: str | None, audio: list[np.ndarray],
                       **generate: object) -> list[str]:
    """gen_responses_MERaLion{,2}.py: AutoProcessor + AutoModelForSpeechSeq2Seq with remote code, the
    prompt in a user turn of the tokenizer's chat template, `processor(text=..., audios=...)`, greedy."""
    from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor

    processor = AutoProcessor.from_pretrained(str(folder), trust_remote_code=True)
    model = AutoModelForSpeechSeq2Seq.from_pretrained(str(folder), use_safetensors=True, trust_remote_code=True)
    answers = []
    for array in audio:
        conversation = [{"role": "user", "content": OFFICIAL[version].format(query=SPOKEN if query is None else query)}]
        chat_prompt = processor.tokenizer.apply_chat_template(conversation=conversation, tokenize=False,
                                                              add_generation_prompt=True)
        inputs = processor(text=chat_prompt, audios=array)
        with torch.inference_mode():
            outputs = model.generate(**inputs, do_sample=False, **generate)
        answers.append(processor.batch_decode(outputs[:, inputs["input_ids"].size(1):], skip_special_tokens=True)[0])
    return answers


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(("task_prompt", "official_query"), [("Transcribe the audio.", "Transcribe the audio."),
                                                             ("", None)])
def test_meralion_prompt_is_the_official_one(meralion, version: int, task_prompt: str,
                                             official_query: str | None) -> None:
    adapter = meralion[version]
    query = SPOKEN if official_query is None else official_query
    expected = adapter.tokenizer.apply_chat_template([{"role": "user", "content": OFFICIAL[version].format(query=query)}],
                                                     tokenize=False, add_generation_prompt=True)
    inp = ModelInput(sample_id="a", task="mini/sqa-th", prompt=task_prompt, audio=[clips()[0]])
    assert adapter.wrapped_text(inp, GREEDY) == expected
    info = adapter.info()
    assert info.details["prompt_template"] == f"meralion{'2' if version == 2 else ''}"
    assert f"gen_responses_MERaLion{'2' if version == 2 else ''}.py" in info.details["prompt_source"]
    assert info.details["remote_code"] and info.details["input"] == "wrapped"


@pytest.mark.parametrize("version", [1, 2])
def test_meralion_answers_like_the_official_script(meralion, folders, version: int) -> None:
    """Batched and left-padded here, one by one there; the SeaBench-Audio scripts' repetition penalty."""
    settings = GREEDY.model_copy(update={"repetition_penalty": 1.1})
    got = meralion[version].generate(_inputs(), settings)
    expected = _official_meralion(folders[f"meralion{version}"], version, "Transcribe the audio.", clips(),
                                  max_new_tokens=8, repetition_penalty=1.1)
    assert [o.text for o in got] == [e.strip() for e in expected]
    assert all(o.error is None and o.text for o in got)


def test_meralion2_takes_its_processors_whole_audio_limit(meralion, folders) -> None:
    """MERaLiON-2's processor reads up to `time_duration_limit` s (300 published; 18 in the tiny one) in
    windows; v1 reads one window (30 s published; 6 here) and longer audio is cut with a warning."""
    assert meralion[2].window_s == 18.0 and meralion[1].window_s == 6.0
    assert window_of(types.SimpleNamespace(time_duration_limit=300, feature_extractor=None)) == 300.0
    inp = [ModelInput(sample_id="l", task="mini/sqa-th", prompt="What is said?", audio=[_long_clip()])]
    [v2] = meralion[2].generate(inp, GREEDY)
    assert not v2.warnings and v2.text == _official_meralion(folders["meralion2"], 2, "What is said?", [_long_clip()],
                                                             max_new_tokens=8)[0].strip()
    [v1] = meralion[1].generate(inp, GREEDY)
    assert v1.warnings == ["audio 1 truncated from 14.5 s to the model's limit of 6 s"]


def test_meralion_without_audio_or_with_two_clips(meralion) -> None:
    text_only = ModelInput(sample_id="t", task="mini/open-th", prompt="Hello there.")
    two = ModelInput(sample_id="two", task="mini/sqa-th", prompt="Compare.", audio=clips()[:2])
    outs = meralion[2].generate([text_only, *_inputs()[:1], two], GREEDY)
    assert outs[0].error is None and outs[0].text and outs[1].error is None
    assert outs[2].error and "at most 1 audio clip" in outs[2].error
    assert "system_prompt" not in meralion[2].generation_keys  # Gemma's template has no system turn


# -- remote code: allow-listed families, pinned code ---------------------------------------------------------
def test_remote_code_needs_a_pin_and_says_which(folders) -> None:
    folder = folders["meralion2"]
    digest = code_sha256(folder)
    with pytest.raises(UserError, match=f"runs its own model code.*modeling_meralion2.py.*"
                                        f"-M trust_remote_code=true -M code_sha256={digest}$"):
        create(f"hf:{folder}", {})
    with pytest.raises(UserError, match=f"only when pinned.*-M code_sha256={digest}"):
        create(f"hf:{folder}", {"trust_remote_code": True})
    with pytest.raises(UserError, match=f"does not match the pinned code_sha256 {'0' * 64} \\(it is {digest}\\)"):
        create(f"hf:{folder}", {"trust_remote_code": True, "code_sha256": "0" * 64})
    with pytest.raises(UserError, match="does not record the commit it was downloaded at"):
        create(f"hf:{folder}", {"trust_remote_code": True, "revision": COMMIT})


def test_remote_code_of_a_family_not_on_the_list_is_refused(folders, tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(folders["meralion2"], odd)
    config = (odd / "config.json").read_text().replace('"model_type": "meralion2"', '"model_type": "mystery"')
    (odd / "config.json").write_text(config)
    for options in ({}, pinned(odd)):
        with pytest.raises(UserError, match="trust_remote_code is off for .*'mystery'.*allow-listed model families"):
            create(f"hf:{odd}", options)


def test_a_folder_downloaded_at_a_commit_is_pinned_by_it(folders, tmp_path: Path) -> None:
    """`hf download REPO --revision C --local-dir DIR` records C next to the files."""
    local = tmp_path / "local"
    shutil.copytree(folders["meralion1"], local)
    (local / ".cache" / "huggingface" / "download").mkdir(parents=True)
    (local / ".cache" / "huggingface" / "download" / "config.json.metadata").write_text(f"{COMMIT}\netag\n1.0\n")
    with pytest.raises(UserError, match=f"-M code_sha256=.* or -M revision={COMMIT} \\(the commit it was"):
        create(f"hf:{local}", {"trust_remote_code": True})
    with pytest.raises(UserError, match=f"was downloaded at commit {COMMIT}, so -M revision={'f' * 40} does not pin"):
        create(f"hf:{local}", {"trust_remote_code": True, "revision": "f" * 40})
    adapter = create(f"hf:{local}", {"trust_remote_code": True, "revision": COMMIT})
    assert adapter.info().snapshot.startswith("dir:") and adapter.kind == "wrapped"


@pytest.fixture
def hub_cache(folders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Hugging Face cache holding MERaLiON/MERaLiON-2-10B at COMMIT (main) as the hub client lays it out."""
    from huggingface_hub import constants

    repo = tmp_path / "hub" / "models--MERaLiON--MERaLiON-2-10B"
    shutil.copytree(folders["meralion2"], repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path / "hub"


def test_a_hub_id_loads_from_the_cache_at_its_pinned_commit(hub_cache: Path) -> None:
    with pytest.raises(UserError, match=f"only when pinned.*or -M revision={COMMIT} \\(the commit it was"):
        create("hf:MERaLiON/MERaLiON-2-10B", {"trust_remote_code": True})
    adapter = create("hf:MERaLiON/MERaLiON-2-10B", {"trust_remote_code": True, "revision": COMMIT})
    assert adapter.info().snapshot == f"MERaLiON/MERaLiON-2-10B@{COMMIT}" and adapter.window_s == 18.0


def test_a_hub_id_that_is_not_cached_is_one_line(hub_cache: Path) -> None:
    with pytest.raises(UserError) as err:
        create("hf:MERaLiON/MERaLiON-2-3B", {"trust_remote_code": True, "revision": COMMIT})
    message = str(err.value)
    assert "\n" not in message and f"MERaLiON/MERaLiON-2-3B@{COMMIT} is not in the local Hugging Face cache" in message
    assert f"`hf download MERaLiON/MERaLiON-2-3B --revision {COMMIT}`" in message
    with pytest.raises(UserError, match="neither a folder nor a hub id"):
        create("hf:not//a/valid id", {})


# -- SeaLLMs-Audio: the processor's chat template, audio before the text ----------------------------------
def test_seallms_audio_answers_like_seabench_audio(folders) -> None:
    """SeaBench_Audio/gen_responses.py: a user turn [audio, text] through the processor's chat template,
    `processor(text=..., audio=[...])` (newer transformers' keyword), greedy with repetition penalty 1.1."""
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

    folder = folders["seallms_audio"]
    adapter = create(f"hf:{folder}", {})
    assert adapter.kind == "chat" and adapter.template is None
    processor = AutoProcessor.from_pretrained(str(folder))
    model = Qwen2AudioForConditionalGeneration.from_pretrained(str(folder), use_safetensors=True).eval()
    expected = []
    for array in clips():
        conversation = [{"role": "user", "content": [{"type": "audio", "audio_url": "clip.wav"},
                                                     {"type": "text", "text": "Transcribe the audio."}]}]
        text = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
        inputs = processor(text=text, audio=[array], return_tensors="pt", padding=True, sampling_rate=16000)
        with torch.inference_mode():
            ids = model.generate(**inputs, max_new_tokens=8, repetition_penalty=1.1, do_sample=False)
        expected.append(processor.batch_decode(ids[:, inputs["input_ids"].size(1):], skip_special_tokens=True,
                                               clean_up_tokenization_spaces=False)[0])
    got = adapter.generate(_inputs(), GREEDY.model_copy(update={"repetition_penalty": 1.1}))
    assert [o.text for o in got] == [e.strip() for e in expected]


# -- Phi-4-multimodal: raw text prompt with <|audio_N|>, clips as (array, rate) --------------------------------
def test_phi4mm_answers_like_audiobench(folders) -> None:
    """AudioBench src/model_src/phi_4_multimodal_instruct.py: `<|user|><|audio_1|>{instruction}<|end|><|assistant|>`,
    `processor(text=prompt, audios=[(array, 16000)])`, generate with the repo's generation_config."""
    from transformers import AutoModelForCausalLM, AutoProcessor
    from transformers import GenerationConfig as HFGenerationConfig

    folder = folders["phi4mm"]
    adapter = create(f"hf:{folder}", pinned(folder))
    assert adapter.kind == "raw" and adapter.info().details["prompt_template"] == "phi4_multimodal"
    processor = AutoProcessor.from_pretrained(str(folder), trust_remote_code=True)
    model = AutoModelForCausalLM.from_pretrained(str(folder), trust_remote_code=True).eval()
    generation_config = HFGenerationConfig.from_pretrained(str(folder), "generation_config.json")
    expected = []
    for array in clips():
        prompt = "<|user|><|audio_1|>Transcribe the audio.<|end|><|assistant|>"
        inputs = processor(text=prompt, audios=[[array, 16000]], return_tensors="pt")
        with torch.inference_mode():
            ids = model.generate(**inputs, max_new_tokens=8, generation_config=generation_config, do_sample=False)
        expected.append(processor.batch_decode(ids[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True,
                                               clean_up_tokenization_spaces=False)[0])
    assert [o.text for o in adapter.generate(_inputs(), GREEDY)] == [e.strip() for e in expected]
    with pytest.raises(UserError, match="only when pinned"):
        create(f"hf:{folder}", {"trust_remote_code": True})


# -- Qwen2.5-Omni's official system prompt -------------------------------------------------------------------
def test_omni_system_prompt_is_the_official_one(folders) -> None:
    """The Omni template adds its authors' system prompt when the task sets none (checked on a
    Qwen2-Audio checkpoint with -M prompt_template=qwen2_5_omni: Omni's own processor needs torchvision)."""
    from transformers import AutoProcessor

    adapter = create(f"hf:{folders['qwen2_audio']}", {"prompt_template": "qwen2_5_omni"})
    processor = AutoProcessor.from_pretrained(str(folders["qwen2_audio"]))
    inp = _inputs()[0]

    def rendered(system: str) -> str:
        chat = [{"role": "system", "content": [{"type": "text", "text": system}]},
                {"role": "user", "content": [{"type": "audio", "audio": "x"},
                                             {"type": "text", "text": inp.prompt}]}]
        return processor.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)

    for settings, system in ((GREEDY, OMNI_SYSTEM), (GREEDY.model_copy(update={"system_prompt": "Be brief."}),
                                                     "Be brief.")):
        enc = adapter._encode([inp], settings)
        assert processor.tokenizer.decode(enc["input_ids"][0]).replace("<|AUDIO|>", "") == \
            rendered(system).replace("<|AUDIO|>", "")


def test_a_processor_that_cannot_load_is_one_line(folders, tmp_path: Path) -> None:
    """Qwen2.5-Omni's processor includes a video processor, which needs torchvision: where that is missing
    (as here, beside the pinned CPU torch) the run stops with one line."""
    omni = tmp_path / "omni-like"
    shutil.copytree(folders["qwen2_audio"], omni)
    (omni / "processor_config.json").write_text('{"processor_class": "Qwen2_5OmniProcessor"}')
    with pytest.raises(UserError, match="its processor cannot be loaded here") as err:
        create(f"hf:{omni}", {})
    assert "\n" not in str(err.value)


# -- Whisper: forced language ------------------------------------------------------------------------------
def test_whisper_takes_a_forced_language(folders) -> None:
    from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor

    adapter = create(f"hf:{folders['whisper']}", {})
    assert "extra.language" in adapter.generation_keys and "system_prompt" not in adapter.generation_keys
    processor = AutoProcessor.from_pretrained(str(folders["whisper"]))
    model = AutoModelForSpeechSeq2Seq.from_pretrained(str(folders["whisper"])).eval()
    inputs = [ModelInput(sample_id="s", task="mini/asr-th", prompt="", audio=[clips()[1]], language="th")]

    @functools.cache
    def official(language: str | None) -> list[str]:
        extra = {"language": language, "task": "transcribe"} if language else {}
        enc = processor.feature_extractor([clips()[1]], sampling_rate=SR, return_tensors="pt")
        with torch.inference_mode():
            ids = model.generate(**enc, max_new_tokens=8, do_sample=False, **extra)
        return [processor.tokenizer.decode(ids[0], skip_special_tokens=True).strip()]

    vi = GREEDY.model_copy(update={"extra": {"language": "vi"}})
    assert [o.text for o in adapter.generate(inputs, vi)] == official("vi")
    # auto: no language token is forced (a random tiny Whisper then runs on for hundreds of tokens: not generated)
    assert adapter._asr_language("th", GREEDY.model_copy(update={"extra": {"language": "auto"}})) is None
    assert [o.text for o in adapter.generate(inputs, GREEDY)] == official("th") != official("vi")  # the sample's
    [bad] = adapter.generate(inputs, GREEDY.model_copy(update={"extra": {"language": "xx"}}))
    assert bad.error and "-G language=xx: this model has no language token for it" in bad.error


def test_language_is_refused_by_models_that_cannot_force_it(folders) -> None:
    from seabench.generation import refuse_unsupported

    adapter = create(f"hf:{folders['qwen2_audio']}", {})
    with pytest.raises(UserError, match="cannot honour the generation setting 'language'"):
        refuse_unsupported(adapter.id, adapter.generation_keys, {"language": "th"})


# -- CTC recognisers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["ctc", "ctc_group"])
def test_ctc_greedy_decoding_matches_the_model_card_recipe(folders, family: str) -> None:
    """argmax over the logits of one clip, `processor.batch_decode` (repeats merged, blanks dropped)."""
    from transformers import AutoModelForCTC, AutoProcessor

    folder = folders[family]
    adapter = create(f"hf:{folder}", {})
    processor = AutoProcessor.from_pretrained(str(folder))
    model = AutoModelForCTC.from_pretrained(str(folder)).eval()
    expected = []
    for clip in clips():
        with torch.inference_mode():
            logits = model(**processor(clip, sampling_rate=SR, return_tensors="pt")).logits
        expected.append(processor.batch_decode(logits.argmax(-1))[0])
    got = adapter.generate(_inputs(task="mini/asr-th"), GenerationConfig(max_new_tokens=1000))
    assert [o.text for o in got] == [e.strip() for e in expected] and all(o.finish_reason == "stop" for o in got)
    assert adapter.info().details["input"] == "ctc" and adapter.generation_keys == {"max_new_tokens", "seed", "stop"}
    [cut] = adapter.generate(_inputs(task="mini/asr-th")[1:2], GenerationConfig(max_new_tokens=5))
    assert cut.output_tokens == 5 and cut.finish_reason == "length" and got[1].text.startswith(cut.text)


def test_ctc_runs_through_the_runner(folders, tmp_path: Path) -> None:
    from seabench.runner import RunConfig, Runner

    result = Runner(RunConfig(model=f"hf:{folders['ctc']}", tasks="mini/asr-th", output_dir=tmp_path, limit=2,
                              use_cache=False, quiet=True, judge=None)).run()
    task = result.tasks["mini/asr-th"]
    assert result.status == "complete" and task.counts.completed == 2 and task.counts.n_errors == 0
