"""Keep API keys out of every file seabench writes.

Keys are read from the environment only. As a second line of defence every line written to a
run directory passes through `redact`, which masks the values of secret-looking variables
(a model could echo a key, or an exception message could contain one)."""

from __future__ import annotations

import os
import re

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.I)
_MIN_LEN = 8


def secret_values() -> list[str]:
    return sorted(
        {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_LEN},
        key=len,
        reverse=True,
    )


def redact(text: str) -> str:
    for value in secret_values():
        if value in text:
            text = text.replace(value, "***")
    return text
