"""`seabench agreement`: match judge verdicts with human ratings, compute statistics, write HTML + JSON.

Unit of analysis: one response = (task, sample id, judged run). Its human score is the median of
its raters' scores rounded half up (one rater: that rater's score); its judge score is the last
verdict's score, rounded half up if fractional. Responses without a judge score (or with one outside
its rubric's scale) are excluded, counted and listed; ratings that match no judged response are
counted as unmatched; a human rating outside its item's scale is an error naming its file and row.

Every response is compared on its rubric's scale (1-5, 0-5, 0/1, as the verdict records it). Each
scale is analysed on its own: scores on different scales are never pooled into one statistic, so
there is an "overall" group per scale and none across scales.

Judged responses come from run directories or from SeaBench-Audio's own judgement files
(`judgements/<judge>_eval_<model>.json`, see seabench.leaderboard.sba_files); human ratings from our
ratings file or SeaBench-Audio's layout. Groups per scale: overall, task, task type and language.
"""

from __future__ import annotations

import statistics as pystats
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import combinations
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from seabench.judging.rubric import shipped_scale
from seabench.leaderboard.agreement import (
    Items, Scale, Stat, alpha_from_counts, bootstrap_stats, contingency, labels_of, round_half_up,
)
from seabench.leaderboard.data import LoadedRun, load_run
from seabench.leaderboard.ratings import HumanRating
from seabench.leaderboard.scoring import LEGACY_JUDGE_SCALE, judge_score
from seabench.records import atomic_write_text
from seabench.types import SampleRecord

LEGACY_SCALE: Scale = (int(LEGACY_JUDGE_SCALE[0]), int(LEGACY_JUDGE_SCALE[1]))
MAX_LISTED = 5  # out-of-scale ratings named in the error; the rest are counted

DEFINITIONS = {
    "unit": "one judged response (task, sample id, model run)",
    "scale": ("the score range of the rubric the response was judged with (1-5, 0-5, 0/1), as its verdict records it; "
              "every statistic, confusion matrix and scatter plot is computed within one scale and responses on "
              "different scales are never pooled, so each scale has its own 'overall' group and there is no overall "
              "across scales"),
    "human score": ("median of the response's human ratings, rounded half up; a rating outside the response's scale "
                    "is an error naming its file and row"),
    "judge score": ("score of the last verdict in the sample record, rounded half up; responses whose verdict is "
                    "unscored or outside the scale are excluded, counted and listed under 'excluded'"),
    "pearson / spearman / kendall_tau_b": "scipy.stats pearsonr, spearmanr, kendalltau(variant='b') over responses",
    "quadratic_kappa": ("Cohen's kappa with quadratic weights over the scale's scores (= sklearn labels=[lowest..highest]); "
                        "on a 0/1 scale it equals unweighted kappa"),
    "krippendorff_alpha_ordinal": ("Krippendorff's alpha, ordinal metric, judge and human as two coders "
                                   "(on a 0/1 scale equal to the nominal alpha)"),
    "exact / within_one": ("share of responses where |judge - human| is 0 / at most 1; within_one is not reported "
                           "(null) on a two-point scale such as 0/1, where every pair of scores is within 1"),
    "pairwise agreement": ("MT-Bench style: for every pair of responses to the same question from different models, "
                           "does the judge prefer the same response as the human (tie = equal scores)? "
                           "'without ties' drops pairs where either side tied"),
    "system level": "Spearman / Kendall tau-b between models' mean judge and mean human scores (needs >= 3 models)",
    "confidence interval": "percentile bootstrap, questions (task, sample id) resampled with replacement",
}


def scale_name(scale: Scale) -> str:
    return f"{scale[0]}-{scale[1]}"


class Response(BaseModel):
    task: str
    sample_id: str
    system: str
    language: str
    scale: Scale
    judge: int
    human: int
    ratings: dict[str, int]  # rater -> score
    task_type: str | None = None


class Excluded(BaseModel):
    """A rated response left out of the statistics, and why."""

    task: str
    sample_id: str
    system: str
    reason: str


@dataclass(frozen=True)
class JudgedItem:
    score: float | None
    language: str
    task_type: str | None
    scale: Scale = LEGACY_SCALE


