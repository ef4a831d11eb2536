"""The SVG chart builder: untrusted text is escaped, every mark carries its numbers, heatmap colours
follow the 0-100 score, and the judge task-type tables get one heatmap per model."""

from __future__ import annotations

import re
from pathlib import Path

from seabench.leaderboard import charts
from seabench.leaderboard.data import build_data
from seabench.leaderboard.task_types import TaskTypeCell
from tests.unit.test_leaderboard_data import make_runs


def test_tag_escapes_text_and_attributes() -> None:
    out = charts.tag("text", {"data_tip": '"><script>x</script>', "class_": "a"}, "<img src=x onerror=alert(1)>")
    assert "<script>" not in out and "<img" not in out and 'data-tip="&#34;&gt;&lt;script&gt;' in out
    assert out.startswith('<text data-tip=') and ' class="a"' in out


def test_heat_colour_darkens_with_the_score_and_greys_missing() -> None:
    pale, _ = charts.heat(0.0)
    deep, ink = charts.heat(100.0)
    assert pale == "#f0f5fc" and deep == "#18498c" and ink == "#ffffff"
    assert charts.heat(None) == ("#eef0f4", "#5b6478") and charts.heat(30.0)[1] == "#1d2433"


def test_every_mark_has_its_numbers_and_every_chart_a_table(tmp_path: Path) -> None:
    data = build_data(make_runs(tmp_path / "runs", n=12), tmp_path / "site", n_boot=100)
    for figure in (charts.ranking_chart(data), charts.language_heatmap(data), charts.task_heatmap(data), charts.task_bars(data)):
        tips = re.findall(r'data-tip="([^"]*)"', figure)
        titles = re.findall(r"<title>([^<]*)</title>", figure)
        assert tips and all(tip in titles for tip in tips)  # hover (title) and tap (data-tip) say the same
        assert '<details class="numbers">' in figure and "<table" in figure
    labels = {r.run_id: r.label for r in data.runs}
    first = data.headline.runs[0]
    assert f"{labels[first.run_id]}: overall {first.overall.score:.1f}" in charts.ranking_chart(data)


def test_task_type_heatmaps_one_per_model(tmp_path: Path) -> None:
    data = build_data(make_runs(tmp_path / "runs", n=6), tmp_path / "site", n_boot=50)
    cells = [TaskTypeCell(run_id=rid, task="seabench-audio/test", task_type=kind, language=lang, value=value, n=3, n_items=3)
             for rid, value in (("run-good", 4.5), ("run-bad", 1.5)) for kind in ("SQA", "all") for lang in ("th", "all")]
    figures = charts.task_type_heatmaps(data.model_copy(update={"task_types": cells}))
    assert figures.count('<figure class="chart heatmap"') == 2
    assert "seabench-audio/test — good-model" in figures and "4.50" in figures and "1.50 over n = 3 items" in figures
