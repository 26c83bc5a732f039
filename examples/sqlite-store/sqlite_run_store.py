"""A run store on the standard library's sqlite3: create runs, move them, read them back.

The store keeps each run as one row: the run id, its status, and the whole record as JSON
(so that whatever a record carries -- NUL characters, non-BMP text, deeply nested output --
comes back exactly as it went in).  The lifecycle rules are the table below; every change
happens inside one transaction that reads the current row and writes the new one, so two
writers cannot both move a run out of the same state.

Refusals raise :class:`StoreError` (a ``ValueError``), which is what callers -- and the
conformance kit's in-process adapter -- take as "the store said no".
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from os import PathLike
from typing import Any

INITIAL = "QUEUED"
TRANSITIONS: dict[str, frozenset[str]] = {
    "QUEUED": frozenset({"RUNNING", "CANCELLED"}),
    "RUNNING": frozenset({"PAUSED", "COMPLETED", "FAILED", "CANCELLED"}),
    "PAUSED": frozenset({"RUNNING", "CANCELLED"}),
}
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
STATUSES = frozenset(TRANSITIONS) | TERMINAL
FIELDS = frozenset(
    {"run_id", "function_id", "app_id", "status", "event_id", "output", "started_at", "ended_at"}
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    record TEXT NOT NULL
)
"""

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z",
    re.ASCII,
)


class StoreError(ValueError):
    """The store refused a request; the message says why."""


def instant(text: Any) -> datetime:
    """An RFC 3339 date-time as an aware ``datetime``, for ordering.

    A leap second (``:60``) counts as the last instant of its minute.
    """
    match = _DATETIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise StoreError(f"{text!r} is not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7) or "", match.group(8)
    micros = int((fraction[1:] + "000000")[:6]) if fraction else 0
    tz = timezone.utc
    if offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), micros, tzinfo=tz)
    except ValueError as exc:
        raise StoreError(f"{text!r} is not an RFC 3339 date-time: {exc}") from None


def check_new(record: Any) -> None:
    """Refuse a record that cannot start a run: not an object, unknown properties, ids that
    are not strings, a status other than the initial one, a start or an end already."""
    if not isinstance(record, dict):
        raise StoreError(f"a run is a JSON object, not {type(record).__name__}")
    unknown = sorted(set(record) - FIELDS)
    if unknown:
        raise StoreError(f"unknown properties: {', '.join(map(repr, unknown))}")
    for key in ("run_id", "function_id"):
        if not isinstance(record.get(key), str):
            raise StoreError(f"{key} must be a string")
    if record.get("status") != INITIAL:
        raise StoreError(f"a new run must be {INITIAL}, not {record.get('status')!r}")
    for later in ("started_at", "ended_at"):
        if later in record:
            raise StoreError(f"a new run has no {later} yet")


def moved(run: dict[str, Any], status: str, at: str, output: Any) -> dict[str, Any]:
    """``run`` moved to ``status`` at ``at``, keeping ``output`` if given, or a refusal:
    the table checked, ``at`` not before the run started, the first start and the end
    stamped."""
    when = instant(at)
    current = run["status"]
    if status not in TRANSITIONS.get(current, frozenset()):
        raise StoreError(f"cannot go from {current} to {status!r}")
    started = run.get("started_at")
    if started is not None and when < instant(started):
        raise StoreError(f"'at' {at} is before started_at {started}")
    if started is None and status not in TERMINAL:
        run["started_at"] = at
    if status in TERMINAL:
        run["ended_at"] = at
    if output is not None:
        run["output"] = output
    run["status"] = status
    return run


class SqliteRunStore:
    """Runs in one SQLite database file (or ``":memory:"``)."""

    def __init__(self, path: str | PathLike[str] = ":memory:") -> None:
        # Autocommit mode: every method opens its own transaction explicitly.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteRunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Forget every run."""
        self._db.execute("DELETE FROM runs")

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        """Store a new run; it must be in the initial state and not yet started."""
        check_new(record)
        try:
            self._db.execute(
                "INSERT INTO runs (run_id, status, record) VALUES (?, ?, ?)",
                (record["run_id"], INITIAL, json.dumps(record)),
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"run {record['run_id']!r} exists already") from None
        return self.get(record["run_id"])

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Move a run to ``status`` at time ``at``, keeping ``output`` if given."""
        instant(at)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            run = moved(self._load(run_id), status, at, output)
            self._db.execute(
                "UPDATE runs SET status = ?, record = ? WHERE run_id = ?",
                (status, json.dumps(run), run_id),
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return run

    def get(self, run_id: str) -> dict[str, Any]:
        """The run's current record."""
        return self._load(run_id)

    def _load(self, run_id: str) -> dict[str, Any]:
        row = self._db.execute("SELECT record FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"no run {run_id!r}")
        record: dict[str, Any] = json.loads(row[0])
        return record
