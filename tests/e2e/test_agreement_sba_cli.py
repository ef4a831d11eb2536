"""`seabench agreement` on SeaBench-Audio's own files: judgement files `<judge>_eval_<model>.json`
and human ratings in the same layout (one file per rater), grouped by task type too; and our own
judged run against ratings in that layout."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_seabench_audio_cli import IDS, JUDGE, KEY, ROWS, _cli, _parquet, _predictions, env  # noqa: F401
from tests.helpers.fake_gemini import FakeGemini

JUDGE_RATINGS = [5, 4, None, 2, 3, 5]  # None: the judge's reply had no rating
HUMANS = {"alice": [5, 4, 3, 2, 3, 4], "bob": [4, 4, 3, 1, 3, 5]}


def _items(ratings: list[int | None], model: str | None = None) -> list[dict]:
    items = []
    for (idx, lang, task, query, reference, _), rating in zip(ROWS, ratings, strict=True):
        item = {"language": lang, "task": task, "idx": idx, "query": query, "reference": reference,
                "audio_url": f"data/audio_data/{lang}/{task}_{idx}.wav", "rating": rating}
        if model:
            item["model"] = model
        items.append(item)
    return items


def _report(out: Path) -> dict:
    return json.loads((out / "agreement.json").read_text())


def test_sba_judgements_and_human_ratings(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    judgements, humans = tmp_path / "judgements", tmp_path / "human_judge"
    judgements.mkdir()
    humans.mkdir()
    items = _items(JUDGE_RATINGS)
    for item in items:
        item["ModelX"], item["eval"] = "an answer", "... Rating: [[n]]"
    (judgements / "gemini-2.5-flash_eval_ModelX.json").write_text(json.dumps(items, ensure_ascii=False))
    for rater, ratings in HUMANS.items():
        (humans / f"{rater}_eval_ModelX.json").write_text(json.dumps(_items(ratings), ensure_ascii=False))
    out = tmp_path / "report"
    proc = _cli(env, "agreement", "--judge-run", str(judgements), "--human", str(humans), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = _report(out)
    assert report["counts"]["ratings"] == 12 and report["counts"]["responses"] == 5
    assert report["counts"]["judge_unscored"] == 1  # the item whose judge reply had no rating
    assert report["judge_runs"][0]["judge"] == "gemini-2.5-flash" and report["judge_runs"][0]["model"] == "ModelX"
    groups = {(g["kind"], g["name"]): g for g in report["groups"]}
    assert {name for kind, name in groups if kind == "task_type"} == {"S2TT", "SKI", "SQA"}
    assert groups[("task_type", "SQA")]["counts"]["items"] == 2 and groups[("task_type", "S2TT")]["counts"]["items"] == 2
    assert sorted(groups[("overall", "all")]["points"]) == [[2, 2], [3, 3], [4, 4], [5, 5], [5, 5]]  # medians, half up
    assert (out / "agreement.html").is_file()


def test_our_judged_run_against_ratings_in_sba_layout(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    parquet = _parquet(tmp_path)
    preds = _predictions(tmp_path, {i: "an answer" for i in IDS})
    run = tmp_path / "run"
    with FakeGemini(api_key=KEY, responder=lambda req: json.dumps({"rationale": "ok", "score": 4})) as server:
        proc = _cli({**env, "GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": server.url}, "run", "--model",
                    f"predictions:{preds}", "--tasks", f"seabench-audio@{parquet}", "-o", str(run), "--judge", JUDGE)
    assert proc.returncode == 0, proc.stderr
    ratings = tmp_path / "ratings.json"
    ratings.write_text(json.dumps(_items([4, 4, 5, 3, 4, None], model="preds.jsonl") +
                                  [{**i, "rater": "carol"} for i in _items([4, 3, 4, 4, 4, 4], model="preds.jsonl")]))
    out = tmp_path / "report"
    proc = _cli(env, "agreement", "--judge-run", str(run), "--human", str(ratings), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = _report(out)
    assert report["counts"]["responses"] == 6 and report["counts"]["raters"] == 2
    [judged] = report["judge_runs"]
    assert judged["judge"].startswith(JUDGE) and "spoken_qa@2 (sha256 " in judged["rubric"]
    kinds = {g["kind"] for g in report["groups"]}
    assert kinds == {"overall", "task", "task_type", "language"}
