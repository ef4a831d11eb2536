"""Results open in pandas and HF datasets in one line each (issue 17), on run directories written by
the CLI: several task families, failed samples, unjudged items."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pandas as pd
import pytest

import seabench
from tests.helpers.core import write_manifest

SEABENCH = [sys.executable, "-m", "seabench.cli"]
TASKS = "mini/asr-en,mini/gender,mini/s2tt-en-id,mini/sqa-en"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(root / "cache"), "NO_COLOR": "1"}
    for model, name in (("echo", "echo"), ("predictions:{preds}", "preds")):
        if name == "preds":  # one answer, for the first ASR sample --limit chose; the rest are missing
            first = next(json.loads(line) for line in (root / "runs" / "echo" / "samples.jsonl").open()
                         if '"mini/asr-en"' in line)
            model = model.format(preds=write_manifest(root / "p.jsonl", [
                {"id": first["sample_id"], "task": "mini/asr-en", "output": "The market opens at six."}]))
        done = subprocess.run([*SEABENCH, "run", "--model", model, "--tasks", TASKS, "--limit", "4", "--judge", "none",
                               "-o", str(root / "runs" / name), "--quiet"], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
    return root / "runs"


def test_load_results_is_one_row_per_run_task_and_metric(runs: Path) -> None:
    frame = seabench.load_results(runs / "*")
    assert set(frame["run"]) == {"echo", "preds"} and set(frame["task"]) == set(TASKS.split(","))
    primary = frame[frame["primary"]].set_index(["run", "task"])
    stored = json.loads((runs / "echo" / "results.json").read_text())["tasks"]["mini/asr-en"]["metrics"]["wer"]
    row = primary.loc[("echo", "mini/asr-en")]
    assert row["metric"] == "wer" and row["direction"] == "lower"
    assert (row["value"], row["ci_low"], row["ci_high"], row["n"]) == (stored["value"], stored["ci_low"],
                                                                       stored["ci_high"], stored["n"])
    assert primary.loc[("preds", "mini/gender"), "value"] == 0.0  # every answer missing: all wrong


def test_load_samples_is_one_row_per_sample_with_scores_and_errors(runs: Path) -> None:
    frame = seabench.load_samples([runs / "echo", runs / "preds"])
    assert len(frame) == 2 * 4 * len(TASKS.split(",")) and not frame.duplicated(["run", "task", "sample_id"]).any()
    preds = frame[frame["run"] == "preds"].set_index(["task", "sample_id"])
    answered = preds[preds["output"].notna()]
    assert answered.index.get_level_values("task").tolist() == ["mini/asr-en"]
    assert answered["output"].tolist() == ["The market opens at six."] and answered["score_wer"].iloc[0] > 0
    assert preds["error_code"].value_counts().to_dict() == {"missing_prediction": 4 * 4 - 1}
    echo = frame[(frame["run"] == "echo") & (frame["task"] == "mini/gender")]
    assert echo["score_label"].notna().all() and echo["score_label"].isin([0.0, 1.0]).all()
    assert frame.loc[frame["task"] == "mini/s2tt-en-id", "reference"].str.len().gt(0).all()
    assert frame["judge_score"].isna().all()  # judging was skipped: no score invented


def test_pandas_and_datasets_in_one_line(runs: Path) -> None:
    raw = pd.read_json(runs / "echo" / "samples.jsonl", lines=True)  # the raw records, nested fields as dicts
    assert {"task", "sample_id", "output", "scores"} <= set(raw.columns) and len(raw) == 16
    assert raw["output"].str["text"].notna().all()
    table = datasets.Dataset.from_pandas(seabench.load_samples(runs / "*"))
    assert table.num_rows == 32 and {"output", "reference", "score_wer", "error_code"} <= set(table.column_names)
    direct = datasets.load_dataset("json", data_files=str(runs / "preds" / "samples.jsonl"), split="train")
    assert direct.num_rows == 16 and "scores" in direct.column_names


def test_a_path_that_is_not_a_run_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(seabench.UserError, match="not a SeaBench run directory"):
        seabench.load_samples(tmp_path)
