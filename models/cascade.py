"""`cascade:ASR+LLM` — the papers' cascade baseline: an ASR model transcribes the audio, then a
text LLM answers the task's instruction from the transcript alone.

Any two adapters compose: `cascade:hf:/ckpt/asr+openai:MODEL@URL`, `cascade:reference+gemini:...`.
The id is split at the first `+` that is followed by a registered model prefix (`hf:`, `openai:`,
`echo` ...), so `+` may appear inside the ASR path as long as what follows it is not a model id.
Options go to one side with a prefix: `-M asr.batch_size=4 -M llm.concurrency=8`; the cascade's
own option `-M asr_max_new_tokens=N` (default 256) caps each transcript.

For ASR tasks the transcript itself is the answer (the LLM is not called). Otherwise the LLM gets
a text-only input: the transcript, then the original instruction. The transcript is kept in the
output's `intermediate["transcript"]`."""

from __future__ import annotations

from typing import Any

from seabench.models.hf_common import is_asr_task

from seabench.adapter import ModelAdapter
from seabench.errors import UserError
from seabench.languages import name as language_name
from seabench.types import (
    ErrorCode,
    GenerationConfig,
    ModelInfo,
    ModelInput,
    ModelOutput,
)

PROMPT_VERSION = "1"
ASR_TASK = "asr/cascade"
ASR_TOKENS = 256
OWN_OPTIONS = {"asr_max_new_tokens"}
LANGUAGE = "extra.language"  # `-G language=th`: the ASR side's forced language (Whisper)


def asr_prompt(language: str) -> str:
    """Same wording as the ASR tasks' prompt, in the sample's language."""
    return f"Transcribe the speech in {language_name(language)}. Reply with the transcript only."


def llm_prompt(transcripts: list[str], instruction: str) -> str:
    if len(transcripts) == 1:
        heard = f"Transcript of the audio:\n{transcripts[0]}"
    else:
        heard = "\n".join(f"Transcript of audio {i}:\n{t}" for i, t in enumerate(transcripts, 1))
    return f"{heard}\n\nAnswer the following using the transcript in place of the audio.\n{instruction}"


def split_spec(spec: str, prefixes: set[str]) -> tuple[str, str]:
    """`cascade:A+B` -> (A, B), splitting at the first `+` followed by a known model id."""
    body = spec.split(":", 1)[1] if spec.startswith("cascade:") else spec
    for pos, char in enumerate(body):
        if char != "+":
            continue
        rest = body[pos + 1:]
        head = rest.split(":", 1)[0]
        if head in prefixes and (rest == head or rest.startswith(head + ":")) and pos > 0:
            return body[:pos], rest
    raise UserError(f"cascade id {spec!r} must look like cascade:ASR_MODEL+LLM_MODEL, with the LLM id starting "
                    f"with a known model prefix ({', '.join(sorted(prefixes))})")


