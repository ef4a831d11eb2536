"""The command line behaves like the tools researchers already use (issue 17): --version, -h, help
without Python type names, NO_COLOR, --output-path, and library warnings kept in the run's log
instead of being printed over the progress bars."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer

from seabench import __version__
from seabench.cli import app, plain_help
from tests.helpers.core import write_manifest, write_tone

SEABENCH = [sys.executable, "-m", "seabench.cli"]
COLOR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])(?:;[0-9;]*)?m")  # an SGR that sets a colour


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), **extra}
    for name in ("NO_COLOR", "FORCE_COLOR"):
        if name not in extra:
            env.pop(name, None)
    return env


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SEABENCH, *args], env=_env(tmp_path, **env), capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)


def test_version_and_short_help(tmp_path: Path) -> None:
    done = _cli(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.startswith(f"seabench {__version__}")
    for args in (["-h"], ["run", "-h"], ["cache", "clear", "-h"]):
        done = _cli(tmp_path, *args)
        assert done.returncode == 0 and done.stdout.startswith("Usage: seabench"), args


def _command_paths(command: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        paths += _command_paths(sub, (*prefix, name))
    return paths


def test_no_help_page_shows_python_type_names(capsys: pytest.CaptureFixture[str]) -> None:
    root = plain_help(typer.main.get_command(app))
    paths = _command_paths(root)
    assert ("run",) in paths and ("cache", "info") in paths
    for path in paths:
        with pytest.raises(SystemExit) as exit_:
            root.main([*path, "--help"], prog_name="seabench")
        assert exit_.value.code == 0
        page = capsys.readouterr().out
        assert page.startswith("Usage: seabench")
        found = re.findall(r"<(?:str|int|float|bool|path|Path|text|list|tuple|dict)\b[^>]*>|list\[|NoneType", page)
        assert not found, (path, found, page)
    run_page = subprocess.run([*SEABENCH, "run", "-h"], capture_output=True, text=True).stdout
    assert "-M, --model-option KEY=VALUE" in run_page and "--output-dir, --output-path DIR" in run_page


def _manifest(tmp_path: Path, n: int = 3) -> Path:
    write_tone(tmp_path / "a.wav", seconds=0.2)
    return write_manifest(tmp_path / "data.jsonl", [
        {"id": f"u{i}", "audio": "a.wav", "language": "en", "reference": f"number {i}"} for i in range(n)])


def test_output_path_is_an_alias_of_output_dir(tmp_path: Path) -> None:
    done = _cli(tmp_path, "run", "--model", "echo", "--tasks", f"asr@{_manifest(tmp_path)}", "--output-path",
                "elsewhere", "--quiet")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "elsewhere" / "results.json").is_file() and not (tmp_path / "runs").exists()


def test_no_color_is_respected(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    preds = write_manifest(tmp_path / "p.jsonl", [{"id": "u0", "output": "number 0"}, {"id": "zz", "output": "x"}])
    args = ["run", "--model", f"predictions:{preds}", "--tasks", f"asr@{manifest}"]
    coloured = _cli(tmp_path, *args, "-o", "a", FORCE_COLOR="1")
    assert coloured.returncode == 0 and COLOR.search(coloured.stdout + coloured.stderr)  # the check can fail
    plain = _cli(tmp_path, *args, "-o", "b", FORCE_COLOR="1", NO_COLOR="1")
    assert plain.returncode == 0 and "match no sample" in plain.stderr
    assert not COLOR.search(plain.stdout + plain.stderr)


NOISY_LIBRARY = textwrap.dedent("""
    import logging, sys, warnings
    from seabench.models import echo

    chatty = logging.getLogger("chatty")  # a library logging with its own handler, as transformers does
    chatty.addHandler(logging.StreamHandler())
    chatty.propagate = False
    answer = echo.EchoAdapter.generate

    def generate(self, batch, config):
        warnings.warn("`past_key_values` is deprecated", FutureWarning)
        if not logging.getLogger("late").handlers:  # a library first imported during the run
            logging.getLogger("late").addHandler(logging.StreamHandler())
        logging.getLogger("late").propagate = False
        logging.getLogger("late").warning("late library message")
        return answer(self, batch, config)

    echo.EchoAdapter.generate = generate
    chatty.warning("library message before the run")
    from seabench.cli import main
    sys.argv = ["seabench", *sys.argv[1:]]
    try:
        main()
    finally:
        logging.getLogger("late").warning("after the run: back on stderr")
        warnings.warn("after the run: shown again", UserWarning)
""")


def test_library_warnings_go_to_the_run_log_and_are_counted(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, 3)
    done = subprocess.run([sys.executable, "-c", NOISY_LIBRARY, "run", "--model", "echo", "--tasks",
                           f"asr@{manifest}", "-o", "run", "--batch-size", "1", "--no-cache"], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "past_key_values" not in done.stderr and "late library message" not in done.stderr
    assert "asr/data: 3/3 samples" in done.stderr  # seabench's own progress still reaches the terminal
    assert "note: library warnings and messages (FutureWarning x3, 3 other messages) are in run/run.log" in done.stderr
    assert "after the run: back on stderr" in done.stderr and "after the run: shown again" in done.stderr
    log = (tmp_path / "run" / "run.log").read_text()
    assert log.count("FutureWarning: `past_key_values` is deprecated") == 1  # written once, counted three times
    assert log.count("late library message") == 3 and "finished: FutureWarning x3, 3 other messages" in log
    assert "seabench run --model echo" in log.splitlines()[0]
    assert "library message before the run" in done.stderr  # before the run: not ours to capture


@pytest.mark.slow
def test_reference_run_prints_no_library_warnings(tmp_path: Path) -> None:
    done = _cli(tmp_path, "run", "--model", "reference", "--tasks", "mini/asr-en", "--limit", "2", "-o", "run",
                "--no-cache")
    assert done.returncode == 0, done.stderr
    printed = [line for line in done.stderr.splitlines() if not line.startswith("note: library warnings")]
    assert not [line for line in printed if "Warning" in line or "deprecated" in line], printed
    assert "finished:" in (tmp_path / "run" / "run.log").read_text()
    assert json.loads((tmp_path / "run" / "results.json").read_text())["status"] == "complete"
