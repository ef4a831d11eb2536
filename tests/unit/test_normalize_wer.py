"""After normalisation, texts that differ only in form (punctuation, case, width, spacing,
spelling variant, number format) score WER 0 and CER 0; a real word difference does not."""

from __future__ import annotations

import unicodedata

import jiwer
import pytest

from seabench.normalize import get_normalizer

_NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731

SAME = {
    "en": [("Hello, World! I don't know.", "hello world i do not know"),
           ("It cost twenty-five dollars, 50% off.", "It cost $25, fifty percent off"),
           ("The colour of the centre", "the color of the center"),
           ("Um, he came third in nineteen ninety nine.", "He came 3rd in 1999."),
           ("ＦＵＬＬ　ＷＩＤＴＨ！", "full width")],
    "en-SG": [("Don't like that lah!", "do not like that lah"),
              ("Can or not ah?", "can or not ah")],
    "id": [("Dua puluh lima anak-anak, Rp10.000!", "25 anak anak 10000 rupiah"),
           ("Juara ketiga.", "juara ke-3"), ("anak2", "Anak-anak")],
    "ms": [("Lapan puluh peratus, lah!", "80% lah"), ("RM1,000", "seribu ringgit")],
    "vi": [("Tiếng Việt, rất đẹp!", _NFD("tiếng việt rất đẹp")), ("Hoà bình", "hòa bình")],
    "th": [("วันนี้อากาศดีมาก", "วันนี้ อากาศดี มาก!"), ("น้ำ ๒ ขวด", "น\u0e49\u0e4d\u0e32 2 ขวด"),
           ("กรุงเทพฯ", "กรุงเทพ")],
    "zh": [("我們今天去臺灣，參觀故宮！", "我们 今天 去 台湾 参观 故宫"), ("２０２４年", "2024年")],
    "ta": [("வணக்கம், நண்பா!", "வணக்கம் நண்பா"), ("௨௦௨௪", "2024")],
    "und": [("សួស្តី! ពិភពលោក។", "សួស្តី ពិភពលោក")],
}
DIFFERENT = {
    "en": ("he came third", "he came second"),
    "en-SG": ("can or not ah", "can or not lah"),
    "id": ("dua puluh lima", "dua puluh enam"),
    "ms": ("lapan", "tujuh"),
    "vi": ("hòa bình", "hoa bình"),
    "th": ("วันนี้อากาศดีมาก", "วันนี้อากาศดี"),
    "zh": ("头发", "头法"),
    "ta": ("வணக்கம்", "வணக்கம"),
    "und": ("សួស្តី", "សួស្ត"),
}


def _rates(tag: str, ref: str, hyp: str) -> tuple[float, float]:
    n = get_normalizer(tag)
    wer = jiwer.wer(" ".join(n.words(ref)), " ".join(n.words(hyp)))
    cer = jiwer.cer("".join(n.chars(ref)), "".join(n.chars(hyp)))
    return wer, cer


@pytest.mark.parametrize(("tag", "ref", "hyp"),
                         [(tag, ref, hyp) for tag, pairs in SAME.items() for ref, hyp in pairs])
def test_form_only_differences_score_zero(tag: str, ref: str, hyp: str) -> None:
    assert _rates(tag, ref, hyp) == (0.0, 0.0)


@pytest.mark.parametrize(("tag", "ref", "hyp"), [(t, r, h) for t, (r, h) in DIFFERENT.items()])
def test_real_differences_still_count(tag: str, ref: str, hyp: str) -> None:
    wer, cer = _rates(tag, ref, hyp)
    assert wer > 0 and cer > 0
