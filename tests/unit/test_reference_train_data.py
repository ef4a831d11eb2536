"""The reference model's train split (scripts/build_train.py): composed from word lists, seeded, and
disjoint from everything said or asked in the shipped mini data, whatever manifests exist."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tasks" / "mini" / "data"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bt = _load("build_train")
bm = bt.bm


def _leaks(text: str, tests: set[str]) -> bool:
    """The disjointness rule, restated independently of LeakCheck."""
    norm = bm.normalise_text(text)
    return any(norm == t or (len(t) >= 3 and t in norm) or (len(norm) >= 3 and norm in t) for t in tests)


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def tests_now() -> set[str]:
    return bt.mini_test_texts()


def test_every_shipped_manifest_feeds_the_leak_check(tests_now: set[str]) -> None:
    for path in sorted(DATA.glob("*.jsonl")):
        for row in _rows(path):
            for text in [row.get("reference"), (row.get("metadata") or {}).get("transcript")]:
                if isinstance(text, str):
                    assert bm.normalise_text(text) in tests_now, (path.name, text)


def test_content_added_later_is_covered(tmp_path: Path) -> None:
    """A manifest that appears in the mini data (e.g. a new language) is read when the split is built."""
    shutil.copy(DATA / "asr-en.jsonl", tmp_path / "asr-en.jsonl")
    new = {"id": "x-1", "audio": "audio/x.flac", "language": "ms", "instruction": "Dengar dan jawab.",
           "reference": "Kucing itu tidur di atas bumbung rumah.",
           "metadata": {"transcript": "Hujan turun sejak pagi tadi. Jalan raya banjir."}}
    (tmp_path / "s2tt-en-ms.jsonl").write_text(json.dumps(new) + "\n", encoding="utf-8")
    check = bt.LeakCheck(bt.mini_test_texts(tmp_path))
    assert check.leaks("Kucing itu tidur di atas bumbung rumah")
    assert check.leaks("Jalan raya banjir.")  # one sentence of a passage
    assert check.leaks("Lihat, hujan turun sejak pagi tadi. Jalan raya banjir. Betul.")  # containing the passage
    assert not check.leaks("Kucing itu makan ikan di dapur.")


def test_leak_check_rejects_test_sentences_and_their_parts(tests_now: set[str]) -> None:
    check = bt.LeakCheck(tests_now)
    for row in _rows(DATA / "asr-th.jsonl") + _rows(DATA / "asr-vi.jsonl") + _rows(DATA / "asr-zh.jsonl"):
        sentence = row["reference"]
        assert check.leaks(sentence) and check.leaks(f"ok {sentence} ok")
        norm = bm.normalise_text(sentence)
        if len(norm) >= 2 * bt.LeakCheck.MIN_CONTAINED:
            assert check.leaks(norm[: len(norm) // 2 + bt.LeakCheck.MIN_CONTAINED // 2])  # a fragment
    assert not check.leaks("Zebra violin quantum harbour.")


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train")
    bt.build(out, clips=28, sounds=12, seed=3, workers=1)
    return out


def test_small_split_is_disjoint_and_complete(split: Path, tests_now: set[str]) -> None:
    asr, s2tt, sounds = (_rows(split / f"{name}.jsonl") for name in ("train-asr", "train-s2tt", "train-sounds"))
    assert len(asr) == 28 and len(sounds) == 12
    assert {r["language"] for r in asr} == set(bt.LANGS)
    spoken = [r["reference"] for r in asr]
    spoken += [s["speech_text"] for s in (json.loads(j.sound) for j in bt.plan(28, 12, 3, bt.LeakCheck(set()))[0]
                                          if j.sound) if "speech_text" in s]
    assert spoken and not [t for t in spoken + [r["reference"] for r in s2tt] if _leaks(t, tests_now)]
    for row in asr:
        assert row["metadata"]["gender"] in ("male", "female") and row["metadata"]["rate"] in ("slow", "normal", "fast")
        assert (split / row["audio"]).stat().st_size > 1000
    template_clips = {r["audio"] for r in asr if r["metadata"]["subset"] == "template"}
    assert {r["audio"] for r in s2tt} == template_clips  # translation pairs exist only where a source does
    for row in sounds:
        assert row["label"] in row["choices"] and (split / row["audio"]).exists()
    info = json.loads((split / "build_info.json").read_text(encoding="utf-8"))
    assert info["seed"] == 3 and "wordfreq" in info["sources"] and info["leak_check"]["mini_test_texts"] > 500


def test_the_split_is_a_function_of_its_seed() -> None:
    check = bt.LeakCheck(bt.mini_test_texts())
    first, again, other = (bt.plan(21, 6, seed, check)[1] for seed in (5, 5, 6))
    assert first == again and first != other
