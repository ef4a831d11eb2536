"""Shared fixtures for adapter contract tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.closing import OPEN


@pytest.fixture(autouse=True)
def _close_adapters() -> Iterator[None]:
    """Close adapters a test opened (each owns a loop thread and an HTTP client)."""
    yield
    while OPEN:
        OPEN.pop().close()
