"""Registry: names, globs, suites, manifests, unknown-name errors and entry-point plugins."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seabench import UserError
from seabench.registry import _builtin
from tests.helpers.core import make_samples, make_task, registry_with


def test_globs_suites_and_commas(tmp_path: Path) -> None:
    samples = make_samples(tmp_path, 2)
    reg = registry_with(make_task(samples, "asr/a-th"), make_task(samples, "asr/b-vi"), make_task(samples, "mmau/x"))
    reg.add_suite("both", ["asr/*", "mmau/x"])
    assert [t.name for t in reg.resolve_tasks("asr/*")] == ["asr/a-th", "asr/b-vi"]
    assert {t.name for t in reg.resolve_tasks("both")} == {"asr/a-th", "asr/b-vi", "mmau/x"}
    assert [t.name for t in reg.resolve_tasks("mmau/x, asr/b-vi")] == ["mmau/x", "asr/b-vi"]


def test_unknown_task_names_closest(tmp_path: Path) -> None:
    reg = registry_with(make_task(make_samples(tmp_path, 1), "asr/fleurs-th"))
    with pytest.raises(UserError) as err:
        reg.resolve_tasks("asr/fleur-th")
    message = str(err.value)
    assert "asr/fleurs-th" in message and "\n" not in message


def test_unknown_model_prefix() -> None:
    with pytest.raises(UserError, match="closest known: gemini"):
        _builtin().create_model("gemni:gemini-2.5-flash")


def test_unknown_model_option() -> None:
    with pytest.raises(UserError, match="does not take option"):
        _builtin().create_model("echo", {"temprature": 0.1})


def test_plugin_installed_from_temp_dir(tmp_path: Path) -> None:
    """A real distribution with a `seabench.plugins` entry point, pip-installed into a temp dir."""
    src = tmp_path / "src"
    (src / "seabench_demo_plugin").mkdir(parents=True)
    (src / "seabench_demo_plugin" / "__init__.py").write_text(textwrap.dedent('''
        from seabench import ModelEntry

        def register(reg):
            reg.add_suite("demo", ["mini/*"])
            reg.add_model(ModelEntry("demo", "seabench.models.echo:create", "demo echo", "demo"))
    '''))
    (src / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "seabench-demo-plugin"
        version = "0.1"
        [project.entry-points."seabench.plugins"]
        demo = "seabench_demo_plugin:register"
        [tool.setuptools]
        packages = ["seabench_demo_plugin"]
    '''))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(src)], check=True)
    code = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(target)!r})
        from seabench.registry import registry
        reg = registry()
        reg.load_plugins()
        assert reg.suites["demo"] == ["mini/*"], reg.suites
        adapter = reg.create_model("demo", {{}})
        print(type(adapter).__name__)
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "EchoAdapter"


def test_model_options_are_typed_but_hashes_stay_strings() -> None:
    from seabench.adapter import parse_options

    assert parse_options(["n=4", "lr=1e-3", "t=0.5", "on=true", "rev=12e4567", "name=abc", "big=1234567"]) == {
        "n": 4, "lr": 1e-3, "t": 0.5, "on": True, "rev": "12e4567", "name": "abc", "big": 1234567}
