"""Model ids and options as users of other harnesses type them: `hf/ORG/NAME`, `--model-args k=v,k=v`,
`--model hf --model-args pretrained=ORG/NAME`; an hf: id that is not on this machine is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seabench.adapter import model_alias

PREFIXES = ("hf", "vllm", "openai", "echo", "reference")


@pytest.mark.parametrize(("spec", "options", "expected"), [
    ("hf/Qwen/Qwen2-Audio-7B-Instruct", {}, ("hf:Qwen/Qwen2-Audio-7B-Instruct", {})),
    ("vllm/MERaLiON/MERaLiON-2-10B", {"dtype": "bfloat16"}, ("vllm:MERaLiON/MERaLiON-2-10B", {"dtype": "bfloat16"})),
    ("openai/gpt-4o@http://127.0.0.1:8000/v1", {}, ("openai:gpt-4o@http://127.0.0.1:8000/v1", {})),
    ("hf", {"pretrained": "SeaLLMs/SeaLLMs-Audio-7B", "batch_size": 4},
     ("hf:SeaLLMs/SeaLLMs-Audio-7B", {"batch_size": 4})),
    ("hf:/models/x", {}, ("hf:/models/x", {})),  # already ours
    ("cascade:hf:a+openai:b", {}, ("cascade:hf:a+openai:b", {})),
    ("ORG/NAME", {}, ("ORG/NAME", {})),  # not a model prefix: left for the registry's error
])
def test_aliases(spec: str, options: dict, expected: tuple[str, dict]) -> None:
    assert model_alias(spec, options, PREFIXES) == expected


def test_model_args_are_model_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from seabench.cli import app

    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["run", "--model", "echo", "--model-args", "text=hello there,delay=0",
                                      "--tasks", "mini/asr-th", "--limit", "1", "-o", str(tmp_path / "run"),
                                      "--judge", "none", "--quiet"])
    assert result.exit_code == 0, result.output
    [record] = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert record["output"]["text"] == "hello there"
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["model"] == "echo" and run["options"] == {"text": "hello there"}  # delay cannot change answers


def test_an_hf_id_that_is_not_here_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_CACHE": str(tmp_path / "hub"),
           "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "seabench.cli", "run", "--model", "hf/someorg/not-here",
                           "--tasks", "mini/asr-th", "-o", str(tmp_path / "run"), "--quiet"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "someorg/not-here is not in the local Hugging Face cache" in line
    assert "`hf download someorg/not-here`" in line and "hf:/path/to/checkpoint" in line
