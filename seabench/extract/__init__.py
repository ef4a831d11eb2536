"""Answer extraction: multiple-choice letters/options, paralinguistic labels, refusals, empties.

No layer ever guesses: a failed extraction returns index None (method "none"), which scorers
count as wrong and report as `extract_fail_rate`. See choice.py and labels.py for the layers.
"""

from seabench.extract._text import strip_reasoning
from seabench.extract.choice import METHODS, ExtractResult, extract_choice
from seabench.extract.labels import KINDS, extract_label
from seabench.extract.refusal import is_empty, is_refusal

__all__ = [
    "KINDS", "METHODS", "ExtractResult", "extract_choice", "extract_label", "is_empty", "is_refusal",
    "strip_reasoning",
]
