"""Streamed answers (`-M stream=true`) through the real openai and google-genai clients against local
servers that speak their streaming protocols (server-sent events) and pause a set time before the first
token and between tokens: the timings come back within tolerance and the text equals the non-streamed
answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from seabench import GenerationConfig, ModelInput
from seabench.records import iter_records
from seabench.registry import registry
from seabench.runner import RunConfig, Runner
from tests.helpers.closing import OPEN
from tests.helpers.core import make_samples, make_task, registry_with
from tests.helpers.fake_gemini import FakeGemini, prompt_text
from tests.helpers.fake_http import cut_stream, rate_limited
from tests.helpers.fake_openai import FakeOpenAI

FAST = {"backoff": 0.001, "timeout": 5.0}
# Lower bounds are tight (the server cannot answer early); upper bounds leave room for a busy 2-core machine.
EARLY, LATE = 0.005, 0.08

TRICKY = [
    "สวัสดีครับ วันนี้ อากาศ ดี",  # Thai: spaces only between phrases
    "Tôi  đang học tiếng Việt.\n\nCảm ơn!",  # Vietnamese, double space, blank line
    "我今天 很高兴 。",  # Chinese
    "  leading and trailing  ",
    "one",
    "",
]


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def _adapter(server: FakeOpenAI, **options: object):
    adapter = registry().create_model(f"openai:m@{server.base_url}", {**FAST, **options})
    OPEN.append(adapter)
    return adapter


def _inp(prompt: str, sample_id: str = "s") -> ModelInput:
    return ModelInput(sample_id=sample_id, task="t", prompt=prompt)


def test_ttft_and_inter_token_gaps_are_recovered() -> None:
    words = "one two three four five six seven eight"
    with FakeOpenAI(responder=lambda req: words, first_token_s=0.25, token_interval_s=0.05) as server:
        adapter = _adapter(server, stream=True)
        adapter.generate([_inp("warm-up")], GenerationConfig())  # connection set-up and first-use imports
        [out] = adapter.generate([_inp("q")], GenerationConfig())
    t = out.timing
    assert out.error is None and out.text == words and out.output_tokens == 8 and t["stream_chunks"] == 8
    assert 0.25 - EARLY <= t["ttft_s"] <= 0.25 + LATE
    assert 0.05 - EARLY <= t["itl_mean_s"] <= 0.05 + LATE / 2
    assert 0.05 - EARLY <= t["itl_p95_s"] <= 0.05 + LATE
    elapsed = 0.25 + 7 * 0.05
    assert 8 / (elapsed + LATE) <= t["tokens_per_s"] <= 8 / (elapsed - EARLY)
    assert out.latency_s is not None and out.latency_s >= t["ttft_s"] + 7 * (0.05 - EARLY)


def test_streamed_text_equals_the_whole_answer() -> None:
    with FakeOpenAI(responder=lambda req: TRICKY[int(req.json["messages"][-1]["content"][-1]["text"])]) as server:
        inputs = [_inp(str(i), f"s{i}") for i in range(len(TRICKY))]
        for config in (GenerationConfig(), GenerationConfig(max_new_tokens=2)):
            whole = _adapter(server).generate(inputs, config)
            streamed = _adapter(server, stream=True).generate(inputs, config)
            for w, s in zip(whole, streamed, strict=True):
                assert s.error is None and w.error is None
                assert (s.text, s.finish_reason, s.input_tokens, s.output_tokens) == \
                       (w.text, w.finish_reason, w.input_tokens, w.output_tokens)
                assert w.timing == {} and (s.timing["stream_chunks"] == s.output_tokens if s.text else s.timing == {})
    assert [o.text for o in streamed] == ["สวัสดีครับ วันนี้", "Tôi đang", "我今天 很高兴", "leading and", "one", ""]
    assert [o.finish_reason for o in streamed] == ["length", "length", "length", "length", "stop", "stop"]
    bodies = [r.json for r in server.completions()]
    assert sum(1 for b in bodies if b.get("stream")) == len(bodies) // 2
    assert all(b["stream_options"] == {"include_usage": True} for b in bodies if b.get("stream"))


def test_full_texts_survive_streaming_byte_for_byte() -> None:
    with FakeOpenAI(responder=lambda req: TRICKY[int(req.json["messages"][-1]["content"][-1]["text"])]) as server:
        outs = _adapter(server, stream=True).generate([_inp(str(i), f"s{i}") for i in range(len(TRICKY))],
                                                      GenerationConfig())
    assert [o.text for o in outs] == TRICKY


def test_a_stream_cut_short_is_retried_and_counted() -> None:
    with FakeOpenAI(responder=lambda req: "a b c d e", faults=[cut_stream(3), rate_limited("0")]) as server:
        [out] = _adapter(server, stream=True).generate([_inp("q")], GenerationConfig())
    assert out.error is None and out.text == "a b c d e" and out.retries == 2
    assert len(server.completions()) == 3


def test_a_stream_that_never_finishes_is_an_error() -> None:
    with FakeOpenAI(responder=lambda req: "a b c", faults=[cut_stream(2)] * 2) as server:
        [out] = _adapter(server, stream=True, max_retries=1).generate([_inp("q")], GenerationConfig())
    assert out.error is not None and out.error_code == "model_error" and out.retries == 1


def test_stream_is_not_part_of_the_cache_key_and_runs_record_timing(tmp_path: Path) -> None:
    samples = make_samples(tmp_path / "audio", 3)
    reg = registry_with(make_task(samples))
    with FakeOpenAI(first_token_s=0.02) as server:
        def run(name: str, **options: object) -> Runner:
            runner = Runner(RunConfig(model=f"openai:m@{server.base_url}", tasks="test/*",
                                      output_dir=tmp_path / name, quiet=True, model_options={**FAST, **options}), reg)
            runner.run()
            return runner

        assert run("streamed", stream=True).model_calls == 3
        assert run("again").model_calls == 0  # same answers: streaming is a neutral option
    records = list(iter_records(tmp_path / "streamed" / "samples.jsonl"))
    assert all(r.output is not None and r.output.timing["ttft_s"] >= 0.02 - EARLY for r in records)
    assert {r.output.text for r in records if r.output} == {s.instruction for s in samples}


# -- gemini: streamGenerateContent --------------------------------------------------------------------
def _gemini(server: FakeGemini, monkeypatch: pytest.MonkeyPatch, **options: object):
    monkeypatch.setenv("GEMINI_API_KEY", "gm-test")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
    adapter = registry().create_model("gemini:gemini-2.5-flash", {**FAST, "probe": False, **options})
    OPEN.append(adapter)
    return adapter


def test_gemini_stream_is_timed_and_equals_the_whole_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {str(i): t for i, t in enumerate(TRICKY)}
    with FakeGemini(responder=lambda req: answers[prompt_text(req.json)], first_token_s=0.2,
                    token_interval_s=0.04) as server:
        inputs = [_inp(str(i), f"s{i}") for i in range(len(TRICKY))]
        whole = _gemini(server, monkeypatch).generate(inputs, GenerationConfig())
        streaming = _gemini(server, monkeypatch, stream=True)
        streaming.generate([_inp("0")], GenerationConfig())  # warm-up
        streamed = streaming.generate(inputs, GenerationConfig())
    assert [o.text for o in streamed] == [o.text for o in whole] == TRICKY
    assert [(o.finish_reason, o.output_tokens) for o in streamed] == [(o.finish_reason, o.output_tokens) for o in whole]
    thai = streamed[0].timing  # 4 words, one chunk each
    assert thai["stream_chunks"] == 4 and 0.2 - EARLY <= thai["ttft_s"] <= 0.2 + LATE
    assert 0.04 - EARLY <= thai["itl_mean_s"] <= 0.04 + LATE / 2
    assert len(server.received("POST", ":streamGenerateContent")) == len(TRICKY) + 1


def test_gemini_stream_cut_short_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGemini(responder=lambda req: "a b c d", faults=[cut_stream(2)]) as server:
        [out] = _gemini(server, monkeypatch, stream=True).generate([_inp("q")], GenerationConfig())
    assert out.error is None and out.text == "a b c d" and out.retries == 1
