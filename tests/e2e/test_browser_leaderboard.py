"""The leaderboard in real headless Chromium (Playwright driving the system browser).

The default command's site (`seabench run --model reference` beside a second model, then `seabench
leaderboard`) is checked as a reader meets it: ranked by the headline score, charts present with the
same values as leaderboard.json, no sideways page scroll on a 390 px phone (tables scroll in their
own box, first column sticky), numbers one tap away on a chart, audio loaded from SITE/audio/. The
fixture runs check sorting, drill-down, Thai/Chinese text, tied ranks, published rows and that
twenty-two XSS payloads stay inert text after every drill-down is opened. Screenshots at 1400 and
390 px go to tests/artifacts/.
"""

from __future__ import annotations

import csv
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from seabench.leaderboard import build_leaderboard
from tests.helpers.browser import INJECTION_PROBE, XSS, Browser, Tab, browser  # noqa: F401  (fixture)
from tests.unit.test_leaderboard_data import THAI_REF, ZH_REF, make_run, make_runs

pytestmark = pytest.mark.browser

SEABENCH = [sys.executable, "-m", "seabench.cli"]
ROWS = "Array.from(document.querySelectorAll('#overview-table tbody tr')).map(r => r.cells[1].textContent)"
LOAD_AUDIO = """new Promise((resolve) => {
  const a = document.querySelector('#sample-detail audio');
  a.preload = 'auto';
  a.onloadedmetadata = () => resolve({state: a.readyState, duration: a.duration, src: a.getAttribute('src')});
  a.onerror = () => resolve({state: -1, duration: 0, src: a.getAttribute('src')});
  a.load();
  setTimeout(() => resolve({state: -2, duration: 0, src: a.getAttribute('src')}), 8000);
})"""


