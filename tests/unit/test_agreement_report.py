"""`run_agreement`: ratings file formats, matching with judged runs, report numbers and outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from seabench.leaderboard import run_agreement
from seabench.leaderboard.agreement_report import agreement
from seabench.leaderboard.data import load_run
from seabench.leaderboard.ratings import read_ratings
from tests.unit.test_leaderboard_data import make_runs

TASK = "open/sqa-th"


def write_ratings(runs: list[Path], path: Path, *, second_rater_every: int = 3) -> list[dict]:
    """Human ratings near the judge's score (deterministic), a second rater on every third response."""
    rng = np.random.default_rng(5)
    rows = []
    for run_dir in runs:
        run = load_run(run_dir)
        for sid, record in sorted(run.records[TASK].items()):
            judge = record.verdicts[-1].score
            base = judge if judge is not None else 3
            human = int(np.clip(base + rng.choice([-1, 0, 0, 1]), 1, 5))
            rows.append({"task": TASK, "sample_id": sid, "model": run.result.model.id, "rater": "ann1", "score": human,
                         "language": "th"})
            if int(sid[1:]) % second_rater_every == 0:
                rows.append({"task": TASK, "sample_id": sid, "model": run.result.run_id, "rater": "ann2",
                             "score": int(np.clip(human + rng.choice([-1, 0, 1]), 1, 5)), "language": "th"})
    rows.append({"task": TASK, "sample_id": "nope", "model": "good-model", "rater": "ann1", "score": 3})
    if path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["task", "sample_id", "model", "rater", "score", "language"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"task": "torn', encoding="utf-8")
    return rows


def _expected_pairs(runs: list[Path], rows: list[dict]) -> tuple[list[int], list[int]]:
    judged = {}
    for run_dir in runs:
        run = load_run(run_dir)
        for name in (run.result.run_id, run.result.model.id):
            for sid, rec in run.records[TASK].items():
                judged[(name, sid)] = (run.result.run_id, rec.verdicts[-1].score)
    by_response: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        if (r["model"], r["sample_id"]) in judged:
            rid, score = judged[(r["model"], r["sample_id"])]
            if score is not None:
                by_response.setdefault((rid, r["sample_id"]), []).append(r["score"])
    judge, human = [], []
    for (rid, sid), scores in sorted(by_response.items()):
        judge.append(int(dict(judged)[(rid, sid)][1]))
        human.append(int(np.floor(np.median(scores) + 0.5)))
    return judge, human


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_report_numbers_match_reference_libraries(tmp_path: Path, suffix: str) -> None:
    runs = make_runs(tmp_path / "runs", n=24)
    rows = write_ratings(runs, tmp_path / f"ratings{suffix}")
    report = agreement(runs, tmp_path / f"ratings{suffix}", n_boot=100, seed=1)
    judge, human = _expected_pairs(runs, rows)
    overall = report.groups[0]
    assert overall.kind == "overall" and overall.counts["items"] == len(judge) == 69  # 3 x 23 scored responses
    assert report.counts["unmatched_ratings"] == 1 and report.counts["judge_unscored"] == 3
    s = overall.stats
    assert s["pearson"].value == pytest.approx(stats.pearsonr(judge, human)[0])
    assert s["spearman"].value == pytest.approx(stats.spearmanr(judge, human)[0])
    assert s["kendall_tau_b"].value == pytest.approx(stats.kendalltau(judge, human, variant="b")[0])
    assert s["quadratic_kappa"].value == pytest.approx(
        cohen_kappa_score(judge, human, weights="quadratic", labels=[1, 2, 3, 4, 5]))
    import krippendorff

    assert s["krippendorff_alpha_ordinal"].value == pytest.approx(
        krippendorff.alpha(reliability_data=np.array([judge, human], float), level_of_measurement="ordinal"))
    for name in ("pearson", "quadratic_kappa", "exact_agreement"):
        assert s[name].ci_low <= s[name].value <= s[name].ci_high
    assert overall.counts["pairs"] == 23 * 3  # 3 models answer each of 23 questions
    assert s["system_spearman"].value == pytest.approx(1.0)  # good > mid > bad for judge and humans
    assert sum(map(sum, overall.confusion)) == 69
    assert {(g.kind, g.name) for g in report.groups} == {("overall", "all"), ("task", TASK), ("language", "th")}
    (ia,) = report.inter_annotator
    assert ia.scale == (1, 5) and ia.items == 3 * 7 and ia.raters == 2  # sample ids 3, 6, ..., 21 (s000 unscored)
    assert ia.stats["human_alpha_ordinal"].value is not None and ia.stats["judge_human_exact"].value is not None


def test_run_agreement_writes_html_and_json(tmp_path: Path) -> None:
    runs = make_runs(tmp_path / "runs", n=12)
    write_ratings(runs, tmp_path / "ratings.csv")
    html = run_agreement(runs, tmp_path / "ratings.csv", tmp_path / "out", n_boot=50)
    assert html == tmp_path / "out" / "agreement.html"
    payload = json.loads((tmp_path / "out" / "agreement.json").read_text(encoding="utf-8"))
    assert payload["groups"][0]["stats"]["pearson"]["value"] is not None and "definitions" in payload
    text = html.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text and "https://" not in text


def test_ratings_validation_and_last_rating_wins(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"task": "t", "sample_id": "s1", "model": "m", "rater": "a", "score": 2}\n'
                    '{"task": "t", "sample_id": "s1", "model": "m", "rater": "a", "score": "4"}\n', encoding="utf-8")
    (only,) = read_ratings(path)
    assert only.score == 4
    for bad, message in (("3.5", "bad.csv:2: score '3.5' is not an integer"), ("x", "number")):
        csv_path = tmp_path / "bad.csv"
        csv_path.write_text(f"task,sample_id,model,rater,score\nt,s1,m,a,{bad}\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            read_ratings(csv_path)
    path.write_text('{"task": "t", "sample_id": "s1", "model": "m", "rater": "a", "score": true}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="not a number"):
        read_ratings(path)
    # the range is the item's rubric scale, known only once a rating meets its judged item (see below)
    csv_path.write_text("task,sample_id,model,rater,score\nt,s1,m,a,0\nt,s2,m,a,6\n", encoding="utf-8")
    assert [(r.score, r.where) for r in read_ratings(csv_path)] == [(0, f"{csv_path}:2"), (6, f"{csv_path}:3")]
    assert "where" not in read_ratings(csv_path)[0].model_dump()  # never written back to a ratings file
    (tmp_path / "nohead.csv").write_text("task,sample_id,score\n", encoding="utf-8")
    with pytest.raises(ValueError, match="model, rater"):
        read_ratings(tmp_path / "nohead.csv")


def test_no_matching_ratings_is_an_error(tmp_path: Path) -> None:
    runs = make_runs(tmp_path / "runs", n=4)
    (tmp_path / "r.csv").write_text("task,sample_id,model,rater,score\nx,y,z,a,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no rating matches"):
        agreement(runs, tmp_path / "r.csv", n_boot=10)


def test_report_escapes_untrusted_names(tmp_path: Path) -> None:
    from tests.unit.test_leaderboard_data import make_run

    payload = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"
    runs = [make_run(tmp_path / "runs", f"run-{i}", payload + str(i), 0.3 * i, n=6, seed=i) for i in range(1, 4)]
    write_ratings(runs, tmp_path / "ratings.jsonl")
    html = run_agreement(runs, tmp_path / "ratings.jsonl", tmp_path / "out", n_boot=20).read_text(encoding="utf-8")
    assert "<img" not in html and "alert(2)</script>" not in html and html.count("<script") == 2
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the header names the judged models, escaped


# ---------------------------------------------------------------- rubric scales: 1-5, AudioBench's 0-5 and 0/1

SCALE_OF = {0: (0, 1), 1: (0, 5), 2: (1, 5)}  # sample number % 3 -> the scale its verdict records


def make_scaled_runs(root: Path, n: int) -> list[Path]:
    """`make_runs` whose judged task's verdicts have three scales, as a run judged with several rubrics has:
    0/1 (a 1-5 score s becomes s >= 3), 0-5 (s - 1, so 0s occur) and 1-5."""
    from tests.unit.test_leaderboard_annotate import set_verdicts

    runs = make_runs(root, n=n)
    for run_dir in runs:
        updates = {}
        for sid, record in load_run(run_dir).records[TASK].items():
            scale, score = SCALE_OF[int(sid[1:]) % 3], record.verdicts[-1].score
            if score is not None:
                score = float(score >= 3) if scale == (0, 1) else score - 1 if scale == (0, 5) else score
            updates[sid] = {"score": score, "scale": scale}
        set_verdicts(run_dir, TASK, updates)
    return runs


def scaled_ratings(runs: list[Path], path: Path) -> None:
    """Two raters per response, each near the judge and inside the response's scale (0s included)."""
    rng = np.random.default_rng(11)
    rows = []
    for run_dir in runs:
        run = load_run(run_dir)
        for sid, record in sorted(run.records[TASK].items()):
            low, high = SCALE_OF[int(sid[1:]) % 3]
            base = record.verdicts[-1].score if record.verdicts[-1].score is not None else low
            for rater in ("ann1", "ann2"):
                score = int(np.clip(base + rng.choice([-1, 0, 0, 1]), low, high))
                rows.append(f"{TASK},{sid},{run.result.run_id},{rater},{score}")
    path.write_text("task,sample_id,model,rater,score\n" + "\n".join(rows) + "\n", encoding="utf-8")


def _expected_by_scale(runs: list[Path], ratings: Path) -> dict[tuple[int, int], tuple[list[int], list[int]]]:
    """(judge, human) per scale, computed here from the files, for the reference libraries."""
    by_response: dict[tuple[str, str], list[int]] = {}
    for row in csv.DictReader(ratings.open(encoding="utf-8")):
        by_response.setdefault((row["model"], row["sample_id"]), []).append(int(row["score"]))
    out: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
    for run_dir in runs:
        run = load_run(run_dir)
        for sid, record in sorted(run.records[TASK].items()):
            score = record.verdicts[-1].score
            if score is None:
                continue
            judge, human = out.setdefault(tuple(record.verdicts[-1].scale), ([], []))
            judge.append(int(score))
            human.append(int(np.floor(np.median(by_response[(run.result.run_id, sid)]) + 0.5)))
    return out


def test_each_scale_is_analysed_on_its_own_labels(tmp_path: Path) -> None:
    import krippendorff

    runs = make_scaled_runs(tmp_path / "runs", n=30)
    scaled_ratings(runs, tmp_path / "ratings.csv")
    report = agreement(runs, tmp_path / "ratings.csv", n_boot=60, seed=2)
    expected = _expected_by_scale(runs, tmp_path / "ratings.csv")
    assert report.counts["judge_unscored"] == 3 and report.counts["judge_outside_scale"] == 0  # s000 of each run
    assert [(e.sample_id, e.reason) for e in report.excluded] == [("s000", "no judge score")] * 3
    assert report.responses_by_scale == {"0-1": 27, "0-5": 30, "1-5": 30}  # every rated response, none dropped
    assert report.counts["responses"] + report.counts["judge_unscored"] == 3 * 30
    overall = {g.scale: g for g in report.groups if g.kind == "overall"}
    assert list(overall) == [(0, 1), (0, 5), (1, 5)]  # one overall per scale, none across scales
    for scale, (judge, human) in expected.items():
        labels = list(range(scale[0], scale[1] + 1))
        group = overall[scale]
        s = group.stats
        assert group.counts["items"] == len(judge) and sorted(map(tuple, group.points)) == sorted(zip(judge, human))
        assert len(group.confusion) == len(labels) and sum(map(sum, group.confusion)) == len(judge)  # 2x2 for 0/1
        assert group.confusion[0][0] == sum(j == h == scale[0] for j, h in zip(judge, human))
        assert s["pearson"].value == pytest.approx(stats.pearsonr(judge, human)[0])
        assert s["spearman"].value == pytest.approx(stats.spearmanr(judge, human)[0])
        assert s["kendall_tau_b"].value == pytest.approx(stats.kendalltau(judge, human, variant="b")[0])
        assert s["quadratic_kappa"].value == pytest.approx(
            cohen_kappa_score(judge, human, weights="quadratic", labels=labels))
        assert s["krippendorff_alpha_ordinal"].value == pytest.approx(krippendorff.alpha(
            reliability_data=np.array([judge, human], float), level_of_measurement="ordinal", value_domain=labels))
        assert s["exact_agreement"].value == pytest.approx(np.mean(np.equal(judge, human)))
        within = s["within_one_agreement"].value
        assert within is None if scale == (0, 1) else within == pytest.approx(np.mean(np.abs(np.subtract(judge, human)) <= 1))
        assert s["system_spearman"].value is not None and s["pairwise_agreement_with_ties"].value is not None
    assert {(g.scale, g.kind, g.name) for g in report.groups} == {
        (scale, kind, name) for scale in expected for kind, name in (("overall", "all"), ("task", TASK), ("language", "th"))}
    assert [(ia.scale, ia.items) for ia in report.inter_annotator] == [((0, 1), 27), ((0, 5), 30), ((1, 5), 30)]
    assert report.inter_annotator[0].stats["judge_human_within_one"].value is None  # trivially 1 on 0/1
    assert report.inter_annotator[1].stats["judge_human_within_one"].value is not None
    assert {(row.scale, row.system) for row in report.systems} == {(sc, f"run-{q}") for sc in expected
                                                                    for q in ("good", "mid", "bad")}


def test_a_rating_outside_its_items_scale_names_file_and_row(tmp_path: Path) -> None:
    runs = make_scaled_runs(tmp_path / "runs", n=6)
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("task,sample_id,model,rater,score\n"
                       f"{TASK},s003,run-good,a,0\n"  # s003: 0/1 -> fine
                       f"{TASK},s003,run-mid,a,2\n"  # 0/1 item: 2 is outside
                       f"{TASK},s004,run-good,a,0\n"  # 0-5 -> fine
                       f"{TASK},s005,run-good,a,0\n", encoding="utf-8")  # 1-5 item: 0 is outside
    with pytest.raises(ValueError, match="^2 human rating") as caught:
        agreement(runs, ratings, n_boot=10)
    message = str(caught.value)
    assert f"{ratings}:3: score 2 for {TASK} s003 is outside 0-1" in message
    assert f"{ratings}:5: score 0 for {TASK} s005 is outside 1-5" in message and "\n" not in message


def test_judge_scores_outside_the_scale_are_excluded_and_listed() -> None:
    from seabench.leaderboard.agreement_report import JudgedItem, JudgedRun, match
    from seabench.leaderboard.ratings import HumanRating

    items = {("t", f"s{i}"): JudgedItem(score, "th", None, (1, 5)) for i, score in enumerate([0.0, 4.0, None, 6.0])}
    run = JudgedRun("r", "m", "judgements.json", "j", "", items)
    ratings = [HumanRating(task="t", sample_id=f"s{i}", model="m", rater="a", score=3) for i in range(4)]
    matched = match([run], ratings)
    assert [(r.sample_id, r.judge) for r in matched.responses] == [("s1", 4)]
    assert [(e.sample_id, e.reason) for e in matched.excluded] == [
        ("s0", "judge score 0 outside 1-5"), ("s2", "no judge score"), ("s3", "judge score 6 outside 1-5")]
    assert matched.counts["judge_unscored"] == 1 and matched.counts["judge_outside_scale"] == 2


def test_record_scale_reads_the_verdict_then_the_results_then_the_shipped_rubric() -> None:
    from seabench.leaderboard.agreement_report import record_scale
    from seabench.types import SampleRecord, Verdict

    def record(**verdict: object) -> SampleRecord:
        return SampleRecord(run_id="r", task="t", sample_id="s", verdicts=[Verdict(score=1, **verdict)])

    assert record_scale(record(rubric="x@1", scale=(0, 1)), {"x@1": (0, 5)}) == (0, 1)
    assert record_scale(record(rubric="x@1"), {"x@1": (0, 5)}) == (0, 5)  # results.json judging.scales
    assert record_scale(record(rubric="audiobench_spoken_qa@1"), {}) == (0, 5)  # shipped rubric, older verdict
    assert record_scale(record(rubric="audiobench_paralinguistic@1", rubric_source="mine.yaml"), {}) == (1, 5)
    assert record_scale(record(rubric="unknown@1"), {}) == (1, 5)  # every rubric before AudioBench's
    assert record_scale(SampleRecord(run_id="r", task="t", sample_id="s"), {}) == (1, 5)
