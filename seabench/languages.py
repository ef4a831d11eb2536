"""Language codes used across tasks, prompts and reports."""

from __future__ import annotations

NAMES = {
    "en": "English", "id": "Indonesian", "ms": "Malay", "vi": "Vietnamese", "th": "Thai", "zh": "Chinese",
    "ta": "Tamil", "tl": "Filipino", "km": "Khmer", "lo": "Lao", "my": "Burmese", "yue": "Cantonese",
    "ja": "Japanese", "ko": "Korean", "fr": "French", "de": "German", "es": "Spanish", "ar": "Arabic",
}


def primary(code: str | None) -> str:
    """BCP-47 primary subtag, with Mandarin aliases folded into zh."""
    if not code:
        return "und"
    base = code.replace("_", "-").split("-")[0].lower()
    return "zh" if base in ("cmn", "zho", "chi") else base


def name(code: str | None) -> str:
    return NAMES.get(primary(code), code or "unknown")
