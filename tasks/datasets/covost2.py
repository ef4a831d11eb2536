"""CoVoST 2 speech translation (test split), source audio from Common Voice 4 clips.

Two ways to give the translations, in `<data root>/covost2/`:
- the split file made by CoVoST's `get_covost_splits.py`: `covost_v2.<src>_<tgt>.test.tsv` with
  columns path, sentence, translation, client_id (pandas-written: tab, no quoting, `\\` escapes);
- the released `covost_v2.<src>_<tgt>.tsv` (path, translation, split) plus the Common Voice
  `<src>/validated.tsv` for the transcripts; rows with split `test` are used.
Clips are read from `covost2/<src>/clips/`: link the Common Voice 4 locale folder there (later
Common Voice releases keep the old clip names, so a newer corpus works too).

Or AudioBench's copy of the same test split (AudioLLMs/covost2_<src>_<tgt>_test, parquet with the
audio inside) in `covost2/covost2_<src>_<tgt>_test/`; its rows carry no clip name, so sample ids
are row positions there. AudioBench's BLEU uses sacrebleu's flores101 SentencePiece tokenizer,
which downloads a model, so SeaBench reports its own BLEU (zh/char/13a by target) and chrF++ only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seabench import AudioRef, Sample, Task
from seabench.tasks.datasets import _tsv
from seabench.tasks.datasets._source import Source, loader

# (source, target) SeaBench languages -> CoVoST locale codes
PAIRS = {("en", "id"): ("en", "id"), ("en", "zh"): ("en", "zh-CN"), ("en", "ta"): ("en", "ta"),
         ("zh", "en"): ("zh-CN", "en"), ("id", "en"): ("id", "en"), ("ta", "en"): ("ta", "en")}
ESCAPE = "\\"
HOW = ("get covost_v2.{pair}.tsv.tar.gz from https://github.com/facebookresearch/covost (extract it into {root}), "
       "link the Common Voice 4 '{src}' folder: ln -s /path/to/cv-corpus-4/{src} {root}/{src}")


def audiobench_folder(language: str, target: str) -> str:
    return f"covost2_{language}_{target}_test"


def source(src: str, tgt: str, language: str, target: str) -> Source:
    pair, copy = f"{src}_{tgt}", audiobench_folder(language, target)
    return Source(
        dataset="covost2", layouts=(".", copy),
        formats=((f"covost_v2.{pair}.test.tsv", f"{src}/clips"),
                 (f"covost_v2.{pair}.tsv", f"{src}/validated.tsv", f"{src}/clips"),
                 ("*.parquet",), ("data/*.parquet",)),
        what=f"covost_v2.{pair}.test.tsv (or covost_v2.{pair}.tsv + {src}/validated.tsv) and {src}/clips/",
        how=HOW.replace("{pair}", pair).replace("{src}", src) + f"; or AudioBench's copy: hf download AudioLLMs/{copy} "
            f"--repo-type dataset --local-dir {{root}}/{copy}")


def _test_rows(base: Path, src: str, tgt: str) -> Iterator[dict[str, str]]:
    split_file = base / f"covost_v2.{src}_{tgt}.test.tsv"
    if split_file.is_file():
        for _, row in _tsv.records(split_file, escapechar=ESCAPE):
            yield row
        return
    wanted = {row["path"]: row for _, row in _tsv.records(base / f"covost_v2.{src}_{tgt}.tsv", escapechar=ESCAPE)
              if row["split"] == "test"}
    for _, cv in _tsv.records(base / src / "validated.tsv"):
        if cv["path"] in wanted:
            yield {**wanted[cv["path"]], "sentence": cv["sentence"], "client_id": cv.get("client_id", "")}


def load(base: Path, src: str, tgt: str, language: str, target: str) -> Iterator[Sample]:
    if base.name == audiobench_folder(language, target):
        from seabench.tasks.datasets.audiobench import load_audiobench

        return load_audiobench(base, language, use_instruction=False, target_language=target)
    return _from_tsv(base, src, tgt, language, target)


def _from_tsv(base: Path, src: str, tgt: str, language: str, target: str) -> Iterator[Sample]:
    clips = base / src / "clips"
    for row in _test_rows(base, src, tgt):
        yield Sample(id=Path(row["path"]).stem, audio=[AudioRef(path=str(clips / row["path"]))],
                     reference=row["translation"], language=language, target_language=target,
                     metadata={"transcript": row.get("sentence", ""), "speaker": row.get("client_id", "")})


def tasks() -> list[Task]:
    from seabench.tasks.s2tt import s2tt

    found = []
    for (language, target), (src, tgt) in PAIRS.items():
        source_ = source(src, tgt, language, target)
        found.append(s2tt(
            f"s2tt/covost2-{language}-{target}",
            loader(source_, lambda b, a=(src, tgt, language, target): load(b, *a)), [language],
            data_status=source_.status,
            description=f"CoVoST 2 {src}->{tgt} test split (translations CC-BY-NC-4.0, audio Common Voice CC0)"))
    return found
