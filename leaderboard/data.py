"""Run directories -> LeaderboardData (tables, pivots, failures, significance, samples).

Reads only `results.json` and the score index beside `samples.jsonl` (rebuilt from it when missing):
significance, judge alignment and answer counts come from columns, and only the records shown on
the page are parsed. Never imports a model, task or torch. The headline scores and the ranking
come from ranking.py; what readers get (page payload, JSON/CSV/Markdown) is written by exports.py.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from seabench.index import TaskColumns, parse_record
from seabench.leaderboard.scoring import (
    AGGREGATION_RULE, Kind, Scale, choice_counts, format_value, judge_scale, judge_score, metric_kind, normalise,
    primary_score, unit,
)
from seabench.leaderboard.published import PublishedEntry, PublishedRow, match_published
from seabench.leaderboard.ranking import Headline, headline
from seabench.leaderboard.significance import Comparison, Pair, compare_all
from seabench.leaderboard.task_types import TaskTypeCell, judge_answered, task_type_cells
from seabench.metrics import MeanMetric
from seabench.metrics.base import compute_sums
from seabench.metrics.columns import ScoreColumns
from seabench.records import RESULTS_FILE, SAMPLES_FILE, iter_latest
from seabench.snapshot import read_columns
from seabench.types import MetricValue, RunResult, SampleRecord, TaskResult

ALL = "all"
AUDIO_EMBED_CAP = 20 * 1024 * 1024  # bytes of audio inlined as data URIs before switching to SITE/audio/
MAX_SAMPLES_PER_TASK = 300
AUDIO_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg", ".mp3": "audio/mpeg",
               ".m4a": "audio/mp4", ".opus": "audio/ogg"}


class RunInfo(BaseModel):
    run_id: str
    label: str  # model id, made unique with the run id when two runs share a model
    model_id: str
    provider: str
    snapshot: str
    status: str
    source: str  # directory name
    warnings: list[str] = Field(default_factory=list)
    manifest: dict[str, Any] = Field(default_factory=dict)
    model: dict[str, Any] = Field(default_factory=dict)


class TaskInfo(BaseModel):
    name: str
    family: str
    languages: list[str]
    primary_metric: str
    direction: str
    kind: Kind
    n_choices: int | None = None
    scale: Scale | None = None  # judge tasks: the rubric's (lowest, highest) score; None if runs' scales differ
    unit: str = ""  # what readers see values in: "%", "0-100", "1-5", "0-5", "0-1"


class Cell(BaseModel):
    """The primary metric of one run on one task, overall (`language == "all"`) or for one language."""

    run_id: str
    task: str
    family: str
    language: str
    metric: str
    direction: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_failed: int
    display: str
    ci_display: str
    normalised: float | None
    rank: int | None = None
    mark: str = ""  # "*" significantly better than the next-ranked run, "=" not significantly different


class Failures(BaseModel):
    run_id: str
    task: str
    n: int
    completed: int
    errors: int
    errors_by_code: dict[str, int]
    empty: int
    refusals: int
    extract_fail: int
    judge_unscored: int
    wrong_language: int
    status: str


class Answer(BaseModel):
    run_id: str
    output: str
    value: float | None = None
    score: str
    flags: list[str]
    error: str
    judge_score: float | None
    judge_rationale: str


class SampleView(BaseModel):
    task: str
    sample_id: str
    language: str
    prompt: str
    reference: str
    choices: list[str]
    audio: list[str]  # keys into LeaderboardData.audio
    answers: list[Answer]


class LeaderboardData(BaseModel):
    title: str
    generated_at: str
    aggregation_rule: str
    runs: list[RunInfo]
    tasks: list[TaskInfo]
    languages: list[str]
    families: list[str]
    cells: list[Cell]
    failures: list[Failures]
    headline: Headline  # overall, per-language and per-family scores with CIs, and the ranking (ranking.py)
    comparisons: list[Comparison]
    samples: list[SampleView]
    samples_truncated: dict[str, int] = Field(default_factory=dict)  # task -> samples not embedded
    audio: dict[str, str] = Field(default_factory=dict)  # key -> data URI or relative URL
    audio_mode: str = "none"
    task_types: list[TaskTypeCell] = Field(default_factory=list)  # judge scores per task type x language
    published: list[PublishedEntry] = Field(default_factory=list)  # --published rows for these runs' tasks
    published_left_out: int = 0  # published rows for tasks no run here has


@dataclass
class LoadedRun:
    result: RunResult
    path: str
    columns: dict[str, TaskColumns]  # task -> one row per sample (its latest record), from the score index

    def records_of(self, task: str, sample_ids: Iterable[str]) -> dict[str, SampleRecord]:
        """The full latest records of some samples of a task (those a page shows), read by position."""
        rows = self.columns.get(task)
        wanted = [sid for sid in sample_ids if rows is not None and sid in rows]
        if rows is None or not wanted:
            return {}
        samples = Path(self.path) / SAMPLES_FILE
        out = {}
        with open(samples, "rb") as fh:
            for sid, row in zip(wanted, rows.rows_of(wanted), strict=True):
                start, end = rows.span(row)
                fh.seek(start)
                out[sid] = parse_record(samples, fh.read(end - start), start)
        return out

    @cached_property
    def records(self) -> dict[str, dict[str, SampleRecord]]:
        """Every latest record (task -> sample id -> record), for the smaller reports that need them all."""
        out: dict[str, dict[str, SampleRecord]] = {}
        for record in iter_latest(Path(self.path) / SAMPLES_FILE):
            out.setdefault(record.task, {})[record.sample_id] = record
        return out


def load_run(path: Path) -> LoadedRun:
    """Read one run directory; a missing or invalid results.json is a one-line ValueError."""
    results = path / RESULTS_FILE
    if not results.is_file():
        raise ValueError(f"{path}: no {RESULTS_FILE} here; pass a SeaBench run directory")
    try:
        result = RunResult.model_validate_json(results.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise ValueError(f"{results}: not a valid SeaBench results file ({exc.error_count()} schema errors)") from exc
    return LoadedRun(result=result, path=str(path), columns=read_columns(path / SAMPLES_FILE)[1])


def _unique_ids(runs: Sequence[LoadedRun]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for run in runs:
        rid = run.result.run_id
        seen[rid] = seen.get(rid, 0) + 1
        out.append(rid if seen[rid] == 1 else f"{rid}#{seen[rid]}")
    return out


def _run_infos(runs: Sequence[LoadedRun], ids: list[str]) -> list[RunInfo]:
    model_ids = [r.result.model.id for r in runs]
    infos = []
    for run, rid in zip(runs, ids, strict=True):
        res = run.result
        label = res.model.id if model_ids.count(res.model.id) == 1 else f"{res.model.id} ({rid})"
        infos.append(RunInfo(run_id=rid, label=label, model_id=res.model.id, provider=res.model.provider,
                             snapshot=res.model.snapshot, status=res.status, source=Path(run.path).name,
                             warnings=res.warnings, manifest=res.manifest.model_dump(mode="json"),
                             model=res.model.model_dump(mode="json")))
    return infos


def _ci_text(kind: Kind, mv: MetricValue) -> str:
    if mv.ci_low is None or mv.ci_high is None:
        return ""
    return f"[{format_value(kind, mv.ci_low)}, {format_value(kind, mv.ci_high)}]"


def _cell(rid: str, task: TaskResult, info: TaskInfo, language: str, mv: MetricValue | None) -> Cell:
    value = mv.value if mv else None
    return Cell(run_id=rid, task=task.name, family=task.family, language=language, metric=task.primary_metric,
                direction=task.direction, value=value, ci_low=mv.ci_low if mv else None,
                ci_high=mv.ci_high if mv else None, n=mv.n if mv else 0, n_failed=mv.n_failed if mv else 0,
                display=format_value(info.kind, value), ci_display=_ci_text(info.kind, mv) if mv else "",
                normalised=normalise(info.kind, value, info.n_choices, info.scale))


def _task_infos(runs: Sequence[LoadedRun]) -> dict[str, TaskInfo]:
    infos: dict[str, TaskInfo] = {}
    for run in runs:
        for name, task in run.result.tasks.items():
            if name in infos:
                continue
            counts: Counter[int] = Counter()
            for other in runs:
                if name in other.columns:
                    counts.update(choice_counts(other.columns[name]))
            k = counts.most_common(1)[0][0] if counts else None
            kind = metric_kind(task.primary_metric, task)
            scales = {judge_scale(other.result.tasks[name]) for other in runs if name in other.result.tasks}
            scale = scales.pop() if kind == "judge" and len(scales) == 1 else None
            infos[name] = TaskInfo(name=name, family=task.family, languages=task.languages,
                                   primary_metric=task.primary_metric, direction=task.direction,
                                   kind=kind, n_choices=k, scale=scale, unit=unit(kind, scale))
    return dict(sorted(infos.items()))


def judged_everywhere(runs: Sequence[LoadedRun], task: str) -> set[str] | None:
    """Sample ids of a judge-scored task that every run holding the task has a judge score for.
    None when fewer than two runs hold it (nothing to align). A run whose judge calls all failed has
    no score and does not narrow the others' items."""
    holding = [run.columns.get(task, TaskColumns()) for run in runs if task in run.result.tasks]
    holding = [rows for rows in holding if judge_answered(rows)]
    if len(holding) < 2:
        return None
    sets = [{sid for sid, score in zip(rows.ids, rows.judge_scores(), strict=True) if not np.isnan(score)}
            for rows in holding]
    return set.intersection(*sets)


