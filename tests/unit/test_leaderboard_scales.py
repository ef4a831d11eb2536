"""Each task's result normalised on its own scale: a judge score on its rubric's scale (SeaBench's 1-5,
AudioBench's 0-5 and 0/1, as results.json records it under `judging.scales`), the mixed error rate of
code-switched ASR as an error rate, and every reader (CSV, Markdown, JSON, page) told the unit."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from seabench.judging.metric import JudgeScore
from seabench.judging.phase import JUDGE_SCORER, store
from seabench.judging.request import JudgeRequest
from seabench.judging.rubric import load_rubric
from seabench.judging.summary import summarize
from seabench.leaderboard.data import ALL, build_data
from seabench.leaderboard.exports import export_csv, export_markdown, reader_payload
from seabench.leaderboard.scoring import judge_scale, metric_kind, normalise, unit
from seabench.metrics import ErrorRate
from seabench.types import (
    JudgingInfo, Manifest, ModelInfo, ModelOutput, RunResult, SampleRecord, Score, TaskCounts, TaskResult, Verdict,
)

MIXED = "mixed_error_rate"


# ---------------------------------------------------------------- kinds, units, normalisation


@pytest.mark.parametrize(("metric", "kind", "shown_in"), [
    ("mixed_error_rate", "error_rate", "%"), ("wer", "error_rate", "%"), ("mer", "error_rate", "%"),
    ("word_error_rate", "error_rate", "%"), ("cer_nospace", "error_rate", "%"),
    ("wer_audiobench_rule", "error_rate", "%"), ("accuracy_mmau_rule", "accuracy", "%"),
    ("judge_score_audiobench_rule", "score100", "0-100"), ("bleu_audiobench_rule", "score100", "0-100"),
    ("chrf++", "score100", "0-100"), ("conflict_rate", "other", ""), ("summer_score", "other", ""),
])
def test_metric_kinds_and_units(metric: str, kind: str, shown_in: str) -> None:
    assert metric_kind(metric) == kind and unit(metric_kind(metric)) == shown_in


@pytest.mark.parametrize(("scale", "score", "expected"), [
    ((0, 5), 0.0, 0.0), ((0, 5), 2.5, 50.0), ((0, 5), 4.0, 80.0), ((0, 5), 5.0, 100.0),
    ((0, 1), 0.0, 0.0), ((0, 1), 0.75, 75.0), ((0, 1), 1.0, 100.0),
    ((1, 5), 1.0, 0.0), ((1, 5), 3.0, 50.0), ((1, 5), 5.0, 100.0),
])
def test_judge_scores_normalise_on_their_rubrics_scale(scale: tuple[int, int], score: float, expected: float) -> None:
    assert normalise("judge", score, scale=scale) == pytest.approx(expected)
    assert unit("judge", scale) == f"{scale[0]}-{scale[1]}"


def test_error_rates_are_lower_is_better_and_a_judge_without_a_scale_has_no_rule() -> None:
    assert normalise(metric_kind(MIXED), 0.2) == pytest.approx(80.0) and normalise(metric_kind(MIXED), 1.4) == 0.0
    assert normalise("judge", 3.0) is None and unit("judge", None) == "mixed scales"


def _task(name: str = "t", **fields: object) -> TaskResult:
    return TaskResult(name=name, version="1", family="f", languages=["en"], primary_metric="judge_score",
                      direction="higher", status="complete", metrics={}, counts=TaskCounts(n=0, completed=0), **fields)


def test_judge_scale_is_read_from_results() -> None:
    recorded = JudgingInfo(judge="j", rubrics={"mine@file-1": ""}, scales={"mine@file-1": (0, 10)})
    assert judge_scale(_task(judging=recorded)) == (0.0, 10.0)
    # results written before scales were recorded: the shipped rubric's scale, from its id
    assert judge_scale(_task(judging=JudgingInfo(judge="j", rubrics={"audiobench_choice@1": ""}))) == (0.0, 1.0)
    assert judge_scale(_task(rubric="audiobench_spoken_qa")) == (0.0, 5.0)
    assert judge_scale(_task(rubric="spoken_qa")) == (1.0, 5.0) and judge_scale(_task()) == (1.0, 5.0)
    mixed = JudgingInfo(judge="j", scales={"a@1": (0, 5), "b@1": (1, 5)})
    assert judge_scale(_task(judging=mixed)) is None


def test_judging_records_each_rubrics_scale() -> None:
    """The judging step stores the rubric's scale with each verdict; the summary (results.json's
    `judging`) collects them, taking a shipped rubric's for verdicts written before that."""
    rubric = load_rubric("audiobench_choice")
    record = SampleRecord(run_id="r", task="t", sample_id="s0", output=ModelOutput(text="B"))
    store(record, Verdict(score=1.0, parse_ok=True, judge="j", rubric=rubric.ref),
          JudgeRequest(task="t", sample_id="s0", rubric=rubric, answer="B"))
    assert record.verdicts[-1].scale == (0, 1)
    old = SampleRecord(run_id="r", task="t", sample_id="s1",
                       verdicts=[Verdict(score=4.0, judge="j", rubric="audiobench_caption@1")])
    user = SampleRecord(run_id="r", task="t", sample_id="s2",  # a user's file, scale unknown: not guessed
                        verdicts=[Verdict(score=4.0, judge="j", rubric="audiobench_caption@file-1", rubric_source="x")])
    info = summarize([record, old, user])
    assert info is not None and info.scales == {"audiobench_choice@1": (0, 1), "audiobench_caption@1": (0, 5)}
    reread = JudgingInfo.model_validate_json(info.model_dump_json())  # as results.json stores it
    assert reread.scales == info.scales


