"""FLEURS test split (google/fleurs): read speech of FLoRes sentences, one folder per language.

Two layouts are read:
- the Hub's raw files: `<cfg>/test.tsv` (no header; id, file name, raw transcription, normalised
  transcription, characters, number of samples, gender) and `<cfg>/audio/test/<file name>`
  (from `audio/test.tar.gz`; clips directly in `<cfg>/test/` or `<cfg>/audio/` are found too);
- the Hub's parquet conversion (`refs/convert/parquet`): `<cfg>/test/*.parquet`.

The reference is the raw transcription (case and punctuation kept): SeaBench's per-language
normalisers do the normalising, the same way for reference and hypothesis. FLEURS repeats a
sentence id for each speaker, so the sample id is the audio file name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seabench import AudioRef, Sample, Task
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


def tasks() -> list[Task]:
    from seabench.tasks.asr import asr

    found = []
    for language, config in CONFIGS.items():
        src = source(config)
        found.append(asr(f"asr/fleurs-{language}", loader(src, lambda base, lang=language: load(base, lang)),
                         [language], data_status=src.status, breakdown_keys=("language", "gender"),
                         description=f"FLEURS {config} test split (google/fleurs, CC-BY-4.0)"))
    return found
