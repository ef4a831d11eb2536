"""ASR family: corpus WER (Thai after newmm segmentation, Chinese after jieba) and CER.

Chinese, Japanese and Cantonese are headlined by CER; other languages by WER."""

from __future__ import annotations

from collections.abc import Iterable

from seabench import Task
from seabench.languages import primary
from seabench.metrics import CER, MER, WER, ErrorRateScorer, flag_rates
from seabench.tasks.families import Loader, language_of, make_task, with_default

CER_FIRST = {"zh", "ja", "yue"}


def asr_prompt(sample) -> str:  # noqa: ANN001 - Sample
    return f"Transcribe the speech in {language_of(sample)}. Reply with the transcript only."


def asr(name: str, load: Loader, languages: Iterable[str], **kwargs: object) -> Task:
    languages = list(languages)
    headline = "cer" if languages and all(primary(lang) in CER_FIRST for lang in languages) else "wer"
    return make_task(
        name, "asr", load, languages,
        scorers=(ErrorRateScorer("wer", "word"), ErrorRateScorer("cer", "char")),
        metrics=(WER(), CER(), MER(), *flag_rates("wer")),
        primary_metric=headline, render=with_default(asr_prompt), **kwargs,  # type: ignore[arg-type]
    )
