"""The executor seam: batches filled across tasks that share generation settings, one batch size,
the model loaded only when the response cache cannot answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from seabench.executor import Job, LocalExecutor
from seabench.models.echo import EchoAdapter
from seabench.runner import RunConfig, Runner
from seabench.types import GenerationConfig, ModelInput
from tests.helpers.core import make_samples, make_task, registry_with


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    seen: dict[str, list] = {"load": [], "batches": []}
    original = EchoAdapter.generate
    monkeypatch.setattr(EchoAdapter, "load", lambda self: seen["load"].append(1))

    def generate(self, batch, config):  # type: ignore[no-untyped-def]
        seen["batches"].append([(i.task, config.max_new_tokens) for i in batch])
        return original(self, batch, config)

    monkeypatch.setattr(EchoAdapter, "generate", generate)
    return seen


def _tasks(tmp_path: Path):  # type: ignore[no-untyped-def]
    samples = make_samples(tmp_path / "audio", 5)
    a, b = make_task(samples, "test/a"), make_task(samples, "test/b")
    c = replace(make_task(samples, "test/c"), generation=GenerationConfig(max_new_tokens=8))
    return registry_with(a, c, b)


def _run(tmp_path: Path, reg, out: str = "run", **config: object):  # type: ignore[no-untyped-def]
    runner = Runner(RunConfig(model="echo", tasks="test/*", output_dir=tmp_path / out, quiet=True, **config), reg)  # type: ignore[arg-type]
    return runner, runner.run()


def test_batches_span_tasks_with_the_same_settings_and_keep_one_size(tmp_path: Path, calls: dict[str, list]) -> None:
    runner, result = _run(tmp_path, _tasks(tmp_path), batch_size=4, use_cache=False)
    sizes = [len(b) for b in calls["batches"]]
    assert sizes == [4, 4, 2, 4, 1]  # test/a and test/b (256 tokens) share batches; test/c (8) has its own
    assert {t for t, _ in calls["batches"][1]} == {"test/a", "test/b"}
    assert all(len({tokens for _, tokens in b}) == 1 for b in calls["batches"])
    assert runner.model_calls == 15 and result.status == "complete"
    assert all(t.counts.completed == 5 for t in result.tasks.values())


def test_a_fully_cached_rerun_never_loads_the_model(tmp_path: Path, calls: dict[str, list]) -> None:
    reg = _tasks(tmp_path)
    _run(tmp_path, reg, "first")
    assert calls["load"] == [1]
    runner, result = _run(tmp_path, reg, "second")
    assert calls["load"] == [1] and runner.model_calls == 0 and result.status == "complete"


def test_the_local_executor_loads_once_and_answers_every_job_in_order(calls: dict[str, list]) -> None:
    executor = LocalExecutor(EchoAdapter(), batch_size=2)
    config = GenerationConfig()
    jobs = [Job([], config), Job([ModelInput("1", "t", "one"), ModelInput("2", "t", "two")], config),
            Job([ModelInput("3", "t", "three")], config)]
    outputs = list(executor.run(jobs))
    assert [[o.text for o in out] for out in outputs] == [[], ["one", "two"], ["three"]]
    assert calls["load"] == [1] and executor.calls == 3
