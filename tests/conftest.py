"""Shared test configuration."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, when they are selected: a session that runs both (CI does, on
    several workers) then ends on short tests instead of one worker on a long one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
