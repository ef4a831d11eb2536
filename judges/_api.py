"""What the API judges share: they ride on the matching model adapter (seabench.models.gemini /
openai_compat) for the client, the key and endpoint rules, error translation, the retry policy and
the AdaptiveLimiter, so a judge and a model adapter behave the same against the same server."""

from __future__ import annotations

from typing import Any

from seabench.models.api_common import ApiAdapter

from seabench.adapter import check_options
from seabench.judging import JudgeBackend

MAX_OUTPUT_TOKENS = 1024  # two short paragraphs of rationale and a score, with room to spare
TIMEOUT_S = 120.0  # per attempt; a judge reply is short, so a stuck call is retried sooner than a model's


def split_options(spec: str, options: dict[str, Any], own: set[str], adapter: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Judge options -> (judge-only options, options passed on to the model adapter)."""
    check_options(spec, options, own | adapter)
    passed = {"timeout": TIMEOUT_S, **{k: v for k, v in options.items() if k not in own}}
    return {k: v for k, v in options.items() if k in own}, passed


class AdapterJudge(JudgeBackend):
    """A judge that sends its requests through an ApiAdapter's client and shares its limiter."""

    def __init__(self, spec: str, adapter: ApiAdapter[Any], options: dict[str, Any]) -> None:
        self.id = spec
        self.adapter = adapter
        self.concurrency = adapter.concurrency
        self.policy = adapter.policy
        self.__dict__["_limiter"] = adapter.limiter  # uploads and judge calls slow down together
        self.max_output_tokens = int(options.get("max_output_tokens", MAX_OUTPUT_TOKENS))
        self.warnings: list[str] = []

    def snapshot(self) -> str:
        """The judge id as given (no credentials): stable before any call, so verdicts and cache keys
        made by the same configured judge always match (the gemini judge collects served versions)."""
        return self.id

    def client(self) -> Any:
        return self.adapter.client()

    async def aclose_loop(self) -> None:
        # judge() runs its own event loop: close the client made in it before the loop ends.
        await self.adapter.aclose_client()
