"""Adapters opened by a contract test; tests/contract/conftest.py closes them after each test."""

from __future__ import annotations

from typing import Any

OPEN: list[Any] = []
