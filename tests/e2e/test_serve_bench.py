"""`seabench serve-bench` from the CLI against a local server speaking OpenAI chat-completions SSE that
pauses a set time (growing with the audio length) before the first token and between tokens, and
counts simultaneous requests: the figures come back within tolerance, concurrency is exact, warm-up is
excluded, errors are counted per cell, the time budget holds, and the tables are written."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seabench.cli import app
from seabench.servebench import AudioPool
from tests.helpers.fake_http import Received, cut_stream, server_error
from tests.helpers.fake_openai import FakeOpenAI, audio_parts, wav_seconds

ANSWER = "one two three four five six"  # 6 tokens, 5 gaps
INTERVAL = 0.02
EARLY, LATE = 0.005, 0.06  # the server cannot answer early; a busy 2-core machine can answer late


def ttft_for(seconds: float) -> float:
    """The fake's prefill: 30 ms plus 5 ms per second of audio."""
    return 0.03 + 0.005 * seconds


def bench(tmp_path: Path, server: FakeOpenAI, *args: str) -> tuple[int, str, dict]:
    out = tmp_path / "bench"
    result = CliRunner().invoke(app, ["serve-bench", "--model", f"openai:fake-audio@{server.base_url}",
                                      "--out", str(out), *args])
    data = json.loads((out / "serve_bench.json").read_text()) if (out / "serve_bench.json").exists() else {}
    return result.exit_code, result.output, data


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEABENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_latencies_are_recovered_and_concurrency_is_exact(tmp_path: Path) -> None:
    with FakeOpenAI(responder=lambda req: ANSWER, first_token_s=lambda req: ttft_for(wav_seconds(req)),
                    token_interval_s=INTERVAL) as server:
        code, output, data = bench(tmp_path, server, "--concurrency", "1,3", "--audio-seconds", "2,8",
                                   "--trials", "6", "--published", "meralion", "--quiet")
        arrivals = list(server.in_flight_at_arrival)
        seconds = [round(wav_seconds(r), 3) for r in server.completions()]
        audio = [hashlib.sha256(audio_parts(r.json)[0][1]).hexdigest() for r in server.completions()]
    assert code == 0, output
    cells = data["cells"]
    assert [(c["audio_s"], c["concurrency"]) for c in cells] == [(2, 1), (2, 3), (8, 1), (8, 3)]
    for c in cells:
        assert (c["requests"], c["ok"], c["errors"], c["warmup"]) == (6, 6, 0, c["concurrency"])
        assert c["peak_in_flight"] == c["concurrency"] and not c["stopped_early"] and 0 < c["client_cpu_share"] < 2
        want = ttft_for(c["audio_s"]) * 1000
        assert want - EARLY * 1000 <= c["ttft_ms"]["mean"] <= want + LATE * 1000
        assert INTERVAL * 1000 - 1 <= c["itl_ms"]["mean"] <= (INTERVAL + LATE / 3) * 1000
        assert c["tpot_ms"]["mean"] == pytest.approx(c["itl_ms"]["mean"], rel=1e-6)  # one piece per token here
        assert c["itl_ms"]["n"] == 6 * 5 and c["output_tokens_mean"] == 6 and c["input_tokens_mean"] == 3 + 10
        ideal = c["concurrency"] * 6 / (want / 1000 + 5 * INTERVAL)  # tokens/s with `concurrency` always busy
        assert 0.3 * ideal <= c["tokens_per_s"] <= 1.05 * ideal
    # the server saw exactly `concurrency` requests at once, cell after cell (warm-up first, then the trials)
    sizes = [c["warmup"] + c["requests"] for c in cells]
    assert sum(sizes) == len(arrivals) == len(seconds)
    per_cell, start = [], 0
    for size in sizes:
        per_cell.append(arrivals[start:start + size])
        start += size
    assert [max(a) for a in per_cell] == [1, 3, 1, 3]  # never more than `concurrency`, and that many reached
    assert all(a[:3] == [1, 2, 3] and a.count(3) >= 2 for a in per_cell[1::2])  # warm-up, then trials, each at 3
    assert seconds == [2.0] * sizes[0] + [2.0] * sizes[1] + [8.0] * sizes[2] + [8.0] * sizes[3]
    assert len(set(audio)) == len(audio)  # every request heard different audio: no server cache can help
    assert data["published"]["cells"][0] == {"concurrency": 1, "audio_s": 30.0, "ttft_ms": 85.8, "itl_ms": 9.9}


