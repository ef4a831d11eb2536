"""AudioBench's ASR scoring rule, restated, reported as `wer_audiobench_rule` beside SeaBench's WER.

AudioBench (AudioLLMs/AudioBench, `src/dataset_src/*.py`) scores every ASR set with a corpus WER
after its own clean-up, which differs by dataset:

- `english` (LibriSpeech, Common Voice, GigaSpeech, TED-LIUM, Earnings, People's Speech, IMDA parts
  1-3/5/6, GigaSpeech 2 Indonesian, the Singapore news sets): lower case; bracketed and
  parenthesised spans and hesitations dropped; combining marks removed and other marks, symbols
  and punctuation turned into spaces (Whisper's English normaliser); numbers to digits and British
  to American spelling; then digits 0-20 and the tens spelled out again as words, common
  contractions expanded, punctuation and the fillers uh/umm/um/er/ah removed.
- `code_switch` (AISHELL-1, SEAME): `english`, then every Chinese character is its own token.
- `imda_part4` (IMDA part 4, three languages): `english` without removing marks, then Chinese
  characters as tokens.
- `thai_raw` (GigaSpeech 2 Thai): newmm words of the raw text, punctuation and case untouched.
- `vietnamese` (GigaSpeech 2 Vietnamese): lower case, anything but letters and digits a space.

An empty text after clean-up becomes the single word "empty" (on both sides), and reasoning blocks
are not removed. The Whisper step is SeaBench's restatement of Whisper's English normaliser
(`normalizer=whisper-en`, seabench/normalize/english.py), whose number and spelling tables are
SeaBench's own, so this is AudioBench's rule up to those tables. SeaBench's headline WER
differs on purpose: Thai is normalised and segmented, Vietnamese keeps its marks under NFC,
Chinese is scored by CER, and an empty answer is all deletions (docs/DATASETS.md).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from seabench import Sample, Score, Task
from seabench.metrics import WER, edit_stats

Rule = Literal["english", "code_switch", "imda_part4", "thai_raw", "vietnamese"]
NAME = "wer_audiobench_rule"
EMPTY_WORD = "empty"

_BRACKETED = re.compile(r"[<\[][^>\]]*[>\]]|\([^)]+?\)|\{[^}]*\}")
_HESITATIONS = re.compile(r"\b(?:hmm|mm|mhm|mmm|uh|um)\b")
_FILLERS = re.compile(r"\b(?:uh|umm|um|er|ah)\b")
_SPELLED = {0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
            9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen",
            16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen", 20: "twenty", 30: "thirty",
            40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}
_SMALL_NUMBER = re.compile(r"\b(" + "|".join(str(n) for n in sorted(_SPELLED, reverse=True)) + r")\b")
_CJK = re.compile(r"([\u4e00-\u9fff])")


def _english(text: str, keep_marks: bool = False) -> str:
    """Whisper's English steps, then AudioBench's own extra steps. IMDA part 4 skips Whisper's
    accent and symbol removal (its Tamil and Chinese words keep their marks): SeaBench's English
    normaliser, which keeps marks, stands in for the other steps there."""
    from seabench.normalize import get_normalizer

    if keep_marks:
        text = get_normalizer("en").normalize(_HESITATIONS.sub(" ", _BRACKETED.sub(" ", text.lower())))
    else:
        text = get_normalizer("en", "whisper-en").normalize(text)
    text = _SMALL_NUMBER.sub(lambda m: _SPELLED[int(m.group(1))], text)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "P")  # jiwer's RemovePunctuation deletes
    return _FILLERS.sub(" ", text)


def _thai_raw(text: str) -> str:
    from pythainlp.tokenize import word_tokenize

    return " ".join(word_tokenize(text, engine="newmm"))


def _vietnamese(text: str) -> str:
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower())


def clean(text: str, rule: Rule) -> list[str]:
    """The words AudioBench compares for `text` under `rule` (never empty: "empty" stands in)."""
    if rule == "thai_raw":
        cleaned = _thai_raw(text)
    elif rule == "vietnamese":
        cleaned = _vietnamese(text)
    else:
        cleaned = _english(text, keep_marks=rule == "imda_part4")
        if rule != "english":
            cleaned = _CJK.sub(r" \1 ", cleaned)
    return cleaned.split() or [EMPTY_WORD]


@dataclass(frozen=True)
class AudioBenchWerScorer:
    """Edit counts under AudioBench's clean-up of one dataset (the closest reference wins)."""

    rule: Rule = "english"
    name: str = NAME

    def score(self, sample: Sample, output: str) -> Score:
        if not sample.references:
            return Score(value=None, explanation="sample has no reference")
        hypothesis = clean(output or "", self.rule)
        stats = min((edit_stats(clean(ref, self.rule), hypothesis) for ref in sample.references),
                    key=lambda st: st["sub"] + st["del"] + st["ins"])
        errors = stats["sub"] + stats["del"] + stats["ins"]
        return Score(value=errors / max(stats["ref_len"], 1.0), answer=" ".join(hypothesis), stats=stats,
                     explanation=f"AudioBench clean-up: {self.rule}")


def with_audiobench_wer(task: Task, rule: Rule) -> Task:
    """An ASR task that also reports AudioBench's WER for the dataset's clean-up rule."""
    return dataclasses.replace(task, scorers=(*task.scorers, AudioBenchWerScorer(rule)),
                               metrics=(*task.metrics, WER(NAME, NAME)))
