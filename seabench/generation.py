"""Generation settings from the command line to the adapter: parse `-G key=value`, merge them over a
task's defaults, and check that the model can honour them.

The merge order is task default <- the user's `-G` (which wins for every task). `--seed` fills
`seed` unless `-G seed=` is given. An adapter declares the settings it honours
(`ModelAdapter.generation_keys`); a setting the user asked for that it cannot honour is refused
before anything runs, while a task default it cannot honour is reset and reported as a warning,
so the manifest and the cache key always describe what was really sent."""

from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import ValidationError

from seabench.errors import UserError
from seabench.types import GENERATION_KEYS, GenerationConfig

LIST_KEYS = ("stop",)


def parse_generation(pairs: list[str]) -> dict[str, Any]:
    """`-G key=value` pairs (also lm-eval's `--gen-kwargs k=v,k=v`) -> raw settings.

    Values stay text for pydantic to coerce by field type (so `system_prompt=123` stays text);
    `stop` may repeat or be a JSON list; unknown keys are adapter-specific extras."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UserError(f"generation setting {pair!r} must look like key=value (e.g. -G max_new_tokens=64)")
        key, raw = (part.strip() for part in pair.split("=", 1))
        if key in LIST_KEYS:
            values = json.loads(raw) if raw.startswith("[") else [raw]
            out[key] = [*out.get(key, []), *map(str, values)]
        else:
            out[key] = raw
    return out


def split_gen_kwargs(text: str | None) -> list[str]:
    """lm-eval style `--gen-kwargs temperature=0.7,max_new_tokens=64` -> ["temperature=0.7", ...]."""
    if not text:
        return []
    return [part for part in (p.strip() for p in text.split(",")) if part]


def _coerce_extra(raw: Any) -> str | int | float | bool:
    if isinstance(raw, str):
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        for cast in (int, float):
            try:
                return cast(raw)
            except ValueError:
                pass
    return raw


def merge_generation(default: GenerationConfig, user: dict[str, Any], seed: int) -> GenerationConfig:
    """The settings one task runs with: its defaults, then `--seed`, then the user's `-G` values."""
    standard = {k: [v] if k in LIST_KEYS and isinstance(v, str) else v for k, v in user.items() if k in GENERATION_KEYS}
    extra = {**default.extra, **{k: _coerce_extra(v) for k, v in user.items() if k not in GENERATION_KEYS}}
    merged = {**default.model_dump(), "seed": seed, **standard, "extra": extra}
    try:
        return GenerationConfig.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise UserError(f"generation setting {where}: {message}" if where else f"generation settings: {message}") from None


def refuse_unsupported(model: str, supported: frozenset[str] | None, user: dict[str, Any]) -> None:
    """One clear line for a `-G` setting this model cannot honour (or a typo of a known one)."""
    if not user:
        return
    if supported is None:
        raise UserError(f"{model} replays stored outputs: generation settings (-G {', '.join(sorted(user))}) "
                        "do not apply to it")
    for key in sorted(user):
        name = key if key in GENERATION_KEYS else f"extra.{key}"
        if name in supported:
            continue
        takes = sorted(k.removeprefix("extra.") for k in supported)
        close = difflib.get_close_matches(key, [*GENERATION_KEYS, *takes], n=1)
        hint = f" (did you mean {close[0]}?)" if close and close[0] != key else ""
        raise UserError(f"{model} cannot honour the generation setting {key!r}{hint}; it takes: {', '.join(takes)}")


def settle(config: GenerationConfig, supported: frozenset[str] | None) -> tuple[GenerationConfig, list[str]]:
    """Reset task defaults the model cannot honour (user values were refused earlier); say what was reset."""
    if supported is None:
        return config, []
    base = GenerationConfig()
    dropped = {k: v for k, v in config.non_default().items() if k != "seed" and k not in supported}
    if not dropped:
        return config, []
    update: dict[str, Any] = {k: getattr(base, k) for k in dropped if not k.startswith("extra.")}
    extra = {k: v for k, v in config.extra.items() if f"extra.{k}" not in dropped}
    settled = GenerationConfig.model_validate({**config.model_dump(), **update, "extra": extra})
    notes = [f"{k}={v!r}" for k, v in sorted(dropped.items())]
    return settled, notes


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """Text up to the earliest stop string (excluded), and whether one was found; as vLLM and OpenAI do."""
    ends = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return (text[:min(ends)], True) if ends else (text, False)
