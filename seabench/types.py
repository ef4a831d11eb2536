"""Core data types shared by tasks, models, judges, the runner and the leaderboard.

Everything that is persisted (sample records, results) is a pydantic model so files can be
validated when read back. Runtime-only objects that carry waveforms are dataclasses: waveforms
are never written to disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1

Direction = Literal["higher", "lower"]


class ErrorCode(str, Enum):
    """Why a sample has no usable output. Every code is counted in results, never dropped."""

    AUDIO_MISSING = "audio_missing"
    AUDIO_UNREADABLE = "audio_unreadable"  # not audio, corrupt or truncated beyond decoding
    AUDIO_EMPTY = "audio_empty"  # zero bytes or zero frames
    AUDIO_INVALID_SAMPLES = "audio_invalid_samples"  # NaN or Inf in the waveform
    AUDIO_TOO_LONG = "audio_too_long"  # over the model's limit
    MISSING_PREDICTION = "missing_prediction"  # predictions adapter has no output for this id
    MODEL_ERROR = "model_error"  # the model raised or the API failed after retries
    TIMEOUT = "timeout"

    @property
    def retryable(self) -> bool:
        """Transient failures are re-run on resume; input errors are final."""
        return self in (ErrorCode.MODEL_ERROR, ErrorCode.TIMEOUT)


class AudioRef(BaseModel):
    """Where a clip lives and what it is. Logs store this, never the waveform."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str | None = None
    sample_rate: int | None = None
    duration_s: float | None = None

    def load(self, sr: int = 16000) -> np.ndarray:
        """Decode to float32 mono at `sr` (raises seabench.audio.AudioError on bad input)."""
        from seabench.audio import load_audio

        return load_audio(self.path, sr=sr).waveform


class Sample(BaseModel):
    """One evaluation item. `id` is stable across runs and unique within its task."""

    model_config = ConfigDict(frozen=True)

    id: str
    audio: list[AudioRef] = Field(default_factory=list)
    instruction: str = ""
    reference: str | list[str] | None = None
    choices: list[str] | None = None
    label: str | None = None
    language: str = "und"
    target_language: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def references(self) -> list[str]:
        if self.reference is None:
            return []
        return [self.reference] if isinstance(self.reference, str) else list(self.reference)


GENERATION_KEYS = ("max_new_tokens", "temperature", "top_p", "do_sample", "repetition_penalty", "seed",
                   "system_prompt", "stop")


