"""The embedded reference checkpoints: `reference` (default) and `reference:tiny` (the weaker first
one), small enough to ship in the wheel, loadable from float16 weights, and told apart by their ids
and snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

from seabench.models.reference_adapter import EMBEDDED, VARIANTS, resolve_folder
from seabench.registry import registry
from seabench.runner import RunConfig, Runner

MB = 1024 * 1024


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


def test_variants_resolve_and_fit_the_wheel_budget(tmp_path: Path) -> None:
    assert resolve_folder("reference") == EMBEDDED and resolve_folder("reference:tiny") == VARIANTS["tiny"]
    assert resolve_folder(f"reference:{tmp_path}") == tmp_path  # any other value is a folder
    folders = [EMBEDDED, *VARIANTS.values()]
    assert sum(map(_size, folders)) <= 30 * MB  # the budget for all embedded checkpoints together
    for folder in folders:
        meta = json.loads((folder / "training.json").read_text(encoding="utf-8"))
        assert meta["steps_done"] > 0 and meta["stages"] and meta["parameters"] > 0


def test_default_checkpoint_records_its_u_align_training() -> None:
    meta = json.loads((EMBEDDED / "training.json").read_text(encoding="utf-8"))
    assert meta["stages"][0]["align"] == "dtw" and meta["loss_parts_curve"]["align"]
    assert meta["weights_dtype"] == "float16" and "build_train.py" in meta["data"]["command"]


def test_tiny_variant_runs_and_differs_from_the_default(tmp_path: Path) -> None:
    tiny = registry().create_model("reference:tiny", {"device": "cpu"})
    default = registry().create_model("reference", {"device": "cpu"})
    try:
        assert tiny.info().id == "reference:tiny" and tiny.info().snapshot != default.info().snapshot
    finally:
        tiny.close()
        default.close()
    config = RunConfig(model="reference:tiny", tasks="mini/gender", output_dir=tmp_path / "run", quiet=True,
                       judge=None, limit=4)
    result = Runner(config).run()
    assert result.tasks["mini/gender"].metrics["accuracy"].n == 4
