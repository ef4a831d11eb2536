"""`gemini:MODEL` judge (default `gemini:gemini-2.5-flash`): Gemini hears the user's audio.

Requests: system instruction = the judge rules, contents = the audio part(s) + the rubric prompt,
temperature from the call (0 unless n-sample judging), JSON output constrained by a schema
{rationale: string, score: integer} (rationale first so the score follows the reasoning), and
thinking off (budget 0) on models that allow it (`-J thinking_budget=none` for models that reject
the setting). Parsing still goes through `parse_verdict` (JSON, then the regex fallback).

Audio goes inline below the inline limit, otherwise it is uploaded once per audio sha256 through
the Files API and the upload is reused by every later request (and run) for 48 h; `upload=true`
uploads everything (worth it with n-sample judging or several models judged on the same clips).
Key, endpoint (GOOGLE_GEMINI_BASE_URL), uploads, errors, retries and the adaptive limit are those
of the gemini model adapter (seabench.models.gemini).

Snapshot: `snapshot()` is needed before the first request (it keys the cache), so it is the
configured id, e.g. `gemini:gemini-2.5-flash`. The `modelVersion` each answer reports is collected
in `served_versions`; pin a dated model name for strict reproducibility."""

from __future__ import annotations

from typing import Any

from seabench.judges._api import AdapterJudge, split_options

from seabench.errors import UserError, require
from seabench.judging import JudgeReply, JudgeRequest
from seabench.judging.request import SYSTEM
from seabench.retry import CallError
from seabench.types import ModelInput

OWN_OPTIONS = {"upload", "max_output_tokens"}
ADAPTER_OPTIONS = {"concurrency", "timeout", "max_retries", "backoff", "max_backoff", "inline_limit_mb",
                   "thinking_budget", "api_version", "processing_poll_s"}


def verdict_schema() -> Any:
    from google.genai import types

    return types.Schema(type=types.Type.OBJECT, required=["rationale", "score"], property_ordering=["rationale", "score"],
                        properties={"rationale": types.Schema(type=types.Type.STRING),
                                    "score": types.Schema(type=types.Type.INTEGER)})


def reply_text(response: Any) -> str:
    """The answer's text parts (thoughts dropped); "" when blocked or empty."""
    if not response.candidates:
        return ""
    content = response.candidates[0].content
    return "".join(p.text for p in (content.parts or []) if p.text and not p.thought) if content else ""


class GeminiJudge(AdapterJudge):
    accepts_audio = True

    def __init__(self, spec: str, adapter: Any, options: dict[str, Any]) -> None:
        super().__init__(spec, adapter, options)
        self.served_versions: set[str] = set()
        self._configs: dict[float, Any] = {}

    def config(self, temperature: float) -> Any:
        """Built once per temperature: validating it is a noticeable share of a call's CPU time."""
        if temperature not in self._configs:
            self._configs[temperature] = self._config(temperature)
        return self._configs[temperature]

    def _config(self, temperature: float) -> Any:
        from google.genai import types

        budget = self.adapter.thinking_budget
        return types.GenerateContentConfig(
            system_instruction=SYSTEM, temperature=temperature, max_output_tokens=self.max_output_tokens,
            response_mime_type="application/json", response_schema=verdict_schema(),
            thinking_config=types.ThinkingConfig(thinking_budget=budget) if budget is not None else None)

    async def contents(self, request: JudgeRequest, with_audio: bool) -> tuple[list[Any], list[str], int]:
        """[user content], the audio hashes sent as uploaded files, and retries spent uploading
        (an upload that failed for good raises)."""
        from google.genai import types

        refs = request.audio if with_audio else []
        inp = ModelInput(sample_id=request.sample_id, task=request.task, prompt=request.prompt(with_audio),
                         audio=[ref.load() for ref in refs], audio_refs=list(refs))
        # the model adapter decides inline vs Files API and reuses uploads by audio sha256
        parts, retries, error, as_files = await self.adapter.parts(inp)
        if error is not None:  # the adapter already retried the upload
            raise CallError(f"audio upload failed: {error.describe()}", retryable=False)
        return [types.Content(role="user", parts=parts)], as_files, retries

    async def acall(self, request: JudgeRequest, with_audio: bool, temperature: float) -> JudgeReply:
        from seabench.models.gemini import _translate

        contents, as_files, upload_retries = await self.contents(request, with_audio)
        try:
            response = await self.client().aio.models.generate_content(
                model=self.adapter.model, contents=contents, config=self.config(temperature))
        except Exception as exc:
            error = _translate(exc)
            if as_files and error.status in (400, 403, 404):
                self.adapter.uploads.drop(as_files)  # expired or deleted upload: the retry uploads again
                raise CallError(f"uploaded audio unusable ({error.describe()}); uploading again") from exc
            raise error from exc
        if not response.candidates and response.prompt_feedback is None:
            raise CallError("malformed response: no candidates and no promptFeedback")
        if response.model_version:
            self.served_versions.add(response.model_version)
        usage = response.usage_metadata
        return JudgeReply(raw=reply_text(response), audio_seen=with_audio, retries=upload_retries,
                          model_version=response.model_version,
                          input_tokens=getattr(usage, "prompt_token_count", None),
                          output_tokens=getattr(usage, "candidates_token_count", None))


def describe(spec: str, options: dict[str, Any]) -> tuple[str, bool]:
    """(snapshot, hears audio) without a client or a key, for `seabench score --dry-run`."""
    split_options(spec, options, OWN_OPTIONS, ADAPTER_OPTIONS)
    return spec, True


def create(spec: str, options: dict[str, Any]) -> GeminiJudge:
    from seabench.models import gemini as gemini_models

    require("google.genai", "gemini", "the gemini judge")
    own, passed = split_options(spec, options, OWN_OPTIONS, ADAPTER_OPTIONS)
    if str(own.get("upload", "false")).lower() in ("1", "true", "yes"):
        passed["inline_limit_mb"] = 0
    model = spec.split(":", 1)[1].strip() if ":" in spec else ""
    if not model:
        raise UserError(f"judge id {spec!r} must look like gemini:MODEL, e.g. gemini:gemini-2.5-flash")
    adapter = gemini_models.create(f"gemini:{model}", {**passed, "probe": False})
    return GeminiJudge(spec, adapter, own)
