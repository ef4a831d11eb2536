"""SeaBench-Audio (SeaLLMs/SeaBench-Audio): open-ended audio questions in en/zh/id/th/vi, rated
1-5 by a judge with a per-task rubric.

The Hub ships one `test.parquet` with columns idx, language, task, query, reference and audio
(`{"bytes", "path"}`, empty for text-only questions). The rubric is named by the part of `task`
before the first `_` (e.g. `SQA_...` -> `SQA`), as in SeaBench-Audio's `rules.json`.
This module only reads the data; the judge-scored task built on it lives with the open tasks.
"""

from __future__ import annotations

from pathlib import Path

from seabench import Sample, UserError
from seabench.tasks.datasets import hf
from seabench.tasks.datasets._blobs import audio_ref
from seabench.tasks.datasets._source import Source

SOURCE = Source(
    dataset="seabench-audio", layouts=(".",), formats=(("test.parquet",), ("*.parquet",), ("data/*.parquet",)),
    what="SeaBench-Audio test.parquet",
    how="hf download SeaLLMs/SeaBench-Audio --repo-type dataset --local-dir {root}")
COLUMNS = ("idx", "language", "task", "query", "reference")


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
        samples.append(Sample(
            id=sample_id, audio=[ref] if ref else [], instruction=str(row["query"] or ""),
            reference=str(row["reference"] or ""), language=str(row["language"]),
            metadata={"subset": task, "rubric": task.split("_")[0], "idx": row["idx"]}))
    return samples
