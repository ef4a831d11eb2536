"""Published tables (`seabench leaderboard --published FILE`): formats, units, one-line errors, matching
to runs, and the shipped table (published_papers.yaml) names real tasks and metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from seabench.leaderboard.data import build_data
from seabench.leaderboard.exports import export_json
from seabench.leaderboard.published import load_published, match_published
from tests.unit.test_leaderboard_data import make_run

# Published numbers SeaBench does not compute itself (documented in published_papers.yaml): AudioBench's
# flores101 BLEU needs a download; AudioBench judges MMAU with an LLM instead of MMAU's answer matching.
NOT_COMPUTED = {"bleu_audiobench_rule", "judge_score_audiobench_rule"}


def test_csv_and_yaml_with_sources_and_percentages(tmp_path: Path) -> None:
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("model,task,metric,value,source,language\nM,asr/fleurs-th,wer,12.5%,Paper T2,th\n"
                        "M,mmau/mini,accuracy,0.61,Paper T3,\n", encoding="utf-8")
    rows = load_published(csv_file)
    assert [(r.value, r.language) for r in rows] == [(pytest.approx(0.125), "th"), (0.61, "all")]
    yaml_file = tmp_path / "t.yaml"
    yaml_file.write_text("sources:\n  p: A long citation, Table 2\nrows:\n"
                         "  - {model: M, task: asr/fleurs-th, metric: wer, value: 0.3, source: p, note: ours differs}\n"
                         "  - {model: N, task: asr/fleurs-th, metric: wer, value: 0.4, source: Inline citation}\n", encoding="utf-8")
    rows = load_published(yaml_file)
    assert [r.source for r in rows] == ["A long citation, Table 2", "Inline citation"] and rows[0].note == "ours differs"
    bare_list = tmp_path / "list.yml"
    bare_list.write_text("- {model: M, task: t, metric: bleu, value: 31.2, source: s}\n", encoding="utf-8")
    assert load_published(bare_list)[0].value == 31.2


@pytest.mark.parametrize(("text", "name", "expected"), [
    ("model,task,value,source\nM,t,0.1,s\n", "a.csv", "CSV columns metric missing"),
    ("model,task,metric,value,source\nM,t,wer,abc,s\n", "b.csv", "b.csv:2: value 'abc' is not a number"),
    ("model,task,metric,value,source\nM,t,accuracy,49.2,s\n", "c.csv", "looks like a percentage; write 0.492 or 49.2%"),
    ("model,task,metric,value,source\nM,,wer,0.2,s\n", "d.csv", "d.csv:2: missing task"),
    ("rows: 3\n", "e.yaml", "not a published table"),
    ("rows: [\n", "f.yaml", "not valid YAML"),
])
def test_bad_tables_are_one_line_errors(tmp_path: Path, text: str, name: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_published(path)
    assert expected in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ValueError, match="no such file"):
        load_published(tmp_path / "missing.csv")


def test_rows_match_the_runs_tasks_and_metrics_in_display_units(tmp_path: Path) -> None:
    run = make_run(tmp_path, "run-a", "model-a", 0.9, n=8)
    table = tmp_path / "t.csv"
    table.write_text("model,task,metric,value,source\nP,asr/fleurs-th,wer,0.25,S\nP,asr/fleurs-th,cer,0.1,S\n"
                     "P,other/task,wer,0.5,S\n", encoding="utf-8")
    data = build_data([run], tmp_path / "site", n_boot=50, published=load_published(table))
    assert data.published_left_out == 1 and len(data.published) == 2
    wer, cer = data.published
    cell = next(c for c in data.cells if c.task == "asr/fleurs-th" and c.language == "all")
    assert wer.kind == "error_rate" and wer.ours[0].value == pytest.approx(cell.value)
    assert cer.ours[0].value is None  # the run did not compute cer for this task
    import json
    exported = json.loads(export_json(data))["published"][0]
    assert exported["value"] == pytest.approx(25.0) and exported["ours"][0]["value"] == pytest.approx(100 * cell.value)


def test_shipped_table_names_real_tasks_and_their_metrics() -> None:
    from seabench.registry import registry

    tasks = registry().tasks()
    rows = load_published("papers")
    assert len(rows) > 300 and {r.source.split(",")[0] for r in rows} == {"MERaLiON-2 model card", "Sakshi et al."}
    for row in rows:
        assert row.task in tasks, row.task
        metrics = {m.name for m in tasks[row.task].metrics}
        assert row.metric in metrics or row.metric in NOT_COMPUTED, (row.task, row.metric)
        assert row.value >= 0 and row.source
    mmau = {r.model: r.value for r in rows if r.task == "mmau/test-mini" and r.metric == "accuracy_mmau_rule"}
    assert mmau["Qwen2-Audio-Instruct"] == pytest.approx(0.492) and mmau["Random guess"] == pytest.approx(0.26)
    part1 = {r.model: r.value for r in rows if r.task == "asr/mnsc-part1" and r.metric == "wer_audiobench_rule"}
    assert part1["MERaLiON-AudioLLM-Whisper-SEA-LION (MERaLiON-1)"] == pytest.approx(0.043)
    assert match_published(rows, [], []) == ([], len(rows))
