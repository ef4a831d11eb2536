"""`seabench agreement`: match judge verdicts with human ratings, compute statistics, write HTML + JSON.

Unit of analysis: one response = (task, sample id, judged run). Its human score is the median of
its raters' scores rounded half up (one rater: that rater's score); its judge score is the last
verdict's score, rounded half up if fractional. Responses without a judge score are excluded and
counted; ratings that match no judged response are counted as unmatched.

Judged responses come from run directories or from SeaBench-Audio's own judgement files
(`judgements/<judge>_eval_<model>.json`, see seabench.leaderboard.sba_files); human ratings from our
ratings file or SeaBench-Audio's layout. Groups: overall, task, task type and language.
"""

from __future__ import annotations

import statistics as pystats
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import combinations
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from seabench.leaderboard.agreement import (
    SCALE, Items, Stat, alpha_from_counts, bootstrap_stats, contingency, round_half_up,
)
from seabench.leaderboard.data import LoadedRun, load_run
from seabench.leaderboard.ratings import HumanRating
from seabench.leaderboard.scoring import judge_score
from seabench.records import atomic_write_text

DEFINITIONS = {
    "unit": "one judged response (task, sample id, model run)",
    "human score": "median of the response's human ratings, rounded half up",
    "judge score": "score of the last verdict in the sample record, rounded half up; unscored verdicts are excluded",
    "pearson / spearman / kendall_tau_b": "scipy.stats pearsonr, spearmanr, kendalltau(variant='b') over responses",
    "quadratic_kappa": "Cohen's kappa with quadratic weights over the 1-5 scale (= sklearn labels=[1..5])",
    "krippendorff_alpha_ordinal": "Krippendorff's alpha, ordinal metric, judge and human as two coders",
    "exact / within_one": "share of responses where |judge - human| is 0 / at most 1",
    "pairwise agreement": ("MT-Bench style: for every pair of responses to the same question from different models, "
                           "does the judge prefer the same response as the human (tie = equal scores)? "
                           "'without ties' drops pairs where either side tied"),
    "system level": "Spearman / Kendall tau-b between models' mean judge and mean human scores (needs >= 3 models)",
    "confidence interval": "percentile bootstrap, questions (task, sample id) resampled with replacement",
}


class Response(BaseModel):
    task: str
    sample_id: str
    system: str
    language: str
    judge: int
    human: int
    ratings: dict[str, int]  # rater -> score
    task_type: str | None = None


@dataclass(frozen=True)
class JudgedItem:
    score: float | None
    language: str
    task_type: str | None


@dataclass(frozen=True)
class JudgedRun:
    """A judge's scores for one model's responses, from a run directory or a judgement file."""

    run_id: str
    model: str
    source: str
    judge: str
    rubrics: str  # rubric id@version (sha256 prefix) of every rubric used
    items: dict[tuple[str, str], JudgedItem]  # (task, sample id) -> item


def from_run(run: LoadedRun) -> JudgedRun:
    tasks = run.result.tasks.values()
    judges = sorted({t.judge for t in tasks if t.judge})
    versions = sorted({v for t in tasks if t.judging for v in t.judging.served_versions})
    rubrics = sorted({f"{ref} (sha256 {sha[:12]})" for t in tasks if t.judging for ref, sha in t.judging.rubrics.items()}
                     or {t.rubric for t in tasks if t.rubric})
    items = {(task, sid): JudgedItem(judge_score(r), r.language, r.metadata.get("task_type"))
             for task, recs in run.records.items() for sid, r in recs.items()}
    judge = ", ".join(judges) + (f" (served: {', '.join(versions)})" if versions else "")
    return JudgedRun(run.result.run_id, run.result.model.id, run.path, judge, ", ".join(rubrics), items)


class Group(BaseModel):
    kind: str  # overall | task | task_type | language
    name: str
    counts: dict[str, int]
    stats: dict[str, Stat]
    confusion: list[list[int]]  # rows: human 1-5, columns: judge 1-5
    points: list[tuple[int, int]]  # (judge, human) per response, for the scatter plot


class InterAnnotator(BaseModel):
    items: int
    raters: int
    stats: dict[str, Stat]


class SystemRow(BaseModel):
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
    groups: list[Group]
    inter_annotator: InterAnnotator | None
    systems: list[SystemRow]


def match(runs: Sequence[JudgedRun], ratings: Sequence[HumanRating]) -> tuple[list[Response], dict[str, int]]:
    """Join ratings to judged responses; returns the responses and what could not be used."""
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
    responses, unscored = [], 0
    for (task, sid, rid), rs in sorted(grouped.items()):
        item = runs_by_id[rid].items[(task, sid)]
        if item.score is None or not 1 <= item.score <= 5:
            unscored += 1
            continue
        language = next((r.language for r in rs if r.language), None) or item.language
        responses.append(Response(task=task, sample_id=sid, system=rid, language=language, task_type=item.task_type,
                                  judge=round_half_up(item.score), human=round_half_up(pystats.median(r.score for r in rs)),
                                  ratings={r.rater: r.score for r in rs}))
    counts = {"ratings": len(ratings), "raters": len({r.rater for r in ratings}), "responses": len(responses),
              "unmatched_ratings": unmatched, "judge_unscored": unscored}
    return responses, counts


