"""`--model predictions:FILE` reads what other harnesses write (issue 17), each layout built here as that
harness writes it (lm-evaluation-harness and lmms-eval `--log_samples`, AudioBench's
`log/<model>/<dataset>.json`, SeaBench-Audio's `responses/<model>.json`), plus our own samples.jsonl and
plain CSV, and run through the CLI as a user would."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seabench import Sample
from seabench.registry import registry
from tests.helpers.core import write_manifest, write_tone

SEABENCH = [sys.executable, "-m", "seabench.cli"]


def _samples(task: str) -> list[Sample]:
    return list(registry().tasks()[task].load())


def _run(tmp_path: Path, preds: Path, tasks: str, name: str = "run", *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    return subprocess.run([*SEABENCH, "run", "--model", f"predictions:{preds}", "--tasks", tasks, "-o",
                           str(tmp_path / name), "--judge", "none", *extra], env=env, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)


def _result(tmp_path: Path, task: str, name: str = "run") -> dict:
    return json.loads((tmp_path / name / "results.json").read_text())["tasks"][task]


def _outputs(tmp_path: Path, name: str = "run") -> dict[str, str | None]:
    rows = [json.loads(line) for line in (tmp_path / name / "samples.jsonl").read_text().splitlines()]
    return {r["sample_id"]: (r.get("output") or {}).get("text") if not r.get("error_code") else None for r in rows}


def _lm_eval_row(doc_id: int, doc: dict, answer: str, target: str, filt: str = "none") -> dict:
    """One line of lm-eval's samples_<task>_<date>.jsonl for a generate_until task (see
    lm_eval/evaluator.py and EvaluationTracker.save_results_samples)."""
    return {"doc_id": doc_id, "doc": doc, "target": target,
            "arguments": {"gen_args_0": {"arg_0": "Transcribe the audio.", "arg_1": {"until": ["\n\n"], "do_sample": False}}},
            "resps": [[answer]], "filtered_resps": [answer.strip() if filt != "none" else answer], "filter": filt,
            "metrics": ["wer"], "doc_hash": "d" * 64, "prompt_hash": "p" * 64, "target_hash": "t" * 64, "wer": 0.0}


def test_lm_eval_log_samples_match_by_doc_id_and_keep_the_raw_generation(tmp_path: Path) -> None:
    samples = _samples("mini/asr-en")
    preds = tmp_path / "samples_librispeech_en_2026-08-21T10-00-00.123456.jsonl"
    rows = []
    for filt in ("none", "strip-whitespace"):  # lm-eval writes one line per doc and filter
        for doc_id in reversed(range(len(samples))):  # written out of order: doc_id, not the line, decides
            s = samples[doc_id]
            rows.append(_lm_eval_row(doc_id, {"audio": {"path": f"{s.id}.wav"}, "text": s.reference},
                                     str(s.reference), str(s.reference), filt))
    write_manifest(preds, rows)
    done = _run(tmp_path, preds, "mini/asr-en")
    assert done.returncode == 0, done.stderr
    task = _result(tmp_path, "mini/asr-en")
    assert task["metrics"]["wer"]["value"] == 0.0 and task["counts"]["errors"] == {}
    assert "match no sample" not in done.stderr and "duplicate" not in done.stderr
    info = json.loads((tmp_path / "run" / "results.json").read_text())["model"]
    assert info["details"] == {"rows": len(samples), "format": "lm-eval"}  # one filter's lines


def test_lm_eval_docs_with_their_own_id_are_matched_by_that_id(tmp_path: Path) -> None:
    samples = _samples("mini/gender")
    preds = tmp_path / "samples_gender_2026-08-21T10-00-00.jsonl"
    # doc_id counts lm-eval's own order (here the reverse of ours); the doc's id field names our sample
    write_manifest(preds, [_lm_eval_row(i, {"id": s.id, "gender": s.label}, f"The speaker is {s.label}.", str(s.label))
                           for i, s in enumerate(reversed(samples))])
    done = _run(tmp_path, preds, "mini/gender")
    assert done.returncode == 0, done.stderr
    assert _result(tmp_path, "mini/gender")["metrics"]["accuracy"]["value"] == 1.0


def test_lm_eval_log_likelihood_rows_are_refused_in_one_line(tmp_path: Path) -> None:
    preds = tmp_path / "samples_mc_2026.jsonl"
    row = _lm_eval_row(0, {"q": "?"}, "x", "0")
    row["resps"] = [[["-1.25", "False"]], [["-0.5", "True"]]]
    row["filtered_resps"] = [["-1.25", "False"], ["-0.5", "True"]]
    write_manifest(preds, [row])
    done = _run(tmp_path, preds, "mini/gender")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "log-likelihoods, not generated text" in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("layout", ["lmms-eval-0.7", "lmms-eval-0.4"])
def test_lmms_eval_log_samples_match_by_doc_id(tmp_path: Path, layout: str) -> None:
    """lmms-eval drops `doc` and, since v0.7, flattens one-request answers to a string."""
    samples = _samples("mini/asr-th")
    preds = tmp_path / f"20260806_101010_samples_fleurs_th.jsonl"
    rows = []
    for doc_id, s in enumerate(samples):
        row = {"doc_id": doc_id, "target": s.reference, "doc_hash": "d" * 64, "prompt_hash": "p" * 64,
               "target_hash": "t" * 64, "input": "Transcribe the Thai speech.", "wer": 0.0}
        if layout == "lmms-eval-0.7":
            row |= {"filtered_resps": s.reference, "token_counts": [None]}
        else:
            row |= {"resps": [[s.reference]], "filtered_resps": [s.reference]}
        rows.append(row)
    rows.append({**rows[0], "doc_id": 999})  # a doc the task does not have
    write_manifest(preds, rows)
    done = _run(tmp_path, preds, "mini/asr-th")
    assert done.returncode == 0, done.stderr
    assert _result(tmp_path, "mini/asr-th")["metrics"]["wer"]["value"] == 0.0
    assert "1 prediction ids match no sample: position 999" in done.stderr


def test_positions_count_in_the_whole_task_whatever_limit_chose(tmp_path: Path) -> None:
    samples = _samples("mini/asr-th")
    preds = write_manifest(tmp_path / "lmms.jsonl", [{"doc_id": i, "target": s.reference, "filtered_resps": s.reference}
                                                     for i, s in enumerate(samples)])
    done = _run(tmp_path, preds, "mini/asr-th", "run", "--limit", "5")
    assert done.returncode == 0, done.stderr
    task = _result(tmp_path, "mini/asr-th")
    assert task["counts"]["n"] == 5 and task["metrics"]["wer"]["value"] == 0.0
    assert "match no sample" not in done.stderr  # the other answers belong to samples the limit left out


def test_positional_answers_need_a_single_task(tmp_path: Path) -> None:
    preds = tmp_path / "lmms.jsonl"
    write_manifest(preds, [{"doc_id": 0, "target": "x", "filtered_resps": "x"}])
    done = _run(tmp_path, preds, "mini/asr-th,mini/asr-en")
    assert done.returncode == 2 and "pass --tasks with the one task the file is for" in done.stderr


def _audiobench_json(path: Path, samples: list[Sample], answers: list[str]) -> Path:
    """AudioBench's main_evaluate.py dumps format_model_predictions(): the input rows without audio,
    plus model_prediction, in dataset order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"instruction": "Please translate the speech into Indonesian.", "reference": s.reference,
             "task_type": "ST-EN-ID", "model_prediction": a} for s, a in zip(samples, answers)]
    path.write_text(json.dumps(rows, indent=4, ensure_ascii=False), encoding="utf-8")
    return path


