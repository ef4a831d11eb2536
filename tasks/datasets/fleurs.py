"""FLEURS test split (google/fleurs): read speech of FLoRes sentences, one folder per language.

Two layouts are read:
- the Hub's raw files: `<cfg>/test.tsv` (no header; id, file name, raw transcription, normalised
  transcription, characters, number of samples, gender) and `<cfg>/audio/test/<file name>`
  (from `audio/test.tar.gz`; clips directly in `<cfg>/test/` or `<cfg>/audio/` are found too);
- the Hub's parquet conversion (`refs/convert/parquet`): `<cfg>/test/*.parquet`.

The reference is the raw transcription (case and punctuation kept): SeaBench's per-language
normalisers do the normalising, the same way for reference and hypothesis. FLEURS repeats a
sentence id for each speaker, so the sample id is the audio file name.

FLEURS reads the same FLoRes sentences in every language, so one language's clip and another's
transcription of the same sentence id make a speech-translation pair: `s2tt/fleurs-<x>-en` (needs
the x and en_us folders) and `s2tt/fleurs-en-<x>`. A clip whose sentence the other language's
test split does not have is left out (dataset filtering, decided before any model runs). The
speaker's recorded gender gives `paralinguistics/fleurs-gender-<x>` (rows marked "other" are left out).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seabench import AudioRef, DataStatus, Sample, Task
from seabench.tasks.datasets import _tsv, hf
from seabench.tasks.datasets._blobs import audio_ref
from seabench.tasks.datasets._source import Source, first_dir, loader

# SeaBench language -> FLEURS config
CONFIGS = {"th": "th_th", "vi": "vi_vn", "id": "id_id", "ms": "ms_my", "en": "en_us", "zh": "cmn_hans_cn",
           "ta": "ta_in", "tl": "fil_ph"}
GENDERS = ("male", "female", "other")  # class-label order of the parquet export
TSV_FORMATS = (("test.tsv", "audio/test"), ("test.tsv", "test/*.wav"), ("test.tsv", "audio/*.wav"))
PARQUET_FORMAT = ("test/*.parquet",)


def source(config: str) -> Source:
    return Source(
        dataset="fleurs", layouts=(config, f"data/{config}"), formats=(*TSV_FORMATS, PARQUET_FORMAT),
        what=f"FLEURS {config} (test.tsv + audio/test/*.wav)",
        how=(f"hf download google/fleurs --repo-type dataset --include 'data/{config}/*test*' "
             f"--local-dir {{root}} && tar -xzf {{root}}/data/{config}/audio/test.tar.gz "
             f"-C {{root}}/data/{config}/audio"),
    )


def _from_tsv(base: Path, language: str) -> Iterator[Sample]:
    audio_dir = first_dir(base, ("audio/test", "test", "audio"))
    for _, (sentence_id, file_name, raw, _norm, _chars, num_samples, gender) in _tsv.rows(base / "test.tsv", 7):
        yield Sample(id=Path(file_name).stem, audio=[AudioRef(path=str(audio_dir / file_name))], reference=raw,
                     language=language, metadata={"sentence_id": sentence_id, "gender": gender.lower(),
                                                  "num_samples": int(num_samples)})


def _from_parquet(base: Path, language: str) -> Iterator[Sample]:
    for row in hf.iter_rows(base / "test"):
        ref = audio_ref(row["audio"], base / "test")
        name = Path(row.get("path") or (row["audio"] or {}).get("path") or str(row["id"])).stem
        gender = row.get("gender")
        yield Sample(id=name, audio=[ref] if ref else [], reference=row["raw_transcription"], language=language,
                     metadata={"sentence_id": str(row["id"]),
                               "gender": GENDERS[gender] if isinstance(gender, int) else str(gender or "")})


def load(base: Path, language: str) -> Iterator[Sample]:
    """Samples of one FLEURS language folder in either layout."""
    if (base / "test.tsv").is_file():
        return _from_tsv(base, language)
    return _from_parquet(base, language)


def translations(source_base: Path, language: str, target_base: Path, target: str) -> Iterator[Sample]:
    """`language` clips with the `target` transcription of the same sentence as reference."""
    wanted: dict[str, object] = {}
    for other in load(target_base, target):  # several speakers read a sentence: its first reading is the reference
        wanted.setdefault(other.metadata["sentence_id"], other.reference)
    for sample in load(source_base, language):
        sentence = sample.metadata["sentence_id"]
        if sentence in wanted:
            yield sample.model_copy(update={"reference": wanted[sentence], "target_language": target,
                                            "metadata": {**sample.metadata, "transcript": sample.reference}})


def genders(base: Path, language: str) -> Iterator[Sample]:
    for sample in load(base, language):
        if sample.metadata.get("gender") in ("male", "female"):
            yield sample.model_copy(update={"label": sample.metadata["gender"], "choices": ["male", "female"]})


def _pair_status(a: Source, b: Source) -> DataStatus:
    statuses = (a.status(), b.status())
    return DataStatus(all(s.ready for s in statuses), " and ".join(s.hint for s in statuses if s.hint))


def _translation_task(language: str, target: str) -> Task:
    from seabench.tasks.s2tt import s2tt

    src, tgt = source(CONFIGS[language]), source(CONFIGS[target])
    return s2tt(f"s2tt/fleurs-{language}-{target}",
                lambda: translations(src.require(), language, tgt.require(), target), [language],
                data_status=lambda: _pair_status(src, tgt), breakdown_keys=("language", "gender"),
                description=f"FLEURS {CONFIGS[language]} speech with the {CONFIGS[target]} transcription of the "
                            "same sentence (google/fleurs, CC-BY-4.0)")


def tasks() -> list[Task]:
    from seabench.tasks.asr import asr
    from seabench.tasks.paralinguistics import label

    found = []
    for language, config in CONFIGS.items():
        src = source(config)
        found.append(asr(f"asr/fleurs-{language}", loader(src, lambda base, lang=language: load(base, lang)),
                         [language], data_status=src.status, breakdown_keys=("language", "gender"),
                         description=f"FLEURS {config} test split (google/fleurs, CC-BY-4.0)"))
        found.append(label(f"paralinguistics/fleurs-gender-{language}",
                           loader(src, lambda base, lang=language: genders(base, lang)), [language], kind="gender",
                           data_status=src.status, description=f"Speaker gender, FLEURS {config} test split"))
        if language != "en":
            found += [_translation_task(language, "en"), _translation_task("en", language)]
    return found
