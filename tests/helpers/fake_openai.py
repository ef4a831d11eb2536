"""A local server speaking the OpenAI chat-completions REST protocol (as `vllm serve` does).

    with FakeOpenAI(responder=lambda req: "hello", faults=[rate_limited("1"), None]) as srv:
        base_url = srv.base_url            # http://127.0.0.1:PORT/v1
        ...
        srv.completions()                  # recorded POST /v1/chat/completions requests

`responder(req)` may return a str (the assistant's content), a dict (the whole JSON body) or a
Reply. The default echoes the last user message's text. `max_tokens` truncates the reply by words
and sets finish_reason "length"; usage counts words (text) and 10 tokens per audio part.

`"stream": true` requests get server-sent events as `vllm serve` sends them: a role chunk at once,
then one chunk per word (with its leading whitespace) — the first after `first_token_s`, each next
one `token_interval_s` later — a finish chunk, a usage chunk when `stream_options.include_usage`
asks for it, and `data: [DONE]`. Both pauses may be functions of the request."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from tests.helpers.fake_http import (
    FakeServer,
    Fault,
    FaultRule,
    Pause,
    Received,
    Reply,
    paced,
    pause_for,
    words,
)

Responder = Callable[[Received], "str | dict[str, Any] | Reply"]
AUDIO_TOKENS = 10


def user_text(body: dict[str, Any]) -> str:
    """Text of the last user message (string content or the text parts of a content list)."""
    for msg in reversed(body.get("messages", [])):
        if msg.get("role") != "user":
            continue
        content = msg.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(p.get("text", "") for p in content or [] if p.get("type") == "text")
    return ""


def audio_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `input_audio` objects of the request (format, base64 data), not decoded."""
    return [p["input_audio"] for msg in body.get("messages", []) if isinstance(msg.get("content"), list)
            for p in msg["content"] if p.get("type") == "input_audio"]


def audio_parts(body: dict[str, Any]) -> list[tuple[str, bytes]]:
    """(format, decoded bytes) of every input_audio part in the request."""
    return [(item.get("format", ""), base64.b64decode(item["data"])) for item in audio_items(body)]


def wav_seconds(req: Received) -> float:
    """Seconds of the request's one input_audio part, from the size of its base64 16 kHz 16-bit mono WAV
    (decoding megabytes per request would slow the server down)."""
    [item] = audio_items(req.json)
    data = item["data"]
    return (len(data) * 3 // 4 - data.count("=") - 44) / 32000


def echo(req: Received) -> str:
    return user_text(req.json or {})


def _sse(data: dict[str, Any] | str) -> bytes:
    return b"data: " + (data if isinstance(data, str) else json.dumps(data)).encode() + b"\n\n"


class FakeOpenAI(FakeServer):
    def __init__(self, responder: Responder = echo, faults: FaultRule | Sequence[Fault | None] | None = None,
                 latency_s: float | Callable[[Received], float] = 0.0, api_key: str | None = None,
                 models: Sequence[dict[str, Any]] | None = None, first_token_s: Pause = 0.0,
                 token_interval_s: Pause = 0.0) -> None:
        super().__init__(faults, latency_s)
        self.responder = responder
        self.first_token_s = first_token_s
        self.token_interval_s = token_interval_s
        self.api_key = api_key  # when set, other bearer tokens get 401
        self.models = list(models) if models is not None else None
        self._ids = itertools.count()

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def faultable(self, req: Received) -> bool:
        return req.path.endswith("/chat/completions")

    def error_body(self, status: int, message: str) -> Any:
        kind = {429: "rate_limit_exceeded", 400: "invalid_request_error"}.get(status, "server_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}

    def completions(self) -> list[Received]:
        return self.received("POST", "/chat/completions")

    def route(self, req: Received) -> Reply:
        if self.api_key is not None and req.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, self.error_body(401, "invalid api key"))
        if req.method == "POST" and req.path.endswith("/chat/completions"):
            body = req.json
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                return Reply(400, self.error_body(400, "body must be JSON with messages"))
            return self._complete(req, body)
        if req.method == "GET" and req.path.endswith("/models"):
            data = self.models if self.models is not None else [{"id": "fake", "object": "model", "owned_by": "fake"}]
            return Reply(200, {"object": "list", "data": data})
        return Reply(404, self.error_body(404, f"no route {req.method} {req.path}"))

    def _complete(self, req: Received, body: dict[str, Any]) -> Reply:
        got = self.answer(req, body.get("max_completion_tokens") or body.get("max_tokens"), "length")
        if isinstance(got, Reply):
            return got
        answer, n_words, cut = got
        finish = cut or "stop"
        prompt_tokens = len(user_text(body).split()) + AUDIO_TOKENS * len(audio_items(body))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n_words, "total_tokens": prompt_tokens + n_words}
        if body.get("stream"):
            return self._stream_reply(req, body, answer, finish, usage)
        return Reply(200, {
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", ""), "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                         "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        })

    def _stream_reply(self, req: Received, body: dict[str, Any], answer: str, finish: str,
                      usage: dict[str, int]) -> Reply:
        head = {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model", ""), "system_fingerprint": "fp_fake"}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            return _sse({**head, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                              "finish_reason": finish_reason}]})

        events = [(0.0, chunk({"role": "assistant", "content": ""}))]
        events += paced([chunk({"content": piece}) for piece in words(answer)],
                        pause_for(self.first_token_s, req), pause_for(self.token_interval_s, req))
        events.append((0.0, chunk({}, finish)))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append((0.0, _sse({**head, "choices": [], "usage": usage})))
        events.append((0.0, _sse("[DONE]")))
        return Reply(200, events=events)
