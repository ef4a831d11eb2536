"""AudioBench's whole catalogue through the CLI: every set written in its published on-disk format,
run as `--tasks audiobench` with stored answers and a local OpenAI-compatible judge (the way
AudioBench serves Llama-3-70B with vLLM), each task reporting its own metric and AudioBench's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seabench.tasks.datasets.audiobench_catalog import ENTRIES
from tests.helpers.audiobench_data import write_all
from tests.helpers.fake_openai import FakeOpenAI, user_text
from tests.unit.test_datasets_formats import make_mmau

PRIMARY = {"asr": {"wer", "cer", "mixed_error_rate"}, "mcq": {"accuracy"}, "label": {"accuracy"},
           "math": {"accuracy"}, "judged": {"judge_score"}}


def judge_reply(req) -> str:  # noqa: ANN001 - Received
    """A 0/1 rubric gets 1, a 0-5 rubric gets 4, as a JSON verdict."""
    binary = "Score from 0 to 1." in user_text(req.json)
    return json.dumps({"rationale": "Matches the reference.", "score": 1 if binary else 4})


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seabench.cli", *args], env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def audiobench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list, list[str], dict[str, str]]:
    tmp = tmp_path_factory.mktemp("audiobench")
    data = tmp / "data"
    fixtures = write_all(data)
    mmau = make_mmau(data)
    rows = [{"task": fx.task, "id": f"{i:05d}", "output": answer} for fx in fixtures
            for i, answer in enumerate(fx.answers)]
    rows += [{"task": "mmau/test-mini", "id": item["id"], "output": item["answer"]} for item in mmau]
    preds = tmp / "preds.jsonl"
    preds.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    env = {**os.environ, "SEABENCH_DATA_DIR": str(data), "SEABENCH_CACHE_DIR": str(tmp / "cache"),
           "OPENAI_API_KEY": "local"}
    with FakeOpenAI(responder=judge_reply) as server:
        out = cli(env, "run", "--model", f"predictions:{preds}", "--tasks", "audiobench", "-o", str(tmp / "run"),
                  "--judge", f"openai:llama-3-70b-instruct@{server.base_url}", "--quiet")
        prompts = [user_text(req.json) for req in server.completions()]
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((tmp / "run" / "results.json").read_text(encoding="utf-8"))
    return results, fixtures, prompts, env


def test_every_catalogue_set_runs_with_its_own_and_audiobenchs_metric(audiobench_run) -> None:  # noqa: ANN001
    results, fixtures, _, _ = audiobench_run
    tasks = results["tasks"]
    assert {fx.task for fx in fixtures} | {"mmau/test-mini"} == set(tasks)
    kinds = {e.task: e.kind for e in ENTRIES}
    for fx in fixtures:
        task = tasks[fx.task]
        assert task["counts"]["n"] == 2 and task["counts"]["errors"] == {}, fx.task
        for metric, value in fx.expect.items():
            assert task["metrics"][metric]["value"] == pytest.approx(value), (fx.task, metric)
        if fx.task in kinds:
            assert task["primary_metric"] in PRIMARY[kinds[fx.task]], fx.task
    assert tasks["asr/aishell1"]["primary_metric"] == "cer"
    assert tasks["asr/seame-dev-man"]["primary_metric"] == "mixed_error_rate"
    assert tasks["mmau/test-mini"]["metrics"]["accuracy"]["value"] == 1.0


def test_judge_sees_the_audiobench_scale_and_the_spoken_request(audiobench_run) -> None:  # noqa: ANN001
    _, _, prompts, _ = audiobench_run
    assert prompts and all("Score from 0 to 5." in p or "Score from 0 to 1." in p for p in prompts)
    assert any("[What the audio says]\nName two fruits." in p for p in prompts)  # a text-only judge, like AudioBench's
    assert any("(AudioBench protocol, 0-5)" in p for p in prompts) and any("(AudioBench protocol, 0/1)" in p
                                                                          for p in prompts)


def test_tasks_listing_shows_the_suite_ready(audiobench_run) -> None:  # noqa: ANN001
    _, fixtures, _, env = audiobench_run
    out = cli(env, "tasks", "--suite", "audiobench")
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.split() and "/" in line.split()[0]]
    assert len(lines) == len(fixtures) + 1 and all(line.split()[-1] == "ready" for line in lines)
    assert f"{len(lines)} tasks, {len(lines)} with data here" in out.stdout


def test_gemini_judge_hears_the_audio_on_the_same_rubrics(tmp_path: Path) -> None:
    """The same AudioBench-protocol rubrics through the Gemini judge, which gets the clip itself."""
    from seabench.tasks.datasets.audiobench_catalog import ENTRIES
    from tests.helpers.audiobench_data import write_entry
    from tests.helpers.fake_gemini import FakeGemini, inline_audio, prompt_text

    chosen = [e for e in ENTRIES if e.task in ("sqa/mnsc-part3", "paralinguistics/mnsc-gender-dialogue")]
    fixtures = [write_entry(tmp_path / "data", entry, salt) for salt, entry in enumerate(chosen)]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": fx.task, "id": f"{i:05d}", "output": a}) + "\n"
                             for fx in fixtures for i, a in enumerate(fx.answers)), encoding="utf-8")

    def reply(req) -> str:  # noqa: ANN001 - Received
        binary = "Score from 0 to 1." in prompt_text(req.json)
        return json.dumps({"rationale": "Heard and compared.", "score": 0 if binary else 5})

    with FakeGemini(responder=reply) as server:
        env = {**os.environ, "SEABENCH_DATA_DIR": str(tmp_path / "data"), "SEABENCH_CACHE_DIR": str(tmp_path / "c"),
               "GEMINI_API_KEY": "local", "GOOGLE_GEMINI_BASE_URL": server.url}
        env.pop("GOOGLE_API_KEY", None)
        out = cli(env, "run", "--model", f"predictions:{preds}", "--tasks", ",".join(fx.task for fx in fixtures),
                  "-o", str(tmp_path / "run"), "--judge", "gemini:gemini-2.5-flash", "--quiet")
        requests = server.generate_requests()
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(requests) == 4 and all(inline_audio(r.json) for r in requests)
    assert all("The user's audio is attached." in prompt_text(r.json) for r in requests)
    tasks = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))["tasks"]
    assert tasks["sqa/mnsc-part3"]["metrics"]["judge_score_audiobench_rule"]["value"] == 100.0
    assert tasks["paralinguistics/mnsc-gender-dialogue"]["metrics"]["judge_score_audiobench_rule"]["value"] == 0.0
    assert tasks["paralinguistics/mnsc-gender-dialogue"]["metrics"]["judge_score"]["value"] == 0.0
