"""`--executor ray --replicas N` on a local Ray instance (issue 18): two replicas of the embedded
reference model give exactly the single-process records, a replica killed mid-run loses nothing, the
CLI joins an existing cluster and reports per-replica throughput, a fully cached run starts no replica.

One Ray instance serves the module (starting it takes 5-30 s on two busy cores); each run kills its
own actors when it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seabench.errors import UserError
from seabench.executor_ray import RaySettings, connect
from seabench.runner import RunConfig, Runner
from seabench.types import RunResult
from tests.helpers import same_run

pytestmark = pytest.mark.slow

TASKS = "mini/asr-en,mini/gender"
SETTINGS = {"max_new_tokens": "12"}  # short answers keep the replicas' work small


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import ray

    os.environ.setdefault("SEABENCH_CACHE_DIR", str(tmp_path_factory.mktemp("ray-cache")))
    assert connect(None)  # what `--executor ray` without --ray-address does: a local instance
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def _runner(out: Path, executor: RaySettings | None, *, batch_size: int = 2, model: str = "reference",
            use_cache: bool = False) -> Runner:
    return Runner(RunConfig(model=model, tasks=TASKS, output_dir=out, limit=6, batch_size=batch_size, quiet=True,
                            judge=None, use_cache=use_cache, generation=dict(SETTINGS), executor=executor))


@pytest.fixture(scope="module")
def single_process(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Path:
    out = tmp_path_factory.mktemp("ray") / "local"
    _runner(out, None).run()
    return out


def test_two_replicas_give_the_single_process_records(single_process: Path, tmp_path: Path) -> None:
    runner = _runner(tmp_path / "ray", RaySettings(replicas=2))
    result = runner.run()
    assert same_run.records(tmp_path / "ray") == same_run.records(single_process)
    assert same_run.task_results(tmp_path / "ray") == same_run.task_results(single_process)
    report = result.manifest.executor
    assert report is not None and report.kind == "ray" and len(report.replicas) == 2
    assert sum(r.samples for r in report.replicas) == runner.model_calls == 12
    assert all(r.samples > 0 and r.samples_per_s and r.node for r in report.replicas)
    assert report.requeued_batches == 0 and report.samples_per_s and report.startup_s > 0
    assert result.manifest.config["executor"] == "ray" and result.manifest.config["replicas"] == 2
    local = RunResult.model_validate_json((single_process / "results.json").read_text())
    assert result.manifest.config_hash == local.manifest.config_hash  # the executor changes no answer


def test_a_replica_killed_mid_run_loses_nothing(single_process: Path, tmp_path: Path) -> None:
    runner = _runner(tmp_path / "ray", RaySettings(replicas=2), batch_size=1)
    samples = tmp_path / "ray" / "samples.jsonl"
    killed: list[int] = []

    def kill_replica_two() -> None:
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            slots = getattr(runner.executor, "slots", [])
            if len(slots) == 2 and slots[1].pid and samples.exists() and samples.read_bytes().count(b"\n") >= 1:
                os.kill(slots[1].pid, signal.SIGKILL)  # as the OOM killer or a lost node would
                killed.append(slots[1].pid)
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_replica_two)
    watcher.start()
    try:
        result = runner.run()
    finally:
        killed.append(0)
        watcher.join()
    assert killed[0] > 0
    assert same_run.records(tmp_path / "ray") == same_run.records(single_process)
    assert same_run.task_results(tmp_path / "ray") == same_run.task_results(single_process)
    report = result.manifest.executor
    assert report is not None and report.replicas[1].died and report.replicas[0].died is None
    assert report.requeued_batches >= 1 and result.status == "complete"
    assert sum(r.samples for r in report.replicas) == 12
    assert any("Ray replica 2" in w and "died mid-run" in w for w in result.warnings)


def test_when_every_replica_dies_the_run_stops_with_its_records_kept(ray_address: str, tmp_path: Path) -> None:
    from seabench.runner import ModelKeepsFailing

    config = RunConfig(model="echo", tasks=TASKS, output_dir=tmp_path / "run", limit=6, batch_size=1, quiet=True,
                       judge=None, use_cache=False, model_options={"delay": 0.2}, executor=RaySettings(replicas=2))
    runner = Runner(config)
    samples = tmp_path / "run" / "samples.jsonl"

    def kill_all() -> None:
        deadline = time.time() + 120
        while time.time() < deadline:
            slots = getattr(runner.executor, "slots", [])
            if slots and all(s.pid for s in slots) and samples.exists() and samples.read_bytes().count(b"\n") >= 2:
                for slot in slots:
                    os.kill(slot.pid, signal.SIGKILL)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_all)
    watcher.start()
    with pytest.raises(ModelKeepsFailing, match="every Ray replica of echo died"):
        runner.run()
    watcher.join()
    partial = RunResult.model_validate_json((tmp_path / "run" / "results.json").read_text())
    written = sum(t.counts.completed for t in partial.tasks.values())
    assert partial.status == "partial" and 2 <= written < 12
    resumed = Runner(RunConfig(**{**vars(config), "executor": None}))  # resumable without Ray too
    resumed.run()
    assert resumed.model_calls == 12 - written and len(same_run.records(tmp_path / "run")) == 12


def test_the_cli_joins_an_existing_cluster_and_shows_each_replica(single_process: Path, ray_address: str,
                                                                  tmp_path: Path) -> None:
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "seabench.cli", "run", "--model", "reference", "--tasks", TASKS, "--limit", "6",
           "-G", "max_new_tokens=12", "--judge", "none", "--batch-size", "2", "-o", str(tmp_path / "cli"),
           "--executor", "ray", "--replicas", "2", "--ray-address", ray_address]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Ray: 2 replica(s) on {ray_address}" in done.stdout
    assert "replica 1 (" in done.stdout and "replica 2 (" in done.stdout and "samples/s" in done.stdout
    assert same_run.records(tmp_path / "cli") == same_run.records(single_process)


def test_a_fully_cached_run_starts_no_replica(ray_address: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    first = _runner(tmp_path / "a", RaySettings(replicas=2), model="echo", use_cache=True)
    assert first.run().manifest.executor is not None and first.model_calls == 12
    again = _runner(tmp_path / "b", RaySettings(replicas=2), model="echo", use_cache=True)
    assert again.run().manifest.executor is None and again.model_calls == 0


def test_replicas_the_cluster_cannot_place_are_refused(ray_address: str, tmp_path: Path) -> None:
    import ray

    too_many = int(ray.cluster_resources()["CPU"]) + 1
    with pytest.raises(UserError, match=f"{too_many} replicas need {too_many} CPUs and 0 GPUs; the Ray cluster has "
                                        f"{too_many - 1} CPUs and 0 GPUs: lower --replicas"):
        _runner(tmp_path / "big", RaySettings(replicas=too_many), model="echo").run()
