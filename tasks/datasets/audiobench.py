"""AudioBench-style Hugging Face datasets, and the MNSC (IMDA National Speech Corpus) ASR tasks.

AudioBench and MERaLiON publish test sets with the columns `context` (the audio), `instruction`,
`answer` and `other_attributes`. Older AudioBench sets nest them: `context: {"text", "audio"}`,
`instruction: {"text", "audio"}`, `answer: {"text", "audio"}`; both shapes are read. The data may
be a `save_to_disk` folder or parquet files (e.g. the Hub snapshot of
MERaLiON/Multitask-National-Speech-Corpus-v1, `ASR-PART1-Test/train-0000x-of-0000y.parquet`).

Sample ids are the row position (`00000`, `00001`, ...): these sets have no id column, and their
row order is fixed by the published files. Scalar `other_attributes` become sample metadata.
ASR tasks use SeaBench's own transcription prompt rather than the dataset's `instruction` (which
AudioBench drew at random from a list), so every model sees the same prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seabench import Sample, Task
from seabench.tasks.datasets import hf
from seabench.tasks.datasets._blobs import audio_ref
from seabench.tasks.datasets._source import Source, loader

MNSC_ASR_PARTS = (1, 2, 3, 4, 5, 6)
FORMATS = (("state.json",), ("dataset_dict.json",), ("*.parquet",), ("data/*.parquet",))


def load_audiobench(path: Path, language: str, *, use_instruction: bool = True,
                    target_language: str | None = None) -> Iterator[Sample]:
    """Samples of an AudioBench-style dataset (save_to_disk folder, parquet file or parquet folder)."""
    base = hf.folder_of(path)
    for i, row in enumerate(hf.iter_rows(path)):
        ref = audio_ref(hf.audio_of(row.get("context")), base)
        yield Sample(id=f"{i:05d}", audio=[ref] if ref else [],
                     instruction=hf.text_of(row.get("instruction")) if use_instruction else "",
                     reference=hf.text_of(row.get("answer")), language=language, target_language=target_language,
                     metadata=hf.scalars(row.get("other_attributes")))


def mnsc_source(part: int) -> Source:
    folder = f"ASR-PART{part}-Test"
    return Source(
        dataset="mnsc", layouts=(folder,), formats=FORMATS,
        what=f"MNSC {folder} (parquet files, or an AudioBench imda_part{part} set saved with save_to_disk)",
        how=(f"hf download MERaLiON/Multitask-National-Speech-Corpus-v1 --repo-type dataset "
             f"--include '{folder}/*' --local-dir {{root}} (accept the licence on the dataset page first)"))


def tasks() -> list[Task]:
    from seabench.tasks.asr import asr

    found = []
    for part in MNSC_ASR_PARTS:
        src = mnsc_source(part)
        found.append(asr(f"asr/mnsc-part{part}",
                         loader(src, lambda base: load_audiobench(base, "en-SG", use_instruction=False)), ["en-SG"],
                         data_status=src.status,
                         description=f"Singapore English ASR, IMDA National Speech Corpus part {part} (MNSC test)"))
    return found
