"""SeaBench-Audio's own files, for `seabench agreement`.

Judgement files are what its `gen_judgements.py` writes: `judgements/<judge>_eval_<model>.json`, a
JSON list with one object per question (language, task, idx, query, reference, the model's answer,
the judge's text `eval` and its parsed `rating`, null when none was found; its rules are 1-5). Human ratings in the same
layout are read too: a JSON list of objects with language, task, idx and `rating` (or `score`), one
file per rater and model named `<rater>_eval_<model>.json` (the names may instead be given per item
as `rater` and `model`), or a folder of such files. Either kind of file may be passed as a folder.

Items are named as `seabench-audio/test` names them (`<language>-<task>-<idx>`), so SeaBench-Audio's
judgements, our runs and either kind of ratings can be compared with each other.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from seabench.leaderboard.agreement_report import JudgedItem, JudgedRun
from seabench.leaderboard.ratings import HumanRating, read_ratings

TASK = "seabench-audio/test"
SBA_SCALE = (1, 5)  # every rule in its rules.json runs from Rating 1 to Rating 5
MARK = "_eval_"
KEYS = ("language", "task", "idx")


def sample_id(item: dict[str, Any]) -> str:
    return f"{item['language']}-{item['task']}-{item['idx']}"


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.glob("*.json") if MARK in p.stem) if path.is_dir() else [path]


def _items(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON file ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) and all(k in d for k in KEYS) for d in data):
        raise ValueError(f"{path}: expected a JSON list of objects with {', '.join(KEYS)} (SeaBench-Audio's layout)")
    return data


def is_sba_judgements(path: Path) -> bool:
    """A `*_eval_*.json` file, or a folder holding some (a run directory has results.json instead)."""
    path = Path(path)
    if path.is_dir():
        return not (path / "results.json").exists() and any(MARK in p.stem for p in path.glob("*.json"))
    return path.suffix.lower() == ".json" and MARK in path.stem


def _rating(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def read_sba_judgements(path: Path) -> list[JudgedRun]:
    """One JudgedRun per judgement file; a missing rating (the judge's reply had none) is unscored."""
    runs = []
    for file in _files(Path(path)):
        judge, _, model = file.stem.partition(MARK)
        items = {(TASK, sample_id(d)): JudgedItem(_rating(d.get("rating")), str(d["language"]),
                                                   str(d["task"]).split("_")[0], SBA_SCALE) for d in _items(file)}
        runs.append(JudgedRun(run_id=file.stem, model=model, source=str(file), judge=judge,
                              rubrics="SeaBench-Audio rules.json (its text is in each item's judgement_prompt)",
                              items=items))
    if not runs:
        raise ValueError(f"{path}: no <judge>_eval_<model>.json judgement files here")
    return runs


def read_sba_ratings(path: Path) -> list[HumanRating]:
    """Human ratings in SeaBench-Audio's layout; items without a rating are left out. Each rating's range is
    checked against its matched item's scale (`agreement_report.match`), which names the file and item."""
    ratings = []
    for file in _files(Path(path)):
        rater, _, model = file.stem.partition(MARK)
        for n, d in enumerate(_items(file)):
            score = _rating(d.get("rating", d.get("score")))
            if score is None:
                continue
            if not float(score).is_integer():
                raise ValueError(f"{file}: item {n}: rating {score:g} is not an integer")
            ratings.append(HumanRating(task=TASK, sample_id=sample_id(d), model=str(d.get("model") or model),
                                       rater=str(d.get("rater") or rater or file.stem), score=int(score),
                                       language=str(d["language"]), where=f"{file}: item {n}"))
    return ratings


def read_any_ratings(path: Path) -> list[HumanRating]:
    """Our ratings file (CSV/JSONL), or ratings in SeaBench-Audio's layout (JSON list or folder)."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".json":
        return read_sba_ratings(path)
    return read_ratings(path)
