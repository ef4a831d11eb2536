"""GigaSpeech 2 test split (speechcolab/gigaspeech2): human-transcribed YouTube/podcast speech in
Thai, Indonesian and Vietnamese.

Layout as on the Hub: `data/<lang>/test.tsv` (no header: segment id, transcript) and the clips
of `data/<lang>/test.tar.gz` extracted into `data/<lang>/test/`, giving
`test/<a>/<b>/<a>-<b>-<c>.wav` (the segment id's parts name the folders). A flat
`test/<segment id>.wav` folder is accepted too, and so is an archive that carried its own `test/`
prefix (`test/test/...`).

AudioBench's copy of the same test sets (AudioLLMs/gigaspeech2-test, `<lang>-test/*.parquet`) is
read too; its rows have no segment id, so sample ids are row positions there. Both layouts report
AudioBench's own WER rule beside SeaBench's (`wer_audiobench_rule`, see tasks/audiobench_wer.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seabench import AudioRef, Sample, Task
from seabench.tasks.datasets import _tsv
from seabench.tasks.datasets._source import Source, first_dir, loader

LANGUAGES = ("th", "id", "vi")
AUDIOBENCH_RULE = {"th": "thai_raw", "id": "english", "vi": "vietnamese"}  # AudioBench's clean-up per language


def source(lang: str) -> Source:
    return Source(
        dataset="gigaspeech2", layouts=(f"data/{lang}", lang, f"{lang}-test"),
        formats=(("test.tsv", "test"), ("*.parquet",)),
        what=f"GigaSpeech 2 {lang} (test.tsv + test/)",
        how=(f"hf download speechcolab/gigaspeech2 --repo-type dataset --include 'data/{lang}/test*' "
             f"--local-dir {{root}} && mkdir -p {{root}}/data/{lang}/test && "
             f"tar -xzf {{root}}/data/{lang}/test.tar.gz -C {{root}}/data/{lang}/test "
             "(gated: accept the terms on the dataset page first); or AudioBench's copy: "
             f"hf download AudioLLMs/gigaspeech2-test --repo-type dataset --include '{lang}-test/*' "
             "--local-dir {root}"))


def clip_path(audio_dir: Path, segment_id: str) -> Path:
    nested = audio_dir.joinpath(*segment_id.split("-")[:-1]) / f"{segment_id}.wav"
    flat = audio_dir / f"{segment_id}.wav"
    return flat if not nested.exists() and flat.exists() else nested


def load(base: Path, language: str) -> Iterator[Sample]:
    if not (base / "test.tsv").is_file():
        from seabench.tasks.datasets.audiobench import load_audiobench

        return load_audiobench(base, language, use_instruction=False)
    return _from_tsv(base, language)


def _from_tsv(base: Path, language: str) -> Iterator[Sample]:
    audio_dir = first_dir(base, ("test/test", "test"))
    for _, (segment_id, text) in _tsv.rows(base / "test.tsv", 2):
        yield Sample(id=segment_id, audio=[AudioRef(path=str(clip_path(audio_dir, segment_id)))],
                     reference=text.strip(), language=language)


def tasks() -> list[Task]:
    from seabench.tasks.asr import asr
    from seabench.tasks.audiobench_wer import with_audiobench_wer

    found = []
    for lang in LANGUAGES:
        src = source(lang)
        task = asr(f"asr/gigaspeech2-{lang}", loader(src, lambda b, lang=lang: load(b, lang)), [lang],
                   data_status=src.status,
                   description=f"GigaSpeech 2 {lang} test split (speechcolab/gigaspeech2; see its terms)")
        found.append(with_audiobench_wer(task, AUDIOBENCH_RULE[lang]))  # type: ignore[arg-type]
    return found
