"""Offline language identification of model answers, for the wrong-language rate.

py3langid ships its own model (no download) and is loaded once, lazily. It is restricted to the
languages a SeaBench answer is plausibly in, which removes most confusions on short text. The
wrong-language test is deliberately conservative: a false alarm would turn a right answer into
a counted failure, so short, numeric or code-switched answers are never flagged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

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

# Scripts: a language written in its own script is recognised by the script alone.
_SCRIPTS = {
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "zh": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "ta": re.compile(r"[\u0b80-\u0bff]"),
    "lo": re.compile(r"[\u0e80-\u0eff]"),
    "km": re.compile(r"[\u1780-\u17ff]"),
    "my": re.compile(r"[\u1000-\u109f]"),
    "ja": re.compile(r"[\u3040-\u30ff]"),
    "ko": re.compile(r"[\uac00-\ud7af]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
}
_LATIN_LANGS = frozenset({"en", "id", "ms", "vi", "tl", "jv", "fr", "de", "es", "pt", "nl", "it"})

MIN_WORDS = 4  # fewer Latin words (or about that much Thai/Han text) is never judged
MIN_CONFIDENCE = 0.9
MIN_SHARE = 0.3  # this share of the answer in the expected language makes it code-switched, not wrong
_WINDOW = 5  # words per window when measuring a Latin-script answer's share
_NOISE = re.compile(r"https?://\S+|<[^>]+>|[\d\W_]+", re.U)


def primary(code: str) -> str:
    """BCP-47 primary subtag, lower-cased, with three-letter and legacy codes mapped to two."""
    tag = code.replace("_", "-").split("-")[0].lower()
    return _ALIASES.get(tag, tag)


def compatible(a: str, b: str) -> bool:
    a, b = primary(a), primary(b)
    return a == b or any(a in family and b in family for family in _FAMILIES)


@cache
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # lazy: loads a ~4 MB model

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([lang for lang in LANGUAGES if lang in identifier.labels])
    return identifier


def detect_language(text: str) -> tuple[str, float]:
    """(primary subtag, confidence in 0..1) of `text`; ("und", 0.0) when there is nothing to judge."""
    clean = _NOISE.sub(" ", strip_reasoning(text or "")).strip()
    if not clean:
        return "und", 0.0
    lang, confidence = _identifier().classify(clean)
    return lang, float(confidence)


def _letters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c)[0] == "L"]


def _size(text: str) -> float:
    """Rough word count: Latin-like words, plus Thai/Han characters at about 3 per word."""
    dense = sum(1 for c in text if _SCRIPTS["th"].match(c) or _SCRIPTS["zh"].match(c) or _SCRIPTS["ja"].match(c))
    words = len(re.findall(r"[^\W\d_]+", re.sub(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff]", " ", text)))
    return words + dense / 3


def _script_share(text: str, lang: str) -> float:
    letters = _letters(text)
    if not letters:
        return 0.0
    script = _SCRIPTS["latin"] if lang in _LATIN_LANGS else _SCRIPTS.get(lang)
    if script is None:
        return 1.0  # a script we do not model: never claim it is absent
    weight = 3 if lang == "zh" else 1  # one Han character carries about a Latin word's worth of letters / 3
    own = sum(1 for c in letters if script.match(c)) * weight
    other = len(letters) - own / weight
    return own / (own + other)


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
    known = {primary(lang) for lang in LANGUAGES}
    if exp not in known:
        return False  # cannot judge a language the identifier does not know
    clean = _NOISE.sub(" ", strip_reasoning(text or "")).strip()
    if _size(clean) < MIN_WORDS:
        return False
    if exp not in _LATIN_LANGS:
        return _script_share(clean, exp) < MIN_SHARE / 3 and not _named_only(clean)
    if _script_share(clean, exp) < MIN_SHARE:
        return True  # mostly Thai/Han/Tamil... text where a Latin-script language was expected
    lang, confidence = detect_language(clean)
    if compatible(lang, exp) or confidence < MIN_CONFIDENCE:
        return False
    return _latin_share(clean, exp) < MIN_SHARE


def _named_only(text: str) -> bool:
    """Placeholder hook kept false: Latin text in a Thai/Chinese answer is wrong-language."""
    return False
