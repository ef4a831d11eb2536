"""`seabench run`: stream samples, skip completed ones, generate in batches (with the response
cache), score, append each record as it completes, then aggregate into results.json."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from seabench.adapter import ModelAdapter
from seabench.aggregate import aggregate_columns, inputs_digest
from seabench.audio import AudioError, load_audio
from seabench.cache import ResponseCache, response_key
from seabench.errors import UserError
from seabench.executor import Executor, Job, LocalExecutor
from seabench.generation import merge_generation, refuse_unsupported, settle
from seabench.judging.summary import attach_judging
from seabench.task_options import apply_task_options
from seabench.manifest import build_manifest, now
from seabench.progress import RunProgress
from seabench.index import RETRYABLE, Covered, TaskColumns, open_index
from seabench.records import RESULTS_FILE, SAMPLES_FILE, SampleWriter, atomic_write_text, iter_latest, rewrite_latest
from seabench.registry import Registry, registry
from seabench.samples import SampleTable, task_hashes
from seabench.rundir import RunIdentity, TaskIdentity, new_run_id, read_identity, reconcile, run_lock, write_identity
from seabench.secrets import redact
from seabench.selection import Shard
from seabench.snapshot import read_columns
from seabench.scoring import score_record
from seabench.task import Task
from seabench.types import (AudioRef, ErrorCode, GenerationConfig, ModelInfo, ModelInput, ModelOutput, RunResult, Sample,
                            SampleRecord, TaskResult)

if TYPE_CHECKING:
    from seabench.executor_ray import RaySettings

DEFAULT_TASKS = "mini"


@dataclass
class RunConfig:
    model: str
    tasks: str = DEFAULT_TASKS
    output_dir: Path = Path("runs/latest")
    model_options: dict[str, Any] = field(default_factory=dict)
    generation: dict[str, Any] = field(default_factory=dict)  # the user's -G settings, over task defaults
    limit: int | float | None = None  # samples per task, or a fraction of each task
    shard: Shard | None = None
    batch_size: int | None = None
    seed: int = 0
    use_cache: bool = True
    quiet: bool = False
    judge: str | None = "auto"  # "auto": Gemini when a key is set; None: no judging
    judge_samples: int = 1
    judge_options: dict[str, Any] = field(default_factory=dict)
    task_options: dict[str, Any] = field(default_factory=dict)  # -T: scoring choices (seabench.task_options)
    executor: RaySettings | None = None  # None: generate in this process; else Ray replicas (seabench.executor_ray)

    def public(self) -> dict[str, Any]:
        """What goes in the manifest (options are the user's own -M values; keys never come from flags)."""
        return {"model": self.model, "tasks": self.tasks, "model_options": self.model_options,
                "generation": self.generation, "limit": self.limit, "shard": str(self.shard) if self.shard else None, "batch_size": self.batch_size, "seed": self.seed,
                "judge": self.judge_spec, "judge_samples": self.judge_samples, "judge_options": self.judge_options,
                "task_options": self.task_options, **(self.executor.public() if self.executor else {})}

    @property
    def judge_spec(self) -> str | None:
        if self.judge == "auto":
            from seabench.judging import default_judge

            return default_judge()
        return self.judge


MAX_FAILURES_IN_A_ROW = 20


class ModelKeepsFailing(UserError):
    """Raised (after saving partial results) when the model fails on every sample it is given."""


class Interrupted(Exception):
    """Raised after Ctrl-C once the partial run has been saved."""

    def __init__(self, result: RunResult, done: int, total: int) -> None:
        super().__init__("interrupted")
        self.result, self.done, self.total = result, done, total


@dataclass
class Prepared:
    """A sample ready for the model, or already failed (bad audio)."""

    sample: Sample
    inp: ModelInput | None
    record: SampleRecord | None  # set when the sample failed before the model
    decode_s: float = 0.0


@dataclass
class Batch:
    """Samples generated together (of one task, or of several with the same settings); `outputs`
    line up with the samples that reached the model (`inp` set), `keys` are their cache keys."""

    items: list[tuple[Task, Prepared]]
    config: GenerationConfig
    keys: list[str] = field(default_factory=list)
    outputs: list[ModelOutput | None] = field(default_factory=list)
    started: float = 0.0


def _task_hashes(task: Task, samples: SampleTable) -> tuple[str, str, str]:
    """Hashes of the samples' data, their rendered prompts and their ids (in order)."""
    data, prompts, ids = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    for s in samples:
        data.update(s.model_dump_json(include={"id", "audio", "reference", "choices", "label", "language"}).encode())
        prompts.update(task.render(s).encode() + b"\x00")
        ids.update(s.id.encode() + b"\x00")
    return data.hexdigest()[:16], prompts.hexdigest()[:16], ids.hexdigest()[:16]


class Runner:
    def __init__(self, config: RunConfig, reg: Registry | None = None) -> None:
        self.config = config
        self.registry = reg or registry()
        self.out = config.output_dir
        self.registry.model_entry(config.model)  # an unknown model fails before anything is loaded
        self.tasks = [apply_task_options(t, config.task_options) for t in self.registry.resolve_tasks(config.tasks)]
        existing = read_identity(self.out)
        if existing is not None and existing.model != redact(config.model):  # fail before loading anything
            raise UserError(f"{self.out} holds a run of model {existing.model!r}; "
                            f"use another --output-dir for {redact(config.model)!r}")
        self.adapter: ModelAdapter = self.registry.create_model(config.model, config.model_options)
        refuse_unsupported(config.model, self.adapter.generation_keys, config.generation)
        self.info: ModelInfo = self.adapter.info()
        self.answer_options = self.adapter.answer_options(config.model_options)
        self.batch_size = config.batch_size or self.adapter.default_batch_size
        self.executor: Executor = (LocalExecutor(self.adapter, self.batch_size) if config.executor is None else
                                   config.executor.build(self.adapter, self.registry.model_entry(config.model).loader,
                                                         config.model, config.model_options, self.batch_size))
        self.cache = ResponseCache() if (config.use_cache and self.adapter.cacheable) else None
        self.run_id = existing.run_id if existing is not None else new_run_id()
        self.failures_in_a_row = 0
        self.last_failure = ""
        self.warnings: list[str] = []
        self._generation: dict[str, GenerationConfig] = {}
        for task in self.tasks:  # bad -G values fail now, not after the first batch
            self.generation(task)

    def generation(self, task: Task) -> GenerationConfig:
        """The settings this task's samples are generated with (what the manifest and cache keys record)."""
        if task.name not in self._generation:
            merged = merge_generation(task.generation, self.config.generation, self.config.seed)
            settled, dropped = settle(merged, self.adapter.generation_keys)
            if dropped:
                self.warnings.append(f"{task.name}: {self.config.model} cannot honour the task's default "
                                     f"{', '.join(dropped)}; generated without")
            self._generation[task.name] = settled
        return self._generation[task.name]

    # -- preparing inputs --------------------------------------------------------------------
    def _prepare(self, task: Task, sample: Sample) -> Prepared:
        prompt = task.render(sample)
        refs: list[AudioRef] = []
        waves = []
        start = time.perf_counter()
        try:
            for ref in sample.audio:
                if self.adapter.needs_audio:
                    loaded = load_audio(ref.path, max_duration_s=self.adapter.max_audio_s)
                    waves.append(loaded.waveform)
                    refs.append(ref.model_copy(update={"sha256": loaded.sha256, "duration_s": loaded.duration_s,
                                                       "sample_rate": loaded.source_rate}))
                else:
                    refs.append(ref)
        except AudioError as err:
            record = self._record(task, sample, prompt, list(sample.audio), "")
            record.error_code, record.error_message = err.code, str(err)
            return Prepared(sample, None, record, time.perf_counter() - start)
        inp = ModelInput(sample_id=sample.id, task=task.name, prompt=prompt, audio=waves, audio_refs=refs,
                         language=sample.language,
                         input_hash=ModelInput.hash_of(prompt, refs, self.generation(task).system_prompt))
        return Prepared(sample, inp, None, time.perf_counter() - start)

    def _record(self, task: Task, sample: Sample, prompt: str, refs: list[AudioRef], input_hash: str) -> SampleRecord:
        return SampleRecord(
            run_id=self.run_id, task=task.name, sample_id=sample.id, input_hash=input_hash,
            language=sample.language, target_language=sample.target_language, prompt=prompt, audio=refs,
            reference=sample.reference, choices=sample.choices, label=sample.label, metadata=sample.metadata,
        )

    # -- generation ------------------------------------------------------------------------
    def _batch_items(self, work: list[tuple[Task, SampleTable]]) -> Iterator[list[tuple[Task, Sample]]]:
        """The samples of each batch, made from their tables as the batches are reached: at most
        `executor.batch_size`, and consecutive tasks that share generation settings fill batches
        together (`work` is grouped by settings)."""
        size = self.executor.batch_size
        items: list[tuple[Task, Sample]] = []
        key = None
        for task, todo in work:
            settings = self.generation(task)
            if key != settings and items:
                yield items
                items = []
            key = settings
            for sample in todo:
                items.append((task, sample))
                if len(items) == size:
                    yield items
                    items = []
        if items:
            yield items

    def _batches(self, work: list[tuple[Task, SampleTable]]) -> Iterator[Batch]:
        """Batches ready for the model; the next batch's audio is decoded in a worker thread while the
        model runs on the current one."""

        def prepare(items: list[tuple[Task, Sample]]) -> Batch:
            return Batch([(task, self._prepare(task, s)) for task, s in items], self.generation(items[0][0]))

        with ThreadPoolExecutor(max_workers=1) as pool:
            upcoming = self._batch_items(work)
            items = next(upcoming, None)
            pending: Future[Batch] | None = None
            while items is not None:
                current = pending.result() if pending else prepare(items)
                items = next(upcoming, None)
                pending = pool.submit(prepare, items) if items is not None else None
                yield current

    def _jobs(self, batches: Iterable[Batch], sent: deque[Batch]) -> Iterator[Job]:
        """What the executor must generate: each batch's inputs the response cache does not hold."""
        for batch in batches:
            ready = [p.inp for _, p in batch.items if p.inp is not None]
            batch.keys = [response_key(self.info.snapshot, i.input_hash, batch.config, self.answer_options)
                          for i in ready]
            cached = self.cache.get_many(batch.keys) if self.cache else {}
            batch.outputs = [cached[k].model_copy(update={"cached": True}) if k in cached else None
                             for k in batch.keys]
            misses = [i for i, out in zip(ready, batch.outputs, strict=True) if out is None]
            sent.append(batch)
            batch.started = time.perf_counter()
            yield Job(misses, batch.config)

    def _fill(self, batch: Batch, fresh: list[ModelOutput]) -> None:
        """Put the model's outputs where the cache had none; cache them; count failures in a row."""
        it = iter(fresh)
        for i, out in enumerate(batch.outputs):
            if out is None:
                batch.outputs[i] = next(it)
        if self.cache:
            self.cache.put_many({k: out for k, out in zip(batch.keys, batch.outputs, strict=True)
                                 if out is not None and not out.cached})
        for out in fresh:
            if out.error is None:
                self.failures_in_a_row = 0
            elif (out.error_code or ErrorCode.MODEL_ERROR).retryable:
                self.failures_in_a_row += 1
                self.last_failure = out.error

    def _write_batch(self, batch: Batch, writer: SampleWriter, progress: RunProgress,
                     opened: Callable[[str], None]) -> None:
        gen_s = time.perf_counter() - batch.started
        outputs = iter(batch.outputs)
        n_ready = max(len(batch.keys), 1)
        for task, p in batch.items:
            opened(task.name)
            record = p.record
            if record is None:
                assert p.inp is not None
                out = next(outputs)
                assert out is not None
                record = self._record(task, p.sample, p.inp.prompt, p.inp.audio_refs, p.inp.input_hash)
                record.output = out
                if out.error is not None:
                    record.error_code = out.error_code or ErrorCode.MODEL_ERROR
                    record.error_message = out.error
            record.timings = {"decode_s": round(p.decode_s, 6), "generate_s": round(gen_s / n_ready, 6)}
            score_record(task, p.sample, record)
            writer.write(record)
            progress.advance(task.name, error=record.error_code is not None)
        if self.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            raise ModelKeepsFailing(f"model {redact(self.config.model)} failed on {self.failures_in_a_row} samples "
                                    f"in a row; last error: {self.last_failure}")

    def _generate_all(self, work: list[tuple[Task, SampleTable]], writer: SampleWriter, progress: RunProgress,
                      opened: Callable[[str], None]) -> None:
        sent: deque[Batch] = deque()
        for fresh in self.executor.run(self._jobs(self._batches(work), sent)):
            batch = sent.popleft()
            self._fill(batch, fresh)
            self._write_batch(batch, writer, progress, opened)

    @property
    def model_calls(self) -> int:
        """Inputs the model was asked to generate (cache hits excluded)."""
        return self.executor.calls

    # -- the whole run -----------------------------------------------------------------------
    def run(self) -> RunResult:
        with run_lock(self.out):
            return self._run_locked()

    def _plan(self) -> tuple[list[tuple[Task, SampleTable]], RunIdentity, dict[str, list[str]]]:
        """Every task's samples after --limit, the run's identity (from those, before --shard), and the
        samples of this shard. Also: which ids --limit chose, for the manifest."""
        tasks: dict[str, TaskIdentity] = {}
        plan: list[tuple[Task, SampleTable]] = []
        chosen: dict[str, list[str]] = {}
        shard = self.config.shard
        for task in self.tasks:
            samples = task.samples(self.config.limit, self.config.seed)
            data, prompts, ids = task_hashes(task, samples, self.config.limit, self.config.seed, _task_hashes)
            tasks[task.name] = TaskIdentity(version=task.version, generation=self.generation(task).model_dump(mode="json"),
                                            prompt_hash=prompts, dataset_hash=data, samples_hash=ids, n=len(samples),
                                            limit=self.config.limit)
            if self.config.limit is not None:
                chosen[task.name] = list(samples.ids)
            plan.append((task, samples.where(partial(shard.holds, task.name)) if shard else samples))
        identity = RunIdentity(run_id=self.run_id, created_at=now(), model=redact(self.config.model),
                               snapshot=self.info.snapshot,
                               options=self.answer_options, seed=self.config.seed,
                               shard=str(shard) if shard else None, task_specs=[self.config.tasks], tasks=tasks)
        return plan, identity, chosen

    def _run_locked(self) -> RunResult:
        plan, wanted, chosen = self._plan()
        identity = reconcile(self.out, wanted)
        write_identity(self.out, identity)
        self.run_id = identity.run_id
        samples_path = self.out / SAMPLES_FILE
        inputs = {task.name: inputs_digest(task, len(samples), self.config.seed, wanted.tasks[task.name].dataset_hash,
                                           wanted.tasks[task.name].prompt_hash) for task, samples in plan}
        previous = earlier_run(self.out)
        done = self._done(plan, samples_path, previous, inputs)
        # package versions and git state take tens of ms: gather them while the model works
        background = ThreadPoolExecutor(max_workers=1)
        manifest_job = background.submit(build_manifest, self.config.public(), self.config.seed, self.batch_size)
        self.adapter.prepare({t.name: list(samples.ids) for t, samples in plan})
        writer = SampleWriter(samples_path)
        progress = RunProgress(quiet=self.config.quiet)
        interrupted = False
        failing: ModelKeepsFailing | None = None
        try:
            with progress:
                work = by_settings([(task, samples.without(done.get(task.name, set()))) for task, samples in plan],
                                   self.generation)
                totals = {task.name: len(samples) for task, samples in plan}
                started: set[str] = set()

                def start_until(name: str | None) -> None:
                    """Open progress bars in work order up to `name` (tasks with nothing left included)."""
                    if name in started:
                        return
                    for task, todo in work:
                        if task.name in started:
                            continue
                        if name is not None and task.name != name and todo:
                            return
                        started.add(task.name)
                        progress.add_task(task.name, total=totals[task.name], completed=totals[task.name] - len(todo))
                        if task.name == name:
                            return

                self._generate_all(work, writer, progress, start_until)
                start_until(None)
                writer.close()
                self._judge(plan, progress)
        except KeyboardInterrupt:
            interrupted = True
        except ModelKeepsFailing as exc:
            failing = exc
        finally:
            writer.close()
            self.executor.close()
            if self.cache:
                self.cache.close()
        manifest = manifest_job.result()
        background.shutdown()
        manifest.config_hash = identity.config_hash
        manifest.dataset_hashes = {name: t.dataset_hash for name, t in wanted.tasks.items()}
        manifest.prompt_hashes = {name: t.prompt_hash for name, t in wanted.tasks.items()}
        manifest.generation = {name: t.generation for name, t in wanted.tasks.items()}
        manifest.sample_ids = chosen
        manifest.shard = wanted.shard
        manifest.executor = self.executor.report()
        self.warnings.extend(self.executor.warnings())
        manifest.config["tasks"] = ",".join(identity.task_specs)  # every task this dir holds, for `seabench score`
        result = self.finalize(plan, manifest, previous, inputs)
        if failing is not None:
            raise failing
        if interrupted:
            total = sum(len(s) for _, s in plan)
            done_now = sum(result.tasks[t.name].counts.completed for t, _ in plan)
            raise Interrupted(result, done_now, total)
        return result

    def _judge(self, plan: list[tuple[Task, SampleTable]], progress: RunProgress) -> None:
        judged = {t.name: t for t, _ in plan if t.rubric}
        if not judged:
            return
        spec = self.config.judge_spec
        if spec is None:
            self.warnings.append("judge-scored tasks were not judged (set GEMINI_API_KEY or pass --judge; "
                                 f"then: seabench score {self.out} --judge SPEC)")
            return
        judge_stored_records(self.out, judged, spec, self.registry, progress, n_samples=self.config.judge_samples,
                             options=self.config.judge_options)

    def _done(self, plan: list[tuple[Task, SampleTable]], path: Path, previous: RunResult | None,
              inputs: dict[str, str]) -> dict[str, set[str]]:
        """Sample ids of each task with a final record (a transient failure is retried). When
        samples.jsonl is what the previous results were computed from and they say every planned
        sample is final, nothing is read."""
        covered = open_index(path, exclusive=True)
        if previous is not None and previous.samples_digest == covered.digest:
            finished = {name for name, r in previous.tasks.items()
                        if r.inputs_digest == inputs.get(name) and not RETRYABLE & set(r.counts.errors)
                        and r.counts.completed == r.counts.n}
            if all(task.name in finished for task, _ in plan):
                return {task.name: set(samples.ids) for task, samples in plan}
        columns = read_columns(path, exclusive=True)[1]
        return {task.name: columns[task.name].done() & set(samples.ids) if task.name in columns else set()
                for task, samples in plan}

    def _columns(self, path: Path, plan: list[tuple[Task, SampleTable]]) -> tuple[dict[str, TaskColumns], bool]:
        """Columns of the planned samples, and whether samples.jsonl holds superseded lines."""
        _, columns, lines = read_columns(path, exclusive=True)
        superseded = lines != sum(len(rows) for rows in columns.values())
        planned = {task.name: columns[task.name].subset(set(samples.ids)) for task, samples in plan
                   if task.name in columns}
        return planned, superseded

    def _aggregate(self, plan: list[tuple[Task, SampleTable]], manifest: Any, previous: RunResult | None,
                   inputs: dict[str, str]) -> tuple[dict[str, TaskResult], Covered]:
        """Each planned task's result, reused when neither its inputs nor its rows changed."""
        path = self.out / SAMPLES_FILE
        covered = open_index(path, exclusive=True)
        reusable = {name: r for name, r in (previous.tasks if previous else {}).items()
                    if r.inputs_digest and r.inputs_digest == inputs.get(name)}
        if previous is not None and previous.samples_digest == covered.digest and all(t.name in reusable for t, _ in plan):
            return {task.name: reusable[task.name] for task, _ in plan}, covered
        columns, superseded = self._columns(path, plan)
        if superseded:  # retried samples left superseded lines: keep one per sample
            rewrite_latest(path)
            covered = open_index(path, exclusive=True)
            columns, _ = self._columns(path, plan)
        results: dict[str, TaskResult] = {}
        for task, samples in plan:
            rows = columns.get(task.name) or TaskColumns()
            old = reusable.get(task.name)
            if old is not None and old.rows_digest == rows.digest():
                results[task.name] = old
                continue
            result = aggregate_columns(task, rows, len(samples), self.config.seed, manifest.dataset_hashes[task.name],
                                       manifest.prompt_hashes[task.name])
            result.inputs_digest, result.rows_digest = inputs[task.name], rows.digest()
            results[task.name] = result
        return results, covered

    def finalize(self, plan: list[tuple[Task, SampleTable]], manifest: Any, previous: RunResult | None = None,
                 inputs: dict[str, str] | None = None) -> RunResult:
        task_results, covered = self._aggregate(plan, manifest, previous, inputs or {})
        attach_judging(self.out, task_results)
        manifest.finished_at = now()
        status = run_status(task_results.values())
        kept = {name: t for name, t in (previous.tasks if previous else {}).items() if name not in task_results}
        self.info = self.adapter.info()  # after loading, an adapter may know more (dtype, parameters)
        result = RunResult(run_id=self.run_id, status=status, model=self.info, tasks={**kept, **task_results},
                           manifest=manifest, samples_digest=covered.digest)
        result.warnings.extend(p for task, _ in plan for p in task.problems)
        result.warnings.extend(self.warnings)
        result.warnings.extend(getattr(self.adapter, "warnings", []))
        if self.cache is not None and self.cache.store.problem:
            result.warnings.append(self.cache.store.problem)
        atomic_write_text(self.out / RESULTS_FILE, result.model_dump_json(indent=2))
        return result


def by_settings(work: list[tuple[Task, SampleTable]], settings: Callable[[Task], GenerationConfig]
                ) -> list[tuple[Task, SampleTable]]:
    """Tasks grouped (stably) by their generation settings, so batches can span tasks."""
    groups: dict[str, list[tuple[Task, SampleTable]]] = {}
    for task, todo in work:
        groups.setdefault(settings(task).model_dump_json(), []).append((task, todo))
    return [item for group in groups.values() for item in group]


def run(config: RunConfig) -> RunResult:
    return Runner(config).run()


def run_status(tasks: Iterable[TaskResult]) -> Literal["complete", "partial", "failed"]:
    """`failed` when samples were attempted and none succeeded (a 401, a server that never answers)."""
    tasks = list(tasks)
    attempted = sum(t.counts.completed for t in tasks)
    if attempted and attempted == sum(t.counts.n_errors for t in tasks):
        return "failed"
    return "complete" if all(t.status == "complete" for t in tasks) else "partial"


def earlier_run(run_dir: Path) -> RunResult | None:
    """The results already in run_dir (for tasks not asked for this time, and for reuse), if readable."""
    path = run_dir / RESULTS_FILE
    if not path.exists():
        return None
    try:
        return RunResult.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def judge_stored_records(run_dir: Path, tasks: dict[str, Task], spec: str, reg: Registry, progress: RunProgress,
                         *, n_samples: int = 1, only_failed: bool = False, options: dict[str, Any] | None = None) -> int:
    """Judge the records of judge-scored tasks in a run dir and rewrite samples.jsonl with the verdicts.
    Each verdict is cached as it arrives, so an interrupted judging step loses no paid call."""
    from seabench.judging import JudgeCache, plan, run_judging
    from seabench.judging.phase import open_judge
    from seabench.judging.summary import write_judging

    path = run_dir / SAMPLES_FILE
    records = {(r.task, r.sample_id): r for r in iter_latest(path, set(tasks))}  # only the judged tasks' records
    backend, rubrics = open_judge(reg, spec, options)
    work = plan(tasks, list(records.values()), backend.snapshot(), only_failed, rubrics)
    if not work.requests and not work.skipped_empty:
        backend.close()
        return 0
    cache = JudgeCache()
    progress.add_task(f"judging ({spec})", total=len(work.requests))
    try:
        done = run_judging(backend, work, n_samples=n_samples, cache=cache,
                           on_done=lambda _i: progress.advance(f"judging ({spec})"))
    finally:
        cache.close()
        backend.close()
    rewrite_latest(path, lambda item, _line: records.get((item.task, item.sample_id)))
    write_judging(run_dir, tasks, records.values())
    return done
