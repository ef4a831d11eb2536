"""Speech translation family: corpus BLEU (tokenizer by target language) and chrF++."""

from __future__ import annotations

from collections.abc import Iterable

from seabench import Task
from seabench.languages import name as language_name
from seabench.metrics import BLEU, ChrFpp, TranslationScorer, flag_rates
from seabench.tasks.families import Loader, language_of, make_task, with_default


def s2tt_prompt(sample) -> str:  # noqa: ANN001 - Sample
    return (f"Translate the {language_of(sample)} speech into {language_name(sample.target_language)}. "
            "Reply with the translation only.")


def s2tt(name: str, load: Loader, languages: Iterable[str], **kwargs: object) -> Task:
    return make_task(
        name, "s2tt", load, languages,
        scorers=(TranslationScorer(),), metrics=(BLEU(), ChrFpp(), *flag_rates("translation")),
        primary_metric="bleu", render=with_default(s2tt_prompt), **kwargs,  # type: ignore[arg-type]
    )
