"""Encoder inputs from 16 kHz float32 clips, built locally (never fetched from the hub): log-mel
features for Whisper/Qwen2-Audio encoders, the (normalised) waveform for wav2vec2 encoders.

Two padding regimes (see `EncoderConfig.pad_to`): "max" reproduces the Whisper/Qwen2-Audio processors
bit for bit (every clip zero-padded to the encoder window before the STFT); "batch" featurises each clip
on its own and pads with zeros only up to the batch's longest clip, which is what keeps the tiny default
model fast on CPU and makes a clip's features independent of its batch mates.

A clip longer than the encoder window but within `max_audio_seconds` is cut into consecutive windows
(`split_windows`), each encoded on its own, as MERaLiON-2's processor does for up to 300 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .config import HOP_LENGTH, SAMPLE_RATE, ReferenceConfig

if TYPE_CHECKING:
    import torch
    from transformers import Wav2Vec2FeatureExtractor, WhisperFeatureExtractor

MIN_SAMPLES = 4 * HOP_LENGTH  # an empty or tiny clip still yields a few frames


@dataclass(frozen=True)
class FeatureBatch:
    """Features (n_clips, channels, frames) float32 and the valid frame count of each clip (for a
    wav2vec2 encoder: one channel, the waveform, and its valid sample count)."""

    features: torch.Tensor
    lengths: torch.Tensor

    @property
    def attention_mask(self) -> torch.Tensor:
        """(n_clips, frames) 0/1 mask, the `feature_attention_mask` of the Qwen2-Audio processor."""
        import torch

        frames = torch.arange(self.features.shape[-1], device=self.lengths.device)
        return (frames[None, :] < self.lengths[:, None]).long()


def build_feature_extractor(config: ReferenceConfig) -> WhisperFeatureExtractor | Wav2Vec2FeatureExtractor:
    """The model's feature extractor from defaults plus its mel count and window (or wav2vec2's)."""
    from transformers import Wav2Vec2FeatureExtractor, WhisperFeatureExtractor

    if config.encoder.kind == "wav2vec2":
        return Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SAMPLE_RATE, padding_value=0.0,
                                        do_normalize=config.encoder.normalize_waveform, return_attention_mask=True)
    return WhisperFeatureExtractor(
        feature_size=config.num_mel_bins,
        sampling_rate=SAMPLE_RATE,
        hop_length=HOP_LENGTH,
        chunk_length=max(1, math.ceil(config.window_seconds)),
        n_fft=400,
        padding_value=0.0,
    )


def max_samples(config: ReferenceConfig) -> int:
    """Longest stretch one encoder pass reads: the window, or max_audio_seconds if that is shorter."""
    seconds = min(config.max_audio_seconds, config.window_seconds)
    return int(seconds * SAMPLE_RATE)


def split_windows(config: ReferenceConfig, clips: list[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
    """Clips cut to max_audio_seconds and then into encoder windows: (windows, the clip of each window)."""
    limit = int(config.max_audio_seconds * SAMPLE_RATE)
    size = max_samples(config)
    windows: list[np.ndarray] = []
    owners: list[int] = []
    for index, clip in enumerate(clips):
        clip = np.asarray(clip, dtype=np.float32).reshape(-1)[:limit]
        pieces = [clip[start : start + size] for start in range(0, len(clip), size)] or [clip]
        windows.extend(pieces)
        owners.extend([index] * len(pieces))
    return windows, owners


def extract_features(
    config: ReferenceConfig, extractor: WhisperFeatureExtractor | Wav2Vec2FeatureExtractor, clips: list[np.ndarray]
) -> FeatureBatch:
    """Featurise clips (each at most one window long) for one encoder call, padded as the encoder config asks."""
    import torch

    limit = max_samples(config)
    clips = [_prepare(clip, limit) for clip in clips]
    if config.encoder.kind == "wav2vec2":
        return _waveforms(config, clips)
    if config.encoder.pad_to == "max":
        out = extractor(
            clips,
            sampling_rate=SAMPLE_RATE,
            padding="max_length",
            max_length=config.max_mel_frames * HOP_LENGTH,
            truncation=True,
            return_attention_mask=True,
            return_tensors="pt",
            do_normalize=config.encoder.normalize_waveform,
        )
        return FeatureBatch(out["input_features"].float(), out["attention_mask"].sum(-1).long())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a short clip's STFT: extra threads only contend (measured 3-80x slower on 2 busy cores)
    try:
        mels = [
            extractor(clip, sampling_rate=SAMPLE_RATE, padding="longest", return_tensors="pt",
                      do_normalize=config.encoder.normalize_waveform)["input_features"][0]
            for clip in clips
        ]
    finally:
        torch.set_num_threads(threads)
    return _padded(config, mels, config.max_mel_frames)


def _waveforms(config: ReferenceConfig, clips: list[np.ndarray]) -> FeatureBatch:
    """wav2vec2 input: each clip normalised on its own (as Wav2Vec2FeatureExtractor does), zero-padded."""
    import torch

    waves = []
    for clip in clips:
        if config.encoder.normalize_waveform:
            clip = (clip - clip.mean()) / np.sqrt(clip.var() + 1e-7)
        waves.append(torch.from_numpy(np.ascontiguousarray(clip, dtype=np.float32))[None, :])
    return _padded(config, waves, max_samples(config))


def _padded(config: ReferenceConfig, items: list[torch.Tensor], cap: int) -> FeatureBatch:
    """(channels, length) items zero-padded to the longest, rounded up to `pad_multiple`, at most `cap`."""
    import torch

    lengths = torch.tensor([m.shape[-1] for m in items], dtype=torch.long)
    multiple = config.encoder.pad_multiple
    width = min(cap, -(-int(lengths.max()) // multiple) * multiple)
    features = torch.zeros(len(items), config.num_mel_bins, width)
    for i, item in enumerate(items):
        features[i, :, : item.shape[-1]] = item
    return FeatureBatch(features, lengths)


def _prepare(clip: np.ndarray, limit: int) -> np.ndarray:
    clip = np.asarray(clip, dtype=np.float32).reshape(-1)[:limit]
    if clip.shape[0] < MIN_SAMPLES:
        clip = np.pad(clip, (0, MIN_SAMPLES - clip.shape[0]))
    return clip
