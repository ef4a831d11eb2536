"""`openai:MODEL@BASE_URL` — any OpenAI-compatible chat-completions server (`vllm serve`, the
OpenAI API, a proxy). Audio goes as `input_audio` content parts, the prompt as a text part.

The key comes from OPENAI_API_KEY only; a local server that needs none gets the placeholder
"EMPTY" (what vLLM's docs use). Without `@BASE_URL`, OPENAI_BASE_URL or the client's default
(api.openai.com, which does need a key) is used. The client's own retries are off: ours count
retries per sample and slow every request down on 429s.

`-M stream=true` asks for the answer as server-sent events and times it: ModelOutput.timing gets
the time to first token, the mean and p95 of the gaps between streamed pieces, and tokens/s. The
text is the same as without streaming (the pieces joined); `seabench serve-bench` builds on this.

`-M prompt_template=NAME` wraps the prompt the way that model's authors do (models/prompts.py);
a served model whose name says MERaLiON gets MERaLiON's wrapper without it (`prompt_template=chat`
sends the task prompt as it is)."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from seabench.adapter import ALL_GENERATION_KEYS, check_options
from seabench.audio_encode import OPENAI_FORMATS, encode_inputs
from seabench.errors import UserError, require
from seabench.retry import CallError, Outcome, parse_retry_after
from seabench.secrets import redact
from seabench.types import GenerationConfig, ModelInfo, ModelInput, ModelOutput

from seabench.models import prompts
from seabench.models.api_common import COMMON_OPTIONS, ApiAdapter, StreamClock, transport_errors

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "EMPTY"
OPTIONS = COMMON_OPTIONS | {"probe", "prompt_template"}


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`openai:MODEL@URL` -> (MODEL, URL or None). A URL without a scheme gets http://."""
    rest = spec.split(":", 1)[1] if spec.startswith("openai:") else spec
    model, sep, url = rest.partition("@")
    if not model.strip() or (sep and not url.strip()):
        raise UserError(f"model id {spec!r} must look like openai:MODEL or openai:MODEL@http://HOST:PORT/v1")
    if url and not re.match(r"^https?://", url):
        url = f"http://{url}"
    return model.strip(), (url.rstrip("/") or None)


def public_url(url: str) -> str:
    """The URL without user:password or key-like query values, for logs and the manifest."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return redact(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")))


def _translate(exc: Exception) -> CallError:
    """openai client exceptions -> CallError (status, Retry-After, timeout). While a stream is read,
    the HTTP stack's own errors come through unwrapped (a read timeout, a connection dropped mid-answer)."""
    import openai

    timeouts, transport = transport_errors()
    if isinstance(exc, (openai.APITimeoutError, *timeouts)):
        return CallError("request timed out", timeout=True)
    if isinstance(exc, transport):
        return CallError(f"{type(exc).__name__}: {exc}"[:500])
    if isinstance(exc, openai.APIStatusError):
        retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
        return CallError(str(exc.message)[:500], status=exc.status_code, retry_after=retry_after)
    if isinstance(exc, (openai.APIConnectionError, openai.APIResponseValidationError, ValueError)):
        # connection dropped, or a body that is not the protocol's JSON (JSONDecodeError is a ValueError)
        return CallError(f"{type(exc).__name__}: {exc}"[:500])
    return CallError(f"{type(exc).__name__}: {exc}"[:500], retryable=False)


@dataclass
class Answer:
    """What one successful call returned; `clock` is set when the answer was streamed."""

    text: str
    finish_reason: str | None
    input_tokens: int | None = None
    output_tokens: int | None = None
    refusal: str | None = None
    clock: StreamClock | None = None


