#!/usr/bin/env python
"""Build, check and extend the built-in `mini` suite (synthetic speech and sounds).

The content is hand-written data in scripts/mini_content/; this script turns it into FLAC audio
and JSONL manifests so that anyone can re-create the shipped files bit for bit and see that
nothing was edited by hand.

    python scripts/build_mini.py                 # rebuild tasks/mini/data (overwrites)
    python scripts/build_mini.py --check         # rebuild in a temp dir, compare with SHA256SUMS
    python scripts/build_mini.py --train DIR --train-size 2000   # disjoint train split (not shipped)

Speech comes from espeak-ng (Mandarin from pinyin), resampled to 16 kHz with soxr; sounds are
made with numpy from seeded generators. Identical bytes need the espeak-ng version recorded
in build_info.json (and, to be safe, the same numpy/soxr/libsndfile/pypinyin versions).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import multiprocessing
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import soundfile as sf
import soxr
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTENT = Path(__file__).resolve().parent / "mini_content"
DATA = ROOT / "tasks" / "mini" / "data"
SR = 16000
SPEECH_BITS = 14  # speech keeps 14 of 16 bits (~84 dB range, far above espeak-ng's own noise)
WORKERS = 2

LANGS = ("en", "id", "ms", "vi", "th", "zh", "ta")  # the languages of the train split and of language ID
# Singlish is tested, not trained: its own text (particles, Malay/Hokkien/Mandarin loanwords, Singlish
# grammar) read by espeak-ng's English voice, so it tests the words, not the Singapore accent.
SINGLISH = "en-SG"
TEST_LANGS = (*LANGS, SINGLISH)
LANG_NAMES = {"en": "English", "id": "Indonesian", "ms": "Malay", "vi": "Vietnamese", "th": "Thai",
              "zh": "Chinese", "ta": "Tamil", SINGLISH: "Singlish"}
ESPEAK_VOICE = {"en": "en", "id": "id", "ms": "ms", "vi": "vi", "th": "th", "zh": "cmn-latn-pinyin", "ta": "ta",
                SINGLISH: "en"}
SLUGS = {SINGLISH: "singlish"}  # language -> the part of file names and ids (a hyphen would split them)
S2TT_FROM_EN = ("id", "ms", "vi", "th", "zh", "ta")  # en -> Singlish is left out: Singlish has no written standard
VARIANTS = {"male": ("m1", "m2", "m3", "m4"), "female": ("f1", "f2", "f3", "f4")}
TRAIN_VARIANTS = {"male": ("m1", "m2", "m3", "m4", "m5", "m6", "m7"), "female": ("f1", "f2", "f3", "f4", "f5")}
RATES = {"slow": 110, "normal": 165, "fast": 240}  # espeak-ng -s, words per minute
TRAIN_RATE_RANGE = {"slow": (100, 120), "normal": (150, 180), "fast": (220, 260)}
PITCHES = {"male": (40, 50), "female": (55, 65)}  # espeak-ng -p, 0-99
RATE_NAMES = tuple(RATES)
PARALING_SENTENCES = 12  # corpus sentences 1-12 of each language feed gender and rate
LANGID_SENTENCES = range(12, 22)  # sentences 13-22 feed language ID
UNLISTED = {"SHA256SUMS", "build_info.json"}


# ---------------------------------------------------------------- voices and speech synthesis


@dataclass(frozen=True)
class Voice:
    lang: str
    gender: str
    variant: str
    rate: str
    wpm: int
    pitch: int

    @property
    def speaker(self) -> str:
        return f"{ESPEAK_VOICE[self.lang]}+{self.variant}"

    def metadata(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "gender": self.gender, "rate": self.rate, "wpm": self.wpm, "pitch": self.pitch}


def test_voice(lang: str, k: int, rate: str | None = None) -> Voice:
    """Voice of the k-th clip of a language: gender, rate and pitch cycle so every 12 clips are balanced."""
    shift = TEST_LANGS.index(lang)
    gender = ("male", "female")[(k + shift) % 2]
    rate = rate or RATE_NAMES[(k // 2 + shift) % 3]
    variant = VARIANTS[gender][(k // 6 + shift) % len(VARIANTS[gender])]
    pitch = PITCHES[gender][(k // 3 + shift) % 2]
    return Voice(lang, gender, variant, rate, RATES[rate], pitch)


_ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """Chinese reading of 0..9999 (十二, 八百五十, 一千零五); speech needs words, not digits."""
    if n < 10:
        return _ZH_DIGITS[n]
    if n < 20:
        return "十" + (_ZH_DIGITS[n % 10] if n % 10 else "")
    out, zero = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = n // size % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _ZH_DIGITS[digit] + unit
    return out


def zh_speakable(text: str) -> str:
    """Spell out digits the way they are read: years digit by digit (2019年), other numbers as cardinals."""
    text = re.sub(r"\d{4}(?=年)", lambda m: "".join(_ZH_DIGITS[int(c)] for c in m.group()), text)
    return re.sub(r"\d+", lambda m: zh_number(int(m.group())), text)


def tts_text(lang: str, text: str) -> str:
    """What espeak-ng is fed: pinyin with tone numbers for Chinese (its hanzi reading is wrong)."""
    if lang != "zh":
        return text
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(zh_speakable(text), style=Style.TONE3, neutral_tone_with_five=True)
    joined = " ".join(s.strip() for s in syllables if s.strip())
    for zh_punct, ascii_punct in (("，", ","), ("。", "."), ("？", "?"), ("！", "!"), ("、", ","), ("（", ","), ("）", ","), ("：", ",")):
        joined = joined.replace(zh_punct, ascii_punct)
    return joined


def slug(lang: str) -> str:
    return SLUGS.get(lang, lang)


def synthesize(text: str, voice: Voice) -> np.ndarray:
    """espeak-ng -> 16 kHz float32, silence trimmed and peak set to -6 dBFS (all deterministic)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        cmd = ["espeak-ng", "-b", "1", "-v", voice.speaker, "-s", str(voice.wpm), "-p", str(voice.pitch), "-w", str(wav)]
        subprocess.run(cmd, input=tts_text(voice.lang, text).encode(), check=True, capture_output=True)
        audio, rate = sf.read(wav, dtype="float32")
    audio = soxr.resample(audio, rate, SR, quality="HQ").astype(np.float32)
    return normalise_peak(trim_silence(audio))


