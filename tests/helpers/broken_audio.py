"""Ten kinds of broken audio, made by code, each with the error code seabench must record."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.helpers.core import write_tone


def make_broken_audio(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, expected error code)."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, str]] = {}

    cases["missing"] = (folder / "does_not_exist.wav", "audio_missing")
    (folder / "empty.wav").write_bytes(b"")
    cases["empty_file"] = (folder / "empty.wav", "audio_empty")
    sf.write(folder / "no_frames.wav", np.zeros((0,), dtype=np.float32), 16000)
    cases["no_frames"] = (folder / "no_frames.wav", "audio_empty")
    (folder / "garbage.wav").write_bytes(np.random.default_rng(0).bytes(4000))
    cases["garbage"] = (folder / "garbage.wav", "audio_unreadable")
    (folder / "text.mp3").write_text("this is not audio at all\n" * 50)
    cases["text_as_mp3"] = (folder / "text.mp3", "audio_unreadable")
    full = write_tone(folder / "full.flac", seconds=2.0, fmt="FLAC")
    data = full.read_bytes()
    (folder / "truncated.flac").write_bytes(data[: len(data) // 3])
    cases["truncated_flac"] = (folder / "truncated.flac", "audio_unreadable")
    (folder / "header_only.wav").write_bytes(write_tone(folder / "tmp.wav").read_bytes()[:30])
    os.remove(folder / "tmp.wav")
    cases["header_only"] = (folder / "header_only.wav", "audio_unreadable")
    nan = np.full(16000, np.nan, dtype=np.float32)
    sf.write(folder / "nan.wav", nan, 16000, subtype="FLOAT")
    cases["nan"] = (folder / "nan.wav", "audio_invalid_samples")
    inf = np.zeros(16000, dtype=np.float32)
    inf[100] = np.inf
    sf.write(folder / "inf.wav", inf, 16000, subtype="FLOAT")
    cases["inf"] = (folder / "inf.wav", "audio_invalid_samples")
    write_tone(folder / "long.wav", seconds=40.0, sr=8000)
    cases["too_long"] = (folder / "long.wav", "audio_too_long")
    (folder / "a_directory.wav").mkdir(exist_ok=True)
    cases["directory"] = (folder / "a_directory.wav", "audio_unreadable")
    return cases
