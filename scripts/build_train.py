#!/usr/bin/env python
"""Build the reference model's train split, Thai-SUP style: text -> TTS, all offline and seeded.

    python scripts/build_train.py --out data/train --clips 24000 --sounds 3000 [--seed 0]

Text comes from word-frequency lists that ship inside PyPI packages (wordfreq for en/id/ms/vi/ta/zh,
the Thai National Corpus list in pythainlp for th), composed into many varied utterances, plus the
parallel templates of scripts/mini_content/train.yaml, which also give translation pairs. Speech is
espeak-ng with varied voice variant, gender, speed and pitch, and background noise on some clips; sound
items (beeps, sweeps, tone pairs, sources) are drawn from random parameters with the mini suite's own
renderer and question writer. Nothing said or asked in the shipped `mini` test data may appear: every
utterance is checked against the texts of every mini manifest as it exists when the split is built
(`mini_test_texts`), and a rejected one is replaced by a fresh draw.

Outputs: audio/*.flac, train-asr.jsonl (with gender/rate metadata), train-s2tt.jsonl,
train-sounds.jsonl and build_info.json (sources, licences, tool versions, counts, seed).
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import re
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_mini as bm

LANGS = bm.LANGS
WORDS_PER_LANG = 6000  # top words kept per language (Vietnamese lists syllables, so more of them are short)
UTTERANCE_WORDS = (3, 9)
TEMPLATE_SHARE = 0.2  # share of speech clips from the parallel templates (the only translation pairs)
NUMBER_SHARE = 0.3  # share of utterances with a number written as digits (the mini sentences have prices, years)
NOISE_SHARE = 0.3  # share of speech clips with added background noise
DISTINCT_SHARE = 0.5  # for id/ms: share of words drawn from the words that mark one language against the other
SCRIPTS = {
    "en": r"[a-z]+(?:'[a-z]+)?",
    "id": r"[a-z]+",
    "ms": r"[a-z]+",
    "vi": r"[a-zàáâãèéêìíòóôõùúýăđĩũơưạ-ỹ]+",
    "ta": r"[\u0b80-\u0bff]+",
    "zh": r"[\u4e00-\u9fff]+",
    "th": r"[\u0e01-\u0e4e]+",
}
SOURCES = {
    "wordfreq": "wordfreq (code Apache-2.0; word lists CC-BY-SA 4.0, from Wikipedia, subtitles, news, books, web text)",
    "pythainlp tnc_freq.txt": "Thai National Corpus word frequencies shipped in pythainlp (CC0-1.0)",
    "train.yaml": "parallel templates written for SeaBench (Apache-2.0)",
}


# ---------------------------------------------------------------- word lists


def word_list(lang: str, n: int = WORDS_PER_LANG) -> tuple[list[str], np.ndarray]:
    """The `n` most frequent words of a language in its own script, with their frequencies."""
    pattern = re.compile(SCRIPTS[lang])
    if lang == "th":
        pairs = _thai_frequencies()
    else:
        from wordfreq import get_frequency_dict

        pairs = sorted(get_frequency_dict(lang, wordlist="best").items(), key=lambda kv: -kv[1])
    words, freqs = [], []
    for word, freq in pairs:
        if pattern.fullmatch(word) and (lang in ("zh", "th") or len(word) > 1 or word in ("a", "i")):
            words.append(word)
            freqs.append(float(freq))
            if len(words) == n:
                break
    return words, np.asarray(freqs)


def _thai_frequencies() -> list[tuple[str, float]]:
    import pythainlp.corpus

    path = Path(pythainlp.corpus.__file__).parent / "tnc_freq.txt"
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition("\t")
        if count.strip().isdigit():
            pairs.append((word.strip(), float(count)))
    return sorted(pairs, key=lambda kv: -kv[1])


def distinct_words(lang: str, other: str, words: list[str]) -> list[str]:
    """Words of `lang` at least 8x more frequent there than in `other` (Malay vs Indonesian cues)."""
    from wordfreq import word_frequency

    return [w for w in words if word_frequency(w, lang) > 8 * word_frequency(w, other)]


@dataclass
class Lexicon:
    words: list[str]
    cdf: np.ndarray  # cumulative sampling probabilities (tempered frequencies)
    distinct: list[str]

    def draw(self, rng: np.random.Generator) -> str:
        return self.words[min(len(self.words) - 1, int(np.searchsorted(self.cdf, rng.random())))]


@functools.lru_cache(maxsize=1)
def lexicons() -> dict[str, Lexicon]:
    out = {}
    lists = {lang: word_list(lang) for lang in LANGS}
    for lang, (words, freqs) in lists.items():
        weights = freqs**0.4
        other = {"id": "ms", "ms": "id"}.get(lang)
        distinct = distinct_words(lang, other, words) if other else []
        out[lang] = Lexicon(words, np.cumsum(weights / weights.sum()), distinct)
    return out


# ---------------------------------------------------------------- utterances


def number_text(rng: np.random.Generator, lang: str) -> str:
    """A number as digits, the way the mini sentences write prices, counts and years."""
    kind = int(rng.integers(3))
    if kind == 0:
        value = int(rng.integers(1990, 2031))
        return f"{value}年" if lang == "zh" else str(value)
    if kind == 1:
        return str(int(rng.integers(2, 100)))
    return str(int(rng.integers(1, 20)) * 50)


def compose(rng: np.random.Generator, lang: str, lex: Lexicon) -> str:
    """A random utterance: frequency-weighted words, sometimes a number, written like a sentence."""
    count = int(rng.integers(UTTERANCE_WORDS[0], UTTERANCE_WORDS[1] + 1))
    words = []
    for _ in range(count):
        if lex.distinct and rng.random() < DISTINCT_SHARE:
            words.append(lex.distinct[int(rng.integers(len(lex.distinct)))])
        else:
            words.append(lex.draw(rng))
    if rng.random() < NUMBER_SHARE:
        words.insert(int(rng.integers(len(words) + 1)), number_text(rng, lang))
    if lang == "zh":
        return "".join(words) + "。"
    if lang == "th":
        # Thai writes phrases without spaces; a space sometimes separates two phrases
        return "".join(w + (" " if rng.random() < 0.2 else "") for w in words).strip()
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


# ---------------------------------------------------------------- the leak check


def mini_test_texts(data_dir: Path = bm.DATA) -> set[str]:
    """Normalised form of everything said or asked in the shipped mini data, read as it is now.

    Every manifest's references, transcripts, questions and instructions, plus the hand-written content
    (passages and their single sentences), so content added to the mini suite later is covered too.
    """
    texts: list[str] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            refs = row.get("reference")
            texts += refs if isinstance(refs, list) else [refs] if isinstance(refs, str) else []
            meta = row.get("metadata") or {}
            for key in ("transcript", "question"):
                if isinstance(meta.get(key), str):
                    texts += [meta[key], *bm.split_sentences(meta[key])]
            texts.append(row.get("instruction", ""))
    for lang in LANGS:
        texts += bm.test_texts(lang)
    return {n for n in map(bm.normalise_text, texts) if n}


class LeakCheck:
    """Rejects an utterance equal to, containing, or contained in any mini test text (after normalisation).

    Test texts shorter than MIN_CONTAINED characters (two-character answers such as `五棵` or `20`) are matched
    by equality only: as substrings they would reject every utterance that happens to hold those characters.
    """

    MIN_CONTAINED = 3

    def __init__(self, test_texts: set[str]) -> None:
        self.texts = test_texts
        self.joined = "\0" + "\0".join(sorted(test_texts)) + "\0"
        self.contained = sorted((t for t in test_texts if len(t) >= self.MIN_CONTAINED), key=len)
        self.rejected = 0

    def leaks(self, text: str) -> bool:
        norm = bm.normalise_text(text)
        if not norm or norm in self.texts:
            return True
        if len(norm) >= self.MIN_CONTAINED and norm in self.joined:  # inside a test text
            return True
        for test in self.contained:
            if len(test) > len(norm):
                break
            if test in norm:
                return True
        return False

    def accept(self, text: str) -> bool:
        bad = self.leaks(text)
        self.rejected += bad
        return not bad


# ---------------------------------------------------------------- sounds


def sound_spec(rng: np.random.Generator, k: int, speech: Callable[[str], str]) -> dict[str, Any]:
    """Random parameters for one sound item of the mini kinds (ids `train-sound-*` seed its noise)."""
    sid = f"train-sound-{k:06d}"
    kind = ["beeps", "sweep", "pitch_pair", "loudness_pair", "duration_pair", "source"][k % 6]
    noisy = rng.random() < 0.3
    spec: dict[str, Any] = {"id": sid, "kind": kind, "difficulty": "train"}
    if kind == "beeps":
        spec.update(category="counting", count=int(rng.integers(1, 9)), freq=int(rng.integers(300, 2200)),
                    beep=round(float(rng.uniform(0.05, 0.22)), 3), gap=round(float(rng.uniform(0.08, 0.4)), 3))
    elif kind == "sweep":
        direction = ["rising", "falling", "steady", "rise-fall"][int(rng.integers(4))]
        low = int(rng.integers(250, 900))
        high = low + int(rng.integers(60, 1200))
        f0, f1 = {"rising": (low, high), "falling": (high, low), "steady": (low, low), "rise-fall": (low, high)}[direction]
        spec.update(category="pitch", direction=direction, f0=f0, f1=f1, dur=round(float(rng.uniform(1.0, 2.2)), 2))
    elif kind == "pitch_pair":
        first = int(rng.integers(250, 1500))
        ratio = 1.0 if rng.random() < 0.2 else float(rng.uniform(1.08, 2.5)) ** float(rng.choice([-1, 1]))
        spec.update(category="pitch", f_first=first, f_second=int(first * ratio))
    elif kind == "loudness_pair":
        loud = -int(rng.integers(0, 6))
        levels = [loud, loud if rng.random() < 0.2 else loud - int(rng.integers(3, 22))]
        first, second = levels if rng.random() < 0.5 else levels[::-1]
        spec.update(category="loudness", freq=int(rng.integers(300, 1500)), db_first=first, db_second=second)
    elif kind == "duration_pair":
        first = round(float(rng.uniform(0.2, 1.3)), 2)
        second = first if rng.random() < 0.2 else round(float(np.clip(first * rng.uniform(0.3, 1.9), 0.15, 1.5)), 2)
        spec.update(category="duration", freq=int(rng.integers(300, 1500)), dur_first=first, dur_second=second)
    else:
        source = list(bm.SOURCE_LABELS)[int(rng.integers(len(bm.SOURCE_LABELS)))]
        spec.update(category="source", source=source, dur=round(float(rng.uniform(1.0, 2.0)), 2))
        if source in ("speech", "speech_noise"):
            lang = LANGS[int(rng.integers(len(LANGS)))]
            spec.update(speech_lang=lang, speech_text=speech(lang))
        if source in ("tone", "tone_noise"):
            spec["freq"] = int(rng.integers(200, 1800))
        if source == "chord":
            root = int(rng.integers(180, 500))
            spec["freqs"] = [int(root * r) for r in [1, 1.26, 1.5, 2.0][: int(rng.integers(2, 5))]]
        if source == "noise" and rng.random() < 0.4:
            spec["lowpass"] = int(rng.integers(500, 3000))
        noisy = source in ("speech_noise", "tone_noise")
    if noisy:
        spec["noise_db"] = int(rng.integers(-24, -10))
    return spec


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Job:
    path: str
    text: str = ""
    voice: bm.Voice | None = None
    snr_db: float | None = None  # background noise for speech
    sound: str = ""  # JSON spec for a sound item


def render(job_out: tuple[Job, str]) -> str:
    job, out = job_out
    if job.voice is not None:
        audio = bm.synthesize(job.text, job.voice)
        if job.snr_db is not None:
            rng = np.random.default_rng(zlib.crc32(job.path.encode()))
            noise = rng.standard_normal(len(audio))
            if rng.random() < 0.5:  # pinkish: a running mean tilts the spectrum down
                noise = np.convolve(noise, np.ones(4) / 4, mode="same")
            power = float(np.mean(audio.astype(np.float64) ** 2)) or 1e-8
            noise *= np.sqrt(power / 10 ** (job.snr_db / 10) / np.mean(noise**2))
            audio = bm.normalise_peak((audio + noise).astype(np.float32))
        bm.write_flac(Path(out) / job.path, audio, bm.SPEECH_BITS)
    else:
        bm.write_flac(Path(out) / job.path, bm.make_sound(json.loads(job.sound)), 16)
    return job.path


def render_all(jobs: list[Job], out: Path, workers: int) -> None:
    from rich.progress import Progress

    pending = [(job, str(out)) for job in jobs if not (out / job.path).exists()]  # resumable
    with Progress(transient=True) as progress:
        bar = progress.add_task("synthesising", total=len(pending))
        if workers <= 1:
            for item in pending:
                render(item)
                progress.advance(bar)
            return
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for _ in pool.imap_unordered(render, pending, chunksize=16):
                progress.advance(bar)


# ---------------------------------------------------------------- the split


def plan(clips: int, sounds: int, seed: int, check: LeakCheck) -> tuple[list[Job], dict[str, list[dict]]]:
    """Every clip to render and every manifest row, as a pure function of the sizes and the seed."""
    rng = np.random.default_rng(seed)
    lex = lexicons()
    templates = list(bm._train_choices())
    template_order = rng.permutation(len(templates))
    jobs: list[Job] = []
    asr: list[dict] = []
    s2tt: list[dict] = []
    seen: set[str] = set()
    for i in range(clips):
        lang = LANGS[i % len(LANGS)]
        from_template = rng.random() < TEMPLATE_SHARE
        while True:
            if from_template:
                _, choice, template = templates[int(template_order[int(rng.integers(len(templates)))])]
                text = bm._fill(template[lang], lang, choice)
            else:
                text = compose(rng, lang, lex[lang])
            if check.accept(text) and (from_template or text not in seen):
                break
        seen.add(text)
        voice = bm._train_voice(rng, lang)
        snr = round(float(rng.uniform(12, 35)), 1) if rng.random() < NOISE_SHARE else None
        audio = f"audio/train-{i:06d}.flac"
        jobs.append(Job(audio, text, voice, snr))
        meta = {**voice.metadata(), "subset": "template" if from_template else "wordlist", "snr_db": snr}
        asr.append(bm._row(f"train-asr-{lang}-{i:06d}", audio, lang,
                           f"Transcribe the speech in {bm.LANG_NAMES[lang]}.", meta, reference=text))
        if from_template:
            for tgt in (bm.S2TT_FROM_EN if lang == "en" else ("en",)):
                s2tt.append(bm._row(f"train-s2tt-{lang}-{tgt}-{i:06d}", audio, lang,
                                    f"Translate the {bm.LANG_NAMES[lang]} speech into {bm.LANG_NAMES[tgt]}.", meta,
                                    reference=bm._fill(template[tgt], tgt, choice), target_language=tgt))
    sound_rows: list[dict] = []
    def speech(lang: str) -> str:
        while not check.accept(text := compose(rng, lang, lex[lang])):
            pass
        return text

    for k in range(sounds):
        spec = sound_spec(rng, k, speech)
        audio = f"audio/{spec['id']}.flac"
        jobs.append(Job(audio, sound=json.dumps(spec, sort_keys=True, ensure_ascii=False)))
        question, choices, label = bm.sound_question(spec)
        meta = {"subset": spec["kind"], "category": spec["category"], "speech_text": spec.get("speech_text")}
        sound_rows.append(bm._row(spec["id"], audio, "en", question, {k: v for k, v in meta.items() if v},
                                  choices=choices, label=label))
    return jobs, {"train-asr": asr, "train-s2tt": s2tt, "train-sounds": sound_rows}


def texts_digest(texts: set[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(sorted(texts)).encode()).hexdigest()


def prune(out: Path, check: LeakCheck) -> list[str]:
    """Drop every row of an existing split that leaks into the mini data as it is now (content added after
    the split was built); returns the dropped ids. Sound items are checked by their spoken text."""
    spoken = {}
    for row in _read_jsonl(out / "train-asr.jsonl"):
        spoken[row["audio"]] = row["reference"]
    dropped: list[str] = []
    for name in ("train-asr", "train-s2tt", "train-sounds"):
        path = out / f"{name}.jsonl"
        if not path.exists():
            continue
        rows = _read_jsonl(path)
        keep = [r for r in rows if not _row_leaks(r, spoken, check)]
        dropped += [r["id"] for r in rows if r not in keep]
        if len(keep) != len(rows):
            bm._write_jsonl(path, keep)
    return dropped


SPEECH_SOURCES = {bm.SOURCE_LABELS["speech"], bm.SOURCE_LABELS["speech_noise"]}


def _row_leaks(row: dict, spoken: dict[str, str], check: LeakCheck) -> bool:
    meta = row.get("metadata") or {}
    if row.get("label") in SPEECH_SOURCES and not meta.get("speech_text"):
        return True  # a speech sound whose words were not recorded cannot be checked
    said = [spoken.get(row["audio"], ""), row.get("reference") or "", meta.get("speech_text", "")]
    return any(text and check.leaks(text) for text in said)


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(out: Path, clips: int, sounds: int, seed: int = 0, workers: int = bm.WORKERS) -> dict[str, Any]:
    import wordfreq

    start = time.perf_counter()
    check = LeakCheck(mini_test_texts())
    jobs, manifests = plan(clips, sounds, seed, check)
    out.mkdir(parents=True, exist_ok=True)
    render_all(jobs, out, workers)
    for name, rows in manifests.items():
        bm._write_jsonl(out / f"{name}.jsonl", rows)
    import pythainlp

    info = {
        "command": f"python scripts/build_train.py --out {out} --clips {clips} --sounds {sounds} --seed {seed}",
        "seed": seed,
        "items": {name: len(rows) for name, rows in manifests.items()},
        "leak_check": {"mini_test_texts": len(check.texts), "mini_texts_sha256": texts_digest(check.texts),
                       "rejected_draws": check.rejected},
        "sources": SOURCES,
        "tools": {**bm.tool_versions(), "wordfreq": wordfreq.__version__ if hasattr(wordfreq, "__version__") else _dist("wordfreq"),
                  "pythainlp": pythainlp.__version__},
        "build_seconds": round(time.perf_counter() - start, 1),
    }
    (out / "build_info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return info


def _dist(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the train split")
    parser.add_argument("--clips", type=int, default=24000, help="speech clips (default: %(default)s)")
    parser.add_argument("--sounds", type=int, default=3000, help="sound items (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=bm.WORKERS)
    parser.add_argument("--prune", action="store_true",
                        help="only re-check an existing split against the mini data as it is now and drop leaking rows")
    args = parser.parse_args(argv)
    try:
        import wordfreq  # noqa: F401
    except ImportError:
        print("build_train.py needs wordfreq: pip install 'seabench[train]'", file=sys.stderr)
        return 2
    if args.prune:
        check = LeakCheck(mini_test_texts())
        dropped = prune(args.out, check)
        info_path = args.out / "build_info.json"
        info = json.loads(info_path.read_text(encoding="utf-8"))
        info.setdefault("pruned", []).append({"mini_test_texts": len(check.texts),
                                              "mini_texts_sha256": texts_digest(check.texts), "dropped": dropped})
        info_path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{len(dropped)} rows dropped from {args.out}: they leak into the current mini data")
        return 0
    info = build(args.out, args.clips, args.sounds, args.seed, args.workers)
    print(f"train split in {args.out}: {info['items']}, {info['leak_check']['rejected_draws']} draws rejected "
          f"by the leak check ({info['build_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
