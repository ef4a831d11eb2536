"""The vllm: adapter.

Unmarked tests run it against a recording stand-in for the `vllm` module (request building, one
generate call per task, engine-argument checks, failure isolation, the missing-extra message).
`@pytest.mark.vllm` tests start a real engine on a tiny local Qwen2-Audio checkpoint; they need the
CPU (or GPU) build of vLLM and are deselected by default (`-m 'not vllm'`). Run them with:

    scripts/test_vllm_cpu.sh    # makes /tmp/vllm-cpu-venv, then:
    /tmp/vllm-cpu-venv/bin/pip install pytest
    VLLM_CPU_KVCACHE_SPACE=1 /tmp/vllm-cpu-venv/bin/python -m pytest -m vllm tests/contract/test_vllm_adapter.py
"""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from seabench.models.hf_common import SR
from seabench.models.vllm_offline import create

from seabench import GenerationConfig, MissingExtra, ModelInput, UserError

CONFIG = GenerationConfig(max_new_tokens=12)


def _clips() -> list[np.ndarray]:
    from tests.unit.reference_fixtures import clips

    return clips()


def _inputs(task: str = "mini/sqa-vi") -> list[ModelInput]:
    return [ModelInput(sample_id=f"s{i}", task=task, prompt=f"Question {i}?", audio=[c], language="vi")
            for i, c in enumerate(_clips())]


# -- a recording stand-in for the vllm module ---------------------------------------------------------
@dataclasses.dataclass
class EngineArgs:
    model: str = ""
    dtype: str = "auto"
    tensor_parallel_size: int = 1
    max_model_len: int | None = None
    enforce_eager: bool = False
    revision: str | None = None
    trust_remote_code: bool = False


class FakeLLM:
    made: ClassVar[list[FakeLLM]] = []

    def __init__(self, model: str, **kwargs: Any) -> None:
        self.model, self.kwargs, self.calls = model, kwargs, []
        FakeLLM.made.append(self)

    def generate(self, requests: list[dict], params: Any, use_tqdm: bool = True) -> list[Any]:
        self.calls.append((requests, params))
        if any("BAD" in r["prompt"] for r in requests):
            raise ValueError("prompt too long")
        return [types.SimpleNamespace(prompt_token_ids=[0] * len(r["prompt"]), outputs=[types.SimpleNamespace(
            text=f"heard {len(r.get('multi_modal_data', {}).get('audio', []))}", finish_reason="stop",
            token_ids=[1, 2])]) for r in requests]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    pytest.importorskip("transformers")
    from tests.unit.reference_fixtures import tiny_qwen2_audio

    return tiny_qwen2_audio(tmp_path_factory.mktemp("vllm") / "q2a")


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("vllm")
    module.__version__ = "0.0-fake"  # type: ignore[attr-defined]
    module.EngineArgs = EngineArgs  # type: ignore[attr-defined]
    module.LLM = FakeLLM  # type: ignore[attr-defined]
    module.SamplingParams = lambda **kw: kw  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    FakeLLM.made = []
    return module


def test_missing_vllm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    message = r"the vllm: adapter needs the 'vllm' package: pip install 'seabench\[vllm\]'"
    with pytest.raises(MissingExtra, match=message):
        create("vllm:Qwen/Qwen2-Audio-7B-Instruct", {})


def test_engine_arguments_pass_through(fake_vllm, folder: Path) -> None:
    adapter = create(f"vllm:{folder}", {"tensor_parallel_size": 2, "max_model_len": 4096, "max_audio_s": 8})
    assert FakeLLM.made == []  # the engine starts on first use, not when a driver only describes the model
    adapter.load()
    [llm] = FakeLLM.made
    assert llm.model == str(folder) and llm.kwargs == {"tensor_parallel_size": 2, "max_model_len": 4096}
    info = adapter.info()
    assert info.provider == "vllm" and info.snapshot.startswith("dir:") and info.max_audio_s == 8
    assert info.backend_version == "0.0-fake" and info.details["engine_args"]["tensor_parallel_size"] == 2
    assert adapter.default_batch_size >= 10_000


def test_unknown_engine_argument_fails_before_the_engine_starts(fake_vllm, folder: Path) -> None:
    with pytest.raises(UserError, match="unknown vLLM engine argument 'tensor_paralel_size'.*tensor_parallel_size"):
        create(f"vllm:{folder}", {"tensor_paralel_size": 2})
    assert FakeLLM.made == []


def test_data_parallel_size_points_to_replicas(fake_vllm, folder: Path) -> None:
    with pytest.raises(UserError, match="data_parallel_size.*--executor ray --replicas N"):
        create(f"vllm:{folder}", {"data_parallel_size": 2})
    assert FakeLLM.made == []


def test_remote_code_needs_the_allow_list(fake_vllm, folder: Path) -> None:
    with pytest.raises(UserError, match="trust_remote_code is off"):
        create(f"vllm:{folder}", {"trust_remote_code": True})


