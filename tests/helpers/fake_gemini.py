"""A local server speaking the Gemini Developer API REST protocol as google-genai 3.4 uses it.

Endpoints (any `v1*` version segment):
  POST /{v}/models/{model}:generateContent     inline audio or fileData referring to an upload
  POST /{v}/models/{model}:streamGenerateContent?alt=sse
                                               the same answer as server-sent events: one chunk per
                                               word, the first after `first_token_s`, each next one
                                               `token_interval_s` later; the last carries finishReason
                                               and usageMetadata
  GET  /{v}/models/{model}                     model metadata (`version`)
  POST /upload/{v}/files                       resumable upload, `X-Goog-Upload-Command: start`:
                                               answers `X-Goog-Upload-URL` + `X-Goog-Upload-Status: active`
  POST <upload url>                            `X-Goog-Upload-Command: upload, finalize` (+ offset):
                                               answers `X-Goog-Upload-Status: final` and {"file": {...}}
  GET  /{v}/files/{id}, DELETE /{v}/files/{id}

`responder(req)` may return a str (the model's text), a dict (the whole JSON body) or a Reply; the
default echoes the prompt's text parts. Faults apply to paths containing one of `fault_on`
(generateContent and streamGenerateContent by default). Usage counts words and 10 tokens per audio part."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

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
_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 408: "DEADLINE_EXCEEDED",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
_GENERATE = re.compile(r"^/(v1\w*)/models/([^/:]+):(generateContent|streamGenerateContent)$")
_MODEL = re.compile(r"^/(v1\w*)/models/([^/:]+)$")
_UPLOAD = re.compile(r"^/upload/(v1\w*)/files$")
_FILE = re.compile(r"^/(v1\w*)/files/([^/]+)$")


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _b64decode(text: str) -> bytes:
    """The API takes standard or URL-safe base64, padded or not (the SDK sends URL-safe, unpadded)."""
    return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))


def _user_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for c in body.get("contents", []) if c.get("role", "user") == "user" for p in c.get("parts", [])]


def prompt_text(body: dict[str, Any]) -> str:
    return "\n".join(p["text"] for p in _user_parts(body) if "text" in p)


def inline_audio(body: dict[str, Any]) -> list[tuple[str, bytes]]:
    """(mime type, bytes) of every inlineData part."""
    out = []
    for p in _user_parts(body):
        data = p.get("inlineData") or p.get("inline_data")
        if data:
            out.append((data.get("mimeType") or data.get("mime_type", ""), _b64decode(data["data"])))
    return out


def file_parts(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(mime type, file uri) of every fileData part."""
    out = []
    for p in _user_parts(body):
        data = p.get("fileData") or p.get("file_data")
        if data:
            out.append((data.get("mimeType") or data.get("mime_type", ""), data.get("fileUri") or data.get("file_uri", "")))
    return out


def echo(req: Received) -> str:
    return prompt_text(req.json or {})


@dataclass
class FakeFile:
    name: str  # files/xxxx
    mime_type: str
    data: bytes
    uri: str
    created: float
    expires: float
    processing_polls: int = 0  # GETs still answered with state PROCESSING

    def resource(self) -> dict[str, Any]:
        return {"name": self.name, "mimeType": self.mime_type, "sizeBytes": str(len(self.data)),
                "createTime": _rfc3339(self.created), "updateTime": _rfc3339(self.created),
                "expirationTime": _rfc3339(self.expires),
                "sha256Hash": base64.b64encode(hashlib.sha256(self.data).hexdigest().encode()).decode(),
                "uri": self.uri, "state": "PROCESSING" if self.processing_polls > 0 else "ACTIVE",
                "source": "UPLOADED"}


@dataclass
class _Session:
    mime_type: str
    size: int
    display_name: str | None
    data: bytearray


