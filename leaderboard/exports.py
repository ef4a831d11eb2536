"""What readers get from LeaderboardData: the page payload and the JSON, CSV and Markdown exports.

Every number leaves here in one unit (`scoring.unit`, each task's `unit`): error rates (WER, CER,
MER, the mixed error rate) and accuracy as percentages, BLEU/chrF++ on 0-100, judge scores on their
rubric's scale (1-5, 0-5, 0-1), headline scores in 0-100 points, so the page, the terminal table and
every export agree. Names from runs are untrusted: the Markdown escapes HTML and
link syntax, the CSV keeps spreadsheets from evaluating formulas, and the page payload is JSON that
cannot close its <script> block.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from pydantic_core import to_json

from seabench.leaderboard.data import ALL, LeaderboardData
from seabench.leaderboard.scoring import HEADLINE_RULE, UNITS_NOTE, Kind, in_unit


def _convert(entry: dict[str, Any], kind: Kind, keys: Iterable[str]) -> None:
    for key in keys:
        if key in entry:
            entry[key] = in_unit(kind, entry[key])


def reader_payload(data: LeaderboardData) -> dict[str, Any]:
    """LeaderboardData as readers see it: primary-metric values, CIs and differences in display units."""
    payload = data.model_dump(mode="json")
    kinds = {t["name"]: t["kind"] for t in payload["tasks"]}
    for cell in payload["cells"]:
        _convert(cell, kinds[cell["task"]], ("value", "ci_low", "ci_high"))
    for comp in payload["comparisons"]:
        _convert(comp, kinds[comp["task"]], ("delta", "ci_low", "ci_high"))
    for view in payload["samples"]:
        for answer in view["answers"]:
            _convert(answer, kinds[view["task"]], ("value",))
    for row in payload.get("published", []):
        _convert(row, row["kind"], ("value",))
        for ours in row["ours"]:
            _convert(ours, row["kind"], ("value", "ci_low", "ci_high"))
    payload["units"] = UNITS_NOTE
    payload["headline_rule"] = HEADLINE_RULE
    return payload


def export_json(data: LeaderboardData, payload: dict[str, Any] | None = None) -> str:
    """Machine-readable leaderboard in display units (audio payloads left out: they live in the page);
    `payload` is `reader_payload(data)` when the caller has it already."""
    payload = {k: v for k, v in (payload or reader_payload(data)).items() if k != "audio"}
    return to_json(payload, indent=2).decode("utf-8")


def summary_rows(data: LeaderboardData) -> list[dict[str, Any]]:
    """One row per (run, task, language) with the primary metric, CI and failure counts."""
    labels = {r.run_id: r.label for r in data.runs}
    tasks = {t.name: t for t in data.tasks}
    fails = {(f.run_id, f.task): f for f in data.failures}
    rows = []
    for c in data.cells:
        f = fails[(c.run_id, c.task)]
        kind = tasks[c.task].kind
        rows.append({"run_id": c.run_id, "model": labels[c.run_id], "task": c.task, "family": c.family,
                     "language": c.language, "metric": c.metric, "direction": c.direction,
                     "value": in_unit(kind, c.value), "ci_low": in_unit(kind, c.ci_low),
                     "ci_high": in_unit(kind, c.ci_high), "unit": tasks[c.task].unit, "n": c.n, "normalised": c.normalised,
                     "task_rank": c.rank, "errors": f.errors, "empty": f.empty, "refusals": f.refusals,
                     "extract_fail": f.extract_fail, "judge_unscored": f.judge_unscored,
                     "wrong_language": f.wrong_language})
    return rows


def ranking_rows(data: LeaderboardData) -> list[dict[str, Any]]:
    """One row per model in rank order: the overall score with its CI, ties, and every language score."""
    labels = {r.run_id: r.label for r in data.runs}
    head = data.headline
    rows = []
    for run in head.runs:
        row: dict[str, Any] = {"rank": run.rank, "model": labels[run.run_id], "run_id": run.run_id,
                               "overall": run.overall.score, "ci_low": run.overall.ci_low,
                               "ci_high": run.overall.ci_high,
                               "tied_with": ";".join(labels[r] for r in run.tied_with)}
        for language in head.languages:
            score = run.languages.get(language)
            row[language] = score.score if score else None
        rows.append(row)
    return rows


def csv_safe(value: Any) -> Any:
    """Keep spreadsheet apps from evaluating untrusted names as formulas (=, +, -, @)."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def to_csv(rows: list[dict[str, Any]], empty_header: tuple[str, ...] = ("run_id",)) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else list(empty_header), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_safe(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()


def export_csv(data: LeaderboardData) -> str:
    return to_csv(summary_rows(data))


def md_escape(text: str) -> str:
    """Markdown for an untrusted name: no raw HTML, no link/image syntax, no broken table cells."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\|[]`*_":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Cells are already Markdown (names escaped by the caller, numbers formatted by us)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _score_text(score: float | None, low: float | None = None, high: float | None = None) -> str:
    if score is None:
        return "–"
    return f"{score:.1f} [{low:.1f}, {high:.1f}]" if low is not None and high is not None else f"{score:.1f}"


def export_markdown(data: LeaderboardData) -> str:
    arrow = {"higher": "↑", "lower": "↓"}
    labels = {r.run_id: r.label for r in data.runs}
    head = data.headline
    ranking = []
    for run in head.runs:
        rank = "–" if run.rank is None else ("=" if run.tied_with else "") + str(run.rank)
        ranking.append([rank, md_escape(labels[run.run_id]),
                        _score_text(run.overall.score, run.overall.ci_low, run.overall.ci_high)]
                       + [_score_text(s.score) if (s := run.languages.get(lang)) else "–" for lang in head.languages])
    n_tasks = {lang: len({r.task for r in head.results if r.language == lang}) for lang in head.languages}
    lines = [f"# {md_escape(data.title)}", "", "## Ranking", "",
             *_md_table(["Rank", "Model", "Overall [95% CI]",
                         *(f"{md_escape(lang)} ({n_tasks[lang]} tasks)" for lang in head.languages)], ranking),
             "", (HEADLINE_RULE + f" The overall score here averages {len(head.languages)} languages, "
                  f"{len(head.results)} results from {len(head.tasks)} tasks. `=` before a rank: not significantly "
                  "different from another model (paired bootstrap, p < 0.05), so they share the rank."), ""]
    if head.left_out:
        lines += ["Left out of the headline: " + "; ".join(md_escape(x) for x in head.left_out) + ".", ""]
    by_key = {(c.run_id, c.task): c for c in data.cells if c.language == ALL}
    rows = []
    for run in head.runs:
        row = [md_escape(labels[run.run_id])]
        for t in data.tasks:
            c = by_key.get((run.run_id, t.name))
            row.append(f"{c.display} {c.ci_display}{c.mark.replace('*', chr(92) + '*')}".strip() if c else "–")
        rows.append(row)
    header = ["Model"] + [f"{md_escape(t.name)} {md_escape(t.primary_metric)}{f' ({t.unit})' if t.unit else ''} "
                          f"{arrow[t.direction]}" for t in data.tasks]
    lines += ["## Models × tasks (primary metric, 95% CI)", "", *_md_table(header, rows), "",
              ("`*` significantly better than the next-ranked model on that task (paired bootstrap, p < 0.05); "
              "`=` not significantly different."), "", UNITS_NOTE, "", f"Aggregation: {data.aggregation_rule}", ""]
    return "\n".join(lines)


def json_for_script(payload: Any) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can appear literally."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text