def _same_items_metrics(runs: Sequence[LoadedRun], common: dict[str, set[str] | None], seed: int = 0
                        ) -> dict[tuple[int, str], MetricValue]:
    """(run index, task) -> judge-score mean over exactly the task's common ids, so every model is
    averaged over the same judged items (one bootstrap draw for all of them)."""
    batch = []
    keys = []
    for k, run in enumerate(runs):
        for name, task in run.result.tasks.items():
            ids = common.get(name)
            if ids is None:
                continue
            rows = run.columns.get(name, TaskColumns())
            values = rows.judge_scores()[rows.rows_of(sorted(i for i in ids if i in rows))]
            batch.append((MeanMetric(task.primary_metric, "judge"),
                          ScoreColumns(values, np.zeros(len(values), dtype=np.int32), [()], {})))
            keys.append((k, name))
    out = dict(zip(keys, compute_sums(batch, seed), strict=True))
    for (_, name), value in out.items():
        value.details["same_items"] = len(common[name] or ())
    return out


def _cells(runs: Sequence[LoadedRun], ids: list[str], tasks: dict[str, TaskInfo]) -> list[Cell]:
    cells = []
    common = {name: judged_everywhere(runs, name) for name, info in tasks.items() if info.kind == "judge"}
    same_items = _same_items_metrics(runs, common)
    for k, (run, rid) in enumerate(zip(runs, ids, strict=True)):
        for name, task in run.result.tasks.items():
            info = tasks[name]
            shared = common.get(name)
            overall = task.metrics.get(task.primary_metric) if shared is None else same_items[(k, name)]
            if info.kind == "judge" and not judge_answered(run.columns.get(name, TaskColumns())):
                overall = None  # the judge never answered for this run: no score, not the empty-answer minimum
            cells.append(_cell(rid, task, info, ALL, overall))
            for lang, metrics in sorted(task.breakdowns.get("language", {}).items()):
                cells.append(_cell(rid, task, info, lang, metrics.get(task.primary_metric)))
    return cells


