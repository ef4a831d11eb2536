"""The built-in `mini` suite: synthetic speech and sounds made by scripts/build_mini.py and
shipped with the package, scored by the same families as the real benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seabench import Task
from seabench.tasks.manifest import read_manifest

DATA = Path(__file__).parent / "data"
VERSION = "1"


def _family(stem: str) -> tuple[Callable[..., Task], dict[str, object]] | None:
    from seabench.tasks.asr import asr
    from seabench.tasks.mmau import mcq
    from seabench.tasks.paralinguistics import label
    from seabench.tasks.s2tt import s2tt

    if stem.startswith("asr-"):
        return asr, {}
    if stem.startswith("s2tt-"):
        return s2tt, {}
    if stem == "sounds":
        return mcq, {}
    kinds = {"gender": "gender", "rate": "speaking_rate", "langid": "language"}
    if stem in kinds:
        return label, {"kind": kinds[stem]}
    return _judged_family(stem)


def _judged_family(stem: str) -> tuple[Callable[..., Task], dict[str, object]] | None:
    """Spoken QA and open instructions are judge-scored (rubric named per item)."""
    if stem.startswith(("sqa-", "open-")):
        try:
            from seabench.tasks.open_ended import judged
        except ImportError:
            return None
        return judged, {"family": "sqa" if stem.startswith("sqa-") else "open"}
    return None


def tasks() -> list[Task]:
    found = []
    for path in sorted(DATA.glob("*.jsonl")):
        if path.stem.startswith("train"):
            continue
        family = _family(path.stem)
        if family is None:
            continue
        build, extra = family
        data = read_manifest(path)
        samples = data.samples
        found.append(build(f"mini/{path.stem}", lambda s=samples: s, data.languages,
                           size=len(samples), version=VERSION, problems=tuple(data.problems), **extra))
    return found
