"""Library output during a command goes to the run's log file, not over the progress bars.

While `capture_library_output` is active, Python warnings (every occurrence counted, each distinct
one written once) and whatever libraries write to stderr (transformers' logger, a dependency's
progress bar) are appended to the log; seabench's own progress keeps the terminal (`terminal()`).
The CLI turns this on for `seabench run` and `seabench score`; library users keep their warnings."""

from __future__ import annotations

import io
import logging
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

LOG_FILE = "run.log"
_terminal: TextIO | None = None  # the real stderr while output is captured


def terminal() -> TextIO:
    """Where seabench's own progress goes: the real stderr, also while library output is captured."""
    return _terminal or sys.stderr


def capturing() -> bool:
    return _terminal is not None


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RunLog:
    """Appends to the log file, created on first use (a command that fails early leaves no file)."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.header = f"{_stamp()} {command}\n"
        self.warnings: Counter[str] = Counter()
        self.messages = 0
        self._seen: set[tuple[Any, ...]] = set()
        self._fh: TextIO | None = None
        self._lock = threading.Lock()  # audio is decoded in a worker thread, which may warn too

    def write(self, text: str) -> None:
        with self._lock:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8", errors="replace")
                self._fh.write(self.header)
            self._fh.write(text)
            self._fh.flush()

    def warning(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
                file: TextIO | None = None, line: str | None = None) -> None:
        """A `warnings.showwarning` replacement: count it, write the first of its kind."""
        self.warnings[category.__name__] += 1
        key = (category, str(message), filename, lineno)
        if key not in self._seen:
            self._seen.add(key)
            self.write(warnings.formatwarning(message, category, filename, lineno, line))

    def summary(self) -> str:
        parts = [f"{name} x{n}" for name, n in self.warnings.most_common()]
        if self.messages:
            parts.append(f"{self.messages} other message{'s' if self.messages > 1 else ''}")
        return ", ".join(parts)

    @property
    def count(self) -> int:
        return sum(self.warnings.values()) + self.messages

    def close(self) -> None:
        if self._fh is not None or self.path.parent.is_dir():
            self.write(f"{_stamp()} finished: {self.summary() or 'no library warnings'}\n")
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class _LogStream(io.TextIOBase):
    """Stands in for sys.stderr: text goes to the log; a line is one message."""

    def __init__(self, log: RunLog, real: TextIO) -> None:
        self.log = log
        self.real = real

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # C-level writers (faulthandler) still reach the terminal
        return self.real.fileno()

    def write(self, text: str) -> int:
        if text:
            self.log.write(text)
            self.log.messages += "\n" in text
        return len(text)


def _stream_handlers() -> list[logging.StreamHandler]:
    loggers = [logging.getLogger(), *(v for v in logging.Logger.manager.loggerDict.values()
                                      if isinstance(v, logging.Logger))]
    return [h for lg in loggers for h in lg.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)]


def _count_every_occurrence() -> None:
    """Filters that show a warning once per place would hide how often it happens; ignored and
    error-raising warnings stay as they are."""
    warnings.filters[:] = [("always", *f[1:]) if f[0] in ("default", "module", "once") else f
                           for f in warnings.filters]
    warnings.simplefilter("always", append=True)


@contextmanager
def capture_library_output(path: Path, command: str) -> Iterator[RunLog]:
    """Route library warnings and stderr output into `path` for the duration; restore everything after."""
    global _terminal
    log = RunLog(path, command)
    real = sys.stderr
    stream = _LogStream(log, real)
    moved = [(h, h.stream) for h in _stream_handlers() if h.stream in (real, sys.__stderr__)]
    with warnings.catch_warnings():
        _count_every_occurrence()
        warnings.showwarning = log.warning
        _terminal, sys.stderr = real, stream
        for handler, _ in moved:
            handler.setStream(stream)
        try:
            yield log
        finally:
            sys.stderr, _terminal = real, None
            for handler, old in moved:
                handler.setStream(old)
            for handler in _stream_handlers():  # handlers made during the capture (a library imported then)
                if handler.stream is stream:
                    handler.setStream(real)
            log.close()
