"""Local engines record prefill and decode time where the backend exposes it: the reference model's own
clock around its prompt pass and decode steps, and vLLM's per-request timestamps."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
from seabench.models.hf_common import LongAudioPlan
from seabench.models.vllm_offline import request_timing

from seabench import GenerationConfig, ModelInput, ModelOutput


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))


def test_reference_model_reports_prefill_and_decode(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from seabench.models.reference_adapter import create

    from tests.unit.reference_fixtures import (
        one_torch_thread,
        tiny_reference_checkpoint,
    )

    adapter = create(f"reference:{tiny_reference_checkpoint(tmp_path / 'tiny')}", {"device": "cpu"})
    rng = np.random.default_rng(0)
    inputs = [ModelInput(sample_id=f"s{i}", task="mini/asr-en", prompt="Transcribe.",
                         audio=[(0.1 * rng.standard_normal(16000)).astype(np.float32)]) for i in range(2)]
    with one_torch_thread():
        one = adapter.generate(inputs, GenerationConfig(max_new_tokens=1))
        many = adapter.generate(inputs, GenerationConfig(max_new_tokens=24))
    for out in one + many:
        assert out.error is None and out.timing["prefill_s"] > 0 and out.timing["decode_s"] >= 0
        assert out.timing["prefill_s"] + out.timing["decode_s"] <= out.latency_s
    assert all(o.timing["decode_s"] < 0.01 for o in one)  # one token: everything is prefill
    assert many[0].timing == many[1].timing  # one batch: both waited for the same passes
    if max(o.output_tokens for o in many) > 2:
        assert many[0].timing["decode_s"] > one[0].timing["decode_s"]


def test_vllm_request_metrics_become_queue_prefill_and_decode() -> None:
    v1 = types.SimpleNamespace(arrival_time=1700000000.0, queued_ts=10.0, scheduled_ts=10.5, first_token_ts=11.25,
                               last_token_ts=13.0, num_generation_tokens=8)
    assert request_timing(v1) == {"queue_s": 0.5, "prefill_s": 0.75, "decode_s": 1.75}
    v0 = types.SimpleNamespace(arrival_time=100.0, first_scheduled_time=100.25, first_token_time=101.0,
                               last_token_time=102.0, time_in_queue=0.25, finished_time=102.0)
    assert request_timing(v0) == {"queue_s": 0.25, "prefill_s": 0.75, "decode_s": 1.0}
    assert request_timing(None) == {}  # the engine was not logging stats
    assert request_timing(types.SimpleNamespace(queued_ts=0.0, scheduled_ts=0.0, first_token_ts=0.0,
                                                last_token_ts=0.0)) == {}  # never scheduled


def test_a_long_clip_split_into_windows_sums_their_times() -> None:
    inp = ModelInput(sample_id="l", task="asr/x", prompt="Transcribe.", language="en",
                     audio=[np.zeros(16000 * 25, dtype=np.float32)])
    plan = LongAudioPlan.build([inp], 10.0)
    pieces = [ModelOutput(text=f"w{i}", latency_s=1.0, timing={"prefill_s": 0.25, "decode_s": 0.5, "queue_s": 0.1}
                          if i else {"prefill_s": 0.25, "decode_s": 0.5}) for i in range(len(plan.pieces))]
    [out] = plan.merge(pieces)
    n = len(plan.pieces)
    assert n >= 3 and out.timing == {"prefill_s": 0.25 * n, "decode_s": 0.5 * n}
