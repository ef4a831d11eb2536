"""`--shard I/N` and `seabench merge` (issue 18): a stable split by (task, sample id), independent of order
and of --limit; shards merged into one run equal to the unsharded run record for record (outputs,
scores) and number for number (results with CIs); merge names missing or doubled shards and samples
and refuses shards of other configurations."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seabench.cli import app
from seabench.errors import UserError
from seabench.merge import merge_runs
from seabench.rundir import read_identity
from seabench.runner import RunConfig, Runner
from seabench.selection import Shard
from seabench.types import RunResult
from tests.helpers import same_run
from tests.helpers.core import write_manifest, write_tone


def test_each_sample_is_in_exactly_one_shard_whatever_the_order() -> None:
    keys = [(f"asr/{t}", f"u{i:04d}") for t in ("a", "b") for i in range(400)]
    shuffled = random.Random(1).sample(keys, len(keys))
    for count in (1, 2, 3, 7):
        shards = [Shard(i, count) for i in range(1, count + 1)]
        owners = {key: [s for s in shards if s.holds(*key)] for key in shuffled}
        assert all(len(held) == 1 for held in owners.values())
        assert owners == {key: [s for s in shards if s.holds(*key)] for key in keys}
        sizes = [sum(owner == [s] for owner in owners.values()) for s in shards]
        assert min(sizes) > len(keys) / count * 0.8  # a fair split, not all in one


def test_shard_parse_errors_are_one_line() -> None:
    for bad in ("3", "0/2", "3/2", "a/b"):
        with pytest.raises(UserError, match="--shard"):
            Shard.parse(bad)


# -- runs of two small ASR tasks with the echo model ---------------------------------------------------
@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("merge-data")
    write_tone(root / "a.wav", seconds=0.2)
    tasks = []
    for name, language in (("first", "en"), ("second", "id")):
        rows = [{"id": f"{name}{i:02d}", "audio": "a.wav", "language": language if i % 3 else "ms",
                 "reference": f"say {i}" if i % 4 else f"{name}{i:02d}"} for i in range(14)]
        tasks.append(f"asr@{write_manifest(root / f'{name}.jsonl', rows)}")
    return root, ",".join(tasks)


def _run(out: Path, tasks: str, shard: str | None = None, seed: int = 0) -> Runner:
    runner = Runner(RunConfig(model="echo", tasks=tasks, output_dir=out, limit=10, shard=Shard.parse(shard),
                              seed=seed, batch_size=3, quiet=True, judge=None, use_cache=False))
    runner.run()
    return runner


@pytest.fixture(scope="module")
def runs(data: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unsharded run and its three shards (--limit 10 of 14 per task)."""
    root = tmp_path_factory.mktemp("merge-runs")
    _run(root / "whole", data[1])
    for i in (1, 2, 3):
        _run(root / f"shard{i}", data[1], f"{i}/3")
    return root


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


def test_shards_are_normal_run_dirs_that_record_their_shard(runs: Path) -> None:
    whole = read_identity(runs / "whole")
    limited = set(same_run.records(runs / "whole"))
    seen: set[tuple[str, str]] = set()
    for i in (1, 2, 3):
        identity = read_identity(runs / f"shard{i}")
        assert identity.shard == f"{i}/3" and identity.config_hash == whole.config_hash
        result = RunResult.model_validate_json((runs / f"shard{i}" / "results.json").read_text())
        assert result.manifest.shard == f"{i}/3" and result.status == "complete"
        keys = set(same_run.records(runs / f"shard{i}"))
        assert all(Shard(i, 3).holds(*key) for key in keys) and not keys & seen
        seen |= keys
    assert seen == limited  # the shards of a --limit run split exactly the samples --limit chose


def test_a_shard_resumes_only_as_itself(runs: Path, data: tuple[Path, str]) -> None:
    assert _run(runs / "shard2", data[1], "2/3").model_calls == 0  # its own command: nothing left to do
    for other in ("1/3", None):
        with pytest.raises(UserError, match=f"shard '2/3' -> {other!r}"):
            _run(runs / "shard2", data[1], other)


def test_merged_shards_equal_the_unsharded_run(runs: Path, data: tuple[Path, str], tmp_path: Path) -> None:
    merged = merge_runs([runs / "shard3", runs / "shard1", runs / "shard2"], tmp_path / "merged")
    assert same_run.records(tmp_path / "merged") == same_run.records(runs / "whole")
    assert same_run.task_results(tmp_path / "merged") == same_run.task_results(runs / "whole")
    assert merged.status == "complete" and merged.manifest.shard is None and not merged.warnings
    assert [m.shard for m in merged.manifest.merged_from] == ["3/3", "1/3", "2/3"]
    identity = read_identity(tmp_path / "merged")
    assert identity.shard is None and identity.config_hash == read_identity(runs / "whole").config_hash
    # a normal run dir: the unsharded command finds nothing left to do there
    again = _run(tmp_path / "merged", data[1])
    assert again.model_calls == 0
    assert same_run.task_results(tmp_path / "merged") == same_run.task_results(runs / "whole")


def test_merge_names_missing_and_doubled_shards(runs: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"shard\(s\) 2/3 missing: run them with --shard I/3"):
        merge_runs([runs / "shard1", runs / "shard3"], tmp_path / "out")
    shutil.copytree(runs / "shard1", tmp_path / "again")
    with pytest.raises(UserError, match="shard 1/3 given twice .*again"):
        merge_runs([runs / "shard1", runs / "shard2", runs / "shard3", tmp_path / "again"], tmp_path / "out")
    with pytest.raises(UserError, match="split the run differently"):
        merge_runs([runs / "shard1", runs / "whole"], tmp_path / "out")


