"""A user's own rubrics (`--rubrics PATH`, or `-J rules=PATH`), used instead of the shipped ones.

Two formats are read:
- SeaBench-Audio's `rules.json` as published: one JSON object mapping a task-type prefix ("SQA",
  "ASR", ...) to the full text of its scoring guide, which lists "Rating 1:" to "Rating 5:". The
  text is shown to the judge verbatim, applied first-match from rating 1 upward.
- Our rubric YAML (the layout of rubrics/*.yaml): one rubric, a list of them, or a folder of them.

An item takes the file's rubric for its task type (SeaBench-Audio's prefix), else the file's
rubric with the item's rubric id; an item the file does not cover keeps the shipped rubric, and
the results say how many did. The file's sha256 is recorded with every verdict it produced.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from seabench.errors import UserError
from seabench.judging.rubric import Rubric, load_rubric

RULES_OPTION = "rules"  # -J rules=PATH
_RATING = re.compile(r"Rating\s+([1-5])\s*:", re.I)


@dataclass(frozen=True)
class RubricFile:
    path: str
    sha256: str
    rubrics: dict[str, Rubric]  # id -> rubric
    by_type: dict[str, Rubric] = field(default_factory=dict)  # task-type prefix (folded) -> rubric

    def rubric_for(self, task_type: str | None, rubric_id: str) -> Rubric:
        """The file's rubric for an item, or the shipped one when the file does not cover it."""
        if task_type and task_type.casefold() in self.by_type:
            return self.by_type[task_type.casefold()]
        if rubric_id in self.rubrics:
            return self.rubrics[rubric_id]
        shipped = load_rubric(rubric_id)
        for family in shipped.families:  # a shipped rubric's task types, e.g. spoken_qa -> SQA
            if family.casefold() in self.by_type:
                return self.by_type[family.casefold()]
        return shipped


def _levels_from_text(name: str, text: str, where: str) -> dict[int, str]:
    """"Rating 1: ... Rating 5: ..." -> {1: "...", ...}; every rating must be there, once."""
    marks = list(_RATING.finditer(text))
    found = [int(m.group(1)) for m in marks]
    if sorted(found) != [1, 2, 3, 4, 5]:
        raise UserError(f"{where}: rule {name!r} must list Rating 1: to Rating 5: once each (found {found or 'none'})")
    ends = [m.start() for m in marks[1:]] + [len(text)]
    return {int(m.group(1)): text[m.end():end].strip() for m, end in zip(marks, ends)}


def _from_rules_json(data: dict[str, object], path: Path, sha: str) -> RubricFile:
    rubrics: dict[str, Rubric] = {}
    for name, text in data.items():
        if not isinstance(text, str):
            raise UserError(f"{path}: rule {name!r} must be text (a SeaBench-Audio rules.json maps task types to text)")
        rubrics[name] = Rubric(
            id=name, version=f"file-{sha[:12]}", title=f"{name} rules from {path.name}", families=[name],
            first_match=True, levels=_levels_from_text(name, text, str(path)),
            inputs=["audio", "question", "reference", "answer"], verbatim=text, source=str(path), source_sha256=sha)
    return RubricFile(str(path), sha, rubrics, {k.casefold(): r for k, r in rubrics.items()})


def _from_yaml(documents: list[object], path: Path, sha: str) -> RubricFile:
    rubrics: dict[str, Rubric] = {}
    for doc in documents:
        try:
            rubric = Rubric.model_validate({**doc, "source": str(path), "source_sha256": sha})  # type: ignore[dict-item]
        except (ValidationError, TypeError) as exc:
            raise UserError(f"{path}: not a rubric ({str(exc).splitlines()[0]}); expected SeaBench-Audio's rules.json "
                            "(task type -> rule text) or rubric YAML like rubrics/*.yaml") from None
        rubrics[rubric.id] = rubric
    by_type = {f.casefold(): r for r in rubrics.values() for f in r.families}
    return RubricFile(str(path), sha, rubrics, by_type)


def load_rubric_file(path: Path) -> RubricFile:
    """Read a rules.json or rubric YAML file (or a folder of YAML rubrics); one clear error if it is neither."""
    path = Path(path).expanduser()
    if path.is_dir():
        files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
        if not files:
            raise UserError(f"{path}: no *.yaml rubrics in this folder")
        blob = b"".join(f.read_bytes() for f in files)
        docs = [yaml.safe_load(f.read_text(encoding="utf-8")) for f in files]
        return _from_yaml(docs, path, hashlib.sha256(blob).hexdigest())
    if not path.is_file():
        raise UserError(f"rubrics file not found: {path}")
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read it as JSON or YAML ({str(exc).splitlines()[0]})") from None
    if isinstance(data, dict) and data and all(isinstance(v, str) for v in data.values()):
        return _from_rules_json(data, path, sha)
    if isinstance(data, dict):
        return _from_yaml([data], path, sha)
    if isinstance(data, list) and data:
        return _from_yaml(data, path, sha)
    raise UserError(f"{path}: expected SeaBench-Audio's rules.json (task type -> rule text) or rubric YAML")


def split_rules_option(options: dict[str, object] | None) -> tuple[dict[str, object], RubricFile | None]:
    """Judge options without `rules`, and the rubric file it names (None without it)."""
    rest = dict(options or {})
    path = rest.pop(RULES_OPTION, None)
    return rest, (load_rubric_file(Path(str(path))) if path else None)
