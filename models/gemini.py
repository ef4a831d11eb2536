"""`gemini:MODEL` — Google Gemini through google-genai (async client).

Key: GEMINI_API_KEY, else GOOGLE_API_KEY (environment only). GOOGLE_GEMINI_BASE_URL points the
client at a proxy or a local server. Audio goes inline while the request stays under the inline
limit (20 MB, `-M inline_limit_mb=`), otherwise through the Files API; uploads are remembered by
content hash in the user cache dir for as long as the service keeps them (48 h), so a re-run or a
second task over the same clips uploads nothing. The SDK's own retries are off; ours count
retries per sample. `-M stream=true` uses streamGenerateContent and times the answer
(ModelOutput.timing: time to first chunk, gaps between chunks, tokens/s); Gemini's chunks hold
several tokens each, so its gaps are per chunk, not per token."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from seabench.adapter import ALL_GENERATION_KEYS, check_options
from seabench.audio_encode import GEMINI_FORMATS, EncodedAudio, encode_inputs
from seabench.cache import cache_dir
from seabench.errors import UserError, require
from seabench.retry import CallError, Outcome, parse_retry_after
from seabench.types import GenerationConfig, ModelInfo, ModelInput, ModelOutput

from seabench.models.api_common import COMMON_OPTIONS, ApiAdapter, StreamClock, transport_errors

KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
BASE_URL_VAR = "GOOGLE_GEMINI_BASE_URL"
INLINE_LIMIT_MB = 20.0
FILE_TTL_S = 48 * 3600
EXPIRY_MARGIN_S = 3600.0  # an upload this close to expiry is replaced, so it cannot vanish mid-run
OPTIONS = COMMON_OPTIONS | {"inline_limit_mb", "thinking_budget", "api_version", "probe", "processing_poll_s"}
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
           "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter"}


def api_key() -> str:
    for var in KEY_VARS:
        if os.environ.get(var):
            return os.environ[var]
    raise UserError("the gemini adapter needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY)")


def default_thinking_budget(model: str) -> int | None:
    """Thinking off (budget 0) on the models that allow it (2.5 Flash / Flash-Lite): thinking
    tokens count against maxOutputTokens and would leave short answers empty. Others: model default."""
    return 0 if model.removeprefix("models/").startswith("gemini-2.5-flash") else None


@dataclass
class Upload:
    name: str
    uri: str
    mime_type: str
    expires_at: float


class UploadMap:
    """sha256 of the audio bytes -> the uploaded file, persisted as JSON in the user cache dir.

    Read once, then served from memory; every change is merged into the file as it is on disk
    (another run may have added uploads) and written atomically. Entries are scoped by a
    fingerprint of key + endpoint (files belong to a project), a truncated hash: the key itself
    is never written."""

    def __init__(self, path: Path, scope: str) -> None:
        self.path = path
        self.scope = scope
        self._lock = threading.Lock()
        self._files: dict[str, dict[str, Any]] | None = None

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            files = data.get("files", {}) if isinstance(data, dict) else {}
            return files if isinstance(files, dict) else {}
        except (OSError, ValueError):
            return {}

    def _update(self, change: dict[str, dict[str, Any] | None]) -> None:
        from seabench.records import atomic_write_text

        with self._lock:
            files = self._read()
            for key, value in change.items():
                if value is None:
                    files.pop(key, None)
                else:
                    files[key] = value
            now = time.time()
            self._files = {k: v for k, v in files.items() if v.get("expires_at", 0) > now}
            atomic_write_text(self.path, json.dumps({"version": 1, "files": self._files}, indent=1, sort_keys=True))

    def get(self, sha256: str) -> Upload | None:
        with self._lock:
            if self._files is None:
                self._files = self._read()
            entry = self._files.get(f"{self.scope}/{sha256}")
        try:
            upload = Upload(**entry) if entry else None
        except TypeError:  # an entry written by another version
            return None
        return upload if upload and upload.expires_at - time.time() > EXPIRY_MARGIN_S else None

    def put(self, sha256: str, upload: Upload) -> None:
        self._update({f"{self.scope}/{sha256}": asdict(upload)})

    def drop(self, sha256s: list[str]) -> None:
        self._update({f"{self.scope}/{sha}": None for sha in sha256s})


def _translate(exc: Exception) -> CallError:
    """google-genai / httpx exceptions -> CallError."""
    import pydantic
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        retry_after = parse_retry_after(headers.get("retry-after")) if hasattr(headers, "get") else None
        if retry_after is None:
            retry_after = _retry_info(exc.details)
        return CallError(f"{exc.status or ''} {exc.message or ''}".strip()[:500], status=exc.code,
                         retry_after=retry_after)
    timeouts, transport = transport_errors()
    if isinstance(exc, timeouts):
        return CallError("request timed out", timeout=True)
    if isinstance(exc, transport):  # connection refused or dropped, protocol errors
        return CallError(f"{type(exc).__name__}: {exc}"[:500])
    if isinstance(exc, (json.JSONDecodeError, pydantic.ValidationError)):
        return CallError(f"malformed response: {type(exc).__name__}: {exc}"[:500])
    return CallError(f"{type(exc).__name__}: {exc}"[:500], retryable=False)


def _retry_info(details: Any) -> float | None:
    """Google's RetryInfo in the error body: {"@type": ".../google.rpc.RetryInfo", "retryDelay": "13s"}."""
    try:
        for d in details.get("error", {}).get("details", []):
            if str(d.get("@type", "")).endswith("RetryInfo"):
                return float(str(d["retryDelay"]).rstrip("s"))
    except (AttributeError, KeyError, TypeError, ValueError):
        pass
    return None


