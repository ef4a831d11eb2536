"""Inline SVG charts for the leaderboard page, drawn here (no chart library, nothing fetched).

Each chart is a <figure> holding an <svg role="img"> with a caption, and a "Numbers" table with
every value drawn (the text alternative). Every mark carries its numbers twice: an SVG <title>
(shown on hover) and a `data-tip` attribute the page script shows on a click or tap. Widths are
percentages and heights pixels, so a chart fills any screen while its text keeps its size.

Everything from a run (model names, task names, languages) is untrusted: it only ever enters the
markup through `tag`, which escapes text and attribute values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from seabench.leaderboard.data import ALL, Cell, LeaderboardData, TaskInfo
from seabench.leaderboard.published import PublishedEntry
from seabench.leaderboard.scoring import Scale, format_value, in_unit, normalise
from seabench.leaderboard.task_types import TaskTypeCell

# Model colours: distinguishable, colour-blind-safe (Okabe-Ito order), muted enough for a light page.
PALETTE = ("#1f6fb2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9", "#6a3d9a", "#7f7f7f")
PUBLISHED_COLOUR = "#1d2433"
ROW = 22  # px per heatmap row
FONT = 12


def tag(name: str, attrs: dict[str, object] | None = None, *children: object) -> Markup:
    """<name attrs>children</name>; text and attribute values escaped, Markup children kept."""
    parts = [f"<{name}"]
    for key, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        parts.append(f' {key.rstrip("_").replace("_", "-")}="{escape(value)}"')
    inner = Markup("").join(c if isinstance(c, Markup) else escape(c) for c in children if c is not None)
    return Markup("".join(parts) + ">") + inner + Markup(f"</{name}>")


def pct(x: float) -> str:
    return f"{x:.3f}%"


def model_colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def heat(score: float | None) -> tuple[str, str]:
    """(fill, text colour) for a 0-100 score: one blue hue from pale to deep; grey when missing."""
    if score is None or math.isnan(score):
        return "#eef0f4", "#5b6478"
    t = max(0.0, min(1.0, score / 100.0))
    low, high = (240, 245, 252), (24, 73, 140)
    fill = "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(low, high, strict=True))
    return fill, ("#ffffff" if t > 0.55 else "#1d2433")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mark(kind: str, attrs: dict[str, object], tip: str) -> Markup:
    """A mark with its numbers on hover (<title>) and on click/tap (data-tip)."""
    return tag(kind, {**attrs, "data_tip": tip, "class_": ("tip " + str(attrs.get("class_", ""))).strip()},
               tag("title", None, tip))


def _numbers(caption: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Markup:
    head = tag("thead", None, tag("tr", None, *(tag("th", {"scope": "col"}, h) for h in header)))
    body = tag("tbody", None, *(tag("tr", None, *(tag("td", None, "–" if v is None else v) for v in row)) for row in rows))
    return tag("details", {"class_": "numbers"}, tag("summary", None, "Numbers: " + caption),
               tag("div", {"class_": "scroll"}, tag("table", {"class_": "data"}, head, body)))


def _figure(fid: str, title: str, note: str, svg: Markup, numbers: Markup, height: int, max_width: int = 900) -> Markup:
    svg_el = tag("svg", {"width": "100%", "height": height, "role": "img",
                         "aria-labelledby": f"{fid}-title", "class_": "chart-svg"},
                 tag("title", {"id": f"{fid}-title"}, f"{title}. {note}"), svg)
    return tag("figure", {"class_": "chart", "id": fid}, _caption(title, note),
               tag("div", {"class_": "chart-box", "style": f"max-width:{max_width}px"}, svg_el), numbers)


def _caption(title: str, note: str) -> Markup:
    return tag("figcaption", None, tag("strong", None, title), " ", tag("span", {"class_": "note"}, note))


def legend(data: LeaderboardData, with_published: bool = False) -> Markup:
    items = [tag("span", {"class_": "key"}, tag("span", {"class_": "swatch", "style": f"background:{colour}"}), label)
             for label, colour in model_colours(data)]
    if with_published:
        items.append(tag("span", {"class_": "key"}, tag("span", {"class_": "swatch diamond"}), "published (paper)"))
    return tag("div", {"class_": "legend"}, *items)


def ranked_runs(data: LeaderboardData) -> list[str]:
    """Run ids best first (the headline order), then any run the headline could not score."""
    order = [r.run_id for r in data.headline.runs]
    return order + [r.run_id for r in data.runs if r.run_id not in order]


def model_colours(data: LeaderboardData) -> list[tuple[str, str]]:
    labels = {r.run_id: r.label for r in data.runs}
    return [(labels[rid], model_colour(i)) for i, rid in enumerate(ranked_runs(data))]


def _ci(low: float | None, high: float | None, digits: int = 1) -> str:
    return "" if low is None or high is None else f" [{low:.{digits}f}, {high:.{digits}f}]"


# ----------------------------------------------------------------------------------------- ranking
def ranking_chart(data: LeaderboardData) -> Markup:
    """Overall score of each model with its 95% CI on a fixed 0-100 axis, best first, ranks (shared = tie)."""
    head = data.headline
    labels = {r.run_id: r.label for r in data.runs}
    row_h, top = 46, 8
    axis_y = top + row_h * len(head.runs) + 4
    marks: list[Markup] = [_axis_x(0, 100, (0, 25, 50, 75, 100), axis_y, top, lambda v: f"{v:g}")]
    rows = []
    for i, run in enumerate(head.runs):
        y = top + i * row_h
        o = run.overall
        rank = "–" if run.rank is None else ("=" if run.tied_with else "") + str(run.rank)
        label = labels[run.run_id]
        tied = ", ".join(labels[t] for t in run.tied_with)
        tip = (f"{label}: overall {o.score:.1f}{_ci(o.ci_low, o.ci_high)} (95% CI), rank {rank}"
               + (f"; not significantly different from {tied}" if tied else "")) if o.score is not None else f"{label}: no score"
        marks.append(tag("text", {"x": "0", "y": y + 15, "class_": "rank", "font_size": 13}, rank))
        marks.append(tag("text", {"x": "2.2em", "y": y + 15, "class_": "model-name", "font_size": 13}, shorten(label, 60)))
        value = "–" if o.score is None else f"{o.score:.1f}" + _ci(o.ci_low, o.ci_high)
        marks.append(tag("text", {"x": "100%", "y": y + 15, "text_anchor": "end", "class_": "value", "font_size": 13}, value))
        if o.score is not None:
            colour = model_colour(i)
            cy = y + 32
            marks.append(tag("line", {"x1": "0%", "x2": "100%", "y1": cy, "y2": cy, "class_": "track"}))
            if o.ci_low is not None and o.ci_high is not None:
                marks.append(_mark("rect", {"x": pct(o.ci_low), "width": pct(max(o.ci_high - o.ci_low, 0.3)),
                                            "y": cy - 5, "height": 10, "rx": 5, "fill": colour, "fill_opacity": "0.25"}, tip))
            marks.append(_mark("circle", {"cx": pct(o.score), "cy": cy, "r": 6, "fill": colour,
                                          "stroke": "#fff", "stroke_width": 1.5}, tip))
        rows.append([rank, label, None if o.score is None else f"{o.score:.1f}",
                     _ci(o.ci_low, o.ci_high).strip() or None, tied or None])
    note = ("0-100, higher is better; the band is the 95% bootstrap CI. A shared rank (=): not significantly "
            "different (paired bootstrap, p ≥ 0.05).")
    numbers = _numbers("overall score per model", ["Rank", "Model", "Overall", "95% CI", "Not significantly different from"], rows)
    return _figure("ranking-chart", "Ranking by overall score", note, Markup("").join(marks), numbers, axis_y + 22)


def _axis_x(lo: float, hi: float, ticks: Sequence[float], y: float, top: float, fmt: object,
            x0: float = 0.0, x1: float = 100.0) -> Markup:
    """Vertical grid lines and tick labels along the bottom, for values lo..hi drawn between x0% and x1%."""
    out = []
    for v in ticks:
        x = x0 + (v - lo) / (hi - lo) * (x1 - x0)
        out.append(tag("line", {"x1": pct(x), "x2": pct(x), "y1": top, "y2": y, "class_": "grid"}))
        anchor = "start" if x <= x0 + 0.01 else ("end" if x >= x1 - 0.01 else "middle")
        out.append(tag("text", {"x": pct(x), "y": y + 14, "text_anchor": anchor, "class_": "tick"}, fmt(v)))  # type: ignore[operator]
    return Markup("").join(out)


# -------------------------------------------------------------------------------------- heatmaps
@dataclass
class _HeatCell:
    text: str
    score: float | None  # 0-100, for the colour
    tip: str
    task: str | None = None  # a click opens this task's samples


def _heatmap(fid: str, title: str, note: str, columns: Sequence[str], rows: Sequence[tuple[str, list[_HeatCell]]],
             numbers: Markup, groups: Sequence[tuple[int, str]] = (), label_px: int = 220) -> Markup:
    """Rows of coloured cells under column headers; `groups` inserts a heading before row index i.

    Two SVGs side by side: the row labels (a fixed width, a share of the screen on a phone) and the
    cells (each column 48-120 px wide), so labels stay readable whatever the number of columns."""
    header_h = 30
    width = 100.0 / max(len(columns), 1)
    labels: list[Markup] = []
    marks = [tag("text", {"x": pct(width * (j + 0.5)), "y": 18, "text_anchor": "middle", "class_": "col-head"},
                 shorten(c, 16), tag("title", None, c)) for j, c in enumerate(columns)]
    y = header_h
    group_at = dict(groups)
    for i, (label, cells) in enumerate(rows):
        if i in group_at:
            labels.append(tag("text", {"x": "0", "y": y + 16, "class_": "group-head"}, group_at[i]))
            y += ROW
        labels.append(tag("text", {"x": "0", "y": y + 15, "class_": "row-head"}, shorten(label, 34), tag("title", None, label)))
        for j, cell in enumerate(cells):
            fill, ink = heat(cell.score)
            attrs: dict[str, object] = {"x": pct(width * j + 0.4), "y": y + 1, "width": pct(width - 0.8),
                                        "height": ROW - 2, "rx": 3, "fill": fill}
            if cell.task:
                attrs.update({"class_": "open-task", "data_task": cell.task})
            marks.append(_mark("rect", attrs, cell.tip))
            marks.append(tag("text", {"x": pct(width * (j + 0.5)), "y": y + 15, "text_anchor": "middle", "style": f"fill:{ink}",
                                      "class_": "cell-text"}, cell.text))
        y += ROW
    height = y + 4
    svg = {"height": height, "aria-hidden": "true"}
    grid = tag("div", {"class_": "heat", "role": "img", "aria-label": f"{title}. {note}",
                       "style": f"--label-w:{label_px}px;--cols:{len(columns)}"},
               tag("svg", {**svg, "class_": "chart-svg heat-labels"}, Markup("").join(labels)),
               tag("svg", {**svg, "class_": "chart-svg heat-cells"}, Markup("").join(marks)))
    return tag("figure", {"class_": "chart heatmap", "id": fid}, _caption(title, note),
               tag("div", {"class_": "scroll"}, grid), numbers)


def language_heatmap(data: LeaderboardData) -> Markup:
    """Languages × models (models in rank order): each language score (0-100) and the overall, CIs on hover."""
    head = data.headline
    labels = {r.run_id: r.label for r in data.runs}
    n_tasks = {lang: len({r.task for r in head.results if r.language == lang}) for lang in head.languages}
    names = {"overall": "Overall", **{lang: f"{lang} ({n_tasks[lang]} task{'s' if n_tasks[lang] != 1 else ''})"
                                      for lang in head.languages}}
    rows, table = [], []
    for name in ("overall", *head.languages):
        cells, values = [], []
        for run in head.runs:
            s = run.overall if name == "overall" else run.languages.get(name)
            label = labels[run.run_id]
            if s is None or s.score is None:
                cells.append(_HeatCell("–", None, f"{label} · {names[name]}: no score"))
                values.append(None)
                continue
            what = "mean of the language scores" if name == "overall" else f"mean of {s.n_tasks} task results"
            cells.append(_HeatCell(f"{s.score:.1f}", s.score,
                                   f"{label} · {names[name]}: {s.score:.1f}{_ci(s.ci_low, s.ci_high)} (95% CI), {what}"))
            values.append(f"{s.score:.1f}{_ci(s.ci_low, s.ci_high)}")
        rows.append((names[name], cells))
        table.append([names[name], *values])
    models = [labels[r.run_id] for r in head.runs]
    note = ("A language score is the mean of that language's task results on 0-100; Overall is the mean of the "
            "language scores. Darker = better.")
    return _heatmap("language-heatmap", "Languages × models", note, models, rows,
                    _numbers("score per language (95% CI)", ["Language", *models], table), groups=[(1, "by language")],
                    label_px=180)


def _cells_by_key(data: LeaderboardData) -> dict[tuple[str, str, str], Cell]:
    return {(c.run_id, c.task, c.language): c for c in data.cells}


def _family_order(data: LeaderboardData) -> list[tuple[str, list[TaskInfo]]]:
    families: dict[str, list[TaskInfo]] = {}
    for t in data.tasks:
        families.setdefault(t.family, []).append(t)
    return sorted(families.items())


def _cell_tip(label: str, t: TaskInfo, c: Cell | None) -> str:
    if c is None or c.value is None:
        return f"{t.name} · {label}: no score"
    norm = "" if c.normalised is None else f"; {c.normalised:.1f} on the 0-100 scale"
    return f"{t.name} · {label}: {c.metric} {c.display} {c.ci_display} (95% CI), n = {c.n}{norm}".replace("  ", " ")


def task_heatmap(data: LeaderboardData) -> Markup:
    """Tasks × models: each task's primary metric as shown in the tables, coloured by its 0-100 score."""
    labels = {r.run_id: r.label for r in data.runs}
    order = ranked_runs(data)
    cells = _cells_by_key(data)
    rows, groups, table = [], [], []
    for family, tasks in _family_order(data):
        groups.append((len(rows), family))
        for t in tasks:
            row = []
            for rid in order:
                c = cells.get((rid, t.name, ALL))
                row.append(_HeatCell("–" if c is None or c.value is None else c.display,
                                     None if c is None else c.normalised, _cell_tip(labels[rid], t, c), task=t.name))
            rows.append((f"{t.name} {t.primary_metric} {'↓' if t.direction == 'lower' else '↑'}", row))
            table.append([t.name, t.primary_metric, *(None if (c := cells.get((rid, t.name, ALL))) is None
                                                      or c.value is None else f"{c.display} {c.ci_display}".strip()
                                                      for rid in order)])
    note = ("Each cell is the task's primary metric (error rates and accuracy in %, BLEU 0-100, judge scores on their "
            "rubric's scale), coloured by its 0-100 score (darker = better, whatever the metric's direction). Click a "
            "cell for that task's samples.")
    return _heatmap("task-heatmap", "Tasks × models", note, [labels[r] for r in order], rows,
                    _numbers("primary metric per task (95% CI)", ["Task", "Metric", *(labels[r] for r in order)], table),
                    groups=groups, label_px=250)


