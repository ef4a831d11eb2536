"""docs/JUDGES.md's table maps every SeaBench-Audio criterion to a line of our rubrics: every task
type x rating is there, and each row's wording is the rubric line it names, word for word."""

from __future__ import annotations

import re
from pathlib import Path

from seabench.judging import all_rubrics, load_rubric

DOC = Path(__file__).parents[2] / "docs" / "JUDGES.md"
TYPES = ["math", "ASR", "safety", "SER", "SQA", "AQA", "CS", "SS", "S2TT", "fact", "life", "MED", "SKI", "AA"]
ROW = re.compile(r"^\| (\w+) \| ([1-5]) \| ([^|]+) \| `(\w+) ([1-5](?:\.[a-z])?)` \| (.+) \|$")


def _rows() -> list[tuple[str, int, str, str, str, str]]:
    return [(m[1], int(m[2]), m[3].strip(), m[4], m[5], m[6]) for line in DOC.read_text(encoding="utf-8").splitlines()
            if (m := ROW.match(line))]


def test_every_type_and_rating_is_mapped_to_a_rubric_line() -> None:
    rows = _rows()
    assert {(t, r) for t, r, *_ in rows} == {(t, r) for t in TYPES for r in range(1, 6)}
    families = {f: r.id for r in all_rubrics().values() for f in r.families}
    for kind, rating, _, rubric_id, ref, wording in rows:
        assert families[kind] == rubric_id and ref.split(".")[0] == str(rating)
        assert load_rubric(rubric_id).line(ref).replace("|", "/") == wording


def test_every_line_of_the_sba_rubrics_is_in_the_table() -> None:
    listed = {(rubric_id, ref) for *_, rubric_id, ref, _ in _rows()}
    for rubric in all_rubrics().values():
        if not rubric.families:
            continue
        for score in range(1, 6):
            lines = rubric.lines(score)
            refs = [f"{score}.{chr(97 + i)}" for i in range(len(lines))] if len(lines) > 1 else [str(score)]
            assert {(rubric.id, ref) for ref in refs} <= listed


def test_anchor_cases_sit_where_sba_puts_them() -> None:
    """The places the issue names: a bare correct answer is a 4; an exact transcript without the
    reference's punctuation is a 3 (en/id/vi); a close-synonym emotion is a 3; a transcript handed
    in as a summary is a 1; a misunderstanding is a 1 and a wrong attempt a 2."""
    for rubric_id in ("spoken_qa", "factual"):
        assert "no further information" in " ".join(load_rubric(rubric_id).lines(4)) or \
            "no explanation" in " ".join(load_rubric(rubric_id).lines(4))
    assert "correct yes or no is given without justification" in load_rubric("audio_qa").line("4")
    assert "punctuation marks that are missing" in load_rubric("asr").line("3.c")
    assert "close synonym" in load_rubric("speech_emotion").line("3")
    assert "transcript or a paraphrase of the whole audio" in load_rubric("speech_summarization").line("1.d")
    qa = load_rubric("spoken_qa")
    assert "misunderstands" in qa.line("1.a") and "tries to answer but is clearly wrong" in qa.line("2.a")
    skills = load_rubric("audio_skills")
    assert "by two or more" in skills.line("1.b") and "off by exactly one" in skills.line("2")
