"""Tab-separated files as the speech corpora write them.

Quoting is always off (`csv.QUOTE_NONE`): transcripts contain `"` and `'`, and a default CSV
reader would swallow tabs and newlines until the next quote. CoVoST 2 escapes with a backslash
(its splits are written by pandas with `escapechar="\\"`); FLEURS, Common Voice and GigaSpeech 2
do not escape at all. A row with the wrong number of fields means a damaged file: it stops the
load with the file and line, rather than silently shifting columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from seabench import UserError


def rows(path: Path, width: int | None = None, escapechar: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every non-empty line; `width` checks the field count."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar=escapechar)
        for fields in reader:
            if not fields or fields == [""]:
                continue
            if width is not None and len(fields) != width:
                raise UserError(f"{path}:{reader.line_num}: expected {width} tab-separated fields, "
                                f"found {len(fields)}")
            yield reader.line_num, fields


def records(path: Path, escapechar: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by column name) for a TSV whose first line is the header."""
    it = rows(path, escapechar=escapechar)
    try:
        _, header = next(it)
    except StopIteration:
        return
    for n, fields in it:
        if len(fields) != len(header):
            raise UserError(f"{path}:{n}: expected {len(header)} tab-separated fields "
                            f"({', '.join(header)}), found {len(fields)}")
        yield n, dict(zip(header, fields))
