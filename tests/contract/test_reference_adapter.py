"""The `reference` adapter inside the harness: tiny random checkpoints built here, plus the embedded one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from seabench import GenerationConfig, ModelInput
from seabench.errors import MissingExtra, UserError
from seabench.records import iter_records
from seabench.registry import registry
from seabench.runner import RunConfig, Runner
from tests.unit.reference_fixtures import (
    one_torch_thread,
    tiny_qwen2_audio,
    tiny_reference_checkpoint,
)

MINI_TASKS = "mini/asr-th,mini/gender,mini/s2tt-vi-en"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_reference_checkpoint(tmp_path_factory.mktemp("reference") / "tiny")


def _inputs(n: int) -> list[ModelInput]:
    rng = np.random.default_rng(1)
    return [
        ModelInput(sample_id=f"s{i}", task="mini/asr-en", prompt="Transcribe the speech in English.",
                   audio=[(0.1 * rng.standard_normal(int(16000 * (0.5 + 0.4 * i)))).astype(np.float32)])
        for i in range(n)
    ]


def test_runner_runs_mini_tasks_with_batches(tmp_path: Path, tiny_checkpoint: Path) -> None:
    config = RunConfig(model=f"reference:{tiny_checkpoint}", tasks=MINI_TASKS, output_dir=tmp_path / "run",
                       quiet=True, judge=None, limit=6)
    with one_torch_thread():
        runner = Runner(config)
        result = runner.run()
    assert runner.batch_size == 16
    assert result.status == "complete"
    assert set(result.tasks) == set(MINI_TASKS.split(","))
    records = list(iter_records(tmp_path / "run" / "samples.jsonl"))
    assert len(records) == 18
    assert all(r.error_code is None and r.output is not None for r in records)
    assert all(r.output.output_tokens and r.output.finish_reason in ("stop", "length") for r in records)
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["model"]["snapshot"].startswith("sha256:")
    assert saved["model"]["provider"] == "seabench-reference"


def test_batched_outputs_equal_one_at_a_time(tiny_checkpoint: Path) -> None:
    adapter = registry().create_model(f"reference:{tiny_checkpoint}", {})
    inputs, config = _inputs(5), GenerationConfig(max_new_tokens=12)
    with one_torch_thread():
        batched = adapter.generate(inputs, config)
        single = [adapter.generate([i], config)[0] for i in inputs]
    assert [o.text for o in batched] == [o.text for o in single]
    assert all(o.output_tokens for o in batched)


def test_options_set_batch_and_snapshot_tracks_weights(tiny_checkpoint: Path, tmp_path: Path) -> None:
    import shutil

    adapter = registry().create_model(f"reference:{tiny_checkpoint}", {"batch_size": 2})
    assert adapter.default_batch_size == 2
    with pytest.raises(UserError, match="generation setting.*-G max_new_tokens"):
        registry().create_model(f"reference:{tiny_checkpoint}", {"max_new_tokens": 3})
    copy = shutil.copytree(tiny_checkpoint, tmp_path / "copy")
    same = registry().create_model(f"reference:{copy}", {})
    assert same.info().snapshot == adapter.info().snapshot
    (copy / "model.safetensors").write_bytes((copy / "model.safetensors").read_bytes()[:-4] + b"\0\0\0\0")
    from seabench.models.reference_adapter import checkpoint_digest

    assert f"sha256:{checkpoint_digest(copy)}" != adapter.info().snapshot


def test_long_asr_audio_is_split_at_the_window(tiny_checkpoint: Path) -> None:
    adapter = registry().create_model(f"reference:{tiny_checkpoint}", {})
    long = ModelInput(sample_id="long", task="mini/asr-en", prompt="Transcribe the speech in English.",
                      audio=[np.zeros(16000 * 19, dtype=np.float32)], language="en")
    with one_torch_thread():
        (out,) = adapter.generate([long], GenerationConfig(max_new_tokens=4))
    assert out.error is None
    assert any("split into 3 windows" in w for w in out.warnings)  # 8 s window


def test_qwen2_audio_folder_runs_through_the_same_adapter(tmp_path: Path) -> None:
    folder = tiny_qwen2_audio(tmp_path / "qwen2-audio")
    adapter = registry().create_model(f"reference:{folder}", {})
    with one_torch_thread():
        out = adapter.generate(_inputs(2), GenerationConfig(max_new_tokens=5))
    assert [o.error for o in out] == [None, None]
    assert adapter.info().details["encoder"] == "qwen2_audio"


def test_errors_name_the_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_checkpoint: Path) -> None:
    with pytest.raises(UserError, match="no checkpoint folder"):
        registry().create_model(f"reference:{tmp_path / 'nowhere'}", {})
    with pytest.raises(UserError, match="does not take option"):
        registry().create_model(f"reference:{tiny_checkpoint}", {"temprature": 1})
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(MissingExtra, match=r"seabench\[reference\]"):
        registry().create_model(f"reference:{tiny_checkpoint}", {})


def test_embedded_checkpoint_answers_mini_samples(tmp_path: Path) -> None:
    """The shipped checkpoint loads within its size budget and produces usable answers."""
    from seabench.models.reference_adapter import EMBEDDED

    size = sum(p.stat().st_size for p in EMBEDDED.iterdir() if p.is_file())
    assert size <= 30 * 1024 * 1024
    assert {"config.json", "model.safetensors", "training.json"} <= {p.name for p in EMBEDDED.iterdir()}
    config = RunConfig(model="reference", tasks="mini/asr-en,mini/gender", output_dir=tmp_path / "run",
                       quiet=True, judge=None, limit=8)
    result = Runner(config).run()
    records = list(iter_records(tmp_path / "run" / "samples.jsonl"))
    assert len(records) == 16 and all(r.error_code is None and r.output.finish_reason == "stop" for r in records)
    assert {r.output.text for r in records if r.task == "mini/gender"} <= {"male", "female"}
    assert result.tasks["mini/asr-en"].metrics["cer"].value < 0.95  # English-like text, not noise
