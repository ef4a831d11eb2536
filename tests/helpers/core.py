"""Fixtures made by code for core tests: audio files, a manifest, a tiny task with an exact-match scorer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from seabench import MetricValue, Registry, Sample, Score, Task
from seabench.metrics.bootstrap import bootstrap_ci


def write_tone(path: Path, seconds: float = 0.5, sr: int = 16000, freq: float = 440.0, channels: int = 1,
               fmt: str | None = None, subtype: str | None = None) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    wav = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if channels > 1:
        wav = np.stack([wav] * channels, axis=1)
    sf.write(path, wav, sr, format=fmt, subtype=subtype)
    return path


@dataclass
class ExactScorer:
    name: str = "exact"

    def score(self, sample: Sample, output: str) -> Score:
        ok = output.strip() == (sample.reference or "")
        return Score(value=float(ok), answer=output, flags=[] if output.strip() else ["empty"])


@dataclass
class MeanOf:
    name: str = "accuracy"
    scorer: str = "exact"
    direction: str = "higher"

    def compute(self, scores: list[Score], seed: int = 0) -> MetricValue:
        vals = np.array([[s.value] for s in scores if s.value is not None], dtype=float)
        if len(vals) == 0:
            return MetricValue(name=self.name, value=None, n=0, direction="higher")
        lo, hi = bootstrap_ci(vals, lambda m: m[:, 0] / len(vals), seed=seed) or (None, None)
        return MetricValue(name=self.name, value=float(vals.mean()), ci_low=lo, ci_high=hi, n=len(vals),
                           direction="higher")


def make_samples(audio_dir: Path, n: int, language: str = "en") -> list[Sample]:
    audio_dir.mkdir(parents=True, exist_ok=True)
    tone = write_tone(audio_dir / "tone.wav")
    from seabench import AudioRef

    return [Sample(id=f"s{i:04d}", audio=[AudioRef(path=str(tone))], instruction=f"say {i}", reference=f"say {i}",
                   language=language, metadata={"subset": "odd" if i % 2 else "even"}) for i in range(n)]


def make_task(samples: list[Sample], name: str = "test/echo") -> Task:
    return Task(name=name, family="test", version="1", languages=("en",), load=lambda: samples,
                scorers=(ExactScorer(),), metrics=(MeanOf(),), primary_metric="accuracy", size=len(samples))


def registry_with(*tasks: Task) -> Registry:
    from seabench.registry import _builtin

    reg = _builtin()
    reg.task_providers = []
    for t in tasks:
        reg.add_task(t)
    return reg


def write_manifest(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
