"""What the `hf:` and `vllm:` adapters share: the chat conversation for one input, the long-audio
policy (ASR audio over the model's window is split at quiet points and the transcripts joined;
any other audio is truncated with a recorded warning), and a checkpoint's snapshot id.

No torch, transformers or vllm import here."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seabench.types import ErrorCode, ModelInput, ModelOutput

SR = 16_000
SEARCH_S = 2.0  # a window ends at the quietest 20 ms frame of its last SEARCH_S seconds
FRAME = SR // 50
SMALL_FILE = 2 * 1024 * 1024
UNSPACED = ("zh", "ja", "th", "lo", "km", "my", "yue")  # transcripts joined without a space


def is_asr_task(task: str) -> bool:
    return task.startswith(("asr/", "mini/asr-"))


def conversation(inp: ModelInput, system_prompt: str | None, *, with_audio: bool) -> list[dict[str, Any]]:
    """One chat: optional system turn, then a user turn with the clips first and the prompt after.

    `with_audio=True` puts the waveforms in the message (transformers processors load them from
    there); otherwise each clip is a named placeholder for a template rendered as text. Either way
    the item has both `type` and an `audio` key: Qwen2-Audio's hub template tests `'audio' in content`."""
    content: list[dict[str, Any]] = [{"type": "audio", "audio": wave if with_audio else f"clip-{n}"}
                                     for n, wave in enumerate(inp.audio, 1)]
    content.append({"type": "text", "text": inp.prompt})
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": [{"type": "text", "text": system_prompt}]})
    messages.append({"role": "user", "content": content})
    return messages


def split_points(n_samples: int, wave: np.ndarray, max_s: float) -> list[int]:
    """Cut positions so every window is at most `max_s` long, each at a low-energy frame."""
    limit = int(max_s * SR)
    cuts: list[int] = []
    start = 0
    while n_samples - start > limit:
        end = start + limit
        lo = max(start + FRAME, end - int(SEARCH_S * SR))
        region = wave[lo:end]
        n_frames = len(region) // FRAME
        if n_frames:
            energy = np.square(region[: n_frames * FRAME].reshape(n_frames, FRAME)).sum(axis=1)
            end = lo + int(np.argmin(energy)) * FRAME + FRAME // 2
        cuts.append(end)
        start = end
    return cuts


@dataclass
class Piece:
    """A model call made for part of one input."""

    owner: int
    inp: ModelInput


@dataclass
class LongAudioPlan:
    """Inputs rewritten to fit the model's audio window, and how to merge the answers back."""

    n_inputs: int
    pieces: list[Piece]
    joiners: dict[int, str] = field(default_factory=dict)
    notes: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, batch: list[ModelInput], max_s: float | None) -> LongAudioPlan:
        plan = cls(n_inputs=len(batch), pieces=[])
        for idx, inp in enumerate(batch):
            long = [i for i, w in enumerate(inp.audio) if max_s is not None and len(w) > max_s * SR]
            if not long:
                plan.pieces.append(Piece(idx, inp))
            elif is_asr_task(inp.task) and len(inp.audio) == 1:
                plan._chunk(idx, inp, max_s)  # type: ignore[arg-type]
            else:
                plan._truncate(idx, inp, long, max_s)  # type: ignore[arg-type]
        return plan

    def _chunk(self, idx: int, inp: ModelInput, max_s: float) -> None:
        wave = inp.audio[0]
        bounds = [0, *split_points(len(wave), wave, max_s), len(wave)]
        for a, b in itertools.pairwise(bounds):
            self.pieces.append(Piece(idx, _with_audio(inp, [wave[a:b]])))
        self.joiners[idx] = "" if inp.language.split("-")[0].lower() in UNSPACED else " "
        note = f"audio of {len(wave) / SR:.1f} s split into {len(bounds) - 1} windows of <= {max_s:g} s"
        self.notes[idx] = [f"{note}; transcripts joined"]

    def _truncate(self, idx: int, inp: ModelInput, long: list[int], max_s: float) -> None:
        limit = int(max_s * SR)
        self.pieces.append(Piece(idx, _with_audio(inp, [w[:limit] for w in inp.audio])))
        self.notes[idx] = [f"audio {i + 1} truncated from {len(inp.audio[i]) / SR:.1f} s to the model's "
                           f"limit of {max_s:g} s" for i in long]

    def merge(self, outputs: list[ModelOutput]) -> list[ModelOutput]:
        """One output per original input: chunk answers joined in order, counts summed."""
        grouped: list[list[ModelOutput]] = [[] for _ in range(self.n_inputs)]
        for piece, out in zip(self.pieces, outputs, strict=True):
            grouped[piece.owner].append(out)
        merged = []
        for idx, outs in enumerate(grouped):
            out = outs[0] if len(outs) == 1 else _join(outs, self.joiners.get(idx, " "))
            out.warnings = [*out.warnings, *self.notes.get(idx, [])]
            merged.append(out)
        return merged


def _with_audio(inp: ModelInput, audio: list[np.ndarray]) -> ModelInput:
    return ModelInput(sample_id=inp.sample_id, task=inp.task, prompt=inp.prompt, audio=audio,
                      audio_refs=inp.audio_refs, language=inp.language, input_hash=inp.input_hash)


def _total(values: list[Any]) -> Any:
    """Sum of counts or seconds; unknown (None) if any part is unknown."""
    return None if any(v is None for v in values) else sum(values)


def _join(outs: list[ModelOutput], joiner: str) -> ModelOutput:
    errors = [o.error for o in outs if o.error]
    return ModelOutput(
        text=joiner.join(o.text.strip() for o in outs if o.text.strip()),
        finish_reason="length" if any(o.finish_reason == "length" for o in outs) else outs[-1].finish_reason,
        input_tokens=_total([o.input_tokens for o in outs]),
        output_tokens=_total([o.output_tokens for o in outs]),
        latency_s=_total([o.latency_s for o in outs]),
        error="; ".join(errors) if errors else None,
        error_code=ErrorCode.MODEL_ERROR if errors else None,
        warnings=[w for o in outs for w in o.warnings],
        timing={k: sum(o.timing[k] for o in outs) for k in outs[0].timing if all(k in o.timing for o in outs)},
    )


def window_of(processor: Any) -> float:
    """The longest audio one model call takes: the processor's own limit if it splits audio
    itself (GLM-ASR, AudioFlamingo3: `max_audio_len`; MERaLiON-2: `time_duration_limit`, 300 s in
    30 s windows), else its feature extractor's window (30 s for Whisper)."""
    own = getattr(processor, "max_audio_len", None) or getattr(processor, "time_duration_limit", None)
    if own:
        return float(own)
    extractor = getattr(processor, "feature_extractor", None) or getattr(processor, "audio_processor", None)
    return float(getattr(extractor, "chunk_length", None) or 30)


def folder_digest(folder: Path) -> str:
    """Identity of a local checkpoint: small files by content (config, tokenizer, chat template),
    large ones (weights) by name and size, so hashing a 15 GB folder takes milliseconds."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts):
        size = path.stat().st_size
        h.update(f"{path.relative_to(folder).as_posix()}\x00{size}\x00".encode())
        if size <= SMALL_FILE:
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def snapshot_of(model: str, commit: str | None) -> str:
    """Response-cache key of a checkpoint: the folder digest, or the hub commit it was loaded at."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        return f"dir:{folder_digest(folder)}"
    return f"{model}@{commit or 'unknown-commit'}"
