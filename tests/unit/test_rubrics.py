"""The rubrics shipped in rubrics/*.yaml: one per SeaBench-Audio task type plus generic, each a
complete 1-5 guide with a wrong-language rule, and the task-type prefix -> rubric lookup."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError
from seabench.tasks.seabench_audio import rubric_for_prefix, with_rubrics

from seabench import Sample, UserError
from seabench.judging import JudgeRequest, Rubric, all_rubrics, load_rubric

SEABENCH_AUDIO = {"math": "math", "ASR": "asr", "safety": "safety", "SER": "speech_emotion", "SQA": "spoken_qa",
                  "AQA": "audio_qa", "CS": "customer_service", "SS": "speech_summarization",
                  "S2TT": "speech_translation", "fact": "factual", "life": "life", "MED": "medical",
                  "SKI": "audio_skills", "AA": "audio_analysis"}


def test_one_rubric_per_task_type_plus_generic() -> None:
    own = {r for r in all_rubrics() if not r.startswith("audiobench_")}  # AudioBench's protocol: test_audiobench_rules.py
    assert own == set(SEABENCH_AUDIO.values()) | {"generic"}


@pytest.mark.parametrize("rubric_id", sorted(set(SEABENCH_AUDIO.values()) | {"generic"}))
def test_rubric_is_complete(rubric_id: str) -> None:
    r = load_rubric(rubric_id)
    assert r.version and r.ref == f"{rubric_id}@{r.version}"
    assert (r.scale_min, r.scale_max) == (1, 5) and sorted(r.levels) == [1, 2, 3, 4, 5]
    assert all(len(line.split()) >= 6 for score in r.levels for line in r.lines(score))
    assert "language" in " ".join(r.lines(1)).lower()  # the lowest level names the wrong-language case
    assert len(r.wrong_language.split()) >= 10 and len(r.criteria.split()) >= 25
    assert {"audio", "question", "answer"} <= set(r.inputs)
    guide = r.guide()
    assert all(f"{score}: " in guide for score in range(1, 6)) and "Wrong language:" in guide
    assert r.first_match == (rubric_id != "generic")  # SeaBench-Audio's rules apply from 1 upward
    if r.first_match:
        assert guide.index("1: ") < guide.index("5: ") and "first score whose description fits" in guide


def test_families_map_every_task_type_to_exactly_one_rubric() -> None:
    claimed = [f for r in all_rubrics().values() for f in r.families]
    assert sorted(claimed) == sorted(SEABENCH_AUDIO) and load_rubric("generic").families == []
    for prefix, rubric_id in SEABENCH_AUDIO.items():
        assert rubric_for_prefix(prefix) == rubric_id
        assert rubric_for_prefix(prefix.lower()) == rubric_id  # case does not matter
    assert rubric_for_prefix("XYZ") is None


def test_rubrics_are_distinct() -> None:
    rubrics = list(all_rubrics().values())
    assert len({r.criteria for r in rubrics}) == len(rubrics) and len({r.title for r in rubrics}) == len(rubrics)


def test_items_get_the_rubric_of_their_task_type() -> None:
    samples = [Sample(id="a", metadata={"subset": "S2TT_en2th", "rubric": "S2TT"}),
               Sample(id="b", metadata={"subset": "NEW_thing", "rubric": "NEW"})]
    a, b = with_rubrics(samples)
    assert (a.metadata["rubric"], a.metadata["task_type"]) == ("speech_translation", "S2TT")
    assert (b.metadata["rubric"], b.metadata["task_type"]) == ("generic", "NEW")


def test_prompt_shows_rubric_and_only_the_inputs_it_names() -> None:
    asr = load_rubric("asr")
    request = JudgeRequest(task="t", sample_id="s", rubric=asr, answer="xin chào", question="Transcribe",
                           reference="xin chào các bạn", language="vi")
    prompt = request.prompt(with_audio=True)
    assert prompt.startswith(asr.title) and asr.line("4").strip() in prompt and "xin chào các bạn" in prompt
    no_reference = asr.model_copy(update={"inputs": ["audio", "question", "answer"]})
    assert "xin chào các bạn" not in JudgeRequest(**{**request.__dict__, "rubric": no_reference}).prompt(True)


@pytest.mark.parametrize("change, message", [
    ({"levels": {1: "a", 2: "b", 3: "c", 4: "d"}}, "levels must cover"),
    ({"inputs": ["audio", "question"]}, "must see the answer"),
    ({"inputs": ["audio", "video", "answer"]}, "inputs"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_rubrics_are_rejected(change: dict, message: str) -> None:
    data = yaml.safe_load(yaml.safe_dump(load_rubric("math").model_dump())) | change
    with pytest.raises(ValidationError, match=message):
        Rubric.model_validate(data)


def test_unknown_rubric_is_a_user_error() -> None:
    with pytest.raises(UserError, match="math"):
        load_rubric("maths")
