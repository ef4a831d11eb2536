"""One-time start-up (Thai dictionary, jieba's dictionary, language-ID model) is cheap, paid once per
process, and changes no result: the Thai word trie segments exactly as pythainlp's own, jieba with
its dictionary loaded per character exactly as jieba, the cached language-ID model classifies
exactly as py3langid's packed one."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "normalize"


def _thai_texts() -> list[str]:
    from pythainlp.corpus import thai_words

    texts = [c["input"] for f in GOLDEN.glob("th*.json") for c in json.loads(f.read_text(encoding="utf-8"))["cases"]]
    words = sorted(thai_words())
    rng = random.Random(0)
    for _ in range(400):
        texts.append("".join(rng.choice(words) for _ in range(rng.randint(1, 10)))
                     + "".join(rng.choice("กขคงจฉ ะาิีึืุู่้๊๋") for _ in range(rng.randint(0, 6))))
    return texts


def test_the_thai_word_trie_segments_exactly_as_pythainlp() -> None:
    from pythainlp.tokenize import word_dict_trie, word_tokenize

    from seabench.normalize.thai import _dictionary

    ours, theirs = _dictionary(), word_dict_trie()
    assert len(ours) == len(theirs)
    for text in _thai_texts():
        assert word_tokenize(text, custom_dict=ours, engine="newmm") == word_tokenize(text, engine="newmm"), text
        assert all(ours.prefixes(text, i) == theirs.prefixes(text, i) for i in range(0, len(text), 3)), text


def test_jieba_with_its_dictionary_loaded_per_character_segments_exactly_as_jieba(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jieba

    from seabench.normalize.chinese import _Segmenter

    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path))
    with open(jieba.get_module_res("dict.txt").name, encoding="utf-8") as fh:
        words = [line.split()[0] for line in fh if line.strip()]
    rng = random.Random(0)
    extra = ["abc", " ", "123", "，", "。", "ＡＢ", "3.5", "αβ", "\U00020000", "x-y"]
    texts = ["".join(rng.choice(words) if rng.random() < 0.8 else rng.choice(extra) for _ in range(rng.randint(1, 12)))
             for _ in range(400)]
    built = _Segmenter()  # groups the dictionary and stores the groups
    (stored,) = (tmp_path / "jieba").glob("*.groups")
    loaded = _Segmenter()  # maps the stored groups
    assert loaded._where == built._where and loaded.tokenizer.total == built.tokenizer.total
    for text in texts:
        assert built.lcut(text) == loaded.lcut(text) == jieba.lcut(text), text
    stored.write_bytes(b"damaged")
    assert _Segmenter().lcut(texts[0]) == jieba.lcut(texts[0])  # a damaged file is rebuilt


def test_the_unpacked_language_model_is_py3langids_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    import seabench.langid as langid

    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path))
    langid._identifier.cache_clear()
    first = langid._identifier()  # unpacks and stores the arrays
    langid._identifier.cache_clear()
    second = langid._identifier()  # reads them back
    langid._identifier.cache_clear()
    assert list((tmp_path / "langid").glob("*.npz"))
    packed = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    packed.set_languages([lang for lang in langid.LANGUAGES if lang in packed.labels])
    for text in ("the weather is very nice today", "saya pergi ke pasar pagi ini", "hôm nay trời rất đẹp",
                 "ich gehe heute auf den Markt", "เราไปตลาด"):
        assert first.classify(text) == second.classify(text) == packed.classify(text)


def test_the_normaliser_tables_cover_every_code_point_a_full_scan_finds() -> None:
    import sys
    import unicodedata

    from seabench.normalize._base import PLANES, _tables

    prepare, punctuation = _tables()
    for cp in range(sys.maxunicode + 1):
        if cp >> 16 in PLANES:
            continue
        category = unicodedata.category(chr(cp))
        assert category[0] not in "PS" and category not in ("Nd", "Cf", "Cc"), hex(cp)
    assert prepare[0x0E50] == "0" and punctuation[ord("!")] == " " and punctuation[0x1F600] == " "
