"""`predictions:PATH` — score outputs produced elsewhere (any harness) without running a model.

The file is JSONL or CSV with an `id` column, an output column (`output`, `prediction`,
`response` or `text`) and optionally `task`. Missing ids become `missing_prediction` errors;
ids that match no sample are listed in the run's warnings."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from seabench import ErrorCode, check_options, GenerationConfig, ModelAdapter, ModelInfo, ModelInput, ModelOutput, UserError

OUTPUT_COLUMNS = ("output", "prediction", "response", "text")


def _rows(path: Path, problems: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, row) of every readable row; an unreadable one is named in `problems` and skipped,
    so its sample is reported as missing while the other rows are scored."""
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            return list(enumerate(csv.DictReader(fh), 2))
    rows = []
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                problems.append(f"{path}:{n}: skipped, not valid JSON ({getattr(exc, 'msg', None) or exc.reason})")
                continue
            if not isinstance(row, dict):
                problems.append(f"{path}:{n}: skipped, a row must be a JSON object")
                continue
            rows.append((n, row))
    return rows


def load_predictions(path: Path, problems: list[str]) -> dict[tuple[str | None, str], str]:
    """Outputs by (task or None, sample id). Duplicate ids are an error listing them: which of two
    answers is the model's cannot be guessed."""
    out: dict[tuple[str | None, str], str] = {}
    first_row: dict[tuple[str | None, str], int] = {}
    duplicates: list[str] = []
    for n, row in _rows(path, problems):
        column = next((c for c in OUTPUT_COLUMNS if c in row), None)
        if "id" not in row or column is None:
            problems.append(f"{path}:{n}: skipped, a row needs an 'id' and one of {', '.join(OUTPUT_COLUMNS)}")
            continue
        key = (row.get("task") or None, str(row["id"]))
        if key in first_row:
            duplicates.append(f"{key[0] + '/' if key[0] else ''}{key[1]} (rows {first_row[key]} and {n})")
            continue
        first_row[key] = n
        out[key] = "" if row[column] is None else str(row[column])
    if duplicates:
        shown = "; ".join(duplicates[:10]) + (f"; ... (+{len(duplicates) - 10})" if len(duplicates) > 10 else "")
        raise UserError(f"{path}: {len(duplicates)} duplicate prediction id(s): {shown}; keep one answer per id")
    return out


class PredictionsAdapter(ModelAdapter):
    cacheable = False
    generation_keys = None  # stored outputs: generation settings do not apply
    default_batch_size = 256

    def __init__(self, path: Path, check_audio: bool = False) -> None:
        if not path.is_file():
            raise UserError(f"predictions file not found: {path}")
        self.path = path
        self.id = f"predictions:{path}"
        self.needs_audio = check_audio
        self.warnings: list[str] = []
        self.predictions = load_predictions(path, self.warnings)
        self._digest = hashlib.sha256(path.read_bytes()).hexdigest()

    def info(self) -> ModelInfo:
        return ModelInfo(id=self.id, provider="predictions", snapshot=f"sha256:{self._digest}",
                         details={"rows": len(self.predictions)})

    def prepare(self, planned: dict[str, list[str]]) -> None:
        wanted = {(t, i) for t, ids in planned.items() for i in ids}
        plain = {i for _, i in wanted}
        extra = sorted(f"{t}/{i}" if t else i for t, i in self.predictions
                       if ((t, i) not in wanted if t else i not in plain))
        if extra:
            shown = ", ".join(extra[:10]) + (f" ... (+{len(extra) - 10})" if len(extra) > 10 else "")
            self.warnings.append(f"{len(extra)} prediction ids match no sample: {shown}")

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        outs = []
        for inp in batch:
            text = self.predictions.get((inp.task, inp.sample_id), self.predictions.get((None, inp.sample_id)))
            outs.append(ModelOutput(text=text) if text is not None else ModelOutput(
                error=f"no prediction for sample {inp.sample_id!r} in {self.path.name}",
                error_code=ErrorCode.MISSING_PREDICTION))
        return outs


def create(spec: str, options: dict[str, Any]) -> PredictionsAdapter:
    path = spec.split(":", 1)[1] if ":" in spec else ""
    if not path:
        raise UserError("give the predictions file: --model predictions:path/to/preds.jsonl")
    check_options("predictions", options, {"check_audio"})
    return PredictionsAdapter(Path(path), check_audio=bool(options.get("check_audio", False)))