class OpenAICompatAdapter(ApiAdapter[Any]):
    def __init__(self, model: str, base_url: str, api_key: str, options: dict[str, Any]) -> None:
        super().__init__(options, default_timeout=120.0)
        self.model = model
        self.base_url = base_url
        self._api_key = api_key
        self.probe = bool(options.get("probe", True))
        self.id = f"openai:{model}@{public_url(base_url)}"
        self._info: ModelInfo | None = None
        self.template = prompts.choose(options.get("prompt_template"), model)
        if self.template is not None and not self.template.system_turn:
            self.generation_keys = ALL_GENERATION_KEYS - {"system_prompt"}

    # -- client ------------------------------------------------------------------------------
    def _open_client(self) -> Any:
        openai = require("openai", "openai", "the openai model adapter")
        return openai.AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, max_retries=0,
                                  timeout=self.timeout)

    async def _close_client(self, client: Any) -> None:
        await client.close()

    def info(self) -> ModelInfo:
        if self._info is None:
            openai = require("openai", "openai", "the openai model adapter")
            details: dict[str, Any] = {"base_url": public_url(self.base_url)}
            if self.template is not None:
                details.update(prompt_template=self.template.name, prompt_source=self.template.source)
            if self.probe:
                details.update(self._served_model())
            self._info = ModelInfo(id=self.id, provider="openai-compatible",
                                   snapshot=f"{self.model}@{public_url(self.base_url)}",
                                   backend_version=f"openai-python {openai.__version__}",
                                   max_audio_s=self.max_audio_s, details=details)
        return self._info

    def _served_model(self) -> dict[str, Any]:
        """What GET /models says about the model (vLLM reports the checkpoint as `root`); best effort."""
        import openai

        try:
            with openai.OpenAI(api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=5.0) as c:
                for m in c.models.list().data:
                    if m.id == self.model:
                        extra = m.model_extra or {}
                        return {k: v for k, v in (("owned_by", m.owned_by), ("root", extra.get("root")),
                                                  ("max_model_len", extra.get("max_model_len"))) if v is not None}
        except Exception as exc:  # an old server without /models must not stop the run
            return {"models_probe": f"failed: {type(exc).__name__}"}
        return {}

    # -- generation --------------------------------------------------------------------------
    def request(self, inp: ModelInput, config: GenerationConfig) -> dict[str, Any]:
        content: list[dict[str, Any]] = [
            {"type": "input_audio", "input_audio": {"data": a.b64(), "format": a.format}}
            for a in encode_inputs(inp, OPENAI_FORMATS)
        ]
        text = self.template.user_text(inp.prompt) if self.template is not None and inp.audio else inp.prompt
        content.append({"type": "text", "text": text})
        messages: list[dict[str, Any]] = []
        system = config.system_prompt or getattr(self.template, "system", None)
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": content})
        request: dict[str, Any] = {"model": self.model, "messages": messages,
                                   "temperature": config.temperature if config.sampling else 0.0,
                                   "top_p": config.top_p, "max_tokens": config.max_new_tokens, "seed": config.seed}
        if config.stop:
            request["stop"] = list(config.stop)
        if config.repetition_penalty != 1.0:  # not an OpenAI parameter: vLLM and SGLang servers take it
            request["extra_body"] = {"repetition_penalty": config.repetition_penalty}
        return request

    async def agenerate(self, inp: ModelInput, config: GenerationConfig) -> ModelOutput:
        start = time.perf_counter()
        outcome = await self.answer(self.request(inp, config))
        if not outcome.ok:
            return self.failed(outcome, outcome.retries, start)
        got = outcome.value
        assert got is not None
        return ModelOutput(text=got.text, finish_reason=got.finish_reason, input_tokens=got.input_tokens,
                           output_tokens=got.output_tokens, latency_s=time.perf_counter() - start,
                           retries=outcome.retries, warnings=[f"refusal: {got.refusal}"] if got.refusal else [],
                           timing=got.clock.timing(got.output_tokens) if got.clock else {})

    async def answer(self, request: dict[str, Any]) -> Outcome[Answer]:
        """One request (built by `request()`) with our retries; streamed when `-M stream=true`."""
        once = self._streamed if self.stream else self._whole
        return await self.call(lambda: once(request))

    async def _whole(self, request: dict[str, Any]) -> Answer:
        try:
            response = await self.client().chat.completions.create(**request)
        except Exception as exc:
            raise _translate(exc) from exc
        if not getattr(response, "choices", None) or getattr(response.choices[0], "message", None) is None:
            raise CallError("malformed response: no choices[0].message")
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        return Answer(choice.message.content or "", choice.finish_reason, getattr(usage, "prompt_tokens", None),
                      getattr(usage, "completion_tokens", None), getattr(choice.message, "refusal", None) or None)

    async def _streamed(self, request: dict[str, Any]) -> Answer:
        """The answer as server-sent events. A piece counts as a token arrival when it carries text,
        a refusal or reasoning; the empty role chunk servers send first does not."""
        client = self.client()  # made before the clock starts: building a client is not the server's time
        clock = StreamClock()
        text: list[str] = []
        refusal: list[str] = []
        finish: str | None = None
        usage: Any = None
        try:
            stream = await client.chat.completions.create(**request, stream=True,
                                                          stream_options={"include_usage": True})
            async with stream:
                async for chunk in stream:
                    usage = getattr(chunk, "usage", None) or usage
                    for choice in getattr(chunk, "choices", None) or []:
                        delta = choice.delta
                        extra = (getattr(delta, "model_extra", None) or {}) if delta is not None else {}
                        piece = (delta.content or "") if delta is not None else ""
                        refused = (getattr(delta, "refusal", None) or "") if delta is not None else ""
                        if piece or refused or extra.get("reasoning_content") or extra.get("reasoning"):
                            clock.tick()
                        text.append(piece)
                        refusal.append(refused)
                        finish = choice.finish_reason or finish
        except Exception as exc:
            raise _translate(exc) from exc
        if finish is None:  # a stream cut short is not an answer
            raise CallError("malformed response: the stream ended without a finish_reason")
        return Answer("".join(text), finish, getattr(usage, "prompt_tokens", None),
                      getattr(usage, "completion_tokens", None), "".join(refusal) or None, clock)


def create(spec: str, options: dict[str, Any]) -> OpenAICompatAdapter:
    check_options(spec, options, OPTIONS)
    require("openai", "openai", "the openai model adapter")
    model, url = parse_spec(spec)
    base_url = url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    api_key = os.environ.get("OPENAI_API_KEY")
    if not api_key:
        if urlsplit(base_url).hostname == "api.openai.com":
            raise UserError(f"{spec} talks to api.openai.com: set OPENAI_API_KEY")
        api_key = PLACEHOLDER_KEY
    return OpenAICompatAdapter(model, base_url.rstrip("/"), api_key, options)
