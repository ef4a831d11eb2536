"""`--executor ray --replicas N`: N model replicas as Ray actors, fed batches by the driver.

The Runner stays the only writer of samples.jsonl (and the only user of the response cache): this
executor only turns its jobs into outputs. Each replica is an actor holding one copy of the model
(built from the same model id and -M options as the driver's adapter, so answers and cache keys
equal a single-process run's), given `--gpus-per-replica` GPUs through Ray's resources. The driver
keeps two jobs in flight per replica, hands each job to the least busy replica, and yields outputs in
job order. A replica that dies (its process killed, its node lost) is dropped and the jobs it held are
re-queued to the others; only when every replica has died does the run stop, with what was written
kept for a resume. Ray is imported and started on the first job the response cache cannot answer, so
a fully cached run never starts it. Works on a local instance (`ray.init()`) or an existing cluster
(`--ray-address`); on a cluster every node needs seabench installed and the model's files reachable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from seabench.adapter import AsyncModelAdapter, ModelAdapter
from seabench.errors import UserError, require
from seabench.executor import Executor, Job, LocalExecutor
from seabench.types import ExecutorReport, ModelOutput, ReplicaReport

IN_FLIGHT_PER_REPLICA = 2  # one generating, one waiting on the actor: no idle gap between batches
CPUS_PER_REPLICA = 1  # Ray also gives torch this many threads (OMP_NUM_THREADS) in each replica
# Environment a replica needs to find models and data like the driver does (never credentials:
# nodes of a cluster hold their own).
PASSED_ENV = ("SEABENCH_", "HF_", "TRANSFORMERS_", "VLLM_")
SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")


@dataclass(frozen=True)
class RaySettings:
    """The user's choice of Ray replicas (none of it can change an answer, so none is in the config hash)."""

    replicas: int = 1
    address: str | None = None
    gpus_per_replica: float = 0.0

    def public(self) -> dict[str, Any]:
        return {"executor": "ray", "replicas": self.replicas, "ray_address": self.address,
                "gpus_per_replica": self.gpus_per_replica}

    def build(self, adapter: ModelAdapter, loader: Any, spec: str, options: dict[str, Any],
              batch_size: int) -> RayExecutor:
        """The executor for this run; API models and stored outputs are refused in one line."""
        if isinstance(adapter, AsyncModelAdapter):
            raise UserError(f"--executor ray runs local models; {spec} is an API model whose limit is its "
                            f"concurrency (-M concurrency=N): run it without --executor, or split it with --shard I/N")
        if adapter.generation_keys is None:
            raise UserError(f"--executor ray runs models; {spec} reads stored outputs: run it without --executor")
        if self.replicas < 1:
            raise UserError(f"--replicas must be at least 1, not {self.replicas}")
        if self.gpus_per_replica < 0:
            raise UserError(f"--gpus-per-replica must be 0 or more, not {self.gpus_per_replica:g}")
        require("ray", "ray", "--executor ray")  # a missing extra fails now, not after the run dir is made
        return RayExecutor(self, Recipe(loader, spec, dict(options)), batch_size, adapter)


def ray_settings(executor: str, replicas: int | None, address: str | None, gpus_per_replica: float | None,
                 model: str, options: dict[str, Any]) -> RaySettings | None:
    """The CLI's --executor/--replicas/--ray-address/--gpus-per-replica, checked (None: in this process).
    A vllm: replica gets as many GPUs as its engine's tensor_parallel_size unless told otherwise."""
    if executor not in ("local", "ray"):
        raise UserError(f"--executor must be local or ray, not {executor!r}")
    if executor == "local":
        given = [flag for flag, value in (("--replicas", replicas), ("--ray-address", address),
                                          ("--gpus-per-replica", gpus_per_replica)) if value is not None]
        if given:
            raise UserError(f"{', '.join(given)} need(s) --executor ray")
        return None
    parallel = int(options.get("tensor_parallel_size", 1)) * int(options.get("pipeline_parallel_size", 1))
    if gpus_per_replica is None:
        gpus_per_replica = float(parallel) if model.startswith("vllm:") else 0.0
    elif model.startswith("vllm:") and 0 < gpus_per_replica < parallel:
        raise UserError(f"each replica's vLLM engine spans {parallel} GPUs (tensor x pipeline parallel): "
                        f"--gpus-per-replica {parallel}")
    return RaySettings(replicas=1 if replicas is None else replicas, address=address, gpus_per_replica=gpus_per_replica)


