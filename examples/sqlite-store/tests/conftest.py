from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_run_store import SqliteRunStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteRunStore]:
    """A store on a fresh database file, closed after the test."""
    with SqliteRunStore(tmp_path / "runs.db") as opened:
        yield opened