def _copies(runs: Path, tmp_path: Path) -> list[Path]:
    dirs = []
    for i in (1, 2, 3):
        shutil.copytree(runs / f"shard{i}", tmp_path / f"s{i}")
        dirs.append(tmp_path / f"s{i}")
    return dirs


def test_merge_names_samples_without_a_record(runs: Path, tmp_path: Path) -> None:
    dirs = _copies(runs, tmp_path)
    samples = dirs[1] / "samples.jsonl"
    lines = samples.read_bytes().splitlines(keepends=True)
    samples.write_bytes(b"".join(lines[:-2]))  # shard 2 stopped before its last two samples
    gone = sorted(set(same_run.records(runs / "shard2")) - set(same_run.records(dirs[1])))
    assert len(gone) == 2
    with pytest.raises(UserError) as err:
        merge_runs(dirs, tmp_path / "out")
    message = str(err.value)
    assert message.startswith("cannot merge: ") and "\n" not in message
    assert all(f"{task}: " in message and f"'{sample_id}'" in message for task, sample_id in gone)
    assert "have no record" in message and f"in {dirs[1]} (shard 2/3)" in message
    assert "Resume an incomplete shard with its own command" in message
    assert not (tmp_path / "out" / "samples.jsonl").exists()


def test_merge_names_doubled_samples(runs: Path, tmp_path: Path) -> None:
    dirs = _copies(runs, tmp_path)
    first_line = (dirs[0] / "samples.jsonl").read_bytes().splitlines(keepends=True)[0]
    with open(dirs[2] / "samples.jsonl", "ab") as fh:
        fh.write(first_line)
    record = same_run.records(runs / "shard1")
    task, sample_id = next(iter(record))
    with pytest.raises(UserError, match=f"{task} '{sample_id}' in both {dirs[0]} and {dirs[2]}"):
        merge_runs(dirs, tmp_path / "out")


def test_merge_refuses_shards_of_another_configuration(data: tuple[Path, str], runs: Path, tmp_path: Path) -> None:
    _run(tmp_path / "seed1", data[1], "2/3", seed=1)
    with pytest.raises(UserError, match=r"seed1 is not a shard of the same run as .*shard1 \(config hash "
                                        r"[0-9a-f]+ vs [0-9a-f]+: seed 0 -> 1"):
        merge_runs([runs / "shard1", tmp_path / "seed1", runs / "shard3"], tmp_path / "out")


def test_merge_writes_only_into_a_new_directory(runs: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="is not empty"):
        merge_runs([runs / "shard1", runs / "shard2", runs / "shard3"], tmp_path / "out")
    with pytest.raises(UserError, match="is not a seabench run directory"):
        merge_runs([runs / "shard1", tmp_path / "nowhere"], tmp_path / "out2")
    assert not (tmp_path / "nowhere").exists()


def test_changed_task_data_keeps_the_values_and_says_why_cis_may_differ(runs: Path, data: tuple[Path, str],
                                                                        tmp_path: Path) -> None:
    """Without the data the shards ran on, rows follow the shards: same values, a warning about CIs."""
    moved = tmp_path / "data"
    shutil.copytree(data[0], moved)
    manifest = Path(data[1].split(",")[0].partition("@")[2])
    shutil.copy(manifest, manifest.with_suffix(".bak"))
    try:
        with open(manifest, "a", encoding="utf-8") as fh:
            fh.write('{"id": "late", "audio": "a.wav", "language": "en", "reference": "late"}\n')
        merged = merge_runs([runs / "shard1", runs / "shard2", runs / "shard3"], tmp_path / "merged")
    finally:
        shutil.move(manifest.with_suffix(".bak"), manifest)
    assert any("rows follow the shards' order" in w for w in merged.warnings)
    assert same_run.records(tmp_path / "merged") == same_run.records(runs / "whole")
    whole = same_run.task_results(runs / "whole")
    for name, result in same_run.task_results(tmp_path / "merged").items():
        assert result["counts"] == whole[name]["counts"]
        assert {k: m["value"] for k, m in result["metrics"].items()} == \
            {k: m["value"] for k, m in whole[name]["metrics"].items()}


# -- the embedded reference model through the CLI ---------------------------------------------------------
def test_reference_model_shards_merged_with_the_cli_equal_the_unsharded_run(tmp_path: Path) -> None:
    cli = CliRunner()
    common = ["run", "--model", "reference", "--tasks", "mini/asr-en,mini/gender", "--limit", "4", "--quiet",
              "--no-cache", "--judge", "none", "--batch-size", "4", "-G", "max_new_tokens=12"]
    for out, shard in (("whole", []), ("s1", ["--shard", "1/2"]), ("s2", ["--shard", "2/2"])):
        done = cli.invoke(app, [*common, *shard, "-o", str(tmp_path / out)])
        assert done.exit_code == 0, done.output
    merged = cli.invoke(app, ["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m")])
    assert merged.exit_code == 0, merged.output
    assert "Merged 2 shard(s)" in merged.output
    assert same_run.records(tmp_path / "m") == same_run.records(tmp_path / "whole")
    assert same_run.task_results(tmp_path / "m") == same_run.task_results(tmp_path / "whole")
    missing = cli.invoke(app, ["merge", str(tmp_path / "s1"), "--out", str(tmp_path / "m2")])
    assert isinstance(missing.exception, UserError)  # main() prints it as one line, exit code 2
    assert str(missing.exception).startswith("cannot merge: shard(s) 2/2 missing")
