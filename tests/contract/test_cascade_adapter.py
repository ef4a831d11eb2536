"""cascade:ASR+LLM with echo adapters (exact prompts visible) and with a tiny real hf: ASR model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from seabench.models.cascade import CascadeAdapter, asr_prompt, create, split_spec
from seabench.models.echo import EchoAdapter

from seabench import (
    GenerationConfig,
    ModelAdapter,
    ModelInfo,
    ModelInput,
    ModelOutput,
    UserError,
)

PREFIXES = {"hf", "openai", "echo", "reference", "gemini", "vllm"}
CONFIG = GenerationConfig(max_new_tokens=16)


def _inp(task: str, prompt: str = "What is the speaker asking for?", n_audio: int = 1,
         language: str = "vi") -> ModelInput:
    return ModelInput(sample_id="s1", task=task, prompt=prompt, language=language,
                      audio=[np.zeros(1600, np.float32)] * n_audio)


@pytest.mark.parametrize(("spec", "parts"), [
    ("cascade:echo+echo", ("echo", "echo")),
    ("cascade:hf:/ckpt/a+b/whisper+openai:qwen@http://127.0.0.1:8000/v1",
     ("hf:/ckpt/a+b/whisper", "openai:qwen@http://127.0.0.1:8000/v1")),
    ("cascade:reference+hf:ORG/a+b", ("reference", "hf:ORG/a+b")),
])
def test_split_at_the_first_plus_before_a_model_id(spec: str, parts: tuple[str, str]) -> None:
    assert split_spec(spec, PREFIXES) == parts


@pytest.mark.parametrize("spec", ["cascade:echo", "cascade:hf:/a+b", "cascade:+echo"])
def test_bad_cascade_ids(spec: str) -> None:
    with pytest.raises(UserError, match="cascade:ASR_MODEL\\+LLM_MODEL"):
        split_spec(spec, PREFIXES)


def test_llm_gets_the_transcript_and_the_instruction(tmp_path: Path) -> None:
    log = tmp_path / "llm.log"
    cascade = create("cascade:echo+echo", {"asr.text": "xin chào các bạn", "llm.log": str(log)})
    [out] = cascade.generate([_inp("mini/sqa-vi")], CONFIG)
    assert out.text.startswith("Transcript of the audio:\nxin chào các bạn\n\n")
    assert out.text.endswith("What is the speaker asking for?")
    assert out.intermediate["transcript"] == "xin chào các bạn"
    assert log.read_text() == "mini/sqa-vi\ts1\n"


def test_asr_tasks_answer_with_the_transcript_without_the_llm(tmp_path: Path) -> None:
    log = tmp_path / "llm.log"
    cascade = create("cascade:echo+echo", {"asr.text": "สวัสดี", "llm.log": str(log)})
    [out] = cascade.generate([_inp("mini/asr-th", language="th")], CONFIG)
    assert out.text == "สวัสดี" and not log.exists()


def test_asr_prompt_is_in_the_sample_language() -> None:
    cascade = create("cascade:echo+echo", {})
    [out] = cascade.generate([_inp("asr/fleurs-id", language="id")], CONFIG)
    assert out.text == asr_prompt("id") == "Transcribe the speech in Indonesian. Reply with the transcript only."


def test_several_clips_are_numbered() -> None:
    cascade = create("cascade:echo+echo", {"asr.text": "halo"})
    [out] = cascade.generate([_inp("mini/sqa-id", n_audio=2)], CONFIG)
    assert out.text.startswith("Transcript of audio 1:\nhalo\nTranscript of audio 2:\nhalo\n")


class FailingASR(ModelAdapter):
    id = "failing"

    def info(self) -> ModelInfo:
        return ModelInfo(id="failing", provider="test", snapshot="f1")

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        return [ModelOutput(error="boom", error_code="model_error") if i.language == "th" else ModelOutput(text="ok")
                for i in batch]


def test_an_asr_failure_is_a_sample_error_and_skips_the_llm(tmp_path: Path) -> None:
    log = tmp_path / "llm.log"
    cascade = CascadeAdapter("cascade:failing+echo", FailingASR(), EchoAdapter(log=str(log)))
    bad, good = cascade.generate([_inp("mini/sqa-th", language="th"), _inp("mini/sqa-vi")], CONFIG)
    assert bad.error == "ASR: boom" and bad.error_code == "model_error"
    assert good.error is None and "ok" in good.text
    assert log.read_text() == "mini/sqa-vi\ts1\n"


def test_info_combines_both_snapshots() -> None:
    info = create("cascade:echo+echo", {"asr.text": "a"}).info()
    assert info.provider == "cascade" and "echo-1:'a'" in info.snapshot and "echo-1:None" in info.snapshot
    assert set(info.details) == {"asr", "llm"}


def test_options_need_a_side() -> None:
    with pytest.raises(UserError, match="asr. or llm."):
        create("cascade:echo+echo", {"text": "x"})
    with pytest.raises(UserError, match="does not take option"):
        create("cascade:echo+echo", {"llm.colour": "red"})


def test_real_hf_asr_feeds_a_text_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    from tests.unit.reference_fixtures import clips, tiny_qwen2_audio

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tiny_qwen2_audio(tmp_path / "asr")
    cascade = create(f"cascade:hf:{folder}+echo", {"asr.batch_size": 2, "asr_max_new_tokens": 12})
    inputs = [ModelInput(sample_id=f"s{i}", task="mini/sqa-th", prompt="Why?", audio=[c], language="th")
              for i, c in enumerate(clips())]
    outs = cascade.generate(inputs, CONFIG)
    direct = cascade.asr.generate([ModelInput(sample_id="x", task="asr/cascade", prompt=asr_prompt("th"),
                                              audio=[c], language="th") for c in clips()],
                                  GenerationConfig(max_new_tokens=12))
    for out, asr in zip(outs, direct):
        assert out.error is None and out.intermediate["transcript"] == asr.text
        assert out.text == f"Transcript of the audio:\n{asr.text}\n\nAnswer the following using the transcript " \
                           "in place of the audio.\nWhy?"
    cascade.close()


def test_a_forced_language_goes_to_the_asr_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-G language=vi` with a Whisper ASR side: Whisper gets it, the text LLM does not."""
    pytest.importorskip("torch")
    from tests.helpers.tiny_hf import tiny_whisper
    from tests.unit.reference_fixtures import clips, one_torch_thread

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with one_torch_thread():
        cascade = create(f"cascade:hf:{tiny_whisper(tmp_path / 'whisper')}+echo", {"asr_max_new_tokens": 8})
        assert "extra.language" in cascade.generation_keys and "extra.language" not in cascade.llm.generation_keys
        seen: dict[str, GenerationConfig] = {}

        def recording(side: str, real):  # noqa: ANN001, ANN202 - wraps an adapter's generate
            def generate(batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
                seen.setdefault(side, config)
                return real(batch, config)
            return generate

        for side in ("asr", "llm"):
            monkeypatch.setattr(getattr(cascade, side), "generate", recording(side, getattr(cascade, side).generate))
        inputs = [ModelInput(sample_id="s", task="mini/sqa-th", prompt="Why?", audio=[clips()[1]], language="th")]
        [out] = cascade.generate(inputs, CONFIG.model_copy(update={"extra": {"language": "vi"}}))
        clip = [ModelInput(sample_id="x", task="asr/cascade", prompt="", audio=[clips()[1]], language="th")]
        [vi] = cascade.asr.generate(clip, GenerationConfig(max_new_tokens=8, extra={"language": "vi"}))
        cascade.close()
    assert seen["asr"].extra == {"language": "vi"} and seen["llm"].extra == {}
    assert out.error is None and out.intermediate["transcript"] == vi.text


def test_transcript_budget_is_part_of_the_snapshot() -> None:
    short = create("cascade:echo+echo", {"asr_max_new_tokens": 16}).info().snapshot
    assert short != create("cascade:echo+echo", {}).info().snapshot
