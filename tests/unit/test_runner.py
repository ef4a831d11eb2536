"""Runner: records, resume after a torn line, response cache, Ctrl-C, broken audio, secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seabench import AudioRef, Sample
from seabench.records import iter_records
from seabench.runner import Interrupted, RunConfig, Runner
from tests.helpers.broken_audio import make_broken_audio
from tests.helpers.core import make_samples, make_task, registry_with


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


def _run(tmp_path: Path, samples: list[Sample], out: str = "run", use_cache: bool = True, **options: object):
    reg = registry_with(make_task(samples))
    config = RunConfig(model="echo", tasks="test/*", output_dir=tmp_path / out, quiet=True, use_cache=use_cache,
                       model_options={"log": str(tmp_path / "calls.log"), **options}, batch_size=4)
    runner = Runner(config, reg)
    return runner, runner.run()


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().split("\n")[:-1] if log.exists() else []


def test_run_writes_one_record_per_sample_and_results(tmp_path: Path) -> None:
    samples = make_samples(tmp_path / "audio", 10)
    _, result = _run(tmp_path, samples)
    records = list(iter_records(tmp_path / "run" / "samples.jsonl"))
    assert sorted(r.sample_id for r in records) == [s.id for s in samples]
    task = result.tasks["test/echo"]
    assert result.status == "complete" and task.status == "complete"
    assert task.metrics["accuracy"].value == 1.0  # echo returns the prompt, which equals the reference
    assert set(task.breakdowns["subset"]) == {"odd", "even"}
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["manifest"]["dataset_hashes"]["test/echo"] and saved["manifest"]["batch_size"] == 4
    assert saved["manifest"]["packages"]["numpy"]


def test_resume_skips_completed_and_ignores_torn_line(tmp_path: Path) -> None:
    samples = make_samples(tmp_path / "audio", 12)
    _run(tmp_path, samples)
    path = tmp_path / "run" / "samples.jsonl"
    kept = path.read_text().splitlines(keepends=True)[:5]  # as if killed after five records ...
    path.write_text("".join(kept) + '{"run_id": "x", "task": "test/echo", "sample_id": "s00')  # ... mid-write
    (tmp_path / "calls.log").unlink()
    _run(tmp_path, samples, use_cache=False)
    assert sorted(_calls(tmp_path)) == sorted(f"test/echo\t{s.id}" for s in samples[5:])
    lines = path.read_text().splitlines()
    assert len(lines) == 12 and all(json.loads(line) for line in lines)


def test_identical_run_in_new_dir_hits_cache(tmp_path: Path) -> None:
    samples = make_samples(tmp_path / "audio", 8)
    first, _ = _run(tmp_path, samples, out="a")
    assert first.model_calls == 8
    second, result = _run(tmp_path, samples, out="b")
    assert second.model_calls == 0 and len(_calls(tmp_path)) == 8
    records = list(iter_records(tmp_path / "b" / "samples.jsonl"))
    assert all(r.output and r.output.cached for r in records)
    assert result.tasks["test/echo"].metrics["accuracy"].value == 1.0


def test_ctrl_c_leaves_resumable_partial_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = make_samples(tmp_path / "audio", 12)
    from seabench.models.echo import EchoAdapter

    original = EchoAdapter.generate
    calls = {"n": 0}

    def interrupt_on_third(self, batch, config):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, batch, config)

    monkeypatch.setattr(EchoAdapter, "generate", interrupt_on_third)
    with pytest.raises(Interrupted) as stop:
        _run(tmp_path, samples)
    assert stop.value.done == 8 and stop.value.total == 12
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["status"] == "partial"
    monkeypatch.setattr(EchoAdapter, "generate", original)
    _, result = _run(tmp_path, samples)
    assert result.status == "complete"
    assert len((tmp_path / "run" / "samples.jsonl").read_text().splitlines()) == 12


def test_broken_audio_is_recorded_and_counted(tmp_path: Path) -> None:
    cases = make_broken_audio(tmp_path / "broken")
    good = make_samples(tmp_path / "audio", 3)
    bad = [Sample(id=f"bad-{name}", audio=[AudioRef(path=str(path))], instruction="x", reference="x", language="en")
           for name, (path, _) in cases.items()]
    _, result = _run(tmp_path, good + bad, max_audio_s=30)
    by_id = {r.sample_id: r for r in iter_records(tmp_path / "run" / "samples.jsonl")}
    for name, (_, code) in cases.items():
        assert by_id[f"bad-{name}"].error_code.value == code, name
    counts = result.tasks["test/echo"].counts
    assert counts.n_errors == len(cases) and counts.completed == len(cases) + 3
    assert result.tasks["test/echo"].metrics["accuracy"].value == pytest.approx(3 / (3 + len(cases)))
    assert sorted(_calls(tmp_path)) == sorted(f"test/echo\t{s.id}" for s in good)


def test_api_key_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "canary-7f3a9c2e51d04b8e"
    monkeypatch.setenv("GEMINI_API_KEY", canary)
    samples = make_samples(tmp_path / "audio", 3)
    _run(tmp_path, samples, text=f"the key is {canary}")
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert canary not in path.read_text(errors="replace"), path


def test_output_dir_of_another_model_is_refused(tmp_path: Path) -> None:
    from seabench import UserError

    samples = make_samples(tmp_path / "audio", 2)
    _run(tmp_path, samples)
    reg = registry_with(make_task(samples))
    with pytest.raises(UserError, match="holds a run of model"):
        Runner(RunConfig(model="predictions:x.jsonl", tasks="test/*", output_dir=tmp_path / "run"), reg)


def test_retryable_errors_rerun_on_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seabench import ErrorCode, ModelOutput
    from seabench.models.echo import EchoAdapter

    samples = make_samples(tmp_path / "audio", 4)
    original = EchoAdapter.generate
    monkeypatch.setattr(EchoAdapter, "generate", lambda self, batch, config: [
        ModelOutput(error="503 overloaded", error_code=ErrorCode.MODEL_ERROR) for _ in batch])
    _, result = _run(tmp_path, samples)
    assert result.tasks["test/echo"].counts.errors == {"model_error": 4}
    monkeypatch.setattr(EchoAdapter, "generate", original)
    _, result = _run(tmp_path, samples)
    assert result.tasks["test/echo"].counts.n_errors == 0
    assert len((tmp_path / "run" / "samples.jsonl").read_text().splitlines()) == 4
    assert os.path.exists(tmp_path / "run" / "run.json")


def test_a_batch_that_raises_costs_only_the_bad_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seabench.models.echo import EchoAdapter

    samples = make_samples(tmp_path / "audio", 8)
    original = EchoAdapter.generate

    def crash_on_s0003(self, batch, config):  # type: ignore[no-untyped-def]
        if any(i.sample_id == "s0003" for i in batch):
            raise RuntimeError("CUDA error: device-side assert")
        return original(self, batch, config)

    monkeypatch.setattr(EchoAdapter, "generate", crash_on_s0003)
    _, result = _run(tmp_path, samples)
    records = {r.sample_id: r for r in iter_records(tmp_path / "run" / "samples.jsonl")}
    assert records["s0003"].error_code.value == "model_error" and "device-side assert" in records["s0003"].error_message
    assert all(records[s.id].error_code is None for s in samples if s.id != "s0003")
    assert result.tasks["test/echo"].counts.errors == {"model_error": 1}


def test_a_model_failing_on_everything_stops_with_partial_results(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from seabench.models.echo import EchoAdapter
    from seabench.runner import ModelKeepsFailing

    samples = make_samples(tmp_path / "audio", 40)

    def broken(self, batch, config):  # type: ignore[no-untyped-def]
        raise ValueError("weights are NaN")

    monkeypatch.setattr(EchoAdapter, "generate", broken)
    with pytest.raises(ModelKeepsFailing, match="failed on 20 samples in a row; last error: ValueError"):
        _run(tmp_path, samples)
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    # batches of 4: the fifth failed batch is recorded, then the run stops; no sample succeeded
    assert saved["status"] == "failed" and saved["tasks"]["test/echo"]["status"] == "partial"
    assert saved["tasks"]["test/echo"]["counts"]["errors"] == {"model_error": 20}
