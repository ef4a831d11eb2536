"""English (en) and Singapore English (en-SG) normalisers, Whisper-English-style but our own rules.

Choices (see docs/NORMALIZATION.md): number words -> digits ("twenty five" -> "25",
"third" -> "3rd"), British -> American spelling, contractions expanded ("don't" -> "do not",
"it's" -> "it is", "we're" -> "we are", "he's been" -> "he has been"; 's after a noun stays: it is
a possessive, and 'd stays unless "had" is certain), "a.m."/"p.m." as one word ("5pm" = "5 p.m."
= "5 pm"), fillers removed. en-SG keeps Singlish discourse particles, including "ah", as words.

`WhisperEnglishNormalizer` (`normalizer=whisper-en`) follows instead the documented steps of the
English normaliser in openai/whisper, which the Open ASR Leaderboard applies; see its docstring.
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
    "chilli": "chili", "chillies": "chilies", "okay": "ok", "mister": "mr",
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
# 's is "is" after these (pronouns, wh-words, there/here); after a noun it is a possessive.
_IS_HOSTS = ("it|that|what|where|who|there|here|he|she|how|when|why|this|everybody|everyone|nobody|somebody|"
             "someone|something|nothing|everything")
_CONTRACTIONS = [
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"\blet's\b"), "let us"),
    (re.compile(r"'s (been|got|gone)\b"), r" has \1"),
    (re.compile(r"'d (been|gone|done)\b"), r" had \1"),
    (re.compile(rf"\b({_IS_HOSTS})'s\b"), r"\1 is"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"\bi'm\b"), "i am"),
]
# "a.m." / "p.m." (also "a. m.", "am", "5pm") become one word, split from a number glued to it
_MERIDIEM = re.compile(r"\b([ap])\.\s?m\b\.?")
_GLUED_MERIDIEM = re.compile(r"(\d)([ap]m)\b")
_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_CURRENCY = re.compile(r"([$£€])\s*(\d[\d\ue000]*)(\s+(?:thousand|million|billion|trillion)\b)?")
_CURRENCY_NAMES = {"$": "dollar", "£": "pound", "€": "euro"}


def _currency(m: re.Match[str]) -> str:
    amount, name = m[2], _CURRENCY_NAMES[m[1]]
    plural = "" if amount == "1" and not m[3] else "s"
    return f" {amount}{m[3] or ''} {name}{plural} "


class EnglishNormalizer(BaseNormalizer):
    language = "en"
    version = "en-2"
    percent = "percent"
    fillers = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm",
                         "mmm", "mhm"})

    def _before_punctuation(self, text: str) -> str:
        text = _GLUED_MERIDIEM.sub(r"\1 \2", _MERIDIEM.sub(r"\1m", text.translate(_APOSTROPHES)))
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

    version = "en-SG-2"
    fillers = EnglishNormalizer.fillers - {"ah"}

    def _tokens(self, tokens: list[str]) -> list[str]:
        return super()._tokens([_PARTICLE_SPELLINGS.get(t, t) for t in tokens])


# ---------------------------------------------------------------- normalizer=whisper-en

_W_BRACKETS = re.compile(r"[<\[][^>\]]*[>\]]")  # [noise], <unk>
_W_PARENS = re.compile(r"\(([^)]+?)\)")
_W_FILLERS = re.compile(r"\b(?:hmm|mm|mhm|mmm|uh|um)\b")
_W_SPACE_APOSTROPHE = re.compile(r"\s+'")
# Whisper's fixed replacements, in its order: colloquial forms, titles, perfect tenses, then any 'x.
_W_WORDS = {
    "won't": "will not", "can't": "can not", "let's": "let us", "ain't": "aint", "y'all": "you all",
    "wanna": "want to", "gotta": "got to", "gonna": "going to", "i'ma": "i am going to", "imma": "i am going to",
    "woulda": "would have", "coulda": "could have", "shoulda": "should have", "ma'am": "madam",
    "mr": "mister ", "mrs": "missus ", "st": "saint ", "dr": "doctor ", "prof": "professor ", "capt": "captain ",
    "gov": "governor ", "ald": "alderman ", "gen": "general ", "sen": "senator ", "rep": "representative ",
    "pres": "president ", "rev": "reverend ", "hon": "honorable ", "asst": "assistant ", "assoc": "associate ",
    "lt": "lieutenant ", "col": "colonel ", "jr": "junior ", "sr": "senior ", "esq": "esquire ",
}
_W_RULES = [(re.compile(rf"\b{re.escape(word)}\b"), out) for word, out in _W_WORDS.items()] + [
    (re.compile(pattern), out) for pattern, out in (
        (r"'d been\b", " had been"), (r"'s been\b", " has been"), (r"'d gone\b", " had gone"),
        (r"'s gone\b", " has gone"), (r"'d done\b", " had done"), (r"'s got\b", " has got"),
        (r"n't\b", " not"), (r"'re\b", " are"), (r"'s\b", " is"), (r"'d\b", " would"), (r"'ll\b", " will"),
        (r"'t\b", " not"), (r"'ve\b", " have"), (r"'m\b", " am"))]
_W_DIGIT_COMMA = re.compile(r"(\d),(\d)")
_W_PERIOD = re.compile(r"\.([^0-9]|$)")
_W_KEEP = frozenset(".%$¢€£")
_W_LETTERS = {"œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS", "đ": "d",
              "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "th", "ł": "l", "Ł": "L"}
_W_LOOSE_SYMBOL = re.compile(r"[.$¢€£]([^0-9])")
_W_LOOSE_PERCENT = re.compile(r"([^0-9])%")
_W_ONE = re.compile(r"\b1(s?)\b")
_W_LETTER_DIGIT = re.compile(r"([a-z])([0-9])")  # "5pm" -> "5 pm", but "25th" and "1960s" stay whole
_W_DIGIT_LETTER = re.compile(r"([0-9])([a-z])")
_W_SUFFIX = re.compile(r"([0-9])\s+(st|nd|rd|th|s)\b")
_W_SCALED = re.compile(r"([$£€¢]?)(\d+(?:\.\d+)?) (thousand|million|billion|trillion)\b")
_W_UNITS = {"dollar": "$", "dollars": "$", "pound": "£", "pounds": "£", "euro": "€", "euros": "€", "cent": "¢",
            "cents": "¢", "percent": "%"}
_W_NOT_SPELLING = frozenset({"okay", "mister"})  # our own word choices, not spelling variants
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _w_scaled(m: re.Match[str]) -> str:
    from decimal import Decimal

    value = Decimal(m[2]) * _SCALES[m[3]]
    return f"{m[1]}{int(value) if value == value.to_integral_value() else value}"


def _w_units(tokens: list[str]) -> list[str]:
    """Number tokens as Whisper writes them: a currency or percent word after a number becomes its
    symbol ("25 dollars" -> "$25"), "plus"/"minus" before one a sign, "o"/"oh" after an integer a
    zero digit ("six o'clock" -> "60 clock", "one oh one" -> "101")."""
    out: list[str] = []
    zero_run = False
    for token in tokens:
        symbol = _W_UNITS.get(token)
        last = out[-1] if out else ""
        if symbol and _NUMBER.fullmatch(last):
            out[-1] = last + "%" if symbol == "%" else symbol + last
        elif token in ("o", "oh") and last.isdigit():
            out[-1], zero_run = last + "0", True
            continue
        elif zero_run and len(token) == 1 and token.isdigit():
            out[-1] = last + token
        elif _NUMBER.fullmatch(token) and last in ("plus", "minus"):
            out[-1] = ("+" if last == "plus" else "-") + token
        else:
            out.append(token)
        zero_run = False
    return out


def _w_symbols(text: str) -> str:
    """NFKD, accents dropped, a few letters spelled out, every other mark/symbol/punctuation a
    space, except the characters numbers need (. % $ ¢ € £)."""
    import unicodedata

    out = []
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if char in _W_KEEP:
            out.append(char)
        elif char in _W_LETTERS:
            out.append(_W_LETTERS[char])
        elif category == "Mn":
            continue
        else:
            out.append(" " if category[0] in "MSP" else char)
    return "".join(out)


class WhisperEnglishNormalizer:
    """`normalizer=whisper-en`: the steps of Whisper's English normaliser (as used by the Open ASR
    Leaderboard), implemented here from its documented behaviour: lower case; bracketed and
    parenthesised spans dropped; the fillers hmm/mm/mhm/mmm/uh/um dropped; its fixed list of
    colloquial forms, titles and contractions expanded (every 's is "is", every 'd "would"); commas
    inside numbers and periods not before a digit removed; accents dropped and other symbols and
    punctuation turned into spaces (keeping . % $ ¢ € £ for numbers); number words to digits, with
    "1" then written "one"; American spelling; stray currency symbols and percent signs dropped.

    Differences that remain: number words and British spellings go through this project's parser
    and spelling rules, not Whisper's own tables, so rare spellings and unusual number phrasings
    ("one oh one", "$2 and 7 cents") can come out differently. Use it to compare with numbers
    normalised that way; it is not fit for other languages (it removes accents)."""

    language = "en"
    version = "whisper-en-1"

    def normalize(self, text: str) -> str:
        text = _W_PARENS.sub("", _W_BRACKETS.sub("", text.lower()))
        text = _W_SPACE_APOSTROPHE.sub("'", _W_FILLERS.sub("", text)).translate(_APOSTROPHES)
        for pattern, out in _W_RULES:
            text = pattern.sub(out, text)
        text = _W_PERIOD.sub(r" \1", _W_DIGIT_COMMA.sub(r"\1\2", text))
        tokens = _w_units(_NUMBERS.convert(_W_SCALED.sub(_w_scaled, _w_symbols(text)).split()))
        text = " ".join(t if t in _W_NOT_SPELLING else american(t) for t in tokens)
        text = _W_SUFFIX.sub(r"\1\2", _W_DIGIT_LETTER.sub(r"\1 \2", _W_LETTER_DIGIT.sub(r"\1 \2", text)))
        text = _W_LOOSE_PERCENT.sub(r"\1 ", _W_LOOSE_SYMBOL.sub(r" \1", text))
        return " ".join(_W_ONE.sub(r"one\1", text).split())

    def words(self, text: str) -> list[str]:
        return self.normalize(text).split()

    def chars(self, text: str) -> list[str]:
        return [char for char in self.normalize(text) if not char.isspace()]

    def __repr__(self) -> str:
        return f"WhisperEnglishNormalizer(version={self.version!r})"
