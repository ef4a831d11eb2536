"""Run directories as flat pandas tables, for analysis outside SeaBench in one line:

    seabench.load_results("runs/*")   # one row per run x task x metric, with CIs
    seabench.load_samples("runs/m")   # one row per sample: answer, reference, per-scorer values, errors
    datasets.Dataset.from_pandas(seabench.load_samples("runs/m"))

Every column has one type (text, number or missing), so the frames convert to Arrow and HF datasets
as they are. Corpus metrics (WER, BLEU) are in `load_results`: the per-sample scorer values in
`load_samples` are for looking at items, not for averaging."""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seabench.errors import UserError
from seabench.records import RESULTS_FILE, SAMPLES_FILE, latest_records
from seabench.types import RunResult, SampleRecord

if TYPE_CHECKING:
    import pandas as pd

RunDirs = str | Path | Iterable[str | Path]


def run_dirs(dirs: RunDirs) -> list[Path]:
    """Run directories from a path, a glob (`runs/*`) or a list of them; those without results are skipped
    when a glob matched them, an error when named."""
    items = [dirs] if isinstance(dirs, (str, Path)) else list(dirs)
    found: list[Path] = []
    for item in items:
        matches = sorted(glob.glob(str(item))) if glob.has_magic(str(item)) else [str(item)]
        for match in matches:
            path = Path(match)
            if (path / RESULTS_FILE).is_file() or (path / SAMPLES_FILE).is_file():
                found.append(path)
            elif not glob.has_magic(str(item)):
                raise UserError(f"{path} is not a SeaBench run directory (no {RESULTS_FILE} or {SAMPLES_FILE})")
    return found


def _result(path: Path) -> RunResult | None:
    file = path / RESULTS_FILE
    return RunResult.model_validate_json(file.read_text(encoding="utf-8")) if file.is_file() else None


def load_results(dirs: RunDirs) -> pd.DataFrame:
    """One row per run, task and metric: value, 95% CI, n, direction, and whether it is the primary metric."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for path in run_dirs(dirs):
        result = _result(path)
        if result is None:
            continue
        for task in result.tasks.values():
            for metric in task.metrics.values():
                rows.append({"run": path.name, "model": result.model.id, "task": task.name, "family": task.family,
                             "metric": metric.name, "value": metric.value, "ci_low": metric.ci_low,
                             "ci_high": metric.ci_high, "n": metric.n, "direction": metric.direction,
                             "primary": metric.name == task.primary_metric, "status": task.status,
                             "run_status": result.status})
    columns = ["run", "model", "task", "family", "metric", "value", "ci_low", "ci_high", "n", "direction",
               "primary", "status", "run_status"]
    return pd.DataFrame(rows, columns=columns)


def _text(value: str | list[str] | None) -> str | None:
    return "\n".join(value) if isinstance(value, list) else value


def _sample_row(run: str, model: str, record: SampleRecord) -> dict[str, Any]:
    output = record.output
    judged = [v.score for v in record.verdicts if v.score is not None]
    row: dict[str, Any] = {
        "run": run, "model": model, "task": record.task, "sample_id": record.sample_id,
        "language": record.language, "target_language": record.target_language,
        "subset": None if record.metadata.get("subset") is None else str(record.metadata["subset"]),
        "prompt": record.prompt, "reference": _text(record.reference), "label": record.label,
        "output": None if output is None or record.error_code is not None else output.text,
        "error_code": record.error_code.value if record.error_code else None,
        "error_message": record.error_message,
        "flags": ",".join(sorted({f for s in record.scores.values() for f in s.flags})),
        "judge_score": sum(judged) / len(judged) if judged else None,
        "generate_s": record.timings.get("generate_s"),
        "metadata": json.dumps(record.metadata, ensure_ascii=False, sort_keys=True, default=str),
    }
    for name, score in record.scores.items():
        row[f"score_{name}"] = score.value
        row[f"answer_{name}"] = score.answer
    return row


def load_samples(dirs: RunDirs) -> pd.DataFrame:
    """One row per sample (the latest record of each): answer, reference, errors, flags, judge score, and
    each scorer's value and extracted answer as `score_<scorer>` / `answer_<scorer>`."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for path in run_dirs(dirs):
        result = _result(path)
        model = result.model.id if result else ""
        rows.extend(_sample_row(path.name, model, r) for r in latest_records(path / SAMPLES_FILE).values())
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    fixed = [c for c in frame.columns if not c.startswith(("score_", "answer_"))]
    return frame[fixed + sorted(c for c in frame.columns if c.startswith(("score_", "answer_")))]
