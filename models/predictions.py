"""`predictions:PATH` — score outputs produced elsewhere (any harness) without running a model.

The layout is detected from the file's content (`seabench.models.prediction_formats`): SeaBench's own
samples.jsonl, lm-eval and lmms-eval `--log_samples` files, AudioBench's output JSON, SeaBench-Audio's
responses/<model>.json, or plain JSONL/JSON/CSV with `id` and an output column. Rows with an id are
matched by id; rows that only have a position (lm-eval's doc_id, AudioBench's order) are matched to
the task's samples in their data order. Samples without an answer become `missing_prediction`
errors; answers that match no sample are listed in the run's warnings."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from seabench import (ErrorCode, GenerationConfig, ModelAdapter, ModelInfo, ModelInput, ModelOutput, Sample,
                      UserError, check_options)
from seabench.models.prediction_formats import Prediction, PredictionFile, read_predictions

Key = tuple[str | None, str]  # (task or None for any task, sample id)
SHOWN = 10


def _shown(items: list[str]) -> str:
    return ", ".join(items[:SHOWN]) + (f" ... (+{len(items) - SHOWN})" if len(items) > SHOWN else "")


def _label(p: Prediction) -> str:
    if p.sample_id is not None:
        return f"{p.task}/{p.sample_id}" if p.task else p.sample_id
    return f"position {p.position}"


def _by_id(path: Path, loaded: PredictionFile) -> dict[Key, Prediction]:
    """Answers by (task, id). Duplicates are an error listing them (which answer is the model's cannot
    be guessed), except in SeaBench's own samples.jsonl, where a later line supersedes, as on resume."""
    out: dict[Key, Prediction] = {}
    duplicates: list[str] = []
    for p in loaded.predictions:
        if p.sample_id is None:
            continue
        key = (p.task, p.sample_id)
        if key in out and loaded.format != "seabench":
            duplicates.append(f"{_label(p)} (rows {out[key].row} and {p.row})")
            continue
        out[key] = p
    if duplicates:
        shown = "; ".join(duplicates[:SHOWN]) + (f"; ... (+{len(duplicates) - SHOWN})" if len(duplicates) > SHOWN else "")
        raise UserError(f"{path}: {len(duplicates)} duplicate prediction id(s): {shown}; keep one answer per id")
    return out


def _refuse_duplicate_positions(path: Path, preds: list[Prediction]) -> None:
    first: dict[int, int] = {}
    duplicates = []
    for p in preds:
        if p.position in first:
            duplicates.append(f"{p.position} (rows {first[p.position]} and {p.row})")
        else:
            first[p.position] = p.row  # type: ignore[index]
    if duplicates:
        raise UserError(f"{path}: {len(duplicates)} duplicate doc position(s): {'; '.join(duplicates[:SHOWN])}; "
                        f"keep one answer per doc")


