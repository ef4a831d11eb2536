"""Annotation page and agreement report in real headless Chromium (Playwright, the system browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seabench.leaderboard import make_annotation_server, run_agreement
from seabench.leaderboard.ratings import read_ratings
from tests.helpers.browser import XSS, Browser, Tab, browser  # noqa: F401  (fixture)
from tests.unit.test_agreement_report import TASK, make_scaled_runs, scaled_ratings, write_ratings
from tests.unit.test_leaderboard_annotate import serving, set_verdicts
from tests.unit.test_leaderboard_data import THAI_REF, ZH_REF, make_run, make_runs

pytestmark = pytest.mark.browser


def _enter_rater(page: Tab, name: str) -> None:
    """Type a rater name as a person would (a change event) and wait until the page has taken it."""
    page.evaluate(f"(() => {{ const r = document.querySelector('#rater'); r.value = {json.dumps(name)}; "
                  "r.dispatchEvent(new Event('change')); })()")
    page.wait_for("document.body.dataset.rater === " + json.dumps(name))


def test_rating_click_is_saved_to_disk(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    run = make_run(tmp_path / "runs", "run-hidden", "hidden-model", 0.7, n=6, texts=[THAI_REF, ZH_REF, *XSS[:4]])
    ratings = tmp_path / "ratings.jsonl"
    server = make_annotation_server(run, port=0, ratings=ratings)
    with serving(server):
        page = browser.new_page()
        page.goto(server.url)
        assert page.evaluate("document.querySelector('.answer').textContent") == THAI_REF
        assert page.evaluate("document.querySelector('.reference').textContent") == ZH_REF
        assert "hidden-model" not in page.evaluate("document.documentElement.outerHTML")
        # rating without a name is refused on the page and nothing is written
        page.click(".rating button[data-score='4']")
        page.wait_for("document.querySelector('#status').textContent.includes('name')")
        assert ratings.read_text() == ""
        _enter_rater(page, "rater-ไทย")
        page.click(".rating button[data-score='4']")
        page.wait_for("document.querySelector('#status').textContent === 'saved 4'")
        (saved,) = read_ratings(ratings)
        assert (saved.task, saved.sample_id, saved.model, saved.rater, saved.score) == ("open/sqa-th", "s000", "run-hidden", "rater-ไทย", 4)
        assert page.evaluate("document.querySelector('.rating button.chosen').dataset.score") == "4"
        page.screenshot("annotate_saved.png")
        # next item carries XSS text in the answer: shown as text, nothing injected
        page.click("#next")
        page.click("#next")
        page.wait_for("document.querySelector('.answer').textContent === " + json.dumps(XSS[0]))
        page.click(".rating button[data-score='2']")
        page.wait_for("document.querySelector('#status').textContent === 'saved 2'")
        assert page.evaluate("document.querySelectorAll('img, svg, iframe, object').length") == 0
        assert [r.score for r in read_ratings(ratings)] == [4, 2]
        # a reload resumes: the earlier choice is shown again
        page.goto(server.url)
        page.wait_for("document.querySelector('.rating button.chosen') !== null")
        assert page.evaluate("document.querySelector('.rating button.chosen').dataset.score") == "4"
        assert not page.dialogs and not page.errors


def test_agreement_report_renders(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    runs = make_runs(tmp_path / "runs", n=12)
    write_ratings(runs, tmp_path / "ratings.csv")
    html = run_agreement(runs, tmp_path / "ratings.csv", tmp_path / "out", n_boot=50)
    page = browser.new_page()
    page.goto(html.as_uri())
    assert page.evaluate("document.querySelectorAll('#agreement-table tbody tr').length") == 3
    assert page.evaluate("document.querySelectorAll('svg.scatter circle').length") == 33
    assert page.evaluate("Array.from(document.querySelectorAll('#confusion-table td')).reduce((a, td) => a + Number(td.textContent), 0)") == 33
    assert page.evaluate("document.querySelector('.inter-table[data-scale=\"1–5\"]') !== null")
    page.screenshot("agreement_report.png")
    assert not page.dialogs and not page.errors


def test_buttons_follow_the_rubric_scale(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    """An AudioBench 0-5 item gets buttons 0..5 (0 can be given), a 0/1 item two buttons."""
    run = make_run(tmp_path / "runs", "run-ab", "ab-model", 0.7, n=2)
    set_verdicts(run, "open/sqa-th", {"s000": {"score": 4.0, "rubric": "audiobench_spoken_qa@1", "scale": (0, 5)},
                                      "s001": {"score": 0.0, "rubric": "audiobench_paralinguistic@1", "scale": (0, 1)}})
    ratings = tmp_path / "ratings.jsonl"
    server = make_annotation_server(run, port=0, ratings=ratings)
    buttons = "Array.from(document.querySelectorAll('.rating button')).map((b) => b.dataset.score).join(',')"
    with serving(server):
        page = browser.new_page()
        page.goto(server.url)
        _enter_rater(page, "ann")
        assert page.evaluate(buttons) == "0,1,2,3,4,5"
        assert page.evaluate("document.querySelector('#scale').textContent") == "Your score (0–5)"
        assert "AudioBench protocol, 0-5" in page.evaluate("document.querySelector('.rubric').textContent")
        page.click(".rating button[data-score='0']")
        page.wait_for("document.querySelector('#status').textContent === 'saved 0'")
        page.click("#next")
        page.wait_for("document.querySelector('#scale').textContent === 'Your score (0–1)'")
        assert page.evaluate(buttons) == "0,1"
        page.click(".rating button[data-score='1']")
        page.wait_for("document.querySelector('#status').textContent === 'saved 1'")
        assert [(r.sample_id, r.score) for r in read_ratings(ratings)] == [("s000", 0), ("s001", 1)]
        page.screenshot("annotate_scales.png")
        assert not page.dialogs and not page.errors


def test_agreement_report_shows_each_scale_apart(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    """Runs judged on 0/1, 0-5 and 1-5: a row per scale and group, and a 0/1 group's 2x2 confusion matrix."""
    runs = make_scaled_runs(tmp_path / "runs", n=9)
    scaled_ratings(runs, tmp_path / "ratings.csv")
    html = run_agreement(runs, tmp_path / "ratings.csv", tmp_path / "out", n_boot=20)
    report = json.loads((tmp_path / "out" / "agreement.json").read_text(encoding="utf-8"))
    page = browser.new_page()
    page.goto(html.as_uri())
    assert page.evaluate("document.querySelectorAll('#agreement-table tbody tr').length") == 9  # 3 groups x 3 scales
    assert "no overall across scales" in page.evaluate("document.querySelector('#scales').textContent")
    assert page.evaluate("document.querySelectorAll('#excluded-table tbody tr').length") == 3  # s000: unscored
    binary = next(g for g in report["groups"] if g["scale"] == [0, 1] and g["kind"] == "overall")
    page.click("#agreement-table tbody tr:nth-child(1)")  # unsorted: the 0/1 overall row comes first
    page.wait_for("document.querySelector('#group-detail h3').textContent.startsWith('overall (0–1)')")
    assert page.evaluate("document.querySelectorAll('#confusion-table tbody tr').length") == 2
    assert page.evaluate("Array.from(document.querySelectorAll('#confusion-table td')).reduce((a, td) => a + Number(td.textContent), 0)") == binary["counts"]["items"]
    assert page.evaluate("document.querySelectorAll('svg.scatter circle').length") == binary["counts"]["items"]
    assert page.evaluate("document.querySelectorAll('.inter-table').length") == 3
    assert TASK in page.evaluate("document.querySelector('#agreement-table').textContent")
    page.screenshot("agreement_scales.png")
    assert not page.dialogs and not page.errors