# ----------------------------------------------------------------------------------- per-task bars
def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= m * step:
            return m * step
    return 10 * step


def _axis(kind: str, values: Sequence[float], scale: Scale | None) -> tuple[float, float, list[float]]:
    top = max(values, default=0.0)
    if kind == "judge" and scale is not None:
        low, high = scale
        step = 1.0 if 4 <= high - low <= 10 else (high - low) / 4  # 1-5, 0-5 by whole points; 0-1 by quarters
        return low, high, [low + step * k for k in range(round((high - low) / step) + 1)]
    if kind == "accuracy":
        return 0.0, 100.0, [0, 25, 50, 75, 100]
    floor = 1.0 if kind == "judge" else 10.0  # judge: runs judged on different scales, 0 to the highest value
    hi = max(100.0, _nice_max(top)) if kind == "error_rate" else _nice_max(max(top, floor))
    return 0.0, hi, [hi * k / 4 for k in range(5)]


def task_bars(data: LeaderboardData) -> Markup:
    """Per family, each task's primary metric for every model: a bar with its 95% CI whisker, in the metric's
    own unit; published numbers of the same task and metric as diamonds."""
    labels = {r.run_id: r.label for r in data.runs}
    order = ranked_runs(data)
    cells = _cells_by_key(data)
    published = [p for p in data.published if p.language == ALL]
    panels, empty = [], []
    for family, tasks in _family_order(data):
        for kind, unit in sorted({(t.kind, t.unit) for t in tasks}):
            panel_tasks = [t for t in tasks if (t.kind, t.unit) == (kind, unit)]
            mine = [p for p in published if any(p.task == t.name and p.metric == t.primary_metric for t in panel_tasks)]
            if not mine and all(cells.get((rid, t.name, ALL)) is None or cells[(rid, t.name, ALL)].value is None
                                for t in panel_tasks for rid in order):
                empty.append(f"{family} ({', '.join(sorted({t.primary_metric for t in panel_tasks}))}, "
                             f"{len(panel_tasks)} task{'s' if len(panel_tasks) != 1 else ''})")
                continue
            panels.append(_bar_panel(family, kind, unit, panel_tasks, order, labels, cells, mine))
    note = (tag("p", {"class_": "note"}, "Nothing to draw for " + "; ".join(empty) + ": no model has a score there "
                "(see Failures: e.g. judge-scored tasks that were not judged).") if empty else None)
    return tag("div", {"class_": "bar-panels"}, legend(data, with_published=bool(published)), *panels, note)


