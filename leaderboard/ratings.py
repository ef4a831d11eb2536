"""Human ratings: the one file format `seabench annotate` writes and `seabench agreement` reads.

CSV (header row) or JSONL (one object per line), chosen by the file extension, with fields
`task`, `sample_id`, `model` (run id or model id of the judged run), `rater`, `score` (an integer on
the scale of the rubric the item was judged with: 1-5, 0-5 or 0/1) and optionally `language`,
`comment`, `time`. A file does not say which scale an item has, so the range is checked when a
rating is matched with its judged item (`seabench agreement`), and an error names the rating's
file and row (`where`). Several lines for the same (task, sample_id, model, rater) mean the rater
changed their mind: the last one counts.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FIELDS = ("task", "sample_id", "model", "rater", "score", "language", "comment", "time")


class HumanRating(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task: str = Field(min_length=1)
    sample_id: str = Field(min_length=1)
    model: str = Field(min_length=1)
    rater: str = Field(min_length=1)
    score: int = Field(strict=False)
    language: str | None = None
    comment: str = ""
    time: str | None = None
    where: str = Field(default="", exclude=True)  # file:row it was read from, for error messages; never written

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.task, self.sample_id, self.model, self.rater)


def _parse(raw: dict[str, object], where: str) -> HumanRating:
    cleaned = {k: v for k, v in raw.items() if v not in (None, "")}
    score = cleaned.get("score")
    if isinstance(score, bool):
        raise ValueError(f"{where}: score {score!r} is not a number")
    if isinstance(score, str):
        try:
            as_float = float(score)
        except ValueError:
            raise ValueError(f"{where}: score {score!r} is not a number") from None
        if not as_float.is_integer():
            raise ValueError(f"{where}: score {score!r} is not an integer")
        cleaned["score"] = int(as_float)
    elif isinstance(score, float):
        if not score.is_integer():
            raise ValueError(f"{where}: score {score!r} is not an integer")
        cleaned["score"] = int(score)
    try:
        return HumanRating.model_validate({**cleaned, "where": where})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "row"
        raise ValueError(f"{where}: {field}: {first['msg']}") from None


def read_ratings(path: Path) -> list[HumanRating]:
    """All ratings, last one per (task, sample_id, model, rater); a torn final JSONL line is ignored."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: ratings file not found")
    ratings: dict[tuple[str, str, str, str], HumanRating] = {}
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = {"task", "sample_id", "model", "rater", "score"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: CSV header lacks {', '.join(sorted(missing))}")
        rows = [(_parse(dict(row), f"{path}:{i}")) for i, row in enumerate(reader, start=2)]
    else:
        lines = text.splitlines(keepends=True)
        rows = []
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError:
                if i == len(lines) and not line.endswith("\n"):
                    break  # torn last line from a crash mid-write
                raise ValueError(f"{path}:{i}: not valid JSON") from None
            rows.append(_parse(raw, f"{path}:{i}"))
    for r in rows:
        ratings[r.key] = r
    return list(ratings.values())


def append_rating(fh: IO[str], rating: HumanRating) -> None:
    """One JSON line, flushed and fsynced before returning: a crash afterwards loses nothing."""
    fh.write(json.dumps(rating.model_dump(), ensure_ascii=False) + "\n")
    fh.flush()
    os.fsync(fh.fileno())
