"""Tiny copies of every AudioBench / MNSC test set, written in the layout and columns each is
published in (Hub parquet `data/test-*.parquet`, MNSC `<PART>/train-*.parquet`, Spoken-MQA's named
splits, the private sets as `save_to_disk` folders with nested `{"text", "audio"}` columns), plus
the answers that score perfectly on each. Built by code: two rows per set, 0.2 s tones as audio."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import soundfile as sf

from seabench.tasks.datasets.audiobench_catalog import ENTRIES, SHARED_ASR, SHARED_S2TT, Entry

ASR_TEXT = {"en": ["the market opens at six o'clock", "please turn left at the next light"],
            "en-SG": ["can speak slower a bit or not", "the kopitiam got sell teh peng lah"],
            "zh": ["今天天气很好", "我喜欢吃饺子"]}
CODE_SWITCH = ["我们 去 shopping 吧", "today 我 很 busy"]
THAI = ["วันนี้อากาศดีมาก", "ผมชอบกินข้าวผัด"]
VIET = ["xin chào các bạn", "hôm nay trời đẹp"]
INDO = ["pasar buka pukul enam", "saya suka makan nasi"]
REFERENCE_STYLES = ["It seems the speaker is feeling {}.", "From the voice, the answer is {}."]
datasets.disable_progress_bars()


def audio_bytes(freq: float = 440.0) -> bytes:
    t = np.arange(3200) / 16000
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, format="WAV")
    return buf.getvalue()


def _dataset(columns: dict[str, list], features: dict[str, Any]) -> datasets.Dataset:
    feats = datasets.Features(features)
    return datasets.Dataset(pa.table(columns).cast(feats.arrow_schema), info=datasets.DatasetInfo(features=feats))


@dataclass
class Fixture:
    """What was written for one task and the answers that score perfectly on it."""

    task: str
    answers: list[str]
    expect: dict[str, float] = field(default_factory=dict)


def _audio_column(n: int, salt: int) -> list[dict[str, Any]]:
    return [{"bytes": audio_bytes(300 + 40 * i + salt), "path": f"{i}.wav"} for i in range(n)]


def _write_flat(folder: Path, columns: dict[str, list], extra_features: dict[str, Any], file: str, salt: int) -> None:
    n = len(columns["answer"])
    columns = {"context": _audio_column(n, salt), **columns}
    features = {"context": datasets.Audio(sampling_rate=16000), **{k: datasets.Value("string") for k in columns
                                                                   if k != "context"}, **extra_features}
    folder.mkdir(parents=True, exist_ok=True)
    _dataset(columns, features).to_parquet(str(folder / file))


def _write_nested(folder: Path, answers: list[str], salt: int) -> None:
    """AudioBench's older shape, as its private sets are kept: save_to_disk with {"text", "audio"} columns."""
    text_or_audio = {"text": datasets.Value("string"), "audio": datasets.Audio(sampling_rate=16000)}
    columns = {"context": [{"text": None, "audio": a} for a in _audio_column(len(answers), salt)],
               "instruction": [{"text": "Transcribe.", "audio": None}] * len(answers),
               "answer": [{"text": a, "audio": None} for a in answers]}
    _dataset(columns, {"context": text_or_audio, "instruction": text_or_audio, "answer": text_or_audio}
             ).save_to_disk(str(folder))


def _file(entry: Entry) -> str:
    if entry.split != "test":
        return f"data/{entry.split}-00000-of-00001.parquet"
    return "train-00000-of-00001.parquet" if entry.folder.startswith("mnsc/") else "data/test-00000-of-00001.parquet"


def _asr_text(entry: Entry) -> list[str]:
    return CODE_SWITCH if entry.code_switched else ASR_TEXT[entry.language]