@dataclass(frozen=True)
class JudgedRun:
    """A judge's scores for one model's responses, from a run directory or a judgement file."""

    run_id: str
    model: str
    source: str
    judge: str
    rubrics: str  # rubric id@version (sha256 prefix) of every rubric used
    items: dict[tuple[str, str], JudgedItem]  # (task, sample id) -> item


def record_scale(record: SampleRecord, recorded: Mapping[str, Scale]) -> Scale:
    """The scale of a record's judge score: its last verdict's, else the one results.json records for that
    verdict's rubric (`judging.scales`), else its shipped rubric's, else 1-5 (every rubric before AudioBench's)."""
    verdict = record.verdicts[-1] if record.verdicts else None
    if verdict is None:
        return LEGACY_SCALE
    found = verdict.scale or recorded.get(verdict.rubric) or (
        None if verdict.rubric_source else shipped_scale(verdict.rubric))
    low, high = found or LEGACY_SCALE
    return int(low), int(high)


def from_run(run: LoadedRun) -> JudgedRun:
    tasks = run.result.tasks.values()
    judges = sorted({t.judge for t in tasks if t.judge})
    versions = sorted({v for t in tasks if t.judging for v in t.judging.served_versions})
    rubrics = sorted({f"{ref} (sha256 {sha[:12]})" for t in tasks if t.judging for ref, sha in t.judging.rubrics.items()}
                     or {t.rubric for t in tasks if t.rubric})
    recorded = {name: t.judging.scales if t.judging else {} for name, t in run.result.tasks.items()}
    items = {(task, sid): JudgedItem(judge_score(r), r.language, r.metadata.get("task_type"),
                                     record_scale(r, recorded.get(task, {})))
             for task, recs in run.records.items() for sid, r in recs.items()}
    judge = ", ".join(judges) + (f" (served: {', '.join(versions)})" if versions else "")
    return JudgedRun(run.result.run_id, run.result.model.id, run.path, judge, ", ".join(rubrics), items)


class Group(BaseModel):
    kind: str  # overall | task | task_type | language
    name: str
    scale: Scale
    counts: dict[str, int]
    stats: dict[str, Stat]
    confusion: list[list[int]]  # rows: human lowest..highest, columns: judge lowest..highest
    points: list[tuple[int, int]]  # (judge, human) per response, for the scatter plot


class InterAnnotator(BaseModel):
    scale: Scale
    items: int
    raters: int
    stats: dict[str, Stat]


class SystemRow(BaseModel):
    scale: Scale
    system: str
    model: str
    n: int
    judge_mean: float
    human_mean: float


class AgreementReport(BaseModel):
    created_at: str
    judge_runs: list[dict[str, str]]
    human_file: str
    n_boot: int
    seed: int
    definitions: dict[str, str] = Field(default_factory=lambda: dict(DEFINITIONS))
    counts: dict[str, int]
    responses_by_scale: dict[str, int]  # "0-5" -> responses compared on that scale
    excluded: list[Excluded]
    groups: list[Group]
    inter_annotator: list[InterAnnotator]  # one per scale with responses rated by two or more people
    systems: list[SystemRow]


@dataclass(frozen=True)
class Matched:
    responses: list[Response]
    excluded: list[Excluded]
    counts: dict[str, int]


def _outside_scale_error(messages: list[str]) -> ValueError:
    more = f"; and {len(messages) - MAX_LISTED} more" if len(messages) > MAX_LISTED else ""
    return ValueError(f"{len(messages)} human rating(s) outside their item's rubric scale (fix or remove them): "
                      + "; ".join(messages[:MAX_LISTED]) + more)


