"""Real dataset formats (FLEURS, Common Voice, CoVoST 2, GigaSpeech 2, MMAU test-mini) on tiny
fixtures written here in each corpus's own layout, column order, quoting and audio encoding."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from seabench import Registry, Task, UserError
from seabench.audio import load_audio
from seabench.registry import _builtin

TH = ["สวัสดีครับ วันนี้อากาศดี", "ผมชอบกินข้าวผัด", "กรุงเทพมหานครเป็นเมืองหลวง"]
ZH = ["今天天气很好", "我喜欢吃饺子", "北京是中国的首都"]


# -- fixtures written in the real formats -------------------------------------------------------

def write_audio(path: Path, sr: int = 16000, seconds: float = 0.2, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr, format=fmt)
    return path


def write_lines(path: Path, rows: list[list[str]]) -> Path:
    """Tab-joined lines with no quoting or escaping, as FLEURS/Common Voice/GigaSpeech 2 ship them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def make_fleurs(base: Path, texts: list[str] = TH) -> list[str]:
    """One FLEURS language folder (e.g. `<data>/fleurs/th_th`): test.tsv + audio/test/*.wav."""
    rows = []
    for i, text in enumerate(texts):
        name = f"{1000 + i}{'7' * 10}.wav"
        write_audio(base / "audio" / "test" / name)
        chars = " ".join(text.replace(" ", "|"))
        rows.append([str(1500 + i // 2), name, text, text.lower(), chars, "3200", ["MALE", "FEMALE"][i % 2]])
    write_lines(base / "test.tsv", rows)
    return [r[1].removesuffix(".wav") for r in rows]


CV_HEADER = ["client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes", "down_votes", "age",
             "gender", "accents", "variant", "locale", "segment"]
CV_ROWS = [  # sentence, age, gender: quotes left raw, as Common Voice writes them
    ('ผมบอกว่า "สวัสดี" แล้ว', "twenties", "male_masculine"),
    ('"เริ่ม" ด้วยเครื่องหมายคำพูด', "", "female_feminine"),
    ("it's a 'test'", "thirties", ""),
    ("ไม่ระบุเพศ", "fourties", "do_not_wish_to_say"),
]


def make_commonvoice(root: Path, locale: str = "th") -> Path:
    base = root / "commonvoice" / locale
    rows = [CV_HEADER]
    for i, (sentence, age, gender) in enumerate(CV_ROWS):
        clip = f"common_voice_{locale}_{4000 + i}.mp3"
        write_audio(base / "clips" / clip, sr=48000, fmt="MP3")
        rows.append([f"client{i % 2}", clip, f"sid{i}", sentence, "", "2", "0", age, gender, "", "", locale, ""])
    write_lines(base / "test.tsv", rows)
    return base


def make_covost(root: Path, split_file: bool = True) -> list[dict[str, str]]:
    """en->zh-CN: the split TSV is written exactly as CoVoST's get_covost_splits.py writes it (pandas)."""
    base = root / "covost2"
    rows = []
    for i, (en, zh) in enumerate([('He said "hi"', '他说"嗨"'), ("it's 'fine'", "没关系"), ('"Quoted" start', "第三")]):
        clip = f"common_voice_en_{9000 + i}.mp3"
        write_audio(base / "en" / "clips" / clip, sr=48000, fmt="MP3")
        rows.append({"path": clip, "sentence": en, "translation": zh, "client_id": f"c{i}"})
    base.mkdir(parents=True, exist_ok=True)
    options = {"sep": "\t", "index": False, "encoding": "utf-8", "escapechar": "\\", "quoting": csv.QUOTE_NONE}
    if split_file:
        pd.DataFrame(rows).to_csv(base / "covost_v2.en_zh-CN.test.tsv", **options)
    else:
        released = [{"path": r["path"], "translation": r["translation"], "split": "test"} for r in rows]
        released.append({"path": "common_voice_en_1.mp3", "translation": "训练", "split": "train"})
        pd.DataFrame(released).to_csv(base / "covost_v2.en_zh-CN.tsv", **options)
        cv = [["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent", "locale",
               "segment"]]
        cv += [[r["client_id"], r["path"], r["sentence"], "2", "0", "", "", "", "en", ""] for r in rows]
        cv.append(["c9", "common_voice_en_1.mp3", "train only", "2", "0", "", "", "", "en", ""])
        write_lines(base / "en" / "validated.tsv", cv)  # Common Voice's own file: quotes left raw
    return rows


def make_gigaspeech2(root: Path, lang: str = "th") -> list[str]:
    base = root / "gigaspeech2" / "data" / lang
    ids = ["0-685-9", "0-685-10", "12-3051-0"]
    for seg in ids:
        a, b, _ = seg.split("-")
        write_audio(base / "test" / a / b / f"{seg}.wav")
    write_lines(base / "test.tsv", [[seg, text] for seg, text in zip(ids, TH)])
    return ids


def make_mmau(root: Path) -> list[dict]:
    base = root / "mmau"
    items = []
    for i, (task, answer) in enumerate([("sound", "Dog barking"), ("music", "Piano"), ("speech", "Angry")]):
        uid = f"3fe64f3d-282c-4bc8-a753-68f8f6c3565{i}"
        write_audio(base / "test-mini-audios" / f"{uid}.wav", sr=44100)
        items.append({"id": uid, "audio_id": f"./test-mini-audios/{uid}.wav", "question": f"Question {i}?",
                      "choices": ["Dog barking", "Piano", "Angry", "Rain"], "answer": answer, "dataset": "AudioSet",
                      "task": task, "split": "test-mini", "category": "Reasoning", "sub-category": "Source Inference",
                      "difficulty": ["easy", "medium", "hard"][i]})
    (base / "mmau-test-mini.json").write_text(json.dumps(items, indent=4, ensure_ascii=False), encoding="utf-8")
    return items


# -- helpers --------------------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("SEABENCH_DATA_DIR", str(root))
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    return root


def dataset_registry() -> Registry:
    """The built-in registry (models, families) with only this provider's tasks, so a mini suite
    being rebuilt elsewhere cannot break these tests."""
    reg = _builtin()
    reg.task_providers = []
    reg.add_tasks("seabench.tasks.datasets:tasks")
    return reg


def task(name: str) -> Task:
    return dataset_registry().resolve_tasks(name)[0]


def assert_audio_decodes(samples: list) -> None:
    for s in samples:
        for ref in s.audio:
            assert load_audio(ref.path).waveform.size > 0


# -- tests ----------------------------------------------------------------------------------------

def test_fleurs_tsv_and_audio_folder(data_dir: Path) -> None:
    ids = make_fleurs(data_dir / "fleurs" / "th_th")
    t = task("asr/fleurs-th")
    assert t.data_status().ready and t.primary_metric == "wer" and t.languages == ("th",)
    samples = list(t.samples())
    assert [s.id for s in samples] == ids  # file names: FLEURS repeats sentence ids across speakers
    assert [s.reference for s in samples] == TH
    assert [s.metadata["gender"] for s in samples] == ["male", "female", "male"]
    assert samples[0].metadata["sentence_id"] == samples[1].metadata["sentence_id"] == "1500"
    assert_audio_decodes(samples)


def test_fleurs_hub_layout_and_chinese_headline(data_dir: Path) -> None:
    make_fleurs(data_dir / "fleurs" / "data" / "cmn_hans_cn", ZH)  # as `hf download --local-dir` leaves it
    t = task("asr/fleurs-zh")
    assert t.data_status().ready and t.primary_metric == "cer"
    assert [s.reference for s in t.samples()] == ZH


def test_fleurs_damaged_row_names_file_and_line(data_dir: Path) -> None:
    make_fleurs(data_dir / "fleurs" / "th_th")
    tsv = data_dir / "fleurs" / "th_th" / "test.tsv"
    tsv.write_text(tsv.read_text(encoding="utf-8") + "1600\tonly-two-fields\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"test.tsv:4: expected 7"):
        list(task("asr/fleurs-th").samples())


def test_absent_data_is_not_ready_with_hint_and_running_fails_with_it(data_dir: Path) -> None:
    reg = dataset_registry()
    for name, t in reg.tasks().items():
        status = t.data_status()
        assert not status.ready and "docs/DATASETS.md" in status.hint and str(data_dir) in status.hint, name
    t = reg.tasks()["asr/fleurs-th"]
    hint = t.data_status().hint
    assert str(data_dir / "fleurs" / "th_th") in hint and "hf download google/fleurs" in hint
    with pytest.raises(UserError) as err:
        list(t.samples())
    assert hint in str(err.value)


def test_tsv_without_audio_folder_is_not_ready(data_dir: Path) -> None:
    make_fleurs(data_dir / "fleurs" / "th_th")
    import shutil

    shutil.rmtree(data_dir / "fleurs" / "th_th" / "audio")
    assert not task("asr/fleurs-th").data_status().ready


def test_commonvoice_asr_keeps_quotes_and_reads_mp3(data_dir: Path) -> None:
    make_commonvoice(data_dir)
    samples = list(task("asr/commonvoice-th").samples())
    assert [s.reference for s in samples] == [r[0] for r in CV_ROWS]
    assert samples[0].id == "common_voice_th_4000" and samples[0].metadata["speaker"] == "client0"
    assert [s.metadata["gender"] for s in samples] == ["male", "female", "", ""]
    assert_audio_decodes(samples)


def test_commonvoice_label_tasks_skip_unlabelled_rows(data_dir: Path) -> None:
    make_commonvoice(data_dir)
    gender = list(task("paralinguistics/commonvoice-gender-th").samples())
    assert [(s.id, s.label) for s in gender] == [("common_voice_th_4000", "male"), ("common_voice_th_4001", "female")]
    assert gender[0].choices == ["male", "female"]
    age = list(task("paralinguistics/commonvoice-age-th").samples())
    assert [s.label for s in age] == ["twenties", "thirties", "fourties"]
    assert task("paralinguistics/commonvoice-age-th").family == "paralinguistics"


def test_commonvoice_older_header_with_accent_column(data_dir: Path) -> None:
    base = data_dir / "commonvoice" / "zh-CN"
    write_audio(base / "clips" / "common_voice_zh-CN_1.mp3", sr=48000, fmt="MP3")
    write_lines(base / "test.tsv", [
        ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent", "locale", "segment"],
        ["c1", "common_voice_zh-CN_1.mp3", ZH[0], "2", "0", "teens", "female", "出生地：北京", "zh-CN", ""]])
    (sample,) = task("asr/commonvoice-zh").samples()
    assert sample.reference == ZH[0] and sample.metadata["accent"] == "出生地：北京"
    (labelled,) = task("paralinguistics/commonvoice-gender-zh").samples()
    assert labelled.label == "female"


@pytest.mark.parametrize("split_file", [True, False])
def test_covost2_split_file_or_release_plus_validated(data_dir: Path, split_file: bool) -> None:
    rows = make_covost(data_dir, split_file)
    released = data_dir / "covost2" / ("covost_v2.en_zh-CN.test.tsv" if split_file else "covost_v2.en_zh-CN.tsv")
    assert '\\"' in released.read_text(encoding="utf-8")  # pandas escaped the quotes: the real quirk
    t = task("s2tt/covost2-en-zh")
    assert t.data_status().ready and t.primary_metric == "bleu"
    samples = list(t.samples())
    assert [s.reference for s in samples] == [r["translation"] for r in rows]
    assert [s.metadata["transcript"] for s in samples] == [r["sentence"] for r in rows]
    assert all(s.language == "en" and s.target_language == "zh" for s in samples)
    assert_audio_decodes(samples)


def test_gigaspeech2_nested_audio_folders(data_dir: Path) -> None:
    ids = make_gigaspeech2(data_dir)
    samples = list(task("asr/gigaspeech2-th").samples())
    assert [s.id for s in samples] == ids and [s.reference for s in samples] == TH
    assert samples[0].audio[0].path.endswith("test/0/685/0-685-9.wav")
    assert_audio_decodes(samples)


def test_gigaspeech2_flat_audio_folder(data_dir: Path) -> None:
    base = data_dir / "gigaspeech2" / "vi"
    write_audio(base / "test" / "5-17-3.wav")
    write_lines(base / "test.tsv", [["5-17-3", "xin chào các bạn"]])
    (sample,) = task("asr/gigaspeech2-vi").samples()
    assert sample.audio[0].path == str(base / "test" / "5-17-3.wav") and sample.reference == "xin chào các bạn"


def test_mmau_test_mini_json(data_dir: Path) -> None:
    items = make_mmau(data_dir)
    t = task("mmau/test-mini")
    assert t.primary_metric == "accuracy" and t.breakdown_keys[:2] == ("category", "difficulty")
    samples = list(t.samples())
    assert [s.id for s in samples] == [i["id"] for i in items]
    assert [s.label for s in samples] == [i["answer"] for i in items]
    assert [s.metadata["category"] for s in samples] == ["sound", "music", "speech"]
    assert samples[2].metadata["difficulty"] == "hard" and samples[0].choices == items[0]["choices"]
    assert_audio_decodes(samples)


def test_listing_reads_no_data_and_imports_nothing_heavy() -> None:
    code = ("import sys; import seabench.tasks.datasets as d; ts = d.tasks(); [t.data_status() for t in ts]; "
            "heavy = [m for m in ('pyarrow', 'datasets', 'pandas', 'torch') if m in sys.modules]; "
            "assert not heavy, heavy; print(len(ts))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) >= 30


def test_run_fleurs_th_with_perfect_predictions_gives_zero_wer(data_dir: Path, tmp_path: Path) -> None:
    from seabench.runner import RunConfig, Runner

    ids = make_fleurs(data_dir / "fleurs" / "th_th")
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": i, "output": text}, ensure_ascii=False) + "\n"
                             for i, text in zip(ids, TH)), encoding="utf-8")
    config = RunConfig(model=f"predictions:{preds}", tasks="asr/fleurs-th", output_dir=tmp_path / "run", quiet=True)
    result = Runner(config, dataset_registry()).run()
    res = result.tasks["asr/fleurs-th"]
    assert res.status == "complete" and res.counts.n == 3 and res.counts.n_errors == 0
    assert res.metrics["wer"].value == 0.0 and res.metrics["cer"].value == 0.0


EN = ["the weather is very nice today", "i really like to eat fried rice", "bangkok is the capital of thailand"]


def test_fleurs_translation_pairs_by_sentence_id(data_dir: Path) -> None:
    th_ids = make_fleurs(data_dir / "fleurs" / "th_th")
    make_fleurs(data_dir / "fleurs" / "en_us", EN)
    to_en = list(task("s2tt/fleurs-th-en").samples())
    assert [s.id for s in to_en] == th_ids and all(s.target_language == "en" for s in to_en)
    assert [s.reference for s in to_en] == [EN[0], EN[0], EN[2]]  # the first English reading of each sentence id
    assert [s.metadata["transcript"] for s in to_en] == TH
    from_en = list(task("s2tt/fleurs-en-th").samples())
    assert [s.reference for s in from_en] == [TH[0], TH[0], TH[2]] and from_en[0].language == "en"
    assert not task("s2tt/fleurs-ms-en").data_status().ready  # needs both folders
    assert "ms_my" in task("s2tt/fleurs-ms-en").data_status().hint


def test_fleurs_gender_labels(data_dir: Path) -> None:
    make_fleurs(data_dir / "fleurs" / "th_th")
    samples = list(task("paralinguistics/fleurs-gender-th").samples())
    assert [s.label for s in samples] == ["male", "female", "male"] and samples[0].choices == ["male", "female"]


def test_original_layouts_through_the_cli(data_dir: Path, tmp_path: Path) -> None:
    """FLEURS (ASR, translation both ways, gender), Common Voice (ASR, gender, age), CoVoST 2 and
    GigaSpeech 2 in their own layouts, scored through `seabench run` with perfect stored answers."""
    make_fleurs(data_dir / "fleurs" / "th_th")
    make_fleurs(data_dir / "fleurs" / "en_us", EN)
    make_commonvoice(data_dir)
    make_covost(data_dir)
    make_gigaspeech2(data_dir)
    names = ["asr/fleurs-th", "s2tt/fleurs-th-en", "s2tt/fleurs-en-th", "paralinguistics/fleurs-gender-th",
             "asr/commonvoice-th", "paralinguistics/commonvoice-gender-th", "paralinguistics/commonvoice-age-th",
             "s2tt/covost2-en-zh", "asr/gigaspeech2-th"]
    reg = dataset_registry()
    rows = [{"task": name, "id": s.id, "output": s.label or s.references[0]} for name in names
            for s in reg.tasks()[name].samples()]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "seabench.cli", "run", "--model", f"predictions:{preds}", "--tasks",
                          ",".join(names), "-o", str(tmp_path / "run"), "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))["tasks"]
    expected = {"wer": 0.0, "bleu": 100.0, "accuracy": 1.0}
    for name in names:
        metric = results[name]["primary_metric"]
        assert results[name]["metrics"][metric]["value"] == pytest.approx(expected[metric]), name
    assert results["asr/gigaspeech2-th"]["metrics"]["wer_audiobench_rule"]["value"] == 0.0
