"""Generation settings: parsing `-G`, merging over task defaults, resetting what a model cannot honour."""

from __future__ import annotations

import pytest

from seabench import GenerationConfig, UserError
from seabench.adapter import ALL_GENERATION_KEYS
from seabench.generation import cut_at_stop, merge_generation, parse_generation, settle, split_gen_kwargs


def test_parse_keeps_text_for_pydantic_and_collects_stops() -> None:
    raw = parse_generation(["max_new_tokens=64", "system_prompt=123", "stop=###", 'stop=["a", "b"]', "language=th"])
    assert raw == {"max_new_tokens": "64", "system_prompt": "123", "stop": ["###", "a", "b"], "language": "th"}
    merged = merge_generation(GenerationConfig(max_new_tokens=32, temperature=0.5), raw, seed=7)
    assert merged.max_new_tokens == 64 and merged.system_prompt == "123" and merged.stop == ("###", "a", "b")
    assert merged.temperature == 0.5 and merged.seed == 7 and merged.extra == {"language": "th"}
    assert split_gen_kwargs("temperature=0.7, max_new_tokens=64") == ["temperature=0.7", "max_new_tokens=64"]
    with pytest.raises(UserError, match="key=value"):
        parse_generation(["temperature"])
    with pytest.raises(UserError, match="generation setting top_p"):
        merge_generation(GenerationConfig(), {"top_p": "2"}, seed=0)


def test_user_seed_wins_over_run_seed_and_sampling_follows_do_sample() -> None:
    assert merge_generation(GenerationConfig(), {"seed": "3"}, seed=9).seed == 3
    assert not GenerationConfig(temperature=0.7, do_sample=False).sampling
    assert GenerationConfig(temperature=0.7).sampling and not GenerationConfig().sampling


def test_settle_resets_only_what_the_model_cannot_honour() -> None:
    config = GenerationConfig(repetition_penalty=1.1, max_new_tokens=9, seed=5, extra={"language": "th"})
    settled, dropped = settle(config, ALL_GENERATION_KEYS - {"repetition_penalty"})
    assert settled.repetition_penalty == 1.0 and settled.max_new_tokens == 9 and settled.seed == 5
    assert settled.extra == {} and dropped == ["extra.language='th'", "repetition_penalty=1.1"]
    assert settle(config, None) == (config, [])


def test_cut_at_stop_takes_the_earliest_stop() -> None:
    assert cut_at_stop("a b ### c END", ("END", "###")) == ("a b ", True)
    assert cut_at_stop("abc", ()) == ("abc", False)


def test_reference_repetition_penalty_equals_transformers() -> None:
    torch = pytest.importorskip("torch")
    from transformers.generation.logits_process import RepetitionPenaltyLogitsProcessor

    from seabench.models.reference.model import ReferenceModel, penalise_repeats

    torch.manual_seed(0)
    logits = torch.randn(3, 50)
    ids = torch.randint(0, 50, (3, 7))
    mask = torch.ones_like(ids)
    ours = penalise_repeats(logits, ReferenceModel._seen_tokens(ids, mask, 50), 1.4)
    theirs = RepetitionPenaltyLogitsProcessor(1.4)(ids, logits.clone())
    assert torch.allclose(ours, theirs)
    mask[:, :3] = 0  # left padding is not part of the prompt
    seen = ReferenceModel._seen_tokens(ids, mask, 50)
    assert seen.sum(dim=1).tolist() == [len(set(row[3:].tolist())) for row in ids]
