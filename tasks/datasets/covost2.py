"""CoVoST 2 speech translation (test split), source audio from Common Voice 4 clips.

Two ways to give the translations, in `<data root>/covost2/`:
- the split file made by CoVoST's `get_covost_splits.py`: `covost_v2.<src>_<tgt>.test.tsv` with
  columns path, sentence, translation, client_id (pandas-written: tab, no quoting, `\\` escapes);
- the released `covost_v2.<src>_<tgt>.tsv` (path, translation, split) plus the Common Voice
  `<src>/validated.tsv` for the transcripts; rows with split `test` are used.
Clips are read from `covost2/<src>/clips/`: link the Common Voice 4 locale folder there (later
Common Voice releases keep the old clip names, so a newer corpus works too).
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


def source(src: str, tgt: str) -> Source:
    pair = f"{src}_{tgt}"
    return Source(
        dataset="covost2", layouts=(".",),
        formats=((f"covost_v2.{pair}.test.tsv", f"{src}/clips"),
                 (f"covost_v2.{pair}.tsv", f"{src}/validated.tsv", f"{src}/clips")),
        what=f"covost_v2.{pair}.test.tsv (or covost_v2.{pair}.tsv + {src}/validated.tsv) and {src}/clips/",
        how=HOW.replace("{pair}", pair).replace("{src}", src))


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
    clips = base / src / "clips"
    for row in _test_rows(base, src, tgt):
        yield Sample(id=Path(row["path"]).stem, audio=[AudioRef(path=str(clips / row["path"]))],
                     reference=row["translation"], language=language, target_language=target,
                     metadata={"transcript": row.get("sentence", ""), "speaker": row.get("client_id", "")})


def tasks() -> list[Task]:
    from seabench.tasks.s2tt import s2tt

    found = []
    for (language, target), (src, tgt) in PAIRS.items():
        source_ = source(src, tgt)
        found.append(s2tt(
            f"s2tt/covost2-{language}-{target}",
            loader(source_, lambda b, a=(src, tgt, language, target): load(b, *a)), [language],
            data_status=source_.status,
            description=f"CoVoST 2 {src}->{tgt} test split (translations CC-BY-NC-4.0, audio Common Voice CC0)"))
    return found
