"""Train the reference model on a SeaBench train split (CPU friendly, exactly resumable).

Every example is (clip, prompt, answer). Prompts are the strings the harness sends for the matching
`mini` task (`task.render(sample)`), so the model learns the exact instructions it is evaluated with:
ASR in seven languages, speech translation, language ID, gender and speaking rate. Log-mel features are
computed once per clip with the inference code path and cached; training then applies SpecAugment-style
masks to the cached features. Batches and masks are a pure function of (seed, step), so a resumed run
replays the same data stream and reaches the same losses as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

    from .config import ReferenceConfig
    from .model import ReferenceModel

ASR_MANIFEST = "train-asr.jsonl"
S2TT_MANIFEST = "train-s2tt.jsonl"
SOUNDS_MANIFEST = "train-sounds.jsonl"  # multiple-choice sound items (scripts/build_train.py)
STATE_FILE = "trainer_state.pt"
TRAINING_FILE = "training.json"
LATEST = "checkpoint-latest"
FINAL = "final"
LANGUAGES = ("en", "id", "ms", "vi", "th", "zh", "ta")
# Share of examples per task kind: transcription carries most of the signal the other tasks build on.
# Kinds without examples in the train split (e.g. sounds in an old split) are left out of the draw.
TASK_MIX = {"asr": 0.5, "langid": 0.1, "gender": 0.1, "rate": 0.1, "s2tt": 0.1, "sounds": 0.1}
PRESETS = {
    "small": {"encoder_dim": 256, "encoder_layers": 4, "decoder_dim": 256, "decoder_layers": 4, "stack": 4, "vocab": 4000},
    "tiny": {"encoder_dim": 160, "encoder_layers": 3, "decoder_dim": 224, "decoder_layers": 3, "stack": 6, "vocab": 3000},
    "micro": {"encoder_dim": 32, "encoder_layers": 1, "decoder_dim": 32, "decoder_layers": 1, "stack": 4, "vocab": 400},
}
CTC_WEIGHT = 0.3  # auxiliary CTC on the encoder for transcription examples: aligns audio to text much sooner
ALIGN_WEIGHT = 1.0  # U-Align (`align="dtw"`): DTW loss between adapted frames and transcript token embeddings
ALIGN_METHODS = ("none", "dtw")
ANSWER_WEIGHTINGS = ("token", "example")  # how answer cross-entropy is averaged over a batch (`training_loss`)
# Classes of the auxiliary trait heads (`trait_weight`): what a speech clip's metadata says about its speaker
TRAITS = {"gender": ("male", "female"), "language": LANGUAGES, "rate": ("slow", "normal", "fast")}


@dataclass(frozen=True)
class Example:
    clip: int  # index into the feature cache
    prompt: str
    answer: str
    kind: str
    traits: tuple[int, ...] = (-1,) * len(TRAITS)  # class index per `TRAITS` entry, -1 when unknown


@dataclass
class FeatureCache:
    """Log-mels of every clip, concatenated along time (float16), with per-clip offsets."""

    mels: np.ndarray  # (n_mels, total_frames)
    offsets: np.ndarray  # (n_clips + 1,)

    def frames(self, clip: int) -> int:
        return int(self.offsets[clip + 1] - self.offsets[clip])

    def get(self, clip: int) -> np.ndarray:
        return self.mels[:, self.offsets[clip] : self.offsets[clip + 1]]


# ---- data


def harness_prompts() -> dict[str, str]:
    """The rendered instruction of every single-prompt mini task, keyed by task name (`mini/asr-th` ...)."""
    from seabench.registry import registry

    prompts: dict[str, str] = {}
    for task in registry().resolve_tasks("mini"):
        rendered = {task.render(sample) for sample in task.samples()}
        if len(rendered) == 1:
            prompts[task.name] = rendered.pop()
    return prompts


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def data_hash(data_dir: Path) -> str:
    """sha256 over the train manifests (which name every clip), recorded with the checkpoint."""
    digest = hashlib.sha256()
    for name in (ASR_MANIFEST, S2TT_MANIFEST, SOUNDS_MANIFEST):
        path = data_dir / name
        if path.exists():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_examples(data_dir: Path, prompts: dict[str, str]) -> tuple[list[str], dict[str, list[Example]]]:
    """Clip paths and the examples of every task kind; tasks absent from the mini suite are skipped.

    Sound items answer with the text of the right option, which the harness's choice extraction maps
    back to its letter; their prompts (question + lettered options) are rendered per item by the task.
    """
    asr = read_jsonl(data_dir / ASR_MANIFEST)
    s2tt = read_jsonl(data_dir / S2TT_MANIFEST) if (data_dir / S2TT_MANIFEST).exists() else []
    sounds = sound_examples(data_dir) if (data_dir / SOUNDS_MANIFEST).exists() else []
    clips: list[str] = []
    index: dict[str, int] = {}
    for row in asr + s2tt + [{"audio": audio} for audio, _, _ in sounds]:
        if row["audio"] not in index:
            index[row["audio"]] = len(clips)
            clips.append(row["audio"])
    kinds: dict[str, list[Example]] = {k: [] for k in TASK_MIX}
    for row in asr:
        clip, lang, meta = index[row["audio"]], row["language"], row.get("metadata", {})
        traits = clip_traits({**meta, "language": lang})
        if f"mini/asr-{lang}" in prompts:
            kinds["asr"].append(Example(clip, prompts[f"mini/asr-{lang}"], row["reference"], "asr", traits))
        kinds["langid"].append(Example(clip, prompts["mini/langid"], lang, "langid", traits))
        if meta.get("gender") in TRAITS["gender"]:
            kinds["gender"].append(Example(clip, prompts["mini/gender"], meta["gender"], "gender", traits))
        if meta.get("rate") in TRAITS["rate"]:
            kinds["rate"].append(Example(clip, prompts["mini/rate"], meta["rate"], "rate", traits))
    for row in s2tt:
        name = f"mini/s2tt-{row['language']}-{row['target_language']}"
        if name in prompts:
            kinds["s2tt"].append(Example(index[row["audio"]], prompts[name], row["reference"], "s2tt"))
    kinds["sounds"] = [Example(index[audio], prompt, answer, "sounds") for audio, prompt, answer in sounds]
    return clips, {k: v for k, v in kinds.items() if v}


def clip_traits(meta: dict) -> tuple[int, ...]:
    """Each `TRAITS` entry's class index for a clip's metadata, -1 where it is absent or unknown."""
    return tuple(classes.index(meta[name]) if meta.get(name) in classes else -1 for name, classes in TRAITS.items())


def sound_examples(data_dir: Path) -> list[tuple[str, str, str]]:
    """(clip, prompt as `mini/sounds` renders it, right option) of every train sound item."""
    from seabench.registry import registry
    from seabench.tasks.manifest import read_manifest

    (task,) = registry().resolve_tasks("mini/sounds")
    rows = read_jsonl(data_dir / SOUNDS_MANIFEST)
    samples = read_manifest(data_dir / SOUNDS_MANIFEST).samples
    return [(row["audio"], task.render(sample), str(sample.label)) for row, sample in zip(rows, samples, strict=True)]


def cache_features(data_dir: Path, clips: list[str], config: ReferenceConfig, cache_dir: Path) -> FeatureCache:
    """Featurise every clip once with the inference feature code; reuse the cache when it matches."""
    from .features import build_feature_extractor, max_samples

    # the features depend on the input kind, the mel settings and the clip limit, not on the encoder's size
    settings = [config.encoder.kind, config.num_mel_bins, config.window_seconds, max_samples(config), config.encoder.pad_to]
    key = hashlib.sha256(json.dumps([clips, settings], sort_keys=True).encode()).hexdigest()[:16]
    mel_path, off_path = cache_dir / f"mels-{key}.npy", cache_dir / f"offsets-{key}.npy"
    if mel_path.exists() and off_path.exists():
        return FeatureCache(np.load(mel_path, mmap_mode="r"), np.load(off_path))
    extractor = build_feature_extractor(config)
    mels = [_clip_mels(data_dir / rel, config, extractor) for rel in clips]
    offsets = np.concatenate([[0], np.cumsum([m.shape[1] for m in mels])]).astype(np.int64)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(mel_path, np.concatenate(mels, axis=1))
    np.save(off_path, offsets)
    return FeatureCache(np.load(mel_path, mmap_mode="r"), offsets)


def _clip_mels(path: Path, config: ReferenceConfig, extractor: object) -> np.ndarray:
    import soundfile as sf
    import soxr

    from .config import SAMPLE_RATE
    from .features import extract_features

    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != SAMPLE_RATE:
        audio = soxr.resample(audio, rate, SAMPLE_RATE).astype(np.float32)
    batch = extract_features(config, extractor, [audio])  # type: ignore[arg-type]
    return batch.features[0, :, : int(batch.lengths[0])].numpy().astype(np.float16)


def tokenizer_corpus(kinds: dict[str, list[Example]]) -> list[str]:
    """Answers and prompts, plus the chat-template text, so frequent pieces become single tokens."""
    texts = sorted({e.answer for ex in kinds.values() for e in ex} | {e.prompt for ex in kinds.values() for e in ex})
    return [*texts, "system\nYou are a helpful assistant.", "user\nAudio 1: ", "assistant\n"]


def plan_batches(
    kinds: dict[str, list[Example]], cache: FeatureCache, seed: int, block: int, batch_size: int, step: int,
    mix: dict[str, float] = TASK_MIX,
) -> list[Example]:
    """The batch of `step`: each block of steps draws a pool by the task mix and groups it by clip length."""
    rng = np.random.default_rng([seed, step // block])
    names = sorted(k for k in kinds if mix.get(k, 0) > 0)
    weights = np.array([mix[k] for k in names])
    picks = rng.choice(len(names), size=block * batch_size, p=weights / weights.sum())
    pool = [kinds[names[k]][int(rng.integers(len(kinds[names[k]])))] for k in picks]
    pool.sort(key=lambda e: cache.frames(e.clip))
    batches = [pool[i : i + batch_size] for i in range(0, len(pool), batch_size)]
    order = rng.permutation(len(batches))
    return batches[int(order[step % block])]


def spec_augment(mel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two frequency masks (up to 12 bins) and time masks covering up to ~10% of the clip; a waveform
    (one row, a wav2vec2 encoder's input) gets the time masks only, sized in 10 ms steps of samples."""
    from .config import HOP_LENGTH

    mel = mel.astype(np.float32, copy=True)
    n_mels, columns = mel.shape
    step = 1 if n_mels > 1 else HOP_LENGTH
    frames = columns // step
    for _ in range(2 if n_mels > 1 else 0):
        width = int(rng.integers(0, 13))
        start = int(rng.integers(0, max(1, n_mels - width)))
        mel[start : start + width] = 0.0
    for _ in range(max(1, frames // 150)):
        width = int(rng.integers(0, min(25, max(1, frames // 10)) + 1)) * step
        start = int(rng.integers(0, max(1, columns - width)))
        mel[:, start : start + width] = 0.0
    return mel


class Collator:
    """Examples -> padded model inputs; loss only on the answer and its closing <|im_end|>."""

    def __init__(self, model: ReferenceModel, tokenizer: PreTrainedTokenizerBase, cache: FeatureCache) -> None:
        from .inference import ReferenceLALM

        self.lalm = ReferenceLALM(model, tokenizer)
        self.model, self.tokenizer, self.cache = model, tokenizer, cache
        self.end = model.config.stop_tokens[0]
        self._prompt_cache: dict[str, str] = {}

    def __call__(self, batch: list[Example], rng: np.random.Generator | None) -> dict[str, torch.Tensor]:
        import torch

        mels = [self.cache.get(e.clip) for e in batch]
        if rng is not None:
            mels = [spec_augment(m, rng) for m in mels]
        lengths = torch.tensor([m.shape[1] for m in mels])
        multiple = self.model.config.encoder.pad_multiple
        width = -(-int(lengths.max()) // multiple) * multiple
        features = torch.zeros(len(mels), mels[0].shape[0], width)
        for i, m in enumerate(mels):
            features[i, :, : m.shape[1]] = torch.from_numpy(np.asarray(m, dtype=np.float32))
        counts = self.model.audio_token_counts(lengths).tolist()
        rows: list[tuple[list[int], list[int]]] = []
        for example, count in zip(batch, counts, strict=True):
            prompt = self._rendered(example.prompt)
            head, tail = prompt.split(self.lalm.placeholder)
            prompt_ids = self.tokenizer(head + self.lalm.placeholder * count + tail, add_special_tokens=False)
            answer_ids = self.tokenizer(example.answer + self.end, add_special_tokens=False)
            rows.append((prompt_ids["input_ids"], answer_ids["input_ids"]))
        seq = max(len(p) + len(a) for p, a in rows)
        pad = self.lalm.pad_token_id
        ids = torch.full((len(rows), seq), pad, dtype=torch.long)
        labels = torch.full((len(rows), seq), -100, dtype=torch.long)
        mask = torch.zeros((len(rows), seq), dtype=torch.long)
        for r, (p, a) in enumerate(rows):
            ids[r, : len(p) + len(a)] = torch.tensor(p + a)
            labels[r, len(p) : len(p) + len(a)] = torch.tensor(a)
            mask[r, : len(p) + len(a)] = 1
        frame_mask = (torch.arange(width)[None, :] < lengths[:, None]).long()
        transcribed = torch.tensor([e.kind == "asr" for e in batch])
        ctc_lengths = torch.tensor([len(a) - 1 if e.kind == "asr" else 0 for e, (_, a) in zip(batch, rows, strict=True)])
        ctc_targets = torch.tensor([t for e, (_, a) in zip(batch, rows, strict=True) if e.kind == "asr" for t in a[:-1]])
        return {
            "input_ids": ids, "attention_mask": mask, "labels": labels, "features": features,
            "feature_mask": frame_mask, "transcribed": transcribed, "ctc_targets": ctc_targets.long(),
            "ctc_lengths": ctc_lengths,
            "traits": torch.tensor([e.traits for e in batch], dtype=torch.long).reshape(len(batch), len(TRAITS)),
        }

    def _rendered(self, prompt: str) -> str:
        if prompt not in self._prompt_cache:
            self._prompt_cache[prompt] = self.lalm.render(prompt, 1)
        return self._prompt_cache[prompt]


def training_loss(
    model: ReferenceModel, ctc_head: torch.nn.Module, inputs: dict[str, torch.Tensor], ctc_weight: float = CTC_WEIGHT,
    align_weight: float = 0.0, answer_weighting: str = "token", trait_heads: torch.nn.ModuleDict | None = None,
    trait_weight: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Next-token cross-entropy on answer tokens (the vocabulary projection runs only there), plus
    `ctc_weight` x CTC of the transcript over the encoder frames of transcription examples, plus
    `align_weight` x the U-Align DTW loss between their adapted frames and transcript token embeddings.
    `answer_weighting="example"` averages the cross-entropy per example first, so a one-word label
    (`male`) weighs as much as a 30-token transcript instead of 1/30 of it. `trait_weight` adds, per
    `TRAITS` entry, the cross-entropy of its head in `trait_heads` (throw-away linear layers) on each
    clip's mean adapter output, for clips whose trait is known: it makes the adapter keep the speaker's
    gender, language and pace in a form the decoder reads, against the pull of CTC and U-Align towards
    speaker-independent features (without it the decoder answered one gender for every clip).
    Returns the total and its parts (unweighted; `ce` is always the per-token mean), so runs with
    different weights can be compared."""
    import torch.nn.functional as F

    from .model import positions_from_mask

    encoded: list[tuple[torch.Tensor, torch.Tensor]] = []
    adapted: list[torch.Tensor] = []
    hooks = [model.encoder.register_forward_hook(lambda _m, _i, out: encoded.append(out))]
    if align_weight > 0 or trait_weight > 0:
        hooks.append(model.adapter.register_forward_hook(lambda _m, _i, out: adapted.append(out)))
    try:
        mask = inputs["attention_mask"]
        embeds = model.embed(inputs["input_ids"], inputs["features"], inputs["feature_mask"])
    finally:
        for hook in hooks:
            hook.remove()
    hidden = model.decoder.model(
        inputs_embeds=embeds, attention_mask=mask, position_ids=positions_from_mask(mask), use_cache=False
    ).last_hidden_state
    targets = inputs["labels"][:, 1:]
    keep = targets != -100
    token_ce = F.cross_entropy(model.decoder.lm_head(hidden[:, :-1][keep]).float(), targets[keep], reduction="none")
    parts = {"ce": float(token_ce.detach().mean())}
    loss = token_ce.mean() if answer_weighting == "token" else _per_example_mean(token_ce, keep)
    rows = inputs["transcribed"]
    if ctc_weight > 0 and bool(rows.any()):
        frames, steps = encoded[0]
        log_probs = ctc_head(frames[rows]).float().log_softmax(-1).transpose(0, 1)
        ctc = F.ctc_loss(
            log_probs, inputs["ctc_targets"], steps[rows], inputs["ctc_lengths"][rows],
            blank=log_probs.shape[-1] - 1, zero_infinity=True,
        )
        loss = loss + ctc_weight * ctc
        parts["ctc"] = float(ctc.detach())
    if align_weight > 0 and bool(rows.any()):
        align = _align_loss(model, adapted[0], encoded[0][1], inputs)
        loss = loss + align_weight * align
        parts["align"] = float(align.detach())
    if trait_weight > 0 and trait_heads is not None:
        pooled = _mean_adapted(model, adapted[0], encoded[0][1])
        for column, name in enumerate(TRAITS):
            labels = inputs["traits"][:, column]
            known = labels >= 0
            if bool(known.any()):
                trait = F.cross_entropy(trait_heads[name](pooled[known]).float(), labels[known])
                loss = loss + trait_weight * trait
                parts[name] = float(trait.detach())
    return loss, parts


def _mean_adapted(model: ReferenceModel, adapted: torch.Tensor, encoder_steps: torch.Tensor) -> torch.Tensor:
    """The mean of each clip's valid adapter outputs (padding frames left out)."""
    import torch

    lengths = model.adapter.output_lengths(encoder_steps)
    valid = (torch.arange(adapted.shape[1], device=adapted.device)[None, :] < lengths[:, None]).to(adapted.dtype)
    return (adapted * valid[..., None]).sum(dim=1) / valid.sum(dim=1, keepdim=True).clamp(min=1)


def _per_example_mean(token_losses: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean over examples of each example's mean token loss (`token_losses` in row-major order of `keep`)."""
    counts = keep.sum(dim=1)
    weights = (1.0 / counts.clamp(min=1).to(token_losses.dtype)).repeat_interleave(counts)
    return (token_losses * weights).sum() / (counts > 0).sum().clamp(min=1)


def _align_loss(
    model: ReferenceModel, adapted: torch.Tensor, encoder_steps: torch.Tensor, inputs: dict[str, torch.Tensor]
) -> torch.Tensor:
    """U-Align over the transcription examples: their adapter outputs against their transcripts' embeddings."""
    import torch

    from .align import dtw_align_loss

    rows = inputs["transcribed"]
    lengths = inputs["ctc_lengths"][rows]
    ids = torch.zeros(len(lengths), max(1, int(lengths.max())), dtype=torch.long, device=adapted.device)
    for r, chunk in enumerate(inputs["ctc_targets"].split(lengths.tolist())):
        ids[r, : len(chunk)] = chunk
    tokens = model.decoder.get_input_embeddings()(ids)
    frame_lengths = model.adapter.output_lengths(encoder_steps)[rows]
    return dtw_align_loss(adapted[rows], frame_lengths, tokens, lengths)


# ---- training


def git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def command_line() -> str:
    """How this run was started, as a user would retype it."""
    program = Path(sys.argv[0]).name
    if program == "train.py":
        return shlex.join(["python", "-m", "seabench.models.reference.train", *sys.argv[1:]])
    return shlex.join([program, *sys.argv[1:]])


def resolve_device(device: str) -> str:
    """`auto` means the first CUDA device when there is one, else the CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def lr_at(step: int, total: int, peak: float, warmup: int, time_fraction: float = 0.0) -> float:
    """Linear warmup then cosine decay to 10% of the peak, driven by whichever is further along: steps
    or the wall-clock budget (so a run cut short by `max_minutes` still ends at a low learning rate)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, max((step - warmup) / max(1, total - warmup), time_fraction))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def save_checkpoint(
    folder: Path, model: ReferenceModel, tokenizer: PreTrainedTokenizerBase, ctc_head: torch.nn.Module,
    optimizer: torch.optim.Optimizer, step: int, history: list[tuple[int, float]], meta: dict,
    parts: list[dict] | None = None, trait_heads: torch.nn.ModuleDict | None = None,
) -> None:
    """Weights + tokenizer in the reference format, plus optimizer/step/loss history (total and parts) and the
    throw-away heads for resume."""
    import torch

    from .io import save_reference

    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():  # a save interrupted by a crash
        import shutil

        shutil.rmtree(tmp)
    save_reference(model, tokenizer, tmp)
    state = {"optimizer": optimizer.state_dict(), "ctc_head": ctc_head.state_dict(), "step": step, "history": history,
             "parts": parts or []}
    if trait_heads is not None:
        state["trait_heads"] = trait_heads.state_dict()
    torch.save(state, tmp / STATE_FILE)
    (tmp / TRAINING_FILE).write_text(json.dumps({**meta, "steps_done": step}, indent=2), encoding="utf-8")
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    tmp.rename(folder)


def _load_trainer_heads(state: dict, trait_heads: torch.nn.ModuleDict, optimizer: torch.optim.Optimizer) -> None:
    """Restore the trait heads and the optimizer. A run saved before the heads existed resumes: they
    start fresh, and since they are the optimizer's last parameters, the saved state's indices still
    name the same parameters."""
    saved_heads = state.get("trait_heads", {})
    trait_heads.load_state_dict(saved_heads, strict=False)
    (group,) = optimizer.state_dict()["param_groups"]
    (old_group,) = state["optimizer"]["param_groups"]
    if len(old_group["params"]) != len(group["params"]) - len(list(trait_heads.parameters())) + len(saved_heads):
        raise ValueError("the saved optimizer state does not match this model")
    optimizer.load_state_dict({"state": state["optimizer"]["state"],
                               "param_groups": [{**old_group, "params": group["params"]}]})


def export_checkpoint(src: Path, dst: Path, dtype: str = "float32") -> Path:
    """Copy a checkpoint without trainer state; `float16` halves the weights file (the loader upcasts)."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    dst.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name not in (STATE_FILE, "model.safetensors") and item.is_file():
            shutil.copy2(item, dst / item.name)
    weights = load_file(str(src / "model.safetensors"))
    save_file({k: v.to(getattr(torch, dtype)).contiguous() for k, v in weights.items()}, str(dst / "model.safetensors"))
    (dst / "model.safetensors").chmod(0o644)  # safetensors writes 0600; a shipped checkpoint is for everyone
    return dst


def train_reference(
    data_dir: Path,
    out_dir: Path,
    *,
    steps: int = 4000,
    batch_size: int = 24,
    lr: float = 1.5e-3,
    resume: bool = False,
    seed: int = 0,
    preset: str = "tiny",
    device: str = "cpu",
    save_every: int = 250,
    max_minutes: float | None = None,
    warmup: int = 200,
    threads: int | None = None,
    quiet: bool = False,
    task_mix: dict[str, float] | None = None,
    ctc_weight: float = CTC_WEIGHT,
    align: str = "none",
    align_weight: float = ALIGN_WEIGHT,
    export_dtype: str = "float32",
    encoder: str = "whisper",
    init: Path | None = None,
    answer_weighting: str = "token",
    trait_weight: float = 0.0,
) -> Path:
    """Train (or resume) and return the final checkpoint folder `out_dir/final`.

    `max_minutes` stops early at a step boundary (the final checkpoint says how many steps ran).
    `task_mix`, `ctc_weight` and `align` may change between a run and its resumption (a later training stage).
    `align="dtw"` adds the U-Align loss (`align.py`) with weight `align_weight`. `export_dtype="float16"`
    halves the exported weights file (training itself always runs in float32). `encoder="wav2vec2"` builds
    a new model with a wav2vec2 (XLS-R-style) encoder over the waveform instead of Whisper's over log-mels.
    `init` starts a new run from the weights and tokenizer of an existing checkpoint folder (fine-tuning;
    `preset` and `encoder` are then ignored). `answer_weighting="example"` gives every example's answer
    the same weight in the cross-entropy (see `training_loss`); it may change between stages, as may
    `trait_weight` (the auxiliary gender, language and rate losses on the adapter output, see `training_loss`).
    """
    import torch

    from .inference import ReferenceLALM
    from .model import ReferenceModel
    from .presets import tiny_config
    from .tokenizer import train_tokenizer

    if align not in ALIGN_METHODS:
        raise ValueError(f"align must be one of {', '.join(ALIGN_METHODS)}, not {align!r}")
    if answer_weighting not in ANSWER_WEIGHTINGS:
        raise ValueError(f"answer_weighting must be one of {', '.join(ANSWER_WEIGHTINGS)}, not {answer_weighting!r}")
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    started = time.perf_counter()
    device = resolve_device(device)
    torch.set_num_threads(threads or max(1, os.cpu_count() or 1))
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    shape = PRESETS[preset]
    prompts = harness_prompts()
    clips, kinds = build_examples(data_dir, prompts)
    latest = out_dir / LATEST
    if resume and latest.exists():
        model_lalm = ReferenceLALM.from_pretrained(latest, device=device, dtype=torch.float32)
        model, tokenizer = model_lalm.model, model_lalm.tokenizer
        state = torch.load(latest / STATE_FILE, weights_only=False)
    elif init is not None:
        model_lalm = ReferenceLALM.from_pretrained(init, device=device, dtype=torch.float32)
        model, tokenizer = model_lalm.model, model_lalm.tokenizer
        state = None
    else:
        torch.manual_seed(seed)
        tokenizer = train_tokenizer(tokenizer_corpus(kinds), vocab_size=shape["vocab"])
        config = tiny_config(
            vocab_size=len(tokenizer),
            audio_token_id=tokenizer.convert_tokens_to_ids("<|AUDIO|>"),
            encoder_dim=shape["encoder_dim"], encoder_layers=shape["encoder_layers"],
            decoder_dim=shape["decoder_dim"], decoder_layers=shape["decoder_layers"], stack=shape["stack"],
            max_audio_seconds=15.0, encoder=encoder,  # type: ignore[arg-type]
        )
        # untied: a tied checkpoint would need the loader to re-tie; a separate output matrix is only 0.7 M more
        config = config.model_copy(update={"decoder": {**config.decoder, "tie_word_embeddings": False}})
        model = ReferenceModel(config).to(device)
        state = None
    model.train()
    cache = cache_features(data_dir, clips, model.config, out_dir / "feature-cache")
    collate = Collator(model, tokenizer, cache)
    mix = {**TASK_MIX, **(task_mix or {})}
    ctc_head = torch.nn.Linear(model.encoder.width, len(tokenizer) + 1).to(device)  # last class = blank
    width = model.decoder.get_input_embeddings().embedding_dim
    trait_heads = torch.nn.ModuleDict({name: torch.nn.Linear(width, len(c)) for name, c in TRAITS.items()}).to(device)
    params = [*model.parameters(), *ctc_head.parameters(), *trait_heads.parameters()]
    optimizer = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    step, history, parts_history = 0, [], []
    if state is not None:
        ctc_head.load_state_dict(state["ctc_head"])
        _load_trainer_heads(state, trait_heads, optimizer)
        step, history = int(state["step"]), [tuple(h) for h in state["history"]]
        parts_history = list(state.get("parts", []))
    weight = align_weight if align == "dtw" else 0.0
    stage = {
        "command": command_line(),
        "task_mix": mix,
        "ctc_weight": ctc_weight,
        "align": align,
        "align_weight": weight,
        "answer_weighting": answer_weighting,
        "trait_weight": trait_weight,
        "hyperparameters": {"steps": steps, "batch_size": batch_size, "lr": lr, "warmup": warmup, "seed": seed},
        "from_step": step,
    }
    if init is not None and state is None:
        stage["init_from"] = {"folder": str(init), "training": _init_summary(Path(init))}
    meta = {
        "stages": [*(_previous_stages(latest) if state is not None else []), stage],
        "preset": preset,
        "config": json.loads(model.config.model_dump_json()),
        "data_dir": str(data_dir),
        "data_sha256": data_hash(data_dir),
        "data": _data_build(data_dir),
        "n_clips": len(clips),
        "examples": {k: len(v) for k, v in kinds.items()},
        "parameters": sum(p.numel() for p in model.parameters()),
        "seabench_git_sha": git_sha(),
    }
    block = 64
    report = _Reporter(steps, step, quiet)
    stopped_early = False
    try:
        while step < steps:
            if max_minutes is not None and time.perf_counter() - started > max_minutes * 60:
                stopped_early = True
                break
            batch = plan_batches(kinds, cache, seed, block, batch_size, step, mix)
            inputs = collate(batch, np.random.default_rng([seed, step, 1]))
            inputs = {k: v.to(device) for k, v in inputs.items()}
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, steps, lr, warmup, _time_fraction(started, max_minutes))
            loss, parts = training_loss(model, ctc_head, inputs, ctc_weight, weight, answer_weighting, trait_heads,
                                        trait_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            step += 1
            history.append((step, float(loss.detach())))
            parts_history.append({"step": step, **parts})
            report.update(step, history[-1][1])
            if save_every and step % save_every == 0:
                stage.update(to_step=step, wall_time_s=round(time.perf_counter() - started, 1))
                save_checkpoint(latest, model, tokenizer, ctc_head, optimizer, step, history, meta, parts_history,
                                trait_heads)
    finally:
        report.close()
    stage.update(to_step=step, wall_time_s=round(time.perf_counter() - started, 1), stopped_early=stopped_early)
    last = [loss for _, loss in history[-50:]]
    meta.update(
        steps_done=step,
        final_loss=float(np.mean(last)) if last else None,
        loss_curve=_curve(history),
        loss_parts_curve={k: _curve([(p["step"], p[k]) for p in parts_history if k in p])
                          for k in ("ce", "ctc", "align", *TRAITS)},
        wall_time_s=round(sum(s.get("wall_time_s") or 0 for s in meta["stages"]), 1),
        weights_dtype=export_dtype,
    )
    save_checkpoint(latest, model, tokenizer, ctc_head, optimizer, step, history, meta, parts_history, trait_heads)
    final = export_checkpoint(latest, out_dir / FINAL, export_dtype)
    (final / TRAINING_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return final


def _init_summary(folder: Path) -> dict:
    """What the checkpoint a fine-tuning run starts from had been trained with."""
    path = folder / TRAINING_FILE
    if not path.exists():
        return {}
    old = json.loads(path.read_text(encoding="utf-8"))
    keys = ("stages", "data_sha256", "steps_done", "parameters", "final_loss")
    return {k: old[k] for k in keys if k in old}


def _data_build(data_dir: Path) -> dict:
    """How the train split was made (its build_info.json, without the long lists of pruned ids)."""
    path = data_dir / "build_info.json"
    if not path.exists():
        return {}
    info = json.loads(path.read_text(encoding="utf-8"))
    for prune in info.get("pruned", []):
        prune["dropped"] = len(prune.get("dropped", []))
    return info


def _previous_stages(latest: Path) -> list[dict]:
    """Stages recorded by the run being resumed (a run from before stages were recorded counts as one)."""
    path = latest / TRAINING_FILE
    if not path.exists():
        return []
    old = json.loads(path.read_text(encoding="utf-8"))
    if "stages" in old:
        return old["stages"]
    keys = ("command", "task_mix", "ctc_weight", "hyperparameters", "wall_time_s")
    return [{**{k: old.get(k) for k in keys}, "from_step": 0, "to_step": old.get("steps_done")}]


def _time_fraction(started: float, max_minutes: float | None) -> float:
    if max_minutes is None:
        return 0.0
    return (time.perf_counter() - started) / (max_minutes * 60)


def _curve(history: list[tuple[int, float]], points: int = 20) -> list[tuple[int, float]]:
    """Mean loss over `points` equal windows: a compact loss-curve summary for training.json."""
    if not history:
        return []
    size = max(1, len(history) // points)
    return [
        (history[min(i + size, len(history)) - 1][0], round(float(np.mean([l for _, l in history[i : i + size]])), 4))
        for i in range(0, len(history), size)
    ]


class _Reporter:
    """A rich progress bar with loss and steps/s on a terminal; plain periodic lines otherwise."""

    def __init__(self, total: int, start: int, quiet: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.quiet = quiet
        self.start_step, self.t0, self.ema = start, time.perf_counter(), None
        self.progress = None
        if not quiet and self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("training"), BarColumn(), MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}  {task.fields[rate]} steps/s"), TimeRemainingColumn(),
                console=self.console,
            )
            self.task = self.progress.add_task("train", total=total, completed=start, loss="-", rate="-")
            self.progress.start()

    def update(self, step: int, loss: float) -> None:
        self.ema = loss if self.ema is None else 0.95 * self.ema + 0.05 * loss
        rate = (step - self.start_step) / max(1e-9, time.perf_counter() - self.t0)
        if self.progress is not None:
            self.progress.update(self.task, completed=step, loss=f"{self.ema:.3f}", rate=f"{rate:.2f}")
        elif not self.quiet and (step % 25 == 0 or step == self.start_step + 1):
            print(f"step {step} loss {self.ema:.4f} ({loss:.4f}) {rate:.2f} steps/s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def main(argv: list[str] | None = None) -> None:
    """`python -m seabench.models.reference.train --data DIR --out DIR ...` (the CLI mirrors this)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--lr", type=float, default=1.5e-3)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--save-every", type=int, default=250)
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--mix", default="", help="task shares, e.g. asr=0.35,gender=0.3 (others keep defaults)")
    parser.add_argument("--ctc-weight", type=float, default=CTC_WEIGHT)
    parser.add_argument("--align", choices=ALIGN_METHODS, default="none", help="dtw: add the U-Align loss")
    parser.add_argument("--align-weight", type=float, default=ALIGN_WEIGHT)
    parser.add_argument("--export-dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    parser.add_argument("--init", type=Path, default=None, help="start from this checkpoint folder (fine-tune)")
    parser.add_argument("--answer-weighting", choices=ANSWER_WEIGHTINGS, default="token",
                        help="example: each answer weighs the same in the cross-entropy, however many tokens it has")
    parser.add_argument("--trait-weight", type=float, default=0.0,
                        help="weight of auxiliary gender, language and rate losses on the mean adapter output")
    args = parser.parse_args(argv)
    mix = {k: float(v) for k, v in (item.split("=") for item in args.mix.split(",") if item)}
    final = train_reference(
        args.data, args.out, steps=args.steps, batch_size=args.batch_size, lr=args.lr, resume=args.resume,
        seed=args.seed, preset=args.preset, device=args.device, save_every=args.save_every,
        max_minutes=args.max_minutes, warmup=args.warmup, threads=args.threads, task_mix=mix,
        ctc_weight=args.ctc_weight, align=args.align, align_weight=args.align_weight, export_dtype=args.export_dtype,
        init=args.init, answer_weighting=args.answer_weighting, trait_weight=args.trait_weight,
    )
    print(final)


if __name__ == "__main__":
    main()
