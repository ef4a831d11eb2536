"""What a task is: samples + prompt + generation settings + scorers + one primary metric.

Tasks are small Python factories (see `tasks/`), not a config DSL. A task never imports heavy
libraries at definition time; its samples are loaded lazily when a run starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from seabench.types import Direction, GenerationConfig, MetricValue, Sample, Score

if TYPE_CHECKING:
    from seabench.samples import SampleTable


@runtime_checkable
class Scorer(Protocol):
    """Sample level: one output -> one Score (with sufficient statistics for corpus metrics)."""

    name: str

    def score(self, sample: Sample, output: str) -> Score: ...


@runtime_checkable
class Metric(Protocol):
    """Aggregates the Scores of one scorer into a MetricValue with a bootstrap CI."""

    name: str
    scorer: str  # name of the scorer whose Scores it reads
    direction: Direction

    def compute(self, scores: list[Score], seed: int = 0) -> MetricValue: ...


@dataclass(frozen=True)
class DataStatus:
    """Whether a task's data is on this machine and, if not, how to provide it."""

    ready: bool
    hint: str = ""


def _sample_instruction(sample: Sample) -> str:
    return sample.instruction


BreakdownKey = str | tuple[str, ...]


def breakdown_name(key: BreakdownKey) -> str:
    """The name a breakdown has in results: the key, or a cross key's keys joined by "×"."""
    return key if isinstance(key, str) else "×".join(key)


@dataclass(frozen=True)
class Task:
    """One evaluation task.

    `breakdown_keys` name the groups results are also reported by: "language" (the sample's
    language) or any metadata key (e.g. "subset", "gender", "task_type"). A tuple of keys is a cross
    breakdown: one cell per combination present, e.g. ("task_type", "language") gives results under
    `breakdowns["task_type×language"]["qa×th"]`, each cell with every metric and its CI (samples
    missing any of the keys are left out). A plain key with a single group is left out (it would
    repeat the overall result), except "language", which per-language tables need; a cross
    breakdown lists every cell, even one."""

    name: str  # family/dataset[-subset]
    family: str
    version: str
    languages: tuple[str, ...]
    load: Callable[[], Iterable[Sample]]
    scorers: tuple[Scorer, ...]
    metrics: tuple[Metric, ...]
    primary_metric: str
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    render: Callable[[Sample], str] = _sample_instruction
    rubric: str | None = None  # judge rubric id, for judge-scored tasks
    data_status: Callable[[], DataStatus] = lambda: DataStatus(True)
    size: int | None = None  # known number of samples, for listings
    description: str = ""
    breakdown_keys: tuple[BreakdownKey, ...] = ("language", "subset")
    problems: tuple[str, ...] = ()  # bad manifest rows left out, reported with the run

    @property
    def direction(self) -> Direction:
        return self.metric(self.primary_metric).direction

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"task {self.name} has no metric {name!r}")

    def samples(self, limit: int | float | None = None, seed: int = 0) -> SampleTable:
        """All samples, or a seeded sample stratified by language and subset (`seabench.selection`),
        as a table whose Samples are made when used."""
        from seabench.samples import SampleTable
        from seabench.selection import select

        return select(SampleTable.of(self.load()), limit, seed)
