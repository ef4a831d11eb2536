"""Errors a user can fix. The CLI prints their message as one line, without a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """A mistake in how seabench was called: unknown name, bad manifest, missing extra or key."""


class MissingExtra(UserError):
    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install 'seabench[{extra}]'"
        )


def unknown_name(kind: str, name: str, known: Iterable[str]) -> UserError:
    """One line naming the closest known names, so typos are fixed in one go."""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.4)
    hint = close or known[:8]
    more = "" if close else (f" (and {len(known) - 8} more; see `seabench {kind}s`)" if len(known) > 8 else "")
    return UserError(f"unknown {kind} {name!r}; closest known: {', '.join(hint) or 'none'}{more}")


def require(module: str, extra: str, purpose: str):  # noqa: ANN201 - returns a module
    """Import an optional dependency or fail with the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module.split(".")[0], extra, purpose) from exc
