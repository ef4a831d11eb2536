"""The gemini judge through google-genai against a local server speaking the Gemini REST protocol:
what the requests carry, how replies become verdicts, faults with zero lost items, uploads reused
by audio hash, the judge cache, and Batch mode (submit, poll, collect, resume)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from seabench.tasks.open_ended import judged

from seabench import AudioRef, Sample
from seabench.audio import load_audio
from seabench.judging import JudgeCache, JudgeRequest, load_rubric
from seabench.judging.request import SYSTEM
from seabench.records import iter_records
from seabench.registry import registry
from seabench.runner import RunConfig, Runner
from tests.helpers.core import registry_with, write_tone
from tests.helpers.fake_gemini import FakeGemini, file_parts, inline_audio, prompt_text
from tests.helpers.fake_gemini_batch import FakeGeminiBatch
from tests.helpers.fake_http import (
    Reply,
    dropped,
    malformed,
    rate_limited,
    server_error,
    slow,
)

KEY = "gm-judge-test-key"
FAST = {"backoff": 0.001, "timeout": 2.0}
SPEC = "gemini:gemini-2.5-flash"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    for var in ("GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch):
    started: list[FakeGemini] = []

    def start(cls: type[FakeGemini] = FakeGemini, **kw: object) -> FakeGemini:
        server = cls(api_key=KEY, **kw)  # type: ignore[arg-type]
        server.__enter__()
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
        started.append(server)
        return server

    yield start
    for s in started:
        s.__exit__(None, None, None)


def verdict_json(score: object, rationale: str = "ok") -> str:
    return json.dumps({"rationale": rationale, "score": score})


def _requests(tmp_path: Path, n: int, rubric: str = "spoken_qa", same_audio: bool = False) -> list[JudgeRequest]:
    out = []
    for i in range(n):
        wav = write_tone(tmp_path / f"a{0 if same_audio else i}.wav", freq=300 + 40 * (0 if same_audio else i))
        ref = AudioRef(path=str(wav), sha256=load_audio(str(wav)).sha256, duration_s=0.5)
        out.append(JudgeRequest(task="t", sample_id=f"s{i}", rubric=load_rubric(rubric), answer=f"answer {i}",
                                question=f"question {i}", reference=f"reference {i}", language="th", audio=[ref]))
    return out


def _judge(**options: object):
    return registry().create_judge(SPEC, {**FAST, **options})


def _by_sample(req) -> str:  # type: ignore[no-untyped-def]
    """Score from the `answer N` in the prompt: N % 5 + 1."""
    n = int(prompt_text(req.json).split("answer ")[-1].split()[0])
    return verdict_json(n % 5 + 1, f"rated {n}")


def test_request_carries_audio_schema_rubric_and_settings(serve, tmp_path: Path) -> None:
    server = serve(responder=lambda req: verdict_json(4, "good"))
    [req] = _requests(tmp_path, 1)
    [verdict] = _judge().judge([req])
    assert (verdict.score, verdict.rationale, verdict.audio_seen, verdict.parse_ok) == (4.0, "good", True, True)
    assert verdict.judge == SPEC and verdict.rubric == "spoken_qa@2"
    assert verdict.model_version == f"gemini-2.5-flash-{server.model_version}"
    [sent] = server.generate_requests()
    body = sent.json
    assert sent.path.endswith("/models/gemini-2.5-flash:generateContent") and sent.headers["x-goog-api-key"] == KEY
    assert inline_audio(body) == [("audio/wav", Path(req.audio[0].path).read_bytes())]
    text = prompt_text(body)
    assert load_rubric("spoken_qa").criteria.strip()[:60] in text and "Wrong language:" in text
    assert "[Answer to judge]\nanswer 0" in text and "[Reference answer]\nreference 0" in text
    assert "The user's audio is attached." in text
    assert body["systemInstruction"]["parts"] == [{"text": SYSTEM}]
    gen = body["generationConfig"]
    assert gen["temperature"] == 0.0 and gen["responseMimeType"] == "application/json"
    assert gen["thinkingConfig"] == {"thinking_budget": 0}
    schema = gen["responseSchema"]
    assert schema["type"] == "OBJECT" and schema["required"] == ["rationale", "score"]
    assert {k: v["type"] for k, v in schema["properties"].items()} == {"rationale": "STRING", "score": "INTEGER"}


def test_thinking_setting_can_be_left_out(serve, tmp_path: Path) -> None:
    server = serve(responder=lambda req: verdict_json(3))
    _judge(thinking_budget="none").judge(_requests(tmp_path, 1))
    assert "thinkingConfig" not in server.generate_requests()[0].json["generationConfig"]


@pytest.mark.parametrize("reply, score, reason", [
    (verdict_json(5), 5.0, None),
    ("Rating: [[2]] because it is thin.", 2.0, None),  # not JSON: the regex fallback
    ('{"rationale": "cut off', None, "no score found in judge reply"),  # malformed JSON
    (verdict_json(9), None, "score 9 outside 1-5"),
    (verdict_json(0), None, "score 0 outside 1-5"),
    (verdict_json(2.5), None, "fractional score 2.5"),
    ("", None, "empty judge reply"),
    ({"promptFeedback": {"blockReason": "SAFETY"}}, None, "empty judge reply"),  # blocked: no candidates
])
def test_replies_become_verdicts(serve, tmp_path: Path, reply: object, score: float | None,
                                 reason: str | None) -> None:
    serve(responder=lambda req: reply)
    [verdict] = _judge().judge(_requests(tmp_path, 1))
    assert verdict.score == score and verdict.unscored_reason == reason
    assert verdict.parse_ok == (score is not None)


def test_faults_lose_no_items_and_retries_are_counted(serve, tmp_path: Path) -> None:
    faults = [rate_limited("0"), server_error(500), slow(1.0), malformed(b"<html>oops"), dropped(),
              server_error(503), rate_limited("0.05")]
    server = serve(responder=_by_sample, faults=faults)
    judge = _judge(timeout=0.3, concurrency=4, max_retries=8)
    requests = _requests(tmp_path, 12)
    verdicts = judge.judge(requests)
    assert [v.score for v in verdicts] == [float(i % 5 + 1) for i in range(12)]
    assert sum(v.retries for v in verdicts) == len(faults) == len(server.injected)
    assert len(server.generate_requests()) == 12 + len(faults)
    assert judge.limiter.decreases >= 1  # the 429s slowed the judge down


def test_retry_after_is_honoured(serve, tmp_path: Path) -> None:
    import time

    serve(responder=lambda req: verdict_json(5), faults=[rate_limited("0.6")])
    start = time.perf_counter()
    [verdict] = _judge().judge(_requests(tmp_path, 1))  # backoff is 1 ms: only Retry-After makes it wait
    assert verdict.score == 5.0 and verdict.retries == 1 and time.perf_counter() - start >= 0.6


def test_permanent_failure_is_unscored_with_a_reason(serve, tmp_path: Path) -> None:
    server = serve(faults=lambda req: server_error(500))
    [verdict] = _judge(max_retries=2).judge(_requests(tmp_path, 1))
    assert verdict.score is None and verdict.retries == 2
    assert verdict.unscored_reason is not None and verdict.unscored_reason.startswith("judge call failed: HTTP 500")
    assert len(server.generate_requests()) == 3


def test_client_error_is_not_retried(serve, tmp_path: Path) -> None:
    server = serve(responder=lambda req: Reply(400, {"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}))
    [verdict] = _judge().judge(_requests(tmp_path, 1))
    assert verdict.score is None and "400" in (verdict.unscored_reason or "") and len(server.generate_requests()) == 1


def test_upload_mode_uploads_each_clip_once(serve, tmp_path: Path) -> None:
    server = serve(responder=lambda req: verdict_json(3))
    requests = _requests(tmp_path, 4, same_audio=True)
    verdicts = _judge(upload=True).judge(requests, n_samples=2)
    assert all(v.score == 3.0 and v.audio_seen for v in verdicts)
    assert server.uploads_started == 1 and len(server.generate_requests()) == 8
    assert all(inline_audio(r.json) == [] and len(file_parts(r.json)) == 1 for r in server.generate_requests())


def test_upload_faults_are_retried_and_expired_uploads_replaced(serve, tmp_path: Path) -> None:
    server = serve(responder=lambda req: verdict_json(4), fault_on=("/upload/",), faults=[server_error(503)])
    [req] = _requests(tmp_path, 1)
    [first] = _judge(upload=True).judge([req])
    assert first.score == 4.0 and first.retries == 1  # the upload's retry is counted on the verdict
    server.expire()  # the service dropped the file: the judge notices, uploads again and succeeds
    [second] = _judge(upload=True).judge([JudgeRequest(**{**req.__dict__, "answer": "another"})])
    assert second.score == 4.0 and second.retries >= 1
    assert server.uploads_started == 2 and len(server.generate_requests()) == 3  # 403 on the expired file, then OK


def test_rubric_without_audio_sends_none(serve, tmp_path: Path) -> None:
    server = serve(responder=lambda req: verdict_json(4))
    [req] = _requests(tmp_path, 1)
    text_only = load_rubric("generic").model_copy(update={"inputs": ["question", "reference", "answer"]})
    req = JudgeRequest(task="t", sample_id="x", rubric=text_only, answer="a", question="q", audio=req.audio)
    [verdict] = _judge().judge([req])
    assert verdict.audio_seen is False and inline_audio(server.generate_requests()[0].json) == []


def test_n_sample_judging_sends_temperature_and_keeps_every_score(serve, tmp_path: Path) -> None:
    import itertools

    scores = itertools.cycle([2, 3, 4])
    server = serve(responder=lambda req: verdict_json(next(scores)))
    [verdict] = _judge(concurrency=1).judge(_requests(tmp_path, 1), n_samples=3)
    assert sorted(verdict.samples) == [2.0, 3.0, 4.0] and verdict.score == 3.0 and "spread" in verdict.rationale
    assert [r.json["generationConfig"]["temperature"] for r in server.generate_requests()] == [0.7, 0.7, 0.7]


def test_cache_hits_make_zero_calls(serve, tmp_path: Path) -> None:
    server = serve(responder=_by_sample)
    requests = _requests(tmp_path, 5)
    cache = JudgeCache()
    first = _judge().judge(requests, cache=cache)
    assert len(server.generate_requests()) == 5 and not any(v.cached for v in first)
    second = _judge().judge(requests, cache=cache)
    assert len(server.generate_requests()) == 5
    assert [v.score for v in second] == [v.score for v in first] and all(v.cached for v in second)
    changed = [JudgeRequest(**{**r.__dict__, "answer": r.answer + " more"}) for r in requests[:2]]
    _judge().judge(changed, cache=cache)  # another answer is another key
    assert len(server.generate_requests()) == 7
    cache.close()


# -- Batch mode ---------------------------------------------------------------------------------


def _batch_run(tmp_path: Path, n: int = 6):  # type: ignore[no-untyped-def]
    wav = write_tone(tmp_path / "q.wav")
    samples = [Sample(id=f"q{i}", audio=[AudioRef(path=str(wav))], instruction=f"question {i}", reference="ref",
                      language="vi") for i in range(n)]
    task = judged("mini/judged-batch", lambda: samples, {"vi"}, family="open", rubric="spoken_qa")
    reg = registry_with(task)
    Runner(RunConfig(model="echo", tasks="mini/judged-batch", output_dir=tmp_path / "run", quiet=True,
                     judge=None, model_options={"text": "answer 7"}), reg).run()
    return reg, task


def test_batch_mode_submits_polls_and_collects(serve, tmp_path: Path) -> None:
    from seabench.judges.batch import STATE_FILE, judge_in_batch

    server = serve(FakeGeminiBatch, responder=lambda req: verdict_json(4, "batch"), polls_before_done=2)
    reg, task = _batch_run(tmp_path)
    run = tmp_path / "run"
    done = judge_in_batch(run, {task.name: task}, SPEC, reg, options={"poll_s": 0.01})
    assert done == 6 and len(server.batches) == 1 and server.generate_requests() == []
    [job] = server.batches.values()
    assert len(job.requests) == 6 and job.polls >= 3
    first = job.requests[0]
    assert first["request"]["generationConfig"]["responseMimeType"] == "application/json"
    assert len(file_parts(first["request"])) == 1 and server.uploads_started == 1  # one clip, uploaded once
    assert load_rubric("spoken_qa").title in prompt_text(first["request"])
    records = list(iter_records(run / "samples.jsonl"))
    assert all(r.scores["judge"].value == 4.0 and r.verdicts[0].judge == SPEC for r in records)
    assert not (run / STATE_FILE).exists()
    # batch verdicts went into the judge cache: judging the same outputs synchronously makes no call
    again = Runner(RunConfig(model="echo", tasks=task.name, output_dir=tmp_path / "run2", quiet=True, judge=SPEC,
                             model_options={"text": "answer 7"}), reg).run()
    assert again.tasks[task.name].metrics["judge_score"].value == 4.0 and server.generate_requests() == []


def test_batch_mode_resumes_the_same_job_after_an_interruption(serve, tmp_path: Path) -> None:
    from seabench.judges.batch import STATE_FILE, BatchTimeout, judge_in_batch

    server = serve(FakeGeminiBatch, responder=lambda req: verdict_json(2), polls_before_done=5)
    reg, task = _batch_run(tmp_path)
    run = tmp_path / "run"
    with pytest.raises(BatchTimeout):
        judge_in_batch(run, {task.name: task}, SPEC, reg, options={"poll_s": 0.01, "wait_s": 0.02})
    state = json.loads((run / STATE_FILE).read_text())
    assert len(state["jobs"]) == 1 and len(server.batches) == 1
    done = judge_in_batch(run, {task.name: task}, SPEC, reg, options={"poll_s": 0.01})
    assert done == 6 and len(server.batches) == 1  # polled the same job, submitted nothing new
    assert all(r.scores["judge"].value == 2.0 for r in iter_records(run / "samples.jsonl"))


def test_batch_item_errors_and_bad_replies_are_unscored_with_reasons(serve, tmp_path: Path) -> None:
    from seabench.judges.batch import judge_in_batch

    def responder(req):  # type: ignore[no-untyped-def]
        q = prompt_text(req.json).split("question ")[-1].split()[0]
        return {"0": verdict_json(6), "1": "no score here"}.get(q, verdict_json(5))

    server = serve(FakeGeminiBatch, responder=responder, polls_before_done=0, fail_items={2})
    reg, task = _batch_run(tmp_path)
    judge_in_batch(tmp_path / "run", {task.name: task}, SPEC, reg, options={"poll_s": 0.01})
    by_id = {r.sample_id: r for r in iter_records(tmp_path / "run" / "samples.jsonl")}
    assert by_id["q0"].verdicts[0].unscored_reason == "score 6 outside 1-5"
    assert by_id["q1"].verdicts[0].unscored_reason == "no score found in judge reply"
    assert (by_id["q2"].verdicts[0].unscored_reason or "").startswith("judge call failed: batch item error")
    assert [by_id[f"q{i}"].scores["judge"].value for i in (3, 4, 5)] == [5.0, 5.0, 5.0]
    assert len(server.batches) == 1


# -- end to end: SeaBench-Audio parquet -> run -> `seabench score --judge ... [--only-failed]` ----

LAUNCHER = """
import sys
from seabench.registry import registry
from seabench.tasks.seabench_audio import from_parquet
registry().add_family("seabench-audio", from_parquet)
from seabench.cli import app
app(sys.argv[1:], prog_name="seabench")
"""
ROWS = [("th", "SQA_news", "ข่าววันนี้พูดถึงอะไร"), ("th", "ASR_read", "ถอดความเสียงนี้"), ("vi", "math_add", "2 cộng 3 bằng mấy"),
        ("vi", "S2TT_en", "Dịch sang tiếng Anh"), ("id", "life_tips", "Bagaimana cara tidur nyenyak?"),
        ("id", "XYZ_new", "Apa ini?")]


def _parquet(tmp_path: Path) -> Path:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    import soundfile as sf

    clips = []
    for i in range(len(ROWS)):
        buf = io.BytesIO()
        sf.write(buf, (0.1 * (i + 1)) * __import__("numpy").ones(1600, dtype="float32"), 16000, format="WAV")
        clips.append({"bytes": buf.getvalue(), "path": f"{i}.wav"})
    table = pa.table({"idx": list(range(len(ROWS))), "language": [r[0] for r in ROWS], "task": [r[1] for r in ROWS],
                      "query": [r[2] for r in ROWS], "reference": [f"ref {i}" for i in range(len(ROWS))],
                      "audio": clips})
    path = tmp_path / "data" / "test.parquet"
    path.parent.mkdir()
    pq.write_table(table, path)
    return path


def test_cli_score_only_failed_rejudges_exactly_the_failed_items(serve, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import subprocess
    import sys
    from dataclasses import replace

    from seabench.tasks.seabench_audio import from_parquet

    bad = {"ถอดความเสียงนี้": "no verdict here", "Dịch sang tiếng Anh": verdict_json(8)}
    good = {"ข่าววันนี้พูดถึงอะไร": 5, "2 cộng 3 bằng mấy": 4, "Bagaimana cara tidur nyenyak?": 3, "Apa ini?": 2,
            "ถอดความเสียงนี้": 1, "Dịch sang tiếng Anh": 2}

    def answer_of(req) -> str:  # type: ignore[no-untyped-def]
        return prompt_text(req.json).split("[Answer to judge]\n")[1].split("\n")[0]

    state = {"fixed": False}

    def responder(req):  # type: ignore[no-untyped-def]
        answer = answer_of(req)
        if not state["fixed"] and answer in bad:
            return bad[answer]
        return verdict_json(good[answer])

    server = serve(responder=responder)
    parquet = _parquet(tmp_path)
    reg = replace(registry(), families={**registry().families, "seabench-audio": from_parquet}, _tasks=None)
    run = tmp_path / "run"
    Runner(RunConfig(model="echo", tasks=f"seabench-audio@{parquet}", output_dir=run, quiet=True, judge=None), reg).run()
    (tmp_path / "launch.py").write_text(LAUNCHER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "NO_COLOR": "1"}

    def score(*extra: str) -> None:
        subprocess.run([sys.executable, str(tmp_path / "launch.py"), "score", str(run), "--judge", SPEC, "--quiet",
                        *extra], env=env, check=True, capture_output=True, timeout=120)

    score()
    first = [answer_of(r) for r in server.generate_requests()]
    assert sorted(first) == sorted(good)
    results = json.loads((run / "results.json").read_text())["tasks"]["seabench-audio/test"]
    assert results["metrics"]["judge_score"]["n"] == 4 and results["counts"]["unscored"] == 2
    # each item was judged with the rubric of its SeaBench-Audio task type
    titles = {answer_of(r): prompt_text(r.json).split("\n")[0] for r in server.generate_requests()}
    assert titles["ถอดความเสียงนี้"] == load_rubric("asr").title and titles["Apa ini?"] == load_rubric("generic").title
    assert titles["Dịch sang tiếng Anh"] == load_rubric("speech_translation").title

    state["fixed"] = True
    score("--only-failed")
    again = [answer_of(r) for r in server.generate_requests()[len(first):]]
    assert sorted(again) == sorted(bad)  # exactly the two failed items
    results = json.loads((run / "results.json").read_text())["tasks"]["seabench-audio/test"]
    assert results["metrics"]["judge_score"]["n"] == 6 and results["counts"]["unscored"] == 0
    assert results["metrics"]["judge_score"]["value"] == pytest.approx(sum(good.values()) / 6)
    assert set(results["breakdowns"]["language"]) == {"th", "vi", "id"}

    n_calls = len(server.generate_requests())
    from seabench.rescore import rescore

    rescore(run, reg, judge=SPEC, only_failed=True)  # nothing failed any more
    rescore(run, reg, judge=SPEC)  # everything is judged by this judge already
    assert len(server.generate_requests()) == n_calls


def test_batch_items_whose_audio_cannot_be_uploaded_are_unscored(serve, tmp_path: Path) -> None:
    from seabench.judges.batch import STATE_FILE, judge_in_batch

    server = serve(FakeGeminiBatch, fault_on=("/upload/",), faults=lambda req: server_error(500))
    reg, task = _batch_run(tmp_path, n=3)
    judge_in_batch(tmp_path / "run", {task.name: task}, SPEC, reg, options={"max_retries": 1, "backoff": 0.001})
    records = list(iter_records(tmp_path / "run" / "samples.jsonl"))
    assert all((r.verdicts[0].unscored_reason or "").startswith("judge call failed: audio upload failed: HTTP 500")
               for r in records) and len(records) == 3
    assert server.batches == {} and not (tmp_path / "run" / STATE_FILE).exists()


def test_batch_requests_are_split_into_jobs_by_size(serve, tmp_path: Path) -> None:
    from seabench.judges.batch import judge_in_batch

    server = serve(FakeGeminiBatch, responder=lambda req: verdict_json(3), polls_before_done=0)
    reg, task = _batch_run(tmp_path, n=5)
    judge_in_batch(tmp_path / "run", {task.name: task}, SPEC, reg, options={"poll_s": 0.01, "batch_mb": 0.004})
    sizes = sorted(len(job.requests) for job in server.batches.values())
    assert len(sizes) > 1 and sum(sizes) == 5  # about 4 KB per job: the prompt plus the request overhead
    assert all(r.scores["judge"].value == 3.0 for r in iter_records(tmp_path / "run" / "samples.jsonl"))