class CascadeAdapter(ModelAdapter):
    def __init__(self, spec: str, asr: ModelAdapter, llm: ModelAdapter,
                 asr_max_new_tokens: int = ASR_TOKENS) -> None:
        self.id = spec
        self.asr, self.llm = asr, llm
        self.asr_max_new_tokens = asr_max_new_tokens
        # the task's settings go to the LLM; the ASR side is greedy, in a forced language if it takes one
        self.generation_keys = llm.generation_keys
        if llm.generation_keys is not None and asr.generation_keys is not None:
            self.generation_keys = llm.generation_keys | (asr.generation_keys & {LANGUAGE})
        self.neutral_options = frozenset({f"asr.{k}" for k in asr.neutral_options} |
                                         {f"llm.{k}" for k in llm.neutral_options})
        self.default_batch_size = asr.default_batch_size
        self.max_audio_s = asr.max_audio_s
        self.warnings: list[str] = []

    def info(self) -> ModelInfo:
        asr, llm = self.asr.info(), self.llm.info()
        snapshot = f"cascade{PROMPT_VERSION}/{self.asr_max_new_tokens}({asr.snapshot}+{llm.snapshot})"
        return ModelInfo(id=self.id, provider="cascade", snapshot=snapshot, max_audio_s=asr.max_audio_s,
                         details={"asr": asr.model_dump(), "llm": llm.model_dump()})

    def prepare(self, planned: dict[str, list[str]]) -> None:
        self.asr.prepare(planned)
        self.llm.prepare(planned)

    def generate(self, batch: list[ModelInput], config: GenerationConfig) -> list[ModelOutput]:
        transcribed = self._transcribe(batch, config)
        outputs: list[ModelOutput | None] = [None] * len(batch)
        asked: list[tuple[int, ModelInput]] = []
        for idx, (inp, (texts, asr_outs)) in enumerate(zip(batch, transcribed)):
            notes = [w for o in asr_outs for w in o.warnings]
            steps = {"transcript": " ".join(texts)}
            failed = [o.error for o in asr_outs if o.error]
            if failed:
                outputs[idx] = ModelOutput(error="ASR: " + "; ".join(failed), error_code=ErrorCode.MODEL_ERROR,
                                           warnings=notes, intermediate=steps)
            elif is_asr_task(inp.task):
                finish = asr_outs[-1].finish_reason if asr_outs else "stop"
                outputs[idx] = ModelOutput(text=" ".join(texts), finish_reason=finish, latency_s=_latency(asr_outs),
                                           warnings=notes, intermediate=steps)
            else:
                prompt = llm_prompt(texts, inp.prompt) if texts else inp.prompt
                asked.append((idx, ModelInput(
                    sample_id=inp.sample_id, task=inp.task, prompt=prompt, language=inp.language,
                    input_hash=ModelInput.hash_of(prompt, [], config.system_prompt))))
                outputs[idx] = ModelOutput(latency_s=_latency(asr_outs), warnings=notes, intermediate=steps)
        if asked:
            llm_config = config
            if LANGUAGE not in (self.llm.generation_keys or ()):  # the forced language was the ASR side's
                llm_config = config.model_copy(update={"extra": {k: v for k, v in config.extra.items()
                                                                 if k != "language"}})
            answers = self.llm.generate([inp for _, inp in asked], llm_config)
            for (idx, _), answer in zip(asked, answers, strict=True):
                before = outputs[idx]
                assert before is not None
                answer.warnings = [*before.warnings, *answer.warnings]
                answer.intermediate = {**before.intermediate, **answer.intermediate}
                answer.latency_s = (answer.latency_s or 0.0) + (before.latency_s or 0.0)
                outputs[idx] = answer
        return [out for out in outputs if out is not None]

    def _transcribe(self, batch: list[ModelInput],
                    config: GenerationConfig) -> list[tuple[list[str], list[ModelOutput]]]:
        """Per input: (transcripts, ASR outputs), one per clip, all clips in one ASR call."""
        clips = [(idx, ModelInput(sample_id=f"{inp.sample_id}#{n}", task=ASR_TASK, prompt=asr_prompt(inp.language),
                                  audio=[wave], audio_refs=inp.audio_refs[n:n + 1], language=inp.language))
                 for idx, inp in enumerate(batch) for n, wave in enumerate(inp.audio)]
        language = {"language": config.extra["language"]} if "language" in config.extra else {}
        asr_config = GenerationConfig(max_new_tokens=self.asr_max_new_tokens, temperature=0.0, seed=config.seed,
                                      extra=language)
        outs = self.asr.generate([c for _, c in clips], asr_config) if clips else []
        result: list[tuple[list[str], list[ModelOutput]]] = [([], []) for _ in batch]
        for (idx, _), out in zip(clips, outs, strict=True):
            result[idx][0].append(out.text.strip())
            result[idx][1].append(out)
        return result

    def close(self) -> None:
        try:
            self.asr.close()
        finally:
            self.llm.close()


def _latency(outs: list[ModelOutput]) -> float | None:
    values = [o.latency_s for o in outs if o.latency_s is not None]
    return sum(values) if values else None


def _side_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    sides: dict[str, dict[str, Any]] = {"asr": {}, "llm": {}}
    for key, value in options.items():
        if key in OWN_OPTIONS:
            continue
        side, dot, rest = key.partition(".")
        if not dot or side not in sides:
            raise UserError(f"cascade options must start with asr. or llm. (e.g. -M asr.batch_size=4) or be one of "
                            f"{', '.join(sorted(OWN_OPTIONS))}, not {key!r}")
        sides[side][rest] = value
    return sides["asr"], sides["llm"]


def create(spec: str, options: dict[str, Any]) -> CascadeAdapter:
    from seabench.registry import registry

    reg = registry()
    reg.load_plugins()
    asr_spec, llm_spec = split_spec(spec, set(reg.models))
    if "cascade" in (asr_spec.split(":", 1)[0], llm_spec.split(":", 1)[0]):
        raise UserError("a cascade cannot contain another cascade")
    asr_options, llm_options = _side_options(options)
    asr = reg.create_model(asr_spec, asr_options)
    try:
        llm = reg.create_model(llm_spec, llm_options)
    except BaseException:
        asr.close()
        raise
    return CascadeAdapter(spec, asr, llm, int(options.get("asr_max_new_tokens", ASR_TOKENS)))
