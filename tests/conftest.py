"""Fixtures shared by the test files: the planted defects, and process adapters that leak
nothing.  Plain helpers are in ``tests/common.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from inngest_conformance._adapters import ProcessAdapter

from tests.common import AdapterFor, alive, children, wait_dead
from tests.defects import DEFECTS, RUN_BY_DEFAULT, Defect


@pytest.fixture(
    params=[
        pytest.param(name, marks=() if name in RUN_BY_DEFAULT else pytest.mark.slow)
        for name in sorted(DEFECTS)
    ]
)
def defect(request: pytest.FixtureRequest) -> str:
    """The name of a planted defect: each in turn (the slow suite runs those not run by
    default), unless the test parametrizes ``defect`` itself."""
    name: str = request.param
    return name


@pytest.fixture
def planted(defect: str) -> Defect:
    """The planted defect named by ``defect``."""
    return DEFECTS[defect]


@pytest.fixture(autouse=True)
def no_job_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kit appends to the file ``GITHUB_STEP_SUMMARY`` names: when this suite runs in
    GitHub Actions, the runs it makes (the CLI's, pytester's) must not write to the job's
    own summary.  A test that wants one sets the variable itself."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def no_leftover_children() -> Iterator[None]:
    """Fails the test if a child process it started still runs at its end."""
    before = children()
    yield
    left = [pid for pid in children() - before if alive(pid)]
    assert not left, f"child processes left running: {left}"


@pytest.fixture
def adapter_for() -> Iterator[AdapterFor]:
    """Makes process adapters (3 s per request unless told) and checks that closing each one
    ends its child."""
    made: list[ProcessAdapter] = []

    def make(command: list[str], **kwargs: Any) -> ProcessAdapter:
        kwargs.setdefault("request_timeout", 3.0)
        adapter = ProcessAdapter(command, **kwargs)
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        pid = adapter.pid
        adapter.close()
        if pid is not None:
            assert wait_dead(pid), f"pid {pid} outlived close()"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, when they are selected: a session that runs both (CI does, on
    several workers) then ends on short tests instead of one worker on a long one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