class FakeGemini(FakeServer):
    def __init__(self, responder: Responder = echo, faults: FaultRule | Sequence[Fault | None] | None = None,
                 latency_s: float | Callable[[Received], float] = 0.0, api_key: str | None = None,
                 fault_on: Sequence[str] = (":generateContent", ":streamGenerateContent"),
                 model_version: str | None = "fake-001", file_ttl_s: float = 48 * 3600, processing_polls: int = 0,
                 first_token_s: Pause = 0.0, token_interval_s: Pause = 0.0) -> None:
        super().__init__(faults, latency_s)
        self.responder = responder
        self.first_token_s = first_token_s
        self.token_interval_s = token_interval_s
        self.api_key = api_key
        self.fault_on = tuple(fault_on)
        self.model_version = model_version  # `version` of GET models/X and `modelVersion` of answers
        self.file_ttl_s = file_ttl_s
        self.processing_polls = processing_polls
        self.files: dict[str, FakeFile] = {}
        self.uploads_started = 0
        self._sessions: dict[str, _Session] = {}
        self._ids = itertools.count(1)
        self._files_lock = threading.Lock()

    # -- hooks ----------------------------------------------------------------------------------
    def faultable(self, req: Received) -> bool:
        return any(s in req.path for s in self.fault_on)

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}}

    def generate_requests(self) -> list[Received]:
        return self.received("POST", ":generateContent")

    def route(self, req: Received) -> Reply:
        session_chunk = "upload_id=" in req.query  # the upload URL itself is the credential
        if self.api_key is not None and not session_chunk and req.headers.get("x-goog-api-key") != self.api_key:
            return Reply(400, self.error_body(400, "API key not valid. Please pass a valid API key."))
        if req.method == "POST" and (m := _GENERATE.match(req.path)):
            return self._generate(req, m.group(2), stream=m.group(3) == "streamGenerateContent")
        if req.method == "GET" and (m := _MODEL.match(req.path)):
            return Reply(200, {"name": f"models/{m.group(2)}", "version": self.model_version or "",
                               "displayName": m.group(2), "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                               "supportedGenerationMethods": ["generateContent"]})
        if req.method == "POST" and (m := _UPLOAD.match(req.path)):
            return self._upload(req, m.group(1))
        if m := _FILE.match(req.path):
            return self._file(req, f"files/{m.group(2)}")
        return Reply(404, self.error_body(404, f"no route {req.method} {req.path}"))

    # -- files ----------------------------------------------------------------------------------
    def _upload(self, req: Received, version: str) -> Reply:
        command = req.headers.get("x-goog-upload-command", "")
        query = parse_qs(req.query)
        if "start" in command:
            if req.headers.get("x-goog-upload-protocol") != "resumable":
                return Reply(400, self.error_body(400, "only resumable uploads are supported"))
            meta = (req.json or {}).get("file", {})
            session_id = f"u{next(self._ids)}"
            with self._files_lock:
                self.uploads_started += 1
                self._sessions[session_id] = _Session(
                    req.headers.get("x-goog-upload-header-content-type", meta.get("mimeType", "")),
                    int(req.headers.get("x-goog-upload-header-content-length", 0)), meta.get("displayName"),
                    bytearray())
            url = f"{self.url}/upload/{version}/files?upload_id={session_id}&upload_protocol=resumable"
            return Reply(200, b"", {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active",
                                    "X-Goog-Upload-Chunk-Granularity": "8388608"})
        session_id = (query.get("upload_id") or [""])[0]
        with self._files_lock:
            session = self._sessions.get(session_id)
            if session is None or "upload" not in command:
                return Reply(400, self.error_body(400, "unknown upload session"), {"X-Goog-Upload-Status": "final"})
            if int(req.headers.get("x-goog-upload-offset", -1)) != len(session.data):
                return Reply(400, self.error_body(400, "bad offset"), {"X-Goog-Upload-Status": "final"})
            session.data.extend(req.body)
            if "finalize" not in command:
                return Reply(200, b"", {"X-Goog-Upload-Status": "active"})
            del self._sessions[session_id]
            if len(session.data) != session.size:
                return Reply(400, self.error_body(400, "size mismatch"), {"X-Goog-Upload-Status": "final"})
            name = f"files/fake{next(self._ids):06d}"
            now = time.time()
            f = FakeFile(name, session.mime_type, bytes(session.data), f"{self.url}/{version}/{name}", now,
                         now + self.file_ttl_s, self.processing_polls)
            self.files[name] = f
            return Reply(200, {"file": f.resource()}, {"X-Goog-Upload-Status": "final"})

    def _file(self, req: Received, name: str) -> Reply:
        with self._files_lock:
            f = self.files.get(name)
            if f is None or f.expires < time.time():
                return Reply(404, self.error_body(404, f"File {name} not found"))
            if req.method == "DELETE":
                del self.files[name]
                return Reply(200, {})
            resource = f.resource()
            f.processing_polls = max(0, f.processing_polls - 1)
        return Reply(200, resource)

    def expire(self, name: str | None = None) -> None:
        """Make one (or every) uploaded file expire now, as the real service does after 48 h."""
        with self._files_lock:
            for f in self.files.values():
                if name is None or f.name == name:
                    f.expires = time.time() - 1

    # -- generation -----------------------------------------------------------------------------
    def _generate(self, req: Received, model: str, stream: bool = False) -> Reply:
        body = req.json
        if not isinstance(body, dict) or not body.get("contents"):
            return Reply(400, self.error_body(400, "contents is required"))
        for _, uri in file_parts(body):
            name = "files/" + uri.rsplit("/files/", 1)[-1]
            f = self.files.get(name)
            if f is None or f.expires < time.time():
                return Reply(403, self.error_body(403, f"You do not have permission to access the File {name} "
                                                       "or it may not exist."))
            if f.processing_polls > 0:
                return Reply(400, self.error_body(400, f"The File {name} is not in an ACTIVE state"))
        got = self.answer(req, (body.get("generationConfig") or {}).get("maxOutputTokens"), "MAX_TOKENS")
        if isinstance(got, Reply):
            return got
        answer, n_words, cut = got
        finish = cut or "STOP"
        n_audio = len(inline_audio(body)) + len(file_parts(body))
        prompt_tokens = len(prompt_text(body).split()) + AUDIO_TOKENS * n_audio
        usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": n_words,
                 "totalTokenCount": prompt_tokens + n_words}
        version = {"modelVersion": f"{model}-{self.model_version}"} if self.model_version else {}

        def reply(text: str, last: bool) -> dict[str, Any]:
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
            return {"candidates": [{**candidate, "finishReason": finish} if last else candidate],
                    **({"usageMetadata": usage} if last else {}), "responseId": f"resp-{req.index}", **version}

        if not stream:
            return Reply(200, reply(answer, True))
        parts = words(answer) or [""]
        chunks = [b"data: " + json.dumps(reply(piece, n == len(parts) - 1)).encode() + b"\r\n\r\n"
                  for n, piece in enumerate(parts)]
        return Reply(200, events=paced(chunks, pause_for(self.first_token_s, req),
                                       pause_for(self.token_interval_s, req)))
