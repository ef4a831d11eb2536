"""Per-task progress bars with ETA and an error count; plain one-line summaries when the
output is not a terminal, nothing at all with --quiet."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from seabench.runlog import capturing, terminal


class RunProgress:
    def __init__(self, quiet: bool = False, console: Console | None = None, unit: str = "samples") -> None:
        self.unit = unit  # what the bars count, for the plain summaries
        self.console = console or Console(file=terminal())  # the terminal even while library output is logged
        self.quiet = quiet
        self.live = not quiet and self.console.is_terminal
        self._bars: dict[str, TaskID] = {}
        self._state: dict[str, list[float]] = {}  # name -> [done, total, errors, started]
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("errors: {task.fields[errors]}"), TimeRemainingColumn(), console=self.console,
            redirect_stderr=not capturing(),
        ) if self.live else None
        self._current: str | None = None

    def __enter__(self) -> RunProgress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._finish_current()
        if self._progress:
            self._progress.stop()

    def add_task(self, name: str, total: int, completed: int = 0) -> None:
        self._finish_current()
        self._current = name
        self._state[name] = [completed, total, 0, time.perf_counter()]
        if self._progress:
            self._bars[name] = self._progress.add_task(name, total=total, completed=completed, errors=0)

    def advance(self, name: str, error: bool = False) -> None:
        st = self._state[name]
        st[0] += 1
        st[2] += int(error)
        if self._progress:
            self._progress.update(self._bars[name], advance=1, errors=int(st[2]))

    def _finish_current(self) -> None:
        name, self._current = self._current, None
        if name is None or self.quiet or self.live:
            return
        done, total, errors, started = self._state[name]
        print(f"{name}: {int(done)}/{int(total)} {self.unit}, {int(errors)} errors, "
              f"{time.perf_counter() - started:.1f}s", file=self.console.file, flush=True)
