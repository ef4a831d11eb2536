"""Audio loading: any wav/flac/ogg/mp3, any rate and channel count -> 16 kHz mono float32.

Bad files raise AudioError carrying an ErrorCode so the runner records the sample and goes on.
The duration limit is checked from the header before decoding, so an hour-long file costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass

import numpy as np

from seabench.types import ErrorCode

TARGET_SR = 16000


class AudioError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class LoadedAudio:
    waveform: np.ndarray  # float32 mono at the requested rate
    sample_rate: int
    source_rate: int
    duration_s: float
    sha256: str


def max_file_bytes() -> int:
    """Largest audio file read (`SEABENCH_MAX_AUDIO_MB`, default 1024 MB): a bigger one is an error, not a
    memory spike (an hour of 16 kHz 16-bit mono WAV is 115 MB)."""
    return int(float(os.environ.get("SEABENCH_MAX_AUDIO_MB", "1024")) * 1024 * 1024)


def check_file(path: str) -> int:
    """Size of `path` after checking, without opening it, that it is a regular file of a sane size: a FIFO
    would block forever, a device (or a symlink to /dev/zero) never ends, a multi-GB file exhausts memory."""
    try:
        info = os.stat(path)  # follows symlinks: what would be read
    except FileNotFoundError:
        raise AudioError(ErrorCode.AUDIO_MISSING, f"audio file not found: {path}") from None
    except OSError as exc:
        raise AudioError(ErrorCode.AUDIO_UNREADABLE, f"cannot read audio {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise AudioError(ErrorCode.AUDIO_UNREADABLE, f"audio path is a directory: {path}")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise AudioError(ErrorCode.AUDIO_UNREADABLE, f"audio path is {kind}, not a regular file: {path}")
    limit = max_file_bytes()
    if info.st_size > limit:
        raise AudioError(ErrorCode.AUDIO_TOO_LONG, f"audio file is {info.st_size / 2**20:.0f} MB, over the "
                         f"{limit / 2**20:.0f} MB limit (SEABENCH_MAX_AUDIO_MB): {path}")
    if info.st_size == 0:
        raise AudioError(ErrorCode.AUDIO_EMPTY, f"audio file is empty (0 bytes): {path}")
    return info.st_size


def _read_bytes(path: str) -> bytes:
    size = check_file(path)
    with open(path, "rb") as fh:
        data = fh.read(size + 1)  # a file that grew since stat is cut at the checked size, never read unbounded
    if len(data) > size:
        raise AudioError(ErrorCode.AUDIO_UNREADABLE, f"audio file changed while being read: {path}")
    if not data:
        raise AudioError(ErrorCode.AUDIO_EMPTY, f"audio file is empty (0 bytes): {path}")
    return data


def load_audio(path: str, sr: int = TARGET_SR, max_duration_s: float | None = None) -> LoadedAudio:
    import soundfile as sf

    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            source_rate = f.samplerate
            if f.frames == 0:
                raise AudioError(ErrorCode.AUDIO_EMPTY, f"audio has no samples: {path}")
            header_duration = f.frames / source_rate if source_rate else 0.0
            if max_duration_s is not None and header_duration > max_duration_s:
                raise AudioError(
                    ErrorCode.AUDIO_TOO_LONG,
                    f"audio is {header_duration:.1f} s, over the model's limit of {max_duration_s:g} s: {path}",
                )
            wav = f.read(dtype="float32", always_2d=True)
    except AudioError:
        raise
    except Exception as exc:  # libsndfile raises several types for corrupt/truncated/non-audio input
        reason = re.sub(r"<_io.BytesIO object at 0x[0-9a-f]+>:?\s*", "", str(exc)).strip()
        raise AudioError(ErrorCode.AUDIO_UNREADABLE, f"cannot decode audio {path}: {reason}") from exc
    if wav.shape[0] == 0:
        raise AudioError(ErrorCode.AUDIO_EMPTY, f"audio has no decodable samples: {path}")
    if not np.isfinite(wav).all():
        raise AudioError(ErrorCode.AUDIO_INVALID_SAMPLES, f"audio contains NaN or Inf samples: {path}")
    mono = wav.mean(axis=1) if wav.shape[1] > 1 else wav[:, 0]
    if source_rate != sr:
        import soxr

        mono = soxr.resample(mono, source_rate, sr)
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    return LoadedAudio(mono, sr, source_rate, len(mono) / sr, digest)
