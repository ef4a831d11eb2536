"""SeaBench-Audio as a judge-scored task: `seabench-audio/test` reads SeaLLMs/SeaBench-Audio's
`test.parquet` (loader in tasks/datasets/seabench_audio.py) and each item is judged with the
rubric of its task type. SeaBench-Audio picks a rule by the task-name prefix before `_` (SQA, ASR,
S2TT, ...); here the prefix is looked up in the `families` of the rubrics in rubrics/*.yaml, so
adding or renaming a rubric needs no code. A prefix no rubric claims falls back to `generic` and
is reported as a task problem. `--rubrics rules.json` judges with SeaBench-Audio's own rules file.

Answers are generated as SeaBench-Audio's `gen_responses.py` does (greedy, at most 2048 new
tokens, repetition penalty 1.1) unless `-G` says otherwise. Scores are on the 1-5 scale with CIs,
broken down by language, task type and their cross (SeaBench-Audio's summary.csv and task.csv);
`seabench-audio@PATH` runs any copy of the parquet."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from seabench.tasks.datasets._source import loader
from seabench.tasks.datasets.seabench_audio import SOURCE, load_seabench_audio
from seabench.tasks.open_ended import judged

from seabench import GenerationConfig, Sample, Task
from seabench.judging import all_rubrics

LANGUAGES = ("en", "id", "th", "vi", "zh")
FALLBACK = "generic"
GENERATION = GenerationConfig(max_new_tokens=2048, repetition_penalty=1.1, temperature=0.0)
BREAKDOWNS = ("language", "task_type", ("task_type", "language"), "rubric", "subset")


def rubric_for_prefix(prefix: str) -> str | None:
    """SeaBench-Audio task prefix (case-insensitive) -> rubric id, from the rubrics' `families`."""
    wanted = prefix.strip().lower()
    for rubric in all_rubrics().values():
        if any(f.lower() == wanted for f in rubric.families):
            return rubric.id
    return None


def with_rubrics(samples: list[Sample]) -> list[Sample]:
    """Point each item's `metadata.rubric` at a rubric id (the loader stores the task type)."""
    out = []
    for s in samples:
        prefix = str(s.metadata.get("task_type") or s.metadata.get("rubric") or str(s.metadata.get("subset", "")).split("_")[0])
        rubric = rubric_for_prefix(prefix)
        out.append(s.model_copy(update={"metadata": {**s.metadata, "task_type": prefix,
                                                     "rubric": rubric or FALLBACK}}))
    return out


def load(path: Path) -> list[Sample]:
    return with_rubrics(load_seabench_audio(path))


def unclaimed(samples: list[Sample]) -> tuple[str, ...]:
    prefixes = sorted({str(s.metadata["task_type"]) for s in samples if rubric_for_prefix(str(s.metadata["task_type"])) is None})
    return tuple(f"SeaBench-Audio task type {p!r} has no rubric; judged with '{FALLBACK}'" for p in prefixes)


def _task(name: str, load_fn, description: str, **kwargs: object) -> Task:  # noqa: ANN001 - loader
    task = judged(name, load_fn, LANGUAGES, family="seabench-audio", rubric=FALLBACK, breakdown_keys=BREAKDOWNS,
                  description=description, **kwargs)
    return dataclasses.replace(task, generation=GENERATION)


def from_parquet(path: Path) -> Task:
    """`seabench-audio@PATH`: a copy of the parquet (or a folder holding it) anywhere on disk."""
    samples = load(path)
    return _task(f"seabench-audio/{path.stem}", lambda: samples, f"SeaBench-Audio from {path}",
                 size=len(samples), problems=unclaimed(samples))


def tasks() -> list[Task]:
    return [_task("seabench-audio/test", loader(SOURCE, load), "SeaBench-Audio (SeaLLMs/SeaBench-Audio): open "
                  "audio questions in en/zh/id/th/vi, judged 1-5 with a rubric per task type",
                  data_status=SOURCE.status)]
