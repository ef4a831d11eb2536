"""Suites by purpose, computed from the registered tasks so a new dataset joins its suite by itself.

Each function takes the registry's tasks and returns task names (or globs); `seabench tasks
--suite NAME` lists them and `--tasks NAME` runs them.

- `audiobench`: AudioBench's whole catalogue (AudioLLMs/AudioBench `src/dataset.py`), including
  the sets SeaBench also reads in their original layout (MNSC ASR, GigaSpeech 2, CoVoST 2, MMAU).
- `meralion`: the sets MERaLiON-AudioLLM is reported on (AudioBench's results folder for
  MERaLiON-AudioLLM-Whisper-SEA-LION): the catalogue without Spoken-MQA and NLB, which came later.
- `sea-asr`: speech recognition in Southeast Asian languages, Singapore English, Mandarin and
  Mandarin-English code-switching, on real recordings.
- `sea-understanding`: everything beyond ASR whose speech or answer is in a Southeast Asian
  language or Singapore English: translation, spoken QA, summaries, speaker traits, SeaBench-Audio.
"""

from __future__ import annotations

from seabench import Task
from seabench.languages import primary

SEA = frozenset({"id", "ms", "th", "vi", "ta", "zh", "tl", "km", "lo", "my", "jv", "su"})
NOT_IN_MERALION = ("math/spoken-mqa-", "asr/nlb")
SEA_ASR_EXTRA = ("asr/aishell1", "asr/seame-dev-man", "asr/seame-dev-sge")


def is_sea(language: str) -> bool:
    """A Southeast Asian language, Mandarin (spoken across the region) or a Singapore variety (en-SG)."""
    return primary(language) in SEA or language.upper().endswith("-SG")


def _pair(name: str) -> tuple[str, str] | None:
    """(source, target) of a speech-translation task name such as s2tt/covost2-en-id."""
    parts = name.rsplit("-", 2)
    return (parts[1], parts[2]) if name.startswith("s2tt/") and len(parts) == 3 else None


def audiobench(tasks: dict[str, Task]) -> list[str]:
    from seabench.tasks.datasets.audiobench_catalog import all_task_names

    return [name for name in all_task_names() if name in tasks]


def meralion(tasks: dict[str, Task]) -> list[str]:
    return [name for name in audiobench(tasks) if not name.startswith(NOT_IN_MERALION)]


def sea_asr(tasks: dict[str, Task]) -> list[str]:
    return sorted(name for name, task in tasks.items()
                  if task.family == "asr" and not name.startswith("mini/")
                  and (any(is_sea(lang) for lang in task.languages) or name in SEA_ASR_EXTRA))


def sea_understanding(tasks: dict[str, Task]) -> list[str]:
    found = []
    for name, task in tasks.items():
        if task.family == "asr" or name.startswith("mini/"):
            continue
        languages = set(task.languages) | set(_pair(name) or ())
        if any(is_sea(lang) for lang in languages):
            found.append(name)
    return sorted(found)
