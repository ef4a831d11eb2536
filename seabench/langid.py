"""Offline language identification of model answers, for the wrong-language rate.

py3langid ships its own model (no download) and is loaded once, lazily. It is restricted to the
languages a SeaBench answer is plausibly in, which removes most confusions on short text. The
wrong-language test is deliberately conservative: a false alarm would turn a right answer into
a counted failure, so short, numeric or code-switched answers are never flagged.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np

from seabench.extract import strip_reasoning

# SEA languages, the other languages of the benchmark, and the usual "wrong" answers.
LANGUAGES = (
    "en", "id", "ms", "vi", "th", "zh", "ta", "tl", "jv", "my", "km", "lo",
    "ja", "ko", "hi", "ar", "fr", "de", "es", "pt", "ru", "nl", "it",
)
# Languages langid cannot tell apart reliably; an answer in either is accepted for both.
_FAMILIES = ({"id", "ms"}, {"zh", "yue", "cmn", "wuu"})
_ALIASES = {"fil": "tl", "zsm": "ms", "ind": "id", "msa": "ms", "may": "ms", "vie": "vi", "tha": "th", "zho": "zh",
            "chi": "zh", "cmn": "zh", "yue": "zh", "tam": "ta", "eng": "en", "jav": "jv", "mya": "my", "bur": "my",
            "khm": "km", "lao": "lo", "in": "id"}

# Runs of one script; unsegmented scripts count code points per word, the rest one word per run.
_RUNS = (
    ("th", re.compile(r"[\u0e00-\u0e7f]+"), 5.0),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"), 1.5),
    ("ja", re.compile(r"[\u3040-\u30ff]+"), 2.0),
    ("lo", re.compile(r"[\u0e80-\u0eff]+"), 5.0),
    ("km", re.compile(r"[\u1780-\u17ff]+"), 5.0),
    ("my", re.compile(r"[\u1000-\u109f]+"), 5.0),
    ("ta", re.compile(r"[\u0b80-\u0bff]+"), 0.0),
    ("ko", re.compile(r"[\uac00-\ud7af]+"), 0.0),
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+"), 0.0),
)
_RUN_RE = re.compile("|".join(f"(?P<{name}>{rx.pattern})" for name, rx, _ in _RUNS))
_PER_WORD = {name: per_word for name, _, per_word in _RUNS}
_LATIN_LANGS = frozenset({"en", "id", "ms", "vi", "tl", "jv", "fr", "de", "es", "pt", "nl", "it"})

MIN_WORDS = 4  # fewer Latin words (or about that much Thai/Han text) is never judged
MIN_CONFIDENCE = 0.9
MIN_SHARE = 0.2  # this much of the answer in the expected language: code-switched, not wrong
_WINDOW = 5  # words per window when measuring a Latin-script answer's share
_MARKUP = re.compile(r"https?://\S+|<[^>]+>")


def _clean(text: str) -> str:
    """The answer without reasoning, URLs, tags, digits, punctuation and symbols (marks kept)."""
    text = unicodedata.normalize("NFC", _MARKUP.sub(" ", strip_reasoning(text or "")))
    return " ".join("".join(" " if unicodedata.category(c)[0] in "PSNZ" else c for c in text).split())


def primary(code: str) -> str:
    """BCP-47 primary subtag, lower-cased, with three-letter and legacy codes mapped to two."""
    tag = code.replace("_", "-").split("-")[0].lower()
    return _ALIASES.get(tag, tag)


def compatible(a: str, b: str) -> bool:
    a, b = primary(a), primary(b)
    return a == b or any(a in family and b in family for family in _FAMILIES)


@cache
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import LanguageIdentifier

    ptc, pc, classes, nextmove, row, output = _model()
    identifier = LanguageIdentifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True,
                                    tk_row=row)
    identifier.set_languages([lang for lang in LANGUAGES if lang in identifier.labels])
    return identifier


def _model() -> tuple:  # type: ignore[type-arg]
    """py3langid's model arrays. Its file is LZMA-compressed (half a second to unpack in every
    process), so the unpacked arrays are kept in the cache directory, keyed by the file's digest."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import _to_array, load_model

    from seabench.cache import cache_dir

    source = MODEL_DIR / MODEL_FILE
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    unpacked = cache_dir() / "langid" / f"{digest}.npz"
    try:
        with np.load(unpacked, allow_pickle=False) as data:
            return (data["ptc"], data["pc"], data["classes"].tolist(), _to_array(data["nextmove"]),
                    _to_array(data["nextmove_row"]), data["out_feat"].tolist())
    except (OSError, ValueError, KeyError):
        pass
    model = load_model(source)
    _store(unpacked, model)
    return model


def _store(path: Path, model: tuple) -> None:  # type: ignore[type-arg]
    """Keep the unpacked arrays for the next process (best effort: a read-only cache only costs time)."""
    from seabench.cache import write_cache_file

    ptc, pc, classes, nextmove, row, output = model
    buffer = io.BytesIO()
    np.savez(buffer, ptc=ptc, pc=pc, classes=np.array(classes), nextmove=np.asarray(nextmove),
             nextmove_row=np.asarray(row), out_feat=np.array(output, dtype=np.int32))
    write_cache_file(path, buffer.getvalue())


def detect_language(text: str) -> tuple[str, float]:
    """(primary subtag, confidence in 0..1) of `text`; ("und", 0.0) when there is nothing to judge."""
    clean = _clean(text)
    if not clean:
        return "und", 0.0
    lang, confidence = _identifier().classify(clean)
    return lang, float(confidence)


def _words_by_script(text: str) -> dict[str, float]:
    """Rough word counts per script (Thai ~5 code points a word, Chinese ~1.5 characters)."""
    counts: dict[str, float] = {}
    for m in _RUN_RE.finditer(text):
        script = m.lastgroup or "latin"
        if script == "latin" and len(m.group()) == 1:
            continue  # option letters and "a"/"I" say nothing about the language
        per_word = _PER_WORD[script]
        counts[script] = counts.get(script, 0.0) + (len(m.group()) / per_word if per_word else 1.0)
    return counts


def _scripts_of(lang: str) -> tuple[str, ...]:
    if lang in _LATIN_LANGS:
        return ("latin",)
    return ("ja", "zh") if lang == "ja" else (lang,)  # Japanese mixes kana and kanji


def _latin_share(text: str, expected: str) -> float:
    """Share of word windows identified as the expected language (code-switching stays in)."""
    words = re.findall(r"[^\W\d_]+", text)
    windows = [" ".join(words[i: i + _WINDOW]) for i in range(0, len(words), _WINDOW)]
    windows = [w for w in windows if len(w.split()) >= 3] or [" ".join(words)]
    hits = sum(1 for w in windows if compatible(_identifier().classify(w)[0], expected))
    return hits / len(windows)


def is_wrong_language(text: str, expected: str) -> bool:
    """True only when confident the answer is in a language other than `expected`."""
    exp = primary(expected)
    if exp not in LANGUAGES or not all(script in _PER_WORD for script in _scripts_of(exp)):
        return False  # a language or script we do not model: never claim it is absent
    clean = _clean(text)
    words = _words_by_script(clean)
    total = sum(words.values())
    if total < MIN_WORDS:
        return False
    if sum(words.get(script, 0.0) for script in _scripts_of(exp)) / total < MIN_SHARE:
        return True  # (almost) nothing written in the expected language's script
    if exp not in _LATIN_LANGS:
        return False
    lang, confidence = detect_language(clean)
    if compatible(lang, exp) or confidence < MIN_CONFIDENCE:
        return False
    return _latin_share(clean, exp) < MIN_SHARE