@dataclass(frozen=True)
class Recipe:
    """How a replica builds its adapter: the registry's loader, the model id and its -M options."""

    loader: Any
    spec: str
    options: dict[str, Any]


class Replica:
    """One model replica, in its own Ray actor process (made into an actor with `ray.remote`)."""

    def __init__(self, recipe: Recipe, batch_size: int) -> None:
        from seabench.registry import load_object

        adapter = load_object(recipe.loader)(recipe.spec, dict(recipe.options))
        self.local = LocalExecutor(adapter, batch_size)

    def where(self) -> dict[str, Any]:
        """Node, process and GPUs of this replica; loads the model, so a replica that answers is ready."""
        import ray

        self.local.adapter.load()  # idempotent: the first job does not load it again
        return {"node": ray.util.get_node_ip_address(), "pid": os.getpid(),
                "gpus": [str(g) for g in ray.get_gpu_ids()]}

    def generate(self, job: Job) -> tuple[list[ModelOutput], float]:
        """One job's outputs and the seconds the model took."""
        start = time.perf_counter()
        outputs = next(iter(self.local.run([job])))
        return outputs, time.perf_counter() - start

    def adapter_warnings(self) -> list[str]:
        return list(getattr(self.local.adapter, "warnings", []))


@dataclass
class Slot:
    """The driver's view of one replica."""

    index: int
    handle: Any
    report: ReplicaReport
    pid: int | None = None
    busy: int = 0  # jobs in flight
    requeued: int = 0

    @property
    def alive(self) -> bool:
        return self.report.died is None


@dataclass
class Flight:
    index: int  # position of the job in the run (outputs are yielded in this order)
    job: Job
    slot: Slot
    ref: Any = None


@dataclass
class _Queue:
    """Jobs waiting for a replica: re-queued ones first, then the runner's, taken as capacity allows."""

    source: Iterator[Job]
    requeued: deque[tuple[int, Job]] = field(default_factory=deque)
    taken: int = 0
    exhausted: bool = False

    def next(self) -> tuple[int, Job] | None:
        if self.requeued:
            return self.requeued.popleft()
        job = None if self.exhausted else next(self.source, None)
        if job is None:
            self.exhausted = True
            return None
        self.taken += 1
        return self.taken - 1, job

    @property
    def empty(self) -> bool:
        return self.exhausted and not self.requeued


def _replicas_lost(message: str) -> Exception:
    """The error the runner stops on after saving partial results (as for a model that keeps failing)."""
    from seabench.runner import ModelKeepsFailing

    return ModelKeepsFailing(message)


