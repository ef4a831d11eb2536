"""seabench.audio_encode: when the original file is sent as is, and the 16 kHz WAV fallback."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from seabench import AudioRef
from seabench.audio import load_audio
from seabench.audio_encode import GEMINI_FORMATS, OPENAI_FORMATS, encode_audio, wav_bytes
from tests.helpers.core import write_tone


def _encode(path: Path, accepted: frozenset[str]):
    loaded = load_audio(str(path))
    return encode_audio(loaded.waveform, AudioRef(path=str(path), sha256=loaded.sha256), accepted)


def test_16k_pcm16_wav_is_sent_byte_for_byte(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "a.wav")
    enc = _encode(path, OPENAI_FORMATS)
    assert enc.reused and enc.data == path.read_bytes() and (enc.format, enc.mime_type) == ("wav", "audio/wav")


def test_flac_is_kept_where_accepted_and_converted_where_not(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "a.flac")
    gem = _encode(path, GEMINI_FORMATS)
    oai = _encode(path, OPENAI_FORMATS)
    assert gem.reused and gem.format == "flac" and gem.mime_type == "audio/flac"
    assert not oai.reused and oai.format == "wav"


def test_format_is_read_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "really_flac.wav", fmt="FLAC")
    assert _encode(path, OPENAI_FORMATS).format == "wav" and not _encode(path, OPENAI_FORMATS).reused
    assert _encode(path, GEMINI_FORMATS).format == "flac"


def test_bigger_or_unusual_wavs_are_resent_as_16k_mono_pcm16(tmp_path: Path) -> None:
    for name, kw in [("hi.wav", {"sr": 48000, "channels": 2}), ("float.wav", {"subtype": "FLOAT"})]:
        enc = _encode(write_tone(tmp_path / name, **kw), GEMINI_FORMATS)
        info = sf.info(io.BytesIO(enc.data))
        assert not enc.reused and (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")


def test_a_file_changed_since_decoding_is_not_reused(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "a.wav")
    loaded = load_audio(str(path))
    write_tone(path, freq=880)
    enc = encode_audio(loaded.waveform, AudioRef(path=str(path), sha256=loaded.sha256), OPENAI_FORMATS)
    assert not enc.reused


def test_wav_bytes_clips_and_round_trips() -> None:
    wave = np.array([0.0, 0.5, -0.5, 2.0, -2.0], dtype=np.float32)
    back, sr = sf.read(io.BytesIO(wav_bytes(wave)), dtype="float32")
    assert sr == 16000 and np.allclose(back, [0, 0.5, -0.5, 1, -1], atol=1e-3)
