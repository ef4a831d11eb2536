"""`gemini:MODEL` run for real through google-genai against a local fake Gemini server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from seabench import AudioRef, ErrorCode, GenerationConfig, ModelInput, UserError
from seabench.audio import load_audio
from seabench.registry import registry
from tests.helpers.core import write_tone
from tests.helpers.fake_gemini import FakeGemini, file_parts, inline_audio, prompt_text
from tests.helpers.fake_http import Reply, canned, client_error, dropped, malformed, rate_limited, server_error, slow
from tests.helpers.closing import OPEN

KEY = "gm-test-canary-key-42"
FAST = {"backoff": 0.001, "timeout": 2.0}
TINY_INLINE = {"inline_limit_mb": 0.0001}  # ~100 bytes: every clip goes through the Files API


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_GEMINI_BASE_URL", raising=False)
    monkeypatch.delenv("GOOGLE_GENAI_USE_VERTEXAI", raising=False)


def _serve(monkeypatch: pytest.MonkeyPatch, **kw: object) -> FakeGemini:
    server = FakeGemini(api_key=KEY, **kw)  # type: ignore[arg-type]
    server.__enter__()
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
    return server


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch):
    started: list[FakeGemini] = []

    def start(**kw: object) -> FakeGemini:
        started.append(_serve(monkeypatch, **kw))
        return started[-1]

    yield start
    for s in started:
        s.__exit__(None, None, None)


def _input(path: Path, prompt: str = "Transcribe.", sample_id: str = "s1") -> ModelInput:
    loaded = load_audio(str(path))
    return ModelInput(sample_id=sample_id, task="t", prompt=prompt, audio=[loaded.waveform],
                      audio_refs=[AudioRef(path=str(path), sha256=loaded.sha256)])


def _adapter(model: str = "gemini-2.5-flash", **options: object):
    adapter = registry().create_model(f"gemini:{model}", {**FAST, **options})
    OPEN.append(adapter)
    return adapter


def test_missing_key_is_a_one_line_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(UserError, match="GEMINI_API_KEY") as err:
        registry().create_model("gemini:gemini-2.5-flash", {})
    assert "\n" not in str(err.value)


def test_google_api_key_also_works(serve, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    serve()
    [out] = _adapter().generate([_input(write_tone(tmp_path / "t.wav"))], GenerationConfig())
    assert out.error is None


def test_request_carries_inline_audio_prompt_and_generation_settings(serve, tmp_path: Path) -> None:
    server = serve()
    tone = write_tone(tmp_path / "t.wav", seconds=0.3)
    config = GenerationConfig(max_new_tokens=64, temperature=0.3, top_p=0.8, seed=11, system_prompt="You are ASR.")
    [out] = _adapter().generate([_input(tone, "Transcribe this.")], config)
    assert out.error is None and out.text == "Transcribe this."
    [req] = server.generate_requests()
    body = req.json
    assert req.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert req.headers["x-goog-api-key"] == KEY
    assert inline_audio(body) == [("audio/wav", tone.read_bytes())]
    assert prompt_text(body) == "Transcribe this."
    assert body["systemInstruction"]["parts"] == [{"text": "You are ASR."}]
    gen = body["generationConfig"]
    assert (gen["temperature"], gen["topP"], gen["maxOutputTokens"], gen["seed"]) == (0.3, 0.8, 64, 11)
    assert gen["thinkingConfig"] == {"thinking_budget": 0}  # Flash allows thinking off
    assert server.files == {} and server.uploads_started == 0


def test_thinking_budget_defaults_and_option(serve, tmp_path: Path) -> None:
    server = serve()
    inp = _input(write_tone(tmp_path / "t.wav"))
    _adapter("gemini-2.5-pro").generate([inp], GenerationConfig())
    _adapter("gemini-2.5-pro", thinking_budget=128).generate([inp], GenerationConfig())
    first, second = (r.json["generationConfig"] for r in server.generate_requests())
    assert "thinkingConfig" not in first
    assert second["thinkingConfig"] == {"thinking_budget": 128}


def test_response_is_parsed_and_model_version_recorded(serve, tmp_path: Path) -> None:
    serve(responder=lambda req: "alpha beta gamma delta", model_version="002")
    adapter = _adapter()
    info = adapter.info()
    assert info.snapshot == "gemini-2.5-flash@002" and info.provider == "google-genai"
    [out] = adapter.generate([_input(write_tone(tmp_path / "t.wav"), "a b")], GenerationConfig(max_new_tokens=2))
    assert out.text == "alpha beta" and out.finish_reason == "length"
    assert out.input_tokens == 2 + 10 and out.output_tokens == 2
    assert adapter.info().details["model_versions"] == ["gemini-2.5-flash-002"]


def test_snapshot_is_the_model_name_when_the_server_gives_no_version(serve) -> None:
    serve(model_version=None)
    assert _adapter().info().snapshot == "gemini-2.5-flash"


def test_every_transient_fault_is_retried_and_counted(serve, tmp_path: Path) -> None:
    faults = [rate_limited("0"), server_error(500), server_error(503), malformed(), slow(2.5), dropped()]
    server = serve(faults=faults)
    tone = write_tone(tmp_path / "t.wav")
    outs = _adapter(timeout=1.0, concurrency=1, max_retries=len(faults)).generate(
        [_input(tone, f"p{i}", f"s{i}") for i in range(3)], GenerationConfig())
    assert [o.error for o in outs] == [None, None, None] and [o.text for o in outs] == ["p0", "p1", "p2"]
    assert sum(o.retries for o in outs) == len(faults) == len(server.injected)


def test_retry_delay_from_google_retry_info_is_honoured(serve, tmp_path: Path) -> None:
    body = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
                      "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.4s"}]}}
    serve(responder=canned(Reply(429, body), "ok"))
    start = time.perf_counter()
    [out] = _adapter().generate([_input(write_tone(tmp_path / "t.wav"))], GenerationConfig())
    assert out.text == "ok" and out.retries == 1 and time.perf_counter() - start >= 0.4


def test_client_errors_are_not_retried_and_timeouts_are_coded(serve, tmp_path: Path) -> None:
    server = serve(faults=[client_error(400), slow(1.0), slow(1.0)])
    tone = write_tone(tmp_path / "t.wav")
    adapter = _adapter(timeout=0.2, max_retries=1, concurrency=1)
    [bad] = adapter.generate([_input(tone, "a", "a")], GenerationConfig())
    [late] = adapter.generate([_input(tone, "b", "b")], GenerationConfig())
    assert bad.error_code is ErrorCode.MODEL_ERROR and bad.retries == 0 and "400" in (bad.error or "")
    assert late.error_code is ErrorCode.TIMEOUT and late.retries == 1
    assert len(server.generate_requests()) == 3


def test_blocked_prompt_is_an_empty_answer_not_an_error(serve, tmp_path: Path) -> None:
    serve(responder=lambda req: {"promptFeedback": {"blockReason": "SAFETY"}})
    [out] = _adapter().generate([_input(write_tone(tmp_path / "t.wav"))], GenerationConfig())
    assert out.error is None and out.text == "" and out.finish_reason == "content_filter"
    assert out.warnings == ["prompt blocked: SAFETY"]


def test_large_requests_upload_once_per_distinct_clip_and_reuse_it(serve, tmp_path: Path) -> None:
    server = serve()
    a = write_tone(tmp_path / "a.wav", freq=440)
    b = write_tone(tmp_path / "b.wav", freq=660)
    batch = [_input(a, "one", "1"), _input(a, "two", "2"), _input(b, "three", "3"), _input(a, "four", "4")]
    adapter = _adapter(**TINY_INLINE)
    outs = adapter.generate(batch, GenerationConfig())
    assert [o.text for o in outs] == ["one", "two", "three", "four"]
    assert server.uploads_started == 2 and adapter.uploaded == 2
    assert sorted(f.data for f in server.files.values()) == sorted([a.read_bytes(), b.read_bytes()])
    for req in server.generate_requests():
        assert inline_audio(req.json) == [] and [m for m, _ in file_parts(req.json)] == ["audio/wav"]
    # a second call, and a new adapter (a later run) reuse the uploads through the persistent map
    adapter.generate(batch[:1], GenerationConfig())
    _adapter(**TINY_INLINE).generate(batch, GenerationConfig())
    assert server.uploads_started == 2
    start_cmds = [r for r in server.received("POST", "/upload/") if "upload_id" not in r.query]
    assert all(r.headers["x-goog-upload-protocol"] == "resumable" for r in start_cmds)
    cache_text = (tmp_path / "cache" / "gemini-uploads.json").read_text()
    assert KEY not in cache_text and len(json.loads(cache_text)["files"]) == 2


def test_uploads_near_expiry_are_replaced(serve, tmp_path: Path) -> None:
    server = serve(file_ttl_s=600)  # expires within the 1 h safety margin: never reused
    inp = _input(write_tone(tmp_path / "a.wav"))
    adapter = _adapter(**TINY_INLINE)
    adapter.generate([inp], GenerationConfig())
    adapter.generate([inp], GenerationConfig())
    assert server.uploads_started == 2


def test_an_upload_gone_from_the_server_is_made_again(serve, tmp_path: Path) -> None:
    server = serve()
    inp = _input(write_tone(tmp_path / "a.wav"))
    adapter = _adapter(**TINY_INLINE)
    adapter.generate([inp], GenerationConfig())
    server.expire()  # deleted or expired early on the service's side; our map still trusts it
    [out] = adapter.generate([inp], GenerationConfig())
    assert out.error is None and server.uploads_started == 2 and out.retries == 1


def test_processing_uploads_are_polled_until_active(serve, tmp_path: Path) -> None:
    server = serve(processing_polls=2)
    [out] = _adapter(processing_poll_s=0.01, **TINY_INLINE).generate([_input(write_tone(tmp_path / "a.wav"))],
                                                                      GenerationConfig())
    assert out.error is None
    assert len(server.received("GET", "/files/")) == 3  # PROCESSING, PROCESSING, ACTIVE


def test_upload_faults_are_retried_and_counted(serve, tmp_path: Path) -> None:
    server = serve(fault_on=("/upload/",), faults=[rate_limited("0"), server_error(503)])
    [out] = _adapter(**TINY_INLINE).generate([_input(write_tone(tmp_path / "a.wav"))], GenerationConfig())
    assert out.error is None and out.retries == 2 and len(server.files) == 1


def test_upload_failure_is_a_sample_error(serve, tmp_path: Path) -> None:
    serve(fault_on=("/upload/",), faults=[client_error(400)])
    [out] = _adapter(**TINY_INLINE).generate([_input(write_tone(tmp_path / "a.wav"))], GenerationConfig())
    assert out.error_code is ErrorCode.MODEL_ERROR and "400" in (out.error or "")


def test_unknown_option_and_bad_id_fail_loudly() -> None:
    with pytest.raises(UserError, match="does not take option"):
        registry().create_model("gemini:gemini-2.5-flash", {"temprature": 0})
    with pytest.raises(UserError, match="gemini:MODEL"):
        registry().create_model("gemini:", {})
