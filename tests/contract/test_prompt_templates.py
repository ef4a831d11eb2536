"""The prompt table (models/prompts.py) reaches every adapter that builds prompts: `vllm:` renders
MERaLiON's wrapper exactly as the MERaLiON vLLM plugin's offline example writes it, `openai:` sends the
wrapper to a server whose model name says MERaLiON, and every entry names an official source file."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from seabench.models import prompts

from seabench import GenerationConfig, ModelInput, UserError
from tests.helpers.closing import OPEN

CONFIG = GenerationConfig(max_new_tokens=12)
MERALION2 = "Instruction: {q} \nFollow the text instruction based on the following audio: <SpeechHere>"


def test_every_template_names_its_official_source() -> None:
    for template in prompts.TEMPLATES.values():
        assert template.source and ("/" in template.source and ".py" in template.source), template.name
    assert prompts.TEMPLATES["meralion2"].user_text("") == MERALION2.format(q="Please follow the instruction in the "
                                                                           "speech.")
    assert prompts.TEMPLATES["phi4_multimodal"].raw_text("Hi.", 2, "Be brief.") == \
        "<|system|>Be brief.<|end|><|user|><|audio_1|><|audio_2|>Hi.<|end|><|assistant|>"


@pytest.mark.parametrize(("name", "expected"), [("MERaLiON-2-10B", "meralion2"), ("meralion/MERaLiON-2-3B", "meralion2"),
                                                ("MERaLiON-AudioLLM-Whisper-SEA-LION", "meralion"),
                                                ("qwen2-audio", None)])
def test_served_names_pick_a_template(name: str, expected: str | None) -> None:
    chosen = prompts.choose(None, name)
    assert (chosen.name if chosen else None) == expected
    assert prompts.choose("chat", name).user_text("x") == "x"
    with pytest.raises(UserError, match="unknown prompt template 'meralion3'"):
        prompts.choose("meralion3", name)


# -- vllm: against a recording stand-in for the vllm module --------------------------------------------------
@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import dataclasses

    import transformers.dynamic_module_utils as dynamic

    @dataclasses.dataclass
    class EngineArgs:
        dtype: str = "auto"
        trust_remote_code: bool = False
        revision: str | None = None
        limit_mm_per_prompt: dict | None = None

    class LLM:
        def __init__(self, model: str, **kwargs: object) -> None:
            self.model, self.kwargs = model, kwargs

    module = types.ModuleType("vllm")
    module.__version__ = "0.0-fake"  # type: ignore[attr-defined]
    module.EngineArgs, module.LLM = EngineArgs, LLM  # type: ignore[attr-defined]
    module.SamplingParams = lambda **kw: kw  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(dynamic, "HF_MODULES_CACHE", str(tmp_path / "modules"))
    return module


@pytest.fixture(scope="module")
def meralion2(tmp_path_factory) -> Path:
    pytest.importorskip("transformers")
    from tests.helpers.tiny_hf import tiny_meralion

    return tiny_meralion(tmp_path_factory.mktemp("vllm-meralion") / "MERaLiON-2-tiny", 2)


def test_vllm_sends_meralion_prompts_as_the_plugin_example_writes_them(fake_vllm, meralion2: Path) -> None:
    """YingxuH/vllm_plugin example_scripts/offline_example.py: the Gemma turn format without `<bos>` (vLLM's
    tokenizer adds it), `<SpeechHere>` once, the clip as multi-modal data."""
    from seabench.models.hf_checkpoint import code_sha256
    from seabench.models.vllm_offline import create

    from tests.unit.reference_fixtures import clips

    adapter = create(f"vllm:{meralion2}", {"trust_remote_code": True, "code_sha256": code_sha256(meralion2),
                                           "limit_mm_per_prompt": {"audio": 1}})
    assert adapter.llm.kwargs == {"trust_remote_code": True, "limit_mm_per_prompt": {"audio": 1}}
    assert adapter.window_s == 18.0 and "system_prompt" not in adapter.generation_keys
    inp = ModelInput(sample_id="a", task="mini/asr-th", prompt="Please transcribe this speech.", audio=[clips()[0]])
    request = adapter.request(inp, CONFIG)
    assert request["prompt"] == ("<start_of_turn>user\n" + MERALION2.format(q="Please transcribe this speech.")
                                 + "<end_of_turn>\n<start_of_turn>model\n")
    assert request["multi_modal_data"]["audio"][0][1] == 16_000
    assert adapter.info().details["prompt_template"] == "meralion2"
    chat = create(f"vllm:{meralion2}", {"trust_remote_code": True, "code_sha256": code_sha256(meralion2),
                                        "prompt_template": "chat"})
    assert chat.template.user is None


# -- openai: a server whose model name says MERaLiON ----------------------------------------------------------
def test_openai_wraps_prompts_for_a_meralion_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seabench.audio import load_audio
    from seabench.registry import registry
    from tests.helpers.core import write_tone
    from tests.helpers.fake_openai import FakeOpenAI, user_text

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    tone = load_audio(str(write_tone(tmp_path / "tone.wav", seconds=0.3)))
    inputs = [ModelInput(sample_id="s", task="t", prompt="Transcribe.", audio=[tone.waveform]),
              ModelInput(sample_id="t", task="t", prompt="Hello.")]
    with FakeOpenAI() as server:
        wrapped = registry().create_model(f"openai:MERaLiON-2-10B@{server.base_url}", {"probe": False})
        plain = registry().create_model(f"openai:MERaLiON-2-10B@{server.base_url}",
                                        {"probe": False, "prompt_template": "chat"})
        OPEN.extend([wrapped, plain])
        wrapped.generate(inputs, CONFIG)
        plain.generate(inputs[:1], CONFIG)
    sent = [user_text(req.json) for req in server.completions()]
    assert sorted(sent) == sorted([MERALION2.format(q="Transcribe."), "Hello.", "Transcribe."])
    assert "system_prompt" not in wrapped.generation_keys and "system_prompt" in plain.generation_keys
    assert wrapped.info().details["prompt_template"] == "meralion2"
