"""A run store on PostgreSQL (psycopg 3), its workers sharing a pool of connections as a
service's do.

The runs' rules (the lifecycle table, RFC 3339 instants, what a new run may hold, what a
transition stamps) are the sqlite example's, :mod:`sqlite_run_store`: one set of rules,
two databases.  Each run is a row: its id, its status, and the whole record as JSON text
(text, not ``jsonb``, so that a record comes back exactly as it went in).  The id column
holds the id's JSON text too: PostgreSQL's text cannot hold a NUL character, which a run id
may contain (the kit's first run of this store found it).

Two versions of ``transition``:

- :class:`PostgresRunStore` moves a run with one conditional statement, ``UPDATE runs ...
  WHERE run_id = %s AND status = %s`` (the status it read): when another worker moved the
  run in between, no row changes, and the transition is read and checked again against the
  run's new status (optimistic concurrency; no lock is held across the round trips).
- :class:`NaivePostgresRunStore` is what one writes first: read the run, check the
  transition, write the new record, each statement committed on its own.  Two workers that
  both read ``RUNNING`` both write, and both are told they succeeded.

The connection string is the constructor's argument, else the ``RUNS_POSTGRES_DSN``
environment variable (``start_postgres.sh`` prints one), so the classes are targets the kit
can build with no arguments (``--target postgres_run_store:PostgresRunStore``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from psycopg_pool import ConnectionPool
from sqlite_run_store import INITIAL, StoreError, check_new, instant, moved

#: How often a transition is tried again after another worker moved its run first.
RETRIES = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    record TEXT NOT NULL
)
"""


def _key(run_id: str) -> str:
    """A run id as the id column holds it: its JSON text (``"a\\u0000b"`` for a NUL)."""
    return json.dumps(run_id)


class PostgresRunStore:
    """Runs in one PostgreSQL table; correct under concurrency (a conditional update)."""

    def __init__(self, dsn: str | None = None, *, connections: int = 8) -> None:
        found = dsn or os.environ.get("RUNS_POSTGRES_DSN")
        if not found:
            raise StoreError("no database: pass a connection string or set RUNS_POSTGRES_DSN")
        # Each statement borrows a connection (autocommit: it commits alone), as the workers
        # of a service share a pool; `connections` at most, waited for when all are busy.
        self._pool = ConnectionPool(
            found,
            min_size=1,
            max_size=connections,
            kwargs={"autocommit": True},
            open=True,
        )
        self._execute(_SCHEMA)

    def _execute(self, query: str, params: tuple[Any, ...] = ()) -> tuple[int, Any]:
        """Run one statement on a pooled connection: the rows it changed and its first row."""
        with self._pool.connection() as db:
            cursor = db.execute(query, params)  # type: ignore[arg-type]
            return cursor.rowcount, cursor.fetchone() if cursor.description else None

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresRunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Forget every run."""
        self._execute("DELETE FROM runs")

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        """Store a new run; it must be in the initial state and not yet started."""
        check_new(record)
        _, row = self._execute(
            "INSERT INTO runs (run_id, status, record) VALUES (%s, %s, %s) "
            "ON CONFLICT (run_id) DO NOTHING RETURNING record",
            (_key(record["run_id"]), INITIAL, json.dumps(record)),
        )
        if row is None:
            raise StoreError(f"run {record['run_id']!r} exists already")
        created: dict[str, Any] = json.loads(row[0])
        return created

    def get(self, run_id: str) -> dict[str, Any]:
        """The run's current record."""
        return self._load(run_id)

    def _load(self, run_id: str) -> dict[str, Any]:
        if not isinstance(run_id, str):
            raise StoreError(f"no run {run_id!r}")
        _, row = self._execute("SELECT record FROM runs WHERE run_id = %s", (_key(run_id),))
        if row is None:
            raise StoreError(f"no run {run_id!r}")
        record: dict[str, Any] = json.loads(row[0])
        return record

    def _write(self, run_id: str, run: dict[str, Any], only_from: str | None) -> bool:
        """Write ``run``; with ``only_from``, only while the run is still in that status.
        Whether a row changed."""
        query = "UPDATE runs SET status = %s, record = %s WHERE run_id = %s"
        params: tuple[str, ...] = (run["status"], json.dumps(run), _key(run_id))
        if only_from is not None:
            query += " AND status = %s"
            params += (only_from,)
        changed, _ = self._execute(query, params)
        return bool(changed == 1)

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Move a run to ``status`` at time ``at``, keeping ``output`` if given."""
        instant(at)
        for _ in range(RETRIES):
            run = self._load(run_id)
            read = run["status"]
            new = moved(run, status, at, output)
            if self._write(run_id, new, only_from=read):
                return new
        raise StoreError(f"run {run_id!r} kept changing: tried {RETRIES} times")


class NaivePostgresRunStore(PostgresRunStore):
    """Wrong under concurrency: read, check and write are three separate steps."""

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        new = moved(self._load(run_id), status, at, output)
        self._write(run_id, new, only_from=None)
        return new
