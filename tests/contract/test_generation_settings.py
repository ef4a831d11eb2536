"""Generation settings and answer-changing options are part of the response-cache key, for every adapter.

Each adapter runs the same two samples into fresh run dirs: an identical run is answered from the cache,
a changed `-G` setting or an answer-changing `-M` option reaches the model again, a neutral option
(concurrency, threads ...) does not. The vllm: adapter is covered in test_vllm_adapter.py (stand-in engine)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seabench import UserError
from seabench.runner import RunConfig, Runner
from tests.helpers.core import make_samples, make_task, registry_with
from tests.helpers.fake_gemini import FakeGemini
from tests.helpers.fake_openai import FakeOpenAI
from tests.unit.reference_fixtures import one_torch_thread, tiny_qwen2_audio, tiny_reference_checkpoint


@dataclass
class Case:
    model: str
    changed_setting: dict[str, str]  # a -G value the adapter honours, other than max_new_tokens
    answer_option: dict[str, Any]  # an -M option that can change answers
    neutral_option: dict[str, Any]  # an -M option that cannot
    options: dict[str, Any]  # always passed (e.g. fast retries)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gen")
    return {"reference": tiny_reference_checkpoint(root / "reference"), "hf": tiny_qwen2_audio(root / "qwen2-audio")}


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("GEMINI_API_KEY", "k-test")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ExitStack() as stack:
        gemini = stack.enter_context(FakeGemini(api_key="k-test"))
        openai = stack.enter_context(FakeOpenAI())
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini.url)
        yield {"openai": openai.base_url}


CASES: dict[str, Callable[[dict[str, Path], dict[str, str]], Case]] = {
    "reference": lambda f, s: Case(f"reference:{f['reference']}", {"repetition_penalty": "1.3"},
                                   {"dtype": "bfloat16"}, {"threads": 1}, {}),
    "hf": lambda f, s: Case(f"hf:{f['hf']}", {"repetition_penalty": "1.3"}, {"dtype": "bfloat16"},
                            {"batch_size": 1}, {}),
    "openai": lambda f, s: Case(f"openai:m@{s['openai']}", {"stop": "###"}, {"max_audio_s": 99},
                                {"concurrency": 2}, {"backoff": 0.001}),
    "gemini": lambda f, s: Case("gemini:gemini-2.0-flash", {"top_p": "0.5"}, {"thinking_budget": 0},
                                {"concurrency": 2}, {"backoff": 0.001, "probe": False}),
    "cascade": lambda f, s: Case("cascade:echo+echo", {"stop": "###"}, {"llm.text": "other"},
                                 {"llm.delay": 0.0}, {}),
    "echo": lambda f, s: Case("echo", {"seed": "4"}, {"text": "other"}, {"delay": 0.0}, {}),
}


def _calls(tmp_path: Path, name: str, case: Case, *, generation: dict[str, Any] | None = None,
           options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """Model calls made by one fresh run of two samples, and its manifest."""
    task = make_task(make_samples(tmp_path / "audio", 2))
    out = tmp_path / f"run-{name}"
    config = RunConfig(model=case.model, tasks="test/echo", output_dir=out, quiet=True, judge=None,
                       model_options={**case.options, **(options or {})}, generation=generation or {})
    runner = Runner(config, registry_with(task))
    runner.run()
    return runner.model_calls, json.loads((out / "results.json").read_text())["manifest"]


@pytest.mark.parametrize("adapter", sorted(CASES))
def test_changed_settings_and_answer_options_miss_the_cache(adapter: str, tmp_path: Path, folders: dict[str, Path],
                                                            servers: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    case = CASES[adapter](folders, servers)
    with one_torch_thread():
        first, manifest = _calls(tmp_path, "first", case)
        assert first == 2
        assert _calls(tmp_path, "again", case)[0] == 0  # identical settings: answered from the cache
        shorter, manifest = _calls(tmp_path, "shorter", case, generation={"max_new_tokens": "5"})
        assert shorter == 2 and manifest["generation"]["test/echo"]["max_new_tokens"] == 5
        assert manifest["config"]["generation"] == {"max_new_tokens": "5"}
        changed, manifest = _calls(tmp_path, "changed", case, generation=case.changed_setting)
        assert changed == 2
        assert _calls(tmp_path, "option", case, options=case.answer_option)[0] == 2
        assert _calls(tmp_path, "neutral", case, options=case.neutral_option)[0] == 0


def test_a_setting_the_model_cannot_honour_is_refused_in_one_line(tmp_path: Path, servers: dict[str, str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    task = make_task(make_samples(tmp_path / "audio", 1))

    def start(model: str, generation: dict[str, Any], **options: Any) -> None:
        Runner(RunConfig(model=model, tasks="test/echo", output_dir=tmp_path / "r", quiet=True, judge=None,
                         generation=generation, model_options=options), registry_with(task))

    with pytest.raises(UserError, match="gemini:m cannot honour the generation setting 'repetition_penalty'"):
        start("gemini:m", {"repetition_penalty": "1.1"}, probe=False)
    with pytest.raises(UserError, match=r"'max_tokens' \(did you mean max_new_tokens\?\)"):
        start("echo", {"max_tokens": "3"})
    with pytest.raises(UserError, match="generation settings: do_sample=true needs temperature > 0"):
        start("echo", {"do_sample": "true"})


def test_a_task_default_the_model_cannot_honour_is_reset_and_reported(tmp_path: Path, servers: dict[str, str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """E.g. SeaBench-Audio's repetition penalty on Gemini: generated without it, said in the warnings and manifest."""
    from seabench.types import GenerationConfig

    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    task = make_task(make_samples(tmp_path / "audio", 1))
    task = type(task)(**{**task.__dict__, "generation": GenerationConfig(repetition_penalty=1.1, max_new_tokens=9)})
    out = tmp_path / "run"
    result = Runner(RunConfig(model="gemini:m", tasks="test/echo", output_dir=out, quiet=True, judge=None,
                              model_options={"probe": False, "backoff": 0.001}), registry_with(task)).run()
    assert any("cannot honour the task's default repetition_penalty=1.1" in w for w in result.warnings)
    assert result.manifest.generation["test/echo"]["repetition_penalty"] == 1.0
    assert result.manifest.generation["test/echo"]["max_new_tokens"] == 9
