"""MMAU test-mini (Sakshi113/MMAU): 1,000 multiple-choice questions over sound, music and speech.

Layout: `mmau-test-mini.json` (a JSON list of objects: id, audio_id such as
`./test-mini-audios/<id>.wav`, question, choices, answer, dataset, task, split, category,
sub-category, difficulty) next to the `test-mini-audios/` folder. `audio_id` is resolved relative
to the JSON file. The gold label is the answer text (the scorer also accepts its letter).
Breakdowns: `category` is MMAU's `task` (sound / music / speech), then `difficulty`; MMAU's own
`category` (information extraction vs reasoning) is kept as `skill`. Beside our `accuracy` the
task reports `accuracy_mmau_rule` (MMAU's own matching rule, see seabench.tasks.mmau).

`mmau@PATH` (a test-mini-layout JSON anywhere, e.g. `mmau@mmau-test-mini.json`) builds the same
task from that file; its audio paths resolve next to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from seabench import AudioRef, Sample, Task, UserError
from seabench.tasks.datasets._source import Source, loader

JSON_NAMES = ("mmau-test-mini.json", "mmau_test_mini.json")

SOURCE = Source(
    dataset="mmau", layouts=(".",), formats=tuple((name, "test-mini-audios") for name in JSON_NAMES),
    what="mmau-test-mini.json + test-mini-audios/",
    how=("curl -L -o {root}/mmau-test-mini.json https://raw.githubusercontent.com/Sakshi113/MMAU/main/"
         "mmau-test-mini.json and extract test-mini-audios.tar.gz (linked from the MMAU README) into {root}"))


def load(base: Path) -> Iterator[Sample]:
    return load_json(next(base / n for n in JSON_NAMES if (base / n).is_file()))


def load_json(path: Path) -> Iterator[Sample]:
    base = path.parent
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a JSON file ({exc})") from None
    if not isinstance(items, list):
        raise UserError(f"{path}: expected a JSON list of questions")
    for n, item in enumerate(items):
        missing = [k for k in ("id", "audio_id", "question", "choices", "answer") if k not in item]
        if missing:
            raise UserError(f"{path}: item {n} has no {', '.join(missing)}")
        yield Sample(
            id=str(item["id"]), audio=[AudioRef(path=str((base / item["audio_id"]).resolve()))],
            instruction=item["question"], choices=[str(c) for c in item["choices"]], label=str(item["answer"]),
            language="en",
            metadata={"category": item.get("task", ""), "difficulty": item.get("difficulty", ""),
                      "sub_category": item.get("sub-category", ""), "skill": item.get("category", ""),
                      "dataset": item.get("dataset", "")})


BREAKDOWNS = ("category", "difficulty", "sub_category")


def tasks() -> list[Task]:
    from seabench.tasks.mmau import mcq

    return [mcq("mmau/test-mini", loader(SOURCE, load), ["en"], data_status=SOURCE.status, mmau_rule=True,
                breakdown_keys=BREAKDOWNS, description="MMAU test-mini (Sakshi113/MMAU): sound, music and speech MCQ")]


def from_json(path: Path) -> Task:
    """`mmau@PATH`: an MMAU-layout JSON anywhere on disk (test-mini, or a subset of it)."""
    from seabench.tasks.mmau import mcq

    samples = list(load_json(path))
    return mcq(f"mmau/{path.stem}", lambda: samples, ["en"], mmau_rule=True, size=len(samples),
               breakdown_keys=BREAKDOWNS, description=f"MMAU-layout questions from {path}")
