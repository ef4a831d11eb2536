"""Render self-contained HTML pages (leaderboard, agreement report, annotation page).

Safety model, in layers: jinja2 autoescapes every template variable; page data travels as JSON in a
`<script type="application/json">` block with `<`, `>` and `&` escaped, so no string in it can
close the block; the page script builds the DOM with text nodes only; and a Content-Security-Policy
allows only our own inline script (by hash), so even an injected handler or script would not run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from seabench.leaderboard.data import AUDIO_EMBED_CAP, build_data, export_csv, export_json, export_markdown, json_for_script
from seabench.leaderboard.task_types import export_task_types_csv
from seabench.records import atomic_write_text

TEMPLATES = Path(__file__).parent / "templates"


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


def build_leaderboard(run_dirs: list[Path], out: Path, *, title: str = "SeaBench leaderboard", n_boot: int = 1000,
                      seed: int = 0, audio_cap: int = AUDIO_EMBED_CAP) -> Path:
    """Write out/index.html, leaderboard.json, leaderboard.csv and leaderboard.md (and task_types.csv for
    tasks with task types, e.g. SeaBench-Audio); return the index path.

    Clips are embedded in the page while their total size is at most `audio_cap` bytes, else
    copied to out/audio/. Raises ValueError (one line) when a directory is not a run directory.
    """
    out = Path(out)
    data = build_data([Path(d) for d in run_dirs], out, title=title, n_boot=n_boot, seed=seed, audio_cap=audio_cap)
    out.mkdir(parents=True, exist_ok=True)
    html = render_page("leaderboard.html.j2", ["leaderboard.js"], data.model_dump(mode="json"), data=data)
    index = out / "index.html"
    atomic_write_text(index, html)
    atomic_write_text(out / "leaderboard.json", export_json(data))
    atomic_write_text(out / "leaderboard.csv", export_csv(data))
    atomic_write_text(out / "leaderboard.md", export_markdown(data))
    if data.task_types:
        labels = {r.run_id: r.label for r in data.runs}
        atomic_write_text(out / "task_types.csv", export_task_types_csv(data.task_types, labels))
    return index
