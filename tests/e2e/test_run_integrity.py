"""A run's numbers come from the settings it records (issue 11), through the CLI as a user meets it:
generation settings and the cache, one configuration per run dir, one writer, a fair --limit, honest exit
codes, SIGTERM, hostile audio and manifests, a corrupt cache, and credentials inside URLs."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.core import write_manifest, write_tone
from tests.helpers.fake_http import client_error
from tests.helpers.fake_openai import FakeOpenAI

SEABENCH = [sys.executable, "-m", "seabench.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1", **extra}


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*SEABENCH, "run", *args], env=env or _env(tmp_path), capture_output=True, text=True,
                          timeout=timeout, cwd=tmp_path)


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


def _manifest(tmp_path: Path, n: int, name: str = "data.jsonl") -> Path:
    write_tone(tmp_path / "a.wav", seconds=0.3)
    return write_manifest(tmp_path / name, [
        {"id": f"u{i:03d}", "audio": "a.wav", "language": "en", "reference": f"number {i}"} for i in range(n)])


def test_a_changed_generation_setting_misses_the_cache_and_is_recorded(tmp_path: Path) -> None:
    base = ["--model", "reference", "--tasks", "mini/asr-en", "--limit", "4", "--quiet"]
    assert _run(tmp_path, *base, "-o", str(tmp_path / "a")).returncode == 0
    short = _run(tmp_path, *base, "-o", str(tmp_path / "b"), "-G", "max_new_tokens=3")
    assert short.returncode == 0, short.stderr
    records = _records(tmp_path / "b")
    assert all(not r["output"].get("cached") and r["output"]["output_tokens"] <= 3 for r in records)
    assert any(r["output"]["output_tokens"] > 3 for r in _records(tmp_path / "a"))
    manifest = json.loads((tmp_path / "b" / "results.json").read_text())["manifest"]
    assert manifest["generation"]["mini/asr-en"]["max_new_tokens"] == 3
    old_way = _run(tmp_path, *base, "-o", str(tmp_path / "c"), "-M", "max_new_tokens=3")
    assert old_way.returncode == 2 and "pass it as -G max_new_tokens" in old_way.stderr
    assert "Traceback" not in old_way.stderr


@pytest.mark.parametrize(("change", "named"), [
    (["--seed", "5"], "seed 0 -> 5"),
    (["-M", "text=other"], "model options"),
    (["-G", "max_new_tokens=7"], "generation settings"),
    (["--limit", "5"], "samples chosen"),
])
def test_resuming_with_other_settings_is_refused_in_one_line(tmp_path: Path, change: list[str], named: str) -> None:
    manifest = _manifest(tmp_path, 8)
    base = ["--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"), "--quiet"]
    assert _run(tmp_path, *base, "--limit", "6").returncode == 0
    before = (tmp_path / "run" / "samples.jsonl").read_bytes()
    refused = _run(tmp_path, *base, *(change if change[0] == "--limit" else ["--limit", "6", *change]))
    assert refused.returncode == 2 and named in refused.stderr and "another --output-dir" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert (tmp_path / "run" / "samples.jsonl").read_bytes() == before  # nothing written


def test_adding_tasks_to_a_run_is_allowed_and_recorded(tmp_path: Path) -> None:
    first, second = _manifest(tmp_path, 3, "one.jsonl"), _manifest(tmp_path, 2, "two.jsonl")
    base = ["--model", "echo", "-o", str(tmp_path / "run"), "--quiet"]
    assert _run(tmp_path, *base, "--tasks", f"asr@{first}").returncode == 0
    added = _run(tmp_path, *base, "--tasks", f"asr@{first},asr@{second}")
    assert added.returncode == 0, added.stderr
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert set(run["tasks"]) == {"asr/one", "asr/two"} and run["config_hash"]
    assert run["tasks"]["asr/one"]["added_at"] <= run["tasks"]["asr/two"]["added_at"]
    # resuming only the first task keeps the second one's results
    assert _run(tmp_path, *base, "--tasks", f"asr@{first}").returncode == 0
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    assert set(result["tasks"]) == {"asr/one", "asr/two"}
    assert result["manifest"]["config_hash"] == run["config_hash"]


def test_a_second_writer_is_refused_and_a_stale_lock_is_recovered(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 40)
    cmd = [*SEABENCH, "run", "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"),
           "-M", "delay=0.1", "--batch-size", "1", "--quiet"]
    first = subprocess.Popen(cmd, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = tmp_path / "run" / ".seabench.lock"
    deadline = time.time() + 60
    while not lock.exists() and time.time() < deadline:
        time.sleep(0.05)
    second = subprocess.run(cmd, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and f"pid {first.pid}" in second.stderr
    first.send_signal(signal.SIGKILL)  # leaves its lock behind
    first.wait()
    assert lock.exists()
    resumed = subprocess.run(cmd, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert not lock.exists() and len(_records(tmp_path / "run")) == 40


def test_limit_is_stratified_seeded_and_recorded(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = _run(tmp_path, "--model", "echo", "--tasks", "mini/gender", "--limit", "7", "-o", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    records = _records(out)
    languages = sorted(r["language"] for r in records)
    assert len(languages) == 7 and len(set(languages)) == 7  # one per language, not seven English items
    manifest = json.loads((out / "results.json").read_text())["manifest"]
    assert sorted(manifest["sample_ids"]["mini/gender"]) == sorted(r["sample_id"] for r in records)
    again = tmp_path / "again"
    assert _run(tmp_path, "--model", "echo", "--tasks", "mini/gender", "--limit", "7", "-o", str(again),
                "--quiet").returncode == 0
    assert sorted(r["sample_id"] for r in _records(again)) == sorted(r["sample_id"] for r in records)
    fraction = _run(tmp_path, "--model", "echo", "--tasks", "mini/gender", "--limit", "0.25", "-o",
                    str(tmp_path / "frac"), "--quiet")
    assert fraction.returncode == 0 and len(_records(tmp_path / "frac")) == 24  # 25 % of 96


def test_a_run_where_nothing_succeeds_fails_with_a_non_zero_exit(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 3)
    with FakeOpenAI(faults=lambda req: client_error(401) if "completions" in req.path else None) as server:
        failed = _run(tmp_path, "--model", f"openai:m@{server.base_url}", "--tasks", f"asr@{manifest}", "-o",
                      str(tmp_path / "run"), "--quiet", "-M", "backoff=0.001", "-M", "probe=false")
    assert failed.returncode == 1 and "no sample succeeded" in failed.stderr, failed.stderr
    assert json.loads((tmp_path / "run" / "results.json").read_text())["status"] == "failed"


def test_sigterm_saves_partial_results_like_ctrl_c(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 100)
    cmd = [*SEABENCH, "run", "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"),
           "-M", "delay=0.05", "--batch-size", "2", "--quiet", "--no-cache"]  # identical inputs: the cache would answer
    proc = subprocess.Popen(cmd, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = tmp_path / "run" / "samples.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (samples.exists() and len(samples.read_bytes().splitlines()) >= 10):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "Resume with the same command" in stderr, stderr
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    assert result["status"] == "partial" and 0 < result["tasks"]["asr/data"]["counts"]["completed"] < 100


def test_an_interrupt_while_results_are_written_keeps_every_record_and_says_how_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from seabench.cli import app
    from seabench.runner import Runner

    manifest = _manifest(tmp_path, 6)
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    args = ["run", "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"), "--quiet"]
    finalize = Runner.finalize

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C (or SIGTERM, which acts as one) just after the last sample

    monkeypatch.setattr(Runner, "finalize", interrupted)
    stopped = CliRunner().invoke(app, args)
    assert stopped.exit_code == 130 and "Resume with the same command" in stopped.output
    assert len(_records(tmp_path / "run")) == 6 and not (tmp_path / "run" / "results.json").exists()
    monkeypatch.setattr(Runner, "finalize", finalize)
    resumed = CliRunner().invoke(app, args)
    assert resumed.exit_code == 0, resumed.output
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    assert result["status"] == "complete" and result["tasks"]["asr/data"]["counts"]["completed"] == 6


def _child_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def test_hostile_audio_files_become_errors_fast_and_in_bounded_memory(tmp_path: Path) -> None:
    write_tone(tmp_path / "good.wav", seconds=0.3)
    os.mkfifo(tmp_path / "fifo.wav")
    (tmp_path / "zero.wav").symlink_to("/dev/zero")
    with open(tmp_path / "huge.wav", "wb") as fh:  # 5 GB, sparse: costs no disk
        fh.truncate(5 * 1024**3)
    rows = [{"id": name, "audio": f"{name}.wav", "language": "en", "reference": "x"}
            for name in ("good", "fifo", "zero", "huge")]
    manifest = write_manifest(tmp_path / "hostile.jsonl", rows)
    start = time.time()
    done = _run(tmp_path, "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"), "--quiet",
                timeout=120)
    assert done.returncode == 0, done.stderr
    assert time.time() - start < 60 and _child_peak_rss_mb() < 1500
    errors = {r["sample_id"]: (r.get("error_code"), r.get("error_message", "")) for r in _records(tmp_path / "run")}
    assert errors["good"][0] is None
    assert errors["fifo"][0] == "audio_unreadable" and "FIFO" in errors["fifo"][1]
    assert errors["zero"][0] == "audio_unreadable" and "device" in errors["zero"][1]
    assert errors["huge"][0] == "audio_too_long" and "SEABENCH_MAX_AUDIO_MB" in errors["huge"][1]


def test_bad_manifest_rows_are_named_and_good_rows_run(tmp_path: Path) -> None:
    write_tone(tmp_path / "a.wav", seconds=0.3)
    good = json.dumps({"id": "ok", "audio": "a.wav", "language": "th", "reference": "สวัสดี"}, ensure_ascii=False)
    lines = [good.encode(),
             b'{"id": "bad-utf8", "audio": "a.wav", "language": "en", "reference": "caf\xe9"}',
             json.dumps({"id": "long", "audio": "a.wav", "language": "en", "reference": "x" * (2 << 20)}).encode(),
             json.dumps({"id": "lang", "audio": "a.wav", "language": "klingon", "reference": "x"}).encode()]
    manifest = tmp_path / "rows.jsonl"
    manifest.write_bytes(b"\n".join(lines) + b"\n")
    done = _run(tmp_path, "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert [r["sample_id"] for r in _records(tmp_path / "run")] == ["ok"]
    assert f"{manifest}: row 2: not valid UTF-8" in done.stderr
    assert f"{manifest}: row 3: line is 2.0 MiB" in done.stderr
    assert f"{manifest}: row 4, field 'language': 'klingon' is not a language code" in done.stderr


def test_predictions_with_duplicate_ids_are_refused_and_a_bad_row_spares_the_others(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 3)
    dup = tmp_path / "dup.jsonl"
    dup.write_text("".join(json.dumps({"id": i, "output": "x"}) + "\n" for i in ("u000", "u001", "u000", "u001")))
    refused = _run(tmp_path, "--model", f"predictions:{dup}", "--tasks", f"asr@{manifest}", "--quiet")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "2 duplicate prediction id(s): u000 (rows 1 and 3); u001 (rows 2 and 4)" in refused.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": "u000", "output": "number 0"}\n{"id": "u001", "output": \n'
                    b'{"id": "u002", "output": "number 2"}\n')
    done = _run(tmp_path, "--model", f"predictions:{bad}", "--tasks", f"asr@{manifest}", "-o",
                str(tmp_path / "run"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"{bad}:2: skipped, not valid JSON" in done.stderr
    errors = {r["sample_id"]: r.get("error_code") for r in _records(tmp_path / "run")}
    assert errors == {"u000": None, "u001": "missing_prediction", "u002": None}


def test_a_corrupt_cache_is_reported_once_and_bypassed(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 3)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "responses.sqlite").write_bytes(os.urandom(8192))
    done = _run(tmp_path, "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "run"), "--quiet")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stderr.count("was unreadable") == 1 and len(_records(tmp_path / "run")) == 3
    again = _run(tmp_path, "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "again"), "--quiet")
    assert again.returncode == 0 and "unreadable" not in again.stderr
    assert all(r["output"].get("cached") for r in _records(tmp_path / "again"))  # the rebuilt cache works


def test_credentials_in_a_base_url_never_leave_the_process(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 2)
    with FakeOpenAI() as server:
        url = server.base_url.replace("http://", "http://alice:hunter2pass@") + "?api_key=URLSECRET99"
        done = _run(tmp_path, "--model", f"openai:m@{url}", "--tasks", f"asr@{manifest}", "-M", "probe=false")
        board = subprocess.run([*SEABENCH, "leaderboard", *map(str, (tmp_path / "runs").iterdir()), "--out",
                                str(tmp_path / "site")], env=_env(tmp_path), capture_output=True, text=True,
                               cwd=tmp_path)
    assert done.returncode in (0, 1) and board.returncode == 0, done.stderr + board.stderr
    written = [p for p in [*(tmp_path / "runs").rglob("*"), *(tmp_path / "site").rglob("*")] if p.is_file()]
    assert written and [p.name for p in (tmp_path / "runs").iterdir()][0].find("hunter2") < 0
    for text in [done.stdout, done.stderr, board.stdout, *(p.read_text(errors="replace") for p in written)]:
        assert "hunter2pass" not in text and "URLSECRET99" not in text


def test_cache_clear_never_touches_data(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 2)
    data = tmp_path / "cache" / "mydata"  # even a data dir placed inside the cache survives
    (data / "fleurs").mkdir(parents=True)
    (data / "fleurs" / "keep.txt").write_text("corpus")
    env = _env(tmp_path, SEABENCH_DATA_DIR=str(data))
    assert _run(tmp_path, "--model", "echo", "--tasks", f"asr@{manifest}", "-o", str(tmp_path / "r"), "--quiet",
                env=env).returncode == 0
    info = subprocess.run([*SEABENCH, "cache", "info"], env=env, capture_output=True, text=True)
    assert "responses.sqlite" in info.stdout and str(data) in info.stdout
    cleared = subprocess.run([*SEABENCH, "cache", "clear", "--yes"], env=env, capture_output=True, text=True)
    assert cleared.returncode == 0 and "responses.sqlite" in cleared.stdout
    assert (data / "fleurs" / "keep.txt").read_text() == "corpus"
    assert not (tmp_path / "cache" / "responses.sqlite").exists()