def _bar_panel(family: str, kind: str, unit: str, tasks: list[TaskInfo], order: list[str], labels: dict[str, str],
               cells: dict[tuple[str, str, str], Cell], published: list[PublishedEntry]) -> Markup:
    def scale(value: float) -> float:
        return x1 * (min(max(value, lo), hi) - lo) / (hi - lo)

    def shown(rid: str, t: TaskInfo) -> Cell | None:
        c = cells.get((rid, t.name, ALL))
        return c if c is not None and c.value is not None else None

    values = [v for t in tasks for rid in order if (c := shown(rid, t)) for v in
              (in_unit(t.kind, c.value), in_unit(t.kind, c.ci_high)) if v is not None]
    values += [in_unit(p.kind, p.value) for p in published]  # type: ignore[misc]
    lo, hi, ticks = _axis(kind, values, tasks[0].scale)  # type: ignore[arg-type]
    bar_h, gap, label_h = 9, 3, 18
    x1 = 84.0  # bars end here; values are written to the right
    marks, table = [], []
    y = 4
    for t in tasks:
        arrow = "lower is better" if t.direction == "lower" else "higher is better"
        marks.append(tag("text", {"x": "0", "y": y + 13, "class_": "row-head"}, f"{t.name} ", tag(
            "tspan", {"class_": "muted"}, f"{t.primary_metric} ({arrow})")))
        y += label_h
        for i, rid in enumerate(order):
            c = shown(rid, t)
            colour = model_colour(i)
            if c is None:
                marks.append(tag("text", {"x": "0", "y": y + bar_h - 1, "class_": "muted small"}, f"{labels[rid]}: no score"))
            else:
                v, low, high = (in_unit(t.kind, x) for x in (c.value, c.ci_low, c.ci_high))
                tip = _cell_tip(labels[rid], t, c)
                marks.append(_mark("rect", {"x": "0", "y": y, "width": pct(max(scale(v), 0.2)), "height": bar_h, "rx": 2,
                                            "fill": colour, "class_": "open-task", "data_task": t.name}, tip))
                if low is not None and high is not None:
                    for x in (low, high):
                        marks.append(tag("line", {"x1": pct(scale(x)), "x2": pct(scale(x)), "y1": y - 1,
                                                  "y2": y + bar_h + 1, "class_": "whisker"}))
                    marks.append(tag("line", {"x1": pct(scale(low)), "x2": pct(scale(high)), "y1": y + bar_h / 2,
                                              "y2": y + bar_h / 2, "class_": "whisker"}))
                marks.append(tag("text", {"x": "100%", "y": y + bar_h, "text_anchor": "end", "class_": "small value"},
                                 c.display))
                table.append([t.name, labels[rid], f"{c.display} {c.ci_display}".strip(), str(c.n)])
            y += bar_h + gap
        for p in (p for p in published if p.task == t.name):
            v = in_unit(p.kind, p.value)
            x = scale(v)  # type: ignore[arg-type]
            tip = f"{t.name} · {p.model} (published): {format_value(p.kind, p.value)} — {p.source}"
            diamond = _mark("path", {"d": "M0,-5 L5,0 L0,5 L-5,0 Z", "fill": "#fff", "stroke": PUBLISHED_COLOUR,
                                     "stroke_width": 1.5}, tip)
            marks.append(tag("svg", {"x": pct(x), "y": y + bar_h / 2, "overflow": "visible"}, diamond))
            marks.append(tag("text", {"x": "100%", "y": y + bar_h, "text_anchor": "end", "class_": "small value"},
                             f"{format_value(p.kind, p.value)} ◇"))
            table.append([t.name, f"{p.model} (published)", format_value(p.kind, p.value), p.source])
            y += bar_h + gap
        y += 8
    axis = _axis_x(lo, hi, ticks, y, 4, lambda v: f"{v:g}{'%' if unit == '%' else ''}", 0.0, x1)
    title = f"{family}: {' / '.join(sorted({t.primary_metric for t in tasks}))}"
    note = {"error_rate": "Error rate in %, lower is better.", "accuracy": "Accuracy in %, higher is better.",
            "score100": "0-100, higher is better.", "judge": f"Judge score ({unit}), higher is better."}.get(kind, "")
    return _figure(re.sub(r"[^A-Za-z0-9_-]", "-", f"bars-{family}-{kind}-{unit}"), title, note + " Whiskers: 95% bootstrap CI.",
                   Markup("").join([axis, *marks]), _numbers(title, ["Task", "Model", "Value (95% CI)", "n / source"], table),
                   y + 22)


