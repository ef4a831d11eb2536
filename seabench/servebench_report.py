"""serve-bench results as files: JSON (everything), CSV (one row per cell), Markdown (the table) and a
self-contained HTML page with an inline-SVG chart, optionally beside a published table (`--published`:
`meralion` for the shipped MERaLiON-AudioLLM cells, or a JSON/CSV file of your own)."""

from __future__ import annotations

import csv
import html
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from seabench.errors import UserError
from seabench.records import atomic_write_text
from seabench.servebench import BenchResult, CellResult

SHIPPED = {"meralion": Path(__file__).with_name("servebench_meralion_table1.json")}
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


class PublishedCell(BaseModel):
    concurrency: int
    audio_s: float
    ttft_ms: float | None = None
    itl_ms: float | None = None


class PublishedTable(BaseModel):
    """Someone else's serving-latency figures, with where they come from."""

    name: str
    citation: str = ""
    url: str = ""
    conditions: str = ""
    note: str = ""
    cells: list[PublishedCell] = Field(default_factory=list)

    def cell(self, concurrency: int, audio_s: float) -> PublishedCell | None:
        return next((c for c in self.cells if c.concurrency == concurrency and math.isclose(c.audio_s, audio_s)),
                    None)


def load_published(spec: str) -> PublishedTable:
    """`meralion` (shipped), a JSON file in PublishedTable's shape, or a CSV with columns
    concurrency, audio_s, ttft_ms, itl_ms."""
    path = SHIPPED.get(spec.lower(), Path(spec))
    if not path.is_file():
        raise UserError(f"--published {spec!r}: no such file (or use one of: {', '.join(SHIPPED)})")
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".csv":
            rows = [{k: v for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(io.StringIO(text))]
            return PublishedTable(name=path.stem, cells=[PublishedCell.model_validate(r) for r in rows])
        return PublishedTable.model_validate_json(text)
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"--published {path}: not a published table ({first}); see docs/PERFORMANCE.md") from None