class RayExecutor(Executor):
    def __init__(self, settings: RaySettings, recipe: Recipe, batch_size: int, driver_adapter: ModelAdapter) -> None:
        self.settings = settings
        self.driver_adapter = driver_adapter  # describes the model to the runner; never generates
        self.recipe = recipe
        self.batch_size = batch_size
        self.slots: list[Slot] = []
        self._ray: Any = None
        self._started_ray = False
        self._calls = 0
        self._requeued = 0
        self._began: float | None = None  # when Ray was asked for the replicas
        self._ready: float | None = None  # when they had loaded the model
        self._wall = 0.0
        self._adapter_warnings: list[str] = []

    @property
    def calls(self) -> int:
        return self._calls

    # -- starting ------------------------------------------------------------------------------
    def _start(self) -> None:
        self._began = time.perf_counter()
        self._ray = ray = require("ray", "ray", "--executor ray")
        self._started_ray = connect(self.settings.address)
        self._check_fits(ray.cluster_resources())
        env = {k: v for k, v in os.environ.items()
               if k.startswith(PASSED_ENV) and not any(w in k.upper() for w in SECRET_WORDS)}
        actor = ray.remote(Replica).options(num_cpus=CPUS_PER_REPLICA, num_gpus=self.settings.gpus_per_replica,
                                            max_restarts=0, runtime_env={"env_vars": env})
        handles = [actor.remote(self.recipe, self.batch_size) for _ in range(self.settings.replicas)]
        self.slots = [Slot(i + 1, h, ReplicaReport(replica=i + 1)) for i, h in enumerate(handles)]
        for slot, ref in [(s, s.handle.where.remote()) for s in self.slots]:
            try:
                where = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                slot.report.died = _reason(exc)
                continue
            slot.pid, slot.report.node, slot.report.gpus = where["pid"], where["node"], where["gpus"]
        if not any(s.alive for s in self.slots):
            raise _replicas_lost(f"no Ray replica of {self.recipe.spec} started: {self.slots[0].report.died}")
        self._ready = time.perf_counter()

    def _check_fits(self, resources: dict[str, float]) -> None:
        """Replicas the cluster cannot place would wait forever: refuse them."""
        cpus, gpus = resources.get("CPU", 0.0), resources.get("GPU", 0.0)
        need_cpus = self.settings.replicas * CPUS_PER_REPLICA
        need_gpus = self.settings.replicas * self.settings.gpus_per_replica
        if need_cpus > cpus or need_gpus > gpus:
            raise UserError(f"{self.settings.replicas} replicas need {need_cpus:g} CPUs and {need_gpus:g} GPUs; the Ray "
                            f"cluster has {cpus:g} CPUs and {gpus:g} GPUs: lower --replicas or --gpus-per-replica, "
                            "or add nodes")

    # -- running -------------------------------------------------------------------------------
    def run(self, jobs: Iterable[Job]) -> Iterator[list[ModelOutput]]:
        queue = _Queue(iter(jobs))
        ready: dict[int, list[ModelOutput]] = {}
        flights: dict[Any, Flight] = {}
        next_out = 0
        while True:
            self._fill(queue, ready, flights)
            while next_out in ready:
                yield ready.pop(next_out)
                next_out += 1
            if not flights:
                if queue.empty:
                    self._stop_clock()
                    return
                continue
            self._collect(flights, ready, queue)

    def _fill(self, queue: _Queue, ready: dict[int, list[ModelOutput]], flights: dict[Any, Flight]) -> None:
        """Send jobs while a replica has room (and finished outputs waiting for an earlier job stay few)."""
        while True:
            if self.slots:
                live = [s for s in self.slots if s.alive]
                if min(s.busy for s in live) >= IN_FLIGHT_PER_REPLICA:
                    return
                if not queue.requeued and len(flights) + len(ready) >= 2 * IN_FLIGHT_PER_REPLICA * len(live):
                    return  # a re-queued job is always sent: outputs after it wait for it
            item = queue.next()
            if item is None:
                return
            index, job = item
            if not job.inputs:
                ready[index] = []
                continue
            if not self.slots:
                self._start()
            slot = min((s for s in self.slots if s.alive), key=lambda s: s.busy)
            flight = Flight(index, job, slot, slot.handle.generate.remote(job))
            slot.busy += 1
            flights[flight.ref] = flight

    def _collect(self, flights: dict[Any, Flight], ready: dict[int, list[ModelOutput]], queue: _Queue) -> None:
        """Wait for one job; a replica that died gives its job (and later its others) back to the queue."""
        ray = self._ray
        [done], _ = ray.wait(list(flights), num_returns=1)
        flight = flights.pop(done)
        slot = flight.slot
        slot.busy -= 1
        try:
            outputs, busy_s = ray.get(done)
        except ray.exceptions.RayActorError as exc:
            if slot.alive:
                slot.report.died = _reason(exc)
            slot.requeued += 1
            self._requeued += 1
            queue.requeued.append((flight.index, flight.job))
            if not any(s.alive for s in self.slots):
                raise _replicas_lost(f"every Ray replica of {self.recipe.spec} died (last: {slot.report.died})") from None
            return
        ready[flight.index] = outputs
        self._calls += len(flight.job.inputs)
        slot.report.batches += 1
        slot.report.samples += len(flight.job.inputs)
        slot.report.busy_s += busy_s

    # -- ending --------------------------------------------------------------------------------
    def close(self) -> None:
        self.driver_adapter.close()
        self._stop_clock()  # interrupted: the time until now
        ray = self._ray
        for slot in self.slots:
            if slot.alive:
                with contextlib.suppress(ray.exceptions.RayError):  # a replica lost at the very end has none to give
                    self._adapter_warnings.extend(ray.get(slot.handle.adapter_warnings.remote(), timeout=30))
                ray.kill(slot.handle)
        if self._started_ray and ray is not None and ray.is_initialized():
            ray.shutdown()
            self._started_ray = False

    def _stop_clock(self) -> None:
        if self._ready is not None and not self._wall:
            self._wall = time.perf_counter() - self._ready

    def report(self) -> ExecutorReport | None:
        if not self.slots:
            return None  # every answer came from the response cache: Ray was never started
        replicas = [s.report.model_copy(update={
            "busy_s": round(s.report.busy_s, 3),
            "samples_per_s": round(s.report.samples / s.report.busy_s, 3) if s.report.busy_s else None})
            for s in self.slots]
        done = sum(r.samples for r in replicas)
        return ExecutorReport(kind="ray", address=self.settings.address, gpus_per_replica=self.settings.gpus_per_replica,
                              replicas=replicas, requeued_batches=self._requeued,
                              startup_s=round((self._ready or self._began or 0) - (self._began or 0), 3),
                              wall_s=round(self._wall, 3), samples_per_s=round(done / self._wall, 3) if self._wall else None)

    def warnings(self) -> list[str]:
        out = [f"Ray replica {s.index} ({s.report.node or 'not started'}) died mid-run: {s.report.died}; "
               f"{s.requeued} batch(es) it held went to the other replicas" for s in self.slots if not s.alive]
        return out + list(dict.fromkeys(self._adapter_warnings))


