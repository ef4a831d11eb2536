"""Annotation server over plain HTTP: blind page, durable ratings, request checks."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from seabench.leaderboard import make_annotation_server
from seabench.leaderboard.annotate import AnnotationServer
from seabench.leaderboard.ratings import read_ratings
from tests.unit.test_leaderboard_data import THAI_REF, make_run

MODEL = "secret-model-name"


@contextmanager
def serving(srv: AnnotationServer) -> Iterator[AnnotationServer]:
    """Serve `srv` on a background thread for the block, then shut it down and free its port."""
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[AnnotationServer]:
    run = make_run(tmp_path / "runs", "run-secret", MODEL, 0.7, n=5, texts=[THAI_REF, "คำตอบ answer 答案"])
    with serving(make_annotation_server(run, port=0, ratings=tmp_path / "ratings.jsonl",
                                        rubric_text=lambda task: f"RUBRIC for {task}: 5 best, 1 worst")) as srv:
        yield srv


def _request(srv: AnnotationServer, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(srv.url.rstrip("/") + path, data=data, headers={
        **({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_page_is_blind_and_shows_rubric(server: AnnotationServer) -> None:
    assert [it.task for it in server.items] == ["open/sqa-th"] * 5  # judged tasks only
    status, body = _request(server, "/")
    page = body.decode()
    assert status == 200 and "RUBRIC for open/sqa-th" in page and THAI_REF in page
    assert MODEL not in page and "run-secret" not in page and "rationale" not in page
    assert '"score"' not in page  # no judge score field in the payload
    status, clip = _request(server, "/audio/0/0")
    assert status == 200 and clip[:4] == b"RIFF"
    assert _request(server, "/audio/0/9")[0] == 404 and _request(server, "/../../etc/passwd")[0] == 404


def test_rating_is_on_disk_when_acknowledged(server: AnnotationServer, tmp_path: Path) -> None:
    status, body = _request(server, "/api/rate", {"index": 2, "score": 4, "rater": "nok", "comment": "ดี"})
    assert status == 200 and json.loads(body)["saved"]
    (rating,) = read_ratings(tmp_path / "ratings.jsonl")  # readable by `agreement` immediately
    assert (rating.task, rating.sample_id, rating.model, rating.rater, rating.score, rating.language) == (
        "open/sqa-th", "s002", "run-secret", "nok", 4, "th")
    _request(server, "/api/rate", {"index": 2, "score": 2, "rater": "nok"})
    assert json.loads(_request(server, "/api/state?rater=nok")[1]) == {"rated": {"2": 2}}
    assert json.loads(_request(server, "/api/state?rater=other")[1]) == {"rated": {}}


@pytest.mark.parametrize(("body", "headers", "code"), [
    ({"index": 0, "score": 6, "rater": "a"}, {}, 400),
    ({"index": 0, "score": 0, "rater": "a"}, {}, 400),
    ({"index": 99, "score": 3, "rater": "a"}, {}, 400),
    ({"index": 0, "score": 3, "rater": ""}, {}, 400),
    ({"index": 0, "score": 3, "rater": "a"}, {"Origin": "http://evil.example"}, 403),
    ({"index": 0, "score": 3, "rater": "a"}, {"Host": "evil.example"}, 403),
    ({"index": 0, "score": 3, "rater": "a"}, {"Content-Type": "text/plain"}, 415),
])
def test_bad_requests_are_refused_and_not_saved(server: AnnotationServer, tmp_path: Path, body: dict, headers: dict,
                                                code: int) -> None:
    assert _request(server, "/api/rate", body, headers)[0] == code
    assert (tmp_path / "ratings.jsonl").read_text() == ""


def test_default_rubric_is_the_one_the_judge_used(tmp_path: Path) -> None:
    from seabench.judging.rubric import load_rubric
    from seabench.leaderboard.annotate import DEFAULT_RUBRIC, rating_guide
    from seabench.types import SampleRecord, Verdict

    def record(rubric: str, metadata: dict | None = None) -> SampleRecord:
        return SampleRecord(run_id="r", task="t", sample_id="s", metadata=metadata or {},
                            verdicts=[Verdict(score=3, rubric=rubric)])

    assert rating_guide(record("spoken_qa@1"), {}) == (load_rubric("spoken_qa").guide(), (1, 5))
    assert rating_guide(record("spoken_qa@1", {"rubric": "math"}), {})[0] == load_rubric("math").guide()
    assert rating_guide(record("no-such-rubric@1"), {}) == (DEFAULT_RUBRIC, (1, 5))
    guide, scale = rating_guide(record("no-such-rubric@1"), {"no-such-rubric@1": (0, 5)})  # results.json's scale
    assert scale == (0, 5) and "from 0 to 5" in guide
    never_judged = SampleRecord(run_id="r", task="t", sample_id="s", metadata={"rubric": "audiobench_paralinguistic"})
    assert rating_guide(never_judged, {}) == (load_rubric("audiobench_paralinguistic").guide(), (0, 1))
    srv = make_annotation_server(make_run(tmp_path, "run-r", "m", 0.5, n=2), port=0)
    try:
        assert all(it.rubric == DEFAULT_RUBRIC for it in srv.items)  # fixture verdicts name an unknown rubric
    finally:
        srv.server_close()


def test_several_runs_are_mixed_blind_and_ratings_name_the_right_run(tmp_path: Path) -> None:
    texts = [THAI_REF, "คำตอบ answer 答案"]
    runs = [make_run(tmp_path / "runs", "run-alpha", "alpha-model", 0.9, n=6, seed=1, texts=texts),
            make_run(tmp_path / "runs", "run-beta", "beta-model", 0.3, n=6, seed=2, texts=texts)]
    srv = make_annotation_server(runs, port=0, ratings=tmp_path / "ratings.jsonl", seed=3)
    with serving(srv):
        order = srv.item_runs
        assert sorted(order) == ["run-alpha"] * 6 + ["run-beta"] * 6
        assert order != sorted(order) and order != sorted(order, reverse=True)  # interleaved, not run by run
        page = _request(srv, "/")[1].decode()
        assert all(name not in page for name in ("run-alpha", "run-beta", "alpha-model", "beta-model"))
        for index in (0, 1, 2):
            assert _request(srv, "/api/rate", {"index": index, "score": 3, "rater": "lan"})[0] == 200
        saved = read_ratings(tmp_path / "ratings.jsonl")
        assert [r.model for r in saved] == order[:3]
        assert json.loads(_request(srv, "/api/state?rater=lan")[1]) == {"rated": {"0": 3, "1": 3, "2": 3}}


def set_verdicts(run_dir: Path, task: str, updates: dict[str, dict]) -> None:
    """Rewrite the last verdict of some samples of a run (e.g. another rubric and its scale)."""
    from seabench.types import SampleRecord

    lines = []
    for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.startswith("{") or not line.endswith("}"):
            continue  # the torn tail
        record = SampleRecord.model_validate_json(line)
        if record.task == task and record.sample_id in updates:
            record.verdicts = [record.verdicts[-1].model_copy(update=updates[record.sample_id])]
        lines.append(record.model_dump_json())
    (run_dir / "samples.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


USER_RUBRIC = """id: mine
version: '1'
title: My own 0-3 rubric
scale_min: 0
scale_max: 3
criteria: Is the answer right?
levels: {0: wrong, 1: barely, 2: mostly, 3: right}
inputs: [question, reference, answer]
"""


def test_buttons_and_rubric_follow_each_items_scale(tmp_path: Path) -> None:
    """AudioBench's 0/1 and 0-5 rubrics, a user's 0-3 rubric file and a 1-5 item side by side: each item
    shows its judge's rubric text and scale, the server takes exactly that scale, and `seabench agreement`
    accepts what it saved."""
    import hashlib

    from seabench.judging.rubric import load_rubric
    from seabench.judging.rubric_file import load_rubric_file
    from seabench.leaderboard.agreement_report import agreement

    run = make_run(tmp_path / "runs", "run-s", "m", 0.7, n=4)
    (tmp_path / "mine.yaml").write_text(USER_RUBRIC, encoding="utf-8")
    mine = load_rubric_file(tmp_path / "mine.yaml").rubrics["mine"]
    assert mine.sha256 == hashlib.sha256(USER_RUBRIC.encode()).hexdigest()
    set_verdicts(run, "open/sqa-th", {
        "s000": {"score": 1.0, "rubric": "audiobench_paralinguistic@1", "scale": (0, 1)},
        "s001": {"score": 0.0, "rubric": "audiobench_spoken_qa@1", "scale": (0, 5)},
        "s002": {"score": 3.0, "rubric": "mine@1", "scale": (0, 3), "rubric_source": str(tmp_path / "mine.yaml"),
                 "rubric_sha256": mine.sha256}})
    srv = make_annotation_server(run, port=0, ratings=tmp_path / "ratings.jsonl")
    with serving(srv):
        items = {it.sample_id: it for it in srv.items}
        assert {sid: it.scale for sid, it in items.items()} == {"s000": (0, 1), "s001": (0, 5), "s002": (0, 3),
                                                                 "s003": (1, 5)}
        assert items["s000"].rubric == load_rubric("audiobench_paralinguistic").guide()
        assert items["s001"].rubric == load_rubric("audiobench_spoken_qa").guide()
        assert items["s002"].rubric == mine.guide()  # the user's file the judge read, not a shipped rubric
        index = {sid: it.index for sid, it in items.items()}
        accepted = {"s000": 0, "s001": 0, "s002": 3, "s003": 5}
        for sid, score in accepted.items():
            assert _request(srv, "/api/rate", {"index": index[sid], "score": score, "rater": "a"})[0] == 200
        for sid, score in (("s000", 2), ("s001", 6), ("s002", 4), ("s003", 0), ("s001", -1)):
            status, body = _request(srv, "/api/rate", {"index": index[sid], "score": score, "rater": "b"})
            assert status == 400 and "outside this item's scale" in json.loads(body)["error"], (sid, score)
        assert _request(srv, "/api/rate", {"index": index["s001"], "score": 2.5, "rater": "b"})[0] == 400
        assert _request(srv, "/api/rate", {"index": index["s001"], "score": "2", "rater": "b"})[0] == 400
        saved = read_ratings(tmp_path / "ratings.jsonl")
        assert {r.sample_id: r.score for r in saved} == accepted and {r.rater for r in saved} == {"a"}
    report = agreement([run], tmp_path / "ratings.jsonl", n_boot=10)
    assert report.responses_by_scale == {"0-1": 1, "0-3": 1, "0-5": 1, "1-5": 1} and not report.excluded
    (tmp_path / "mine.yaml").write_text(USER_RUBRIC.replace("wrong", "very wrong"), encoding="utf-8")
    edited = make_annotation_server(run, port=0, ratings=tmp_path / "other.jsonl")
    try:  # the file changed since judging: its text is no longer what the judge read, so it is not shown
        item = next(it for it in edited.items if it.sample_id == "s002")
        assert item.scale == (0, 3) and "very wrong" not in item.rubric
    finally:
        edited.server_close()