def test_audiobench_output_json_matches_by_order(tmp_path: Path) -> None:
    samples = _samples("mini/s2tt-en-id")
    preds = _audiobench_json(tmp_path / "log_for_all_models" / "m" / "covost2_en_id_test.json", samples,
                             [str(s.reference) for s in samples])
    done = _run(tmp_path, preds, "mini/s2tt-en-id")
    assert done.returncode == 0, done.stderr
    assert _result(tmp_path, "mini/s2tt-en-id")["metrics"]["bleu"]["value"] == pytest.approx(100.0)
    assert "another reference" not in done.stderr


def test_audiobench_rows_out_of_order_are_flagged(tmp_path: Path) -> None:
    samples = _samples("mini/s2tt-en-id")
    shuffled = [samples[1], samples[0], *samples[2:]]  # as a number_of_samples run (shuffled) would be
    preds = _audiobench_json(tmp_path / "covost2_en_id_test.json", shuffled, [str(s.reference) for s in shuffled])
    done = _run(tmp_path, preds, "mini/s2tt-en-id")
    assert done.returncode == 0, done.stderr
    assert f"2 of {len(samples)} answers matched by position have another reference" in done.stderr


def test_an_audiobench_score_file_is_refused_with_the_file_to_use(tmp_path: Path) -> None:
    score = tmp_path / "alpaca_audio_test_llama3_70b_judge_score.json"
    score.write_text(json.dumps({"llama3_70b_judge": {"judge_score": 61.2}}, indent=4))
    done = _run(tmp_path, score, "mini/s2tt-en-id")
    assert done.returncode == 2 and "is an AudioBench score file" in done.stderr