def trim_silence(audio: np.ndarray, threshold: float = 0.01, pad_s: float = 0.08) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio
    pad = int(pad_s * SR)
    return audio[max(0, loud[0] - pad): loud[-1] + pad + 1]


def normalise_peak(audio: np.ndarray, peak: float = 0.5) -> np.ndarray:
    top = float(np.max(np.abs(audio))) if audio.size else 0.0
    return audio if top == 0.0 else (audio * (peak / top)).astype(np.float32)


def write_flac(path: Path, audio: np.ndarray, bits: int = 16) -> None:
    """16-bit FLAC; with bits < 16 the low bits are zero, which FLAC stores for free (size budget)."""
    step = 2 ** (16 - bits)
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767 / step) * step
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.clip(pcm, -32768, 32767).astype(np.int16), SR, subtype="PCM_16", format="FLAC",
             compression_level=1.0)


# ---------------------------------------------------------------- sounds (numpy)

FADE_S = 0.01
BASE_AMP = 0.5


def _rng(item_id: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(item_id.encode()))


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SR)), dtype=np.float64)


def _fade(x: np.ndarray) -> np.ndarray:
    n = min(int(FADE_S * SR), len(x) // 2)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))
    x = x.copy()
    x[:n] *= ramp
    x[len(x) - n:] *= ramp[::-1]
    return x


def _tone(freq: float, seconds: float, db: float = 0.0) -> np.ndarray:
    t = np.arange(int(round(seconds * SR))) / SR
    return _fade(BASE_AMP * 10 ** (db / 20) * np.sin(2 * np.pi * freq * t))


def _sweep(path: np.ndarray) -> np.ndarray:
    """A tone whose instantaneous frequency follows `path` (Hz per sample)."""
    return _fade(BASE_AMP * np.sin(2 * np.pi * np.cumsum(path) / SR))


def _noise(rng: np.random.Generator, n: int, db: float, lowpass: float | None = None) -> np.ndarray:
    noise = rng.standard_normal(n)
    if lowpass:
        spectrum = np.fft.rfft(noise)
        spectrum[np.fft.rfftfreq(n, 1 / SR) > lowpass] = 0
        noise = np.fft.irfft(spectrum, n)
    noise /= np.sqrt(np.mean(noise**2))
    return BASE_AMP / np.sqrt(2) * 10 ** (db / 20) * noise


def _pair(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return np.concatenate([_silence(0.3), first, _silence(0.5), second, _silence(0.3)])


def make_sound(spec: dict[str, Any]) -> np.ndarray:
    """Render one sound item from its spec (see sounds.yaml)."""
    kind, rng = spec["kind"], _rng(spec["id"])
    if kind == "beeps":
        beep = _tone(spec["freq"], spec["beep"])
        parts = [_silence(0.3)]
        for i in range(spec["count"]):
            parts += [beep] + ([_silence(spec["gap"])] if i < spec["count"] - 1 else [])
        audio = np.concatenate(parts + [_silence(0.3)])
    elif kind == "sweep":
        n = int(spec["dur"] * SR)
        f0, f1 = spec["f0"], spec["f1"]
        if spec["direction"] == "rise-fall":
            half = np.linspace(f0, f1, n // 2)
            path = np.concatenate([half, half[::-1]])
        else:
            path = np.linspace(f0, f1, n)
        audio = np.concatenate([_silence(0.2), _sweep(path), _silence(0.2)])
    elif kind == "pitch_pair":
        audio = _pair(_tone(spec["f_first"], 0.6), _tone(spec["f_second"], 0.6))
    elif kind == "loudness_pair":
        audio = _pair(_tone(spec["freq"], 0.6, spec["db_first"]), _tone(spec["freq"], 0.6, spec["db_second"]))
    elif kind == "duration_pair":
        audio = _pair(_tone(spec["freq"], spec["dur_first"]), _tone(spec["freq"], spec["dur_second"]))
    elif kind == "source":
        audio = _source(spec, rng)
    else:
        raise ValueError(f"unknown sound kind {kind!r} in {spec['id']}")
    if "noise_db" in spec and kind != "source":
        audio = audio + _noise(rng, len(audio), spec["noise_db"])
    return audio.astype(np.float32)


def _source(spec: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    source = spec["source"]
    if source in ("speech", "speech_noise"):
        speech = synthesize(spec["speech_text"], test_voice(spec["speech_lang"], 0, "normal")).astype(np.float64)
        if source == "speech":
            return speech
        return speech * 0.8 + _noise(rng, len(speech), spec["noise_db"])
    n = int(spec.get("dur", 1.5) * SR)
    if source == "silence":
        return np.zeros(n)
    if source == "noise":
        return _fade(_noise(rng, n, -3.0, spec.get("lowpass")))
    if source == "chord":
        return sum(_tone(f, spec["dur"]) for f in spec["freqs"]) / len(spec["freqs"])
    if source == "tone":
        return _tone(spec["freq"], spec["dur"])
    if source == "tone_noise":
        return _tone(spec["freq"], spec["dur"]) + _noise(rng, n, spec["noise_db"])
    raise ValueError(f"unknown source {source!r} in {spec['id']}")


SOURCE_LABELS = {
    "tone": "A single steady tone", "noise": "Noise only (a hiss)", "speech": "Human speech",
    "silence": "Silence", "chord": "A chord of several notes together",
    "speech_noise": "Speech with background noise", "tone_noise": "A steady tone with background noise",
}
# options that would also be partly right, so they are never offered as distractors
SOURCE_OVERLAP = {"speech": {"speech_noise"}, "speech_noise": {"speech", "noise"}, "tone": {"tone_noise", "chord"},
                  "tone_noise": {"tone", "noise"}, "noise": {"speech_noise", "tone_noise"}, "chord": {"tone"},
                  "silence": set()}
PAIR_OPTIONS = {
    "pitch_pair": ("Compared with the first tone, is the second tone higher, lower or the same in pitch?",
                   ["Higher", "Lower", "The same", "There is only one tone"]),
    "loudness_pair": ("Which of the two tones is louder?",
                      ["The first tone", "The second tone", "Both are equally loud", "There is only one tone"]),
    "duration_pair": ("Which of the two tones lasts longer?",
                      ["The first tone", "The second tone", "Both last equally long", "There is only one tone"]),
}
SWEEP_OPTIONS = {"rising": "It rises", "falling": "It falls", "steady": "It stays the same",
                 "rise-fall": "It rises and then falls"}


def _compare(a: float, b: float, options: list[str]) -> str:
    return options[0] if a > b else options[1] if a < b else options[2]


def sound_question(spec: dict[str, Any]) -> tuple[str, list[str], str]:
    """(question, four options, correct option) that follow from the item's parameters."""
    kind, rng = spec["kind"], _rng("choices/" + spec["id"])
    if kind == "beeps":
        start = max(1, spec["count"] - int(rng.integers(0, 4)))
        return "How many beeps are there in the recording?", [str(n) for n in range(start, start + 4)], str(spec["count"])
    if kind == "sweep":
        options = list(SWEEP_OPTIONS.values())
        answer = SWEEP_OPTIONS[spec["direction"]]
        question = "How does the pitch of the sound change over time?"
    elif kind in PAIR_OPTIONS:
        question, options = PAIR_OPTIONS[kind]
        options = list(options)
        if kind == "pitch_pair":
            answer = _compare(spec["f_second"], spec["f_first"], options)
        elif kind == "loudness_pair":
            answer = _compare(spec["db_first"], spec["db_second"], options)
        else:
            answer = _compare(spec["dur_first"], spec["dur_second"], options)
    elif kind == "source":
        right = spec["source"]
        pool = [k for k in SOURCE_LABELS if k != right and k not in SOURCE_OVERLAP[right]]
        picks = [pool[i] for i in sorted(rng.choice(len(pool), size=3, replace=False))]
        options = [SOURCE_LABELS[k] for k in [right, *picks]]
        answer = SOURCE_LABELS[right]
        question = "What does the recording contain?"
    else:
        raise ValueError(f"unknown sound kind {kind!r}")
    return question, [options[i] for i in rng.permutation(len(options))], answer


# ---------------------------------------------------------------- content -> clips and manifests


def load_content(name: str) -> Any:
    with open(CONTENT / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@dataclass(frozen=True)
class Clip:
    """One audio file to render: speech (text + voice) or a generated sound (spec)."""

    path: str  # relative to the data dir, e.g. "audio/asr-th-07.flac"
    text: str = ""
    voice: Voice | None = None
    sound: str = ""  # JSON of the sound spec (hashable)


def render(job: tuple[Clip, str]) -> tuple[str, int]:
    clip, out_dir = job
    if clip.voice:
        audio, bits = synthesize(clip.text, clip.voice), SPEECH_BITS
    else:
        audio, bits = make_sound(json.loads(clip.sound)), 16
    write_flac(Path(out_dir) / clip.path, audio, bits)
    return clip.path, len(audio)


def _row(id: str, audio: str, language: str, instruction: str, metadata: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A manifest line with the documented key order; absent fields are left out."""
    row: dict[str, Any] = {"id": id, "audio": audio, "language": language, "instruction": instruction}
    for key in ("reference", "target_language", "choices", "label"):
        if fields.get(key) is not None:
            row[key] = fields[key]
    row["metadata"] = metadata
    return row


def speech_items() -> tuple[list[Clip], dict[str, list[dict[str, Any]]]]:
    """Clips and manifests of every speech task; clips are shared across tasks where honest."""
    corpus, sqa, open_items = load_content("corpus.yaml"), load_content("sqa.yaml"), load_content("open.yaml")
    clips: list[Clip] = []
    manifests: dict[str, list[dict[str, Any]]] = {}
    add = lambda name, row: manifests.setdefault(name, []).append(row)  # noqa: E731
    for lang in TEST_LANGS:
        name, tag = LANG_NAMES[lang], slug(lang)
        for k, item in enumerate(corpus):
            voice = test_voice(lang, k)
            audio = f"audio/corpus-{tag}-{item['key']}.flac"
            clips.append(Clip(audio, item[lang], voice))
            meta = {**voice.metadata(), "subset": "corpus", "sentence": item["key"]}
            add(f"asr-{tag}", _row(f"asr-{tag}-{item['key']}", audio, lang, f"Transcribe the speech in {name}.", meta,
                                    reference=item[lang]))
            if lang != "en":
                add(f"s2tt-{tag}-en", _row(f"s2tt-{tag}-en-{item['key']}", audio, lang,
                                           f"Translate the {name} speech into English.", meta,
                                           reference=item["en"], target_language="en"))
            else:
                for tgt in S2TT_FROM_EN:
                    add(f"s2tt-en-{tgt}", _row(f"s2tt-en-{tgt}-{item['key']}", audio, "en",
                                               f"Translate the English speech into {LANG_NAMES[tgt]}.", meta,
                                               reference=item[tgt], target_language=tgt))
            if k < PARALING_SENTENCES:
                add("gender", _row(f"gender-{tag}-{item['key']}", audio, lang,
                                   "Is the speaker male or female? Answer with one word: male or female.",
                                   {**meta, "category": "gender"}, choices=["male", "female"], label=voice.gender))
                add("rate", _row(f"rate-{tag}-{item['key']}", audio, lang,
                                 "Is the speaking rate slow, normal or fast? Answer with one word.",
                                 {**meta, "category": "rate"}, choices=list(RATE_NAMES), label=voice.rate))
            if k in LANGID_SENTENCES and lang in LANGS:  # Singlish is a variety of English, not a language code
                add("langid", _row(f"langid-{lang}-{item['key']}", audio, lang,
                                   "Which language is spoken? Answer with its code: " + ", ".join(LANGS) + ".",
                                   {**meta, "category": "langid"}, choices=list(LANGS), label=lang))
        for k, item in enumerate(sqa):
            voice = test_voice(lang, k, "normal")
            audio = f"audio/sqa-{tag}-{item['id']}.flac"
            clips.append(Clip(audio, item["passage"][lang], voice))
            question = item["question"][lang]
            add(f"sqa-{tag}", _row(f"sqa-{tag}-{item['id']}", audio, lang,
                                   f"Listen to the passage and answer the question in {name}. Question: {question}",
                                   {**voice.metadata(), "subset": "passage", "rubric": "spoken_qa",
                                    "question": question, "transcript": item["passage"][lang]},
                                   reference=item["answer"][lang]))
        for k, item in enumerate(open_items):
            voice = test_voice(lang, k + 1, "normal")
            audio = f"audio/open-{tag}-{item['id']}.flac"
            clips.append(Clip(audio, item["prompt"][lang], voice))
            add(f"open-{tag}", _row(f"open-{tag}-{item['id']}", audio, lang,
                                    f"Listen to the spoken request and respond to it in {name}.",
                                    {**voice.metadata(), "subset": item["subset"], "rubric": item["subset"],
                                     "transcript": item["prompt"][lang]},
                                    reference=item["reference"][lang]))
    return clips, manifests


def sound_items() -> tuple[list[Clip], list[dict[str, Any]]]:
    clips, rows = [], []
    for spec in load_content("sounds.yaml"):
        audio = f"audio/sound-{spec['id']}.flac"
        clips.append(Clip(audio, sound=json.dumps(spec, sort_keys=True, ensure_ascii=False)))
        question, choices, label = sound_question(spec)
        meta = {"subset": spec["kind"], "category": spec["category"], "difficulty": spec["difficulty"]}
        rows.append(_row(f"sound-{spec['id']}", audio, "en", question, meta, choices=choices, label=label))
    return clips, rows


def test_split() -> tuple[list[Clip], dict[str, list[dict[str, Any]]]]:
    clips, manifests = speech_items()
    sound_clips, sound_rows = sound_items()
    manifests["sounds"] = sound_rows
    return clips + sound_clips, manifests


def test_texts(lang: str) -> list[str]:
    """Every sentence, passage, passage sentence, question and spoken request of the test split."""
    texts = [item[lang] for item in load_content("corpus.yaml")]
    for item in load_content("sqa.yaml"):
        passage = item["passage"][lang]
        texts += [passage, item["question"][lang], *split_sentences(passage)]
    texts += [item["prompt"][lang] for item in load_content("open.yaml")]
    texts += [s["speech_text"] for s in load_content("sounds.yaml") if s.get("speech_lang") == lang]
    return texts


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; Thai separates sentences with a space instead of a full stop."""
    parts = re.split(r"(?<=[.?!。？！])\s*|(?<=[\u0e00-\u0e7f]) (?=[\u0e00-\u0e7f])", text)
    return [p.strip() for p in parts if p and p.strip()]


def normalise_text(text: str) -> str:
    """Comparison form for the disjointness check: lowercase, NFC, no punctuation, symbols or spaces."""
    text = unicodedata.normalize("NFC", text.lower())
    return "".join(c for c in text if unicodedata.category(c)[0] not in "PSZ" and not c.isspace())


# ---------------------------------------------------------------- writing and checking


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _render_all(clips: list[Clip], out: Path, workers: int) -> dict[str, int]:
    jobs = [(clip, str(out)) for clip in clips]
    if workers <= 1:
        return dict(map(render, jobs))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return dict(pool.imap_unordered(render, jobs, chunksize=4))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tool_versions() -> dict[str, str]:
    import pypinyin

    try:
        espeak = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        raise SystemExit("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)") from None
    match = re.search(r"text-to-speech:\s*(\S+)", espeak)
    return {"espeak-ng": match.group(1) if match else espeak.strip(), "numpy": np.__version__,
            "soundfile": sf.__version__, "libsndfile": sf.__libsndfile_version__, "soxr": soxr.__version__,
            "pypinyin": pypinyin.__version__, "pyyaml": yaml.__version__}


def build(out: Path, workers: int = WORKERS) -> dict[str, Any]:
    """Write audio, manifests, build_info.json and SHA256SUMS into `out` (old audio removed)."""
    clips, manifests = test_split()
    if (out / "audio").exists():
        shutil.rmtree(out / "audio")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.jsonl"):
        old.unlink()
    lengths = _render_all(clips, out, workers)
    for name, rows in manifests.items():
        _write_jsonl(out / f"{name}.jsonl", rows)
    info = {"tools": tool_versions(), "sample_rate": SR, "format": f"FLAC PCM_16 compression_level=1.0, speech {SPEECH_BITS}-bit resolution",
            "clips": len(clips), "audio_seconds": round(sum(lengths.values()) / SR, 1),
            "items": {name: len(rows) for name, rows in sorted(manifests.items())}}
    (out / "build_info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_sums(out)
    return info


def listed_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and p.name not in UNLISTED)


def write_sums(data_dir: Path) -> None:
    lines = [f"{sha256(p)}  {p.relative_to(data_dir).as_posix()}" for p in listed_files(data_dir)]
    (data_dir / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_sums(data_dir: Path) -> dict[str, str]:
    sums = {}
    for line in (data_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip()] = digest
    return sums


def compare_to_sums(sums: dict[str, str], data_dir: Path) -> list[str]:
    """Problems (missing, extra, changed files) of `data_dir` against the recorded sums."""
    present = {p.relative_to(data_dir).as_posix(): p for p in listed_files(data_dir)}
    problems = [f"missing: {name}" for name in sorted(set(sums) - set(present))]
    problems += [f"not in SHA256SUMS: {name}" for name in sorted(set(present) - set(sums))]
    problems += [f"hash differs: {name}" for name in sorted(set(sums) & set(present)) if sha256(present[name]) != sums[name]]
    return problems


def verify_committed(data_dir: Path = DATA) -> list[str]:
    """Fast check: the files on disk are exactly the ones SHA256SUMS describes."""
    if not (data_dir / "SHA256SUMS").exists():
        return [f"{data_dir / 'SHA256SUMS'} is missing"]
    return compare_to_sums(read_sums(data_dir), data_dir)


def check(data_dir: Path = DATA, workers: int = WORKERS) -> int:
    """Regenerate into a temp dir and compare every file with SHA256SUMS; 0 when identical."""
    problems = verify_committed(data_dir)
    if problems:
        print("The committed mini data does not match its SHA256SUMS:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    recorded = json.loads((data_dir / "build_info.json").read_text(encoding="utf-8"))["tools"]
    installed = tool_versions()
    if recorded["espeak-ng"] != installed["espeak-ng"]:
        print(f"espeak-ng {installed['espeak-ng']} is installed but the mini data was built with espeak-ng "
              f"{recorded['espeak-ng']}: the speech cannot be reproduced bit for bit, so hash mismatches are "
              "expected. Install that version to check.", file=sys.stderr)
        return 2
    drift = {k: (v, installed.get(k)) for k, v in recorded.items() if installed.get(k) != v}
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp), workers)
        problems = compare_to_sums(read_sums(data_dir), Path(tmp))
    if problems:
        print(f"Rebuilding the mini data gave different files ({len(problems)}):", *problems, sep="\n  ", file=sys.stderr)
        for name, (was, now) in drift.items():
            print(f"  note: built with {name} {was}, installed {now}", file=sys.stderr)
        return 1
    print(f"mini data OK: {len(read_sums(data_dir))} files reproduce bit for bit")
    return 0


# ---------------------------------------------------------------- train split (never shipped)


def _fill(template: str, lang: str, choice: dict[str, Any]) -> str:
    values = {slot: (value if isinstance(value, (str, int)) else value[lang]) for slot, value in choice.items()}
    if lang == "zh" and "n" in values:
        values["n"] = "两" if values["n"] == 2 else zh_number(int(values["n"]))
    return template.format(**values)


def _train_choices() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    """(key, slot choices, template per language) for every expansion, in a fixed order."""
    spec = load_content("train.yaml")
    numbers = list(range(spec["numbers"]["from"], spec["numbers"]["to"] + 1))
    for template in spec["templates"]:
        pools = [numbers if slot == "n" else spec["slots"][slot] for slot in template["slots"]]
        for idx in itertools.product(*(range(len(p)) for p in pools)):
            choice = {slot: pool[i] for slot, pool, i in zip(template["slots"], pools, idx)}
            key = template["name"] + "-" + ".".join(map(str, idx))
            yield key, choice, template


def list_train_texts(lang: str) -> list[str]:
    """Every train sentence of a language, without synthesising audio (for counting and checks)."""
    return [_fill(template[lang], lang, choice) for _, choice, template in _train_choices()]


def _train_voice(rng: np.random.Generator, lang: str) -> Voice:
    gender = ("male", "female")[int(rng.integers(2))]
    rate = RATE_NAMES[int(rng.integers(3))]
    low, high = TRAIN_RATE_RANGE[rate]
    variants = TRAIN_VARIANTS[gender]
    pitch_low, pitch_high = PITCHES[gender]
    return Voice(lang, gender, variants[int(rng.integers(len(variants)))], rate,
                 int(rng.integers(low, high + 1)), int(rng.integers(pitch_low - 5, pitch_high + 6)))


def build_train(out: Path, size: int, seed: int = 0, workers: int = WORKERS) -> dict[str, int]:
    """`size` clips spread over the seven languages, plus x->en / en->x pairs from the same clips.

    Templates take turns so a large template does not crowd out the small ones; within a template
    the expansions come in a seeded random order.
    """
    by_template: dict[str, list[tuple[str, dict[str, Any], dict[str, str]]]] = {}
    for expansion in _train_choices():
        by_template.setdefault(expansion[2]["name"], []).append(expansion)
    rng = np.random.default_rng(seed)
    pools = [(group, rng.permutation(len(group))) for group in by_template.values()]
    clips, asr, s2tt = [], [], []
    for i in range(size):
        lang = LANGS[i % len(LANGS)]
        group, order = pools[i % len(pools)]
        key, choice, template = group[order[(i // len(pools)) % len(group)]]
        voice = _train_voice(rng, lang)
        text = _fill(template[lang], lang, choice)
        audio = f"audio/train-{i:06d}.flac"
        clips.append(Clip(audio, text, voice))
        meta = {**voice.metadata(), "subset": "train", "template": key}
        asr.append(_row(f"train-asr-{lang}-{i:06d}", audio, lang, f"Transcribe the speech in {LANG_NAMES[lang]}.",
                        meta, reference=text))
        targets = [t for t in S2TT_FROM_EN] if lang == "en" else ["en"]
        for tgt in targets:
            s2tt.append(_row(f"train-s2tt-{lang}-{tgt}-{i:06d}", audio, lang,
                             f"Translate the {LANG_NAMES[lang]} speech into {LANG_NAMES[tgt]}.", meta,
                             reference=_fill(template[tgt], tgt, choice), target_language=tgt))
    out.mkdir(parents=True, exist_ok=True)
    _render_all(clips, out, workers)
    _write_jsonl(out / "train-asr.jsonl", asr)
    _write_jsonl(out / "train-s2tt.jsonl", s2tt)
    return {"clips": len(clips), "asr": len(asr), "s2tt": len(s2tt)}


# ---------------------------------------------------------------- command line


def counts_table(data_dir: Path = DATA) -> str:
    """Markdown table of items per task family and language (for docs/MINI.md).

    s2tt rows count by the non-English side, so `en->x` under `th` is the en->th manifest.
    """
    counts: dict[str, Counter[str]] = {}
    for path in sorted(data_dir.glob("*.jsonl")):
        parts = path.stem.split("-")
        with open(path, encoding="utf-8") as fh:
            items = [json.loads(line) for line in fh if line.strip()]
        if parts[0] == "s2tt":
            family = "s2tt en->x" if parts[1] == "en" else "s2tt x->en"
            langs = [item["target_language" if parts[1] == "en" else "language"] for item in items]
        else:
            family, langs = parts[0], [item["language"] for item in items]
        counts.setdefault(family, Counter()).update(langs)
    lines = ["| family | " + " | ".join(TEST_LANGS) + " | total |", "|---|" + "---:|" * (len(TEST_LANGS) + 1)]
    for family, per_lang in counts.items():
        cells = [str(per_lang[lang] or "–") for lang in TEST_LANGS]
        lines.append(f"| {family} | " + " | ".join(cells) + f" | {sum(per_lang.values())} |")
    total = sum(sum(c.values()) for c in counts.values())
    per_lang_total = (str(sum(c[lang] for c in counts.values())) for lang in TEST_LANGS)
    lines.append("| **all** | " + " | ".join(per_lang_total) + f" | {total} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with SHA256SUMS")
    parser.add_argument("--out", type=Path, default=DATA, help="data dir to build or check (default: %(default)s)")
    parser.add_argument("--train", type=Path, metavar="OUT_DIR", help="write the train split here instead")
    parser.add_argument("--train-size", type=int, default=2000, help="number of train clips (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="train split seed (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=WORKERS, help="processes (default: %(default)s)")
    parser.add_argument("--table", action="store_true", help="print the items per task and language (Markdown)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.table:
        print(counts_table(args.out))
        return 0
    if args.check:
        return check(args.out, args.workers)
    if args.train:
        counts = build_train(args.train, args.train_size, args.seed, args.workers)
        print(f"train split in {args.train}: {counts} ({time.perf_counter() - start:.0f} s)")
        return 0
    info = build(args.out, args.workers)
    size = sum(p.stat().st_size for p in (args.out / "audio").glob("*.flac"))
    print(f"built {args.out}: {info['clips']} clips, {info['audio_seconds']} s of audio, {size / 1e6:.2f} MB FLAC, "
          f"{sum(info['items'].values())} items in {len(info['items'])} manifests ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
