"""How a user asks for scale-out (issue 18), checked before any work: --executor/--replicas/--ray-address/
--gpus-per-replica, API models and stored predictions kept on one driver, the missing extra in one line;
and --shard for an API model: each shard sends only its own samples, and the merge equals one run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from seabench.errors import MissingExtra, UserError
from seabench.executor_ray import RaySettings, ray_settings
from seabench.merge import merge_runs
from seabench.runner import RunConfig, Runner
from seabench.selection import Shard
from tests.helpers import same_run
from tests.helpers.core import write_manifest, write_tone
from tests.helpers.fake_openai import FakeOpenAI


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


def test_ray_flags_need_the_ray_executor() -> None:
    assert ray_settings("local", None, None, None, "reference", {}) is None
    with pytest.raises(UserError, match="--replicas, --gpus-per-replica need\\(s\\) --executor ray"):
        ray_settings("local", 2, None, 1.0, "reference", {})
    with pytest.raises(UserError, match="--executor must be local or ray, not 'dask'"):
        ray_settings("dask", None, None, None, "reference", {})


def test_replica_defaults_and_vllm_gpus() -> None:
    assert ray_settings("ray", None, None, None, "reference", {}) == RaySettings(1, None, 0.0)
    assert ray_settings("ray", 4, "10.0.0.1:6379", None, "vllm:org/m", {"tensor_parallel_size": 2}) == \
        RaySettings(4, "10.0.0.1:6379", 2.0)
    with pytest.raises(UserError, match="spans 2 GPUs .*: --gpus-per-replica 2"):
        ray_settings("ray", 2, None, 1.0, "vllm:org/m", {"tensor_parallel_size": 2})


def _manifest(tmp_path: Path, n: int = 10) -> str:
    write_tone(tmp_path / "a.wav", seconds=0.2)
    rows = [{"id": f"u{i:02d}", "audio": "a.wav", "language": "en", "reference": "Transcribe the audio."}
            for i in range(n)]
    return f"asr@{write_manifest(tmp_path / 'data.jsonl', rows)}"


def _config(model: str, tasks: str, out: Path, **more: object) -> RunConfig:
    return RunConfig(model=model, tasks=tasks, output_dir=out, quiet=True, judge=None, use_cache=False, **more)


def test_api_models_and_stored_outputs_stay_on_one_driver(tmp_path: Path) -> None:
    tasks = _manifest(tmp_path)
    with pytest.raises(UserError, match="is an API model whose limit is its concurrency .*--shard I/N"):
        Runner(_config("openai:m@http://127.0.0.1:9/v1", tasks, tmp_path / "api", executor=RaySettings(2)))
    predictions = write_manifest(tmp_path / "preds.jsonl", [{"id": "u00", "output": "x"}])
    with pytest.raises(UserError, match="reads stored outputs: run it without --executor"):
        Runner(_config(f"predictions:{predictions}", tasks, tmp_path / "pred", executor=RaySettings(2)))
    assert not (tmp_path / "api").exists() and not (tmp_path / "pred").exists()


def test_missing_ray_extra_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(MissingExtra, match=r"^--executor ray needs the 'ray' package: pip install 'seabench\[ray\]'$"):
        Runner(_config("echo", _manifest(tmp_path), tmp_path / "run", executor=RaySettings(2)))


def test_api_model_shards_send_only_their_samples_and_merge_to_one_run(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    tasks = _manifest(tmp_path, 12)
    with FakeOpenAI() as server:
        model = f"openai:m@{server.base_url}"
        Runner(_config(model, tasks, tmp_path / "whole")).run()
        sent: list[int] = []
        for i in (1, 2):
            before = len(server.completions())
            Runner(_config(model, tasks, tmp_path / f"s{i}", shard=Shard(i, 2))).run()
            sent.append(len(server.completions()) - before)
    held = [len(same_run.records(tmp_path / f"s{i}")) for i in (1, 2)]
    assert sent == held and sum(held) == 12 and 0 not in held
    merge_runs([tmp_path / "s1", tmp_path / "s2"], tmp_path / "merged")
    assert same_run.records(tmp_path / "merged") == same_run.records(tmp_path / "whole")
    assert same_run.task_results(tmp_path / "merged") == same_run.task_results(tmp_path / "whole")


def test_judged_shards_merge_to_the_judged_unsharded_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Judges stay single-driver per shard; verdicts travel with the records and the judging summary is rebuilt."""
    from tests.helpers.fake_openai import user_text

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    def verdict(req) -> str:  # type: ignore[no-untyped-def]
        return f'{{"rationale": "ok", "score": {len(user_text(req.json)) % 5 + 1}}}'

    with FakeOpenAI(responder=verdict) as server:
        judge = f"openai:judge@{server.base_url}"
        for out, shard in (("whole", None), ("s1", Shard(1, 2)), ("s2", Shard(2, 2))):
            monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / f"cache-{out}"))  # every run asks the judge
            Runner(RunConfig(model="echo", tasks="mini/open-en,mini/open-th", output_dir=tmp_path / out, quiet=True,
                             judge=judge, use_cache=False, shard=shard)).run()
    merged = merge_runs([tmp_path / "s1", tmp_path / "s2"], tmp_path / "merged")
    assert same_run.records(tmp_path / "merged") == same_run.records(tmp_path / "whole")
    assert same_run.task_results(tmp_path / "merged") == same_run.task_results(tmp_path / "whole")
    assert all(t.judging is not None and t.judging.scored_by_judge == t.counts.n for t in merged.tasks.values())
