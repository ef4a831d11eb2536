"""Which samples a run evaluates: `--limit` as a fair, seeded, stratified sample and `--shard I/N` as a
stable split.

A limit of N (or a fraction such as 0.1) is shared out over the strata (language x subset) in
proportion to their sizes, by largest remainder; inside a stratum the samples with the smallest
seeded hash of their id are taken. The choice depends only on the seed and the ids, never on file
order, so the same command always evaluates the same items. A shard keeps the items whose hash of (task, id) falls in it,
independent of order and of the limit."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass

from seabench.errors import UserError
from seabench.samples import SampleTable


def _rank(seed: int, text: str) -> bytes:
    return hashlib.sha256(f"{seed}\x00{text}".encode()).digest()


def parse_limit(text: str | None) -> int | float | None:
    """`--limit 50` (samples per task) or `--limit 0.1` (a fraction of each task)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--limit {text!r} must be a number of samples (50) or a fraction (0.1)") from None
    if value <= 0 or (value >= 1 and not value.is_integer()):
        raise UserError(f"--limit {text!r} must be a whole number of samples or a fraction between 0 and 1")
    return int(value) if value >= 1 else value


def quota(limit: int | float, total: int) -> int:
    if isinstance(limit, float):
        return min(total, max(1, round(limit * total)))
    return min(total, limit)


def select(samples: SampleTable, limit: int | float | None, seed: int) -> SampleTable:
    """A stratified, seeded subset of `samples` (all of them when there is no limit), in their original order."""
    if limit is None:
        return samples
    wanted = quota(limit, len(samples))
    if wanted >= len(samples):
        return samples
    groups: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(samples.strata):
        groups[key].append(i)
    shares = {key: wanted * len(members) / len(samples) for key, members in groups.items()}
    take = {key: math.floor(share) for key, share in shares.items()}
    # largest remainder; ties (and strata too small to get a whole share) broken by a seeded hash
    order = sorted(groups, key=lambda k: (-(shares[k] - take[k]), _rank(seed, k)))
    for key in order[: wanted - sum(take.values())]:
        take[key] += 1
    chosen: set[int] = set()
    for key, members in groups.items():
        ranked = sorted(members, key=lambda i: _rank(seed, samples.ids[i]))
        chosen.update(ranked[: take[key]])
    return samples.take(sorted(chosen))


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str | None) -> Shard | None:
        if text is None:
            return None
        try:
            i, n = (int(part) for part in text.split("/", 1))
        except ValueError:
            raise UserError(f"--shard {text!r} must look like I/N, e.g. 1/4") from None
        if not 1 <= i <= n:
            raise UserError(f"--shard {text!r}: I must be between 1 and N")
        return cls(i, n)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, task: str, sample_id: str) -> bool:
        digest = hashlib.sha256(f"{task}\x00{sample_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1