def _loose(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class PredictionsAdapter(ModelAdapter):
    cacheable = False
    generation_keys = None  # stored outputs: generation settings do not apply
    default_batch_size = 256

    def __init__(self, path: Path, check_audio: bool = False, column: str | None = None) -> None:
        if not path.is_file():
            raise UserError(f"predictions file not found: {path}")
        self.path = path
        self.id = f"predictions:{path}"
        self.needs_audio = check_audio
        raw = path.read_bytes()
        self._digest = hashlib.sha256(raw).hexdigest()
        loaded = read_predictions(path, column, raw)
        del raw
        if not loaded.predictions:
            why = loaded.problems[0] if loaded.problems else "no rows"
            raise UserError(f"no predictions could be read from {path} ({why}); see docs/PREDICTIONS.md for the "
                            f"layouts understood")
        self.format = loaded.format
        self.warnings: list[str] = list(loaded.problems)
        ids = [p.sample_id for p in loaded.predictions if p.sample_id is not None]
        if loaded.format in ("lm-eval", "lmms-eval") and len(set(ids)) != len(ids):
            # a doc field named id that repeats (FLEURS' sentence id) identifies nothing: use doc_id
            loaded.predictions = [replace(p, sample_id=None) for p in loaded.predictions]
        self.by_id = _by_id(path, loaded)
        self.rows = list(self.by_id.values()) if loaded.format == "seabench" else loaded.predictions
        self.n_rows = len(self.rows)
        self.answers: dict[Key, Prediction] = {}  # matched by position (answers by id are looked up in by_id)
        self._unselected: set[int] = set()  # rows of samples that --limit/--shard left out of this run

    def info(self) -> ModelInfo:
        return ModelInfo(id=self.id, provider="predictions", snapshot=f"sha256:{self._digest}",
                         details={"rows": self.n_rows, "format": self.format})

    def _found(self, task: str, sample_id: str) -> Prediction | None:
        return self.answers.get((task, sample_id)) or self.by_id.get((task, sample_id)) or \
            self.by_id.get((None, sample_id))

    def prepare(self, planned: dict[str, list[str]]) -> None:
        """Match every planned sample to an answer: by id first; rows that only carry a position (or
        whose ids match nothing) by their position in the task's data."""
        by_id: dict[Key, int] = {}  # row of each sample matched by id
        for task, ids in planned.items():
            for sid in ids:
                found = self.by_id.get((task, sid)) or self.by_id.get((None, sid))
                if found is not None:
                    by_id[(task, sid)] = found.row
        by_position = [p for p in self.rows if p.position is not None and (p.sample_id is None or not by_id)]
        self.answers = self._match_positions(planned, by_position) if by_position else {}
        used = {row for key, row in by_id.items() if key not in self.answers}
        used |= {p.row for p in self.answers.values()} | self._unselected
        del by_id
        extra = sorted(_label(p) for p in self.rows if p.row not in used)
        if extra:
            self.warnings.append(f"{len(extra)} prediction ids match no sample: {_shown(extra)}")
        missing = [f"{t}/{i}" for t, ids in planned.items() for i in ids if self._found(t, i) is None]
        if missing:
            self.warnings.append(f"{len(missing)} samples have no prediction in {self.path.name} "
                                 f"(error missing_prediction): {_shown(missing)}")

    def _match_positions(self, planned: dict[str, list[str]], rows: list[Prediction]) -> dict[Key, Prediction]:
        if len(planned) != 1:
            raise UserError(f"{self.path}: {self.format} answers are matched by their position in one task's data; "
                            f"this run has {len(planned)} tasks: pass --tasks with the one task the file is for")
        _refuse_duplicate_positions(self.path, rows)
        ((task, ids),) = planned.items()
        samples = self._task_samples(task)
        wanted = set(ids)
        out: dict[Key, Prediction] = {}
        differing: list[str] = []
        for p in rows:
            if p.position is None or not 0 <= p.position < len(samples):
                continue
            sample = samples[p.position]
            if sample.id not in wanted:
                self._unselected.add(p.row)
                continue
            out[(task, sample.id)] = p
            if p.reference is not None and isinstance(sample.reference, str) and \
                    _loose(p.reference) != _loose(sample.reference):
                differing.append(f"{p.position}: {p.reference[:40]!r} vs {sample.reference[:40]!r}")
        if differing:
            self.warnings.append(
                f"{len(differing)} of {len(out)} answers matched by position have another reference than the "
                f"sample at that position ({'; '.join(differing[:3])}): is {self.path.name} from the same data, "
                f"in the same order (AudioBench shuffles when number_of_samples is set)?")
        return out

    def _task_samples(self, task: str) -> list[Sample]:
        """The task's samples in data order: positions count from there, whatever --limit chose."""
        from seabench.registry import registry

        found = registry().tasks().get(task)
        if found is None:
            raise UserError(f"{self.path}: {self.format} answers are matched by position, which needs a built-in "
                            f"task; {task} is not one (give your rows an 'id' instead)")
        return list(found.load())

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        outs = []
        for inp in batch:
            found = self._found(inp.task, inp.sample_id)
            if found is not None and found.text is not None:
                outs.append(ModelOutput(text=found.text))
            else:
                why = found.failed if found is not None else f"no prediction for sample {inp.sample_id!r} in {self.path.name}"
                outs.append(ModelOutput(error=why, error_code=ErrorCode.MISSING_PREDICTION))
        return outs

    def close(self) -> None:
        """The answers are not needed once generation is over: aggregation should not hold them too."""
        self.by_id, self.rows, self.answers = {}, [], {}


def create(spec: str, options: dict[str, Any]) -> PredictionsAdapter:
    path = spec.split(":", 1)[1] if ":" in spec else ""
    if not path:
        raise UserError("give the predictions file: --model predictions:path/to/preds.jsonl")
    check_options("predictions", options, {"check_audio", "column"})
    column = options.get("column")
    return PredictionsAdapter(Path(path), check_audio=bool(options.get("check_audio", False)),
                              column=str(column) if column is not None else None)
