"""Audio paths in a manifest resolve exactly as `Path.resolve()` does, with the directory part
resolved once per manifest (symlinked folders and files, `..`, missing files, symlink loops)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seabench.tasks.manifest import _audio_path

CASES = ["audio/real.wav", "real_link.wav", "linked_dir/real.wav", "./audio/real.wav", "nested/../audio/real.wav",
         "audio/missing.wav", "missing.wav", "audio//real.wav", "linked_dir/../audio/real.wav", "audio/",
         "loop/x.wav", "loop_a", "deep/er/real.wav"]


@pytest.fixture()
def manifest_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "audio").mkdir(parents=True)
    (root / "nested").mkdir()
    (root / "deep" / "er").mkdir(parents=True)
    (root / "audio" / "real.wav").write_bytes(b"RIFF")
    (root / "deep" / "er" / "real.wav").symlink_to(root / "audio" / "real.wav")
    (root / "real_link.wav").symlink_to("audio/real.wav")
    (root / "linked_dir").symlink_to(root / "audio", target_is_directory=True)
    (root / "loop_a").symlink_to("loop_b")
    (root / "loop_b").symlink_to("loop_a")
    (root / "loop").symlink_to("loop")
    return root


@pytest.mark.parametrize("audio", [*CASES, "ABSOLUTE"])
def test_audio_paths_resolve_as_path_resolve_does(manifest_dir: Path, audio: str) -> None:
    if audio == "ABSOLUTE":
        audio = str(manifest_dir / "linked_dir" / "real.wav")
        assert _audio_path(manifest_dir, audio, {}) == audio  # absolute paths are kept as written
        return
    try:
        expected: str | type[BaseException] = str((manifest_dir / audio).resolve())
    except (RuntimeError, OSError) as exc:
        expected = type(exc)
    shared: dict[str, str] = {}
    for _ in range(2):  # the second time from the resolved directories kept
        if isinstance(expected, str):
            assert _audio_path(manifest_dir, audio, shared) == expected
        else:
            with pytest.raises(expected):
                _audio_path(manifest_dir, audio, shared)
    assert os.path.exists(manifest_dir)
