"""The `seabench` command line. Thin: parses options, calls the API, prints one clear line for
user mistakes. Plugin packages are imported inside the commands that need them."""

from __future__ import annotations

import contextlib
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seabench.errors import UserError
from seabench.runlog import LOG_FILE, RunLog, capture_library_output
from seabench.secrets import redact

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Evaluate audio-language models on Southeast Asian languages.")
# Piped output (CI logs, `| less`) gets wide tables instead of rich's 80-column default.
out = Console() if sys.stdout.isatty() else Console(width=160)
err = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=160)

ModelOpt = Annotated[list[str], typer.Option("--model-option", "-M", metavar="KEY=VALUE",
                                          help="Model option key=value (repeatable).")]
JudgeOpt = Annotated[list[str], typer.Option("--judge-option", "-J", metavar="KEY=VALUE",
                                          help="Judge option key=value (repeatable).")]
GenOpt = Annotated[list[str], typer.Option(
    "--gen", "-G", metavar="KEY=VALUE", help="Generation setting key=value over every task's default (repeatable): max_new_tokens, "
                        "temperature, top_p, do_sample, repetition_penalty, seed, system_prompt, stop.")]
TaskOpt = Annotated[list[str], typer.Option(
    "--task-option", "-T", metavar="KEY=VALUE",
    help="Scoring choice key=value (repeatable): normalizer=whisper-en (English WER as the Open ASR Leaderboard).")]
RubricsOpt = Annotated[Optional[Path], typer.Option(
    "--rubrics", metavar="PATH", help="Judge with your own rubrics: SeaBench-Audio's rules.json or rubric YAML "
                                      "(same as -J rules=PATH).")]
GenKwargs = Annotated[Optional[str], typer.Option(
    "--gen-kwargs", metavar="K=V,K=V", help="The same settings lm-eval style: k=v,k=v.")]
ModelArgs = Annotated[Optional[str], typer.Option(
    "--model-args", "--model_args", metavar="K=V,K=V",
    help="Model options lm-eval style: k=v,k=v (same as -M; pretrained=ORG/NAME completes a bare --model hf).")]


