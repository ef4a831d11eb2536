"""The shipped `mini` data: format, counts, hashes, answers that follow from the audio, and a train
split that never repeats test content."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seabench.tasks.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tasks" / "mini" / "data"
LANGS = ("en", "id", "ms", "vi", "th", "zh", "ta")
TEST_LANGS = (*LANGS, "en-SG")  # Singlish: tested, not trained, and not a language-ID label
FIELDS = {"id", "audio", "language", "instruction", "reference", "target_language", "choices", "label", "metadata"}


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_mini", ROOT / "scripts" / "build_mini.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_mini"] = module
    spec.loader.exec_module(module)
    return module


bm = _load_builder()


def rows(name: str) -> list[dict]:
    with open(DATA / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


MANIFESTS = sorted(p.stem for p in DATA.glob("*.jsonl"))


def test_expected_manifests_exist() -> None:
    expected = {f"{family}-{bm.slug(lang)}" for family in ("asr", "sqa", "open") for lang in TEST_LANGS}
    expected |= {f"s2tt-{bm.slug(lang)}-en" for lang in TEST_LANGS if lang != "en"}
    expected |= {f"s2tt-en-{lang}" for lang in LANGS if lang != "en"}  # every mini language both ways
    expected |= {"gender", "rate", "langid", "sounds"}
    assert expected <= set(MANIFESTS), sorted(expected - set(MANIFESTS))


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_format(name: str) -> None:
    items = rows(name)
    assert items, name
    assert len({r["id"] for r in items}) == len(items), "ids must be unique"
    for r in items:
        assert set(r) <= FIELDS, set(r) - FIELDS
        assert r["language"] in TEST_LANGS
        assert r["instruction"].strip()
        paths = r["audio"] if isinstance(r["audio"], list) else [r["audio"]]
        assert all(p.startswith("audio/") and p.endswith(".flac") and (DATA / p).is_file() for p in paths)
        assert isinstance(r["metadata"], dict)
        if "choices" in r:
            assert r["label"] in r["choices"] and len(set(r["choices"])) == len(r["choices"])
        else:
            assert isinstance(r["reference"], str) and r["reference"].strip()
        if name.startswith("s2tt-"):
            src, tgt = name.split("-")[1:]
            assert (bm.slug(r["language"]), bm.slug(r["target_language"])) == (src, tgt)
    data = read_manifest(DATA / f"{name}.jsonl")  # the reader users' own manifests go through
    assert not data.problems and len(data.samples) == len(items)


def test_counts_meet_the_issue_minimums() -> None:
    for lang in TEST_LANGS:
        tag = bm.slug(lang)
        assert len(rows(f"asr-{tag}")) >= 30
        sqa = rows(f"sqa-{tag}")
        assert len(sqa) >= 10 and {r["metadata"]["rubric"] for r in sqa} == {"spoken_qa"}
        subsets = Counter(r["metadata"]["subset"] for r in rows(f"open-{tag}"))
        assert all(subsets[s] >= 2 for s in ("factual", "math", "life")), subsets
        assert all(r["metadata"]["rubric"] == r["metadata"]["subset"] for r in rows(f"open-{tag}"))
        assert all(r["language"] == lang for r in rows(f"asr-{tag}") + sqa)
    for name in [m for m in MANIFESTS if m.startswith("s2tt-")]:
        assert len(rows(name)) >= 20, name
    sounds = rows("sounds")
    assert all(len(r["choices"]) == 4 for r in sounds)
    assert {r["metadata"]["category"] for r in sounds} >= {"counting", "pitch", "loudness", "source", "duration"}
    assert {r["metadata"]["difficulty"] for r in sounds} == {"easy", "medium", "hard"}
    # the right answer is not always in the same position
    assert len({r["choices"].index(r["label"]) for r in sounds}) == 4


@pytest.mark.parametrize("task,values", [("gender", ("male", "female")), ("rate", ("slow", "normal", "fast")),
                                         ("langid", LANGS)])
def test_paralinguistic_labels_are_balanced_per_language(task: str, values: tuple[str, ...]) -> None:
    items = rows(task)
    assert all(r["choices"] == list(values) for r in items)
    assert {r["language"] for r in items} == set(LANGS if task == "langid" else TEST_LANGS)
    for lang in LANGS if task == "langid" else TEST_LANGS:
        counts = Counter(r["label"] for r in items if r["language"] == lang)
        if task == "langid":
            assert set(counts) == {lang}
        else:
            assert set(counts) == set(values) and max(counts.values()) - min(counts.values()) <= 1, (lang, counts)
    if task != "langid":  # the label is what the voice was built with
        assert all(r["label"] == r["metadata"][task] for r in items)


def test_parallel_sentences_share_clips_and_references() -> None:
    english = {r["metadata"]["sentence"]: r["reference"] for r in rows("asr-en")}
    for r in rows("s2tt-th-en"):
        assert r["reference"] == english[r["metadata"]["sentence"]]
    thai_clips = {r["audio"] for r in rows("asr-th")}
    assert {r["audio"] for r in rows("s2tt-th-en")} <= thai_clips


def test_committed_files_match_sha256sums() -> None:
    assert bm.verify_committed(DATA) == []


def test_hash_comparison_reports_changed_missing_and_extra_files(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    sums = bm.read_sums(copy)
    victim = copy / "asr-th.jsonl"
    victim.write_text(victim.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (copy / "audio" / "sound-count-01.flac").unlink()
    (copy / "stray.jsonl").write_text("{}\n", encoding="utf-8")
    problems = bm.compare_to_sums(sums, copy)
    assert problems == ["missing: audio/sound-count-01.flac", "not in SHA256SUMS: stray.jsonl",
                        "hash differs: asr-th.jsonl"]


def test_build_info_records_tool_versions_and_budget() -> None:
    info = json.loads((DATA / "build_info.json").read_text(encoding="utf-8"))
    assert {"espeak-ng", "numpy", "soundfile", "libsndfile", "soxr", "pypinyin"} <= set(info["tools"])
    total = sum(p.stat().st_size for p in (DATA / "audio").glob("*.flac"))
    assert total <= 25 * 1024 * 1024, f"{total / 1e6:.1f} MB of audio is over the 25 MB budget"
    for path in (DATA / "audio").glob("*.flac"):
        meta = sf.info(path)
        assert (meta.samplerate, meta.channels, meta.subtype) == (16000, 1, "PCM_16"), path.name


def _segments(audio: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Runs of samples whose 5 ms envelope is above threshold."""
    env = np.convolve(np.abs(audio), np.ones(80) / 80, mode="same") > threshold
    edges = np.flatnonzero(np.diff(env.astype(int)))
    starts, ends = edges[::2] + 1, edges[1::2] + 1
    return list(zip(starts.tolist(), ends.tolist()))