def test_warm_up_is_excluded_and_tables_are_written(tmp_path: Path) -> None:
    calls: list[Received] = []

    def slow_first(req: Received) -> float:  # the first (warm-up) request is slow
        calls.append(req)
        return 0.4 if len(calls) == 1 else 0.02

    with FakeOpenAI(responder=lambda req: ANSWER, first_token_s=slow_first, token_interval_s=0.005) as server:
        code, output, data = bench(tmp_path, server, "--concurrency", "1", "--audio-seconds", "1", "--trials", "4",
                                   "--warmup", "1", "--prompt", "<script>alert(1)</script>")
    assert code == 0, output
    [cell] = data["cells"]
    assert cell["warmup"] == 1 and cell["ttft_ms"]["n"] == 4 and cell["ttft_ms"]["p95"] < 200
    out = tmp_path / "bench"
    records = [json.loads(line) for line in (out / "requests.jsonl").read_text().splitlines()]
    assert [r["phase"] for r in records] == ["warmup"] + ["measured"] * 4 and records[0]["ttft_s"] >= 0.4 - EARLY
    assert all(len(r["gaps_s"]) == 5 for r in records)
    [row] = list(csv.DictReader(io.StringIO((out / "serve_bench.csv").read_text())))
    assert row["concurrency"] == "1" and float(row["ttft_ms_mean"]) == pytest.approx(cell["ttft_ms"]["mean"], abs=1e-3)
    md = (out / "serve_bench.md").read_text()
    assert "| 1 | 1 | 4 / 4 | 0 |" in md and "| 1 | 1 | 4 / 4 | 0 |" in output
    page = (out / "serve_bench.html").read_text()
    assert page.count("<svg") >= 1 and "<polyline" not in page  # one point per line: markers only
    assert "<script" not in page and "&lt;script&gt;" in page and "http://" not in page.replace(server.base_url, "")
    assert data["settings"]["prompt"] == "<script>alert(1)</script>" and data["status"] == "complete"
    assert data["server"]["base_url"] == server.base_url and len(data["client"]["load_avg_start"]) == 3


def test_errors_are_counted_per_cell_never_retried(tmp_path: Path) -> None:
    faults = [None, None, server_error(503), None, cut_stream(2)]  # warm-up 1, then 4 trials
    with FakeOpenAI(responder=lambda req: ANSWER, faults=faults) as server:
        code, output, data = bench(tmp_path, server, "--concurrency", "1", "--audio-seconds", "1,2", "--trials", "4",
                                   "--warmup", "1", "--quiet")
        sent = len(server.completions())
    assert code == 0, output
    first, second = data["cells"]
    assert (first["requests"], first["ok"], first["errors"]) == (4, 2, 2)
    assert first["error_kinds"] == {"HTTP 503": 1, "APIConnectionError": 1} and first["ttft_ms"]["n"] == 2
    assert (second["ok"], second["errors"]) == (4, 0)
    assert sent == 10  # 2 cells x (1 + 4): a failed request is not sent again
    assert "HTTP 503 x1" in (tmp_path / "bench" / "serve_bench.md").read_text()


