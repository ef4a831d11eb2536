"""`openai:MODEL@BASE_URL` judge: any OpenAI-compatible chat-completions server, e.g. an open
model behind `vllm serve` (no API bill, runs next to the model under test).

The reply is constrained with `response_format` json_schema {rationale, score} when the server
supports it; a server that rejects it with 400 is detected on the first request and remembered,
and from then on the judge asks for plain text and the regex fallback reads `score`. Most open
judges are text-only: audio is sent (as `input_audio` parts) only with `-J audio=true`; otherwise
the judge sees question, reference and answer, the prompt says the audio is unavailable, and each
verdict records `audio_seen=False`. Key, URL, errors, retries and the adaptive limit are those of
the openai model adapter (seabench.models.openai_compat)."""

from __future__ import annotations

from typing import Any

from seabench.judges._api import AdapterJudge, split_options

from seabench.audio_encode import OPENAI_FORMATS, encode_inputs
from seabench.errors import require
from seabench.judging import JudgeReply, JudgeRequest
from seabench.judging.request import SYSTEM
from seabench.retry import CallError
from seabench.types import ModelInput

OWN_OPTIONS = {"audio", "structured", "max_output_tokens"}
ADAPTER_OPTIONS = {"concurrency", "timeout", "max_retries", "backoff", "max_backoff"}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {
    "name": "judge_verdict", "strict": True,
    "schema": {"type": "object", "additionalProperties": False, "required": ["rationale", "score"],
               "properties": {"rationale": {"type": "string"}, "score": {"type": "integer"}}}}}


def _flag(value: Any, default: bool) -> bool:
    return default if value is None else str(value).lower() in ("1", "true", "yes", "on")


class OpenAIJudge(AdapterJudge):
    def __init__(self, spec: str, adapter: Any, options: dict[str, Any]) -> None:
        super().__init__(spec, adapter, options)
        self.accepts_audio = _flag(options.get("audio"), False)
        self.structured = _flag(options.get("structured"), True)  # becomes False once the server rejects it

    def body(self, request: JudgeRequest, with_audio: bool, temperature: float) -> dict[str, Any]:
        prompt = request.prompt(with_audio)
        content: str | list[dict[str, Any]] = prompt
        if with_audio:
            inp = ModelInput(sample_id=request.sample_id, task=request.task, prompt=prompt,
                             audio=[ref.load() for ref in request.audio], audio_refs=list(request.audio))
            content = [{"type": "input_audio", "input_audio": {"data": a.b64(), "format": a.format}}
                       for a in encode_inputs(inp, OPENAI_FORMATS)] + [{"type": "text", "text": prompt}]
        return {"model": self.adapter.model, "temperature": temperature, "max_tokens": self.max_output_tokens,
                "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]}

    async def _complete(self, body: dict[str, Any]) -> Any:
        from seabench.models.openai_compat import _translate

        try:
            response = await self.client().chat.completions.create(**body)
        except Exception as exc:
            raise _translate(exc) from exc
        if not getattr(response, "choices", None) or getattr(response.choices[0], "message", None) is None:
            raise CallError("malformed response: no choices[0].message")
        return response

    async def acall(self, request: JudgeRequest, with_audio: bool, temperature: float) -> JudgeReply:
        body = self.body(request, with_audio, temperature)
        if self.structured:
            try:
                response = await self._complete({**body, "response_format": RESPONSE_FORMAT})
            except CallError as error:
                if error.status != 400:
                    raise
                response = await self._complete(body)  # works without it: the server lacks structured output
                if self.structured:
                    self.structured = False
                    self.warnings.append(f"{self.id} rejected response_format json_schema ({error}); "
                                         "judging with plain-text replies and the regex fallback")
        else:
            response = await self._complete(body)
        usage = getattr(response, "usage", None)
        return JudgeReply(raw=response.choices[0].message.content or "", audio_seen=with_audio,
                          input_tokens=getattr(usage, "prompt_tokens", None),
                          output_tokens=getattr(usage, "completion_tokens", None))


def describe(spec: str, options: dict[str, Any]) -> tuple[str, bool]:
    """(snapshot, hears audio) without a client or a key, for `seabench score --dry-run`."""
    import os

    from seabench.models import openai_compat as openai_models

    own, _ = split_options(spec, options, OWN_OPTIONS, ADAPTER_OPTIONS)
    model, url = openai_models.parse_spec(spec)
    base_url = (url or os.environ.get("OPENAI_BASE_URL") or openai_models.DEFAULT_BASE_URL).rstrip("/")
    return f"openai:{model}@{openai_models.public_url(base_url)}", _flag(own.get("audio"), False)


def create(spec: str, options: dict[str, Any]) -> OpenAIJudge:
    from seabench.models import openai_compat as openai_models

    require("openai", "openai", "the openai judge")
    own, passed = split_options(spec, options, OWN_OPTIONS, ADAPTER_OPTIONS)
    adapter = openai_models.create(spec, {**passed, "probe": False})
    return OpenAIJudge(f"openai:{adapter.model}@{openai_models.public_url(adapter.base_url)}", adapter, own)