def write_reports(result: BenchResult, out_dir: Path, published: PublishedTable | None) -> None:
    payload = json.loads(result.model_dump_json())
    payload["published"] = published.model_dump() if published else None
    atomic_write_text(out_dir / "serve_bench.json", json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(out_dir / "serve_bench.csv", to_csv(result, published))
    atomic_write_text(out_dir / "serve_bench.md", to_markdown(result, published))
    atomic_write_text(out_dir / "serve_bench.html", to_html(result, published))


# -- tables ----------------------------------------------------------------------------------------------
def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def rows(result: BenchResult, published: PublishedTable | None) -> list[dict[str, object]]:
    """One flat row per cell (the CSV; the Markdown and HTML tables show a subset)."""
    out = []
    for c in result.cells:
        row: dict[str, object] = {
            "concurrency": c.concurrency, "audio_s": c.audio_s, "requests": c.requests, "ok": c.ok,
            "errors": c.errors, "error_kinds": ";".join(f"{k}={v}" for k, v in c.error_kinds.items()),
            "warmup": c.warmup, "stopped_early": c.stopped_early, "peak_in_flight": c.peak_in_flight,
            "wall_s": round(c.wall_s, 4)}
        for metric in ("ttft_ms", "itl_ms", "tpot_ms", "e2e_ms"):
            summary = getattr(c, metric)
            for stat in ("mean", "p50", "p95"):
                value = getattr(summary, stat)
                row[f"{metric}_{stat}"] = None if value is None else round(value, 3)
        row.update(input_tokens_mean=c.input_tokens_mean, output_tokens_mean=c.output_tokens_mean,
                   tokens_per_s=c.tokens_per_s,
                   requests_per_s=c.requests_per_s, client_cpu_share=c.client_cpu_share)
        if published is not None:
            ref = published.cell(c.concurrency, c.audio_s)
            row.update(published_ttft_ms=ref.ttft_ms if ref else None, published_itl_ms=ref.itl_ms if ref else None)
        out.append(row)
    return out


def to_csv(result: BenchResult, published: PublishedTable | None) -> str:
    table = rows(result, published)
    buf = io.StringIO()
    if table:
        writer = csv.DictWriter(buf, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    return buf.getvalue()


def _columns(published: PublishedTable | None) -> list[str]:
    cols = ["concurrency", "audio s", "ok / sent", "errors", "TTFT ms mean", "p50", "p95", "ITL ms mean", "p50",
            "p95", "TPOT ms", "tokens/s", "prompt tokens", "client CPU %"]
    return cols + ([f"{published.name} TTFT ms", f"{published.name} ITL ms"] if published else [])


def _cells(c: CellResult, published: PublishedTable | None) -> list[str]:
    errors = str(c.errors) + (" (" + ", ".join(f"{k} x{v}" for k, v in c.error_kinds.items()) + ")" if c.errors else "")
    sent = f"{c.ok} / {c.requests}" + (" (time budget)" if c.stopped_early else "")
    values = [str(c.concurrency), f"{c.audio_s:g}", sent, errors, _num(c.ttft_ms.mean), _num(c.ttft_ms.p50),
              _num(c.ttft_ms.p95), _num(c.itl_ms.mean), _num(c.itl_ms.p50), _num(c.itl_ms.p95), _num(c.tpot_ms.mean), _num(c.tokens_per_s),
              _num(c.input_tokens_mean, 0),
              _num(None if c.client_cpu_share is None else 100 * c.client_cpu_share, 0)]
    if published is not None:
        ref = published.cell(c.concurrency, c.audio_s)
        values += [_num(ref.ttft_ms if ref else None), _num(ref.itl_ms if ref else None)]
    return values


def describe(result: BenchResult) -> list[str]:
    """The conditions, one line each: what a reader needs to compare two tables."""
    s, client = result.settings, result.client
    server = ", ".join(f"{k} {v}" for k, v in result.server.items()) or "no /models details"
    warmup = "one per concurrent slot" if s.warmup is None else str(s.warmup)
    start, end = client.get("load_avg_start"), client.get("load_avg_end")
    load = f"{start[0]:.2f} at start, {end[0]:.2f} at end" if start and end else "unknown"
    eos = ", ignore_eos" if s.ignore_eos else ""
    return [
        f"Model: {s.model} ({server})",
        (f"Per cell: {s.trials} measured streaming requests after a warm-up of {warmup} (excluded); a closed "
         f"loop keeps exactly `concurrency` requests in flight; no retries; time budget {s.max_cell_s:g} s"),
        (f"Request: prompt {s.prompt!r}, max_tokens {s.max_tokens}, temperature 0{eos}; audio cut from the mini "
         "ASR clips, a different window each"),
        (f"Client: {client.get('platform', '?')}, {client.get('cpus', '?')} CPUs, load average {load}; "
         f"seabench {client.get('seabench', '?')}, openai {client.get('openai', '?')}"),
        f"Run: {result.started_at} to {result.finished_at} ({result.status})",
        ("TTFT: request sent to first streamed token. ITL: every gap between streamed pieces, pooled over the "
         "cell's requests. TPOT: per request, (last piece - first piece) / (output tokens - 1). tokens/s: all "
         "output tokens / the cell's measured wall time. client CPU %: this "
         "process's CPU time / wall time; near 100 the client, not the server, binds"),
    ]


def to_markdown(result: BenchResult, published: PublishedTable | None) -> str:
    cols = _columns(published)
    lines = [f"# serve-bench: {result.settings.model}", ""] + [f"- {line}" for line in describe(result)] + [""]
    lines += ["| " + " | ".join(cols) + " |", "|" + "|".join("---:" for _ in cols) + "|"]
    lines += ["| " + " | ".join(_cells(c, published)) + " |" for c in result.cells]
    if published is not None:
        lines += ["", f"{published.name}: {published.citation} {published.url}".rstrip()]
        lines += [text for text in (published.conditions, published.note) if text]
    return "\n".join(lines) + "\n"


# -- the chart ---------------------------------------------------------------------------------------------
@dataclass
class Series:
    label: str
    color: str
    points: list[tuple[int, float]]  # (concurrency, value)
    published: bool = False


def nice_top(value: float) -> float:
    """The smallest 1-2-5 x 10^k at or above `value` (the y axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def panel(title: str, series: list[Series], xs: list[int], width: int = 420, height: int = 300) -> str:
    """One line chart as an SVG <g>: categorical x (the concurrency levels), linear y from 0."""
    left, right, top, bottom = 56, 12, 28, 40
    values = [v for s in series for _, v in s.points]
    y_top = nice_top(max(values) * 1.05 if values else 1.0)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(c: int) -> float:
        return left + (xs.index(c) + 0.5) * plot_w / len(xs)

    def y_of(v: float) -> float:
        return top + plot_h * (1 - v / y_top)

    out = [f'<text x="{left}" y="18" class="title">{html.escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="frame"/>']
    for k in range(6):
        v = y_top * k / 5
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y_of(v):.1f}" y2="{y_of(v):.1f}" class="grid"/>'
                   f'<text x="{left - 6}" y="{y_of(v) + 4:.1f}" class="ytick">{v:g}</text>')
    for c in xs:
        out.append(f'<text x="{x_of(c):.1f}" y="{top + plot_h + 16}" class="xtick">{c}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" class="xtick">concurrent requests</text>')
    for s in series:
        pts = sorted(s.points)
        path = " ".join(f"{x_of(c):.1f},{y_of(v):.1f}" for c, v in pts)
        dash = ' stroke-dasharray="5,4"' if s.published else ""
        if len(pts) > 1:
            out.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"{dash}/>')
        for c, v in pts:
            fill = "white" if s.published else s.color
            out.append(f'<circle cx="{x_of(c):.1f}" cy="{y_of(v):.1f}" r="4" fill="{fill}" stroke="{s.color}" '
                       f'stroke-width="2"><title>{html.escape(s.label)}: {c} concurrent, {v:.1f} ms</title></circle>')
    return "".join(out)


def chart(result: BenchResult, published: PublishedTable | None) -> str:
    """Mean TTFT and mean ITL against concurrency, one line per audio length (published: hollow, dashed)."""
    xs = sorted({c.concurrency for c in result.cells} | ({p.concurrency for p in published.cells} if published else set()))
    lengths = sorted({c.audio_s for c in result.cells})
    if not xs or not lengths:
        return ""
    panels = []
    for metric, title in (("ttft", "Mean time to first token (ms)"), ("itl", "Mean inter-token latency (ms)")):
        series = []
        for i, length in enumerate(lengths):
            color = COLORS[i % len(COLORS)]
            ours = [(c.concurrency, getattr(c, f"{metric}_ms").mean) for c in result.cells if c.audio_s == length]
            series.append(Series(f"{length:g} s audio", color, [(c, v) for c, v in ours if v is not None]))
            if published is not None:
                theirs = [(p.concurrency, getattr(p, f"{metric}_ms")) for p in published.cells
                          if math.isclose(p.audio_s, length)]
                series.append(Series(f"{published.name}, {length:g} s", color,
                                     [(c, v) for c, v in theirs if v is not None], published=True))
        panels.append(panel(title, series, xs))
    legend = []
    for i, length in enumerate(lengths):
        color = COLORS[i % len(COLORS)]
        legend.append(f'<span><svg width="26" height="10"><line x1="0" x2="26" y1="5" y2="5" stroke="{color}" '
                      f'stroke-width="2"/></svg> {length:g} s audio</span>')
    if published is not None:
        legend.append('<span><svg width="26" height="10"><line x1="0" x2="26" y1="5" y2="5" stroke="#555" '
                      f'stroke-width="2" stroke-dasharray="5,4"/></svg> {html.escape(published.name)} (published)</span>')
    return (f'<svg class="chart" viewBox="0 0 860 300" width="860" height="300" role="img" '
            f'aria-label="TTFT and ITL against concurrency"><g>{panels[0]}</g>'
            f'<g transform="translate(440,0)">{panels[1]}</g></svg><p class="legend">{" ".join(legend)}</p>')


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td:nth-child(-n+4){text-align:left}.chart text{font-size:12px;fill:#333}
.chart .title{font-weight:600;font-size:13px}.chart .xtick{text-anchor:middle}.chart .ytick{text-anchor:end}
.chart .frame{fill:none;stroke:#999}.chart .grid{stroke:#e6e6e6}.legend span{margin-right:1.5em}
ul{line-height:1.5}"""


def to_html(result: BenchResult, published: PublishedTable | None) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in _columns(published))
    body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in _cells(c, published)) + "</tr>" for c in result.cells)
    source = ""
    if published is not None:
        link = f' <a href="{e(published.url)}">{e(published.url)}</a>' if published.url.startswith("https://") else ""
        extra = "".join(f"<p>{e(t)}</p>" for t in (published.conditions, published.note) if t)
        source = f"<p><b>{e(published.name)}</b>: {e(published.citation)}{link}</p>{extra}"
    items = "".join(f"<li>{e(line)}</li>" for line in describe(result))
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>serve-bench: {e(result.settings.model)}'
            f"</title><style>{STYLE}</style></head><body><h1>serve-bench</h1><ul>{items}</ul>{chart(result, published)}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{source}</body></html>\n")
