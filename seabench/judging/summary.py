"""Who judged each task and with which rubrics: `judging.json` in the run directory, written by
the judging step from the verdicts of every record of the judged tasks, and copied into each
task's `results.json` entry (`judge`, `judging`) when results are written. Kept beside the
records so results never need to re-read every verdict. `scales` (each rubric's lowest and highest
score) is what the leaderboard normalises judge scores with."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import TypeAdapter

from seabench.records import atomic_write_text
from seabench.types import JudgingInfo, SampleRecord, TaskResult

JUDGING_FILE = "judging.json"
_FILE = TypeAdapter(dict[str, JudgingInfo])


def summarize(records: Iterable[SampleRecord]) -> JudgingInfo | None:
    """Judge id(s), served versions, rubric refs with sha256 and score scale, and how items ended; None if
    none was judged. A verdict of a shipped rubric written before scales were recorded takes that rubric's."""
    from seabench.judging.phase import JUDGE_SCORER, NOT_SENT
    from seabench.judging.rubric import shipped_scale

    judges: set[str] = set()
    info = JudgingInfo(judge="")
    for record in records:
        if not record.verdicts:
            continue
        verdict = record.verdicts[-1]
        judges.add(verdict.judge)
        if verdict.model_version:
            info.served_versions.append(verdict.model_version)
        if verdict.rubric:
            info.rubrics[verdict.rubric] = verdict.rubric_sha256 or ""
            if scale := verdict.scale or (None if verdict.rubric_source else shipped_scale(verdict.rubric)):
                info.scales[verdict.rubric] = scale
        if verdict.rubric_source:
            info.rubric_files[verdict.rubric_source] = verdict.rubric_sha256 or ""
        score = record.scores.get(JUDGE_SCORER)
        if verdict.score is None:
            info.unscored += 1
        elif score is not None and NOT_SENT in score.flags:
            info.scored_without_call += 1
        else:
            info.scored_by_judge += 1
    if not judges:
        return None
    info.judge = ", ".join(sorted(judges))
    info.served_versions = sorted(set(info.served_versions))
    return info


def read_judging(run_dir: Path) -> dict[str, JudgingInfo]:
    path = run_dir / JUDGING_FILE
    if not path.is_file():
        return {}
    try:
        return _FILE.validate_json(path.read_bytes())
    except ValueError:
        return {}  # rewritten by the next judging step


def write_judging(run_dir: Path, task_names: Iterable[str], records: Iterable[SampleRecord]) -> None:
    """Summaries of `task_names` from all their records; other tasks' entries are kept."""
    wanted = set(task_names)
    by_task: dict[str, list[SampleRecord]] = {name: [] for name in wanted}
    for record in records:
        if record.task in wanted:
            by_task[record.task].append(record)
    summaries = read_judging(run_dir)
    for name, recs in by_task.items():
        info = summarize(recs)
        if info is not None:
            summaries[name] = info
    atomic_write_text(run_dir / JUDGING_FILE, _FILE.dump_json(summaries, indent=2).decode())


def attach_judging(run_dir: Path, results: dict[str, TaskResult]) -> None:
    """Copy each task's judging summary into its result (judge id, rubrics with sha256)."""
    summaries = read_judging(run_dir)
    for name, result in results.items():
        info = summaries.get(name)
        if info is not None:
            result.judge, result.judging = info.judge, info
