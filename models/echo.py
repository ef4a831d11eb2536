"""`echo` — a dependency-free stand-in model for tests, demos and harness benchmarks.

Answers with a fixed text (`-M text=...`) or the prompt itself. `-M delay=S` sleeps per batch,
`-M log=FILE` appends each generated sample id (so tests can count model calls)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from seabench import check_options, GenerationConfig, ModelAdapter, ModelInfo, ModelInput, ModelOutput
from seabench.generation import cut_at_stop


class EchoAdapter(ModelAdapter):
    """Takes every generation setting (so harness tests can exercise them) and honours `stop`."""

    id = "echo"
    neutral_options = frozenset({"delay", "log"})

    def __init__(self, text: str | None = None, delay: float = 0.0, log: str | None = None,
                 max_audio_s: float | None = None) -> None:
        self.text = text
        self.delay = delay
        self.log = Path(log) if log else None
        self.max_audio_s = max_audio_s

    def info(self) -> ModelInfo:
        return ModelInfo(id="echo", provider="echo", snapshot=f"echo-1:{self.text!r}", max_audio_s=self.max_audio_s)

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        if self.delay:
            time.sleep(self.delay)
        if self.log:
            with open(self.log, "a", encoding="utf-8") as fh:
                fh.writelines(f"{i.task}\t{i.sample_id}\n" for i in batch)
        return [ModelOutput(text=cut_at_stop(self.text if self.text is not None else i.prompt, config.stop)[0],
                            finish_reason="stop") for i in batch]


def create(spec: str, options: dict[str, Any]) -> EchoAdapter:
    check_options("echo", options, {"text", "delay", "log", "max_audio_s"})
    return EchoAdapter(text=options.get("text"), delay=float(options.get("delay", 0.0)),
                       log=options.get("log"), max_audio_s=options.get("max_audio_s"))
