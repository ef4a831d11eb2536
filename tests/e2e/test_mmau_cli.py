"""MMAU from the command line, on a test-mini-layout JSON built here (questions written for these
tests, in the shapes the published test-mini has): oracles that answer with the option text, the
letter, "(B) text", markdown and "The answer is ...", all scored 100 %; duplicated options; options
that are letters or note names; options made of the same words; a letter that names one option
and text that names another (a counted conflict); and MMAU's own rule reported beside ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.core import write_tone

SEABENCH = [sys.executable, "-m", "seabench.cli"]
LETTERS = "ABCDEFGHIJ"

# (id, choices, answer, MMAU task, difficulty)
ITEMS = [
    ("q-dog", ["Dog barking", "Cat meowing", "Car horn", "Rain"], "Dog barking", "sound", "easy"),
    ("q-dup", ["seven", "eleven", "seven", "two"], "seven", "speech", "medium"),
    ("q-dup2", ["0.8 seconds", "2.1 seconds", "1.4 seconds", "0.8 seconds"], "2.1 seconds", "sound", "hard"),
    ("q-notes", ["G", "A#", "D", "E"], "D", "music", "medium"),
    ("q-letters", ["B", "C", "D", "A"], "A", "music", "hard"),
    ("q-chords", ["C", "Dm", "F#m7", "Bb/D"], "F#m7", "music", "hard"),
    ("q-author", ["Jane Austen", "T. S. Eliot", "Mark Twain", "Leo Tolstoy"], "T. S. Eliot", "speech", "easy"),
    ("q-order", ["first: calm, second: angry", "first: angry, second: calm", "both calm", "both angry"],
     "first: angry, second: calm", "speech", "medium"),
    ("q-words", ["it is not a loud sound, it is a soft sound", "it is a loud sound, it is not a soft sound",
                 "it is neither loud nor soft", "it is loud then soft"],
     "it is not a loud sound, it is a soft sound", "sound", "hard"),
    ("q-two", ["Yes", "No"], "No", "speech", "easy"),
]
ORACLES = {
    "text": lambda answer, i: answer,
    "letter": lambda answer, i: LETTERS[i],
    "letter_text": lambda answer, i: f"({LETTERS[i]}) {answer}",
    "markdown": lambda answer, i: f"**{LETTERS[i]}**",
    "marker": lambda answer, i: f"The answer is {answer}",
}


def write_mmau(folder: Path) -> Path:
    """mmau-test-mini.json next to test-mini-audios/, as the MMAU repository lays them out."""
    (folder / "test-mini-audios").mkdir(parents=True, exist_ok=True)
    rows = []
    for n, (qid, choices, answer, task, difficulty) in enumerate(ITEMS):
        write_tone(folder / "test-mini-audios" / f"{qid}.wav", seconds=0.2, freq=200 + 40 * n)
        rows.append({"id": qid, "audio_id": f"./test-mini-audios/{qid}.wav", "question": f"Question {n}?",
                     "choices": choices, "answer": answer, "dataset": "fixture", "task": task, "split": "test-mini",
                     "category": "Reasoning", "sub-category": "Fixture", "difficulty": difficulty})
    path = folder / "mmau-test-mini.json"
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return path


def _run(tmp_path: Path, name: str, outputs: dict[str, str], tasks: str, env: dict[str, str] | None = None) -> dict:
    preds = tmp_path / f"{name}.jsonl"
    preds.write_text("".join(json.dumps({"id": k, "output": v}) + "\n" for k, v in outputs.items()), encoding="utf-8")
    out = tmp_path / f"run-{name}"
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run([*SEABENCH, "run", "--model", f"predictions:{preds}", "--tasks", tasks, "-o", str(out)],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [task] = json.loads((out / "results.json").read_text())["tasks"].values()
    return task


@pytest.mark.parametrize("oracle", sorted(ORACLES))
def test_every_oracle_scores_100_percent(tmp_path: Path, oracle: str) -> None:
    path = write_mmau(tmp_path / "mmau")
    make = ORACLES[oracle]
    items = ITEMS
    if oracle in ("letter", "markdown"):  # left out: items whose answer letter is another option's text
        items = [i for i in ITEMS if LETTERS[i[1].index(i[2])] not in i[1]]
        assert len(items) == len(ITEMS) - 2
    task = _run(tmp_path, oracle, {q: make(a, c.index(a)) for q, c, a, _, _ in items}, f"mmau@{path}")
    metrics = task["metrics"]
    assert metrics["accuracy"]["value"] == pytest.approx(len(items) / len(ITEMS))
    assert task["counts"]["errors"].get("missing_prediction", 0) == len(ITEMS) - len(items)
    assert task["counts"]["extract_fail"] == 0 and metrics["conflict_rate"]["value"] == 0.0
    if oracle == "text":
        assert metrics["accuracy_mmau_rule"]["value"] == 1.0


def test_letters_that_are_option_texts_read_as_text(tmp_path: Path) -> None:
    """`D` among G/A#/D/E is the option D (text beats letter); in B/C/D/A the letter A is option D."""
    path = write_mmau(tmp_path / "mmau")
    task = _run(tmp_path, "letters", {"q-notes": "D", "q-letters": "A", "q-chords": "(C) F#m7"}, f"mmau@{path}")
    assert task["metrics"]["accuracy"]["value"] == pytest.approx(3 / 10)


def test_conflicts_are_counted_not_credited_and_the_mmau_rule_is_reported(tmp_path: Path) -> None:
    path = write_mmau(tmp_path / "mmau")
    outputs = {
        "q-dog": "(B) Dog barking",  # letter B names Cat meowing: conflict
        "q-author": "The answer is T. S. Eliot.",  # a period inside the answer after a marker
        "q-dup": "C",  # the letter of the duplicate copy of the answer
        "q-dup2": "The answer is (B) 2.1 seconds",
        "q-order": "first: calm, second: angry",  # same words, other order: wrong
        "q-two": "It is no, definitely.",
    }
    task = _run(tmp_path, "mixed", outputs, f"mmau@{path}")
    metrics, counts = task["metrics"], task["counts"]
    assert metrics["accuracy"]["value"] == pytest.approx(4 / 10)  # author, dup, dup2, two
    assert metrics["conflict_rate"]["value"] == pytest.approx(1 / 10)
    assert counts["errors"] == {"missing_prediction": 4} and counts["extract_fail"] == 1
    # MMAU's rule on the raw text: bare letters never count; the conflicting "(B) Dog barking" and the
    # wrong answer made of the right words in the wrong order do
    assert metrics["accuracy_mmau_rule"]["value"] == pytest.approx(5 / 10)
    assert set(task["breakdowns"]) >= {"category", "difficulty"}


def test_dataset_folder_layout(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_mmau(data / "mmau")
    task = _run(tmp_path, "installed", {q: a for q, _, a, _, _ in ITEMS}, "mmau/test-mini",
                env={"SEABENCH_DATA_DIR": str(data)})
    assert task["metrics"]["accuracy"]["value"] == 1.0 and task["metrics"]["accuracy_mmau_rule"]["value"] == 1.0
