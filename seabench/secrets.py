"""Keep API keys out of every file seabench writes.

Keys are read from the environment only. As a second line of defence every line written to a
run directory passes through `redact`, which masks the values of secret-looking variables
(a model could echo a key, or an exception message could contain one)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.I)
_MIN_LEN = 8
# credentials that travel inside text: user:password@ in a URL, key-like query parameters, HTTP auth headers
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@'\"<>]+@")
_QUERY_SECRET = re.compile(r"(?P<name>[?&;](?:[A-Za-z_-]*(?:key|token|secret|password|sig|signature|auth)"
                           r"[A-Za-z_-]*)=)[^&#\s'\"<>]+", re.I)
_AUTH_HEADER = re.compile(r"(?P<name>\b(?:authorization|proxy-authorization)\b[\"']?\s*[:=]\s*[\"']?"
                          r"(?:basic|bearer|token)?\s*)[A-Za-z0-9+/=._~-]{6,}", re.I)


def secret_values() -> list[str]:
    return sorted(
        {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_LEN},
        key=len,
        reverse=True,
    )


def redact(text: str) -> str:
    """`text` with secret environment values, URL credentials, key-like query parameters and
    Authorization header values masked as ***."""
    return _redact(text, secret_values())


def redactor() -> Callable[[str], str]:
    """`redact` with the secret values read once, for a writer that redacts every line it writes
    (reading the environment per line costs more than writing the line)."""
    values = secret_values()
    return lambda text: _redact(text, values)


def _redact(text: str, values: list[str]) -> str:
    for value in values:
        if value in text:
            text = text.replace(value, "***")
    if "@" in text:
        text = _URL_USERINFO.sub(r"\g<scheme>***@", text)
    if "=" in text:
        text = _QUERY_SECRET.sub(r"\g<name>***", text)
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTH_HEADER.sub(r"\g<name>***", text)
    return text
