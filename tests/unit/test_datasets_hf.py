"""Hugging Face formats: MNSC/AudioBench sets as parquet or save_to_disk (flat and nested columns),
FLEURS' parquet export and SeaBench-Audio's parquet. Audio is embedded as bytes, as on the Hub;
datasets' own Audio encoding needs torchcodec, so fixtures build the Arrow table directly."""

from __future__ import annotations

import io
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from seabench import UserError
from seabench.audio import load_audio
from seabench.tasks.datasets._blobs import blob_dir
from seabench.tasks.datasets.audiobench import load_audiobench
from seabench.tasks.datasets.seabench_audio import load_seabench_audio
from tests.unit.test_datasets_formats import TH, assert_audio_decodes, data_dir, task  # noqa: F401 - fixture

SINGLISH = ["can you pass me the chilli sauce lah", "the MRT very crowded today", "ok lor see you tomorrow"]


def audio_bytes(fmt: str = "WAV", sr: int = 16000, freq: float = 440.0) -> bytes:
    t = np.arange(sr // 5) / sr
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr, format=fmt)
    return buf.getvalue()


def hf_dataset(columns: dict[str, list], features: dict) -> datasets.Dataset:
    feats = datasets.Features(features)
    table = pa.table(columns).cast(feats.arrow_schema)
    return datasets.Dataset(table, info=datasets.DatasetInfo(features=feats))


def mnsc_columns(n: int = 3) -> tuple[dict[str, list], dict]:
    """AudioBench v2 / MNSC: context (Audio), instruction, answer, other_attributes."""
    columns = {
        "context": [{"bytes": audio_bytes("FLAC" if i == 1 else "WAV", freq=300 + 50 * i), "path": f"{i}.wav"}
                    for i in range(n)],
        "instruction": ["Please transcribe this speech."] * n,
        "answer": SINGLISH[:n],
        "other_attributes": [{"speaker_id": f"spk{i}", "duration": 0.2} for i in range(n)],
    }
    features = {"context": datasets.Audio(sampling_rate=16000), "instruction": datasets.Value("string"),
                "answer": datasets.Value("string"),
                "other_attributes": {"speaker_id": datasets.Value("string"), "duration": datasets.Value("float64")}}
    return columns, features


def test_mnsc_hub_parquet_shards(data_dir: Path, tmp_path: Path) -> None:
    folder = data_dir / "mnsc" / "ASR-PART1-Test"
    folder.mkdir(parents=True)
    columns, features = mnsc_columns()
    ds = hf_dataset(columns, features)
    ds.select([0, 1]).to_parquet(str(folder / "train-00000-of-00002.parquet"))
    ds.select([2]).to_parquet(str(folder / "train-00001-of-00002.parquet"))
    t = task("asr/mnsc-part1")
    assert t.data_status().ready and t.languages == ("en-SG",) and t.primary_metric == "wer"
    samples = list(t.samples())
    assert [s.id for s in samples] == ["00000", "00001", "00002"]
    assert [s.reference for s in samples] == SINGLISH
    assert all(s.instruction == "" for s in samples)  # ASR uses SeaBench's prompt, not AudioBench's random one
    assert samples[1].metadata == {"speaker_id": "spk1", "duration": 0.2}
    assert all(Path(s.audio[0].path).is_relative_to(blob_dir()) for s in samples)
    assert samples[1].audio[0].path.endswith(".flac") and samples[0].audio[0].path.endswith(".wav")
    assert_audio_decodes(samples)
    again = list(t.samples())  # content-addressed: same files, same refs
    assert [s.audio for s in again] == [s.audio for s in samples]
    assert samples[0].audio[0].sha256 == load_audio(samples[0].audio[0].path).sha256


def test_audiobench_v1_nested_columns_saved_to_disk(data_dir: Path) -> None:
    n = 2
    columns = {
        "context": [{"text": None, "audio": {"bytes": audio_bytes(), "path": f"{i}.wav"}} for i in range(n)],
        "instruction": [{"text": "What is the speaker's gender?", "audio": None}] * n,
        "answer": [{"text": "Female", "audio": None}, {"text": "Male", "audio": None}],
        "other_attributes": [{"Gender": "Female"}, {"Gender": "Male"}],
    }
    text_or_audio = {"text": datasets.Value("string"), "audio": datasets.Audio(sampling_rate=16000)}
    features = {"context": text_or_audio, "instruction": text_or_audio, "answer": text_or_audio,
                "other_attributes": {"Gender": datasets.Value("string")}}
    saved = data_dir / "mnsc" / "ASR-PART2-Test"
    hf_dataset(columns, features).save_to_disk(str(saved))
    samples = list(load_audiobench(saved, "en-SG"))
    assert [(s.instruction, s.reference, s.metadata["Gender"]) for s in samples] == [
        ("What is the speaker's gender?", "Female", "Female"), ("What is the speaker's gender?", "Male", "Male")]
    assert_audio_decodes(samples)
    assert task("asr/mnsc-part2").data_status().ready


def test_dataset_dict_uses_test_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    columns, features = mnsc_columns(3)
    ds = hf_dataset(columns, features)
    datasets.DatasetDict({"train": ds.select([0]), "test": ds.select([1, 2])}).save_to_disk(str(tmp_path / "dd"))
    assert [s.reference for s in load_audiobench(tmp_path / "dd", "en-SG")] == SINGLISH[1:]
    datasets.DatasetDict({"train": ds, "dev": ds}).save_to_disk(str(tmp_path / "nosplit"))
    with pytest.raises(UserError, match="no 'test' split"):
        list(load_audiobench(tmp_path / "nosplit", "en-SG"))


