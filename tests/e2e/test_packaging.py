"""The built wheel installs in a fresh venv outside the checkout and its CLI and plugin
namespaces work (`seabench.tasks` etc. never as top-level `tasks`)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_in_fresh_venv(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True)
    [wheel] = list(wheels.glob("seabench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert not any(n.startswith(("tasks/", "models/", "judges/", "leaderboard/")) for n in names)
    assert "seabench/tasks/mini/__init__.py" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # dependencies come from the registry (or pip's cache); torch is not needed by the core
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=tmp_path)
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONPATH", None)
    run = lambda *a: subprocess.run([str(venv / "bin" / "seabench"), *a], cwd=tmp_path, env=env,  # noqa: E731
                                    capture_output=True, text=True, check=True).stdout
    assert "Commands" in run("--help")
    assert "predictions" in run("models")
    listing = run("tasks", "mini/asr-*")
    assert "mini/asr-th" in listing and "ready" in listing  # the mini suite's data ships in the wheel
    subprocess.run([str(py), "-c", "import seabench.tasks, seabench.models, seabench.judges, seabench.leaderboard; "
                    "import importlib.util as u; assert u.find_spec('torch') is None"],
                   cwd=tmp_path, env=env, check=True)
