"""A task's samples as a table: every row's id and stratum at hand, the `Sample` itself made only
when a row is used.

A run of 100,000 samples needs their ids for planning and resuming, and each `Sample` only while
its batch is generated and scored; holding 100,000 Sample objects cost a quarter of a gigabyte.
Tables from task manifests (seabench.tasks.manifest) keep each row as the bytes of its line, and
carry a `source` digest so the run's dataset and prompt hashes can be kept in the cache directory
and reused while neither the data nor the code that renders prompts changed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from seabench.types import Sample

if TYPE_CHECKING:
    from seabench.task import Task

STRATA = ("language", "subset")  # what --limit keeps in proportion (seabench.selection)


def stratum(sample: Sample) -> str:
    return "\x00".join(str(sample.language if k == "language" else sample.metadata.get(k, "")) for k in STRATA)


class SampleTable(Sequence[Sample]):
    """Rows `positions` of a base table whose row i is `make(i)`; ids and strata are per position."""

    def __init__(self, ids: list[str], make: Callable[[int], Sample], strata: list[str] | None = None,
                 positions: Sequence[int] | None = None, source: str | None = None) -> None:
        self.ids = ids
        self._make = make
        self._strata = strata
        self._positions = positions  # None: the base rows themselves, in order
        self.source = source  # digest of the base rows' content, None when they have no stable one

    @classmethod
    def of(cls, samples: Iterable[Sample]) -> SampleTable:
        """A table of samples already made (what a task's loader returned), or the table itself."""
        if isinstance(samples, SampleTable):
            return samples
        made = list(samples)
        return cls([s.id for s in made], made.__getitem__)

    @property
    def strata(self) -> list[str]:
        if self._strata is None:
            self._strata = [stratum(s) for s in self]
        return self._strata

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> list[Sample]: ...

    def __getitem__(self, index: int | slice) -> Sample | list[Sample]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("sample table index out of range")
        return self._make(index if self._positions is None else self._positions[index])

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"SampleTable({len(self)} samples)"

    def take(self, rows: Sequence[int]) -> SampleTable:
        """The given rows of this table, in the given order (nothing is made)."""
        if len(rows) == len(self) and all(a == b for a, b in zip(rows, range(len(self)))):
            return self
        base = range(len(self)) if self._positions is None else self._positions
        return SampleTable([self.ids[r] for r in rows], self._make,
                           None if self._strata is None else [self._strata[r] for r in rows],
                           [base[r] for r in rows], self.source)

    def where(self, keep: Callable[[str], bool]) -> SampleTable:
        """The rows whose sample id passes `keep`."""
        return self.take([row for row, sid in enumerate(self.ids) if keep(sid)])

    def without(self, ids: set[str]) -> SampleTable:
        """The rows whose sample id is not in `ids`."""
        return self.take([row for row, sid in enumerate(self.ids) if sid not in ids])


# -- the run's hashes of a table, kept in the cache directory -------------------------------------------
@cache
def _package_files() -> tuple[str, ...]:
    """SeaBench's own modules (core and tasks): what renders prompts and serialises samples."""
    import seabench
    import seabench.tasks

    roots = {Path(seabench.__file__).parent, Path(seabench.tasks.__file__).parent}
    return tuple(sorted(os.path.join(folder, name) for root in roots for folder, _, names in os.walk(root)
                        for name in names if name.endswith(".py")))


def _render_files(render: Callable[..., Any], depth: int = 3) -> set[str]:
    """Source files of a render function and of the functions it closes over (a plugin's prompt)."""
    files: set[str] = set()
    target = inspect.unwrap(render)
    try:
        source = inspect.getsourcefile(target)
    except TypeError:
        source = None
    if source:
        files.add(source)
    if depth:
        for cell in getattr(target, "__closure__", None) or ():
            try:
                contents = cell.cell_contents
            except ValueError:
                continue
            if callable(contents):
                files |= _render_files(contents, depth - 1)
    return files


@cache
def _package_stamp() -> str:
    """Sizes and times of SeaBench's own modules, once per process."""
    return _stamp(_package_files())


def _stamp(paths: Iterable[str]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        h.update(f"{path}\x00{stat.st_size}\x00{stat.st_mtime_ns}\x00".encode())
    return h.hexdigest()


def _fingerprint(task: Task) -> str:
    """Changes whenever the code that could change a task's hashes does: SeaBench's modules, the
    task's render function's module, pydantic (which writes the JSON the dataset hash is taken of)."""
    import pydantic

    import seabench

    return "\x00".join([seabench.__version__, pydantic.VERSION, _package_stamp(), _stamp(_render_files(task.render))])


def task_hashes(task: Task, samples: SampleTable, limit: int | float | None, seed: int,
                compute: Callable[[Task, SampleTable], tuple[str, str, str]]) -> tuple[str, str, str]:
    """`compute(task, samples)`, reused from the cache directory when the table's rows, the task, the
    selection and the code are what they were (tables without a source are always computed)."""
    if samples.source is None:
        return compute(task, samples)
    from seabench.cache import cache_dir, write_cache_file

    key = json.dumps([samples.source, task.name, task.version, limit, seed, _fingerprint(task)])
    path = cache_dir() / "plans" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
    try:
        stored = json.loads(path.read_bytes())
        if stored.get("key") == key and len(stored.get("hashes", ())) == 3:
            return tuple(stored["hashes"])  # type: ignore[return-value]
    except (OSError, ValueError, AttributeError):
        pass
    hashes = compute(task, samples)
    write_cache_file(path, json.dumps({"key": key, "hashes": hashes}).encode())
    return hashes