class GenerationConfig(BaseModel):
    """How an answer is generated: merged task default <- benchmark preset <- the user's `-G key=value`.

    Part of every response-cache key and recorded in the manifest. `extra` holds adapter-specific
    settings (e.g. `language` for Whisper-style models); an adapter refuses keys it cannot honour."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_new_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    do_sample: bool | None = None  # None: sample exactly when temperature > 0
    repetition_penalty: float = Field(1.0, gt=0.0)
    seed: int = 0
    system_prompt: str | None = None
    stop: tuple[str, ...] = ()
    extra: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> GenerationConfig:
        if self.do_sample and self.temperature == 0:
            raise ValueError("do_sample=true needs temperature > 0")
        return self

    @property
    def sampling(self) -> bool:
        """True when tokens are drawn at random; False means greedy decoding."""
        return self.do_sample if self.do_sample is not None else self.temperature > 0

    def non_default(self) -> dict[str, Any]:
        """The settings that differ from the defaults (what an adapter must be able to honour)."""
        base = GenerationConfig()
        out = {k: getattr(self, k) for k in GENERATION_KEYS if getattr(self, k) != getattr(base, k)}
        out.update({f"extra.{k}": v for k, v in self.extra.items()})
        return out


@dataclass
class ModelInput:
    """What an adapter receives: decoded 16 kHz mono audio plus the rendered prompt."""

    sample_id: str
    task: str
    prompt: str
    audio: list[np.ndarray] = field(default_factory=list)
    audio_refs: list[AudioRef] = field(default_factory=list)
    language: str = "und"
    input_hash: str = ""

    @staticmethod
    def hash_of(prompt: str, audio_refs: list[AudioRef], system_prompt: str | None) -> str:
        h = hashlib.sha256()
        h.update((system_prompt or "").encode())
        h.update(b"\x00")
        h.update(prompt.encode())
        for ref in audio_refs:
            h.update(b"\x00")
            h.update((ref.sha256 or ref.path).encode())
        return h.hexdigest()


class ModelOutput(BaseModel):
    text: str = ""
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = None
    retries: int = 0
    cached: bool = False
    error: str | None = None
    error_code: ErrorCode | None = None
    warnings: list[str] = Field(default_factory=list)
    intermediate: dict[str, str] = Field(default_factory=dict)  # e.g. a cascade's transcript
    # serving-latency measurements where the backend exposes them, in seconds unless named otherwise:
    # ttft_s, itl_mean_s, itl_p95_s, tokens_per_s, stream_chunks (API adapters with -M stream=true);
    # prefill_s, decode_s (reference: per batch; vllm: per request, plus queue_s)
    timing: dict[str, float] = Field(default_factory=dict)


class ModelInfo(BaseModel):
    """Identity of the model that produced outputs; `snapshot` keys the response cache."""

    id: str
    provider: str
    snapshot: str
    dtype: str | None = None
    backend_version: str | None = None
    max_audio_s: float | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Score(BaseModel):
    """Sample-level result of one scorer. `stats` are sufficient statistics for corpus metrics."""

    value: float | None = None  # None = unscored (excluded from means, counted)
    answer: str | None = None  # what was extracted / the normalised hypothesis
    explanation: str | None = None
    stats: dict[str, float] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)  # empty, refusal, extract_fail, wrong_language, ...


class MetricValue(BaseModel):
    name: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    n_failed: int = 0
    direction: Direction = "higher"
    details: dict[str, Any] = Field(default_factory=dict)


class Verdict(BaseModel):
    score: float | None = None  # None = unscored (reason given); defaults keep exclude_none dumps readable
    rationale: str = ""
    raw: str = ""
    parse_ok: bool = False
    unscored_reason: str | None = None
    judge: str = ""
    model_version: str | None = None  # the version the judge's API reported for this reply, if any
    rubric: str = ""  # id@version
    samples: list[float] = Field(default_factory=list)  # n-sample judging
    audio_seen: bool = False
    cached: bool = False
    retries: int = 0
    rubric_sha256: str | None = None  # of the rubric's definition, or of the user's rubric file it came from
    rubric_source: str | None = None  # that file, when the rubric was not a shipped one
    scale: tuple[int, int] | None = None  # the rubric's (lowest, highest) score: 1-5, 0-5, 0/1 ...


class SampleRecord(BaseModel):
    """One line of samples.jsonl: everything needed to re-score without regenerating."""

    run_id: str
    task: str
    sample_id: str
    input_hash: str = ""
    language: str = "und"
    target_language: str | None = None
    prompt: str = ""
    audio: list[AudioRef] = Field(default_factory=list)
    reference: str | list[str] | None = None
    choices: list[str] | None = None
    label: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    output: ModelOutput | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    verdicts: list[Verdict] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    error_code: ErrorCode | None = None
    error_message: str | None = None

    def to_sample(self) -> Sample:
        return Sample(
            id=self.sample_id,
            audio=self.audio,
            instruction=self.prompt,
            reference=self.reference,
            choices=self.choices,
            label=self.label,
            language=self.language,
            target_language=self.target_language,
            metadata=self.metadata,
        )


class TaskCounts(BaseModel):
    n: int = 0  # samples in the task (after --limit)
    completed: int = 0  # records written
    errors: dict[str, int] = Field(default_factory=dict)  # by error code
    empty: int = 0
    refusals: int = 0
    extract_fail: int = 0
    wrong_language: int = 0
    unscored: int = 0

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())


class JudgingInfo(BaseModel):
    """Who judged a task's items and with which rubrics, read off its verdicts."""

    judge: str
    served_versions: list[str] = Field(default_factory=list)  # model versions the judge's API reported
    rubrics: dict[str, str] = Field(default_factory=dict)  # rubric id@version -> sha256
    rubric_files: dict[str, str] = Field(default_factory=dict)  # user rubric file -> sha256
    scales: dict[str, tuple[int, int]] = Field(default_factory=dict)  # rubric id@version -> (lowest, highest) score
    scored_by_judge: int = 0  # items the judge scored
    scored_without_call: int = 0  # empty or failed answers given the lowest score, never sent
    unscored: int = 0  # judge calls that failed or replies without a usable score


