"""SeaBench-Audio (SeaLLMs/SeaBench-Audio): open-ended audio questions in en/zh/id/th/vi, rated
1-5 by a judge with a per-task rubric.

The Hub ships one `test.parquet` with columns idx, language, task, query, reference and audio
(`{"bytes", "path"}`, empty for text-only questions). The task type is the part of `task` before
the first `_` (e.g. `SQA_...` -> `SQA`), as SeaBench-Audio's `gen_judgements.py` picks a rule from
`rules.json`. A translation item (`S2TT`) records its target language, read from the task name
(`S2TT_en2th`) or else from the language the query names ("... into Thai"), so the judge and the
wrong-language check expect the translation's language, not the spoken one.
This module only reads the data; the judge-scored task built on it is tasks/seabench_audio.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from seabench import Sample, UserError
from seabench.extract._synonyms import SYNONYMS
from seabench.extract.labels import languages_named
from seabench.tasks.datasets import hf
from seabench.tasks.datasets._blobs import audio_ref
from seabench.tasks.datasets._source import Source

SOURCE = Source(
    dataset="seabench-audio", layouts=(".",), formats=(("test.parquet",), ("*.parquet",), ("data/*.parquet",)),
    what="SeaBench-Audio test.parquet",
    how="hf download SeaLLMs/SeaBench-Audio --repo-type dataset --local-dir {root}")
COLUMNS = ("idx", "language", "task", "query", "reference")
TRANSLATION = "s2tt"
KNOWN = set(SYNONYMS["language"])
_PAIR = re.compile(r"([a-z]{2})(?:2|-|_to_|_)([a-z]{2})$")


def task_type(task: str) -> str:
    """SeaBench-Audio's task type: the task name up to the first `_`."""
    return task.split("_")[0]


def translation_target(task: str, query: str, language: str) -> str | None:
    """The language a translation item's answer should be in; None when neither the task name
    nor the query says (the judge then expects the language the user asked for)."""
    pair = _PAIR.search(task.lower()[len(task_type(task)):])
    if pair and {pair.group(1), pair.group(2)} <= KNOWN:
        return pair.group(2)
    named = languages_named(query) - {language}
    return named.pop() if len(named) == 1 else None


def load_seabench_audio(path: Path) -> list[Sample]:
    """Samples from `test.parquet` (or a folder holding it). Ids are `<language>-<task>-<idx>`."""
    samples: list[Sample] = []
    seen: set[str] = set()
    base = hf.folder_of(path)
    for n, row in enumerate(hf.iter_rows(path)):
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise UserError(f"{path}: row {n} has no {', '.join(missing)} (is this SeaBench-Audio's parquet?)")
        task = str(row["task"])
        sample_id = f"{row['language']}-{task}-{row['idx']}"
        if sample_id in seen:
            raise UserError(f"{path}: row {n}: duplicate id {sample_id!r}")
        seen.add(sample_id)
        ref = audio_ref(row.get("audio"), base)
        query, language = str(row["query"] or ""), str(row["language"])
        kind = task_type(task)
        samples.append(Sample(
            id=sample_id, audio=[ref] if ref else [], instruction=query, reference=str(row["reference"] or ""),
            language=language,
            target_language=translation_target(task, query, language) if kind.lower() == TRANSLATION else None,
            metadata={"subset": task, "task_type": kind, "rubric": kind, "idx": row["idx"]}))
    return samples