def _failures(runs: Sequence[LoadedRun], ids: list[str]) -> list[Failures]:
    out = []
    for run, rid in zip(runs, ids, strict=True):
        for name, task in sorted(run.result.tasks.items()):
            c = task.counts
            out.append(Failures(run_id=rid, task=name, n=c.n, completed=c.completed, errors=c.n_errors,
                                errors_by_code=c.errors, empty=c.empty, refusals=c.refusals,
                                extract_fail=c.extract_fail, judge_unscored=c.unscored,
                                wrong_language=c.wrong_language, status=task.status))
    return out


def _rank_and_compare(cells: list[Cell], runs: Sequence[LoadedRun], ids: list[str], tasks: dict[str, TaskInfo],
                      n_boot: int, seed: int) -> list[Comparison]:
    """All pairwise paired tests per task; rank runs and mark adjacent pairs on the overall cells."""
    columns = dict(zip(ids, (r.columns for r in runs), strict=True))
    pairs: list[Pair] = []
    orders: dict[str, dict[str, int]] = {}
    ranks: dict[str, list[Cell]] = {}
    for name, info in tasks.items():
        ranked = sorted((c for c in cells if c.task == name and c.language == ALL and c.value is not None),
                        key=lambda c: c.value if info.direction == "lower" else -c.value)  # type: ignore[operator]
        for rank, cell in enumerate(ranked, start=1):
            cell.rank = rank
        ranks[name] = ranked
        orders[name] = {c.run_id: i for i, c in enumerate(ranked)}
        pairs.extend(Pair(name, info.primary_metric, info.kind, info.direction, columns[a].get(name, TaskColumns()),
                          columns[b].get(name, TaskColumns()), a, b)
                     for a, b in combinations([c.run_id for c in ranked], 2))
    comparisons = compare_all(pairs, n_boot=n_boot, seed=seed)
    for comp in comparisons:
        comp.adjacent = abs(orders[comp.task][comp.run_a] - orders[comp.task][comp.run_b]) == 1
    by_pair = {(c.task, c.run_a, c.run_b): c for c in comparisons}
    for name, ranked in ranks.items():
        for upper, lower in zip(ranked, ranked[1:]):
            upper.mark = "*" if by_pair[(name, upper.run_id, lower.run_id)].significant else "="
    return comparisons


