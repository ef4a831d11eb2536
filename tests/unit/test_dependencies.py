"""Declared dependencies match what the code imports (issue 17): each core dependency is imported by the
package, each extra's packages by the code that extra serves, test-only libraries only in dev, `all`
covers every extra, and constraints.txt pins every declared package inside its declared range."""

from __future__ import annotations

import ast
import re
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = ("seabench", "tasks", "models", "judges", "leaderboard")
TOOLS = {"pytest", "ruff"}  # run as commands, never imported
GPU_ONLY = {"vllm"}  # its extra cannot be installed here; its adapter imports it lazily


@cache
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirements(specs: list[str]) -> list[Requirement]:
    return [Requirement(s) for s in specs if canonicalize_name(Requirement(s).name) != "seabench"]


def imported_modules(*folders: str) -> set[str]:
    """Top-level modules imported by the .py files under `folders`, including lazy imports inside
    functions and modules named to seabench.require()/importlib.import_module()."""
    found: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
                elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                      in ("require", "import_module") and node.args and isinstance(node.args[0], ast.Constant)
                      and isinstance(node.args[0].value, str)):
                    found.add(node.args[0].value.split(".")[0])
    return found


def distributions_of(modules: set[str]) -> set[str]:
    owners = packages_distributions()
    return {canonicalize_name(d) for m in modules for d in owners.get(m, [])}


def test_every_core_dependency_is_imported_by_the_package() -> None:
    used = distributions_of(imported_modules(*PACKAGE_DIRS))
    unused = [r.name for r in requirements(project()["dependencies"]) if canonicalize_name(r.name) not in used]
    assert not unused, f"core dependencies nothing in the package imports: {unused}"


def test_every_extra_is_used_where_it_is_declared() -> None:
    extras = project()["optional-dependencies"]
    code = distributions_of(imported_modules(*PACKAGE_DIRS, "scripts"))
    tests = distributions_of(imported_modules("tests"))
    for extra, specs in extras.items():
        used = tests | code if extra == "dev" else code
        unused = [r.name for r in requirements(specs)
                  if canonicalize_name(r.name) not in used | GPU_ONLY | (TOOLS if extra == "dev" else set())]
        assert not unused, f"extra {extra!r} declares packages its code never imports: {unused}"
    test_only = distributions_of(imported_modules("tests")) - code
    declared_outside_dev = {canonicalize_name(r.name) for name, specs in extras.items() if name != "dev"
                            for r in requirements(specs)}
    assert not test_only & declared_outside_dev


def test_all_extra_covers_every_extra_but_gpu_and_dev() -> None:
    extras = project()["optional-dependencies"]
    (req,) = [Requirement(s) for s in extras["all"]]
    assert canonicalize_name(req.name) == "seabench"
    assert req.extras == set(extras) - {"all", "dev", "vllm"}
    assert "seabench[all]" in extras["dev"]


def test_constraints_pin_every_declared_package_inside_its_range() -> None:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    assert str(pins["torch"]) == "2.13.0"  # never a bare or newer torch (a CUDA build)
    declared = requirements(project()["dependencies"]) + [
        r for specs in project()["optional-dependencies"].values() for r in requirements(specs)]
    for req in declared:
        name = canonicalize_name(req.name)
        if name in GPU_ONLY:
            continue
        assert name in pins, f"{req.name} is declared but not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"constraints.txt pins {req.name} {pins[name]} outside {req}"


def test_setup_installs_with_the_constraints() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    installs = [line for line in setup.splitlines() if re.search(r"pip install\b", line) and "--upgrade pip" not in line]
    assert installs and all('"${PIN[@]}"' in line for line in installs)
    assert "PIN=(-c constraints.txt)" in setup and "bash scripts/setup.sh --dev" in (ROOT / ".ci" / "run").read_text()
