"""The headline rule, its bootstrap CI and the ranking (leaderboard/ranking.py).

Overall = mean of the language scores; a language score = mean of that language's normalised task
results; every model on the same results and items; ranks shared where the paired bootstrap of the
overall difference is not significant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from seabench.index import TaskColumns
from seabench.leaderboard.ranking import headline
from seabench.metrics.bootstrap import paired_bootstrap
from seabench.types import SampleRecord, Score, Verdict


@dataclass(frozen=True)
class Spec:
    name: str
    family: str
    primary_metric: str
    kind: str
    n_choices: int | None = None
    scale: tuple[float, float] | None = None


ASR = Spec("asr/x", "asr", "wer", "error_rate")
MCQ = Spec("mcq/x", "mcq", "accuracy", "accuracy", 4)
JUDGE = Spec("open/x", "open", "judge_score", "judge", scale=(1.0, 5.0))


def _asr(task: str, sid: str, language: str, errors: int, ref_len: int = 10) -> SampleRecord:
    stats = {"sub": float(errors), "del": 0.0, "ins": 0.0, "hits": float(ref_len - errors), "ref_len": float(ref_len)}
    return SampleRecord(run_id="r", task=task, sample_id=sid, language=language,
                        scores={"wer": Score(value=errors / ref_len, stats=stats)})


def _mcq(task: str, sid: str, language: str, correct: bool) -> SampleRecord:
    return SampleRecord(run_id="r", task=task, sample_id=sid, language=language, choices=["a", "b", "c", "d"],
                        scores={"choice": Score(value=float(correct), stats={"gold": 1.0, "pred": 1.0 if correct else 0.0})})


def _judged(task: str, sid: str, language: str, score: float | None) -> SampleRecord:
    return SampleRecord(run_id="r", task=task, sample_id=sid, language=language,
                        verdicts=[Verdict(score=score, parse_ok=score is not None, judge="j", rubric="r@1")])


def _columns(records: list[SampleRecord]) -> dict[str, TaskColumns]:
    by_task: dict[str, list[SampleRecord]] = {}
    for r in records:
        by_task.setdefault(r.task, []).append(r)
    return {task: TaskColumns.from_records(recs) for task, recs in by_task.items()}


def test_overall_is_the_mean_of_language_scores_computed_by_hand() -> None:
    # th: ASR 20% WER -> 80, MCQ 3 of 4 right with 4 options -> (0.75 - 0.25)/0.75 -> 66.67
    # en: MCQ 2 of 4 right -> 33.33 ; overall = (73.33 + 33.33) / 2
    records = [_asr("asr/x", f"t{i}", "th", 2) for i in range(4)]
    records += [_mcq("mcq/x", f"t{i}", "th", i < 3) for i in range(4)] + [_mcq("mcq/x", f"e{i}", "en", i < 2) for i in range(4)]
    head = headline(["a"], [_columns(records)], [ASR, MCQ], n_boot=200)
    run = head.runs[0]
    assert run.languages["th"].score == pytest.approx((80 + 200 / 3) / 2)
    assert run.languages["en"].score == pytest.approx(100 / 3)
    assert run.overall.score == pytest.approx((run.languages["th"].score + run.languages["en"].score) / 2)
    assert (run.overall.n_results, run.overall.n_tasks, run.languages["th"].n_tasks) == (3, 2, 2)
    assert run.families["mcq"].score == pytest.approx((200 / 3 + 100 / 3) / 2) and run.families["asr"].score == pytest.approx(80)
    assert head.languages == ["en", "th"] and run.rank == 1 and not run.tied_with


def test_results_every_model_lacks_are_left_out_and_items_are_the_common_ones() -> None:
    a = [_asr("asr/x", f"s{i}", "th", 1) for i in range(6)] + [_judged("open/x", f"s{i}", "th", 4.0) for i in range(4)]
    a += [_mcq("mcq/x", "s0", "en", True)]  # only model a has this task
    b = [_asr("asr/x", f"s{i}", "th", 5) for i in range(4)]  # b has only 4 of the 6 ASR items
    b += [_judged("open/x", "s0", "th", None)] + [_judged("open/x", f"s{i}", "th", 2.0) for i in range(1, 4)]
    head = headline(["a", "b"], [_columns(a), _columns(b)], [ASR, JUDGE, MCQ], n_boot=100)
    assert any(why.startswith("mcq/x: not run by every model") for why in head.left_out)
    n_items = {(r.task, r.language): r.n_items for r in head.results}
    assert n_items == {("asr/x", "th"): 4, ("open/x", "th"): 3}  # the items both models have a score for
    run_a = head.of("a")
    assert run_a is not None and run_a.languages["th"].score == pytest.approx((90 + 75) / 2)


def test_identical_models_tie_and_clearly_different_ones_do_not() -> None:
    def model(errors: int) -> dict[str, TaskColumns]:
        return _columns([_asr("asr/x", f"s{i}", "th", errors + i % 2) for i in range(30)])

    head = headline(["a", "a2", "bad"], [model(1), model(1), model(7)], [ASR], n_boot=300)
    ranks = {r.run_id: (r.rank, sorted(r.tied_with)) for r in head.runs}
    assert ranks == {"a": (1, ["a2"]), "a2": (1, ["a"]), "bad": (3, [])}
    pair = next(p for p in head.pairs if {p.run_a, p.run_b} == {"a", "bad"})
    assert pair.significant and pair.p_value < 0.05


def test_paired_test_equals_the_core_paired_bootstrap_on_one_result() -> None:
    """On one ASR result the overall is 100 x (1 - WER), so its paired test is the core WER test."""
    from seabench.leaderboard.ranking import _cell_seed, _Cell  # the seed the headline draws this result with

    rng = np.random.default_rng(3)
    err_a, err_b = rng.integers(0, 6, 25), rng.integers(1, 8, 25)
    cols = [_columns([_asr("asr/x", f"s{i:02d}", "th", int(e)) for i, e in enumerate(errs)]) for errs in (err_a, err_b)]
    head = headline(["a", "b"], cols, [ASR], n_boot=400, seed=11)
    pair = head.pairs[0]
    rows = [np.array([[e, 0, 0, 10 - e] for e in errs], dtype=float) for errs in (err_a, err_b)]
    seed = _cell_seed(11, _Cell(ASR, "th", rows))  # type: ignore[arg-type]
    core = paired_bootstrap(rows[0], rows[1], lambda s: (s[:, 0] + s[:, 1] + s[:, 2]) / (s[:, 0] + s[:, 1] + s[:, 3]),
                            n=400, seed=seed)
    assert pair.delta == pytest.approx(-100 * core.delta) and pair.p_value == pytest.approx(core.p_value)
    low, high = sorted((-100 * core.ci_low, -100 * core.ci_high))  # type: ignore[operator]
    assert (pair.ci_low, pair.ci_high) == (pytest.approx(low), pytest.approx(high))
    run = head.of("a")
    assert run is not None and run.overall.ci_low <= run.overall.score <= run.overall.ci_high


def test_no_result_at_all_gives_no_score_and_says_why() -> None:
    head = headline(["a"], [_columns([_judged("open/x", "s0", "th", None)])], [JUDGE, Spec("x/y", "x", "latency", "other")])
    assert head.runs[0].overall.score is None and head.runs[0].rank is None
    assert any("no item every model has a score for" in why for why in head.left_out)
