"""Audio as bytes for API requests: the original file when the API takes it as is, else a WAV.

Decision: send the original file's bytes when (1) its container, read from the bytes (not the file
name), is one the API accepts (WAV only as 16-bit PCM, since that is the WAV every server decodes),
(2) it hashes to the AudioRef's sha256, i.e. it is the file the runner decoded and hashed for the
cache key, and (3) it is not bigger than the re-encoded WAV would be. Compressed files (FLAC, MP3,
OGG) and 16 kHz mono PCM WAVs therefore travel untouched; a 48 kHz stereo WAV is sent as the
runner's 16 kHz mono decode (6x smaller, what the model would hear anyway). Otherwise the decoded
float32 16 kHz waveform is written as 16-bit PCM mono WAV.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass

import numpy as np

from seabench.types import AudioRef, ModelInput

SAMPLE_RATE = 16000
WAV_HEADER_BYTES = 44

# soundfile's format name -> (format name the APIs use, MIME type)
_FORMATS = {
    "WAV": ("wav", "audio/wav"),
    "WAVEX": ("wav", "audio/wav"),
    "MP3": ("mp3", "audio/mp3"),
    "FLAC": ("flac", "audio/flac"),
    "OGG": ("ogg", "audio/ogg"),
    "AIFF": ("aiff", "audio/aiff"),
}

OPENAI_FORMATS = frozenset({"wav", "mp3"})  # chat completions `input_audio.format`
GEMINI_FORMATS = frozenset({"wav", "mp3", "flac", "ogg", "aiff"})  # audio MIME types Gemini lists


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    format: str  # wav, mp3, flac, ogg, aiff
    mime_type: str
    sha256: str
    reused: bool  # True: the original file's bytes

    def b64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    @property
    def b64_size(self) -> int:
        return 4 * ((len(self.data) + 2) // 3)


def wav_bytes(wave: np.ndarray, sr: int = SAMPLE_RATE) -> bytes:
    """float32 mono -> 16-bit PCM WAV (values outside [-1, 1] are clipped)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(wave, dtype=np.float32), -1.0, 1.0), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _original(ref: AudioRef, accepted: frozenset[str], max_bytes: int) -> EncodedAudio | None:
    import soundfile as sf

    try:
        with open(ref.path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError:
        return None
    if len(data) > max_bytes:
        return None
    digest = hashlib.sha256(data).hexdigest()
    if ref.sha256 is not None and digest != ref.sha256:
        return None  # the file changed since the runner decoded it
    try:
        info = sf.info(io.BytesIO(data))
    except Exception:
        return None
    fmt = _FORMATS.get(info.format)
    if fmt is None or fmt[0] not in accepted:
        return None
    if fmt[0] == "wav" and info.subtype != "PCM_16":
        return None
    return EncodedAudio(data, fmt[0], fmt[1], digest, reused=True)


def encode_audio(wave: np.ndarray, ref: AudioRef | None, accepted: frozenset[str]) -> EncodedAudio:
    """One clip as the bytes to send; see the module docstring for when the original is reused."""
    wav_size = WAV_HEADER_BYTES + 2 * len(wave)
    if ref is not None:
        original = _original(ref, accepted, wav_size)
        if original is not None:
            return original
    data = wav_bytes(wave)
    return EncodedAudio(data, "wav", "audio/wav", hashlib.sha256(data).hexdigest(), reused=False)


def encode_inputs(inp: ModelInput, accepted: frozenset[str]) -> list[EncodedAudio]:
    """Every clip of a ModelInput, in order (refs are matched to waveforms by position)."""
    refs: list[AudioRef | None] = list(inp.audio_refs) if len(inp.audio_refs) == len(inp.audio) else []
    if not refs:
        refs = [None] * len(inp.audio)
    return [encode_audio(w, r, accepted) for w, r in zip(inp.audio, refs)]
