"""Translation scoring: sacrebleu BLEU and chrF++ from per-segment sufficient statistics.

Segment statistics come from sacrebleu's own extraction code, and the corpus score from
sacrebleu's own scoring function on their sums, so a task's BLEU equals `sacrebleu.corpus_bleu`
(and chrF++ equals `corpus_chrf(word_order=2)`) on the same hypotheses. BLEU is computed on
detokenised text as sacrebleu intends: the hypothesis only loses reasoning blocks (<think>...),
markdown emphasis and surrounding whitespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from seabench.metrics.base import SumMetric, stat_matrix
from seabench.metrics.columns import ScoreColumns
from seabench.metrics.flags import final_answer, language_flags, unusable_reason
from seabench.types import Sample, Score

if TYPE_CHECKING:
    from sacrebleu.metrics import BLEU as SacreBLEU
    from sacrebleu.metrics import CHRF as SacreCHRF

BLEU_ORDER = 4
CHRF_CHAR_ORDER = 6
CHRF_WORD_ORDER = 2
CHRF_BETA = 2

BLEU_KEYS = (
    ("bleu_sys_len", "bleu_ref_len")
    + tuple(f"bleu_match_{n}" for n in range(1, BLEU_ORDER + 1))
    + tuple(f"bleu_total_{n}" for n in range(1, BLEU_ORDER + 1))
)
CHRF_KEYS = tuple(
    f"chrf_{part}_{n}" for n in range(1, CHRF_CHAR_ORDER + CHRF_WORD_ORDER + 1) for part in ("hyp", "ref", "match")
)
TOKENIZERS = ("13a", "zh", "char")
_TOKENIZER_BY_LANGUAGE = {"zh": "zh", "th": "char", "lo": "char", "km": "char", "my": "char", "ja": "char"}


def bleu_tokenizer(language: str | None) -> str:
    """sacrebleu tokenizer for a target language: zh -> zh; th/lo/km/my (and ja, no MeCab) -> char; else 13a."""
    primary = (language or "").replace("_", "-").split("-")[0].lower()
    return _TOKENIZER_BY_LANGUAGE.get(primary, "13a")


@cache
def _bleu(tokenize: str) -> SacreBLEU:
    from sacrebleu.metrics import BLEU

    return BLEU(tokenize=tokenize)


@cache
def _chrf() -> SacreCHRF:
    from sacrebleu.metrics import CHRF

    return CHRF(char_order=CHRF_CHAR_ORDER, word_order=CHRF_WORD_ORDER, beta=CHRF_BETA)


def translation_stats(hypothesis: str, references: Sequence[str], tokenize: str) -> dict[str, float]:
    """BLEU and chrF++ sufficient statistics of one segment against one or more references."""
    streams = [[ref] for ref in references]
    bleu = _bleu(tokenize)._extract_corpus_statistics([hypothesis], streams)[0]
    chrf = _chrf()._extract_corpus_statistics([hypothesis], streams)[0]
    stats = {k: float(v) for k, v in zip(BLEU_KEYS, bleu, strict=True)}
    stats.update({k: float(v) for k, v in zip(CHRF_KEYS, chrf, strict=True)})
    stats["nrefs"] = float(len(references))
    stats[f"tok_{tokenize}"] = 1.0
    return stats


@dataclass(frozen=True)
class TranslationScorer:
    """Per-segment BLEU and chrF++ statistics; Score.value is the sentence chrF++ (display only).

    The BLEU tokenizer follows `sample.target_language` unless `tokenize` is given. An empty or
    refused output is scored as an empty hypothesis (no matches, zero length) and flagged.
    """

    name: str = "translation"
    tokenize: str | None = None

    def score(self, sample: Sample, output: str) -> Score:
        references = sample.references
        if not references:
            return Score(value=None, explanation="sample has no reference")
        reason = unusable_reason(output)
        hypothesis = "" if reason else final_answer(output)
        flags = [reason] if reason else language_flags(hypothesis, sample.target_language)
        tokenize = self.tokenize or bleu_tokenizer(sample.target_language)
        stats = translation_stats(hypothesis, references, tokenize)
        chrf = _chrf()._compute_f_score([stats[k] for k in CHRF_KEYS])
        return Score(value=chrf, answer=hypothesis, stats=stats, flags=flags)


def bleu_from_sums(sums: np.ndarray) -> np.ndarray:
    """Vectorised sacrebleu BLEU (exp smoothing, 4-grams) of (B, 10) summed statistics, 0-100."""
    sys_len, ref_len = sums[:, 0], sums[:, 1]
    correct = sums[:, 2 : 2 + BLEU_ORDER]
    total = sums[:, 2 + BLEU_ORDER :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        bp = np.where(sys_len < ref_len, np.where(sys_len > 0, np.exp(1.0 - ref_len / sys_len), 0.0), 1.0)
        missed = correct == 0
        smooth = 2.0 ** np.cumsum(missed, axis=1)  # NIST smoothing: halves again at each missed order
        precisions = np.where(missed, 100.0 / (smooth * total), 100.0 * correct / total)
        score = bp * np.exp(np.log(precisions).sum(axis=1) / BLEU_ORDER)
    # sacrebleu scores 0 when nothing matches or some n-gram order has no hypothesis n-grams.
    zero = ~(correct > 0).any(axis=1) | (total == 0).any(axis=1)
    return np.where(zero, 0.0, score)


def chrf_from_sums(sums: np.ndarray, beta: float = CHRF_BETA) -> np.ndarray:
    """Vectorised sacrebleu chrF (effective-order averaging, no eps smoothing) of (B, 3*orders) sums, 0-100."""
    triples = sums.reshape(sums.shape[0], -1, 3)
    n_hyp, n_ref, n_match = triples[..., 0], triples[..., 1], triples[..., 2]
    used = (n_hyp > 0) & (n_ref > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(used, n_match / np.where(used, n_hyp, 1.0), 0.0).sum(axis=1)
        rec = np.where(used, n_match / np.where(used, n_ref, 1.0), 0.0).sum(axis=1)
        order = used.sum(axis=1)
        avg_prec = np.where(order > 0, prec / np.maximum(order, 1), 0.0)
        avg_rec = np.where(order > 0, rec / np.maximum(order, 1), 0.0)
        factor = beta**2
        score = (1 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec)
    return np.where(avg_prec + avg_rec > 0, 100.0 * score, 0.0)


def _signature_inputs(columns: ScoreColumns) -> tuple[list[str], int]:
    """Tokenizers seen and the sacrebleu nrefs value (-1 = variable) over aggregated scores."""
    nrefs_column = columns.stat("nrefs")
    used = ~np.isnan(nrefs_column)
    tokenizers = [t for t in TOKENIZERS if np.any(np.nan_to_num(columns.stat(f"tok_{t}")[used]) != 0)]
    nrefs = {int(v) for v in np.unique(nrefs_column[used])}
    return tokenizers, nrefs.pop() if len(nrefs) == 1 else -1


class _SacreMetric(SumMetric):
    keys: tuple[str, ...] = ()

    def __init__(self, name: str, scorer: str = "translation") -> None:
        self.name = name
        self.scorer = scorer

    def row(self, score: Score) -> Sequence[float] | None:
        st = score.stats
        if not all(k in st for k in self.keys):
            return None
        return [st[k] for k in self.keys]

    def columns_matrix(self, columns: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
        ok = columns.has(self.keys)
        return stat_matrix(columns, self.keys, ok), ok


class BLEU(_SacreMetric):
    """Corpus sacrebleu BLEU (0-100) from summed segment statistics; details carry the signature."""

    keys = BLEU_KEYS

    def __init__(self, name: str = "bleu", scorer: str = "translation") -> None:
        super().__init__(name, scorer)

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        return bleu_from_sums(sums)

    @staticmethod
    def _sacrebleu(totals: np.ndarray) -> Any:
        """sacrebleu's own scoring of the summed statistics: identical to corpus_bleu (any tokenizer)."""
        return _bleu("13a")._compute_score_from_stats([int(x) for x in totals])

    def point(self, totals: np.ndarray) -> float | None:
        return float(self._sacrebleu(totals).score)

    def details(self, totals: np.ndarray, columns: ScoreColumns) -> dict[str, Any]:
        tokenizers, nrefs = _signature_inputs(columns)
        metric = _bleu(tokenizers[0] if len(tokenizers) == 1 else "13a")
        signature = metric._SIGNATURE_TYPE({**metric.__dict__, "num_refs": nrefs})
        if len(tokenizers) != 1:
            signature.update("tok", "+".join(tokenizers) or "none")
        result = self._sacrebleu(totals)
        return {
            "signature": signature.format(),
            "bp": result.bp,
            "precisions": list(result.precisions),
            "sys_len": int(result.sys_len),
            "ref_len": int(result.ref_len),
        }


class ChrFpp(_SacreMetric):
    """Corpus sacrebleu chrF++ (char 6-grams + word 2-grams, beta 2; 0-100); details carry the signature."""

    keys = CHRF_KEYS

    def __init__(self, name: str = "chrf++", scorer: str = "translation") -> None:
        super().__init__(name, scorer)

    def statistic(self, sums: np.ndarray) -> np.ndarray:
        return chrf_from_sums(sums)

    def point(self, totals: np.ndarray) -> float | None:
        return float(_chrf()._compute_f_score([int(x) for x in totals]))

    def details(self, totals: np.ndarray, columns: ScoreColumns) -> dict[str, Any]:
        _, nrefs = _signature_inputs(columns)
        metric = _chrf()
        return {"signature": metric._SIGNATURE_TYPE({**metric.__dict__, "num_refs": nrefs}).format()}
