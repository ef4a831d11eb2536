"""Paired bootstrap significance between two runs on the same items of one task.

Items are aligned by sample id (the intersection of both runs), and the primary metric is
recomputed on each resample from per-sample sufficient statistics with the core metric classes
(corpus WER from summed edit counts, BLEU from summed n-gram counts, means of values), so the
tested difference is the same quantity the table shows. Statistics are read from each run's score
index (columns), and tests over the same number of items share one draw of resamples.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from seabench.index import TaskColumns
from seabench.leaderboard.scoring import Kind, metric_kind, primary_columns
from seabench.metrics.base import SumMetric
from seabench.metrics.bootstrap import paired_bootstraps

ALPHA = 0.05


class Comparison(BaseModel):
    """metric(a) - metric(b) on the items both runs have; `better` names the significantly better run."""

    task: str
    metric: str
    run_a: str
    run_b: str
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_common: int
    n_used: int
    only_a: int
    only_b: int
    significant: bool
    better: str | None
    adjacent: bool = False


def metric_for(primary: str) -> SumMetric:
    """The core metric object whose `statistic` recomputes `primary` from summed per-sample rows; another
    error rate (the mixed error rate, wer_audiobench_rule) is a corpus rate of its edit counts, never a
    mean of per-item rates."""
    from seabench.metrics import BLEU, CER, MER, WER, ChrFpp, ErrorRate, MacroF1, MeanMetric

    known: dict[str, type[SumMetric]] = {"wer": WER, "cer": CER, "mer": MER, "bleu": BLEU, "chrf++": ChrFpp,
                                         "macro_f1": MacroF1}
    cls = known.get(primary.lower())
    if cls is not None:
        return cls()
    return ErrorRate(primary, primary) if metric_kind(primary) == "error_rate" else MeanMetric(primary, primary)


@dataclass
class Pair:
    """One test to run: `primary` of run_a vs run_b on one task."""

    task: str
    primary: str
    kind: Kind
    direction: str
    columns_a: TaskColumns
    columns_b: TaskColumns
    run_a: str
    run_b: str


def compare_all(pairs: list[Pair], *, n_boot: int = 1000, seed: int = 0) -> list[Comparison]:
    """Paired bootstrap of each pair over the sample ids both runs have (p < 0.05 = significant)."""
    out: list[Comparison] = []
    tests = []
    for pair in pairs:
        a, b = pair.columns_a, pair.columns_b
        common = sorted(set(a.ids) & set(b.ids))
        metric = metric_for(pair.primary)
        metric.n_resamples = n_boot
        stats_a, stats_b = metric.paired_rows(primary_columns(a, pair.primary, pair.kind).take(a.rows_of(common)),
                                              primary_columns(b, pair.primary, pair.kind).take(b.rows_of(common)))
        out.append(Comparison(task=pair.task, metric=pair.primary, run_a=pair.run_a, run_b=pair.run_b, delta=None,
                              ci_low=None, ci_high=None, p_value=None, n_common=len(common), n_used=len(stats_a),
                              only_a=len(a) - len(common), only_b=len(b) - len(common), significant=False,
                              better=None))
        if len(stats_a) >= 2:
            tests.append((len(out) - 1, stats_a, stats_b, metric.statistic, pair.direction))
    results = paired_bootstraps([(a, b, fn) for _, a, b, fn, _ in tests], n_boot, seed)
    for (i, _, _, _, direction), result in zip(tests, results, strict=True):
        comp = out[i]
        significant = result.p_value < ALPHA and result.delta != 0
        a_better = (result.delta > 0) == (direction == "higher")
        comp.delta, comp.ci_low, comp.ci_high, comp.p_value = result.delta, result.ci_low, result.ci_high, result.p_value
        comp.significant = significant
        comp.better = (comp.run_a if a_better else comp.run_b) if significant else None
    return out
