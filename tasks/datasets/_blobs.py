"""Audio embedded in Hugging Face datasets, turned into files an AudioRef can point at.

Parquet and `save_to_disk` datasets carry audio as `{"bytes", "path"}` structs (sometimes a
decoded `{"array", "sampling_rate"}`). SeaBench's AudioRef is a path because run logs store
references, never waveforms, and the runner decodes every clip the same way (soundfile + soxr).
So the bytes are written once to `<seabench cache>/audio-blobs/<sha256>.<ext>`: the name is the
content hash, so a second load finds the file, identical clips share one file, and the AudioRef
(and therefore the response-cache key) is the same on every machine and every run. The cache,
not the dataset folder, holds them because dataset folders are often read-only shared mounts.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

from seabench import AudioRef
from seabench.cache import cache_dir

_MAGIC = ((b"RIFF", ".wav"), (b"fLaC", ".flac"), (b"OggS", ".ogg"), (b"ID3", ".mp3"), (b"\xff\xfb", ".mp3"),
          (b"\xff\xf3", ".mp3"), (b"\xff\xf2", ".mp3"))


def blob_dir() -> Path:
    return cache_dir() / "audio-blobs"


def _suffix(data: bytes, name: str | None) -> str:
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    ext = Path(name or "").suffix.lower()
    return ext if ext in {".wav", ".flac", ".ogg", ".mp3", ".opus"} else ".bin"


def store_bytes(data: bytes, name: str | None = None) -> AudioRef:
    digest = hashlib.sha256(data).hexdigest()
    path = blob_dir() / digest[:2] / f"{digest}{_suffix(data, name)}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    return AudioRef(path=str(path), sha256=digest)


def store_array(array: Any, sample_rate: int) -> AudioRef:
    """A decoded waveform, saved losslessly as 32-bit float WAV."""
    import numpy as np
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.asarray(array, dtype=np.float32), int(sample_rate), format="WAV", subtype="FLOAT")
    ref = store_bytes(buf.getvalue())
    return ref.model_copy(update={"sample_rate": int(sample_rate)})


def audio_ref(value: Any, base: Path) -> AudioRef | None:
    """AudioRef for an HF audio value: embedded bytes, a decoded array, or a path relative to `base`."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"path": value}
    if value.get("bytes"):
        return store_bytes(value["bytes"], value.get("path"))
    if value.get("array") is not None and value.get("sampling_rate"):
        return store_array(value["array"], value["sampling_rate"])
    if value.get("path"):
        path = Path(value["path"])
        return AudioRef(path=str(path if path.is_absolute() else base / path))
    return None
