"""Headless Chromium for the browser tests, driven by Playwright (the system browser: no download).

`Tab` wraps a Playwright page: it records console errors, uncaught exceptions and dialogs (dismissed),
clicks like a user, and saves screenshots to tests/artifacts/ (gitignored). The XSS payloads and the
injection probe are shared by the leaderboard, agreement and annotation tests.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
READY = "document.body && document.body.dataset.ready === '1'"


class Tab:
    """One page of a fresh browser context at a given viewport width."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def goto(self, url: str, ready: str = READY) -> None:
        self.page.goto(url)
        self.wait_for(ready, timeout=15.0)

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def wait_for(self, expression: str, timeout: float = 10.0) -> None:
        """Poll with evaluate: the pages' Content-Security-Policy forbids the eval that wait_for_function uses."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"!!({expression})"):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real pointer click at the element's centre, after scrolling it into view."""
        self.page.locator(selector).first.click()

    def tap(self, selector: str) -> None:
        self.page.locator(selector).first.tap()

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def page_overflow(self) -> int:
        """How many CSS pixels the page scrolls sideways (0 = fits the viewport)."""
        return int(self.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


class Browser:
    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def new_tab(self, width: int = 1400, height: int = 1000, *, phone: bool = False) -> Tab:
        context = self.browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                           is_mobile=phone, has_touch=phone)
        return Tab(context.new_page())

    def new_page(self, width: int = 1400, height: int = 1000) -> Tab:
        return self.new_tab(width, height)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield Browser(chromium)
        finally:
            chromium.close()


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

# Elements the page itself never creates: any of these would have been injected. Our own SVG charts are
# the only svg elements allowed (class chart-svg, inside a figure.chart).
INJECTION_PROBE = """(() => {
  const bad = document.querySelectorAll('img, iframe, object, embed, math, body style, a[href^="javascript"], input[autofocus], b');
  const straySvg = Array.from(document.querySelectorAll('svg')).filter((s) => !s.classList.contains('scatter')
    && !(s.closest('figure.chart') && (s.classList.contains('chart-svg') || (s.parentElement && s.parentElement.closest('svg.chart-svg')))));
  let handlers = 0;
  for (const el of document.querySelectorAll('*')) for (const a of el.attributes) if (a.name.startsWith('on')) handlers++;
  return {bad: bad.length, svg: straySvg.length, handlers: handlers, xss: window.__xss || 0,
          scripts: Array.from(document.scripts).map(s => s.id || s.type || 'inline').join(','),
          styles: document.querySelectorAll('style').length, title: document.title};
})()"""