def _load(r: dict) -> np.ndarray:
    audio, sr = sf.read(DATA / r["audio"], dtype="float64")
    assert sr == 16000
    return audio


def test_sound_answers_follow_from_the_audio() -> None:
    """Measure the clean items independently of the generator: count, loudness, pitch and length."""
    checked = 0
    for r in rows("sounds"):
        kind = r["metadata"]["subset"]
        spec_noisy = "noise" in r["id"] or r["id"] in {"sound-count-06", "sound-count-09", "sound-count-10"}
        if kind not in {"beeps", "loudness_pair", "pitch_pair", "duration_pair"} or spec_noisy:
            continue
        audio = _load(r)
        segs = _segments(audio, 0.02)
        if kind == "beeps":
            assert str(len(segs)) == r["label"], r["id"]
        else:
            assert len(segs) == 2, r["id"]
            (a0, a1), (b0, b1) = segs
            first, second = audio[a0:a1], audio[b0:b1]
            if kind == "loudness_pair":
                diff = 20 * np.log10(np.sqrt(np.mean(first**2)) / np.sqrt(np.mean(second**2)))
                measured = "The first tone" if diff > 1 else "The second tone" if diff < -1 else "Both are equally loud"
            elif kind == "duration_pair":
                diff = (a1 - a0) - (b1 - b0)
                measured = "The first tone" if diff > 160 else "The second tone" if diff < -160 else "Both last equally long"
            else:
                peak = lambda x: np.argmax(np.abs(np.fft.rfft(x * np.hanning(len(x))))) * 16000 / len(x)  # noqa: E731
                ratio = peak(second) / peak(first)
                measured = "Higher" if ratio > 1.02 else "Lower" if ratio < 0.98 else "The same"
            assert measured == r["label"], (r["id"], measured, r["label"])
        checked += 1
    assert checked >= 20