def test_decoded_array_audio_is_stored_as_wav(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    wave = (0.1 * np.sin(np.arange(8000) / 5)).astype(np.float32)
    table = pa.table({"context": [{"array": wave.tolist(), "sampling_rate": 8000, "path": None}],
                      "instruction": ["Transcribe"], "answer": ["hello"]})
    pq.write_table(table, tmp_path / "arr.parquet")
    (sample,) = load_audiobench(tmp_path / "arr.parquet", "en")
    loaded = load_audio(sample.audio[0].path, sr=8000)
    assert sample.audio[0].sample_rate == 8000 and np.allclose(loaded.waveform, wave, atol=1e-6)


def test_audio_stored_as_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "set" / "audio").mkdir(parents=True)
    (tmp_path / "set" / "audio" / "a.wav").write_bytes(audio_bytes())
    table = pa.table({"context": [{"bytes": None, "path": "audio/a.wav"}], "answer": ["ok lah"]})
    pq.write_table(table, tmp_path / "set" / "test.parquet")
    (sample,) = load_audiobench(tmp_path / "set" / "test.parquet", "en-SG")
    assert sample.audio[0].path == str(tmp_path / "set" / "audio" / "a.wav") and not blob_dir().exists()


def test_fleurs_parquet_export(data_dir: Path) -> None:
    folder = data_dir / "fleurs" / "th_th" / "test"
    folder.mkdir(parents=True)
    columns = {"id": [1500, 1500, 1501], "num_samples": [3200] * 3,
               "path": [f"/root/.cache/extracted/test/{n}.wav" for n in ("111", "222", "333")],
               "audio": [{"bytes": audio_bytes(), "path": f"{n}.wav"} for n in ("111", "222", "333")],
               "transcription": [t.lower() for t in TH], "raw_transcription": TH, "gender": [0, 1, 0],
               "lang_id": [0] * 3, "language": ["Thai"] * 3, "lang_group_id": [0] * 3}
    features = {"id": datasets.Value("int32"), "num_samples": datasets.Value("int32"), "path": datasets.Value("string"),
                "audio": datasets.Audio(sampling_rate=16000), "transcription": datasets.Value("string"),
                "raw_transcription": datasets.Value("string"),
                "gender": datasets.ClassLabel(names=["male", "female", "other"]),
                "lang_id": datasets.ClassLabel(names=["th_th"]), "language": datasets.Value("string"),
                "lang_group_id": datasets.ClassLabel(names=["south_east_asian_sea"])}
    hf_dataset(columns, features).to_parquet(str(folder / "0000.parquet"))
    t = task("asr/fleurs-th")
    assert t.data_status().ready
    samples = list(t.samples())
    assert [s.id for s in samples] == ["111", "222", "333"] and [s.reference for s in samples] == TH
    assert [s.metadata["gender"] for s in samples] == ["male", "female", "male"]
    assert_audio_decodes(samples)


def seabench_audio_parquet(path: Path, rows: list[tuple]) -> Path:
    columns = {"idx": [r[0] for r in rows], "language": [r[1] for r in rows], "task": [r[2] for r in rows],
               "query": [r[3] for r in rows], "reference": [r[4] for r in rows],
               "audio": [{"bytes": audio_bytes(), "path": f"{r[2]}_{r[0]}.wav"} if r[5] else None for r in rows]}
    features = {"idx": datasets.Value("int64"), "language": datasets.Value("string"), "task": datasets.Value("string"),
                "query": datasets.Value("string"), "reference": datasets.Value("string"),
                "audio": datasets.Audio(sampling_rate=16000)}
    hf_dataset(columns, features).to_parquet(str(path))
    return path


def test_seabench_audio_parquet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    path = seabench_audio_parquet(tmp_path / "test.parquet", [
        (0, "th", "ASR", "", TH[0], True),
        (3, "vi", "SQA_open", "Người nói đang ở đâu?", "Ở chợ", True),
        (7, "id", "life_advice", "Bagaimana cara tidur nyenyak?", "Tidur teratur.", False),
    ])
    samples = load_seabench_audio(tmp_path)  # the folder holding test.parquet works too
    assert [s.id for s in samples] == ["th-ASR-0", "vi-SQA_open-3", "id-life_advice-7"]
    assert [s.metadata["rubric"] for s in samples] == ["ASR", "SQA", "life"]
    assert [s.metadata["subset"] for s in samples] == ["ASR", "SQA_open", "life_advice"]
    assert samples[1].instruction == "Người nói đang ở đâu?" and samples[1].language == "vi"
    assert samples[2].audio == [] and samples[2].reference == "Tidur teratur."
    assert_audio_decodes(samples)
    assert [s.id for s in load_seabench_audio(path)] == [s.id for s in samples]


def test_seabench_audio_rejects_duplicates_and_foreign_parquet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    rows = [(1, "th", "ASR", "", "a", True), (1, "th", "ASR", "", "b", True)]
    dup = seabench_audio_parquet(tmp_path / "dup.parquet", rows)
    with pytest.raises(UserError, match="duplicate id 'th-ASR-1'"):
        load_seabench_audio(dup)
    columns, features = mnsc_columns(1)
    hf_dataset(columns, features).to_parquet(str(tmp_path / "other.parquet"))
    with pytest.raises(UserError, match="has no idx, language, task, query, reference"):
        load_seabench_audio(tmp_path / "other.parquet")
