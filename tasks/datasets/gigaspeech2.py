"""GigaSpeech 2 test split (speechcolab/gigaspeech2): human-transcribed YouTube/podcast speech in
Thai, Indonesian and Vietnamese.

Layout as on the Hub: `data/<lang>/test.tsv` (no header: segment id, transcript) and the clips
of `data/<lang>/test.tar.gz` extracted into `data/<lang>/test/`, giving
`test/<a>/<b>/<a>-<b>-<c>.wav` (the segment id's parts name the folders). A flat
`test/<segment id>.wav` folder is accepted too, and so is an archive that carried its own `test/`
prefix (`test/test/...`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seabench import AudioRef, Sample, Task
from seabench.tasks.datasets import _tsv
from seabench.tasks.datasets._source import Source, first_dir, loader

LANGUAGES = ("th", "id", "vi")


def source(lang: str) -> Source:
    return Source(
        dataset="gigaspeech2", layouts=(f"data/{lang}", lang), formats=(("test.tsv", "test"),),
        what=f"GigaSpeech 2 {lang} (test.tsv + test/)",
        how=(f"hf download speechcolab/gigaspeech2 --repo-type dataset --include 'data/{lang}/test*' "
             f"--local-dir {{root}} && mkdir -p {{root}}/data/{lang}/test && "
             f"tar -xzf {{root}}/data/{lang}/test.tar.gz -C {{root}}/data/{lang}/test "
             "(gated: accept the terms on the dataset page first)"))


def clip_path(audio_dir: Path, segment_id: str) -> Path:
    nested = audio_dir.joinpath(*segment_id.split("-")[:-1]) / f"{segment_id}.wav"
    flat = audio_dir / f"{segment_id}.wav"
    return flat if not nested.exists() and flat.exists() else nested


def load(base: Path, language: str) -> Iterator[Sample]:
    audio_dir = first_dir(base, ("test/test", "test"))
    for _, (segment_id, text) in _tsv.rows(base / "test.tsv", 2):
        yield Sample(id=segment_id, audio=[AudioRef(path=str(clip_path(audio_dir, segment_id)))],
                     reference=text.strip(), language=language)


def tasks() -> list[Task]:
    from seabench.tasks.asr import asr

    found = []
    for lang in LANGUAGES:
        src = source(lang)
        found.append(asr(f"asr/gigaspeech2-{lang}", loader(src, lambda b, lang=lang: load(b, lang)), [lang],
                         data_status=src.status,
                         description=f"GigaSpeech 2 {lang} test split (speechcolab/gigaspeech2; see its terms)"))
    return found
