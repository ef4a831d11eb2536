"""Where a real dataset lives on this machine, and what to tell the user when it is absent.

Every dataset sits under `$SEABENCH_DATA_DIR/<dataset>/` (default: the user data dir, see
`seabench.cache.data_dir`).
Checking readiness only tests a few paths, so `seabench tasks` stays fast however big the
data is; nothing is read until a run asks for samples.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from seabench import DataStatus, Sample, UserError
from seabench.cache import data_dir

DATA_ENV = "SEABENCH_DATA_DIR"
DOC = "docs/DATASETS.md"


def data_root() -> Path:
    """Read at call time (not import time) so the environment can change between calls."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else data_dir()


def _present(base: Path, pattern: str) -> bool:
    if any(c in pattern for c in "*?["):
        return next(iter(base.glob(pattern)), None) is not None
    return (base / pattern).exists()


@dataclass(frozen=True)
class Source:
    """One dataset folder: the layouts it may have and the files that make it usable.

    A layout (a folder relative to `<data root>/<dataset>`) is ready when every pattern of one of
    `formats` is present in it. `how` may use `{root}`, replaced by `<data root>/<dataset>`.
    """

    dataset: str
    layouts: tuple[str, ...]
    formats: tuple[tuple[str, ...], ...]
    what: str
    how: str

    @property
    def root(self) -> Path:
        return data_root() / self.dataset

    def find(self) -> Path | None:
        for layout in self.layouts:
            base = self.root / layout
            if base.is_dir() and any(all(_present(base, p) for p in fmt) for fmt in self.formats):
                return base
        return None

    def hint(self) -> str:
        where = self.root / self.layouts[0]
        return f"put {self.what} under {where} (see {DOC}) or: {self.how.format(root=self.root)}"

    def status(self) -> DataStatus:
        return DataStatus(True) if self.find() is not None else DataStatus(False, self.hint())

    def require(self) -> Path:
        found = self.find()
        if found is None:
            raise UserError(f"dataset '{self.dataset}' is not on this machine: {self.hint()}")
        return found


def loader(source: Source, parse: Callable[[Path], Iterable[Sample]]) -> Callable[[], Iterable[Sample]]:
    """A task loader that fails with the source's hint when the data is absent."""
    def load() -> Iterable[Sample]:
        return parse(source.require())
    return load


def first_dir(base: Path, candidates: Iterable[str]) -> Path:
    """The first candidate folder that exists (else the first, so missing files are reported there)."""
    options = [base / c for c in candidates]
    return next((p for p in options if p.is_dir()), options[0])
