"""What a judge is asked: the rubric's guide plus the inputs the rubric says it sees."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from seabench.judging.rubric import Rubric
from seabench.types import AudioRef

SYSTEM = (
    "You are an impartial expert judge of answers given by a voice assistant. Follow the scoring guide "
    "exactly. Listen to the audio when it is attached. Reply with JSON only: "
    '{"rationale": "<at most two short paragraphs in English>", "score": <integer>}.'
)


@dataclass(frozen=True)
class JudgeRequest:
    task: str
    sample_id: str
    rubric: Rubric
    answer: str
    question: str = ""
    reference: str = ""
    language: str = "und"
    audio: list[AudioRef] = field(default_factory=list)
    transcript: str = ""  # what the audio says, when the dataset gives it: shown to a judge that cannot hear it

    def prompt(self, with_audio: bool) -> str:
        """The rubric guide comes first so providers can reuse it as a cached prefix."""
        parts = [self.rubric.guide(), ""]
        seen = self.rubric.inputs
        if "audio" in seen:
            parts.append("The user's audio is attached." if with_audio else
                         "The audio is not available to you; judge from the text below.")
            if self.transcript and not with_audio:
                parts.append(f"[What the audio says]\n{self.transcript}")
        if "question" in seen and self.question:
            parts.append(f"[Question / instruction]\n{self.question}")
        if "reference" in seen and self.reference:
            parts.append(f"[Reference answer]\n{self.reference}")
        parts.append(f"[Expected answer language]\n{self.language}")
        parts.append(f"[Answer to judge]\n{self.answer if self.answer.strip() else '(empty answer)'}")
        parts.append(f"Score from {self.rubric.scale_min} to {self.rubric.scale_max}.")
        return "\n\n".join(parts)

    @property
    def wants_audio(self) -> bool:
        return "audio" in self.rubric.inputs and bool(self.audio)

    def cache_key(self, judge_snapshot: str, with_audio: bool, sample_index: int = 0) -> str:
        h = hashlib.sha256()
        for part in (judge_snapshot, self.rubric.ref, SYSTEM, self.prompt(with_audio), str(sample_index),
                     *(a.sha256 or a.path for a in (self.audio if with_audio else []))):
            h.update(part.encode())
            h.update(b"\x00")
        return h.hexdigest()