class TaskResult(BaseModel):
    name: str
    version: str
    family: str
    languages: list[str]
    primary_metric: str
    direction: Direction
    status: Literal["complete", "partial"]
    metrics: dict[str, MetricValue]
    breakdowns: dict[str, dict[str, dict[str, MetricValue]]] = Field(default_factory=dict)
    counts: TaskCounts
    rates: dict[str, float] = Field(default_factory=dict)
    judge: str | None = None
    rubric: str | None = None
    judging: JudgingInfo | None = None
    scoring: dict[str, Any] = Field(default_factory=dict)  # normaliser versions, sacrebleu signature ...
    dataset_hash: str = ""
    prompt_hash: str = ""
    # what this result was computed from (seabench.aggregate.inputs_digest, seabench.index.TaskColumns.digest):
    # a resume whose digests match reuses it instead of re-aggregating
    inputs_digest: str = ""
    rows_digest: str = ""


class ReplicaReport(BaseModel):
    """What one model replica of a distributed run did (issue 18)."""

    replica: int
    node: str = ""
    gpus: list[str] = Field(default_factory=list)
    batches: int = 0
    samples: int = 0
    busy_s: float = 0.0  # seconds inside the model's generate
    samples_per_s: float | None = None  # samples / busy_s
    died: str | None = None  # why it stopped mid-run (its in-flight batches went to the others)


class ExecutorReport(BaseModel):
    """How outputs were generated when not in this process: Ray replicas and their throughput."""

    kind: str
    address: str | None = None
    gpus_per_replica: float = 0.0
    replicas: list[ReplicaReport] = Field(default_factory=list)
    requeued_batches: int = 0
    startup_s: float = 0.0  # starting Ray and the replicas, loading the model
    wall_s: float = 0.0  # from the replicas being ready to the end of generation
    samples_per_s: float | None = None  # all replicas together, over wall_s


class MergedShard(BaseModel):
    """One run dir a merged run was made from."""

    path: str
    shard: str | None
    run_id: str
    samples: int


class Manifest(BaseModel):
    seabench_version: str
    git_sha: str | None = None
    git_dirty: bool | None = None
    python: str
    platform: str
    packages: dict[str, str]
    config: dict[str, Any]
    config_hash: str
    seed: int
    batch_size: int
    dataset_hashes: dict[str, str] = Field(default_factory=dict)
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    generation: dict[str, dict[str, Any]] = Field(default_factory=dict)  # task -> settings it was generated with
    sample_ids: dict[str, list[str]] = Field(default_factory=dict)  # task -> ids --limit chose (when given)
    shard: str | None = None  # I/N when this run is one shard of a larger one
    executor: ExecutorReport | None = None  # None: generated in this process
    merged_from: list[MergedShard] = Field(default_factory=list)  # `seabench merge`: the shards, in order given
    created_at: str
    finished_at: str | None = None


class RunResult(BaseModel):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    status: Literal["complete", "partial", "failed"]  # failed: samples were attempted and none succeeded
    model: ModelInfo
    tasks: dict[str, TaskResult]
    manifest: Manifest
    warnings: list[str] = Field(default_factory=list)
    samples_digest: str = ""  # length and CRC-32 of samples.jsonl when these results were computed
