"""The openai-compatible judge through the openai client against a local chat-completions server
(as `vllm serve` speaks it): schema or plain-text fallback, audio only when enabled, faults with
zero lost items, and the judge cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seabench import AudioRef
from seabench.audio import load_audio
from seabench.judging import JudgeCache, JudgeRequest, load_rubric
from seabench.judging.request import SYSTEM
from seabench.registry import registry
from tests.helpers.core import write_tone
from tests.helpers.fake_http import (
    Reply,
    dropped,
    malformed,
    rate_limited,
    server_error,
    slow,
)
from tests.helpers.fake_openai import FakeOpenAI, audio_parts, user_text

FAST = {"backoff": 0.001, "timeout": 2.0}


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def _requests(tmp_path: Path, n: int, rubric: str = "speech_translation") -> list[JudgeRequest]:
    wav = write_tone(tmp_path / "a.wav")
    ref = AudioRef(path=str(wav), sha256=load_audio(str(wav)).sha256, duration_s=0.5)
    return [JudgeRequest(task="t", sample_id=f"s{i}", rubric=load_rubric(rubric), answer=f"answer {i}",
                         question="Translate into English.", reference=f"reference {i}", language="en", audio=[ref])
            for i in range(n)]


def _judge(server: FakeOpenAI, **options: object):
    return registry().create_judge(f"openai:judge-model@{server.base_url}", {**FAST, **options})


def _by_answer(req) -> str:  # type: ignore[no-untyped-def]
    n = int(user_text(req.json).split("answer ")[-1].split()[0])
    return json.dumps({"rationale": f"rated {n}", "score": n % 5 + 1})


def test_text_only_by_default_with_schema_and_rubric(tmp_path: Path) -> None:
    with FakeOpenAI(responder=lambda req: '{"rationale": "fine", "score": 5}') as server:
        judge = _judge(server)
        [verdict] = judge.judge(_requests(tmp_path, 1))
        [sent] = server.completions()
    assert (verdict.score, verdict.audio_seen, verdict.judge) == (5.0, False, f"openai:judge-model@{server.base_url}")
    body = sent.json
    assert body["model"] == "judge-model" and body["temperature"] == 0.0
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}
    prompt = body["messages"][1]["content"]
    assert isinstance(prompt, str) and audio_parts(body) == []
    assert "The audio is not available to you" in prompt and load_rubric("speech_translation").title in prompt
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["required"] == ["rationale", "score"]


def test_audio_is_sent_when_enabled(tmp_path: Path) -> None:
    with FakeOpenAI(responder=lambda req: '{"rationale": "heard it", "score": 4}') as server:
        requests = _requests(tmp_path, 1)
        [verdict] = _judge(server, audio=True).judge(requests)
        [sent] = server.completions()
    assert verdict.score == 4.0 and verdict.audio_seen is True
    assert audio_parts(sent.json) == [("wav", Path(requests[0].audio[0].path).read_bytes())]
    assert "The user's audio is attached." in user_text(sent.json)


def test_server_without_structured_output_falls_back_once(tmp_path: Path) -> None:
    def responder(req):  # type: ignore[no-untyped-def]
        if "response_format" in req.json:
            return Reply(400, {"error": {"message": "response_format json_schema is not supported",
                                         "type": "invalid_request_error", "code": "400"}})
        return "The translation is faithful. Rating: [[4]]"

    with FakeOpenAI(responder=responder) as server:
        judge = _judge(server, concurrency=1)
        verdicts = judge.judge(_requests(tmp_path, 3))
        sent = server.completions()
    assert [v.score for v in verdicts] == [4.0, 4.0, 4.0] and all(v.retries == 0 for v in verdicts)
    assert ["response_format" in r.json for r in sent] == [True, False, False, False]  # detected once
    assert judge.structured is False and "rejected response_format" in judge.warnings[0]


@pytest.mark.parametrize("reply, score, reason", [
    ('{"rationale": "ok", "score": 3}', 3.0, None),
    ('{"rationale": "ok", "score": 11}', None, "score 11 outside 1-5"),
    ('{"rationale": "unfinished', None, "no score found in judge reply"),
    ("", None, "empty judge reply"),
])
def test_replies_become_verdicts(tmp_path: Path, reply: str, score: float | None, reason: str | None) -> None:
    with FakeOpenAI(responder=lambda req: reply) as server:
        [verdict] = _judge(server).judge(_requests(tmp_path, 1))
    assert verdict.score == score and verdict.unscored_reason == reason


def test_faults_lose_no_items(tmp_path: Path) -> None:
    faults = [rate_limited("0"), server_error(500), slow(1.0), malformed(), dropped(), rate_limited("0.05")]
    with FakeOpenAI(responder=_by_answer, faults=faults) as server:
        judge = _judge(server, timeout=0.3, concurrency=3, max_retries=8)
        verdicts = judge.judge(_requests(tmp_path, 10))
        assert len(server.completions()) == 10 + len(faults)
    assert [v.score for v in verdicts] == [float(i % 5 + 1) for i in range(10)]
    assert sum(v.retries for v in verdicts) == len(faults)


def test_exhausted_retries_are_unscored_not_lost(tmp_path: Path) -> None:
    with FakeOpenAI(faults=lambda req: rate_limited("0")) as server:
        verdicts = _judge(server, max_retries=1).judge(_requests(tmp_path, 3))
    assert all(v.score is None and (v.unscored_reason or "").startswith("judge call failed: HTTP 429")
               and v.retries == 1 for v in verdicts)


def test_cache_rerun_makes_zero_calls(tmp_path: Path) -> None:
    with FakeOpenAI(responder=_by_answer) as server:
        cache = JudgeCache()
        requests = _requests(tmp_path, 4)
        first = _judge(server).judge(requests, cache=cache)
        second = _judge(server).judge(requests, cache=cache)
        assert len(server.completions()) == 4
        _judge(server, audio=True).judge(requests, cache=cache)  # hearing the audio is another judgement
        assert len(server.completions()) == 8
        cache.close()
    assert [v.score for v in first] == [v.score for v in second] and all(v.cached for v in second)
