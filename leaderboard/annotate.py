"""`seabench annotate`: a local page where a native speaker rates a run's answers on the judge's scale.

The page shows the clip, question, reference and answer with the judge's rubric text, and buttons
for every score of that rubric's scale (1-5, AudioBench's 0-5 or 0/1: the scale the item's verdict
records, the one `seabench agreement` checks ratings against), and never the judge's score or the
model's name. Several runs can be rated in one session: their
answers are mixed in a seeded shuffle, so a rater cannot tell which model answered. Each click is appended to the ratings file
(`seabench agreement` reads it) and fsynced before the page is told it was saved, so a crash
loses no acknowledged rating. The server binds to 127.0.0.1, checks the Host header (no DNS
rebinding) and accepts ratings only as same-origin JSON POSTs.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator

from seabench.errors import UserError
from seabench.judging.rubric import Rubric, load_rubric
from seabench.judging.rubric_file import load_rubric_file
from seabench.leaderboard.agreement import Scale
from seabench.leaderboard.agreement_report import LEGACY_SCALE, record_scale
from seabench.leaderboard.data import AUDIO_TYPES, load_run, resolve_audio
from seabench.leaderboard.ratings import HumanRating, append_rating, read_ratings
from seabench.types import SampleRecord

RATINGS_FILE = "human_ratings.jsonl"
MAX_BODY = 16 * 1024
DEFAULT_RUBRIC = (
    "Rate how well the answer responds to the spoken question, using the reference as a guide.\n"
    "5 - fully correct and complete, natural in the expected language.\n"
    "4 - correct with minor omissions or small language issues.\n"
    "3 - partly correct: some key content right, some wrong or missing.\n"
    "2 - mostly wrong or off-topic, with a little relevant content.\n"
    "1 - wrong, irrelevant, empty, a refusal, or in the wrong language."
)


class Item(BaseModel):
    """What the rater sees: no model name, no judge score."""

    index: int
    task: str
    sample_id: str
    language: str
    prompt: str
    reference: str
    choices: list[str] = Field(default_factory=list)
    answer: str
    audio: list[str]  # same-origin URLs
    rubric: str
    scale: Scale  # the rubric's (lowest, highest) score: the page's buttons


class RateRequest(BaseModel):
    index: int
    score: int = Field(strict=True)  # checked against the item's scale by the server
    rater: str = Field(min_length=1, max_length=100)
    comment: str = Field(default="", max_length=2000)

    @field_validator("rater")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give your rater name")
        return value.strip()


def judged_rubric(record: SampleRecord) -> Rubric | None:
    """The rubric the judge used for this record: from the user's rubric file its verdict names (while that
    file is there and unchanged), else the shipped rubric of the item (or of its verdict); None if unknown."""
    verdict = record.verdicts[-1] if record.verdicts else None
    if verdict is not None and verdict.rubric_source:
        try:
            file = load_rubric_file(Path(verdict.rubric_source))
        except UserError:
            file = None
        if file is not None and file.sha256 == verdict.rubric_sha256:
            found = next((r for r in file.rubrics.values() if r.ref == verdict.rubric), None)
            if found is not None:
                return found
    rubric_id = record.metadata.get("rubric") or (verdict.rubric.split("@")[0] if verdict else "")
    try:
        return load_rubric(str(rubric_id or "generic"))
    except UserError:
        return None


def default_rubric(scale: Scale) -> str:
    """A plain guide for an item whose rubric is unknown, on its scale."""
    if scale == LEGACY_SCALE:
        return DEFAULT_RUBRIC
    low, high = scale
    return (f"Rate how well the answer responds to the spoken question, using the reference as a guide, from {low} "
            f"to {high}.\n{high} - fully correct and complete, natural in the expected language.\n"
            f"{low} - wrong, irrelevant, empty, a refusal, or in the wrong language.")


def rating_guide(record: SampleRecord, recorded: Mapping[str, Scale]) -> tuple[str, Scale]:
    """The scoring guide the judge read for this record and the scale of its score (`record_scale`: the
    one `seabench agreement` checks ratings against); a record never judged takes its rubric's scale."""
    rubric = judged_rubric(record)
    if record.verdicts or rubric is None:
        scale = record_scale(record, recorded)
    else:
        scale = (rubric.scale_min, rubric.scale_max)
    return (rubric.guide() if rubric else default_rubric(scale)), scale