def match(runs: Sequence[JudgedRun], ratings: Sequence[HumanRating]) -> Matched:
    """Join ratings to judged responses; returns the responses and what could not be used. A rating outside
    its item's scale is a ValueError naming its file and row."""
    by_name: dict[str, JudgedRun] = {}
    for run in runs:  # a rating names its model by id, run id, or short name ("SeaLLMs-Audio-7B" for hf:SeaLLMs/...)
        by_name.setdefault(run.model.rsplit(":", 1)[-1].rsplit("/", 1)[-1], run)
        by_name.setdefault(run.model, run)
        by_name[run.run_id] = run
    grouped: dict[tuple[str, str, str], list[HumanRating]] = defaultdict(list)
    unmatched = 0
    for r in ratings:
        run = by_name.get(r.model)
        if run is None or (r.task, r.sample_id) not in run.items:
            unmatched += 1
            continue
        grouped[(r.task, r.sample_id, run.run_id)].append(r)
    runs_by_id = {run.run_id: run for run in runs}
    responses, excluded, outside = [], [], []
    unscored = judge_outside = 0
    for (task, sid, rid), rs in sorted(grouped.items()):
        item = runs_by_id[rid].items[(task, sid)]
        low, high = item.scale
        outside += [f"{r.where or f'rating by {r.rater}'}: score {r.score} for {task} {sid} is outside {low}-{high}"
                    for r in rs if not low <= r.score <= high]
        if item.score is None or not low <= item.score <= high:
            unscored += item.score is None
            judge_outside += item.score is not None
            reason = "no judge score" if item.score is None else f"judge score {item.score:g} outside {low}-{high}"
            excluded.append(Excluded(task=task, sample_id=sid, system=rid, reason=reason))
            continue
        language = next((r.language for r in rs if r.language), None) or item.language
        responses.append(Response(task=task, sample_id=sid, system=rid, language=language, task_type=item.task_type,
                                  scale=item.scale, judge=round_half_up(item.score),
                                  human=round_half_up(pystats.median(r.score for r in rs)),
                                  ratings={r.rater: r.score for r in rs}))
    if outside:
        raise _outside_scale_error(outside)
    counts = {"ratings": len(ratings), "raters": len({r.rater for r in ratings}), "responses": len(responses),
              "unmatched_ratings": unmatched, "judge_unscored": unscored, "judge_outside_scale": judge_outside}
    return Matched(responses, excluded, counts)


def _group(kind: str, name: str, scale: Scale, responses: list[Response], n_boot: int, seed: int) -> Group:
    labels = labels_of(scale)
    judge, human = [r.judge for r in responses], [r.human for r in responses]
    items = Items(judge, human, [f"{r.task}\u0000{r.sample_id}" for r in responses], [r.system for r in responses],
                  labels)
    return Group(kind=kind, name=name, scale=scale, counts=items.counts(),
                 stats=bootstrap_stats(items.n_questions, items.statistics, n_boot, seed),
                 confusion=contingency(judge, human, labels).T.astype(int).tolist(),
                 points=list(zip(judge, human, strict=True)))


def groups_of(scale: Scale, responses: list[Response], n_boot: int, seed: int) -> list[Group]:
    """Overall, per task, task type and language, all on one scale."""
    groups = [_group("overall", "all", scale, responses, n_boot, seed)]
    for kind in ("task", "task_type", "language"):
        for name in sorted({v for r in responses if (v := getattr(r, kind)) is not None}):
            groups.append(_group(kind, name, scale, [r for r in responses if getattr(r, kind) == name], n_boot, seed))
    return groups


