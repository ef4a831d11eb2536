"""The leaderboard in real headless Chromium, driven over the DevTools protocol.

Checks: Thai/Chinese text renders, header sorting reorders rows, a drill-down shows a sample, and
twenty XSS payloads in model outputs, references, run names and the title stay inert text.
Screenshots go to tests/artifacts/ (gitignored). The small CDP client here is shared with the
annotation-page test.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from seabench.leaderboard import build_leaderboard
from tests.unit.test_leaderboard_data import THAI_REF, ZH_REF, make_run, make_runs

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


class Page:
    """One tab: evaluate JS, click like a user, screenshot; dialogs are recorded and dismissed."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session
        self.dialogs: list[str] = []
        self.exceptions: list[str] = []

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def goto(self, url: str, ready: str = "document.body && document.body.dataset.ready === '1'") -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_for(ready)

    def evaluate(self, expression: str) -> Any:
        out = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in out:
            raise AssertionError(f"JS error in {expression!r}: {out['exceptionDetails']}")
        return out["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!({expression})"):
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")

    def click(self, selector: str) -> None:
        """A real mouse click at the element's centre (not element.click())."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        assert box is not None, f"no element matches {selector}"
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path = ARTIFACTS / name
        path.write_bytes(base64.b64decode(data))
        return path


class Browser:
    """Headless Chromium with remote debugging on a random port; nothing leaves 127.0.0.1."""

    def __init__(self, profile: Path) -> None:
        from websockets.sync.client import connect

        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=20))
        self.ids = itertools.count(1)
        self.pages: dict[str, Page] = {}

    def _event(self, msg: dict[str, Any]) -> None:
        page = self.pages.get(msg.get("sessionId", ""))
        if page is None:
            return
        if msg["method"] == "Page.javascriptDialogOpening":
            page.dialogs.append(msg["params"].get("message", ""))
            self.ws.send(json.dumps({"id": next(self.ids), "method": "Page.handleJavaScriptDialog",
                                     "params": {"accept": False}, "sessionId": page.session}))
        elif msg["method"] == "Runtime.exceptionThrown":
            page.exceptions.append(json.dumps(msg["params"]["exceptionDetails"])[:500])

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        msg_id = next(self.ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if "method" in reply:
                self._event(reply)
            elif reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def new_page(self, width: int = 1400, height: int = 1000) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self.pages[session] = page
        for domain in ("Page.enable", "Runtime.enable"):
            page.send(domain)
        page.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False})
        return page

    def close(self) -> None:
        if hasattr(self, "_stack"):
            self._stack.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture()
def browser(tmp_path: Path):  # noqa: ANN201
    b = Browser(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


# Twenty-two payloads: tags, handlers, javascript: URLs, breakouts, templates, entities, markdown.
XSS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=alert('xss-2')>",
    "<svg onload=alert('xss-3')>",
    "<svg><script>alert('xss-4')</script></svg>",
    "</script><script>alert('xss-5')</script>",
    "\"><img src=x onerror=alert('xss-6')>",
    "'><svg/onload=alert('xss-7')>",
    "javascript:alert('xss-8')",
    "<a href=\"javascript:alert('xss-9')\">click me</a>",
    "${alert('xss-10')}",
    "{{constructor.constructor('alert(11)')()}}",
    "&lt;script&gt;alert('xss-12')&lt;/script&gt;",
    "![x](javascript:alert('xss-13'))",
    "<iframe src=\"javascript:alert('xss-14')\"></iframe>",
    "<body onload=alert('xss-15')>",
    "<details open ontoggle=alert('xss-16')>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-17')>",
    "<!--<img src=\"--><img src=x onerror=alert('xss-18')//\">",
    "<style>@import 'http://127.0.0.1:9/x.css';</style><b>xss-19</b>",
    "<object data=\"data:text/html,<script>alert('xss-20')</script>\"></object>",
    "\u2028\u2029<script>alert('xss-21')</script>",
    "<input autofocus onfocus=alert('xss-22')>",
]

# Elements the page itself creates; anything else (img, iframe, object, svg, ...) would be injected.
INJECTION_PROBE = """(() => {
  const bad = document.querySelectorAll('img, svg, iframe, object, embed, math, body style, a[href^="javascript"], input[autofocus], b');
  let handlers = 0;
  for (const el of document.querySelectorAll('*')) for (const a of el.attributes) if (a.name.startsWith('on')) handlers++;
  return {bad: bad.length, handlers: handlers, scripts: Array.from(document.scripts).map(s => s.id || s.type || 'inline').join(','), xss: window.__xss || 0,
          styles: document.querySelectorAll('style').length, title: document.title};
})()"""


def test_leaderboard_renders_sorts_and_drills_down(browser: Browser, tmp_path: Path) -> None:
    index = build_leaderboard(make_runs(tmp_path / "runs"), tmp_path / "site", title="SeaBench ไทย 中文", n_boot=200)
    page = browser.new_page()
    page.goto(index.as_uri())
    assert page.evaluate("document.title") == "SeaBench ไทย 中文"
    rows = "Array.from(document.querySelectorAll('#overview-table tbody tr')).map(r => r.cells[0].textContent)"
    assert page.evaluate(rows) == ["good-model", "mid-model", "bad-model"]
    # sort by WER (lower is better -> ascending first), then reversed on the second click
    col = page.evaluate("Array.from(document.querySelectorAll('#overview-table th')).findIndex(th => th.textContent.startsWith('asr/fleurs-th'))")
    page.click(f"#overview-table th[data-col='{col}']")
    assert page.evaluate(rows) == ["good-model", "mid-model", "bad-model"]
    page.click(f"#overview-table th[data-col='{col}']")
    assert page.evaluate(rows) == ["bad-model", "mid-model", "good-model"]
    assert page.evaluate(f"document.querySelector('#overview-table th[data-col=\"{col}\"]').getAttribute('aria-sort')") == "descending"
    # sort by model name (text)
    page.click("#overview-table th[data-col='0']")
    assert page.evaluate(rows) == ["bad-model", "good-model", "mid-model"]
    failures = page.evaluate("Array.from(document.querySelectorAll('#overview-table .failures')).map(e => e.textContent)")
    assert failures == ["4 · 4 · 0 · 1 · 0"] * 3  # one error and one empty per task, one unscored judge verdict
    shot = page.screenshot("leaderboard_overview.png")
    assert shot.stat().st_size > 10_000
    # drill down: click a Chinese-task score, then a sample row
    page.click("#overview-table span[data-task='asr/fleurs-zh']")
    page.wait_for("document.querySelector('#task-select').value === 'asr/fleurs-zh'")
    page.click("#samples-table tr[data-sample='s003']")
    page.wait_for("document.querySelector('#sample-detail .reference')")
    assert page.evaluate("document.querySelector('#sample-detail .reference').textContent") == ZH_REF
    outputs = page.evaluate("Array.from(document.querySelectorAll('#sample-detail .output')).map(e => e.textContent)")
    assert outputs[0] == f"{ZH_REF} #3 (good-model)" and len(outputs) == 3
    assert page.evaluate("document.querySelector('#sample-detail audio').src.startsWith('data:audio/wav;base64,')")
    assert page.evaluate("document.querySelector('#sample-detail audio').duration > 0.1") or page.evaluate(
        "new Promise(r => { const a = document.querySelector('#sample-detail audio'); a.preload = 'auto';"
        " a.onloadedmetadata = () => r(a.duration > 0.1); a.load(); setTimeout(() => r(false), 5000); })")
    page.screenshot("leaderboard_sample_zh.png")
    # Thai text: per-language table and a Thai sample; fonts present means glyphs are not tofu-width 0
    page.click("#task-select")
    page.evaluate("(() => { const s = document.querySelector('#task-select'); s.value = 'asr/fleurs-th'; s.dispatchEvent(new Event('change')); })()")
    page.click("#samples-table tr[data-sample='s001']")
    page.wait_for(f"document.querySelector('#sample-detail .reference').textContent === {json.dumps(THAI_REF)}")
    width = page.evaluate("(() => { const s = document.createElement('span'); s.textContent = 'สวัสดี你好'; document.body.appendChild(s);"
                          " const w = s.getBoundingClientRect().width; s.remove(); return w; })()")
    assert width > 40
    assert page.evaluate("document.querySelector('#language-table-th') !== null && document.querySelector('#language-overall-table') !== null")
    page.screenshot("leaderboard_sample_th.png")
    # manifests are viewable, significance and failure tables are present
    page.click("#runs details summary")
    assert "config_hash" in page.evaluate("document.querySelector('#runs details pre:last-of-type').textContent")
    assert page.evaluate("document.querySelectorAll('#significance-body table').length") == 4
    assert page.evaluate("document.querySelectorAll('#failures-table tbody tr').length") == 12
    assert not page.exceptions and not page.dialogs


def test_xss_payloads_render_as_inert_text(browser: Browser, tmp_path: Path) -> None:
    runs = [make_run(tmp_path / "runs", XSS[0], XSS[1], 0.9, n=len(XSS), seed=1, texts=XSS),
            make_run(tmp_path / "runs", XSS[4] + "-b", XSS[5], 0.4, n=len(XSS), seed=2, texts=XSS[::-1]),
            make_run(tmp_path / "runs", XSS[9], XSS[17], 0.6, n=len(XSS), seed=3, texts=XSS[3:] + XSS[:3])]
    index = build_leaderboard(runs, tmp_path / "site", title=XSS[2] + XSS[4], n_boot=100)
    html = index.read_text(encoding="utf-8")
    body_data = html.split('id="lb-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in body_data  # no raw '<' from data anywhere in the embedded JSON
    page = browser.new_page()
    page.goto(index.as_uri())
    texts: list[str] = [page.evaluate("document.body.innerText")]
    for task in ("asr/fleurs-th", "mmau/mini"):
        page.evaluate(f"(() => {{ const s = document.querySelector('#task-select'); s.value = {json.dumps(task)};"
                      " s.dispatchEvent(new Event('change')); })()")
        for i in range(len(XSS)):
            page.click(f"#samples-table tr[data-sample='s{i:03d}']")
            texts.append(page.evaluate("document.querySelector('#sample-detail').innerText"))
    for details in range(3):
        page.evaluate(f"document.querySelectorAll('#runs details')[{details}].open = true")
    texts.append(page.evaluate("document.querySelector('#runs').innerText"))
    time.sleep(0.3)  # give any (wrongly) scheduled handler a chance to fire
    probe = page.evaluate(INJECTION_PROBE)
    page.screenshot("leaderboard_xss.png")
    assert page.dialogs == [] and page.exceptions == []
    assert probe["bad"] == 0 and probe["handlers"] == 0 and probe["xss"] == 0
    assert probe["scripts"] == "lb-data,inline" and probe["styles"] == 1
    assert probe["title"] == XSS[2] + XSS[4]
    seen = "\n".join(texts)
    for payload in XSS:
        visible = payload.strip("\u2028\u2029")
        assert visible in seen, f"payload not shown as text: {payload!r}"


def test_large_audio_is_copied_and_still_plays_offline(browser: Browser, tmp_path: Path) -> None:
    index = build_leaderboard(make_runs(tmp_path / "runs", n=3), tmp_path / "site", n_boot=50, audio_cap=0)
    copied = list((tmp_path / "site" / "audio").iterdir())
    assert len(copied) == 1 and copied[0].suffix == ".wav"  # one clip per sample, shared by all runs
    page = browser.new_page()
    page.goto(index.as_uri())
    page.click("#samples-table tr[data-sample='s000']")
    src = page.evaluate("document.querySelector('#sample-detail audio').getAttribute('src')")
    assert src.startswith("audio/") and (tmp_path / "site" / src).is_file()
    duration = page.evaluate(
        "new Promise(r => { const a = document.querySelector('#sample-detail audio'); a.preload = 'auto';"
        " a.onloadedmetadata = () => r(a.duration); a.onerror = () => r(-1); a.load(); setTimeout(() => r(-2), 5000); })")
    assert duration == pytest.approx(0.2, abs=0.01)