def _sba_parquet(path: Path, rows: list[tuple[int, str, str, str, str]]) -> Path:
    """SeaBench-Audio's test.parquet columns (idx, language, task, query, reference, audio)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    import soundfile as sf

    tone = write_tone(path.parent / "tone.wav", seconds=0.2)
    buf = io.BytesIO()
    sf.write(buf, sf.read(tone)[0], 16000, format="WAV")
    table = pa.table({"idx": [r[0] for r in rows], "language": [r[1] for r in rows], "task": [r[2] for r in rows],
                      "query": [r[3] for r in rows], "reference": [r[4] for r in rows],
                      "audio": [{"bytes": buf.getvalue(), "path": f"{r[2]}_{r[0]}.wav"} for r in rows]})
    pq.write_table(table, path)
    return path


def test_seabench_audio_responses_match_by_language_task_and_idx(tmp_path: Path) -> None:
    rows = [(0, "th", "ASR", "", "สวัสดีครับ"), (3, "vi", "SQA_open", "Người nói đang ở đâu?", "Ở chợ"),
            (7, "id", "life_advice", "Bagaimana cara tidur nyenyak?", "Tidur teratur.")]
    data = _sba_parquet(tmp_path / "test.parquet", rows)
    # gen_responses.py: every column of data/seabench_audio.json plus the answer under the model's name
    responses = tmp_path / "responses" / "SeaLLMs-Audio-7B.json"
    responses.parent.mkdir()
    items = [{"idx": i, "language": lang, "task": task, "query": q, "reference": ref,
              "audio_url": f"data/audio_data/{lang}/{task}_{i}.wav", "SeaLLMs-Audio-7B": f"answer {lang} {i}"}
             for i, lang, task, q, ref in reversed(rows)]
    responses.write_text(json.dumps(items, indent=4, ensure_ascii=False), encoding="utf-8")
    done = _run(tmp_path, responses, f"seabench-audio@{data}")
    assert done.returncode == 0, done.stderr
    assert _outputs(tmp_path) == {"th-ASR-0": "answer th 0", "vi-SQA_open-3": "answer vi 3",
                                  "id-life_advice-7": "answer id 7"}
    assert json.loads((tmp_path / "run" / "results.json").read_text())["model"]["details"]["format"] == "seabench-audio"


def test_our_samples_jsonl_rescored_keeps_answers_errors_and_the_latest_line(tmp_path: Path) -> None:
    write_tone(tmp_path / "a.wav", seconds=0.2)
    manifest = write_manifest(tmp_path / "data.jsonl", [
        {"id": f"u{i}", "audio": "a.wav", "language": "en", "reference": f"number {i}"} for i in range(4)])
    first = write_manifest(tmp_path / "first.jsonl", [{"id": "u0", "output": "number 0"},
                                                      {"id": "u1", "output": "numbr 1"},
                                                      {"id": "u2", "output": "number 2"}])
    assert _run(tmp_path, first, f"asr@{manifest}", "a").returncode == 0
    with open(tmp_path / "a" / "samples.jsonl", "a", encoding="utf-8") as fh:  # a retried sample's later line
        row = json.loads((tmp_path / "a" / "samples.jsonl").read_text().splitlines()[2])
        row["output"]["text"] = "number two"
        fh.write(json.dumps(row) + "\n")
    done = _run(tmp_path, tmp_path / "a" / "samples.jsonl", f"asr@{manifest}", "b")
    assert done.returncode == 0, done.stderr
    assert _outputs(tmp_path, "b") == {"u0": "number 0", "u1": "numbr 1", "u2": "number two", "u3": None}
    records = [json.loads(x) for x in (tmp_path / "b" / "samples.jsonl").read_text().splitlines()]
    assert {r["sample_id"]: r.get("error_code") for r in records}["u3"] == "missing_prediction"
    assert "the source run recorded missing_prediction" in next(r for r in records if r["sample_id"] == "u3")["error_message"]
    assert "match no sample" not in done.stderr
    assert json.loads((tmp_path / "b" / "results.json").read_text())["model"]["details"]["format"] == "seabench"


def test_plain_csv_and_json_list(tmp_path: Path) -> None:
    samples = _samples("mini/asr-en")
    table = tmp_path / "preds.csv"
    with open(table, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["id", "prediction"])
        writer.writerows([s.id, s.reference] for s in samples)
    done = _run(tmp_path, table, "mini/asr-en", "csv")
    assert done.returncode == 0, done.stderr
    assert _result(tmp_path, "mini/asr-en", "csv")["metrics"]["wer"]["value"] == 0.0
    listed = tmp_path / "preds.json"
    listed.write_text(json.dumps([{"id": s.id, "hyp": s.reference} for s in samples]))
    done = _run(tmp_path, listed, "mini/asr-en", "json", "-M", "column=hyp")
    assert done.returncode == 0, done.stderr
    assert _result(tmp_path, "mini/asr-en", "json")["metrics"]["wer"]["value"] == 0.0
