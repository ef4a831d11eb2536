"""AudioBench's test sets (AudioLLMs/<name> on the Hub) and MERaLiON's MNSC sets, read from disk.

AudioBench and MERaLiON publish test sets with the columns `context` (the audio), `instruction`,
`answer` and, on some, `other_attributes`, `choices` (multiple choice) or `speech_instruction`
(the words of a spoken request). Older sets nest them: `context: {"text", "audio"}`,
`instruction: {"text", "audio"}`, `answer: {"text", "audio"}`; both shapes are read. The data may
be a `save_to_disk` folder or parquet files (the Hub snapshot: `data/test-0000x-of-0000y.parquet`,
or MNSC's `ASR-PART1-Test/train-0000x-of-0000y.parquet`). Audio is decoded by SeaBench's own
loader (soundfile), never by `datasets`.

Sample ids are the row position (`00000`, `00001`, ...): these sets have no id column, and their
row order is fixed by the published files. Scalar `other_attributes` become sample metadata.
Where AudioBench draws the prompt at random from a list (ASR, translation, captions, speech
instructions, paralinguistics), SeaBench uses one fixed prompt so every model sees the same one.
The catalogue (what each set is, which metric AudioBench reports) is `audiobench_catalog.py`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from seabench import Sample, Task
from seabench.tasks.datasets import hf
from seabench.tasks.datasets._blobs import audio_ref
from seabench.tasks.datasets._source import Source, loader
from seabench.tasks.datasets.audiobench_catalog import ENTRIES, MNSC_REPO, SHARED_ASR, Entry

FORMATS = (("state.json",), ("dataset_dict.json",), ("*.parquet",), ("data/*.parquet",), ("*/*.parquet",))
MNSC_ASR_PARTS = (1, 2, 3, 4, 5, 6)
_CHOICE = re.compile(r"\(([A-J])\)\s*(.*?)\s*(?=\([A-J]\)|$)", re.S)


# ---------------------------------------------------------------- reading rows


def read_rows(path: Path, split: str = "test") -> Iterator[tuple[int, dict[str, Any], Path]]:
    """(row position, row, folder that relative audio paths start from) for every row."""
    base = hf.folder_of(path)
    for i, row in enumerate(hf.iter_rows(path, split)):
        yield i, row, base


def _base_sample(i: int, row: dict[str, Any], base: Path, language: str, metadata: dict[str, Any] | None = None,
                 **fields: Any) -> Sample:
    ref = audio_ref(hf.audio_of(row.get("context")), base)
    return Sample(id=f"{i:05d}", audio=[ref] if ref else [], language=language,
                  metadata={**hf.scalars(row.get("other_attributes")), **(metadata or {})}, **fields)


def load_audiobench(path: Path, language: str, *, use_instruction: bool = True,
                    target_language: str | None = None, split: str = "test") -> Iterator[Sample]:
    """Samples with the answer as reference (ASR, translation, open answers)."""
    for i, row, base in read_rows(path, split):
        yield _base_sample(i, row, base, language, target_language=target_language,
                           instruction=hf.text_of(row.get("instruction")) if use_instruction else "",
                           reference=_answer(row))


def _answer(row: dict[str, Any]) -> str | list[str]:
    value = row.get("answer")
    inner = value.get("text") if isinstance(value, dict) else value
    if isinstance(inner, list):
        return [str(v) for v in inner]
    return "" if inner is None else str(inner)


def parse_choices(value: Any) -> list[str]:
    """AudioBench's options, "(A) x\\n(B) y" in one string or ["(A) x", "(B) y"], as ["x", "y"]."""
    text = "\n".join(str(v) for v in value) if isinstance(value, list) else str(value or "")
    found = [option.strip() for _, option in _CHOICE.findall(text)]
    return found or [line.strip() for line in text.splitlines() if line.strip()]


def choice_label(answer: str, choices: list[str]) -> str:
    """The gold option's text from an answer such as "(B) Give her a ride"."""
    match = re.match(r"\s*\(([A-J])\)", answer)
    index = ord(match.group(1)) - ord("A") if match else -1
    return choices[index] if 0 <= index < len(choices) else re.sub(r"^\s*\([A-J]\)\s*", "", answer).strip()


def load_choices(path: Path, language: str, split: str = "test") -> Iterator[Sample]:
    """Multiple choice: question in `instruction`, options in `choices`, "(A) ..." in `answer`."""
    for i, row, base in read_rows(path, split):
        choices = parse_choices(row.get("choices"))
        answer = hf.text_of(row.get("answer"))
        yield _base_sample(i, row, base, language, instruction=hf.text_of(row.get("instruction")), choices=choices,
                           label=choice_label(answer, choices), reference=answer)


def gold_label(reference: str, labels: list[str], kind: str | None) -> str | None:
    """The class a reference sentence names ("...it seems they are in a neutral state." -> neutral),
    found with the same extractor that reads model answers; None when it names none or several."""
    from seabench.extract import extract_label

    found = extract_label(reference, labels, "en", kind)
    return None if found.index is None else labels[found.index]


def load_labels(path: Path, entry: Entry) -> list[Sample]:
    """Closed-set answers: the class is read from AudioBench's reference sentence (the sentence is
    kept as the reference for judges). Without fixed classes, the classes are the distinct answers."""
    rows = [(i, row, base, hf.text_of(row.get("answer")).strip()) for i, row, base in read_rows(path, entry.split)]
    labels = list(entry.labels) or sorted({answer.rstrip(".").strip() for *_, answer in rows if answer})
    return [_base_sample(i, row, base, entry.language, instruction=entry.question, choices=labels,
                         label=gold_label(answer, labels, entry.label_kind), reference=answer)
            for i, row, base, answer in rows]


