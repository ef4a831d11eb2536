"""Sample-level scorers and corpus-level metrics with bootstrap confidence intervals.

Scorers turn one output into a Score carrying sufficient statistics; metrics sum those
statistics over a task (corpus WER, BLEU, ...) and bootstrap the sums for a 95 % CI.
jiwer and sacrebleu are imported only when a scorer first runs.
"""

from seabench.metrics.aggregate import Accuracy, FlagRate, MeanMetric, flag_rates
from seabench.metrics.base import SumMetric
from seabench.metrics.bootstrap import PairedBootstrap, bootstrap_ci, paired_bootstrap, resample_sums
from seabench.metrics.classification import ChoiceScorer, LabelScorer, MacroF1
from seabench.metrics.error_rate import CER, MER, WER, ErrorRate, ErrorRateScorer, edit_stats
from seabench.metrics.flags import EMPTY, EXTRACT_FAIL, FLAGS, REFUSAL, WRONG_LANGUAGE
from seabench.metrics.translation import BLEU, ChrFpp, TranslationScorer, bleu_tokenizer, translation_stats

__all__ = [
    "BLEU",
    "CER",
    "EMPTY",
    "EXTRACT_FAIL",
    "FLAGS",
    "MER",
    "REFUSAL",
    "WER",
    "WRONG_LANGUAGE",
    "Accuracy",
    "ChoiceScorer",
    "ChrFpp",
    "ErrorRate",
    "ErrorRateScorer",
    "FlagRate",
    "LabelScorer",
    "MacroF1",
    "MeanMetric",
    "PairedBootstrap",
    "SumMetric",
    "TranslationScorer",
    "bleu_tokenizer",
    "bootstrap_ci",
    "edit_stats",
    "flag_rates",
    "paired_bootstrap",
    "resample_sums",
    "translation_stats",
]