def _items(records: list[tuple[SampleRecord, list[Path], Mapping[str, Scale]]],
           rubric_text: Callable[[str], str] | None) -> list[Item]:
    """`rubric_text(task)` overrides the rubric text recorded with each sample's verdict (not its scale)."""
    items = []
    for i, (record, clips, recorded) in enumerate(records):
        ref = record.reference if record.reference is not None else record.label
        guide, scale = rating_guide(record, recorded)
        items.append(Item(index=i, task=record.task, sample_id=record.sample_id, language=record.language,
                          prompt=record.prompt, reference=ref if isinstance(ref, str) else "\n".join(ref or []),
                          choices=record.choices or [], answer=record.output.text if record.output else "",
                          audio=[f"/audio/{i}/{k}" for k in range(len(clips))],
                          rubric=rubric_text(record.task) if rubric_text else guide, scale=scale))
    return items


class AnnotationServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, run_dirs: Path | list[Path], *, port: int, ratings: Path | None = None,
                 rubric_text: Callable[[str], str] | None = None, host: str = "127.0.0.1",
                 tasks: list[str] | None = None, seed: int = 0) -> None:
        dirs = [Path(run_dirs)] if isinstance(run_dirs, (str, Path)) else [Path(d) for d in run_dirs]
        rows: list[tuple[SampleRecord, list[Path], Mapping[str, Scale]]] = []
        for run_dir in dirs:
            run = load_run(run_dir)
            judged = [n for n, t in run.result.tasks.items() if t.judge or t.rubric]
            for task in sorted(tasks or judged or sorted(run.records)):
                result = run.result.tasks.get(task)
                recorded = result.judging.scales if result and result.judging else {}
                for _, record in sorted(run.records.get(task, {}).items()):
                    clips = [p for ref in record.audio if (p := resolve_audio(ref.path, run_dir)) is not None
                             and p.suffix.lower() in AUDIO_TYPES]
                    rows.append((record, clips, recorded))
        if len(dirs) > 1:
            random.Random(seed).shuffle(rows)  # mix models so the order does not reveal who answered
        self.item_runs = [record.run_id for record, _, _ in rows]  # server side only, never sent to the page
        self.clips = [clips for _, clips, _ in rows]
        self.items = _items(rows, rubric_text)
        self.ratings_path = Path(ratings) if ratings else dirs[0] / RATINGS_FILE
        self.ratings_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fh = open(self.ratings_path, "a", encoding="utf-8")
        super().__init__((host, port), _Handler)
        self.allowed_hosts = {f"{host}:{self.server_address[1]}", f"localhost:{self.server_address[1]}"}

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}/"

    def rate(self, req: RateRequest) -> HumanRating:
        item = self.items[req.index]
        rating = HumanRating(task=item.task, sample_id=item.sample_id, model=self.item_runs[req.index],
                             rater=req.rater.strip(),
                             score=req.score, language=item.language, comment=req.comment,
                             time=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        with self._lock:
            append_rating(self._fh, rating)
        return rating

    def rated_by(self, rater: str) -> dict[int, int]:
        """index -> latest score this rater gave (lets a rater resume after a restart)."""
        index = {(it.task, it.sample_id, self.item_runs[it.index]): it.index for it in self.items}
        with self._lock:
            ratings = read_ratings(self.ratings_path) if self.ratings_path.stat().st_size else []
        return {index[(r.task, r.sample_id, r.model)]: r.score for r in ratings
                if r.rater == rater and (r.task, r.sample_id, r.model) in index}

    def server_close(self) -> None:
        super().server_close()
        self._fh.close()


class _Handler(BaseHTTPRequestHandler):
    server: AnnotationServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # keep the terminal quiet; ratings are the record

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") not in self.server.allowed_hosts:
            self._json(HTTPStatus.FORBIDDEN, {"error": "bad host"})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802
        if not self._host_ok():
            return
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if url.path == "/":
            self._page()
        elif url.path == "/api/state":
            rater = parse_qs(url.query).get("rater", [""])[0]
            self._json(HTTPStatus.OK, {"rated": self.server.rated_by(rater) if rater else {}})
        elif len(parts) == 3 and parts[0] == "audio" and parts[1].isdigit() and parts[2].isdigit():
            self._audio(int(parts[1]), int(parts[2]))
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _page(self) -> None:
        from seabench.leaderboard.html import render_page

        payload = {"items": [it.model_dump() for it in self.server.items]}
        html = render_page("annotate.html.j2", ["annotate.js"], payload, connect="'self'", n=len(self.server.items))
        self._send(HTTPStatus.OK, html.encode("utf-8"), "text/html; charset=utf-8")

    def _audio(self, item: int, clip: int) -> None:
        clips = self.server.clips
        if item >= len(clips) or clip >= len(clips[item]):
            self._json(HTTPStatus.NOT_FOUND, {"error": "no such clip"})
            return
        path = clips[item][clip]
        self._send(HTTPStatus.OK, path.read_bytes(), AUDIO_TYPES[path.suffix.lower()])

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_ok():
            return
        origin = self.headers.get("Origin")
        if urlsplit(self.path).path != "/api/rate":
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        if origin is not None and urlsplit(origin).netloc not in self.server.allowed_hosts:
            self._json(HTTPStatus.FORBIDDEN, {"error": "cross-origin request refused"})
            return
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON"})
            return
        declared = (self.headers.get("Content-Length") or "").strip()
        if not declared.isdigit():  # missing, non-numeric or negative: never read an unbounded body
            self._json(HTTPStatus.BAD_REQUEST, {"error": "a numeric Content-Length is required"})
            return
        length = int(declared)
        if length > MAX_BODY:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too large"})
            return
        try:
            req = RateRequest.model_validate_json(self.rfile.read(length))
        except ValidationError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": exc.errors()[0]["msg"]})
            return
        if not 0 <= req.index < len(self.server.items):
            self._json(HTTPStatus.BAD_REQUEST, {"error": "no such item"})
            return
        low, high = self.server.items[req.index].scale
        if not low <= req.score <= high:
            self._json(HTTPStatus.BAD_REQUEST, {"error": f"score {req.score} is outside this item's scale {low}-{high}"})
            return
        rating = self.server.rate(req)
        self._json(HTTPStatus.OK, {"saved": True, "index": req.index, "score": rating.score})


def make_annotation_server(run_dirs: Path | list[Path], *, port: int = 0, ratings: Path | None = None,
                           rubric_text: Callable[[str], str] | None = None, host: str = "127.0.0.1",
                           tasks: list[str] | None = None, seed: int = 0) -> AnnotationServer:
    """A bound (not yet serving) server; port 0 picks a free port. Call serve_forever() / shutdown()."""
    return AnnotationServer(run_dirs, port=port, ratings=ratings, rubric_text=rubric_text, host=host, tasks=tasks,
                            seed=seed)


def serve_annotation(run_dirs: Path | list[Path], *, port: int, ratings: Path | None = None,
                     rubric_text: Callable[[str], str] | None = None, host: str = "127.0.0.1", seed: int = 0) -> None:
    """Serve until Ctrl-C; prints the URL and where ratings are written."""
    server = make_annotation_server(run_dirs, port=port, ratings=ratings, rubric_text=rubric_text, host=host,
                                    seed=seed)
    print(f"Annotating {len(server.items)} answers at {server.url}  (ratings -> {server.ratings_path}; Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