def _text(value: str | list[str] | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else "\n".join(value)


def resolve_audio(path: str, run_dir: Path) -> Path | None:
    candidate = Path(path)
    for p in (candidate, run_dir / candidate):
        if p.is_file():
            return p
    return None


class _AudioCollector:
    """Gives every distinct clip a key; decides later whether to inline or copy them."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.by_path: dict[Path, str] = {}

    def key(self, path: str, run_dir: Path) -> str | None:
        found = resolve_audio(path, run_dir)
        if found is None or found.suffix.lower() not in AUDIO_TYPES:
            return None
        found = found.resolve()
        if found not in self.by_path:
            key = f"a{len(self.by_path)}"
            self.by_path[found] = key
            self.files[key] = found
        return self.by_path[found]

    def urls(self, out: Path, cap: int) -> tuple[dict[str, str], str]:
        if not self.files:
            return {}, "none"
        total = sum(p.stat().st_size for p in self.files.values())
        if total <= cap:
            return {k: f"data:{AUDIO_TYPES[p.suffix.lower()]};base64,{base64.b64encode(p.read_bytes()).decode()}"
                    for k, p in self.files.items()}, "inline"
        audio_dir = out / "audio"
        audio_dir.mkdir(parents=True, exist_ok=True)
        urls = {}
        for key, p in self.files.items():
            name = hashlib.sha256(str(p).encode()).hexdigest()[:16] + p.suffix.lower()
            shutil.copyfile(p, audio_dir / name)
            urls[key] = f"audio/{name}"
        return urls, "copied"


def _answer(rid: str, record: SampleRecord | None, info: TaskInfo) -> Answer:
    if record is None:
        return Answer(run_id=rid, output="", score="not run", flags=[], error="", judge_score=None, judge_rationale="")
    score = primary_score(record, info.primary_metric, info.kind)
    flags = sorted({f for s in record.scores.values() for f in s.flags})
    value = score.value if score else None
    shown = format_value(info.kind, value)
    error = f"{record.error_code.value}: {record.error_message or ''}" if record.error_code else ""
    verdict = record.verdicts[-1] if record.verdicts else None
    return Answer(run_id=rid, output=record.output.text if record.output else "", value=value, score=shown, flags=flags,
                  error=error, judge_score=judge_score(record),
                  judge_rationale=(verdict.rationale or verdict.unscored_reason or "") if verdict else "")


def _samples(runs: Sequence[LoadedRun], ids: list[str], tasks: dict[str, TaskInfo], audio: _AudioCollector,
             max_per_task: int) -> tuple[list[SampleView], dict[str, int]]:
    views: list[SampleView] = []
    truncated: dict[str, int] = {}
    for name, info in tasks.items():
        sample_ids = sorted({sid for run in runs for sid in run.columns.get(name, TaskColumns()).ids})
        if len(sample_ids) > max_per_task:
            truncated[name] = len(sample_ids) - max_per_task
        shown = [run.records_of(name, sample_ids[:max_per_task]) for run in runs]
        for sid in sample_ids[:max_per_task]:
            per_run = [(rid, records.get(sid), Path(run.path)) for run, rid, records in zip(runs, ids, shown, strict=True)]
            first, run_dir = next((rec, d) for _, rec, d in per_run if rec is not None)
            keys = [k for ref in first.audio if (k := audio.key(ref.path, run_dir)) is not None]
            views.append(SampleView(task=name, sample_id=sid, language=first.language, prompt=first.prompt,
                                    reference=_text(first.reference or first.label), choices=first.choices or [],
                                    audio=keys, answers=[_answer(rid, rec, info) for rid, rec, _ in per_run]))
    return views, truncated


def build_data(run_dirs: Sequence[Path], out: Path, *, title: str = "SeaBench leaderboard", n_boot: int = 1000,
               seed: int = 0, max_samples_per_task: int = MAX_SAMPLES_PER_TASK,
               audio_cap: int = AUDIO_EMBED_CAP, published: Sequence[PublishedRow] = ()) -> LeaderboardData:
    """Everything the page and the exports show. Audio is inlined under `audio_cap`, else copied to out/audio/;
    `published` rows are matched to the runs' tasks."""
    if not run_dirs:
        raise ValueError("no run directories given")
    runs = [load_run(Path(d)) for d in run_dirs]
    ids = _unique_ids(runs)
    tasks = _task_infos(runs)
    cells = _cells(runs, ids, tasks)
    comparisons = _rank_and_compare(cells, runs, ids, tasks, n_boot, seed)
    audio = _AudioCollector()
    samples, truncated = _samples(runs, ids, tasks, audio, max_samples_per_task)
    urls, mode = audio.urls(out, audio_cap)
    languages = sorted({c.language for c in cells if c.language != ALL})
    matched, unmatched = match_published(published, ids, [r.result for r in runs])
    return LeaderboardData(
        title=title, generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        aggregation_rule=AGGREGATION_RULE, runs=_run_infos(runs, ids), tasks=list(tasks.values()),
        languages=languages, families=sorted({t.family for t in tasks.values()}), cells=cells,
        failures=_failures(runs, ids), headline=headline(ids, [r.columns for r in runs], list(tasks.values()),
                                                         n_boot=n_boot, seed=seed), comparisons=comparisons,
        samples=samples, samples_truncated=truncated, audio=urls, audio_mode=mode,
        task_types=task_type_cells([r.columns for r in runs], ids), published=matched, published_left_out=unmatched,
    )