def connect(address: str | None) -> bool:
    """Join the Ray cluster at `address` (or $RAY_ADDRESS), or start a local instance; True when this
    call started Ray (so the executor shuts it down when done). A Ray already running here is used as is."""
    ray = require("ray", "ray", "--executor ray")
    if ray.is_initialized():
        return False
    local = address is None and not os.environ.get("RAY_ADDRESS")
    extra: dict[str, Any] = {"include_dashboard": False} if local else {}
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING, **extra)
    except ConnectionError as exc:
        raise UserError(f"cannot reach the Ray cluster at {address}: {exc}") from None
    return True


def _reason(exc: BaseException) -> str:
    """The first line of a Ray error, which says how the replica ended."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def throughput_lines(report: ExecutorReport) -> list[str]:
    """What the terminal shows after a run on Ray replicas."""
    total = sum(r.samples for r in report.replicas)
    rate = f" ({report.samples_per_s:.1f} samples/s)" if report.samples_per_s else ""
    where = report.address or "a local Ray instance"
    lines = [f"Ray: {len(report.replicas)} replica(s) on {where} (ready after {report.startup_s:.1f} s): "
             f"{total} samples in {report.wall_s:.1f} s{rate}"
             + (f"; {report.requeued_batches} batch(es) re-queued" if report.requeued_batches else "")]
    for r in report.replicas:
        speed = f", {r.samples_per_s:.1f} samples/s while generating" if r.samples_per_s else ""
        gpus = f" GPU {','.join(r.gpus)}" if r.gpus else ""
        end = f"; died: {r.died}" if r.died else ""
        lines.append(f"  replica {r.replica} ({r.node or '?'}{gpus}): {r.samples} samples in {r.batches} "
                     f"batch(es){speed}{end}")
    return lines