def write_entry(root: Path, entry: Entry, salt: int) -> Fixture:
    folder = root / entry.folder
    file = _file(entry)
    attrs = {"other_attributes": [{"speaker_id": "s1"}, {"speaker_id": "s2"}]}
    attr_feature = {"other_attributes": {"speaker_id": datasets.Value("string")}}
    if entry.kind == "asr":
        texts = _asr_text(entry)
        if not entry.public:
            _write_nested(folder, texts, salt)
        else:
            _write_flat(folder, {"instruction": ["Transcribe."] * 2, "answer": texts}, {}, file, salt)
        primary = "mixed_error_rate" if entry.code_switched else ("cer" if entry.language == "zh" else "wer")
        return Fixture(entry.task, texts, {primary: 0.0, "wer_audiobench_rule": 0.0})
    if entry.kind == "mcq":
        sep = " " if "music" in entry.task else "\n"
        choices = [sep.join(["(A) A dog barks.", "(B) Two people argue.", "(C) Rain falls."])] * 2
        _write_flat(folder, {"instruction": ["What happens?", "What is heard?"], "choices": choices,
                             "answer": ["(B) Two people argue.", "(C) Rain falls."]}, {}, file, salt)
        return Fixture(entry.task, ["B", "The answer is (C)."], {"accuracy": 1.0, "judge_score_audiobench_rule": 100.0})
    if entry.kind == "label":
        labels = list(entry.labels) or ["USA", "India"]
        golds = [labels[0], labels[-1]]
        answers = [f"{golds[0]}." if not entry.labels else REFERENCE_STYLES[0].format(golds[0]),
                   f"{golds[1]}." if not entry.labels else REFERENCE_STYLES[1].format(golds[1])]
        _write_flat(folder, {"instruction": ["Who is speaking?"] * 2, "answer": answers, **attrs}, attr_feature, file,
                    salt)
        return Fixture(entry.task, golds, {"accuracy": 1.0, "judge_score_audiobench_rule": 100.0})
    if entry.kind == "math":
        reasoning = "reasoning" in entry.split
        answers = [["#### 18"], ["#### 1,200"]] if reasoning else [{"text": "42"}, {"text": "7.5"}]
        columns = {"context": _audio_column(2, salt), "context_transcript": ["What is six times seven?"] * 2,
                   "instruction": [{"text": "Solve the problem in the audio."}] * 2,
                   "answer": [{"text": a} for a in answers] if reasoning else answers}
        answer_feature = ({"text": datasets.Sequence(datasets.Value("string"))} if reasoning
                          else {"text": datasets.Value("string")})
        folder.mkdir(parents=True, exist_ok=True)
        _dataset(columns, {"context": datasets.Audio(sampling_rate=16000), "context_transcript": datasets.Value("string"),
                           "instruction": {"text": datasets.Value("string")}, "answer": answer_feature}
                 ).to_parquet(str(folder / file))
        said = ["18", "1200"] if reasoning else ["42", "7.50"]
        return Fixture(entry.task, [f"Six times three is {said[0]}. The answer is {said[0]}.", f"So {said[1]}"],
                       {"accuracy": 1.0})
    references = ["The speakers agree to meet at the hawker centre.", "Both speakers are female."]
    columns: dict[str, list] = {"instruction": ["What do they decide?", "Who is talking?"], "answer": references}
    if entry.task.startswith("si/"):
        columns["speech_instruction"] = ["Name two fruits.", "Count to three."]
    _write_flat(folder, columns, {}, file, salt)
    binary = entry.metric == "llama3_70b_judge_binary"
    return Fixture(entry.task, references, {"judge_score": 1.0 if binary else 4.0,
                                            "judge_score_audiobench_rule": 100.0 if binary else 80.0})


def write_shared(root: Path) -> list[Fixture]:
    """AudioBench's copies of sets SeaBench also reads in their original layout."""
    found = []
    for i, (name, (task, _rule)) in enumerate(SHARED_ASR.items()):
        lang = task.rsplit("-", 1)[-1]
        texts = {"th": THAI, "vi": VIET, "id": INDO}.get(lang, ASR_TEXT["en-SG"])
        folder = root / ("mnsc/" + f"ASR-PART{task[-1]}-Test" if "mnsc" in task else f"gigaspeech2/{lang}-test")
        _write_flat(folder, {"instruction": ["Transcribe."] * 2, "answer": texts}, {}, "train-00000-of-00001.parquet",
                    200 + i)
        found.append(Fixture(task, texts, {"wer": 0.0, "wer_audiobench_rule": 0.0}))
    for i, (name, task) in enumerate(SHARED_S2TT.items()):
        target = task.rsplit("-", 1)[-1]
        texts = {"zh": ["今天天气很好。", "我喜欢吃饺子。"], "id": INDO, "ta": ["என் அம்மா சந்தையில் புதிய மீன் வாங்குகிறார்.",
                                                                   "இந்த வகுப்பில் 12 மாணவர்கள் இருக்கிறார்கள்."]}.get(
            target, ASR_TEXT["en"])
        _write_flat(root / "covost2" / name, {"instruction": ["Translate."] * 2, "answer": texts}, {},
                    "data/test-00000-of-00001.parquet", 300 + i)
        found.append(Fixture(task, texts, {"bleu": 100.0}))
    return found


def write_all(root: Path) -> list[Fixture]:
    """Every catalogue set plus AudioBench's copies of the shared ones, under a data root."""
    return [write_entry(root, entry, salt) for salt, entry in enumerate(ENTRIES)] + write_shared(root)