def _group(kind: str, name: str, responses: list[Response], n_boot: int, seed: int) -> Group:
    items = Items([r.judge for r in responses], [r.human for r in responses],
                  [f"{r.task}\u0000{r.sample_id}" for r in responses], [r.system for r in responses])
    return Group(kind=kind, name=name, counts=items.counts(),
                 stats=bootstrap_stats(items.n_questions, items.statistics, n_boot, seed),
                 confusion=contingency([r.judge for r in responses], [r.human for r in responses]).T.astype(int).tolist(),
                 points=[(r.judge, r.human) for r in responses])


def inter_annotator(responses: list[Response], n_boot: int, seed: int) -> InterAnnotator | None:
    """Agreement among humans on responses rated by two or more raters, next to the judge's on the same items."""
    multi = [r for r in responses if len(r.ratings) >= 2]
    if not multi:
        return None
    k = len(SCALE)
    humans = np.zeros((len(multi), k))  # how many raters gave each score to each response
    per_unit = np.zeros((len(multi), 6))  # human-human exact, within-1, pairs; judge-human exact, within-1, n
    for u, r in enumerate(multi):
        scores = list(r.ratings.values())
        for s in scores:
            humans[u, s - SCALE[0]] += 1
        pairs = list(combinations(scores, 2))
        per_unit[u] = (sum(a == b for a, b in pairs), sum(abs(a - b) <= 1 for a, b in pairs), len(pairs),
                       sum(s == r.judge for s in scores), sum(abs(s - r.judge) <= 1 for s in scores), len(scores))
    with_judge = humans.copy()
    with_judge[np.arange(len(multi)), [r.judge - SCALE[0] for r in multi]] += 1
    values = np.asarray(SCALE, float)

    def stats(weights: np.ndarray) -> dict[str, float | None]:
        hh_exact, hh_one, hh_n, jh_exact, jh_one, jh_n = weights @ per_unit
        return {
            "human_alpha_ordinal": alpha_from_counts(humans, values, "ordinal", weights),
            "human_plus_judge_alpha_ordinal": alpha_from_counts(with_judge, values, "ordinal", weights),
            "human_human_exact": float(hh_exact / hh_n), "judge_human_exact": float(jh_exact / jh_n),
            "human_human_within_one": float(hh_one / hh_n), "judge_human_within_one": float(jh_one / jh_n),
        }

    raters = {name for r in multi for name in r.ratings}
    return InterAnnotator(items=len(multi), raters=len(raters), stats=bootstrap_stats(len(multi), stats, n_boot, seed))


def load_judged(path: Path) -> list[JudgedRun]:
    """A run directory, or SeaBench-Audio judgement file(s) (a `*_eval_*.json` file or a folder of them)."""
    from seabench.leaderboard.sba_files import is_sba_judgements, read_sba_judgements

    path = Path(path)
    return read_sba_judgements(path) if is_sba_judgements(path) else [from_run(load_run(path))]


def agreement(judge_runs: Sequence[Path], human: Path, *, seed: int = 0, n_boot: int = 1000) -> AgreementReport:
    from seabench.leaderboard.sba_files import read_any_ratings

    runs = [run for path in judge_runs for run in load_judged(path)]
    ratings = read_any_ratings(human)
    responses, counts = match(runs, ratings)
    if not responses:
        raise ValueError(f"{human}: no rating matches a judged response in the given runs "
                         f"({counts['unmatched_ratings']} unmatched, {counts['judge_unscored']} judge-unscored)")
    groups = [_group("overall", "all", responses, n_boot, seed)]
    for kind in ("task", "task_type", "language"):
        for name in sorted({v for r in responses if (v := getattr(r, kind)) is not None}):
            groups.append(_group(kind, name, [r for r in responses if getattr(r, kind) == name], n_boot, seed))
    models = {run.run_id: run.model for run in runs}
    systems = [SystemRow(system=s, model=models[s], n=len(rs), judge_mean=float(np.mean([r.judge for r in rs])),
                         human_mean=float(np.mean([r.human for r in rs])))
               for s in sorted({r.system for r in responses}) if (rs := [r for r in responses if r.system == s])]
    judges = [{"run_id": run.run_id, "model": run.model, "source": run.source, "judge": run.judge,
               "rubric": run.rubrics} for run in runs]
    return AgreementReport(created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), judge_runs=judges,
                           human_file=str(human), n_boot=n_boot, seed=seed, counts=counts, groups=groups,
                           inter_annotator=inter_annotator(responses, n_boot, seed), systems=systems)


def run_agreement(judge_runs: list[Path], human: Path, out: Path, *, seed: int = 0, n_boot: int = 1000) -> Path:
    """Write out/agreement.html and out/agreement.json; returns the HTML path."""
    from seabench.leaderboard.html import render_page

    report = agreement(judge_runs, human, seed=seed, n_boot=n_boot)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "agreement.json", report.model_dump_json(indent=2))
    html = render_page("agreement.html.j2", ["agreement.js"], report.model_dump(mode="json"), report=report,
                       scale=SCALE)
    path = out / "agreement.html"
    atomic_write_text(path, html)
    return path
