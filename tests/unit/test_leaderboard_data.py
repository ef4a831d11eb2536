"""Leaderboard data: fixture run directories built from pydantic objects, pivots, exports, significance.

The `make_run` / `make_runs` builders here are also used by the other leaderboard, agreement and
browser tests.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from seabench.leaderboard.data import ALL, build_data
from seabench.leaderboard.exports import export_csv, export_markdown, json_for_script
from seabench.leaderboard.scoring import normalise
from seabench.metrics import CER, WER, Accuracy, MeanMetric
from seabench.types import (
    AudioRef, Manifest, MetricValue, ModelInfo, ModelOutput, RunResult, SampleRecord, Score, TaskCounts,
    TaskResult, Verdict,
)
from tests.helpers.core import write_tone

THAI_REF = "สวัสดีครับ ยินดีต้อนรับ"
ZH_REF = "你好，欢迎来到新加坡"
TASKS = {  # name -> (family, language, primary metric)
    "asr/fleurs-th": ("asr", "th", "wer"),
    "asr/fleurs-zh": ("asr", "zh", "cer"),
    "mmau/mini": ("mmau", "en", "accuracy"),
    "open/sqa-th": ("open", "th", "judge_score"),
}


def _manifest() -> Manifest:
    return Manifest(seabench_version="0.1.0", git_sha="abc123", git_dirty=False, python="3.11", platform="linux",
                    packages={"numpy": np.__version__}, config={"tasks": list(TASKS)}, config_hash="h", seed=0,
                    batch_size=4, created_at="2026-01-01T00:00:00Z")


def _record(run_id: str, task: str, i: int, quality: float, rng: np.random.Generator, audio: Path,
            output: str, reference: str) -> SampleRecord:
    family, lang, metric = TASKS[task]
    language = ("th" if i % 2 else "en") if task == "mmau/mini" else lang
    base = {"run_id": run_id, "task": task, "sample_id": f"s{i:03d}", "language": language,
            "prompt": f"Question {i}: listen and answer. คำถาม 问题", "audio": [AudioRef(path=str(audio))],
            "output": ModelOutput(text=output)}
    if metric in ("wer", "cer"):
        ref_len = 10
        errors = int(rng.binomial(ref_len, 1 - quality))
        stats = {"sub": float(errors), "del": 0.0, "ins": 0.0, "hits": float(ref_len - errors), "ref_len": float(ref_len)}
        return SampleRecord(**base, reference=reference,
                            scores={metric: Score(value=errors / ref_len, answer=output, stats=stats)})
    if metric == "accuracy":
        correct = rng.random() < quality
        return SampleRecord(**base, reference=None, choices=["cat", "dog", "bird", reference], label=reference,
                            scores={"choice": Score(value=float(correct), stats={"gold": 3.0, "pred": 3.0 if correct else 0.0,
                                                                             "n_labels": 4.0})})
    score = None if i == 0 else float(np.clip(round(1 + 4 * quality + rng.normal(0, 0.8)), 1, 5))
    verdict = Verdict(score=score, rationale=f"rationale for {output}", parse_ok=score is not None,
                      unscored_reason=None if score is not None else "grade_parse_failure", judge="judge:x", rubric="open@1")
    return SampleRecord(**base, reference=reference, verdicts=[verdict])


def _primary_scores(records: list[SampleRecord], metric: str) -> list[Score]:
    if metric == "judge_score":
        return [Score(value=r.verdicts[-1].score) for r in records]
    key = {"wer": "wer", "cer": "cer", "accuracy": "choice"}[metric]
    return [r.scores[key] for r in records]


def _metric(metric: str):  # noqa: ANN202
    return {"wer": WER(), "cer": CER(), "accuracy": Accuracy(), "judge_score": MeanMetric("judge_score", "judge")}[metric]


def make_run(root: Path, run_id: str, model_id: str, quality: float, *, n: int = 12, seed: int = 0,
             texts: Sequence[str] | None = None, torn_tail: bool = True) -> Path:
    """A complete run directory (results.json + samples.jsonl) with Thai/Chinese text and one audio clip.

    With `texts`, sample i's output is texts[i] and its reference texts[i + 1] (cycling): the XSS tests
    put their payloads there.
    """
    rng = np.random.default_rng(seed)
    run_dir = root / run_id.replace("/", "_").replace("<", "_").replace(">", "_")[:40]
    run_dir.mkdir(parents=True, exist_ok=True)
    audio = write_tone(run_dir / "clip.wav", seconds=0.2, sr=8000)
    tasks: dict[str, TaskResult] = {}
    lines = []
    for task, (family, lang, metric) in TASKS.items():
        default = ZH_REF if lang == "zh" else THAI_REF
        records = [_record(run_id, task, i, quality, rng, audio,
                           texts[i % len(texts)] if texts else f"{default} #{i} ({model_id})",
                           texts[(i + 1) % len(texts)] if texts else default) for i in range(n)]
        lines += [r.model_dump_json() for r in records]
        m = _metric(metric)
        mv: MetricValue = m.compute(_primary_scores(records, metric))
        by_lang: dict[str, dict[str, MetricValue]] = {}
        for language in sorted({r.language for r in records}):
            subset = [r for r in records if r.language == language]
            by_lang[language] = {metric: m.compute(_primary_scores(subset, metric))}
        unscored = sum(1 for s in _primary_scores(records, metric) if s.value is None)
        tasks[task] = TaskResult(name=task, version="1", family=family, languages=sorted(by_lang), primary_metric=metric,
                                 direction="lower" if metric in ("wer", "cer") else "higher", status="complete",
                                 metrics={metric: mv}, breakdowns={"language": by_lang},
                                 counts=TaskCounts(n=n, completed=n, errors={"model_error": 1}, empty=1, unscored=unscored),
                                 judge="judge:x" if metric == "judge_score" else None)
    result = RunResult(run_id=run_id, status="complete", tasks=tasks, manifest=_manifest(),
                       model=ModelInfo(id=model_id, provider="test", snapshot=f"{model_id}@1"))
    (run_dir / "results.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
    tail = '{"run_id": "torn' if torn_tail else ""
    (run_dir / "samples.jsonl").write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return run_dir


def make_runs(root: Path, n: int = 12) -> list[Path]:
    return [make_run(root, "run-good", "good-model", 0.95, n=n, seed=1),
            make_run(root, "run-mid", "mid-model", 0.6, n=n, seed=2),
            make_run(root, "run-bad", "bad-model", 0.2, n=n, seed=3)]


# ---------------------------------------------------------------- tests


def test_build_data_tables_pivots_and_failures(tmp_path: Path) -> None:
    data = build_data(make_runs(tmp_path / "runs"), tmp_path / "site", n_boot=200)
    assert [r.label for r in data.runs] == ["good-model", "mid-model", "bad-model"]
    assert {t.name for t in data.tasks} == set(TASKS)
    assert data.languages == ["en", "th", "zh"]
    overall = {c.run_id: c for c in data.cells if c.task == "asr/fleurs-th" and c.language == ALL}
    assert overall["run-good"].rank == 1 and overall["run-bad"].rank == 3
    assert overall["run-good"].display.endswith("%") and overall["run-good"].ci_display.startswith("[")
    mmau = next(t for t in data.tasks if t.name == "mmau/mini")
    assert mmau.kind == "accuracy" and mmau.n_choices == 4
    judge = next(t for t in data.tasks if t.name == "open/sqa-th")
    assert judge.kind == "judge"
    # one rule: a language score is the mean of that language's normalised task results, the overall the
    # mean of the language scores (so it lies between them), families the same rule over their results
    good = data.headline.of("run-good")
    assert good is not None and [r.run_id for r in data.headline.runs] == ["run-good", "run-mid", "run-bad"]
    th_cells = [c.normalised for c in data.cells if c.run_id == "run-good" and c.language == "th" and c.normalised is not None]
    assert good.languages["th"].n_tasks == len(th_cells) == 3
    assert good.languages["th"].score == pytest.approx(sum(th_cells) / 3)
    scores = [s.score for s in good.languages.values()]
    assert good.overall.score == pytest.approx(sum(scores) / len(scores)) and min(scores) <= good.overall.score <= max(scores)
    assert good.overall.ci_low < good.overall.score < good.overall.ci_high
    assert set(good.families) == {"asr", "mmau", "open"} and good.families["asr"].n_tasks == 2
    assert [r.rank for r in data.headline.runs] == [1, 2, 3] and not good.tied_with
    fail = next(f for f in data.failures if f.run_id == "run-mid" and f.task == "open/sqa-th")
    assert fail.errors == 1 and fail.judge_unscored == 1 and fail.empty == 1
    # drill-down: every task has samples with every run's answer; the torn tail line was ignored
    views = [s for s in data.samples if s.task == "asr/fleurs-th"]
    assert len(views) == 12 and all(len(v.answers) == 3 for v in views)
    assert views[0].reference == THAI_REF and views[0].audio and data.audio_mode == "inline"
    assert data.audio[views[0].audio[0]].startswith("data:audio/wav;base64,")
    judged = next(s for s in data.samples if s.task == "open/sqa-th" and s.sample_id == "s001")
    assert judged.answers[0].judge_rationale.startswith("rationale for") and judged.answers[0].judge_score is not None


def test_significance_marks_real_differences_only(tmp_path: Path) -> None:
    runs = make_runs(tmp_path / "runs", n=40)
    data = build_data(runs, tmp_path / "site", n_boot=300)
    wer = {(c.run_a, c.run_b): c for c in data.comparisons if c.task == "asr/fleurs-th"}
    good_bad = wer[("run-good", "run-bad")]
    assert good_bad.significant and good_bad.better == "run-good" and good_bad.n_common == 40
    assert good_bad.delta < 0 and good_bad.ci_high < 0  # WER difference (lower is better)
    assert good_bad.p_value < 0.05
    # identical runs (same seed, same quality) are never significantly different
    twin = make_run(tmp_path / "twin", "run-twin", "twin-model", 0.95, n=40, seed=1)
    data2 = build_data([runs[0], twin], tmp_path / "site2", n_boot=300)
    for comp in data2.comparisons:
        assert comp.delta in (0.0, None) and not comp.significant
    assert all(c.mark == "=" for c in data2.cells if c.language == ALL and c.rank == 1)


def test_significance_equals_core_paired_bootstrap(tmp_path: Path) -> None:
    from seabench.leaderboard.data import load_run
    from seabench.metrics.bootstrap import paired_bootstrap

    runs = make_runs(tmp_path / "runs", n=30)
    data = build_data(runs, tmp_path / "site", n_boot=250, seed=7)
    comp = next(c for c in data.comparisons if c.task == "asr/fleurs-zh" and c.run_a == "run-good" and c.run_b == "run-mid")
    a = load_run(runs[0]).records["asr/fleurs-zh"]
    b = load_run(runs[1]).records["asr/fleurs-zh"]
    ids = sorted(a)
    rows = lambda recs: np.array([[recs[i].scores["cer"].stats[k] for k in ("sub", "del", "ins", "hits")] for i in ids])  # noqa: E731
    wer = lambda s: (s[:, 0] + s[:, 1] + s[:, 2]) / (s[:, 0] + s[:, 1] + s[:, 3])  # noqa: E731
    ref = paired_bootstrap(rows(a), rows(b), wer, n=250, seed=7)
    assert comp.delta == pytest.approx(ref.delta) and comp.p_value == pytest.approx(ref.p_value)
    assert comp.ci_low == pytest.approx(ref.ci_low)


def test_partial_overlap_uses_intersection(tmp_path: Path) -> None:
    a = make_run(tmp_path, "run-a", "model-a", 0.9, n=20, seed=1)
    b = make_run(tmp_path, "run-b", "model-b", 0.5, n=14, seed=2)
    data = build_data([a, b], tmp_path / "site", n_boot=100)
    comp = next(c for c in data.comparisons if c.task == "asr/fleurs-th")
    assert (comp.n_common, comp.only_a, comp.only_b) == (14, 6, 0)
    view = next(s for s in data.samples if s.task == "asr/fleurs-th" and s.sample_id == "s019")
    assert view.answers[1].score == "not run"


def test_exports_csv_markdown_json(tmp_path: Path) -> None:
    from seabench.leaderboard import build_leaderboard

    index = build_leaderboard(make_runs(tmp_path / "runs"), tmp_path / "site", n_boot=100)
    assert index == tmp_path / "site" / "index.html"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "site" / "leaderboard.csv").read_text(encoding="utf-8"))))
    assert {r["task"] for r in rows} == set(TASKS)
    th = next(r for r in rows if r["run_id"] == "run-good" and r["task"] == "asr/fleurs-th" and r["language"] == ALL)
    assert th["metric"] == "wer" and th["direction"] == "lower" and th["errors"] == "1"
    assert th["unit"] == "%" and 1 < float(th["value"]) < 20  # WER in percent, as on the page and in the terminal
    md = (tmp_path / "site" / "leaderboard.md").read_text(encoding="utf-8")
    assert "| good-model |" in md and "asr/fleurs-th wer (%) ↓" in md and "Aggregation:" in md
    assert md.index("| 1 | good-model |") < md.index("| 2 | mid-model |") < md.index("| 3 | bad-model |")
    payload = json.loads((tmp_path / "site" / "leaderboard.json").read_text(encoding="utf-8"))
    assert payload["aggregation_rule"].startswith("Overall = the mean of the language scores") and "audio" not in payload
    cell = next(c for c in payload["cells"] if c["run_id"] == "run-good" and c["task"] == "asr/fleurs-th" and c["language"] == ALL)
    assert cell["value"] == pytest.approx(float(th["value"])) and cell["display"] == f"{cell['value']:.1f}%"
    ranking = list(csv.DictReader(io.StringIO((tmp_path / "site" / "ranking.csv").read_text(encoding="utf-8"))))
    assert [r["model"] for r in ranking] == ["good-model", "mid-model", "bad-model"] and ranking[0]["rank"] == "1"
    html = index.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # nothing fetched at view time
    assert "Content-Security-Policy" in html


def test_missing_results_is_one_line_error(tmp_path: Path) -> None:
    from seabench.leaderboard import build_leaderboard

    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError) as err:
        build_leaderboard([tmp_path / "empty"], tmp_path / "site")
    assert "results.json" in str(err.value) and "\n" not in str(err.value)


def test_normalisation_rule() -> None:
    assert normalise("accuracy", 0.25, 4) == 0.0 and normalise("accuracy", 1.0, 4) == 100.0
    assert normalise("accuracy", 0.625, 4) == pytest.approx(50.0)
    assert normalise("accuracy", 0.1, 4) == 0.0  # below chance clips to 0
    assert normalise("accuracy", 0.4, None) == pytest.approx(40.0)
    assert normalise("error_rate", 0.25) == 75.0 and normalise("error_rate", 1.7) == 0.0
    assert normalise("score100", 31.5) == 31.5 and normalise("judge", 3.0, scale=(1, 5)) == 50.0
    assert normalise("other", 3.0) is None and normalise("judge", 3.0) is None  # a judge score needs its scale


def test_script_json_cannot_break_out() -> None:
    text = json_for_script({"x": "</script><script>alert(1)</script> & <!-- \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"x": "</script><script>alert(1)</script> & <!-- \u2028"}


def test_markdown_escapes_untrusted_names(tmp_path: Path) -> None:
    run = make_run(tmp_path, "run-x", "![x](javascript:alert(1)) | <img src=x onerror=alert(1)>", 0.5, n=4)
    md = export_markdown(build_data([run], tmp_path / "site", n_boot=50))
    assert "<img" not in md and "&lt;img" in md and "\\|" in md
    assert not re.search(r"(?<!\\)\]\(javascript", md) and "\\](javascript" in md  # link syntax broken
    assert export_csv(build_data([run], tmp_path / "site", n_boot=50)).count("\n") > 4


def test_reports_need_no_heavy_libraries(tmp_path: Path) -> None:
    """The leaderboard renders with the core install: no torch, jiwer, sacrebleu, sklearn or krippendorff."""

    runs = make_runs(tmp_path / "runs", n=4)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from seabench.leaderboard import build_leaderboard, make_annotation_server, run_agreement\n"
        f"build_leaderboard([Path(p) for p in {[str(r) for r in runs]!r}], Path({str(tmp_path / 'site')!r}), n_boot=20)\n"
        "heavy = {'torch', 'transformers', 'jiwer', 'sacrebleu', 'sklearn', 'krippendorff', 'pythainlp', 'jieba'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_run_without_tasks_still_renders(tmp_path: Path) -> None:
    from seabench.leaderboard import build_leaderboard

    run = tmp_path / "empty-run"
    run.mkdir()
    result = RunResult(run_id="r0", status="partial", tasks={}, manifest=_manifest(),
                       model=ModelInfo(id="m0", provider="test", snapshot="m0@1"))
    (run / "results.json").write_text(result.model_dump_json(), encoding="utf-8")
    index = build_leaderboard([run], tmp_path / "site", n_boot=10)
    assert "m0" in index.read_text(encoding="utf-8")
    assert (tmp_path / "site" / "leaderboard.csv").read_text(encoding="utf-8").startswith("run_id")


def test_judge_tasks_average_every_model_over_the_same_judged_items(tmp_path: Path) -> None:
    """Run b's judge also failed on s001: both runs are then averaged over the items judged for both."""
    task = "open/sqa-th"
    runs = [make_run(tmp_path / "runs", "run-a", "model-a", 0.9, seed=1),
            make_run(tmp_path / "runs", "run-b", "model-b", 0.5, seed=2)]
    path = runs[1] / "samples.jsonl"
    records = [SampleRecord.model_validate_json(line) for line in path.read_text().splitlines()[:-1]]
    for r in records:
        if r.task == task and r.sample_id == "s001":
            r.verdicts = [r.verdicts[-1].model_copy(update={"score": None, "parse_ok": False})]
    path.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    data = build_data(runs, tmp_path / "site", n_boot=50)
    cells = {c.run_id: c for c in data.cells if c.task == task and c.language == ALL}
    for run_dir, rid in zip(runs, ("run-a", "run-b")):
        recs = [SampleRecord.model_validate_json(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()
                if line.startswith("{") and line.endswith("}")]
        scores = {r.sample_id: r.verdicts[-1].score for r in recs if r.task == task}
        same = [v for sid, v in scores.items() if sid not in ("s000", "s001")]
        assert cells[rid].n == len(same) == 10
        assert cells[rid].value == pytest.approx(sum(same) / len(same))