def _print_version(value: bool) -> None:
    if not value:
        return
    from seabench.manifest import git_state, seabench_version

    sha, dirty = git_state()
    where = f" (git {sha[:12]}{', modified' if dirty else ''})" if sha else ""
    out.print(f"seabench {seabench_version()}{where}", highlight=False, markup=False)
    raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Evaluate audio-language models on Southeast Asian languages."""


@app.command()
def run(
    model: Annotated[str, typer.Option("--model", "-m", help="Model id, e.g. reference, hf:ORG/NAME, predictions:FILE.")],
    tasks: Annotated[str, typer.Option("--tasks", "-t", help="Tasks: names, globs (asr/*), suites (mini), FAMILY@manifest.jsonl; comma-separated.")] = "mini",
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "--output-path", "-o", metavar="DIR", help="Run directory (default runs/<model>).")] = None,
    limit: Annotated[Optional[str], typer.Option(metavar="N", help="Samples per task (50) or a fraction of each (0.1): a seeded sample stratified by language and subset.")] = None,
    shard: Annotated[Optional[str], typer.Option(metavar="I/N", help="Run shard I of N (a stable split by task and sample id); merge shards with `seabench merge`.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Samples per model call (default: the adapter's).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling and bootstrap CIs.")] = 0,
    model_option: ModelOpt = [],  # noqa: B006 - typer needs a literal default
    model_args: ModelArgs = None,
    gen: GenOpt = [],  # noqa: B006
    gen_kwargs: GenKwargs = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the response cache.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    judge: Annotated[Optional[str], typer.Option(help="Judge for judge-scored tasks (default: gemini:gemini-2.5-flash when GEMINI_API_KEY is set; 'none' to skip).")] = None,
    judge_samples: Annotated[int, typer.Option(help="Judge each item N times; the mean and spread are kept.")] = 1,
    judge_option: JudgeOpt = [],  # noqa: B006
    rubrics: RubricsOpt = None,
    task_option: TaskOpt = [],  # noqa: B006
    executor: Annotated[str, typer.Option(metavar="local|ray", help="Where the model runs: in this process, or as Ray actors (see --replicas).")] = "local",
    replicas: Annotated[Optional[int], typer.Option(metavar="N", help="With --executor ray: N model replicas, one Ray actor each (data parallelism).")] = None,
    ray_address: Annotated[Optional[str], typer.Option(metavar="ADDR", help="With --executor ray: an existing Ray cluster (default: start a local instance).")] = None,
    gpus_per_replica: Annotated[Optional[float], typer.Option(metavar="G", help="With --executor ray: GPUs per replica (vllm: default tensor_parallel_size; others 0).")] = None,
) -> None:
    """Run a model over tasks; re-running the same command resumes an interrupted run."""
    from seabench.adapter import model_alias, parse_options
    from seabench.executor_ray import ray_settings, throughput_lines
    from seabench.generation import parse_generation, split_gen_kwargs
    from seabench.registry import registry
    from seabench.runner import Interrupted, ModelKeepsFailing, RunConfig, Runner
    from seabench.selection import Shard, parse_limit

    known = registry()
    known.load_plugins()
    model, options = model_alias(model, parse_options([*split_gen_kwargs(model_args), *model_option]), known.models)
    directory = output_dir or Path("runs") / default_run_name(model)
    config = RunConfig(model=model, tasks=tasks, output_dir=directory, model_options=options,
                       generation=parse_generation([*split_gen_kwargs(gen_kwargs), *gen]), limit=parse_limit(limit),
                       shard=Shard.parse(shard), batch_size=batch_size, seed=seed, use_cache=not no_cache, quiet=quiet,
                       judge="auto" if judge is None else (None if judge == "none" else judge),
                       judge_samples=judge_samples, judge_options=_judge_options(judge_option, rubrics),
                       task_options=_task_options(task_option),
                       executor=ray_settings(executor, replicas, ray_address, gpus_per_replica, model, options))
    command = redact(" ".join(_quote(a) for a in ["seabench", *sys.argv[1:]]))
    try:
        with sigterm_as_interrupt() as received, capture_library_output(directory / LOG_FILE, command) as log:
            result = Runner(config).run()
    except (Interrupted, KeyboardInterrupt) as stop:  # a bare KeyboardInterrupt came while results were written
        err.print(f"Interrupted after {stop.done}/{stop.total} samples; partial results in {directory}/results.json."
                  if isinstance(stop, Interrupted) else
                  f"Interrupted while writing results; every finished sample is kept in {directory}/samples.jsonl.")
        err.print(f"Resume with the same command: {command}", highlight=False, markup=False)
        raise typer.Exit(EXIT_TERMINATED if received else EXIT_INTERRUPTED) from None
    except ModelKeepsFailing as exc:
        err.print(f"error: {exc}; partial results in {directory}/results.json", highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILED) from None
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    _note_library_output(log, quiet)
    if not quiet:
        _print_results(result)
        for line in throughput_lines(result.manifest.executor) if result.manifest.executor else []:
            out.print(line, highlight=False, markup=False)
        out.print(f"Results: {directory / 'results.json'}  Samples: {directory / 'samples.jsonl'}")
    if result.status == "failed":
        errors = Counter(code for t in result.tasks.values() for code, n in t.counts.errors.items() for _ in range(n))
        common = ", ".join(f"{code} x{n}" for code, n in errors.most_common(3))
        err.print(f"error: no sample succeeded ({common}); see {directory / 'samples.jsonl'}", highlight=False,
                  markup=False)
        raise typer.Exit(EXIT_FAILED)


EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 130, 143


def _note_library_output(log: RunLog, quiet: bool) -> None:
    """Library warnings were kept off the progress bars; say where they went, once."""
    if log.count and not quiet:
        err.print(f"note: library warnings and messages ({log.summary()}) are in {log.path}", highlight=False,
                  markup=False)


def default_run_name(model: str) -> str:
    """runs/<model> with anything but letters, digits, '.', '-' folded to '_' (credentials never in a path)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", redact(model).replace("***", "")).strip("_") or "run"


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[list[int]]:
    """SIGTERM (a job scheduler's stop) behaves like Ctrl-C: partial results are saved. The list is
    non-empty once SIGTERM arrived."""
    received: list[int] = []

    def on_term(signum: int, _frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def _print_results(result) -> None:  # noqa: ANN001 - RunResult, imported lazily
    from seabench.leaderboard.scoring import format_value, judge_scale, metric_kind, unit

    table = Table(title=f"{redact(result.model.id)} ({result.status})",
                  caption="Error rates (WER, CER, MER, mixed) and accuracy in %, judge scores on their rubric's scale, "
                          "as on the leaderboard")
    for col in ("task", "metric", "unit", "value", "95% CI", "n", "errors", "empty", "extract fail", "wrong lang"):
        table.add_column(col)
    for name, t in result.tasks.items():
        mv = t.metrics[t.primary_metric]
        arrow = "↑" if t.direction == "higher" else "↓"
        kind = metric_kind(t.primary_metric, t)
        ci = f"[{format_value(kind, mv.ci_low)}, {format_value(kind, mv.ci_high)}]" if mv.ci_low is not None else "—"
        table.add_row(name, f"{t.primary_metric} {arrow}", unit(kind, judge_scale(t)), format_value(kind, mv.value), ci,
                      str(t.counts.n), str(t.counts.n_errors), str(t.counts.empty), str(t.counts.extract_fail),
                      str(t.counts.wrong_language))
    out.print(table)


@app.command("tasks")
def list_tasks(
    pattern: Annotated[Optional[str], typer.Argument(metavar="PATTERN", help="Names, globs or suites to list, e.g. 'mini/asr-*'.")] = None,
    suite: Annotated[Optional[str], typer.Option("--suite", "-s", metavar="NAME", help="Only the tasks of this suite (e.g. audiobench, meralion, sea-asr).")] = None,
    details: Annotated[bool, typer.Option("--details", help="Also show each task's source, metrics and how to get missing data.")] = False,
) -> None:
    """List tasks, one line each: family, languages, samples, primary metric and direction, data status."""
    from seabench.registry import registry

    reg = registry()
    if suite is not None and suite not in reg.suites:
        raise UserError(f"unknown suite {suite!r}; known: {', '.join(sorted(reg.suites))}")
    selected = list(reg.resolve_tasks(pattern) if pattern else reg.tasks().values())
    if suite is not None:
        in_suite = {t.name for t in reg.resolve_tasks(suite)}
        selected = [t for t in selected if t.name in in_suite]
    selected.sort(key=lambda t: t.name)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("task", "family", "languages", "samples", "primary metric", "data"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    ready = 0
    for task in selected:
        status = task.data_status()
        ready += status.ready
        arrow = "↑" if task.direction == "higher" else "↓"
        row = (task.name, task.family, ",".join(task.languages), "?" if task.size is None else str(task.size),
               f"{task.primary_metric} {arrow}", "ready" if status.ready else "missing")
        if details:
            out.print(f"[bold]{escape(task.name)}[/bold]  {escape('  '.join(row[1:]))}")
            if task.description:
                out.print(f"  {escape(task.description)}")
            out.print(f"  metrics: {', '.join(m.name for m in task.metrics)}" + (f"; judge rubric: {task.rubric}"
                                                                                 if task.rubric else ""))
            if not status.ready:
                out.print(f"  data: {escape(status.hint)}")
        else:
            table.add_row(*row)
    if not details:
        out.print(table)
    languages = sorted({lang for t in selected for lang in t.languages})
    out.print(f"{len(selected)} tasks, {ready} with data here; {len({t.family for t in selected})} families; "
              f"languages: {', '.join(languages)}." + ("" if details else " --details: sources, metrics, how to get data."))
    out.print(f"Suites (--suite NAME): {', '.join(sorted(reg.suites))}. Your own data: --tasks FAMILY@manifest.jsonl "
              f"with FAMILY in {', '.join(sorted(reg.families))}.")


@app.command("models")
def list_models() -> None:
    """List model adapters, what each needs installed, and an example id."""
    import importlib.util

    from seabench.registry import registry

    reg = registry()
    reg.load_plugins()
    table = Table()
    for col in ("prefix", "example", "needs", "installed", "description"):
        table.add_column(col, overflow="fold")
    for entry in reg.models.values():
        missing = [m for m in entry.requires if importlib.util.find_spec(m.split(".")[0]) is None]
        needs = escape(f"pip install 'seabench[{entry.extra}]'") if entry.extra else "-"
        table.add_row(entry.prefix, entry.example, needs, "no: " + ", ".join(missing) if missing else "yes",
                      entry.description)
    out.print(table)
    out.print("Judges: " + ", ".join(f"{j.example} ({j.description})" for j in reg.judges.values()))


@app.command("score")
def score(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `seabench run`.")],
    judge: Annotated[Optional[str], typer.Option(help="Judge for judge-scored tasks, e.g. gemini:gemini-2.5-flash.")] = None,
    only_failed: Annotated[bool, typer.Option("--only-failed", help="Re-judge only unscored items.")] = False,
    judge_samples: Annotated[int, typer.Option(help="Judge each item N times; the mean and spread are kept.")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only estimate judge calls, audio seconds and tokens.")] = False,
    batch: Annotated[bool, typer.Option("--batch", help="Judge through the Gemini Batch API (half price; resumable).")] = False,
    judge_option: JudgeOpt = [],  # noqa: B006
    rubrics: RubricsOpt = None,
    task_option: TaskOpt = [],  # noqa: B006
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Re-score stored outputs without calling the model; with --judge, (re-)judge open-ended tasks."""
    from seabench.rescore import judge_estimate, rescore

    options = _judge_options(judge_option, rubrics)
    if batch and (judge is None or not judge.startswith("gemini:")):
        raise UserError("--batch uses the Gemini Batch API: give --judge gemini:MODEL")
    if dry_run:
        if judge is None:
            raise UserError("--dry-run estimates a judge run: give --judge SPEC")
        estimate = judge_estimate(run_dir, judge, only_failed=only_failed, n_samples=judge_samples, options=options)
        for key, value in estimate.items():
            out.print(f"{key}: {value:g}")
        return
    command = redact(" ".join(_quote(a) for a in ["seabench", *sys.argv[1:]]))
    with capture_library_output(run_dir / LOG_FILE, command) as log:
        result = rescore(run_dir, judge=judge, only_failed=only_failed, n_samples=judge_samples, quiet=quiet,
                         judge_options=options, batch=batch, task_options=_task_options(task_option) or None)
    _note_library_output(log, quiet)
    if not quiet:
        _print_results(result)


@app.command("merge")
def merge(
    run_dirs: Annotated[list[Path], typer.Argument(help="The shards' run directories (seabench run --shard I/N).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="New run directory for the merged run.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No results table.")] = False,
) -> None:
    """Merge the shards of one run into one run dir: one samples.jsonl, results re-aggregated with CIs."""
    from seabench.merge import merge_runs

    result = merge_runs(run_dirs, out_dir)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if not quiet:
        _print_results(result)
    out.print(f"Merged {len(run_dirs)} shard(s): {out_dir / 'results.json'}  Samples: {out_dir / 'samples.jsonl'}")


def _judge_options(pairs: list[str], rubrics: Path | None) -> dict[str, object]:
    from seabench.adapter import parse_options

    options = parse_options(pairs)
    if rubrics is not None:
        options["rules"] = str(rubrics)
    return options


def _task_options(pairs: list[str]) -> dict[str, object]:
    from seabench.adapter import parse_options
    from seabench.task_options import check_task_options

    options = parse_options(pairs)
    check_task_options(options)
    return options


@app.command("leaderboard")
def leaderboard(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (each with results.json).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Site directory to write.")] = Path("site"),
    title: Annotated[str, typer.Option(help="Page title.")] = "SeaBench leaderboard",
    single_file: Annotated[bool, typer.Option("--single-file", help="Embed the audio clips in index.html (one file; larger) instead of SITE/audio/.")] = False,
    published: Annotated[Optional[str], typer.Option("--published", metavar="FILE", help="Published numbers (YAML/CSV: model, task, metric, value, source) to show beside yours; 'papers' = the table shipped with SeaBench.")] = None,
    samples_per_task: Annotated[int, typer.Option("--samples-per-task", min=0, help="Samples of each task embedded for the sample browser (samples.jsonl has all).")] = 100,
) -> None:
    """Write a static leaderboard (index.html, audio in SITE/audio/) plus JSON, CSV and Markdown exports."""
    from seabench.leaderboard import build_leaderboard

    try:
        index = build_leaderboard(run_dirs, out_dir, title=title, single_file=single_file, published=published,
                                  samples_per_task=samples_per_task)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    out.print(f"Leaderboard: {index}")


@app.command("agreement")
def agreement(
    judge_run: Annotated[list[Path], typer.Option("--judge-run", help="Run directory with judge verdicts, or SeaBench-Audio judgement file(s) <judge>_eval_<model>.json or their folder (repeatable).")],
    human: Annotated[Path, typer.Option("--human", help="Human ratings CSV or JSONL (see docs/LEADERBOARD.md), or SeaBench-Audio-layout JSON (a file or folder).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Report directory.")] = Path("agreement"),
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
) -> None:
    """Judge-vs-human agreement report (correlations, kappa, alpha, pairwise agreement) with CIs."""
    from seabench.leaderboard import run_agreement

    if not human.exists():
        raise UserError(f"human ratings file not found: {human}")
    try:
        report = run_agreement(judge_run, human, out_dir, seed=seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    out.print(f"Agreement report: {report}")


@app.command("annotate")
def annotate(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories whose answers are to be rated (mixed blind).")],
    port: Annotated[int, typer.Option(help="Local port for the rating page.")] = 8765,
    ratings: Annotated[Optional[Path], typer.Option(help="Ratings file (default: first RUN_DIR/human_ratings.jsonl).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the order in which several runs' answers are mixed.")] = 0,
) -> None:
    """Serve a local page where native speakers listen and rate answers on the judge's rubric scale, blind to judge and model."""
    from seabench.leaderboard import serve_annotation

    try:
        serve_annotation(run_dirs, port=port, ratings=ratings, seed=seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        err.print("Stopped; every rating given so far is saved.")


@app.command("serve-bench")
def serve_bench(
    model: Annotated[str, typer.Option("--model", "-m", help="The running server: openai:MODEL@http://HOST:PORT/v1 (never started by seabench).")],
    concurrency: Annotated[str, typer.Option(metavar="N,N", help="Concurrent streaming requests per cell, comma-separated.")] = "1,4,8,16",
    audio_seconds: Annotated[str, typer.Option(metavar="S,S", help="Audio lengths in seconds, comma-separated.")] = "30,60,120",
    trials: Annotated[int, typer.Option(min=1, metavar="N", help="Measured requests per cell.")] = 120,
    warmup: Annotated[Optional[int], typer.Option(min=0, metavar="N", help="Warm-up requests per cell, not in the figures (default: one per concurrent slot).")] = None,
    max_tokens: Annotated[int, typer.Option(min=1, metavar="N", help="max_tokens of every request.")] = 128,
    prompt: Annotated[str, typer.Option(metavar="TEXT", help="The text sent with the audio.")] = "Transcribe the audio.",
    ignore_eos: Annotated[bool, typer.Option("--ignore-eos", help="Always generate max_tokens (vLLM/SGLang extension).")] = False,
    max_cell_seconds: Annotated[float, typer.Option(min=1, metavar="S", help="Time budget per cell; no new request after it.")] = 900.0,
    published: Annotated[Optional[str], typer.Option(metavar="NAME|FILE", help="Show a published table beside ours: 'meralion' or a JSON/CSV file.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="DIR", help="Output directory (default runs/serve-bench_<model>).")] = None,
    model_option: ModelOpt = [],  # noqa: B006
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Time to first token and inter-token latency of a running server against concurrency and audio length."""
    from seabench.adapter import parse_options
    from seabench.servebench import BenchSettings, parse_list
    from seabench.servebench import serve_bench as measure
    from seabench.servebench_report import load_published, to_markdown

    table = load_published(published) if published else None
    settings = BenchSettings(model=redact(model), concurrency=parse_list(concurrency, int, "--concurrency"),
                             audio_seconds=parse_list(audio_seconds, float, "--audio-seconds"), trials=trials,
                             warmup=warmup, max_tokens=max_tokens, prompt=prompt, ignore_eos=ignore_eos,
                             max_cell_s=max_cell_seconds)
    directory = out_dir or Path("runs") / f"serve-bench_{default_run_name(model)}"
    result = measure(model, parse_options(model_option), settings, directory, table, quiet=quiet)
    if not quiet:
        out.print(to_markdown(result, table), markup=False, highlight=False, soft_wrap=True)
    out.print(f"Results: {directory}/serve_bench.{{json,csv,md,html}}  Requests: {directory}/requests.jsonl")
    if result.status == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.status == "failed":
        last = result.cells[-1]
        kinds = ", ".join(f"{k} x{n}" for k, n in last.error_kinds.items()) or "no measured request"
        err.print(f"error: every request of cell c={last.concurrency} audio={last.audio_s:g}s failed ({kinds}), "
                  f"so the bench stopped; see {directory}/requests.jsonl", highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILED)


cache_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                        help="The response and judge caches (never the datasets).")
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def cache_info() -> None:
    """Where the cache and the data live, and what the cache holds."""
    from seabench.cache import cache_dir, cache_usage, data_dir, legacy_data_dir

    out.print(f"cache: {cache_dir()}  (SEABENCH_CACHE_DIR)")
    out.print(f"data:  {data_dir()}  (SEABENCH_DATA_DIR; never touched by `seabench cache clear`)")
    old = legacy_data_dir()
    if old is not None:
        out.print(f"  note: {old} holds datasets from before they moved out of the cache; move them to "
                  f"{data_dir()} (`seabench cache clear` leaves that folder alone)", highlight=False)
    usage = cache_usage()
    for name, (size, files) in usage.items():
        out.print(f"  {name}: {size / 2**20:.1f} MB in {files} file(s)")
    if not usage:
        out.print("  (empty)")


@cache_app.command("clear")
def cache_clear(
    only: Annotated[Optional[str], typer.Option(metavar="NAME", help="Only entries starting with NAME, e.g. responses or judgements.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete cached responses, judgements and uploads; datasets are kept."""
    from seabench.cache import cache_dir, clear_cache

    if not yes and not typer.confirm(f"Delete {'entries ' + repr(only) + ' of ' if only else ''}{cache_dir()}?"):
        raise typer.Exit(1)
    removed = clear_cache(only)
    out.print(f"removed {len(removed)} entr{'y' if len(removed) == 1 else 'ies'} from {cache_dir()}"
              + (f": {', '.join(removed)}" if removed else ""))


reference_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                            help="The included reference audio-language model.")
app.add_typer(reference_app, name="reference")


@reference_app.command("train")
def reference_train(
    data: Annotated[Path, typer.Option(help="Train split folder (python scripts/build_mini.py --train DIR).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Checkpoint folder (resumable).")] = Path("runs/reference-train"),
    steps: Annotated[int, typer.Option(help="Optimizer steps.")] = 4000,
    batch_size: Annotated[int, typer.Option(help="Examples per step.")] = 24,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 1.2e-3,
    warmup: Annotated[int, typer.Option(help="Warm-up steps.")] = 200,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue from the last checkpoint in --out.")] = True,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    preset: Annotated[str, typer.Option(help="Model size preset.")] = "tiny",
    device: Annotated[str, typer.Option(help="cpu, cuda or auto.")] = "auto",
    save_every: Annotated[int, typer.Option(help="Checkpoint every N steps.")] = 200,
    max_minutes: Annotated[Optional[float], typer.Option(help="Stop (with a checkpoint) after this many minutes.")] = None,
    threads: Annotated[Optional[int], typer.Option(help="Torch CPU threads (default: torch's).")] = None,
    mix: Annotated[Optional[str], typer.Option(help="Task mix, e.g. asr=0.35,gender=0.3 (default: the preset's).")] = None,
    ctc_weight: Annotated[float, typer.Option(help="Weight of the encoder's auxiliary CTC loss.")] = 0.3,
    align: Annotated[str, typer.Option(help="none, or dtw: U-Align (DTW between adapted frames and transcript embeddings).")] = "none",
    align_weight: Annotated[float, typer.Option(help="Weight of the U-Align loss.")] = 1.0,
    export_dtype: Annotated[str, typer.Option(help="Weights dtype of the exported checkpoint: float32 or float16.")] = "float32",
    encoder: Annotated[str, typer.Option(help="Audio encoder of a new model: whisper (log-mel) or wav2vec2 (waveform, XLS-R style).")] = "whisper",
    init: Annotated[Optional[Path], typer.Option(help="Start a new run from this checkpoint folder (fine-tune).")] = None,
    answer_weighting: Annotated[str, typer.Option(help="token: every answer token counts the same; example: every answer does (one-word labels as much as transcripts).")] = "token",
    trait_weight: Annotated[float, typer.Option(help="Weight of auxiliary speaker gender, language and speaking-rate losses on the mean adapter output (0: off).")] = 0.0,
) -> None:
    """Train the tiny reference model on CPU or GPU, with checkpoints and resume."""
    try:
        from seabench.models.reference.train import train_reference
    except ImportError as exc:
        raise UserError("training the reference model needs torch and transformers: "
                        "pip install 'seabench[reference]'") from exc
    from seabench.models.reference.train import ALIGN_METHODS, ANSWER_WEIGHTINGS, PRESETS

    for name, value, allowed in (("--align", align, ALIGN_METHODS), ("--preset", preset, tuple(PRESETS)),
                                 ("--answer-weighting", answer_weighting, ANSWER_WEIGHTINGS),
                                 ("--export-dtype", export_dtype, ("float32", "float16", "bfloat16")),
                                 ("--encoder", encoder, ("whisper", "wav2vec2"))):
        if value not in allowed:
            raise UserError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    task_mix = None
    if mix:
        try:
            task_mix = {k.strip(): float(v) for k, v in (part.split("=", 1) for part in mix.split(","))}
        except ValueError:
            raise UserError(f"--mix {mix!r} must look like asr=0.35,gender=0.3") from None
    folder = train_reference(data, out_dir, steps=steps, batch_size=batch_size, lr=lr, resume=resume, seed=seed,
                             preset=preset, device=device, save_every=save_every, max_minutes=max_minutes,
                             warmup=warmup, threads=threads, task_mix=task_mix, ctc_weight=ctc_weight,
                             align=align, align_weight=align_weight, export_dtype=export_dtype, encoder=encoder,
                             init=init, answer_weighting=answer_weighting, trait_weight=trait_weight)
    out.print(f"Checkpoint: {folder}  (evaluate with: seabench run --model reference:{folder})")


def plain_help(command: Any) -> Any:
    """Typer writes Python types into help (`<str>`, `<list[Path]>`); show argparse-style NAME
    placeholders instead, for every command, including those added later."""
    for param in command.params:
        desc = getattr(param, "type_descriptor", None)
        if getattr(param, "is_flag", False) or (desc is not None and desc.is_choice):
            continue
        if param.metavar is None:
            param.metavar = param.name.upper()
        if param.param_type_name == "argument":
            param.display_type_rich = lambda ctx: None  # typer prints an argument's type even beside its metavar
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command


def main() -> None:
    try:
        plain_help(typer.main.get_command(app))(prog_name="seabench")
    except UserError as exc:
        err.print(f"error: {redact(str(exc))}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