def _seabench(cwd: Path, *args: str) -> None:
    env = {**os.environ, "SEABENCH_CACHE_DIR": str(cwd / "cache"), "NO_COLOR": "1"}
    done = subprocess.run([*SEABENCH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's default command on every mini task (two samples each), beside a second model."""
    root = tmp_path_factory.mktemp("default")
    _seabench(root, "run", "--model", "reference", "--limit", "2", "--quiet")
    _seabench(root, "run", "--model", "echo", "--limit", "2", "--quiet")
    _seabench(root, "leaderboard", "runs/reference", "runs/echo", "--out", "site")
    return root / "site"


def _check_charts_match_json(tab: Tab, data: dict) -> None:
    """Every chart value on the page is the one leaderboard.json holds."""
    head = data["headline"]
    labels = {r["run_id"]: r["label"] for r in data["runs"]}
    # ranking chart: one dot per ranked model, its tip the overall score and CI
    tips = tab.evaluate("Array.from(document.querySelectorAll('#ranking-chart circle')).map(c => c.dataset.tip)")
    assert len(tips) == len(head["runs"])
    for tip, run in zip(tips, head["runs"], strict=True):
        o = run["overall"]
        assert tip.startswith(f"{labels[run['run_id']]}: overall {o['score']:.1f} [{o['ci_low']:.1f}, {o['ci_high']:.1f}]")
    # languages × models heatmap: overall first, then each language, models in rank order
    texts = tab.evaluate("Array.from(document.querySelectorAll('#language-heatmap text.cell-text')).map(t => t.textContent)")
    expected = [f"{r['overall']['score']:.1f}" for r in head["runs"]]
    for lang in head["languages"]:
        expected += [f"{r['languages'][lang]['score']:.1f}" for r in head["runs"]]
    assert texts == expected
    # tasks × models heatmap: each cell shows the table's value for that task and model
    order = [r["run_id"] for r in head["runs"]]
    cells = {(c["run_id"], c["task"]): c for c in data["cells"] if c["language"] == "all"}
    families: dict[str, list[str]] = {}
    for t in data["tasks"]:
        families.setdefault(t["family"], []).append(t["name"])
    shown = tab.evaluate("Array.from(document.querySelectorAll('#task-heatmap text.cell-text')).map(t => t.textContent)")
    want = [cells[(rid, task)]["display"] if cells[(rid, task)]["value"] is not None else "–"
            for _, tasks in sorted(families.items()) for task in tasks for rid in order]
    assert shown == want
    # per-task bars: one bar per scored (model, task), each tip naming its value
    bars = tab.evaluate("Array.from(document.querySelectorAll('.bar-panels rect[data-task]')).map(r => r.dataset.tip)")
    scored = [c for c in cells.values() if c["value"] is not None]
    assert len(bars) == len(scored)
    assert all(any(f"{c['metric']} {c['display']}" in tip for tip in bars) for c in scored)


def test_default_site_is_ranked_charted_light_and_phone_friendly(browser: Browser, default_site: Path) -> None:  # noqa: F811
    index = default_site / "index.html"
    html = index.read_text(encoding="utf-8")
    assert index.stat().st_size <= 2 * 1024 * 1024 and "data:audio" not in html
    clips = list((default_site / "audio").iterdir())
    assert clips and all(c.suffix == ".flac" for c in clips)
    data = json.loads((default_site / "leaderboard.json").read_text(encoding="utf-8"))
    head = data["headline"]
    labels = {r["run_id"]: r["label"] for r in data["runs"]}
    ranked = [labels[r["run_id"]] for r in head["runs"]]
    assert sorted(ranked) == ["echo", "reference"] and head["runs"][0]["overall"]["score"] >= head["runs"][1]["overall"]["score"]
    assert [r["model"] for r in csv.DictReader((default_site / "ranking.csv").open(encoding="utf-8"))] == ranked

    wide = browser.new_tab(1400)
    wide.goto(index.as_uri())
    assert wide.evaluate(ROWS) == ranked  # the overview table opens in rank order
    ranks = wide.evaluate("Array.from(document.querySelectorAll('#overview-table tbody tr')).map(r => r.cells[0].textContent)")
    assert ranks == [("=" if r["tied_with"] else "") + str(r["rank"]) for r in head["runs"]]
    _check_charts_match_json(wide, data)
    assert "Overall = the mean of the language scores" in wide.evaluate("document.querySelector('#headline-rule').textContent")
    assert wide.page_overflow() == 0
    wide.screenshot("leaderboard_default_1400.png")
    # a sample's clip is a file next to the page, loaded on demand
    wide.evaluate("(() => { const s = document.querySelector('#task-select'); s.value = 'mini/asr-th'; s.dispatchEvent(new Event('change')); })()")
    wide.click("#samples-table tbody tr")
    wide.wait_for("document.querySelector('#sample-detail audio') !== null")
    assert wide.evaluate("document.querySelector('#sample-detail audio').preload") == "none"
    loaded = wide.evaluate(LOAD_AUDIO)
    assert loaded["src"].startswith("audio/") and (default_site / loaded["src"]).is_file()
    assert loaded["state"] >= 1 and loaded["duration"] > 0.5
    assert not wide.errors and not wide.dialogs

    phone = browser.new_tab(390, 844, phone=True)
    phone.goto(index.as_uri())
    assert phone.page_overflow() == 0  # nothing scrolls the page sideways
    box = phone.evaluate("(() => { const b = document.querySelector('#overview-body'); return [b.scrollWidth, b.clientWidth]; })()")
    assert box[0] > box[1]  # the wide table scrolls inside its own box
    assert phone.evaluate("getComputedStyle(document.querySelector('#overview-table td')).position") == "sticky"
    # numbers one tap away: the first tap on a heatmap cell shows them, the second opens the task's samples
    phone.tap("#task-heatmap rect[data-task='mini/asr-en']")
    tip = phone.evaluate("document.querySelector('#tip').hidden ? '' : document.querySelector('#tip').textContent")
    assert tip.startswith("mini/asr-en · ") and "95% CI" in tip
    phone.tap("#task-heatmap rect[data-task='mini/asr-en']")
    phone.wait_for("document.querySelector('#task-select').value === 'mini/asr-en'")
    assert phone.page_overflow() == 0
    phone.screenshot("leaderboard_default_390.png")
    assert not phone.errors and not phone.dialogs


def test_fixture_leaderboard_sorts_drills_down_and_renders_thai_chinese(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    index = build_leaderboard(make_runs(tmp_path / "runs"), tmp_path / "site", title="SeaBench ไทย 中文", n_boot=200)
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text(encoding="utf-8"))
    tab = browser.new_tab(1400)
    tab.goto(index.as_uri())
    assert tab.evaluate("document.title") == "SeaBench ไทย 中文"
    assert tab.evaluate(ROWS) == ["good-model", "mid-model", "bad-model"]
    assert tab.evaluate("Array.from(document.querySelectorAll('#overview-table tbody tr')).map(r => r.cells[0].textContent)") == ["1", "2", "3"]
    _check_charts_match_json(tab, data)
    # sort by WER (lower is better -> ascending first), then reversed on the second click
    col = tab.evaluate("Array.from(document.querySelectorAll('#overview-table th')).findIndex(th => th.textContent.startsWith('asr/fleurs-th'))")
    tab.click(f"#overview-table th[data-col='{col}']")
    assert tab.evaluate(ROWS) == ["good-model", "mid-model", "bad-model"]
    tab.click(f"#overview-table th[data-col='{col}']")
    assert tab.evaluate(ROWS) == ["bad-model", "mid-model", "good-model"]
    assert tab.evaluate(f"document.querySelector('#overview-table th[data-col=\"{col}\"]').getAttribute('aria-sort')") == "descending"
    tab.click("#overview-table th[data-col='1']")  # by model name (text)
    assert tab.evaluate(ROWS) == ["bad-model", "good-model", "mid-model"]
    failures = tab.evaluate("Array.from(document.querySelectorAll('#overview-table .failures')).map(e => e.textContent)")
    assert failures == ["4 · 4 · 0 · 1 · 0"] * 3  # one error and one empty per task, one unscored judge verdict
    # drill down from a score in the table, then from a chart mark
    tab.click("#overview-table span[data-task='asr/fleurs-zh']")
    tab.wait_for("document.querySelector('#task-select').value === 'asr/fleurs-zh'")
    tab.click("#samples-table tr[data-sample='s003']")
    tab.wait_for("document.querySelector('#sample-detail .reference')")
    assert tab.evaluate("document.querySelector('#sample-detail .reference').textContent") == ZH_REF
    outputs = tab.evaluate("Array.from(document.querySelectorAll('#sample-detail .output')).map(e => e.textContent)")
    assert outputs[0] == f"{ZH_REF} #3 (good-model)" and len(outputs) == 3
    assert tab.evaluate("document.querySelector('#sample-detail audio').getAttribute('src').startsWith('audio/')")
    tab.click("#task-heatmap rect[data-task='asr/fleurs-th']")
    tab.wait_for("document.querySelector('#task-select').value === 'asr/fleurs-th'")
    tab.click("#samples-table tr[data-sample='s001']")
    tab.wait_for(f"document.querySelector('#sample-detail .reference').textContent === {json.dumps(THAI_REF)}")
    width = tab.evaluate("(() => { const s = document.createElement('span'); s.textContent = 'สวัสดี你好'; document.body.appendChild(s);"
                         " const w = s.getBoundingClientRect().width; s.remove(); return w; })()")
    assert width > 40  # Thai and Chinese glyphs rendered (Noto fonts), not zero-width tofu
    # per-language tables, manifests, significance and failures are there
    tab.click("#languages details.more summary")
    assert tab.evaluate("document.querySelector('#language-table-th') !== null")
    tab.click("#runs details summary")
    assert "config_hash" in tab.evaluate("document.querySelector('#runs details pre:last-of-type').textContent")
    assert tab.evaluate("document.querySelectorAll('#significance-table tbody tr').length") == 12  # 3 pairs x 4 tasks
    assert tab.evaluate("document.querySelectorAll('#failures-table tbody tr').length") == 12
    # every chart has a text alternative with its numbers
    figures = tab.evaluate("Array.from(document.querySelectorAll('figure.chart')).map(f => [f.id, !!f.querySelector('details.numbers table'),"
                           " !!(f.querySelector('[role=img]') && (f.querySelector('[role=img]').getAttribute('aria-label') || f.querySelector('[role=img] title')))])")
    assert len(figures) >= 5 and all(has_table and has_alt for _, has_table, has_alt in figures)
    tab.screenshot("leaderboard_fixture_1400.png")
    assert not tab.errors and not tab.dialogs


def test_tied_models_share_a_rank(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    """Two runs with the same answers cannot be told apart: both rank 1, marked as a tie."""
    a = make_run(tmp_path / "runs", "run-a", "model-a", 0.7, n=20, seed=5)
    b = make_run(tmp_path / "runs", "run-b", "model-b", 0.7, n=20, seed=5)
    c = make_run(tmp_path / "runs", "run-c", "model-c", 0.1, n=20, seed=6)
    index = build_leaderboard([c, a, b], tmp_path / "site", n_boot=200)
    tab = browser.new_tab(1400)
    tab.goto(index.as_uri())
    ranks = tab.evaluate("Array.from(document.querySelectorAll('#overview-table tbody tr')).map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    assert ranks[:2] in ([["=1", "model-a"], ["=1", "model-b"]], [["=1", "model-b"], ["=1", "model-a"]])
    assert ranks[2] == ["3", "model-c"]
    tip = tab.evaluate("document.querySelector('#ranking-chart circle').dataset.tip")
    assert "not significantly different from model-" in tip
    assert not tab.errors


def test_published_rows_sit_beside_ours(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    run = make_run(tmp_path / "runs", "run-good", "good-model", 0.95, n=12, seed=1)
    table = tmp_path / "paper.csv"
    table.write_text("model,task,metric,value,source\n"
                     "Paper-Model,asr/fleurs-th,wer,12.5%,Some et al. 2025 Table 2\n"
                     "Paper-Model,mmau/mini,accuracy,0.6,Some et al. 2025 Table 3\n"
                     "Paper-Model,asr/not-in-these-runs,wer,0.2,Some et al. 2025 Table 2\n", encoding="utf-8")
    index = build_leaderboard([run], tmp_path / "site", n_boot=100, published=table)
    tab = browser.new_tab(1400)
    tab.goto(index.as_uri())
    rows = tab.evaluate("Array.from(document.querySelectorAll('#published-table tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent))")
    assert len(rows) == 2
    th = next(r for r in rows if r[0] == "asr/fleurs-th")
    assert th[2] == "Paper-Model published" and th[3] == "12.5%" and "Some et al. 2025 Table 2" in th[-1]
    assert th[4].startswith(tab.evaluate("document.querySelector('#overview-table tbody tr span[data-task=\"asr/fleurs-th\"] .val').textContent"))
    assert "1 published row for tasks none of these runs has" in tab.evaluate("document.querySelector('#published').textContent")
    overview = tab.evaluate("Array.from(document.querySelectorAll('#overview-table tbody tr.published')).map(r => r.cells[1].textContent)")
    assert overview == ["Paper-Model published"]
    diamonds = tab.evaluate("Array.from(document.querySelectorAll('.bar-panels path[data-tip]')).map(p => p.dataset.tip)")
    assert sorted(d.split(" · ")[0] for d in diamonds) == ["asr/fleurs-th", "mmau/mini"]
    assert all("Paper-Model (published)" in d and "Some et al. 2025" in d for d in diamonds)
    tab.screenshot("leaderboard_published_1400.png")
    assert not tab.errors


def test_single_file_embeds_the_clips(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    index = build_leaderboard(make_runs(tmp_path / "runs", n=3), tmp_path / "site", n_boot=50, single_file=True)
    assert not (tmp_path / "site" / "audio").exists()
    tab = browser.new_tab(1400)
    tab.goto(index.as_uri())
    tab.click("#samples-table tr[data-sample='s000']")
    loaded = tab.evaluate(LOAD_AUDIO)
    assert loaded["src"].startswith("data:audio/wav;base64,") and loaded["duration"] == pytest.approx(0.2, abs=0.01)
    assert not tab.errors


def test_site_works_from_a_static_host(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    """Served over HTTP as any static host would, the page and its clips load like from disk."""
    site = tmp_path / "site"
    build_leaderboard(make_runs(tmp_path / "runs", n=3), site, n_boot=50)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tab = browser.new_tab(390, 844, phone=True)
        tab.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        assert tab.evaluate(ROWS) == ["good-model", "mid-model", "bad-model"] and tab.page_overflow() == 0
        tab.tap("#samples-table tr[data-sample='s000']")
        loaded = tab.evaluate(LOAD_AUDIO)
        assert loaded["src"].startswith("audio/") and loaded["state"] >= 1 and loaded["duration"] == pytest.approx(0.2, abs=0.01)
        assert not tab.errors
    finally:
        server.shutdown()
        server.server_close()


def test_xss_payloads_stay_inert_after_every_drill_down(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    runs = [make_run(tmp_path / "runs", XSS[0], XSS[1], 0.9, n=len(XSS), seed=1, texts=XSS),
            make_run(tmp_path / "runs", XSS[4] + "-b", XSS[5], 0.4, n=len(XSS), seed=2, texts=XSS[::-1]),
            make_run(tmp_path / "runs", XSS[9], XSS[17], 0.6, n=len(XSS), seed=3, texts=XSS[3:] + XSS[:3])]
    table = tmp_path / "paper.csv"
    table.write_text("model,task,metric,value,source\n" + "".join(
        f"\"{p.replace(chr(34), chr(34) * 2)}\",asr/fleurs-th,wer,0.5,\"{XSS[(i + 3) % len(XSS)].replace(chr(34), chr(34) * 2)}\"\n"
        for i, p in enumerate(XSS) if "\u2028" not in p), encoding="utf-8")
    index = build_leaderboard(runs, tmp_path / "site", title=XSS[2] + XSS[4], n_boot=100, published=table)
    html = index.read_text(encoding="utf-8")
    body_data = html.split('id="lb-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in body_data  # no raw '<' from data anywhere in the embedded JSON
    tab = browser.new_tab(1400)
    tab.goto(index.as_uri())
    texts: list[str] = [tab.evaluate("document.body.innerText")]
    for task in ("asr/fleurs-th", "asr/fleurs-zh", "mmau/mini", "open/sqa-th"):  # every task's drill-down
        tab.evaluate(f"(() => {{ const s = document.querySelector('#task-select'); s.value = {json.dumps(task)};"
                     " s.dispatchEvent(new Event('change')); })()")
        for i in range(len(XSS)):
            tab.click(f"#samples-table tr[data-sample='s{i:03d}']")
            texts.append(tab.evaluate("document.querySelector('#sample-detail').innerText"))
    for selector in ("details",):  # every collapsible: numbers tables, per-language tables, manifests, rule
        tab.evaluate(f"document.querySelectorAll({json.dumps(selector)}).forEach(d => d.open = true)")
    marks = tab.page.locator("[data-tip]")
    assert marks.count() > 20
    for i in (0, 1, 2, marks.count() - 1):  # the ranking dots' and a published diamond's tips
        marks.nth(i).click(force=True)
        texts.append(tab.evaluate("document.querySelector('#tip').textContent"))
    texts.append(tab.evaluate("document.body.innerText"))
    time.sleep(0.3)  # give any (wrongly) scheduled handler a chance to fire
    probe = tab.evaluate(INJECTION_PROBE)
    tab.screenshot("leaderboard_xss_1400.png")
    assert tab.dialogs == [] and tab.errors == []
    assert probe["bad"] == 0 and probe["svg"] == 0 and probe["handlers"] == 0 and probe["xss"] == 0
    assert probe["scripts"] == "lb-data,inline" and probe["styles"] == 1
    assert probe["title"] == XSS[2] + XSS[4]
    seen = "\n".join(texts)
    for payload in XSS:
        assert payload.strip("\u2028\u2029") in seen, f"payload not shown as text: {payload!r}"
