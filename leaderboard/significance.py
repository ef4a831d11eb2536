"""Paired bootstrap significance between two runs on the same items of one task.

Items are aligned by sample id (the intersection of both runs), and the primary metric is
recomputed on each resample from per-sample sufficient statistics with the core metric classes
(corpus WER from summed edit counts, BLEU from summed n-gram counts, means of values), so the
tested difference is the same quantity the table shows.
"""

from __future__ import annotations

from pydantic import BaseModel

from seabench.leaderboard.scoring import Kind, primary_score
from seabench.metrics.base import SumMetric
from seabench.types import SampleRecord, Score

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
    """The core metric object whose `statistic` recomputes `primary` from summed per-sample rows."""
    from seabench.metrics import BLEU, CER, MER, WER, ChrFpp, MacroF1, MeanMetric

    known: dict[str, type[SumMetric]] = {"wer": WER, "cer": CER, "mer": MER, "bleu": BLEU, "chrf++": ChrFpp,
                                         "macro_f1": MacroF1}
    cls = known.get(primary.lower())
    return cls() if cls is not None else MeanMetric(primary, primary)


def compare(task: str, primary: str, kind: Kind, direction: str, records_a: dict[str, SampleRecord],
            records_b: dict[str, SampleRecord], run_a: str, run_b: str, *, n_boot: int = 1000,
            seed: int = 0) -> Comparison:
    """Paired bootstrap of run_a vs run_b over their common sample ids (p < 0.05 = significant)."""
    common = sorted(set(records_a) & set(records_b))
    blank = Score(value=None)
    scores_a = [primary_score(records_a[i], primary, kind) or blank for i in common]
    scores_b = [primary_score(records_b[i], primary, kind) or blank for i in common]
    metric = metric_for(primary)
    metric.n_resamples = n_boot
    base = {"task": task, "metric": primary, "run_a": run_a, "run_b": run_b, "n_common": len(common),
            "only_a": len(records_a) - len(common), "only_b": len(records_b) - len(common)}
    n_used = int((metric.matrix(scores_a)[1] & metric.matrix(scores_b)[1]).sum()) if common else 0
    if n_used < 2:
        return Comparison(**base, delta=None, ci_low=None, ci_high=None, p_value=None, n_used=n_used,
                          significant=False, better=None)
    result = metric.paired(scores_a, scores_b, seed=seed)
    significant = result.p_value < ALPHA and result.delta != 0
    a_better = (result.delta > 0) == (direction == "higher")
    return Comparison(**base, delta=result.delta, ci_low=result.ci_low, ci_high=result.ci_high,
                      p_value=result.p_value, n_used=n_used, significant=significant,
                      better=(run_a if a_better else run_b) if significant else None)