class GeminiAdapter(ApiAdapter[Any]):
    # Gemini has presence/frequency penalties, which are not transformers' repetition penalty
    generation_keys = ALL_GENERATION_KEYS - {"repetition_penalty"}
    neutral_options = ApiAdapter.neutral_options | {"processing_poll_s", "inline_limit_mb"}

    def __init__(self, model: str, key: str, base_url: str | None, options: dict[str, Any]) -> None:
        super().__init__(options, default_timeout=300.0)
        self.model = model
        self.id = f"gemini:{model}"
        self.base_url = base_url
        self._key = key
        self.inline_limit = int(float(options.get("inline_limit_mb", INLINE_LIMIT_MB)) * 1024 * 1024)
        budget = options.get("thinking_budget", "auto")
        self.thinking_budget = default_thinking_budget(model) if budget == "auto" else (
            None if budget in (None, "", "none", "default") else int(budget))
        self.api_version = options.get("api_version")
        self.probe = bool(options.get("probe", True))
        self.processing_poll_s = float(options.get("processing_poll_s", 2.0))
        scope = hashlib.sha256(f"{key}\x00{base_url or ''}".encode()).hexdigest()[:16]
        self.uploads = UploadMap(cache_dir() / "gemini-uploads.json", scope)
        self.uploaded = 0  # files uploaded by this adapter (reuses do not count)
        self._info: ModelInfo | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._locks_loop: asyncio.AbstractEventLoop | None = None

    # -- client ------------------------------------------------------------------------------
    def _http_options(self, timeout_s: float) -> Any:
        from google.genai import types

        return types.HttpOptions(base_url=self.base_url, api_version=self.api_version,
                                 timeout=int(timeout_s * 1000), retry_options=types.HttpRetryOptions(attempts=1))

    def _open_client(self) -> Any:
        genai = require("google.genai", "gemini", "the gemini model adapter")
        return genai.Client(api_key=self._key, vertexai=False, http_options=self._http_options(self.timeout))

    async def _close_client(self, client: Any) -> None:
        await client.aio.aclose()

    def info(self) -> ModelInfo:
        if self._info is None:
            genai = require("google.genai", "gemini", "the gemini model adapter")
            version = self._model_version() if self.probe else None
            self._info = ModelInfo(
                id=self.id, provider="google-genai", snapshot=f"{self.model}@{version}" if version else self.model,
                backend_version=f"google-genai {genai.__version__}", max_audio_s=self.max_audio_s,
                details={"thinking_budget": self.thinking_budget, "inline_limit_bytes": self.inline_limit,
                         **({"base_url": self.base_url} if self.base_url else {})})
        return self._info

    def _model_version(self) -> str | None:
        """`version` from models.get (e.g. "001"), best effort: the run must not depend on it."""
        from google import genai

        try:
            with genai.Client(api_key=self._key, vertexai=False, http_options=self._http_options(10.0)) as c:
                return c.models.get(model=self.model).version or None
        except Exception:
            return None

    def _note_model_version(self, version: str | None) -> None:
        """Served `modelVersion`s go into info().details (the runner writes that object at the end)."""
        if version:
            seen = self.info().details.setdefault("model_versions", [])
            if version not in seen:
                seen.append(version)

    # -- audio parts -------------------------------------------------------------------------
    def _lock(self, key: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._locks_loop is not loop:
            self._locks, self._locks_loop = {}, loop
        return self._locks.setdefault(key, asyncio.Lock())

    async def _upload(self, audio: EncodedAudio) -> Upload:
        from google.genai import types

        files = self.client().aio.files
        try:
            f = await files.upload(file=io.BytesIO(audio.data), config=types.UploadFileConfig(
                mime_type=audio.mime_type, display_name=f"seabench-{audio.sha256[:16]}"))
            deadline = time.monotonic() + self.timeout
            while f.state is not None and f.state.name == "PROCESSING":
                if time.monotonic() > deadline:
                    raise CallError(f"uploaded file {f.name} still processing after {self.timeout:g}s", timeout=True)
                await asyncio.sleep(self.processing_poll_s)
                f = await files.get(name=f.name)
        except CallError:
            raise
        except Exception as exc:
            raise _translate(exc) from exc
        if f.state is not None and f.state.name == "FAILED":
            raise CallError(f"the Files API could not process {f.name}: {f.error}", retryable=False)
        expires = f.expiration_time.timestamp() if f.expiration_time else time.time() + FILE_TTL_S
        return Upload(name=f.name, uri=f.uri, mime_type=f.mime_type or audio.mime_type, expires_at=expires)

    async def _file(self, audio: EncodedAudio) -> Outcome[Upload]:
        """The upload for these bytes: remembered, or made now (once per distinct clip)."""
        async with self._lock(audio.sha256):
            known = self.uploads.get(audio.sha256)
            if known is not None:
                return Outcome(value=known)
            outcome = await self.call(lambda: self._upload(audio))
            if outcome.ok:
                assert outcome.value is not None
                self.uploaded += 1
                self.uploads.put(audio.sha256, outcome.value)
            return outcome

    async def parts(self, inp: ModelInput) -> tuple[list[Any], int, CallError | None, list[str]]:
        """Content parts, retries spent uploading, an upload failure, and the hashes sent as files."""
        from google.genai import types

        audio = encode_inputs(inp, GEMINI_FORMATS)
        inline_size = sum(a.b64_size for a in audio) + len(inp.prompt.encode())
        parts: list[Any] = []
        retries = 0
        as_files: list[str] = []
        for a in audio:
            if inline_size <= self.inline_limit:
                parts.append(types.Part.from_bytes(data=a.data, mime_type=a.mime_type))
                continue
            outcome = await self._file(a)
            retries += outcome.retries
            if not outcome.ok:
                return [], retries, outcome.error, as_files
            assert outcome.value is not None
            parts.append(types.Part.from_uri(file_uri=outcome.value.uri, mime_type=outcome.value.mime_type))
            as_files.append(a.sha256)
        parts.append(types.Part(text=inp.prompt))
        return parts, retries, None, as_files

    # -- generation --------------------------------------------------------------------------
    def generation_config(self, config: GenerationConfig) -> Any:
        from google.genai import types

        thinking = (types.ThinkingConfig(thinking_budget=self.thinking_budget)
                    if self.thinking_budget is not None else None)
        return types.GenerateContentConfig(
            system_instruction=config.system_prompt or None,
            temperature=config.temperature if config.sampling else 0.0, top_p=config.top_p,
            max_output_tokens=config.max_new_tokens, seed=config.seed, thinking_config=thinking,
            stop_sequences=list(config.stop) or None)

    async def agenerate(self, inp: ModelInput, config: GenerationConfig) -> ModelOutput:
        from google.genai import types

        start = time.perf_counter()
        gen_config = self.generation_config(config)
        retries = 0
        for attempt in range(2):  # a second pass only when a remembered upload turned out to be gone
            parts, spent, error, as_files = await self.parts(inp)
            retries += spent
            if error is not None:
                return self.failed(Outcome(error=error), retries, start)
            contents = [types.Content(role="user", parts=parts)]

            async def once() -> tuple[Any, str | None, StreamClock | None]:
                if self.stream:
                    return await self._streamed(contents, gen_config)
                try:
                    response = await self.client().aio.models.generate_content(
                        model=self.model, contents=contents, config=gen_config)
                except Exception as exc:
                    raise _translate(exc) from exc
                if not response.candidates and response.prompt_feedback is None:
                    raise CallError("malformed response: no candidates and no promptFeedback")
                return response, None, None

            outcome = await self.call(once)
            retries += outcome.retries
            if outcome.ok:
                assert outcome.value is not None
                return self._output(*outcome.value, retries=retries, start=start)
            assert outcome.error is not None
            if attempt == 0 and as_files and outcome.error.status in (400, 403, 404):
                self.uploads.drop(as_files)  # deleted or expired early: upload again, once
                retries += 1
                continue
            return self.failed(outcome, retries, start)
        raise AssertionError("unreachable")

    async def _streamed(self, contents: list[Any], gen_config: Any) -> tuple[Any, str, StreamClock]:
        """The answer as streamed chunks: (the last chunk with a candidate, for usage and finish reason,
        or the one saying the prompt was blocked; the joined text; when each chunk with text arrived)."""
        client = self.client()  # made before the clock starts
        clock = StreamClock()
        pieces: list[str] = []
        last: Any = None
        finished = False
        try:
            async for chunk in await client.aio.models.generate_content_stream(
                    model=self.model, contents=contents, config=gen_config):
                if not chunk.candidates:
                    if chunk.prompt_feedback is not None and last is None:  # the prompt was blocked
                        last, finished = chunk, True
                    continue
                last = chunk
                cand = chunk.candidates[0]
                parts = cand.content.parts if cand.content is not None and cand.content.parts else []
                if any(p.text for p in parts):
                    clock.tick()
                pieces += [p.text for p in parts if p.text and not p.thought]
                finished = finished or cand.finish_reason is not None
        except Exception as exc:
            raise _translate(exc) from exc
        if not finished:  # a stream cut short is not an answer
            raise CallError("malformed response: the stream ended without a finishReason")
        return last, "".join(pieces), clock

    def _output(self, response: Any, text: str | None, clock: StreamClock | None, *, retries: int,
                start: float) -> ModelOutput:
        """`text` and `clock` come from a streamed answer (its pieces joined); None: the response's own."""
        self._note_model_version(response.model_version)
        usage = response.usage_metadata
        output_tokens = None
        if usage is not None and usage.candidates_token_count is not None:
            output_tokens = usage.candidates_token_count + (usage.thoughts_token_count or 0)
        common = {"input_tokens": getattr(usage, "prompt_token_count", None), "output_tokens": output_tokens,
                  "latency_s": time.perf_counter() - start, "retries": retries,
                  "timing": clock.timing(output_tokens) if clock is not None else {}}
        if not response.candidates:
            reason = getattr(response.prompt_feedback.block_reason, "value", response.prompt_feedback.block_reason)
            return ModelOutput(text="", finish_reason="content_filter", warnings=[f"prompt blocked: {reason}"],
                               **common)
        cand = response.candidates[0]
        parts = cand.content.parts if cand.content is not None and cand.content.parts else []
        if text is None:
            text = "".join(p.text for p in parts if p.text and not p.thought)
        reason = cand.finish_reason.value if cand.finish_reason is not None else None
        return ModelOutput(text=text, finish_reason=_FINISH.get(reason, reason.lower()) if reason else None, **common)


def create(spec: str, options: dict[str, Any]) -> GeminiAdapter:
    check_options(spec, options, OPTIONS)
    require("google.genai", "gemini", "the gemini model adapter")
    model = spec.split(":", 1)[1].strip() if ":" in spec else ""
    if not model:
        raise UserError(f"model id {spec!r} must look like gemini:MODEL, e.g. gemini:gemini-2.5-flash")
    return GeminiAdapter(model, api_key(), os.environ.get(BASE_URL_VAR) or None, options)