def load_open(path: Path, entry: Entry) -> Iterator[Sample]:
    """Open answers judged against the reference. The question is the row's `instruction` (or the
    entry's fixed prompt); a spoken request's own words go to `metadata.transcript` for judges."""
    for i, row, base in read_rows(path, entry.split):
        words = hf.text_of(row.get("speech_instruction")) or hf.text_of(row.get("context_transcript"))
        yield _base_sample(i, row, base, entry.language, metadata={"transcript": words} if words else None,
                           instruction=entry.question or hf.text_of(row.get("instruction")), reference=_answer(row))


# ---------------------------------------------------------------- where the data lives


def source(entry: Entry) -> Source:
    dataset, _, layout = entry.folder.partition("/")
    if not entry.public:
        return Source(dataset=dataset, layouts=(layout,), formats=FORMATS[:2],
                      what=f"AudioBench's private '{entry.audiobench}' (a save_to_disk folder)",
                      how="it is not public (AudioBench scores a private copy); ask its owners for access")
    include = f" --include '{entry.subdir}/*'" if entry.subdir else ""
    target = "{root}" if entry.repo == MNSC_REPO else "{root}/" + layout
    gated = " (accept the licence on the dataset page first)" if entry.repo == MNSC_REPO else ""
    return Source(dataset=dataset, layouts=(layout,), formats=FORMATS,
                  what=f"{entry.repo}{'/' + entry.subdir if entry.subdir else ''} (parquet or save_to_disk)",
                  how=f"hf download {entry.repo} --repo-type dataset{include} --local-dir {target}{gated}")


def mnsc_source(part: int) -> Source:
    folder = f"ASR-PART{part}-Test"
    return Source(
        dataset="mnsc", layouts=(folder,), formats=FORMATS,
        what=f"MNSC {folder} (parquet files, or an AudioBench imda_part{part} set saved with save_to_disk)",
        how=(f"hf download {MNSC_REPO} --repo-type dataset --include '{folder}/*' --local-dir {{root}} "
             "(accept the licence on the dataset page first)"))


# ---------------------------------------------------------------- tasks


def _build(entry: Entry, load: Callable[[], Iterable[Sample]], status: Callable[..., Any]) -> Task:
    from seabench.tasks.asr import asr
    from seabench.tasks.audiobench_judge import CHOICE_RUBRIC, OPEN_RUBRICS, PARALINGUISTIC_RUBRIC, with_audiobench_judge
    from seabench.tasks.audiobench_wer import with_audiobench_wer
    from seabench.tasks.codeswitch import with_mixed_error_rate
    from seabench.tasks.math_answer import number_answer
    from seabench.tasks.mmau import mcq
    from seabench.tasks.open_ended import judged
    from seabench.tasks.paralinguistics import label

    common = {"data_status": status, "size": entry.size, "description": f"{entry.description} (AudioBench "
              f"'{entry.audiobench}'; {entry.repo or 'private'})"}
    family = entry.task.split("/")[0]
    if entry.kind == "asr":
        task = with_audiobench_wer(asr(entry.task, load, [entry.language], **common), entry.asr_rule)
        return with_mixed_error_rate(task) if entry.code_switched else task
    if entry.kind == "math":
        return number_answer(entry.task, load, [entry.language], **common)
    if entry.kind == "mcq":
        task = mcq(entry.task, load, [entry.language], **common)
        return with_audiobench_judge(dataclasses.replace(task, family=family), CHOICE_RUBRIC)
    if entry.kind == "label":
        return with_audiobench_judge(label(entry.task, load, [entry.language], kind=entry.label_kind, **common),
                                     PARALINGUISTIC_RUBRIC)
    rubric = OPEN_RUBRICS.get(family, PARALINGUISTIC_RUBRIC)
    return with_audiobench_judge(judged(entry.task, load, [entry.language], family=family, rubric=rubric, **common),
                                 rubric)


def _loader(entry: Entry, src: Source) -> Callable[[], Iterable[Sample]]:
    if entry.kind == "mcq":
        return loader(src, lambda base: load_choices(base, entry.language, entry.split))
    if entry.kind == "label":
        return loader(src, lambda base: load_labels(base, entry))
    if entry.kind == "judged":
        return loader(src, lambda base: load_open(base, entry))
    return loader(src, lambda base: load_audiobench(base, entry.language, use_instruction=entry.kind == "math",
                                                    split=entry.split))


def mnsc_asr_tasks() -> list[Task]:
    from seabench.tasks.asr import asr
    from seabench.tasks.audiobench_wer import with_audiobench_wer

    found = []
    for part in MNSC_ASR_PARTS:
        src = mnsc_source(part)
        name = f"asr/mnsc-part{part}"
        rule = next(r for t, r in SHARED_ASR.values() if t == name)
        task = asr(name, loader(src, lambda base: load_audiobench(base, "en-SG", use_instruction=False)), ["en-SG"],
                   data_status=src.status,
                   description=f"Singapore English ASR, IMDA National Speech Corpus part {part} (MNSC test; "
                               f"AudioBench 'imda_part{part}...asr_test')")
        found.append(with_audiobench_wer(task, rule))  # type: ignore[arg-type]
    return found


def tasks() -> list[Task]:
    found = mnsc_asr_tasks()
    for entry in ENTRIES:
        src = source(entry)
        found.append(_build(entry, _loader(entry, src), src.status))
    return found
