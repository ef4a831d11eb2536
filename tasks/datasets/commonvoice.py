"""Mozilla Common Voice test split: `<locale>/test.tsv` + `<locale>/clips/*.mp3`, as extracted
from a `cv-corpus-<version>-<date>` archive.

`test.tsv` has a header (client_id, path, [sentence_id,] sentence, [sentence_domain,] up_votes,
down_votes, age, gender, accent or accents, [variant,] locale, segment); columns are looked up by
name because they changed between releases. Quoting is off: sentences contain quotes.

The same file backs ASR and two paralinguistic label tasks. Gender is self-declared: releases
before 17 say male/female, later ones male_masculine/female_feminine; rows with no declared
gender (or another value) are left out of the gender task, rows with no age out of the age task.
That is dataset filtering, decided before any model runs, so it is not reported as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from seabench import AudioRef, Sample, Task
from seabench.tasks.datasets import _tsv
from seabench.tasks.datasets._source import Source, loader

# SeaBench language -> Common Voice locale
LOCALES = {"th": "th", "vi": "vi", "id": "id", "ta": "ta", "zh": "zh-CN"}
GENDERS = {"male": "male", "male_masculine": "male", "female": "female", "female_feminine": "female"}
AGES = ("teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies", "eighties", "nineties")
HOW = ("download the Common Voice corpus for '{locale}' from https://commonvoice.mozilla.org/datasets "
       "(free account; extract the archive) and link it: ln -s /path/to/cv-corpus-<version>/{locale} {root}/{locale}")


def source(locale: str) -> Source:
    return Source(dataset="commonvoice", layouts=(locale,), formats=(("test.tsv", "clips"),),
                  what=f"Common Voice {locale} (test.tsv + clips/)", how=HOW.replace("{locale}", locale))


def clip_sample(row: dict[str, str], clips: Path, language: str) -> Sample:
    """The parts every Common Voice task shares: id, audio and speaker metadata."""
    accent = row.get("accents", row.get("accent", ""))
    return Sample(id=Path(row["path"]).stem, audio=[AudioRef(path=str(clips / row["path"]))], language=language,
                  metadata={"speaker": row.get("client_id", ""), "gender": GENDERS.get(row.get("gender", ""), ""),
                            "age": row.get("age", ""), "accent": accent})


def load_asr(base: Path, language: str) -> Iterator[Sample]:
    for _, row in _tsv.records(base / "test.tsv"):
        yield clip_sample(row, base / "clips", language).model_copy(update={"reference": row["sentence"]})


def load_labels(base: Path, language: str, column: str, choices: tuple[str, ...],
                canon: Callable[[str], str | None]) -> Iterator[Sample]:
    """Rows with a usable value in `column`, labelled with its canonical form."""
    for _, row in _tsv.records(base / "test.tsv"):
        value = canon(row.get(column, ""))
        if value is not None:
            yield clip_sample(row, base / "clips", language).model_copy(
                update={"label": value, "choices": list(choices)})


def tasks() -> list[Task]:
    from seabench.tasks.asr import asr
    from seabench.tasks.paralinguistics import label

    found = []
    for language, locale in LOCALES.items():
        src = source(locale)
        common = {"data_status": src.status, "description": f"Common Voice {locale} test split (CC0-1.0)"}
        found.append(asr(f"asr/commonvoice-{language}", loader(src, lambda b, lang=language: load_asr(b, lang)),
                         [language], breakdown_keys=("language", "gender", "age"), **common))
        found.append(label(
            f"paralinguistics/commonvoice-gender-{language}",
            loader(src, lambda b, lang=language: load_labels(b, lang, "gender", ("male", "female"), GENDERS.get)),
            [language], kind="gender", **common))
        found.append(label(
            f"paralinguistics/commonvoice-age-{language}",
            loader(src, lambda b, lang=language: load_labels(b, lang, "age", AGES,
                                                             lambda v: v if v in AGES else None)),
            [language], kind="age", breakdown_keys=("language", "gender"), **common))
    return found
