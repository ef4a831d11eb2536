"""Log-mel features from 16 kHz float32 clips, built locally (never fetched from the hub).

Two padding regimes (see `EncoderConfig.pad_to`): "max" reproduces the Whisper/Qwen2-Audio processors
bit for bit (every clip zero-padded to the encoder window before the STFT); "batch" featurises each clip
on its own and pads the mel matrix with zeros only up to the batch's longest clip, which is what keeps the
tiny default model fast on CPU and makes a clip's features independent of its batch mates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .config import HOP_LENGTH, SAMPLE_RATE, ReferenceConfig

if TYPE_CHECKING:
    import torch
    from transformers import WhisperFeatureExtractor

MIN_SAMPLES = 4 * HOP_LENGTH  # an empty or tiny clip still yields a few frames


@dataclass(frozen=True)
class FeatureBatch:
    """Mel features (n_clips, n_mels, frames) float32 and the valid frame count of each clip."""

    features: torch.Tensor
    lengths: torch.Tensor

    @property
    def attention_mask(self) -> torch.Tensor:
        """(n_clips, frames) 0/1 mask, the `feature_attention_mask` of the Qwen2-Audio processor."""
        import torch

        frames = torch.arange(self.features.shape[-1], device=self.lengths.device)
        return (frames[None, :] < self.lengths[:, None]).long()


def build_feature_extractor(config: ReferenceConfig) -> WhisperFeatureExtractor:
    """A WhisperFeatureExtractor from defaults plus the model's mel count and window."""
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(
        feature_size=config.num_mel_bins,
        sampling_rate=SAMPLE_RATE,
        hop_length=HOP_LENGTH,
        chunk_length=max(1, math.ceil(config.window_seconds)),
        n_fft=400,
        padding_value=0.0,
    )


def max_samples(config: ReferenceConfig) -> int:
    """Longest clip the model reads; longer clips are truncated (as the Whisper processors do)."""
    seconds = min(config.max_audio_seconds, config.window_seconds)
    return int(seconds * SAMPLE_RATE)


def extract_features(
    config: ReferenceConfig, extractor: WhisperFeatureExtractor, clips: list[np.ndarray]
) -> FeatureBatch:
    """Featurise clips for one encoder call, padded as the encoder config asks."""
    import torch

    limit = max_samples(config)
    clips = [_prepare(clip, limit) for clip in clips]
    if config.encoder.pad_to == "max":
        out = extractor(
            clips,
            sampling_rate=SAMPLE_RATE,
            padding="max_length",
            max_length=config.max_mel_frames * HOP_LENGTH,
            truncation=True,
            return_attention_mask=True,
            return_tensors="pt",
        )
        return FeatureBatch(out["input_features"].float(), out["attention_mask"].sum(-1).long())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a short clip's STFT: extra threads only contend (measured 3-80x slower on 2 busy cores)
    try:
        mels = [
            extractor(clip, sampling_rate=SAMPLE_RATE, padding="longest", return_tensors="pt")["input_features"][0]
            for clip in clips
        ]
    finally:
        torch.set_num_threads(threads)
    lengths = torch.tensor([m.shape[-1] for m in mels], dtype=torch.long)
    multiple = config.encoder.pad_multiple
    width = min(config.max_mel_frames, -(-int(lengths.max()) // multiple) * multiple)
    features = torch.zeros(len(mels), config.num_mel_bins, width)
    for i, mel in enumerate(mels):
        features[i, :, : mel.shape[-1]] = mel
    return FeatureBatch(features, lengths)


def _prepare(clip: np.ndarray, limit: int) -> np.ndarray:
    clip = np.asarray(clip, dtype=np.float32).reshape(-1)[:limit]
    if clip.shape[0] < MIN_SAMPLES:
        clip = np.pad(clip, (0, MIN_SAMPLES - clip.shape[0]))
    return clip
