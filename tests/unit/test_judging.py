"""The judging machinery with an in-process backend: parsing, cache, --only-failed, n samples,
empty answers, and judge scores in results (1-5 mean with CI, per language)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seabench import AudioRef, JudgeEntry, Sample
from seabench.judging import JudgeBackend, JudgeReply, JudgeRequest, load_rubric, parse_verdict
from seabench.records import iter_records
from seabench.rescore import judge_estimate, rescore
from seabench.runner import RunConfig, Runner
from seabench.tasks.open_ended import judged
from tests.helpers.core import registry_with, write_tone

RUBRIC = load_rubric("generic")


@pytest.mark.parametrize("raw, score, reason", [
    ('{"rationale": "fine", "score": 4}', 4.0, None),
    ('```json\n{"rationale": "ok", "score": "5"}\n```', 5.0, None),
    ("The answer is right. Rating: [[3]]", 3.0, None),
    ("Score: 2", 2.0, None),
    ('{"rationale": "x", "score": 7}', None, "score 7 outside 1-5"),
    ('{"rationale": "x", "score": 0}', None, "score 0 outside 1-5"),
    ('{"rationale": "x", "score": 3.5}', None, "fractional score 3.5"),
    ('{"rationale": "x", "score": "good"}', None, "score is not a number"),
    ("I think it is decent.", None, "no score found in judge reply"),
    ("", None, "empty judge reply"),
])
def test_parse_verdict(raw: str, score: float | None, reason: str | None) -> None:
    verdict = parse_verdict(raw, RUBRIC, "judge-x")
    assert verdict.score == score and verdict.unscored_reason == reason
    assert verdict.parse_ok == (score is not None) and verdict.rubric == "generic@1"


class ScriptedJudge(JudgeBackend):
    """Replies by sample id; counts calls."""

    id = "scripted"

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies
        self.calls: list[str] = []

    def snapshot(self) -> str:
        return "scripted-judge-1"

    async def acall(self, request: JudgeRequest, with_audio: bool, temperature: float) -> JudgeReply:
        self.calls.append(request.sample_id)
        assert "Answer to judge" in request.prompt(with_audio) and RUBRIC.criteria.split()[0] in request.prompt(with_audio)
        return JudgeReply(raw=self.replies[request.sample_id], audio_seen=with_audio)


@pytest.fixture()
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    wav = write_tone(tmp_path / "q.wav")
    samples = [Sample(id=f"q{i}", audio=[AudioRef(path=str(wav))], instruction=f"question {i}",
                      reference="ans", language="th" if i < 3 else "vi") for i in range(6)]
    task = judged("mini/open-test", lambda: samples, {"th", "vi"}, family="open", rubric="generic")
    reg = registry_with(task)
    judge = ScriptedJudge({"q0": '{"rationale":"a","score":5}', "q1": '{"rationale":"b","score":4}',
                           "q2": "garbage", "q3": '{"rationale":"c","score":9}', "q4": '{"rationale":"d","score":2}',
                           "q5": '{"rationale":"e","score":3}'})
    reg.add_judge(JudgeEntry("scripted", lambda spec, opts: judge, "test", "scripted"))
    return tmp_path, reg, judge


def _run(tmp_path: Path, reg, judge: str | None, text: str = "an answer"):  # type: ignore[no-untyped-def]
    return Runner(RunConfig(model="echo", tasks="mini/open-test", output_dir=tmp_path / "run", quiet=True,
                            model_options={"text": text}, judge=judge), reg).run()


def test_run_judges_and_reports_unscored(setup) -> None:  # type: ignore[no-untyped-def]
    tmp_path, reg, judge = setup
    result = _run(tmp_path, reg, "scripted")
    task = result.tasks["mini/open-test"]
    mv = task.metrics["judge_score"]
    assert mv.value == pytest.approx((5 + 4 + 2 + 3) / 4) and mv.n == 4 and mv.n_failed == 2
    assert task.counts.unscored == 2 and task.primary_metric == "judge_score" and task.direction == "higher"
    assert task.breakdowns["language"]["th"]["judge_score"].value == pytest.approx(4.5)
    records = {r.sample_id: r for r in iter_records(tmp_path / "run" / "samples.jsonl")}
    assert records["q3"].verdicts[0].unscored_reason == "score 9 outside 1-5"
    assert records["q0"].verdicts[0].audio_seen is True
    assert sorted(judge.calls) == [f"q{i}" for i in range(6)]


def test_cache_and_only_failed(setup) -> None:  # type: ignore[no-untyped-def]
    tmp_path, reg, judge = setup
    _run(tmp_path, reg, "scripted")
    judge.calls.clear()
    judge.replies.update({"q2": '{"rationale":"now","score":1}', "q3": '{"rationale":"now","score":2}'})
    result = rescore(tmp_path / "run", reg, judge="scripted", only_failed=True)
    assert sorted(judge.calls) == ["q2", "q3"]
    assert result.tasks["mini/open-test"].metrics["judge_score"].n == 6
    judge.calls.clear()
    rescore(tmp_path / "run", reg, judge="scripted")
    assert judge.calls == []  # everything already judged by this judge
    # a fresh run dir with the same outputs: every verdict comes from the judge cache
    Runner(RunConfig(model="echo", tasks="mini/open-test", output_dir=tmp_path / "run2", quiet=True,
                     model_options={"text": "an answer"}, judge="scripted"), reg).run()
    assert judge.calls == []


def test_empty_answers_score_minimum_without_calls(setup) -> None:  # type: ignore[no-untyped-def]
    tmp_path, reg, judge = setup
    result = _run(tmp_path, reg, "scripted", text="   ")
    assert judge.calls == []
    assert result.tasks["mini/open-test"].metrics["judge_score"].value == 1.0
    assert result.tasks["mini/open-test"].counts.empty == 6


def test_no_judge_leaves_unscored_with_warning(setup) -> None:  # type: ignore[no-untyped-def]
    tmp_path, reg, _ = setup
    result = _run(tmp_path, reg, None)
    assert result.tasks["mini/open-test"].metrics["judge_score"].value is None
    assert any("seabench score" in w for w in result.warnings)


def test_dry_run_estimate(setup) -> None:  # type: ignore[no-untyped-def]
    tmp_path, reg, judge = setup
    _run(tmp_path, reg, None)
    estimate = judge_estimate(tmp_path / "run", "scripted", n_samples=3, reg=reg)
    assert estimate["calls"] == 18 and estimate["audio_seconds"] == pytest.approx(18 * 0.5)
    assert judge.calls == []


def test_n_sample_judging_mean_and_spread(setup) -> None:  # type: ignore[no-untyped-def]
    tmp_path, reg, judge = setup
    values = iter(["2", "4", "3"] * 10)

    async def varying(request, with_audio, temperature):  # type: ignore[no-untyped-def]
        assert temperature == pytest.approx(0.7)
        return JudgeReply(raw=f'{{"rationale": "r", "score": {next(values)}}}')

    judge.acall = varying  # type: ignore[method-assign]
    _run(tmp_path, reg, None)
    rescore(tmp_path / "run", reg, judge="scripted", n_samples=3)
    records = list(iter_records(tmp_path / "run" / "samples.jsonl"))
    assert all(sorted(r.verdicts[0].samples) == [2.0, 3.0, 4.0] and r.verdicts[0].score == 3.0 for r in records)
