"""Mixed error rate for Mandarin-English code-switched speech (SEAME, Singlish with Mandarin).

Chinese has no spaces and English words are many letters long, so neither WER (one token per
jieba word) nor CER (one per letter) weighs the two languages fairly. The usual measure for
code-switching ASR counts each Chinese character and each English word as one unit: corpus
(S + D + I) / reference units, on text normalised by SeaBench's Chinese normaliser (traditional
to simplified, punctuation removed, Latin lower-cased). Reported as `mixed_error_rate`, the
headline of code-switched tasks, beside WER and CER.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from seabench import Sample, Score, Task
from seabench.metrics import EMPTY, ErrorRate, edit_stats
from seabench.metrics.flags import final_answer, unusable_reason

NAME = "mixed_error_rate"
_UNITS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def mixed_units(text: str) -> list[str]:
    """Chinese characters one by one, everything else by words."""
    from seabench.normalize import get_normalizer

    return _UNITS.findall(get_normalizer("zh").normalize(text))


@dataclass(frozen=True)
class MixedErrorRateScorer:
    name: str = NAME

    def score(self, sample: Sample, output: str) -> Score:
        if not sample.references:
            return Score(value=None, explanation="sample has no reference")
        reason = unusable_reason(output)
        hypothesis = [] if reason else mixed_units(final_answer(output))
        flags = [reason] if reason else ([] if hypothesis else [EMPTY])
        stats = min((edit_stats(mixed_units(ref), hypothesis) for ref in sample.references),
                    key=lambda st: st["sub"] + st["del"] + st["ins"])
        errors = stats["sub"] + stats["del"] + stats["ins"]
        return Score(value=errors / max(stats["ref_len"], 1.0), answer=" ".join(hypothesis), stats=stats, flags=flags)


def with_mixed_error_rate(task: Task) -> Task:
    """The ASR task headlined by the mixed error rate."""
    return dataclasses.replace(task, scorers=(*task.scorers, MixedErrorRateScorer()),
                               metrics=(ErrorRate(NAME, NAME), *task.metrics), primary_metric=NAME)
