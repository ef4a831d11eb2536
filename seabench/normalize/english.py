"""English (en) and Singapore English (en-SG) normalisers, Whisper-English-style but our own rules.

Choices (see docs/NORMALIZATION.md): number words -> digits ("twenty five" -> "25",
"third" -> "3rd"), British -> American spelling, unambiguous contractions expanded
("don't" -> "do not") while 's and 'd stay (is/has/possessive, had/would), fillers removed.
en-SG keeps Singlish discourse particles, including "ah", as words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from seabench.normalize._base import APOSTROPHE_MARK, BaseNormalizer
from seabench.normalize._numbers import (
    HUNDRED,
    SCALE,
    TEEN,
    TENS,
    UNIT,
    Lexicon,
    NumberParser,
    Word,
)

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_UNIT_ORD = "zeroth first second third fourth fifth sixth seventh eighth ninth".split()
_TEEN_ORD = ("tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth "
             "eighteenth nineteenth").split()
_TENS_ORD = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def _lexicon() -> Lexicon:
    words: dict[str, Word] = {}
    for i, (w, o) in enumerate(zip(_UNITS, _UNIT_ORD)):
        words[w], words[o] = Word(UNIT, i), Word(UNIT, i, ordinal=True)
    for i, (w, o) in enumerate(zip(_TEENS, _TEEN_ORD)):
        words[w], words[o] = Word(TEEN, 10 + i), Word(TEEN, 10 + i, ordinal=True)
    for i, (w, o) in enumerate(zip(_TENS, _TENS_ORD)):
        words[w], words[o] = Word(TENS, 20 + 10 * i), Word(TENS, 20 + 10 * i, ordinal=True)
    words["hundred"], words["hundredth"] = Word(HUNDRED, 100), Word(HUNDRED, 100, ordinal=True)
    for w, v in _SCALES.items():
        words[w], words[w + "th"] = Word(SCALE, v), Word(SCALE, v, ordinal=True)
    return Lexicon(words, point=frozenset({"point"}), conjunction=frozenset({"and"}),
                   article=frozenset({"a"}), years=True,
                   ordinal_suffix=True)


_NUMBERS = NumberParser(_lexicon())

# British -> American. Families are rules so inflections follow ("colourful", "organisations").
_OUR = re.compile(
    r"^(arm|behavi|cand|clam|col|endeav|fav|flav|harb|hon|hum|lab|neighb|od|parl|rum|sav|savi|"
    r"splend|tum|val|vap|vig)our(s|ed|ing|ite|ites|ful|fully|less|able|ably|er|ers|hood|y)?$")
_ISE = re.compile(
    r"^(apolog|author|capital|categor|central|character|civil|critic|emphas|final|global|harmon|"
    r"legal|maxim|memor|minim|mobil|modern|normal|optim|organ|priorit|real|recogn|special|"
    r"stabil|standard|summar|symbol|sympath|util|visual)is(e|ed|es|ing|ation|ations|er|ers)$")
_YSE = re.compile(r"^(anal|paral|catal)ys(e|ed|es|ing|er|ers)$")
_RE = re.compile(r"^(calib|cent|centimet|fib|kilomet|lit|lust|meag|met|millilit|millimet|"
                 r"somb|spect|theat)re(s|d)?$")
_LL = re.compile(r"^(cancel|channel|counsel|dial|duel|equal|fuel|funnel|label|level|libel|marvel|"
                 r"model|pedal|quarrel|rival|shovel|signal|snorkel|swivel|total|travel|tunnel|"
                 r"unravel)l(ed|ing|er|ers|or|ors|ous)$")
_WORDS = {
    "aeroplane": "airplane", "aeroplanes": "airplanes", "ageing": "aging",
    "aluminium": "aluminum", "catalogue": "catalog", "catalogues": "catalogs",
    "defence": "defense", "defences": "defenses", "doughnut": "donut", "doughnuts": "donuts",
    "encyclopaedia": "encyclopedia", "enrol": "enroll", "enrolment": "enrollment",
    "fulfil": "fulfill", "grey": "gray", "greys": "grays", "instalment": "installment",
    "jewellery": "jewelry", "judgement": "judgment", "judgements": "judgments",
    "licence": "license", "licences": "licenses", "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers", "mould": "mold", "moustache": "mustache", "offence": "offense",
    "offences": "offenses", "plough": "plow", "practise": "practice", "practised": "practiced",
    "practises": "practices", "practising": "practicing", "pretence": "pretense",
    "programme": "program", "programmes": "programs", "pyjamas": "pajamas",
    "sceptical": "skeptical", "skilful": "skillful", "tyre": "tire", "tyres": "tires",
    "okay": "ok", "mister": "mr",
}
_MULTI = {"alright": ["all", "right"], "cannot": ["can", "not"]}


@lru_cache(maxsize=1 << 16)
def american(word: str) -> str:
    """One spelling per word: the American one (also before a possessive 's)."""
    if word.endswith("'s"):
        return american(word[:-2]) + "'s"
    if word in _WORDS:
        return _WORDS[word]
    if m := _OUR.match(word):
        return f"{m[1]}or{m[2] or ''}"
    if m := _ISE.match(word):
        return f"{m[1]}iz{m[2]}"
    if m := _YSE.match(word):
        return f"{m[1]}yz{m[2]}"
    if m := _RE.match(word):
        return m[1] + {None: "er", "s": "ers", "d": "ered"}[m[2]]
    if m := _LL.match(word):
        return m[1] + m[2]
    return word


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_CONTRACTIONS = [
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"\bi'm\b"), "i am"),
]
_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_CURRENCY = re.compile(r"([$£€])\s*(\d[\d\ue000]*)(\s+(?:thousand|million|billion|trillion)\b)?")
_CURRENCY_NAMES = {"$": "dollar", "£": "pound", "€": "euro"}


def _currency(m: re.Match[str]) -> str:
    amount, name = m[2], _CURRENCY_NAMES[m[1]]
    plural = "" if amount == "1" and not m[3] else "s"
    return f" {amount}{m[3] or ''} {name}{plural} "


class EnglishNormalizer(BaseNormalizer):
    language = "en"
    version = "en-1"
    percent = "percent"
    fillers = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm",
                         "mmm", "mhm"})

    def _before_punctuation(self, text: str) -> str:
        text = text.translate(_APOSTROPHES)
        if "'" in text:
            for pattern, expansion in _CONTRACTIONS:
                text = pattern.sub(expansion, text)
            text = _INNER_APOSTROPHE.sub(APOSTROPHE_MARK, text)
        text = _CURRENCY.sub(_currency, text)
        return super()._before_punctuation(text.replace("&", " and "))

    def _tokens(self, tokens: list[str]) -> list[str]:
        kept: list[str] = []
        for token in tokens:
            if token in self.fillers:
                continue
            if token == "cent" and kept and kept[-1] == "per":
                kept[-1] = "percent"
                continue
            kept.extend(_MULTI.get(token, [token]))
        return [american(t) for t in _NUMBERS.convert(kept)]


_PARTICLE_SPELLINGS = {"la": "lah", "lahh": "lah", "lorh": "lor", "siah": "sia", "horh": "hor",
                       "ahh": "ah", "aah": "ah"}


class SinglishNormalizer(EnglishNormalizer):
    """en-SG: Singlish particles (lah, leh, lor, meh, sia, hor, ah...) are words, not fillers."""

    version = "en-SG-1"
    fillers = EnglishNormalizer.fillers - {"ah"}

    def _tokens(self, tokens: list[str]) -> list[str]:
        return super()._tokens([_PARTICLE_SPELLINGS.get(t, t) for t in tokens])
