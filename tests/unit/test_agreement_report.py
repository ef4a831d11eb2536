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
    ia = report.inter_annotator
    assert ia is not None and ia.items == 3 * 7 and ia.raters == 2  # sample ids 3, 6, ..., 21 (s000 unscored)
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
    for bad, message in (("6", "score"), ("3.5", "integer"), ("x", "number")):
        csv_path = tmp_path / "bad.csv"
        csv_path.write_text(f"task,sample_id,model,rater,score\nt,s1,m,a,{bad}\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            read_ratings(csv_path)
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