# ------------------------------------------------------------------------------------- task types
def task_type_heatmaps(data: LeaderboardData) -> Markup:
    """SeaBench-Audio style judge tables (task type × language, on the rubric's scale) as one heatmap per model
    and task."""
    labels = {r.run_id: r.label for r in data.runs}
    infos = {t.name: t for t in data.tasks}
    figures = []
    by_task: dict[str, list[TaskTypeCell]] = {}
    for c in data.task_types:
        by_task.setdefault(c.task, []).append(c)
    for task, cells in sorted(by_task.items()):
        info = infos.get(task)
        scale = info.scale if info is not None else None
        languages = sorted({c.language for c in cells if c.language != ALL}) + [ALL]
        kinds = sorted({c.task_type for c in cells if c.task_type != ALL}) + [ALL]
        index = {(c.run_id, c.task_type, c.language): c for c in cells}
        for rid in ranked_runs(data):
            if not any(c.run_id == rid for c in cells):
                continue
            rows, table = [], []
            for kind in kinds:
                row = []
                for lang in languages:
                    c = index.get((rid, kind, lang))
                    value = None if c is None else c.value
                    tip = (f"{labels[rid]} · {kind} · {lang}: " + ("no judged item" if value is None else
                                                                   f"{value:.2f} over n = {c.n} items"))  # type: ignore[union-attr]
                    row.append(_HeatCell("–" if value is None else f"{value:.2f}", normalise("judge", value, scale=scale), tip, task=task))
                rows.append((kind, row))
                table.append([kind, *(None if (c := index.get((rid, kind, lang))) is None or c.value is None
                                      else f"{c.value:.2f} (n={c.n})" for lang in languages)])
            figures.append(_heatmap(f"task-types-{len(figures)}", f"{task} — {labels[rid]}",
                                    f"Mean judge score ({info.unit if info else 'its rubric scale'}) per task type and "
                                    "language, over the items judged for every model in that cell. Darker = better.", languages, rows,
                                    _numbers(f"{task}, {labels[rid]}", ["Task type", *languages], table), label_px=150))
    return Markup("").join(figures)
