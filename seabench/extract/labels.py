"""Free-text answer -> one of a task's labels (gender, emotion, accent, age, language, rate).

Layers: the whole answer is a label or synonym ("exact") -> answer marker tail -> synonyms
anywhere ("synonym") -> none. Synonyms are matched with word boundaries on Latin script and as
substrings (longest first) on Thai/Chinese; a synonym right after a negator ("not male",
"bukan lelaki", "不是男") is ignored. Two different labels found is ambiguous and fails.
"""

from __future__ import annotations

from functools import lru_cache

from seabench.extract._markers import first_sentence, marker_tails
from seabench.extract._synonyms import ALIASES, KIND_ORDER, STOP_FORMS, SYNONYMS
from seabench.extract._text import (
    PhraseFinder,
    match_form,
    negated,
    strip_reasoning,
    to_simplified,
    tokens,
    unique,
    widen_fold,
)
from seabench.extract.choice import NONE, ExtractResult

KINDS = frozenset(SYNONYMS)
# Forms that are ordinary words in a neighbouring language are only active in their own
# ("nam" is male in Vietnamese, "laju" is fast in Malay but "rate" in Indonesian).
_OWN_LANGUAGE_ONLY = {"nam": "vi", "laju": "ms", "biasa": "ms", "tua": "id", "budak": "ms", "datar": "id"}
_ACCENT_GENERIC = frozenset({"accent", "accented", "english", "speaker", "native", "dialect", "non"})


def _concept(kind: str, label: str) -> str | None:
    norm = match_form(label)
    norm = ALIASES.get(kind, {}).get(norm, norm)
    for concept, forms in SYNONYMS[kind].items():
        if norm == match_form(concept) or any(norm == match_form(f) for fs in forms.values() for f in fs):
            return concept
    return None


def _active_forms(forms: dict[str, list[str]], language: str) -> list[str]:
    """All languages' forms (models often answer in another language) minus cross-language traps."""
    return [f for fs in forms.values() for f in fs if _OWN_LANGUAGE_ONLY.get(f, language) == language]


def _accent_forms(label: str, others: list[str]) -> list[str]:
    """A free-text accent label is named by its distinctive words ("Singaporean" in
    "Singaporean English"), widened through the place table (Singapore/Singaporean/Singlish)."""
    other_tokens = set().union(*(tokens(o) for o in others)) if others else set()
    forms = [label]
    for token in tokens(label) - other_tokens - _ACCENT_GENERIC:
        concept = _concept("accent", token)
        forms += [f for fs in SYNONYMS["accent"][concept].values() for f in fs] if concept else [token]
    return forms


@lru_cache(maxsize=256)
def _finder(labels: tuple[str, ...], language: str, kind: str | None) -> tuple[PhraseFinder, dict[str, int]]:
    """Phrase finder over every label's synonyms, plus the whole-answer names of each label
    (its own text and its concept's name, so "en" answers a label "English" and vice versa)."""
    phrases: list[tuple[str, int | None]] = []
    names: dict[str, set[int]] = {}
    kinds_used: set[str] = set()
    for i, label in enumerate(labels):
        names.setdefault(match_form(label), set()).add(i)
        if kind == "accent":
            phrases += [(f, i) for f in _accent_forms(label, [o for o in labels if o != label])]
            kinds_used.add(kind)
            continue
        for k in (kind,) if kind else KIND_ORDER:
            concept = _concept(k, label)
            if concept is not None:
                kinds_used.add(k)  # a code label ("M", "neu", "ms") is matched through its concept
                names.setdefault(match_form(concept), set()).add(i)
                phrases += [(f, i) for f in _active_forms(SYNONYMS[k][concept], language)]
                break
        else:
            phrases.append((label, i))  # a label we have no synonyms for matches its own text
    phrases += [(stop, None) for k in kinds_used for stop in STOP_FORMS.get(k, [])]
    exact = {name: ids.pop() for name, ids in names.items() if len(ids) == 1}
    return PhraseFinder(phrases), exact


def _found(finder: PhraseFinder, text: str) -> int | None:
    norm = match_form(text, keep_clauses=True)
    return unique([key for key, start, _ in finder.find(norm) if not negated(norm, start)])


def _exact(text: str, finder: PhraseFinder, names: dict[str, int]) -> int | None:
    """The whole text is one label ("F", "neu", "ms") or one synonym ("Perempuan.")."""
    norm = match_form(text)
    if norm in names:
        return names[norm]
    hits = finder.find(norm)
    return hits[0][0] if len(hits) == 1 and hits[0][1:] == (0, len(norm)) else None


def extract_label(
    text: str, labels: list[str], language: str = "en", kind: str | None = None
) -> ExtractResult:
    """Which of `labels` the answer names; labels may be names ("female") or codes ("ms")."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown label kind {kind!r}; known: {sorted(KINDS)}")
    answer = to_simplified(widen_fold(strip_reasoning(text or "")))
    if not answer or not labels:
        return NONE
    finder, names = _finder(tuple(labels), language.split("-")[0].lower(), kind)
    index = _exact(answer, finder, names)
    if index is not None:
        return ExtractResult(index, "exact")
    for tail in marker_tails(answer):
        sentence = first_sentence(tail)
        index = _exact(sentence, finder, names)
        if index is None:
            index = _found(finder, sentence)
        if index is not None:
            return ExtractResult(index, "marker")
    index = _found(finder, answer)
    return ExtractResult(index, "synonym") if index is not None else NONE


@lru_cache(maxsize=1)
def _language_finder() -> PhraseFinder:
    names = SYNONYMS["language"]
    codes = list(names)
    return PhraseFinder((form, codes.index(code)) for code, forms in names.items() for fs in forms.values()
                        for form in fs)


def languages_named(text: str) -> set[str]:
    """Language codes whose names appear in `text` in any supported language ("into Thai",
    "sang tiếng Việt", "เป็นภาษาอังกฤษ", "翻译成中文")."""
    codes = list(SYNONYMS["language"])
    norm = match_form(to_simplified(widen_fold(text or "")))
    return {codes[key] for key, _, _ in _language_finder().find(norm) if key is not None}