def test_zh_numbers_are_spelled_for_speech() -> None:
    assert [bm.zh_number(n) for n in (0, 7, 10, 12, 20, 35, 105, 850, 1005, 2019)] == [
        "零", "七", "十", "十二", "二十", "三十五", "一百零五", "八百五十", "一千零五", "二千零一十九"]
    assert bm.zh_speakable("2019年3月12日，850林吉特") == "二零一九年三月十二日，八百五十林吉特"
    assert bm.tts_text("zh", "我奶奶75岁了。") == "wo3 nai3 nai3 qi1 shi2 wu3 sui4 le5 ."


def test_train_split_is_disjoint_from_test_content() -> None:
    """No train sentence equals, contains or is contained in a test sentence, passage or question.

    Singlish is read by the English voice, so English train sentences are checked against it too."""
    for lang in LANGS:
        train = {bm.normalise_text(t) for t in bm.list_train_texts(lang)}
        assert len(train) >= 2000, (lang, len(train))  # the generator can make thousands per language
        heard_as = [lang, "en-SG"] if lang == "en" else [lang]
        tests = {bm.normalise_text(t) for test_lang in heard_as for t in bm.test_texts(test_lang)}
        assert len(tests) >= 50
        clashes = [(a, b) for a in train for b in tests if a in b or b in a]
        assert not clashes, (lang, clashes[:3])


def test_disjointness_check_would_catch_a_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    leaked = bm.load_content("corpus.yaml")[2]["en"]
    real = bm.list_train_texts
    monkeypatch.setattr(bm, "list_train_texts", lambda lang: real(lang) + ([f"Yesterday {leaked}"] if lang == "en" else []))
    train = {bm.normalise_text(t) for t in bm.list_train_texts("en")}
    tests = {bm.normalise_text(t) for t in bm.test_texts("en")}
    assert any(b in a for a in train for b in tests)


def test_generated_train_split(tmp_path: Path) -> None:
    counts = bm.build_train(tmp_path, size=14, seed=3)
    assert counts == {"clips": 14, "asr": 14, "s2tt": 14 - 2 + 2 * 6}
    asr = [json.loads(line) for line in (tmp_path / "train-asr.jsonl").read_text(encoding="utf-8").splitlines()]
    assert Counter(r["language"] for r in asr) == {lang: 2 for lang in LANGS}
    assert all({"gender", "rate", "wpm", "speaker"} <= set(r["metadata"]) for r in asr)
    assert all((tmp_path / r["audio"]).is_file() and r["reference"] in bm.list_train_texts(r["language"]) for r in asr)
    tests = {bm.normalise_text(t) for lang in TEST_LANGS for t in bm.test_texts(lang)}
    assert not {bm.normalise_text(r["reference"]) for r in asr} & tests
    s2tt = read_manifest(tmp_path / "train-s2tt.jsonl")
    assert not s2tt.problems and {s.target_language for s in s2tt.samples} == set(LANGS)


@pytest.mark.slow
def test_check_rebuilds_bit_for_bit() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_mini.py"), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_check_refuses_a_different_espeak_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    info_path = copy / "build_info.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["tools"]["espeak-ng"] = "0.0-other"
    info_path.write_text(json.dumps(info), encoding="utf-8")
    assert bm.check(copy) == 2
    assert "espeak-ng 0.0-other" in capsys.readouterr().err


def test_check_refuses_edited_files_before_rebuilding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    (copy / "audio" / "corpus-th-01.flac").write_bytes(b"not audio")
    assert bm.check(copy) == 1
    assert "hash differs: audio/corpus-th-01.flac" in capsys.readouterr().err
