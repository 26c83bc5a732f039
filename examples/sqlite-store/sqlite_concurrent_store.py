"""The sqlite run store with a connection per thread, as a service with several workers has.

Two versions of ``transition``, both on one database file shared by every connection:

- :class:`NaiveSqliteRunStore` is what one writes first: read the run's status, check the
  transition against the table, write the new record, each statement committed on its own.
  Two workers that both read ``RUNNING`` both write, and both are told they succeeded.
- :class:`ConcurrentSqliteRunStore` reads and writes in one ``BEGIN IMMEDIATE``
  transaction: SQLite takes the database's write lock when the transaction begins, so the
  read-check-write of one worker cannot interleave with another's.

The validation, the table and the record handling are :mod:`sqlite_run_store`'s
(:func:`~sqlite_run_store.moved`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
from os import PathLike
from typing import Any

from sqlite_run_store import _SCHEMA, SqliteRunStore, instant, moved


class _PerThreadStore(SqliteRunStore):
    """A :class:`SqliteRunStore` whose every thread has a connection of its own.

    With no path, the database is a file in a fresh temporary folder (an in-memory
    database is one connection's alone).
    """

    def __init__(self, path: str | PathLike[str] | None = None) -> None:
        if path is None:
            path = os.path.join(tempfile.mkdtemp(prefix="runs-"), "runs.db")
        self._path = os.fspath(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    @property  # type: ignore[override]
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode; a busy database is waited for (up to 10 s), not refused.
            db = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=10
            )
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._guard:
                self._all.append(db)
        return db

    def close(self) -> None:
        with self._guard:
            for db in self._all:
                db.close()
            self._all.clear()


class ConcurrentSqliteRunStore(_PerThreadStore):
    """Correct under concurrency: each transition is one ``BEGIN IMMEDIATE`` transaction."""

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        instant(at)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            run = moved(self._load(run_id), status, at, output)
            db.execute(
                "UPDATE runs SET status = ?, record = ? WHERE run_id = ?",
                (status, json.dumps(run), run_id),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return run


class NaiveSqliteRunStore(_PerThreadStore):
    """Wrong under concurrency: read, check and write are three separate steps."""

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        instant(at)
        run = moved(self._load(run_id), status, at, output)
        self._db.execute(
            "UPDATE runs SET status = ?, record = ? WHERE run_id = ?",
            (status, json.dumps(run), run_id),
        )
        return run