def inter_annotator(responses: list[Response], scale: Scale, n_boot: int, seed: int) -> InterAnnotator | None:
    """Agreement among humans on responses rated by two or more raters, next to the judge's on the same items
    (one scale; +-1 agreement is None on a two-point scale, as in `table_statistics`)."""
    multi = [r for r in responses if len(r.ratings) >= 2]
    if not multi:
        return None
    labels = labels_of(scale)
    low, k = labels[0], len(labels)
    humans = np.zeros((len(multi), k))  # how many raters gave each score to each response
    per_unit = np.zeros((len(multi), 6))  # human-human exact, within-1, pairs; judge-human exact, within-1, n
    for u, r in enumerate(multi):
        scores = list(r.ratings.values())
        for s in scores:
            humans[u, s - low] += 1
        pairs = list(combinations(scores, 2))
        per_unit[u] = (sum(a == b for a, b in pairs), sum(abs(a - b) <= 1 for a, b in pairs), len(pairs),
                       sum(s == r.judge for s in scores), sum(abs(s - r.judge) <= 1 for s in scores), len(scores))
    with_judge = humans.copy()
    with_judge[np.arange(len(multi)), [r.judge - low for r in multi]] += 1
    values = np.asarray(labels, float)
    within_one_applies = k > 2

    def stats(weights: np.ndarray) -> dict[str, float | None]:
        hh_exact, hh_one, hh_n, jh_exact, jh_one, jh_n = weights @ per_unit
        return {
            "human_alpha_ordinal": alpha_from_counts(humans, values, "ordinal", weights),
            "human_plus_judge_alpha_ordinal": alpha_from_counts(with_judge, values, "ordinal", weights),
            "human_human_exact": float(hh_exact / hh_n), "judge_human_exact": float(jh_exact / jh_n),
            "human_human_within_one": float(hh_one / hh_n) if within_one_applies else None,
            "judge_human_within_one": float(jh_one / jh_n) if within_one_applies else None,
        }

    raters = {name for r in multi for name in r.ratings}
    return InterAnnotator(scale=scale, items=len(multi), raters=len(raters),
                          stats=bootstrap_stats(len(multi), stats, n_boot, seed))


def system_rows(scale: Scale, responses: list[Response], models: Mapping[str, str]) -> list[SystemRow]:
    return [SystemRow(scale=scale, system=s, model=models[s], n=len(rs), judge_mean=float(np.mean([r.judge for r in rs])),
                      human_mean=float(np.mean([r.human for r in rs])))
            for s in sorted({r.system for r in responses}) if (rs := [r for r in responses if r.system == s])]


def load_judged(path: Path) -> list[JudgedRun]:
    """A run directory, or SeaBench-Audio judgement file(s) (a `*_eval_*.json` file or a folder of them)."""
    from seabench.leaderboard.sba_files import is_sba_judgements, read_sba_judgements

    path = Path(path)
    return read_sba_judgements(path) if is_sba_judgements(path) else [from_run(load_run(path))]


def agreement(judge_runs: Sequence[Path], human: Path, *, seed: int = 0, n_boot: int = 1000) -> AgreementReport:
    from seabench.leaderboard.sba_files import read_any_ratings

    runs = [run for path in judge_runs for run in load_judged(path)]
    ratings = read_any_ratings(human)
    matched = match(runs, ratings)
    counts = matched.counts
    if not matched.responses:
        raise ValueError(f"{human}: no rating matches a judged response in the given runs "
                         f"({counts['unmatched_ratings']} unmatched, {counts['judge_unscored']} judge-unscored, "
                         f"{counts['judge_outside_scale']} with a judge score outside its scale)")
    models = {run.run_id: run.model for run in runs}
    groups, inter, systems, by_scale = [], [], [], {}
    for scale in sorted({r.scale for r in matched.responses}):
        on_scale = [r for r in matched.responses if r.scale == scale]
        by_scale[scale_name(scale)] = len(on_scale)
        groups += groups_of(scale, on_scale, n_boot, seed)
        if (ia := inter_annotator(on_scale, scale, n_boot, seed)) is not None:
            inter.append(ia)
        systems += system_rows(scale, on_scale, models)
    judges = [{"run_id": run.run_id, "model": run.model, "source": run.source, "judge": run.judge,
               "rubric": run.rubrics} for run in runs]
    return AgreementReport(created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), judge_runs=judges,
                           human_file=str(human), n_boot=n_boot, seed=seed, counts=counts, responses_by_scale=by_scale,
                           excluded=matched.excluded, groups=groups, inter_annotator=inter, systems=systems)


def run_agreement(judge_runs: list[Path], human: Path, out: Path, *, seed: int = 0, n_boot: int = 1000) -> Path:
    """Write out/agreement.html and out/agreement.json; returns the HTML path."""
    from seabench.leaderboard.html import render_page

    report = agreement(judge_runs, human, seed=seed, n_boot=n_boot)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "agreement.json", report.model_dump_json(indent=2))
    html = render_page("agreement.html.j2", ["agreement.js"], report.model_dump(mode="json"), report=report)
    path = out / "agreement.html"
    atomic_write_text(path, html)
    return path
