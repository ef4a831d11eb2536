"""A byte-level BPE tokenizer trained locally, for tests and for the embedded tiny model.

Byte-level BPE round-trips any UTF-8 text (Thai, Vietnamese, Tamil, Chinese) without an unknown token,
and training it with `tokenizers` takes milliseconds, so no vocabulary is ever downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|audio_bos|>", "<|AUDIO|>", "<|audio_eos|>"]


def train_tokenizer(
    texts: Iterable[str], vocab_size: int = 512, special_tokens: list[str] | None = None
) -> PreTrainedTokenizerFast:
    """Train byte-level BPE on `texts`; specials get the first ids, `<|endoftext|>` is pad and eos."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = list(special_tokens or SPECIAL_TOKENS)
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(list(texts), trainer=trainer)
    end = "<|endoftext|>" if "<|endoftext|>" in specials else specials[0]
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token=end,
        pad_token=end,
        additional_special_tokens=[t for t in specials if t != end],
    )