# ---------------------------------------------------------------- fixed run directories

ZERO_FIVE = ("sqa/slue", "en", {"audiobench_spoken_qa@1": (0, 5)})
ZERO_ONE = ("paralinguistics/gender", "en-SG", {"audiobench_paralinguistic@1": (0, 1)})
ONE_FIVE = ("open/sqa-th", "th", {})  # results written before scales were recorded: SeaBench's 1-5
CODE_SWITCH = ("asr/seame", "zh", None)
# units of the references and the errors of each answer: corpus 3/20 = 15 %, a per-item mean would be 17.5 %
MIXED_ITEMS = [(10, 0), (4, 1), (6, 2)]


def _manifest() -> Manifest:
    return Manifest(seabench_version="0.1.0", git_sha="abc", git_dirty=False, python="3.11", platform="linux",
                    packages={}, config={}, config_hash="h", seed=0, batch_size=1,
                    created_at="2026-01-01T00:00:00Z")


def _judged(run_id: str, task: str, language: str, rubric: str, scores: list[float]) -> list[SampleRecord]:
    return [SampleRecord(run_id=run_id, task=task, sample_id=f"s{i}", language=language,
                         output=ModelOutput(text=f"answer {i}"), scores={JUDGE_SCORER: Score(value=s)},
                         verdicts=[Verdict(score=s, parse_ok=True, judge="j", rubric=rubric)])
            for i, s in enumerate(scores)]


def _mixed(run_id: str, task: str, language: str, extra_errors: int) -> list[SampleRecord]:
    out = []
    for i, (ref_len, errors) in enumerate(MIXED_ITEMS):
        errors += extra_errors
        stats = {"sub": float(errors), "del": 0.0, "ins": 0.0, "hits": float(ref_len - errors), "ref_len": float(ref_len)}
        out.append(SampleRecord(run_id=run_id, task=task, sample_id=f"s{i}", language=language,
                                output=ModelOutput(text="x"), scores={MIXED: Score(value=errors / ref_len, stats=stats)}))
    return out


def _result(task: str, language: str, records: list[SampleRecord], scales: dict | None) -> TaskResult:
    if scales is None:
        metric, primary = ErrorRate(MIXED, MIXED), MIXED
        value = metric.compute([r.scores[MIXED] for r in records])
        extra: dict[str, object] = {}
    else:
        metric, primary = JudgeScore(), "judge_score"
        value = metric.compute([r.scores[JUDGE_SCORER] for r in records])
        rubrics = {r.verdicts[-1].rubric: "" for r in records}
        extra = {"judge": "j", "judging": JudgingInfo(judge="j", rubrics=rubrics, scales=scales)}
    return TaskResult(name=task, version="1", family=task.split("/")[0], languages=[language], primary_metric=primary,
                      direction=metric.direction, status="complete", metrics={primary: value},
                      breakdowns={"language": {language: {primary: value}}},
                      counts=TaskCounts(n=len(records), completed=len(records)), **extra)


