"""`seabench run`: stream samples, skip completed ones, generate in batches (with the response
cache), score, append each record as it completes, then aggregate into results.json."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seabench.adapter import ModelAdapter
from seabench.aggregate import aggregate_task
from seabench.audio import AudioError, load_audio
from seabench.cache import ResponseCache, response_key
from seabench.errors import UserError
from seabench.generation import merge_generation, refuse_unsupported, settle
from seabench.judging.summary import attach_judging
from seabench.task_options import apply_task_options
from seabench.manifest import build_manifest, now
from seabench.progress import RunProgress
from seabench.records import (RESULTS_FILE, SAMPLES_FILE, SampleWriter, atomic_write_text, latest_records,
                              rewrite_records)
from seabench.registry import Registry, registry
from seabench.rundir import RunIdentity, TaskIdentity, new_run_id, read_identity, reconcile, run_lock, write_identity
from seabench.secrets import redact
from seabench.selection import Shard
from seabench.scoring import score_record
from seabench.task import Task
from seabench.types import (AudioRef, ErrorCode, GenerationConfig, ModelInfo, ModelInput, ModelOutput, RunResult, Sample,
                            SampleRecord, TaskResult)

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

    def public(self) -> dict[str, Any]:
        """What goes in the manifest (options are the user's own -M values; keys never come from flags)."""
        return {"model": self.model, "tasks": self.tasks, "model_options": self.model_options,
                "generation": self.generation, "limit": self.limit, "shard": str(self.shard) if self.shard else None, "batch_size": self.batch_size, "seed": self.seed,
                "judge": self.judge_spec, "judge_samples": self.judge_samples, "judge_options": self.judge_options,
                "task_options": self.task_options}

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


def _task_hashes(task: Task, samples: list[Sample]) -> tuple[str, str, str]:
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
        self.cache = ResponseCache() if (config.use_cache and self.adapter.cacheable) else None
        self.run_id = existing.run_id if existing is not None else new_run_id()
        self.model_calls = 0
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
    def _generate(self, task: Task, inputs: list[ModelInput]) -> list[ModelOutput]:
        config = self.generation(task)
        keys = [response_key(self.info.snapshot, i.input_hash, config, self.answer_options) for i in inputs]
        cached = self.cache.get_many(keys) if self.cache else {}
        results: list[ModelOutput | None] = [
            cached[k].model_copy(update={"cached": True}) if k in cached else None for k in keys]
        todo = [i for i, out in enumerate(results) if out is None]
        if todo:
            self.model_calls += len(todo)
            outputs = self._call_model([inputs[i] for i in todo], config)
            for i, out in zip(todo, outputs):
                results[i] = out
            if self.cache:
                self.cache.put_many({keys[i]: out for i, out in zip(todo, outputs)})
        return [out for out in results if out is not None]

    def _call_model(self, inputs: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        """A batch that raises is retried one sample at a time, so one bad input costs one sample.
        Transient failures in a row are counted: a model that fails on every sample stops the run
        (after the batch is recorded, see _run_batch)."""
        try:
            outputs = self.adapter.generate(inputs, config)
        except Exception as exc:  # adapters report per-sample failures in outputs; this is the fallback
            if len(inputs) > 1:
                return [self._call_model([inp], config)[0] for inp in inputs]
            outputs = [ModelOutput(error=f"{type(exc).__name__}: {exc}", error_code=ErrorCode.MODEL_ERROR)]
        if len(outputs) != len(inputs):
            raise RuntimeError(f"model {self.config.model} returned {len(outputs)} outputs for {len(inputs)} inputs")
        for out in outputs:
            if out.error is None:
                self.failures_in_a_row = 0
            elif (out.error_code or ErrorCode.MODEL_ERROR).retryable:
                self.failures_in_a_row += 1
                self.last_failure = out.error
        return outputs

    def _batches(self, work: list[tuple[Task, list[Sample]]]) -> Iterator[tuple[Task, list[Prepared]]]:
        """Every task's batches in order. The next batch's audio (of this task or the next) is decoded
        in a worker thread while the model runs on the current one."""
        chunks = [(task, todo[i:i + self.batch_size]) for task, todo in work
                  for i in range(0, len(todo), self.batch_size)]

        def prepare(task: Task, samples: list[Sample]) -> list[Prepared]:
            return [self._prepare(task, s) for s in samples]

        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[list[Prepared]] | None = None
            for idx, (task, chunk) in enumerate(chunks):
                current = pending.result() if pending else prepare(task, chunk)
                pending = pool.submit(prepare, *chunks[idx + 1]) if idx + 1 < len(chunks) else None
                yield task, current

    def _run_batch(self, task: Task, batch: list[Prepared], writer: SampleWriter, progress: RunProgress) -> None:
        ready = [p for p in batch if p.inp is not None]
        t0 = time.perf_counter()
        outputs = self._generate(task, [p.inp for p in ready]) if ready else []  # type: ignore[misc]
        gen_s = time.perf_counter() - t0
        by_id = {p.sample.id: o for p, o in zip(ready, outputs)}
        for p in batch:
            record = p.record
            if record is None:
                assert p.inp is not None
                out = by_id[p.sample.id]
                record = self._record(task, p.sample, p.inp.prompt, p.inp.audio_refs, p.inp.input_hash)
                record.output = out
                if out.error is not None:
                    record.error_code = out.error_code or ErrorCode.MODEL_ERROR
                    record.error_message = out.error
            record.timings = {"decode_s": round(p.decode_s, 6), "generate_s": round(gen_s / max(len(ready), 1), 6)}
            score_record(task, p.sample, record)
            writer.write(record)
            progress.advance(task.name, error=record.error_code is not None)
        if self.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            raise ModelKeepsFailing(f"model {redact(self.config.model)} failed on {self.failures_in_a_row} samples "
                                    f"in a row; last error: {self.last_failure}")

    # -- the whole run -----------------------------------------------------------------------
    def run(self) -> RunResult:
        with run_lock(self.out):
            return self._run_locked()

    def _plan(self) -> tuple[list[tuple[Task, list[Sample]]], RunIdentity, dict[str, list[str]]]:
        """Every task's samples after --limit, the run's identity (from those, before --shard), and the
        samples of this shard. Also: which ids --limit chose, for the manifest."""
        tasks: dict[str, TaskIdentity] = {}
        plan: list[tuple[Task, list[Sample]]] = []
        chosen: dict[str, list[str]] = {}
        shard = self.config.shard
        for task in self.tasks:
            samples = task.samples(self.config.limit, self.config.seed)
            data, prompts, ids = _task_hashes(task, samples)
            tasks[task.name] = TaskIdentity(version=task.version, generation=self.generation(task).model_dump(mode="json"),
                                            prompt_hash=prompts, dataset_hash=data, samples_hash=ids, n=len(samples),
                                            limit=self.config.limit)
            if self.config.limit is not None:
                chosen[task.name] = [s.id for s in samples]
            plan.append((task, [s for s in samples if shard.holds(task.name, s.id)] if shard else samples))
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
        existing = latest_records(samples_path)
        done = {key for key, r in existing.items() if r.error_code is None or not r.error_code.retryable}
        # package versions and git state take tens of ms: gather them while the model works
        background = ThreadPoolExecutor(max_workers=1)
        manifest_job = background.submit(build_manifest, self.config.public(), self.config.seed, self.batch_size)
        self.adapter.prepare({t.name: [s.id for s in samples] for t, samples in plan})
        writer = SampleWriter(samples_path)
        progress = RunProgress(quiet=self.config.quiet)
        interrupted = False
        failing: ModelKeepsFailing | None = None
        try:
            with progress:
                work = [(task, [s for s in samples if (task.name, s.id) not in done]) for task, samples in plan]
                totals = {task.name: len(samples) for task, samples in plan}
                started: set[str] = set()

                def start_until(name: str | None) -> None:
                    """Open progress bars in plan order up to `name` (tasks with nothing left included)."""
                    for task, todo in work:
                        if task.name in started:
                            continue
                        if name is not None and task.name != name and todo:
                            return
                        started.add(task.name)
                        progress.add_task(task.name, total=totals[task.name], completed=totals[task.name] - len(todo))
                        if task.name == name:
                            return

                for task, batch in self._batches(work):
                    start_until(task.name)
                    self._run_batch(task, batch, writer, progress)
                start_until(None)
                writer.close()
                self._judge(plan, progress)
        except KeyboardInterrupt:
            interrupted = True
        except ModelKeepsFailing as exc:
            failing = exc
        finally:
            writer.close()
            self.adapter.close()
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
        manifest.config["tasks"] = ",".join(identity.task_specs)  # every task this dir holds, for `seabench score`
        result = self.finalize(plan, manifest)
        if failing is not None:
            raise failing
        if interrupted:
            total = sum(len(s) for _, s in plan)
            done_now = sum(result.tasks[t.name].counts.completed for t, _ in plan)
            raise Interrupted(result, done_now, total)
        return result

    def _judge(self, plan: list[tuple[Task, list[Sample]]], progress: RunProgress) -> None:
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

    def finalize(self, plan: list[tuple[Task, list[Sample]]], manifest: Any) -> RunResult:
        path = self.out / SAMPLES_FILE
        records = latest_records(path)
        n_lines = path.read_bytes().count(b"\n") if path.exists() else 0
        if n_lines != len(records):  # retried samples left superseded lines: keep one per sample
            rewrite_records(path, list(records.values()))
        task_results: dict[str, TaskResult] = {}
        planned: list[SampleRecord] = []
        for task, samples in plan:
            ids = {s.id for s in samples}
            recs = [r for (t, sid), r in records.items() if t == task.name and sid in ids]
            planned.extend(recs)
            task_results[task.name] = aggregate_task(task, recs, len(samples), self.config.seed,
                                                     manifest.dataset_hashes[task.name], manifest.prompt_hashes[task.name])
        attach_judging(self.out, task_results)
        manifest.finished_at = now()
        status = run_status(task_results.values(), planned)
        kept = earlier_results(self.out, set(task_results))  # tasks of this run dir not asked for this time
        result = RunResult(run_id=self.run_id, status=status, model=self.info, tasks={**kept, **task_results},
                           manifest=manifest)
        result.warnings.extend(p for task, _ in plan for p in task.problems)
        result.warnings.extend(self.warnings)
        result.warnings.extend(getattr(self.adapter, "warnings", []))
        if self.cache is not None and self.cache.store.problem:
            result.warnings.append(self.cache.store.problem)
        atomic_write_text(self.out / RESULTS_FILE, result.model_dump_json(indent=2))
        return result


def run(config: RunConfig) -> RunResult:
    return Runner(config).run()


def run_status(tasks: Iterable[TaskResult], records: Iterable[SampleRecord]) -> Literal["complete", "partial", "failed"]:
    """`failed` when samples were attempted and none succeeded (a 401, a server that never answers)."""
    tasks = list(tasks)
    attempted = sum(t.counts.completed for t in tasks)
    if attempted and not any(r.error_code is None for r in records):
        return "failed"
    return "complete" if all(t.status == "complete" for t in tasks) else "partial"


def earlier_results(run_dir: Path, asked: set[str]) -> dict[str, TaskResult]:
    """Results already in run_dir for tasks this invocation did not ask for (a resume of some tasks only)."""
    path = run_dir / RESULTS_FILE
    if not path.exists():
        return {}
    try:
        previous = RunResult.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return {name: t for name, t in previous.tasks.items() if name not in asked}


def judge_stored_records(run_dir: Path, tasks: dict[str, Task], spec: str, reg: Registry, progress: RunProgress,
                         *, n_samples: int = 1, only_failed: bool = False, options: dict[str, Any] | None = None) -> int:
    """Judge the records of judge-scored tasks in a run dir and rewrite samples.jsonl with the verdicts.
    Each verdict is cached as it arrives, so an interrupted judging step loses no paid call."""
    from seabench.judging import JudgeCache, plan, run_judging
    from seabench.judging.phase import open_judge
    from seabench.judging.summary import write_judging

    path = run_dir / SAMPLES_FILE
    records = latest_records(path)
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
    rewrite_records(path, list(records.values()))
    write_judging(run_dir, tasks, records.values())
    return done
