"""One unit everywhere: the terminal table after `seabench run`, leaderboard.csv, leaderboard.md,
leaderboard.json and the page show WER/CER and accuracy as the same percentages."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

SEABENCH = [sys.executable, "-m", "seabench.cli"]


def _seabench(cwd: Path, *args: str) -> str:
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(cwd / "cache"), "NO_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run([*SEABENCH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_terminal_exports_and_page_agree(tmp_path: Path) -> None:
    terminal = _seabench(tmp_path, "run", "--model", "echo", "--tasks", "mini/asr-zh,mini/gender", "--limit", "4", "-o", "run")
    _seabench(tmp_path, "leaderboard", "run", "--out", "site")
    site = tmp_path / "site"
    rows = {(r["task"], r["language"]): r for r in csv.DictReader((site / "leaderboard.csv").open(encoding="utf-8"))}
    payload = json.loads((site / "leaderboard.json").read_text(encoding="utf-8"))
    cells = {(c["task"], c["language"]): c for c in payload["cells"]}
    markdown = (site / "leaderboard.md").read_text(encoding="utf-8")
    html = (site / "index.html").read_text(encoding="utf-8")
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    for task, metric in (("mini/asr-zh", "cer"), ("mini/gender", "accuracy")):
        fraction = results["tasks"][task]["metrics"][metric]["value"]  # results.json keeps the fraction
        shown = f"{100 * fraction:.1f}%"
        assert re.search(rf"{re.escape(task)}\s.*{metric} [↑↓]\s.*{re.escape(shown)}", terminal), terminal
        row, cell = rows[(task, "all")], cells[(task, "all")]
        assert row["unit"] == "%" and float(row["value"]) == cell["value"] == 100 * fraction
        assert cell["display"] == shown and f"| {shown} [" in markdown
        assert f"{metric} {shown} [" in html  # the chart marks' numbers on the page
    assert "WER, CER and accuracy in %" in terminal and "percentages" in payload["units"]