def _run(root: Path, run_id: str, judged: dict[str, list[float]], extra_errors: int = 0,
         scales: dict[str, dict | None] | None = None) -> Path:
    """A run directory with the given judge scores per judged task and the mixed-error-rate task."""
    tasks, lines = {}, []
    for task, language, recorded in (ZERO_FIVE, ZERO_ONE, ONE_FIVE, CODE_SWITCH):
        if recorded is None:
            records = _mixed(run_id, task, language, extra_errors)
        else:
            recorded = (scales or {}).get(task, recorded)
            rubric = next(iter(recorded), "open@1")
            records = _judged(run_id, task, language, rubric, judged[task])
        tasks[task] = _result(task, language, records, recorded)
        lines += [r.model_dump_json() for r in records]
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    result = RunResult(run_id=run_id, status="complete", tasks=tasks, manifest=_manifest(),
                       model=ModelInfo(id=f"model-{run_id}", provider="test", snapshot="s"))
    (run_dir / "results.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
    (run_dir / "samples.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_dir


SCORES_A = {"sqa/slue": [4.0, 5.0, 3.0, 4.0], "paralinguistics/gender": [1.0, 1.0, 0.0, 1.0],
            "open/sqa-th": [3.0, 5.0, 4.0, 4.0]}
SCORES_B = {"sqa/slue": [1.0, 2.0, 0.0, 1.0], "paralinguistics/gender": [0.0, 1.0, 0.0, 0.0],
            "open/sqa-th": [1.0, 2.0, 3.0, 2.0]}


def test_each_task_is_normalised_on_its_own_scale(tmp_path: Path) -> None:
    runs = [_run(tmp_path, "a", SCORES_A), _run(tmp_path, "b", SCORES_B, extra_errors=1)]
    data = build_data(runs, tmp_path / "site", n_boot=50)
    tasks = {t.name: t for t in data.tasks}
    assert {name: (t.kind, t.unit) for name, t in tasks.items()} == {
        "sqa/slue": ("judge", "0-5"), "paralinguistics/gender": ("judge", "0-1"), "open/sqa-th": ("judge", "1-5"),
        "asr/seame": ("error_rate", "%")}
    cells = {(c.run_id, c.task): c for c in data.cells if c.language == ALL}
    # run a: 0-5 mean 4 -> 80; 0/1 mean 0.75 -> 75; 1-5 mean 4 -> 75; corpus mixed error rate 3/20 -> 85
    expected_a = {"sqa/slue": 80.0, "paralinguistics/gender": 75.0, "open/sqa-th": 75.0, "asr/seame": 85.0}
    assert {task: cells[("a", task)].normalised for task in tasks} == pytest.approx(expected_a)
    assert cells[("a", "asr/seame")].value == pytest.approx(0.15) and cells[("a", "asr/seame")].display == "15.0%"
    assert cells[("b", "asr/seame")].value == pytest.approx(6 / 20)
    assert cells[("a", "sqa/slue")].rank == 1 and cells[("a", "asr/seame")].rank == 1  # lower error rate ranks first
    # the headline recomputes each result from the items: the corpus rate, not a mean of per-item rates
    head = data.headline.of("a")
    assert head is not None and not data.headline.left_out
    assert head.languages["zh"].score == pytest.approx(85.0) and head.languages["en-SG"].score == pytest.approx(75.0)
    assert head.overall.score == pytest.approx(np.mean([80.0, 75.0, 75.0, 85.0]))
    head_b = data.headline.of("b")
    assert head_b is not None and head_b.languages["en"].score == pytest.approx(100 * 1.0 / 5)  # 0-5 mean 1 -> 20
    assert head_b.languages["en-SG"].score == pytest.approx(25.0) and head_b.languages["th"].score == pytest.approx(25.0)


def test_exports_state_each_tasks_unit(tmp_path: Path) -> None:
    data = build_data([_run(tmp_path, "a", SCORES_A)], tmp_path / "site", n_boot=20)
    rows = {r["task"]: r for r in csv.DictReader(io.StringIO(export_csv(data))) if r["language"] == ALL}
    assert {task: r["unit"] for task, r in rows.items()} == {
        "sqa/slue": "0-5", "paralinguistics/gender": "0-1", "open/sqa-th": "1-5", "asr/seame": "%"}
    assert float(rows["asr/seame"]["value"]) == pytest.approx(15.0) and float(rows["asr/seame"]["normalised"]) == 85.0
    assert float(rows["sqa/slue"]["value"]) == 4.0 and float(rows["sqa/slue"]["normalised"]) == 80.0
    markdown = export_markdown(data)
    assert "sqa/slue judge\\_score (0-5) ↑" in markdown and "asr/seame mixed\\_error\\_rate (%) ↓" in markdown
    assert "paralinguistics/gender judge\\_score (0-1) ↑" in markdown and "| 15.0% [" in markdown
    payload = json.loads(json.dumps(reader_payload(data)))
    assert {t["name"]: t["unit"] for t in payload["tasks"]}["paralinguistics/gender"] == "0-1"
    assert {t["name"]: t["scale"] for t in payload["tasks"]}["sqa/slue"] == [0.0, 5.0]
    assert "0-5" in payload["units"] and "mixed error rate" in payload["units"]


def test_runs_judged_on_different_scales_are_not_normalised(tmp_path: Path) -> None:
    """Two runs judged one task with rubrics of different scales: shown on their own, left out of the headline."""
    runs = [_run(tmp_path, "a", SCORES_A),
            _run(tmp_path, "b", SCORES_B, scales={"sqa/slue": {"spoken_qa@1": (1, 5)}})]
    data = build_data(runs, tmp_path / "site", n_boot=20)
    task = next(t for t in data.tasks if t.name == "sqa/slue")
    assert task.scale is None and task.unit == "mixed scales"
    assert all(c.normalised is None for c in data.cells if c.task == "sqa/slue")
    assert any(why.startswith("sqa/slue: its metric judge_score was judged on different scales")
               for why in data.headline.left_out)
