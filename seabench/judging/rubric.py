"""Rubrics are data (rubrics/*.yaml, versioned): what each score on the rubric's scale means (1-5
unless it says otherwise, e.g. AudioBench's 0-5 and 0/1), the wrong-language rule, and which inputs
the judge sees. The judge prompt is built from them.

A level is one description, or a list of lines any of which earns it (lettered a, b, c in the
guide, so docs and human raters can point at "3.b"). `first_match` rubrics are applied as
SeaBench-Audio applies its rules: from score 1 upward, the first level that fits is the score.
A user can replace the shipped rubrics with a file of their own (seabench.judging.rubric_file).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from string import ascii_lowercase
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from seabench.errors import unknown_name

Input = Literal["audio", "question", "reference", "answer"]
FIRST_MATCH_RULE = ("Go through the scores from 1 upward and give the first score whose description fits the "
                    "answer; a higher score is reached only when no lower one fits.")


class Rubric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str
    title: str
    families: list[str] = Field(default_factory=list)  # task types it is for (SeaBench-Audio prefixes)
    scale_min: int = 1
    scale_max: int = 5
    first_match: bool = False  # levels checked from the lowest up, the first that fits wins
    criteria: str = ""  # what is being judged, in plain language
    levels: dict[int, str | list[str]]  # score -> description, or lines any of which earns the score
    wrong_language: str = ""  # how an answer in the wrong language is scored
    inputs: list[Input]
    verbatim: str | None = None  # a user's scoring guide, shown exactly as given (e.g. SeaBench-Audio's rules.json)
    source: str | None = None  # the file a user-supplied rubric came from
    source_sha256: str | None = None

    @model_validator(mode="after")
    def _levels_cover_scale(self) -> Rubric:
        expected = set(range(self.scale_min, self.scale_max + 1))
        if set(self.levels) != expected:
            raise ValueError(f"rubric {self.id}: levels must cover {sorted(expected)}")
        if "answer" not in self.inputs:
            raise ValueError(f"rubric {self.id}: the judge must see the answer")
        return self

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def sha256(self) -> str:
        """Of the rubric's source file when a user gave one, else of its definition: recorded with
        every verdict so a score can be tied to the exact words the judge read."""
        if self.source_sha256:
            return self.source_sha256
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()

    def lines(self, score: int) -> list[str]:
        level = self.levels[score]
        return [level] if isinstance(level, str) else list(level)

    def line(self, ref: str) -> str:
        """The text of one line, e.g. "3.b" (or "3" for a one-line level)."""
        score, _, letter = ref.partition(".")
        lines = self.lines(int(score))
        return lines[ascii_lowercase.index(letter)] if letter else " ".join(lines)

    def guide(self) -> str:
        """The scoring guide shown to judges and to human raters (the same words for both)."""
        if self.verbatim is not None:
            return self.verbatim.strip()
        order = sorted(self.levels, reverse=not self.first_match)
        lines = [self.title, "", self.criteria.strip(), "", "Scores:"]
        if self.first_match:
            lines += [FIRST_MATCH_RULE]
        for score in order:
            level = self.lines(score)
            if len(level) == 1:
                lines.append(f"{score}: {level[0].strip()}")
            else:
                lines.append(f"{score}: if any of these holds:")
                lines += [f"  {score}.{ascii_lowercase[i]} {text.strip()}" for i, text in enumerate(level)]
        if self.wrong_language:
            lines += ["", f"Wrong language: {self.wrong_language.strip()}"]
        return "\n".join(lines)


@lru_cache(maxsize=None)
def all_rubrics() -> dict[str, Rubric]:
    folder = resources.files("seabench.rubrics")
    found: dict[str, Rubric] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            rubric = Rubric.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
            found[rubric.id] = rubric
    return found


def load_rubric(rubric_id: str) -> Rubric:
    rubrics = all_rubrics()
    if rubric_id not in rubrics:
        raise unknown_name("rubric", rubric_id, rubrics)
    return rubrics[rubric_id]


def shipped_scale(ref: str) -> tuple[int, int] | None:
    """(lowest, highest) score of the shipped rubric named `ref` (id@version or id), for verdicts and
    results written before the scale was recorded with them; None when no shipped rubric has that id."""
    rubric = all_rubrics().get(ref.partition("@")[0])
    return None if rubric is None else (rubric.scale_min, rubric.scale_max)
