"""`openai:MODEL@URL` run for real through the openai client against a local fake server."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seabench import ErrorCode, GenerationConfig, ModelInput, UserError
from seabench.audio import load_audio
from seabench.records import iter_records
from seabench.registry import registry
from seabench.runner import RunConfig, Runner
from seabench.models.openai_compat import parse_spec
from tests.helpers.core import make_samples, make_task, registry_with, write_tone
from tests.helpers.fake_http import Reply, client_error, dropped, malformed, randomly, rate_limited, server_error, slow
from tests.helpers.fake_openai import FakeOpenAI, audio_parts, user_text
from tests.helpers.closing import OPEN

FAST = {"backoff": 0.001, "timeout": 2.0}


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def _input(path: Path, prompt: str = "Transcribe.", sample_id: str = "s1") -> ModelInput:
    loaded = load_audio(str(path))
    from seabench import AudioRef

    ref = AudioRef(path=str(path), sha256=loaded.sha256)
    return ModelInput(sample_id=sample_id, task="t", prompt=prompt, audio=[loaded.waveform], audio_refs=[ref])


def _adapter(server: FakeOpenAI, **options: object):
    adapter = registry().create_model(f"openai:qwen2-audio@{server.base_url}", {**FAST, **options})
    OPEN.append(adapter)
    return adapter


def test_request_carries_audio_prompt_and_generation_settings(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-canary-123")
    tone = write_tone(tmp_path / "tone.wav", seconds=0.3)
    with FakeOpenAI(api_key="sk-test-canary-123") as server:
        adapter = _adapter(server)
        config = GenerationConfig(max_new_tokens=64, temperature=0.2, top_p=0.9, seed=5, system_prompt="You are ASR.")
        [out] = adapter.generate([_input(tone, "Transcribe this.")], config)
    assert out.error is None and out.text == "Transcribe this."
    [req] = server.completions()
    body = req.json
    assert req.headers["authorization"] == "Bearer sk-test-canary-123"
    assert body["model"] == "qwen2-audio"
    assert body["messages"][0] == {"role": "system", "content": "You are ASR."}
    parts = body["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["input_audio", "text"]
    assert parts[1]["text"] == "Transcribe this."
    [(fmt, data)] = audio_parts(body)
    assert fmt == "wav" and data == tone.read_bytes()  # a 16 kHz PCM16 WAV is sent byte for byte
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (0.2, 0.9, 64, 5)
    assert "max_retries" not in body


def test_audio_the_api_cannot_take_is_sent_as_16k_wav(tmp_path: Path) -> None:
    flac = write_tone(tmp_path / "tone.flac", seconds=0.25, sr=44100, channels=2)
    with FakeOpenAI() as server:
        [out] = _adapter(server).generate([_input(flac)], GenerationConfig())
    assert out.error is None
    [(fmt, data)] = audio_parts(server.completions()[0].json)
    wave, sr = sf.read(io.BytesIO(data), dtype="float32")
    assert fmt == "wav" and sr == 16000 and wave.ndim == 1 and len(wave) == 4000


def test_placeholder_key_for_a_local_server_and_no_system_message_by_default(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        _adapter(server).generate([_input(write_tone(tmp_path / "t.wav"))], GenerationConfig())
    body = server.completions()[0].json
    assert server.completions()[0].headers["authorization"] == "Bearer EMPTY"
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_response_text_finish_reason_and_usage_are_parsed(tmp_path: Path) -> None:
    with FakeOpenAI(responder=lambda req: "one two three four five") as server:
        [out] = _adapter(server).generate([_input(write_tone(tmp_path / "t.wav"), "a b c")],
                                          GenerationConfig(max_new_tokens=3))
    assert out.text == "one two three" and out.finish_reason == "length"
    assert out.input_tokens == 3 + 10 and out.output_tokens == 3
    assert out.retries == 0 and out.latency_s is not None and out.latency_s > 0


def test_every_transient_fault_is_retried_and_counted(tmp_path: Path) -> None:
    faults = [rate_limited("0"), server_error(500), server_error(503), malformed(), malformed(b'{"id": "x"}'),
              slow(2.5), dropped()]
    tone = write_tone(tmp_path / "t.wav")
    with FakeOpenAI(faults=faults) as server:
        adapter = _adapter(server, timeout=1.0, concurrency=1, max_retries=len(faults))
        outs = adapter.generate([_input(tone, f"p{i}", f"s{i}") for i in range(3)], GenerationConfig())
    assert [o.error for o in outs] == [None, None, None]
    assert [o.text for o in outs] == ["p0", "p1", "p2"]
    assert sum(o.retries for o in outs) == len(faults) == len(server.injected)
    assert len(server.completions()) == 3 + len(faults)


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    with FakeOpenAI(faults=[rate_limited("0.4")]) as server:
        start = time.perf_counter()
        [out] = _adapter(server).generate([_input(write_tone(tmp_path / "t.wav"))], GenerationConfig())
        waited = time.perf_counter() - start
    assert out.error is None and out.retries == 1 and waited >= 0.4


def test_a_400_is_a_sample_error_at_once(tmp_path: Path) -> None:
    tone = write_tone(tmp_path / "t.wav")
    with FakeOpenAI(faults=[client_error(400)]) as server:
        outs = _adapter(server, concurrency=1).generate([_input(tone, "x", "a"), _input(tone, "y", "b")],
                                                        GenerationConfig())
    assert outs[0].error is not None and "400" in outs[0].error and outs[0].error_code is ErrorCode.MODEL_ERROR
    assert outs[0].retries == 0 and outs[1].error is None
    assert len(server.completions()) == 2


def test_exhausted_retries_give_an_error_not_an_exception(tmp_path: Path) -> None:
    tone = write_tone(tmp_path / "t.wav")
    with FakeOpenAI(faults=[server_error(500)] * 3) as server:
        [out] = _adapter(server, max_retries=2).generate([_input(tone)], GenerationConfig())
    assert out.error_code is ErrorCode.MODEL_ERROR and out.retries == 2 and len(server.completions()) == 3


def test_timeouts_that_never_end_give_a_timeout_code(tmp_path: Path) -> None:
    with FakeOpenAI(faults=[slow(1.0)] * 2) as server:
        [out] = _adapter(server, timeout=0.2, max_retries=1).generate([_input(write_tone(tmp_path / "t.wav"))],
                                                                      GenerationConfig())
    assert out.error_code is ErrorCode.TIMEOUT and out.retries == 1


def test_refusal_and_null_content(tmp_path: Path) -> None:
    body = {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": None, "refusal": "I can't help."}}]}
    with FakeOpenAI(responder=lambda req: Reply(200, body)) as server:
        [out] = _adapter(server).generate([_input(write_tone(tmp_path / "t.wav"))], GenerationConfig())
    assert out.error is None and out.text == "" and out.warnings == ["refusal: I can't help."]
    assert out.input_tokens is None


def test_info_names_model_and_server_and_reads_the_served_checkpoint() -> None:
    models = [{"id": "qwen2-audio", "object": "model", "owned_by": "vllm", "root": "Qwen/Qwen2-Audio-7B-Instruct",
               "max_model_len": 8192}]
    with FakeOpenAI(models=models) as server:
        info = _adapter(server).info()
    assert info.snapshot == f"qwen2-audio@{server.base_url}"
    assert info.details["root"] == "Qwen/Qwen2-Audio-7B-Instruct" and info.details["max_model_len"] == 8192
    assert info.backend_version.startswith("openai-python ")


def test_spec_parsing_and_env_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_spec("openai:m@http://h:1/v1/") == ("m", "http://h:1/v1")
    assert parse_spec("openai:m@127.0.0.1:8000/v1") == ("m", "http://127.0.0.1:8000/v1")
    assert parse_spec("openai:org/model-7b") == ("org/model-7b", None)
    with pytest.raises(UserError):
        parse_spec("openai:@http://h/v1")
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        registry().create_model("openai:gpt-4o-audio-preview", {})
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert registry().create_model("openai:m", {}).base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(UserError, match="generation setting, not a model option.*-G temperature"):
        registry().create_model("openai:m@http://h/v1", {"temperature": 1})
    with pytest.raises(UserError, match="does not take option"):
        registry().create_model("openai:m@http://h/v1", {"temprature": 1})


def test_url_credentials_stay_out_of_info() -> None:
    adapter = registry().create_model("openai:m@http://user:secretpw@127.0.0.1:9/v1", {"probe": False})
    info = adapter.info()
    assert "secretpw" not in info.model_dump_json() and info.snapshot == "m@http://127.0.0.1:9/v1"


def test_one_client_serves_every_batch_until_close(tmp_path: Path) -> None:
    tone = write_tone(tmp_path / "t.wav")
    with FakeOpenAI() as server:
        adapter = _adapter(server)
        opened = []
        make = adapter._open_client
        adapter._open_client = lambda: opened.append(1) or make()
        for b in range(3):
            outs = adapter.generate([_input(tone, f"{b}-{i}", f"{b}-{i}") for i in range(5)], GenerationConfig())
            assert [o.text for o in outs] == [f"{b}-{i}" for i in range(5)]
        assert len(opened) == 1
        thread = adapter._thread
        adapter.close()
        assert thread is not None and not thread.is_alive() and adapter._client is None
        [out] = adapter.generate([_input(tone)], GenerationConfig())  # usable again after close
        assert out.error is None


def test_run_loses_no_sample_under_30_percent_rate_limits(tmp_path: Path) -> None:
    samples = make_samples(tmp_path / "audio", 40)
    reg = registry_with(make_task(samples))
    with FakeOpenAI(faults=randomly([(0.3, rate_limited("0"))], seed=3)) as server:
        config = RunConfig(model=f"openai:m@{server.base_url}", tasks="test/*", output_dir=tmp_path / "run",
                           quiet=True, model_options={"backoff": 0.001, "max_retries": 12, "concurrency": 8})
        result = Runner(config, reg).run()
    records = list(iter_records(tmp_path / "run" / "samples.jsonl"))
    assert sorted(r.sample_id for r in records) == [s.id for s in samples]
    assert all(r.error_code is None and r.output is not None for r in records)
    assert len(server.injected) >= 5
    assert sum(r.output.retries for r in records if r.output) == len(server.injected)
    assert result.status == "complete" and result.tasks["test/echo"].metrics["accuracy"].value == 1.0
    assert {user_text(r.json) for r in server.completions()} == {s.instruction for s in samples}


def test_waveform_without_a_file_is_encoded_as_wav() -> None:
    wave = (0.1 * np.sin(np.arange(800) / 5)).astype(np.float32)
    inp = ModelInput(sample_id="x", task="t", prompt="hi", audio=[wave, wave])
    with FakeOpenAI() as server:
        adapter = registry().create_model(f"openai:m@{server.base_url}", FAST)
        adapter.generate([inp], GenerationConfig())
        adapter.close()
    clips = audio_parts(server.completions()[0].json)
    assert [f for f, _ in clips] == ["wav", "wav"]
    decoded, sr = sf.read(io.BytesIO(clips[0][1]), dtype="float32")
    assert sr == 16000 and np.allclose(decoded, wave, atol=1e-4)
