"""Rubrics are data (rubrics/*.yaml, versioned): what each score on the 1-5 scale means, the
wrong-language rule, and which inputs the judge sees. The judge prompt is built from them."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from seabench.errors import unknown_name

Input = Literal["audio", "question", "reference", "answer"]


class Rubric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str
    title: str
    families: list[str] = Field(default_factory=list)  # task types it is for (SeaBench-Audio prefixes)
    scale_min: int = 1
    scale_max: int = 5
    criteria: str  # what is being judged, in plain language
    levels: dict[int, str]  # score -> description
    wrong_language: str  # how an answer in the wrong language is scored
    inputs: list[Input]

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

    def guide(self) -> str:
        """The scoring guide shown to judges and to human raters (the same words for both)."""
        lines = [f"{self.title}", "", self.criteria.strip(), "", "Scores:"]
        lines += [f"{score}: {text.strip()}" for score, text in sorted(self.levels.items(), reverse=True)]
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