def test_all_prompts_go_in_one_call_with_audio_as_multimodal_data(fake_vllm, folder: Path) -> None:
    adapter = create(f"vllm:{folder}", {})
    outs = adapter.generate(_inputs(), CONFIG.model_copy(update={"system_prompt": "Be brief."}))
    [(requests, params)] = FakeLLM.made[0].calls
    assert len(requests) == 3 and [o.text for o in outs] == ["heard 1"] * 3
    for req, clip, i in zip(requests, _clips(), range(3)):
        assert req["prompt"].startswith("<|im_start|>system\nBe brief.<|im_end|>")
        assert f"<|audio_bos|><|AUDIO|><|audio_eos|>\nQuestion {i}?<|im_end|>" in req["prompt"]
        [(wave, rate)] = req["multi_modal_data"]["audio"]
        assert rate == SR and np.array_equal(wave, clip)
    assert params == {"max_tokens": 12, "temperature": 0.0, "top_p": 1.0, "seed": None, "repetition_penalty": 1.0,
                      "stop": []}
    assert outs[0].input_tokens == len(requests[0]["prompt"]) and outs[0].output_tokens == 2


# The published Qwen2-Audio template finds audio items by key, not by type.
KEY_TEMPLATE = ("{% for m in messages %}{% if m['content'] is string %}{{ m['content'] }}{% else %}"
                "{% for c in m['content'] %}{% if 'audio' in c or 'audio_url' in c %}<|AUDIO|>"
                "{% elif 'text' in c %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}{% endfor %}")


def test_placeholders_satisfy_templates_that_look_for_an_audio_key(fake_vllm, folder: Path) -> None:
    adapter = create(f"vllm:{folder}", {})
    adapter.processor.chat_template = KEY_TEMPLATE
    inp = ModelInput(sample_id="two", task="mini/sqa-vi", prompt="Compare.", audio=_clips()[:2])
    assert adapter.request(inp, CONFIG)["prompt"] == "<|AUDIO|><|AUDIO|>Compare."


def test_sampling_params_follow_the_task(fake_vllm, folder: Path) -> None:
    adapter = create(f"vllm:{folder}", {})
    adapter.generate(_inputs()[:1], GenerationConfig(max_new_tokens=5, temperature=0.7, top_p=0.9, seed=3))
    assert FakeLLM.made[0].calls[0][1] == {"max_tokens": 5, "temperature": 0.7, "top_p": 0.9, "seed": 3,
                                           "repetition_penalty": 1.0, "stop": []}


def test_generation_settings_reach_sampling_params_and_the_cache_key(fake_vllm, folder: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from seabench.runner import RunConfig, Runner
    from tests.helpers.core import make_samples, make_task, registry_with

    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    task = make_task(make_samples(tmp_path / "audio", 2))

    def calls(name: str, generation: dict[str, str], **options: object) -> int:
        runner = Runner(RunConfig(model=f"vllm:{folder}", tasks="test/echo", output_dir=tmp_path / name, quiet=True,
                                  judge=None, generation=generation, model_options=dict(options)), registry_with(task))
        runner.run()
        return runner.model_calls

    assert calls("a", {}) == 2 and calls("b", {}) == 0
    assert calls("c", {"repetition_penalty": "1.1", "stop": "###"}) == 2
    assert FakeLLM.made[-1].calls[0][1] == {"max_tokens": 256, "temperature": 0.0, "top_p": 1.0, "seed": None,
                                            "repetition_penalty": 1.1, "stop": ["###"]}
    assert calls("d", {}, max_model_len=4096) == 2  # an engine argument can change answers


def test_long_asr_audio_becomes_several_requests(fake_vllm, folder: Path) -> None:
    adapter = create(f"vllm:{folder}", {})  # the tiny processor's window is 10 s
    long = ModelInput(sample_id="l", task="asr/fleurs-vi", prompt="Transcribe.", audio=[np.tile(_clips()[2], 7)],
                      language="vi")
    [out] = adapter.generate([long], CONFIG)
    assert len(FakeLLM.made[0].calls[0][0]) == 3
    assert out.text == "heard 1 heard 1 heard 1" and "split into 3 windows" in out.warnings[0]


def test_one_bad_request_is_isolated(fake_vllm, folder: Path) -> None:
    adapter = create(f"vllm:{folder}", {})
    inputs = _inputs()
    inputs[1].prompt = "BAD"
    outs = adapter.generate(inputs, CONFIG)
    assert [o.error is None for o in outs] == [True, False, True]
    assert outs[1].error == "ValueError: prompt too long" and outs[1].error_code == "model_error"


# -- a real engine (opt-in) ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from tests.helpers.tiny_hf import tiny_qwen2_audio

    ckpt = tiny_qwen2_audio(tmp_path_factory.mktemp("vllm-real") / "q2a", hidden=128, heads=2, window_s=30)
    adapter = create(f"vllm:{ckpt}", {"dtype": "bfloat16", "max_model_len": 2048, "enforce_eager": True})
    yield adapter
    adapter.close()


@pytest.mark.vllm
def test_real_engine_generates_for_every_input(engine) -> None:
    import vllm

    outs = engine.generate(_inputs(), CONFIG)
    assert all(o.error is None and o.output_tokens and o.input_tokens > 20 for o in outs)
    assert engine.info().backend_version == vllm.__version__
    requests = [engine.request(i, CONFIG) for i in _inputs()]
    bare = engine.llm.generate(requests, engine.sampling(CONFIG), use_tqdm=False)
    assert [o.text for o in outs] == [r.outputs[0].text for r in bare]


@pytest.mark.vllm
def test_real_engine_chunks_long_asr_audio(engine) -> None:
    long = ModelInput(sample_id="l", task="asr/fleurs-vi", prompt="Transcribe.",
                      audio=[np.tile(_clips()[2], 20)], language="vi")  # 74 s over a 30 s window
    [out] = engine.generate([long], CONFIG)
    assert out.error is None and out.output_tokens and "split into 3 windows" in out.warnings[0]
