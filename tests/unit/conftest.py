"""Fixtures shared by unit-test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.reference_fixtures import one_torch_thread


@pytest.fixture(scope="module")
def single_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread; use with `pytestmark = pytest.mark.usefixtures(...)`."""
    with one_torch_thread():
        yield
