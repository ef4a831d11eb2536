"""User rubric files (`--rubrics PATH`, `-J rules=PATH`): SeaBench-Audio's rules.json layout, our
YAML layout, which items they cover, and one clear error for a broken file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from seabench import UserError
from seabench.judging import load_rubric
from seabench.judging.rubric_file import load_rubric_file, split_rules_option

RULE = "Rating 1: bad. Rating 2: weak. Rating 3: fair. Rating 4: good. Rating 5: great."


def test_rules_json_rules_are_verbatim_first_match_and_keyed_by_task_type(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"SQA": "Spoken QA. " + RULE, "AA": "Analysis. " + RULE}))
    rubrics = load_rubric_file(path)
    sqa = rubrics.rubric_for("sqa", "spoken_qa")  # the task type decides, in any case
    assert sqa.guide() == "Spoken QA. " + RULE and sqa.first_match and sqa.levels[4] == "good."
    assert sqa.sha256 == rubrics.sha256 and sqa.source == str(path) and sqa.ref == f"SQA@file-{rubrics.sha256[:12]}"
    assert rubrics.rubric_for(None, "spoken_qa").id == "SQA"  # a non-SBA task judged with spoken_qa
    assert rubrics.rubric_for("math", "math") == load_rubric("math")  # not covered: the shipped rubric


def test_yaml_rubrics_replace_shipped_ones_by_id(tmp_path: Path) -> None:
    mine = {**load_rubric("spoken_qa").model_dump(), "version": "7", "criteria": "My own criteria " * 5}
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "mine.yaml").write_text(yaml.safe_dump(mine))
    rubrics = load_rubric_file(folder)
    assert rubrics.rubric_for("SQA", "spoken_qa").ref == "spoken_qa@7"
    assert rubrics.rubric_for(None, "spoken_qa").criteria.startswith("My own criteria")


@pytest.mark.parametrize("content, message", [
    (json.dumps({"SQA": "Rating 1: a. Rating 2: b. Rating 3: c. Rating 5: e."}), r"Rating 1: to Rating 5: once each"),
    ("{not json", "cannot read it as JSON or YAML"),
    (json.dumps([1, 2]), "not a rubric"),
    (json.dumps({"SQA": 3}), "expected SeaBench-Audio's rules.json"),
])
def test_broken_files_are_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "rules.json"
    path.write_text(content)
    with pytest.raises(UserError, match=message):
        load_rubric_file(path)


def test_rules_option_is_taken_out_of_the_judge_options(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"SQA": RULE}))
    rest, rubrics = split_rules_option({"rules": str(path), "concurrency": 4})
    assert rest == {"concurrency": 4} and rubrics is not None and "SQA" in rubrics.rubrics
    assert split_rules_option(None) == ({}, None)
    with pytest.raises(UserError, match="rubrics file not found"):
        split_rules_option({"rules": str(tmp_path / "missing.json")})
