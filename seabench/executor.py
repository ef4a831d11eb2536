"""Executors: the door beside the Runner through which batches of ModelInputs become ModelOutputs.

The Runner plans (which samples, in which batches), consults the response cache, scores and writes
records; an executor only generates. It is handed an iterator of jobs — each a batch of inputs that
share one GenerationConfig, at most `batch_size` long (the one place the batch size is decided) —
and yields each job's outputs, one per input and in order, job after job in the order given.

`LocalExecutor` runs the adapter in this process, one job at a time. It loads the model (the
adapter's `load()`) on the first job that has inputs, so a run whose answers all come from the
response cache never loads it. A job whose `generate` raises is retried one input at a time, so one
bad input costs one sample, not the batch.

Writing another executor (e.g. N model replicas as Ray actors, issue 18): subclass `Executor`, take
jobs from the iterator as capacity allows (several may be in flight), and yield their outputs in job
order. Inputs carry decoded audio (numpy arrays) and are plain dataclasses, so they pickle; outputs
are pydantic models. Per-sample failures go in ModelOutput.error, never an exception; the Runner
counts them and stops a run whose model fails on everything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from seabench.adapter import ModelAdapter
from seabench.types import ErrorCode, ExecutorReport, GenerationConfig, ModelInput, ModelOutput


@dataclass
class Job:
    """Inputs generated together, with the settings they share."""

    inputs: list[ModelInput]
    config: GenerationConfig


class Executor(ABC):
    batch_size: int

    @abstractmethod
    def run(self, jobs: Iterable[Job]) -> Iterator[list[ModelOutput]]:
        """Each job's outputs (one per input, in order), in job order."""

    @property
    def calls(self) -> int:
        """Inputs sent to the model so far."""
        return 0

    def close(self) -> None:
        """Release the model and any workers."""

    def report(self) -> ExecutorReport | None:
        """For the manifest: where outputs were generated, when not in this process."""
        return None

    def warnings(self) -> list[str]:
        """What the run's results should warn about (e.g. a replica that died)."""
        return []


class LocalExecutor(Executor):
    def __init__(self, adapter: ModelAdapter, batch_size: int) -> None:
        self.adapter = adapter
        self.batch_size = batch_size
        self.loaded = False
        self._calls = 0

    @property
    def calls(self) -> int:
        return self._calls

    def run(self, jobs: Iterable[Job]) -> Iterator[list[ModelOutput]]:
        for job in jobs:
            if not job.inputs:
                yield []
                continue
            if not self.loaded:
                self.adapter.load()
                self.loaded = True
            self._calls += len(job.inputs)
            yield self._generate(job.inputs, job.config)

    def _generate(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        try:
            outputs = self.adapter.generate(inputs, config)
        except Exception as exc:  # adapters report per-sample failures in outputs; this is the fallback
            if len(inputs) > 1:
                return [self._generate([inp], config)[0] for inp in inputs]
            return [ModelOutput(error=f"{type(exc).__name__}: {exc}", error_code=ErrorCode.MODEL_ERROR)]
        if len(outputs) != len(inputs):
            raise RuntimeError(f"model {self.adapter.id} returned {len(outputs)} outputs for {len(inputs)} inputs")
        return outputs

    def close(self) -> None:
        self.adapter.close()
