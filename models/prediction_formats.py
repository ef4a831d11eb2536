"""Readers for stored predictions in the layouts other harnesses write, detected by content.

Each reader turns a file into `Prediction`s that carry what identifies the sample in that layout:
- SeaBench's own `samples.jsonl`: task + sample id (a later line supersedes an earlier one, as on resume);
- lm-evaluation-harness `--log_samples` (`samples_<task>_<date>.jsonl`): the doc's `id` when it has one,
  and `doc_id`, the position of the doc in the task's data;
- lmms-eval `--log_samples` (`<date>_samples_<task>.jsonl`): `doc_id`, a position;
- AudioBench's per-dataset output (`log/<model>/<dataset>.json`): a JSON list in dataset order, a position;
- SeaBench-Audio's `responses/<model>.json`: `<language>-<task>-<idx>`, the ids of our SeaBench-Audio task;
- plain JSONL, JSON list or CSV: `id` (+ optional `task`) and an output column.
The raw generation is taken where a harness keeps both raw and filtered answers: SeaBench extracts
answers itself."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seabench import UserError

OUTPUT_COLUMNS = ("output", "prediction", "response", "text")
SBA_COLUMNS = frozenset({"idx", "language", "task", "query", "reference", "audio_url", "audio",
                         "eval", "rating", "judgement_prompt"})  # judgement files add the last three
# what AudioBench's compute_score() returns, saved as <dataset>_<metric>_score.json
AUDIOBENCH_SCORE_KEYS = frozenset({"wer", "sample_wer", "bleu", "meteor", "acc", "details", "string_match",
                                   "task_scores", "judge_score"})


@dataclass(frozen=True, slots=True)
class Prediction:
    """One stored answer and what can identify its sample."""

    text: str | None  # None: the source has no answer (`failed` says why)
    row: int
    sample_id: str | None = None
    task: str | None = None
    position: int | None = None  # index of the item in the task's data, for layouts without ids
    reference: str | None = None  # the source's reference, to check a positional match
    failed: str | None = None


@dataclass
class PredictionFile:
    format: str
    predictions: list[Prediction]
    problems: list[str] = field(default_factory=list)


class _Skip(Exception):
    """A row that cannot be used; its message is reported with the file and row."""


def read_predictions(path: Path, column: str | None = None, raw: bytes | None = None) -> PredictionFile:
    """Read `path` (whose bytes are `raw`, when already read) in whichever supported layout its content has."""
    raw = path.read_bytes() if raw is None else raw
    if _jsonl_head(raw):
        return _read_jsonl(path, raw, column)
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    head = text.lstrip()[:1]
    if head == "[" or (head == "{" and "\n{" not in text.strip()):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, list):
            return _read_json_list(path, data, column)
        if isinstance(data, dict) and _audiobench_scores(path, data):
            raise UserError(f"{path} is an AudioBench score file; give the predictions file beside it "
                            f"(<dataset>.json, without the _score suffix)")
    if head == "{":
        return _read_jsonl(path, raw, column)
    if not text.strip():
        raise UserError(f"{path} is empty")
    return _read_csv(path, text, column)


def _jsonl_head(raw: bytes) -> bool:
    """True when the bytes are what `read_predictions` reads as JSON lines (a "{" first, and a line
    starting with "{" after it), decided without decoding the whole file when its start is ASCII."""
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    start = len(body) - len(body.lstrip())
    if start < len(body) and body[start] >= 0x80:
        return False  # a non-ASCII start: leave it to the decoded text
    return body[start:start + 1] == b"{" and b"\n{" in body.strip()


def _audiobench_scores(path: Path, data: dict[str, Any]) -> bool:
    if {"id", "doc_id", "sample_id"} & data.keys():
        return False
    return path.name.endswith("_score.json") or bool(AUDIOBENCH_SCORE_KEYS & data.keys()) or \
        any(key.endswith(("_judge", "_judge_binary")) for key in data)


# -- JSON lines ----------------------------------------------------------------------------------
def _lines(raw: bytes) -> Iterator[bytes]:
    """`raw.splitlines()`, one line at a time (no list of every line of a large file)."""
    if b"\r" in raw:
        yield from raw.splitlines()
        return
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", start)
        if end < 0:
            end = len(raw)
        yield raw[start:end]
        start = end + 1


def _json_rows(path: Path, raw: bytes, problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(_lines(raw), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line.decode("utf-8").lstrip("\ufeff"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{path}:{n}: skipped, not valid JSON ({getattr(exc, 'msg', None) or exc.reason})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path}:{n}: skipped, a row must be a JSON object")
            continue
        yield n, row


def _jsonl_format(row: dict[str, Any]) -> str:
    if {"run_id", "task", "sample_id"} <= row.keys():
        return "seabench"
    if "doc_id" in row and ("resps" in row or "filtered_resps" in row):
        return "lm-eval" if "filter" in row else "lmms-eval"  # lmms-eval logs no filter name
    return "plain"


def _read_jsonl(path: Path, raw: bytes, column: str | None) -> PredictionFile:
    """Rows are read one at a time into compact Predictions (task names shared, not repeated)."""
    problems: list[str] = []
    fmt = "plain"
    read: Any = None
    out = []
    filters: list[tuple[int, Any]] = []  # lm-eval: each row's filter
    tasks: dict[str, str] = {}
    for n, row in _json_rows(path, raw, problems):
        if read is None:
            fmt = _jsonl_format(row)
            read = {"seabench": _from_seabench, "lm-eval": _from_log_samples, "lmms-eval": _from_log_samples,
                    "plain": lambda n, row: _from_plain(n, row, column)}[fmt]
        if fmt == "lm-eval":
            filters.append((n, row.get("filter")))
        try:
            if fmt != "plain" and _jsonl_format(row) != fmt:
                raise _Skip(f"not a {fmt} row like the first one")
            found = read(n, row)
        except _Skip as why:
            problems.append(f"{path}:{n}: skipped, {why}")
            continue
        if found.task is not None and found.task is not tasks.setdefault(found.task, found.task):
            found = replace(found, task=tasks[found.task])
        out.append(found)
    if fmt == "lm-eval":
        out = _one_per_filter(filters, out)
    return PredictionFile(fmt, out, problems)


def _from_plain(n: int, row: dict[str, Any], column: str | None) -> Prediction:
    names = (column,) if column else OUTPUT_COLUMNS
    found = next((c for c in names if c in row), None)
    if "id" not in row or found is None or row["id"] in (None, ""):
        raise _Skip(f"a row needs an 'id' and {'a ' + repr(column) if column else 'one of ' + ', '.join(names)}")
    value = row[found]
    return Prediction(text="" if value is None else str(value), row=n, sample_id=str(row["id"]),
                      task=str(row["task"]) if row.get("task") else None)


def _from_seabench(n: int, row: dict[str, Any]) -> Prediction:
    output = row.get("output") or {}
    error = row.get("error_code") or output.get("error")
    if error:
        why = f"the source run recorded {row.get('error_code') or 'an error'}: {row.get('error_message') or output.get('error')}"
        return Prediction(text=None, row=n, sample_id=str(row["sample_id"]), task=str(row["task"]), failed=why)
    return Prediction(text=str(output.get("text") or ""), row=n, sample_id=str(row["sample_id"]), task=str(row["task"]))


def _is_loglikelihood(value: Any) -> bool:
    """lm-eval logs a log-likelihood result as [log_prob, is_greedy], both turned into strings."""
    if not (isinstance(value, list) and len(value) == 2 and value[1] in ("True", "False", True, False)):
        return False
    try:
        float(value[0])
    except (TypeError, ValueError):
        return False
    return True


def _first_generation(value: Any) -> str:
    """The first generated text in lm-eval's resps ([[text, ...]]: requests x repeats) or lmms-eval's
    flattened form ([text, ...] or text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        if _is_loglikelihood(value) or (len(value) > 1 and all(isinstance(v, list) for v in value)):
            raise _Skip("it holds log-likelihoods, not generated text (SeaBench scores generations: "
                        "log samples of a generate_until task)")
        return _first_generation(value[0])
    raise _Skip("it has no generated text in resps or filtered_resps")


def _from_log_samples(n: int, row: dict[str, Any]) -> Prediction:
    try:
        position = int(row["doc_id"])
    except (TypeError, ValueError):
        raise _Skip(f"doc_id {row['doc_id']!r} is not a number") from None
    text = _first_generation(row["resps"] if "resps" in row else row["filtered_resps"])
    doc = row.get("doc") if isinstance(row.get("doc"), dict) else {}
    doc_id = doc.get("id")
    target = row.get("target")
    return Prediction(text=text, row=n, position=position,
                      sample_id=str(doc_id) if isinstance(doc_id, (str, int)) and doc_id != "" else None,
                      reference=target if isinstance(target, str) else None)


def _one_per_filter(filters: list[tuple[int, Any]], preds: list[Prediction]) -> list[Prediction]:
    """lm-eval writes one line per doc and filter; the raw generation is the same on each, so the
    first filter's lines are kept (`filters`: each row's number and filter)."""
    if len({name for _, name in filters}) <= 1:
        return preds
    first = filters[0][1]
    keep = {n for n, name in filters if name == first}
    return [p for p in preds if p.row in keep]


# -- JSON lists (AudioBench, SeaBench-Audio, plain) ----------------------------------------------
def _read_json_list(path: Path, data: list[Any], column: str | None) -> PredictionFile:
    first = next((item for item in data if isinstance(item, dict)), {})
    if "model_prediction" in first:
        fmt = "audiobench"
    elif {"idx", "language", "task", "query"} <= first.keys():
        fmt = "seabench-audio"
        column = column or _sba_column(path, first)
    else:
        fmt = "plain"
    out: list[Prediction] = []
    problems: list[str] = []
    for i, item in enumerate(data):
        try:
            if not isinstance(item, dict):
                raise _Skip("an item must be a JSON object")
            if fmt == "audiobench":
                out.append(_from_audiobench(i, item))
            elif fmt == "seabench-audio":
                out.append(_from_sba(i, item, column))
            else:
                out.append(_from_plain(i, item, column))
        except _Skip as why:
            problems.append(f"{path}: item {i}: skipped, {why}")
    return PredictionFile(fmt, out, problems)


def _from_audiobench(i: int, item: dict[str, Any]) -> Prediction:
    value = item.get("model_prediction")
    if not isinstance(value, str):
        raise _Skip("model_prediction is not text")
    reference = item.get("reference")
    return Prediction(text=value, row=i, position=i, reference=reference if isinstance(reference, str) else None)


def _sba_column(path: Path, first: dict[str, Any]) -> str:
    """gen_responses.py stores each answer under the model's name, which is also the file's name."""
    if path.stem in first:
        return path.stem
    candidates = [k for k in first if k not in SBA_COLUMNS]
    if len(candidates) == 1:
        return candidates[0]
    raise UserError(f"{path}: which column holds the answers? pass -M column=NAME "
                    f"(candidates: {', '.join(candidates) or 'none'})")


def _from_sba(i: int, item: dict[str, Any], column: str) -> Prediction:
    missing = [k for k in ("idx", "language", "task", column) if k not in item]
    if missing:
        raise _Skip(f"it has no {', '.join(missing)}")
    value = item[column]
    return Prediction(text="" if value is None else str(value), row=i,
                      sample_id=f"{item['language']}-{item['task']}-{item['idx']}")


# -- CSV -----------------------------------------------------------------------------------------
def _read_csv(path: Path, text: str, column: str | None) -> PredictionFile:
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    out: list[Prediction] = []
    problems: list[str] = []
    for n, row in enumerate(csv.DictReader(io.StringIO(text, newline=""), dialect=dialect), 2):
        try:
            out.append(_from_plain(n, row, column))
        except _Skip as why:
            problems.append(f"{path}:{n}: skipped, {why}")
    return PredictionFile("csv", out, problems)