def test_a_cell_stops_at_its_time_budget(tmp_path: Path) -> None:
    with FakeOpenAI(responder=lambda req: "a b", first_token_s=0.3) as server:
        code, output, data = bench(tmp_path, server, "--concurrency", "2", "--audio-seconds", "1", "--trials", "50",
                                   "--max-cell-seconds", "1", "--quiet")
    assert code == 0, output
    [cell] = data["cells"]
    assert cell["stopped_early"] and 2 <= cell["requests"] < 50 and cell["errors"] == 0
    assert "(time budget)" in (tmp_path / "bench" / "serve_bench.md").read_text()


def test_user_mistakes_get_one_line(tmp_path: Path) -> None:
    runner = CliRunner()

    def fails(*args: str) -> str:
        result = runner.invoke(app, ["serve-bench", "--out", str(tmp_path / "x"), *args])
        assert result.exit_code != 0
        return str(result.exception or "") + result.output

    assert "openai:MODEL@URL" in fails("--model", "reference")
    assert "openai:MODEL@URL" in fails("--model", "openai:gpt-4o")  # no server named: nothing to measure
    assert "distinct positive" in fails("--model", "openai:m@http://127.0.0.1:9/v1", "--concurrency", "4,0")
    assert "comma-separated" in fails("--model", "openai:m@http://127.0.0.1:9/v1", "--audio-seconds", "30s")
    assert "no such file" in fails("--model", "openai:m@http://127.0.0.1:9/v1", "--published", "nope.json")
    bad = tmp_path / "bad.csv"
    bad.write_text("concurrency,audio_s,ttft_ms\nfour,30,1\n")
    assert "not a published table" in fails("--model", "openai:m@http://127.0.0.1:9/v1", "--published", str(bad))


def test_a_published_csv_is_shown_beside_ours(tmp_path: Path) -> None:
    table = tmp_path / "mine.csv"
    table.write_text("concurrency,audio_s,ttft_ms,itl_ms\n1,1,50.5,7.25\n")
    with FakeOpenAI(responder=lambda req: "a b c") as server:
        code, output, data = bench(tmp_path, server, "--concurrency", "1", "--audio-seconds", "1", "--trials", "2",
                                   "--published", str(table), "--quiet")
    assert code == 0, output
    assert data["published"]["name"] == "mine"
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "bench" / "serve_bench.csv").read_text())))
    assert (row["published_ttft_ms"], row["published_itl_ms"]) == ("50.5", "7.25")
    assert "| mine TTFT ms | mine ITL ms |" in (tmp_path / "bench" / "serve_bench.md").read_text()


def test_a_cell_where_everything_fails_stops_the_bench(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve-bench", "--model", "openai:m@http://127.0.0.1:9/v1", "--concurrency",
                                      "1,4", "--audio-seconds", "1,2", "--trials", "2", "--warmup", "0", "--quiet",
                                      "--out", str(tmp_path / "b"), "-M", "timeout=2"])
    assert result.exit_code == 1 and "every request of cell c=1 audio=1s failed (APIConnectionError x2)" in result.output
    data = json.loads((tmp_path / "b" / "serve_bench.json").read_text())
    assert data["status"] == "failed" and len(data["cells"]) == 1 and data["cells"][0]["errors"] == 2
    assert data["settings"]["request_timeout_s"] == 2
    clash = CliRunner().invoke(app, ["serve-bench", "--model", "openai:m@http://127.0.0.1:9/v1", "-M", "max_retries=3",
                                     "--out", str(tmp_path / "c")])
    assert clash.exit_code != 0 and "sets -M max_retries itself" in str(clash.exception)


def test_audio_windows_are_exact_speech_and_all_different() -> None:
    pool = AudioPool.from_mini()
    assert pool.clips >= 100 and pool.seconds > 300
    windows = [pool.window(30, k) for k in range(50)]
    assert all(len(w) == 30 * 16000 for w in windows)
    assert len({hashlib.sha256(w.tobytes()).hexdigest() for w in windows}) == 50
    assert all(float(abs(w).max()) > 0.05 for w in windows)  # speech, not silence
    assert len(pool.window(2 * pool.seconds, 3)) == round(2 * pool.seconds * 16000)  # longer than the pool: wraps
