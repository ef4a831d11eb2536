"""Render static HTML pages (leaderboard, agreement report, annotation page).

Safety model, in layers: jinja2 autoescapes every template variable and the SVG charts are built by
an escaping builder (charts.tag); page data travels as JSON in a `<script type="application/json">`
block with `<`, `>` and `&` escaped, so no string in it can close the block; the page script builds
the DOM with text nodes only; and a Content-Security-Policy allows only our own inline script (by
hash), so even an injected handler or script would not run.

The leaderboard is light by default: audio clips are files in SITE/audio/ that the page loads only
when a reader opens a sample, so index.html stays small and works from file:// or any static host.
`single_file=True` embeds the clips in the page instead (one file to mail around).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from seabench.leaderboard import charts
from seabench.leaderboard.data import build_data
from seabench.leaderboard.exports import (
    export_csv, export_json, export_markdown, json_for_script, ranking_rows, reader_payload, to_csv,
)
from seabench.leaderboard.published import load_published
from seabench.leaderboard.scoring import HEADLINE_RULE, UNITS_NOTE
from seabench.leaderboard.task_types import export_task_types_csv
from seabench.records import atomic_write_text

TEMPLATES = Path(__file__).parent / "templates"
INLINE_ALL = 1 << 62  # an audio cap no set of clips reaches: everything embedded
COPY_ALL = -1  # every clip becomes a file in SITE/audio/
SAMPLES_PER_TASK = 100  # embedded for the sample browser: every mini item, a light page for big suites
_COPIED_CLIP = re.compile(r"[0-9a-f]{16}\.[a-z0-9]+")


@cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)


def page_script(*names: str) -> str:
    return "\n".join((TEMPLATES / name).read_text(encoding="utf-8") for name in ("common.js", *names))


def csp(script: str, *, connect: str = "'none'", media: str = "data: 'self'") -> str:
    """Only the given inline script may run; nothing is fetched except media and (optionally) same-origin XHR."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
            f"media-src {media}; connect-src {connect}; base-uri 'none'; form-action 'none'")


def render_page(template: str, scripts: Sequence[str], payload: Any, *, connect: str = "'none'", **context: Any) -> str:
    script = page_script(*scripts)
    return _env().get_template(template).render(
        payload=json_for_script(payload), script=script, csp=csp(script, connect=connect), **context)


def _prune_audio(out: Path, urls: dict[str, str]) -> None:
    """Drop clips an earlier build copied into SITE/audio/ that this page no longer links."""
    folder = out / "audio"
    if not folder.is_dir():
        return
    kept = {Path(u).name for u in urls.values() if u.startswith("audio/")}
    for path in folder.iterdir():
        if _COPIED_CLIP.fullmatch(path.name) and path.name not in kept:
            path.unlink()


def build_leaderboard(run_dirs: list[Path], out: Path, *, title: str = "SeaBench leaderboard", n_boot: int = 1000,
                      seed: int = 0, single_file: bool = False, published: str | Path | None = None,
                      samples_per_task: int = SAMPLES_PER_TASK, audio_cap: int | None = None) -> Path:
    """Write out/index.html, leaderboard.json, leaderboard.csv, ranking.csv and leaderboard.md (and
    task_types.csv for tasks with task types, e.g. SeaBench-Audio); return the index path.

    Clips go to out/audio/ (or into the page with `single_file`; `audio_cap` bytes overrides either). The
    sample browser embeds at most `samples_per_task` samples of each task (samples.jsonl has them all).
    `published` is a published-numbers table (path or shipped name) to set beside the runs. Raises
    ValueError (one line) for a directory that is not a run directory or a bad published table.
    """
    out = Path(out)
    rows = load_published(published) if published is not None else []
    cap = audio_cap if audio_cap is not None else (INLINE_ALL if single_file else COPY_ALL)
    data = build_data([Path(d) for d in run_dirs], out, title=title, n_boot=n_boot, seed=seed, audio_cap=cap,
                      published=rows, max_samples_per_task=samples_per_task)
    out.mkdir(parents=True, exist_ok=True)
    _prune_audio(out, data.audio)
    figures = {"ranking": charts.ranking_chart(data), "languages": charts.language_heatmap(data),
               "tasks": charts.task_heatmap(data), "bars": charts.task_bars(data),
               "task_types": charts.task_type_heatmaps(data)}
    payload = reader_payload(data)
    html = render_page("leaderboard.html.j2", ["charts.js", "leaderboard.js"], payload, data=data,
                       charts=figures, headline_rule=HEADLINE_RULE, units_note=UNITS_NOTE,
                       labels={r.run_id: r.label for r in data.runs})
    index = out / "index.html"
    atomic_write_text(index, html)
    atomic_write_text(out / "leaderboard.json", export_json(data, payload))
    atomic_write_text(out / "leaderboard.csv", export_csv(data))
    atomic_write_text(out / "ranking.csv", to_csv(ranking_rows(data), ("rank", "model")))
    atomic_write_text(out / "leaderboard.md", export_markdown(data))
    if data.task_types:
        labels = {r.run_id: r.label for r in data.runs}
        atomic_write_text(out / "task_types.csv", export_task_types_csv(data.task_types, labels))
    return index
