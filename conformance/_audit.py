"""Auditing a source: the records an implementation emitted, read from a JSON Lines file.

A line holds a record, a JSON array of records, or an API response wrapping them
(``{"data": run | [run, ...], "metadata": {...}}``, as Inngest's REST APIs answer): what
``curl`` saved is audited as it is.  A record that fails the schema in use but fits another
record profile (a v1 run audited against the design card's schema) is named in a warning,
with what gives it away.

Nothing is generated here: every record is checked with the oracle, and each run's records
(grouped by their run's id in file order: ``run_id``, or the property the lifecycle table's
``fields`` name for it) are checked as an *observed* status sequence — what a
poller sees may repeat a status or skip states along a legal path, but never go backwards
or leave a terminal state — and against every record invariant the lifecycle level checks,
within a record and across the run's records (the same judge, ``record_breaches``).  Every
bad line is reported, not only the first.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby, pairwise, permutations
from typing import Any

from inngest_conformance._adapters.base import Description
from inngest_conformance._encode import clip
from inngest_conformance._engine import Result, requirement_seed
from inngest_conformance._requirements import Context, source_requirements
from inngest_conformance._run import Certification, now_iso
from inngest_conformance._run_programs import History, instant, record_breaches, same_time
from inngest_conformance.errors import UsageError
from inngest_conformance.report import RunInfo, build_report
from inngest_conformance.strategies import (
    RECORD_PROFILES,
    LifecycleModel,
    Oracle,
    OracleError,
    RecordProfile,
    RunSchema,
    check_observed,
)
from inngest_conformance.strategies._files import NotStrictJson, strict_json

VALID = "source:emits-valid-records"
FORMATS = "source:emits-valid-formats"


#: The longest ``audit`` spends judging one record against the schema, in seconds
#: (``audit --record-timeout``): a pattern that backtracks without end (``^(a+)+$``) makes
#: that line undecided, not the run endless.
RECORD_TIMEOUT = 2.0


#: The keys of an API response that wraps runs: ``data`` (one run or a list), and the
#: ``metadata`` (``fetchedAt``, ``cachedUntil``) and ``page`` (v2's cursor) beside it.
ENVELOPE_KEYS = frozenset({"data", "metadata", "page"})


#: The words of a warning that names the record profile failing records fit.
FITS = "fit record profile"

#: The member of an API response's ``metadata`` that says when it was read (Inngest's
#: REST API answers ``{"data": .., "metadata": {"fetchedAt": "2024-..Z", ..}}``).
READ_TIME = "fetchedAt"
#: The words of the warning that says how ``--workers`` judged the runs.
WORKERS = "--workers: line order is not time order"


def unwrapped(rows: Iterable[tuple[int, Any]], schema: RunSchema) -> Iterator[tuple[int, Any]]:
    """Each record of each row, with its row's line number: a JSON array's items, an API
    response's ``data`` (one record or a list).  A record whose schema has a ``data``
    property is never taken for a response."""
    for number, record, _ in read_records(rows, schema):
        yield number, record


def read_records(
    rows: Iterable[tuple[int, Any]], schema: RunSchema
) -> Iterator[tuple[int, Any, Any]]:
    """:func:`unwrapped`'s records, each with the time it was read where its row says:
    an API response's ``metadata.fetchedAt`` (``None`` for a row without one)."""
    for number, value in rows:
        read_at = None
        if (
            isinstance(value, dict)
            and "data" in value
            and set(value) <= ENVELOPE_KEYS
            and not schema.has("data")
        ):
            metadata = value.get("metadata")
            if isinstance(metadata, dict):
                read_at = metadata.get(READ_TIME)
            value = value["data"]
        if isinstance(value, list):
            for item in value:
                yield number, item, read_at
        else:
            yield number, value, read_at


def judged_against(schema: RunSchema) -> str:
    """What an audit's records are judged against, in words: a record profile's name and
    what it is, or the schema's title."""
    from inngest_conformance.strategies._record_profiles import profile_of

    profile = profile_of(schema)
    if profile is not None:
        return f"record profile {profile.name}: {profile.title}"
    return f"the schema {schema.title!r}" if schema.title else "the schema given"


class _Overdue(Exception):
    """A record's judgement ran past :data:`RECORD_TIMEOUT`."""


class _Timer:
    """The deadline of each record's judgement: :class:`_Overdue` is raised in a record's
    judgement after ``seconds``.  Its handler is set once for a whole audit (on the main
    thread, where a timer signal can interrupt a regular expression; elsewhere there is
    no bound), the timer armed per record."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = False
        self._previous: Any = None

    def __enter__(self) -> _Timer:
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self._previous = signal.signal(signal.SIGALRM, self._overdue)
            self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self.active = False

    @staticmethod
    def _overdue(signum: int, frame: Any) -> None:
        raise _Overdue

    def arm(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def disarm(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)


#: The longest line ``audit`` reads, in bytes (``audit --max-line-mb`` sets another): a
#: longer one is reported as a bad line and skipped, never held whole.
MAX_LINE_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


def _lines(path: str, max_line: int) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of each non-blank line of ``path``, read as it streams (a
    pipe is fine; a device or a folder is a usage error): the parsed JSON, or a
    :class:`_NotJson` saying why the line is none."""
    try:
        info = os.stat(path)
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) or stat.S_ISDIR(info.st_mode):
            raise UsageError(f"cannot read {path}: it is not a file of records")
        fh = open(path, "rb")  # noqa: SIM115 (closed below, across the yields)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        number = 0
        while True:
            raw = fh.readline(max_line + 1)
            if not raw:
                return
            number += 1
            if len(raw) > max_line and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest, never hold it
                    raw = fh.readline(_CHUNK)
                yield (
                    number,
                    _NotJson(f"line {number} is longer than {max_line} bytes (--max-line-mb)", ""),
                )
                continue
            if not raw.strip():
                continue
            yield number, _parse(number, raw)


def _parse(number: int, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _NotJson(f"line {number} is not UTF-8 text (byte {exc.start + 1})", "")
    try:
        return strict_json(text)
    except json.JSONDecodeError:
        return _NotJson(f"line {number} is not JSON", text.rstrip("\n"))
    except NotStrictJson as exc:
        return _NotJson(f"line {number} is not JSON as RFC 8259 has it: {exc}", text.rstrip("\n"))
    except RecursionError:
        return _NotJson(f"line {number} is not JSON that can be read: it nests deeper", text)


class _NotJson:
    """A line that is no JSON value: why, and its text for the report (clipped)."""

    __slots__ = ("reason", "text")

    def __init__(self, reason: str, text: str) -> None:
        self.reason, self.text = reason, clip(text, 2000)


#: How many bad lines (or runs) a requirement's message names; the rest are counted.
LISTED = 20

#: Why a requirement was judged on no case: it is skipped, never passed, for a file that
#: cannot show what it asks ({started_at} and the like are the record's own names).
UNEXERCISED = {
    "source:emits-valid-records": "no line holds a JSON value",
    "source:emits-valid-formats": "no line holds a JSON value",
    "source:statuses-follow-lifecycle": "no run has two records with known statuses: no step "
    "between statuses was seen",
    "source:ids-never-change": "no run has a second record to compare its ids with",
    "source:started-at-never-changes": "no record follows one of the same run that showed "
    "{started_at}",
    "source:no-started-at-while-initial": "no record has the initial status {initial}",
    "source:ended-at-exactly-when-terminal": "no record has a status of the lifecycle table",
    "source:ended-at-not-before-started-at": "no run shows both {started_at} and {ended_at}",
    "source:keeps-output": "no record follows one of a terminal status that showed {output}",
}


@dataclass
class Extent:
    """What an audit's verdict rests on: the records read, the runs they belong to, the
    steps between consecutive records of a run that changed its status (transitions),
    and how many cases each requirement was judged on."""

    records: int = 0
    runs: int = 0
    transitions: int = 0
    cases: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    """The non-blank lines read, JSON or not."""
    fits: list[str] = field(default_factory=list)
    """Warnings: records that fail the schema but fit another record profile."""
    notes: list[str] = field(default_factory=list)
    """How the records were judged, where that is not by line order (``--workers``)."""

    def to_json(self) -> dict[str, int]:
        return {"records": self.records, "runs": self.runs, "transitions": self.transitions}


def _line_errors(errors: list[OracleError]) -> str:
    return "; ".join(f"{e.path or '/'}: {e.message}" for e in errors)


@dataclass(slots=True)
class _Failures:
    """One requirement's failures: how many, the first :data:`LISTED` messages, and the
    first one's evidence (the rest are counted, not kept: a file may have millions)."""

    count: int = 0
    messages: list[str] = field(default_factory=list)
    first: tuple[Any, Any] | None = None

    def add(self, message: str, counterexample: Any, expected: Any) -> None:
        self.count += 1
        if len(self.messages) < LISTED:
            self.messages.append(message)
        if self.first is None:
            self.first = (counterexample, expected)

    def message(self) -> str:
        if self.count == 1:
            return self.messages[0]
        more = f"; and {self.count - LISTED} more" if self.count > LISTED else ""
        return f"{self.count} failures: {'; '.join(self.messages)}{more}"


@dataclass(slots=True)
class _Seen:
    """What one run's earlier records fixed: the record invariants' history, and the
    statuses seen so far (the model's own strings)."""

    history: History
    statuses: list[str]


class _Audit:
    """Judges records one at a time, keeping per run only what later records are held to."""

    def __init__(self, ctx: Context, timer: _Timer, workers: bool = False) -> None:
        self.ctx = ctx
        self.timer = timer
        self.workers = workers
        """The lines interleave several workers' records: line order is not time order, so
        each run's records are kept and judged at the end (:meth:`_judge_workers`)."""
        self.kept: dict[str | int, list[tuple[Any, int, dict[str, Any]]]] = {}
        self.untimed: set[str | int] = set()
        self.found: dict[str, _Failures] = {}
        self.undecided = _Failures()
        self.extent = Extent()
        self.runs: dict[str | int, _Seen] = {}
        self.known = {s: s for s in ctx.model.statuses}
        self.asked: Counter[str] = Counter()  # record invariants, by the lifecycle's names
        self.lines = 0
        self.others = [
            (p, Oracle(p.schema())) for p in RECORD_PROFILES.values() if p.schema() != ctx.schema
        ]
        self.fitting: dict[str, tuple[list[int], str]] = {}

    def fail(self, rid: str, message: str, counterexample: Any, expected: Any) -> None:
        self.found.setdefault(rid, _Failures()).add(message, counterexample, expected)

    def feed(self, number: int, record: Any, read_at: Any = None) -> None:
        self.lines += 1
        if isinstance(record, _NotJson):
            self.fail(VALID, record.reason, record.text, {"valid": True})
            return
        ctx, extent = self.ctx, self.extent
        extent.records += 1
        extent.cases.update((VALID, FORMATS))
        try:
            self.timer.arm()
            errors = [] if ctx.oracle.fast_is_valid(record) else ctx.oracle.errors(record)
            self.timer.disarm()
        except _Overdue:
            self.undecided.add(
                f"line {number} was not judged within {self.timer.seconds:g} s "
                "(--record-timeout): a pattern of the schema may backtrack without end",
                record,
                {"valid": True},
            )
            errors = []
        structure = [e for e in errors if e.keyword != "format"]
        formats = [e for e in errors if e.keyword == "format"]
        if structure:
            self.fail(VALID, f"line {number}: {_line_errors(structure)}", record, {"valid": True})
            self._fits(number, record)
        if formats:
            self.fail(FORMATS, f"line {number}: {_line_errors(formats)}", record, {"valid": True})
        fields = ctx.model.fields
        run_id = record.get(fields.run_id) if isinstance(record, dict) else None
        if isinstance(run_id, (str, int)) and not isinstance(run_id, bool):
            assert isinstance(record, dict)
            if self.workers:
                self.kept.setdefault(run_id, []).append((instant(read_at), number, record))
            else:
                self._in_run(number, run_id, record)

    def _fits(self, number: int, record: Any) -> None:
        """Note the first other record profile ``record`` is valid under."""
        for profile, oracle in self.others:
            if oracle.is_valid(record):
                lines, _ = self.fitting.setdefault(
                    profile.name, ([], differences(record, self.ctx, profile))
                )
                lines.append(number)
                return

    def _in_run(self, number: int, run_id: str | int, record: dict[str, Any]) -> None:
        model, fields = self.ctx.model, self.ctx.model.fields
        seen = self.runs.get(run_id)
        if seen is None:
            # The first record fixes the ids the later ones are held to.
            seen = self.runs[run_id] = _Seen(History(), [])
        status = record.get(fields.status)
        if isinstance(status, str) and status in self.known:
            seen.statuses.append(self.known[status])
        status = status if isinstance(status, str) else ""
        history = seen.history
        for breach in record_breaches(model, status, record, history, self.asked):
            self.fail(
                f"source:{breach.invariant}",
                f"line {number} (run {run_id!r}): {breach.message}",
                record,
                breach.expected,
            )
        if history.ids is None:
            history.ids = fields.ids(record)
        if (
            not history.has_output
            and status in model.statuses
            and model.is_terminal(status)
            and fields.output is not None
            and fields.output in record
        ):
            history.output, history.has_output = record[fields.output], True

    def _judge_workers(self) -> None:
        """Each kept run's records: in the order they were read where every one of them
        says when (ties in an order the lifecycle explains, if one does); else only what
        no order can explain (:meth:`_without_order`)."""
        for run_id, rows in self.kept.items():
            if all(key is not None for key, _, _ in rows):
                for number, record in read_order(self.ctx.model, rows):
                    self._in_run(number, run_id, record)
            else:
                self.untimed.add(run_id)
                self._without_order(run_id, [(number, record) for _, number, record in rows])

    def _without_order(self, run_id: str | int, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """What a run's records show whatever order they were written in: each record on its
        own, ids that differ, two start times, and an end that is not one end (two terminal
        statuses, or end times or outputs that differ)."""
        model, fields = self.ctx.model, self.ctx.model.fields
        ids = fields.ids(rows[0][1])
        start: tuple[int, Any] | None = None
        end: tuple[int, dict[str, Any]] | None = None
        for index, (number, record) in enumerate(rows):
            status = record.get(fields.status)
            status = status if isinstance(status, str) else ""
            where = f"line {number} (run {run_id!r})"
            # Each record on its own, its ids held to the first record's.
            alone = History(ids=ids if index else None)
            for breach in record_breaches(model, status, record, alone, self.asked):
                self.fail(f"source:{breach.invariant}", f"{where}: {breach.message}", record,
                          breach.expected)  # fmt: skip
            began = None if fields.started_at is None else record.get(fields.started_at)
            if began is not None and start is None:
                start = (number, began)
            elif began is not None and start is not None:
                self.asked["started-at-never-changes"] += 1
                if not same_time(began, start[1]):
                    self.fail("source:started-at-never-changes",
                              f"{where}: {fields.started_at} {began!r}, and {start[1]!r} on "
                              f"line {start[0]}: a run starts once, in any order of its lines",
                              record, {fields.started_at: start[1]})  # fmt: skip
            if status in model.statuses and model.is_terminal(status):
                if end is None:
                    end = (number, record)
                else:
                    self._two_ends(run_id, end, (number, record))

    def _two_ends(
        self, run_id: str | int, first: tuple[int, dict[str, Any]], then: tuple[int, dict[str, Any]]
    ) -> None:
        """Two terminal records of one run: one end, seen twice, or no order explains them."""
        fields = self.ctx.model.fields
        (a, one), (b, other) = first, then
        order = "source:statuses-follow-lifecycle"
        self.extent.cases[order] += 1
        where = f"run {run_id!r}, lines {a} and {b}"
        status, again = one.get(fields.status), other.get(fields.status)
        if status != again:
            self.fail(order, f"{where}: ended {status} and ended {again}: no order of its records "
                      "explains two outcomes", {fields.run_id: run_id, "statuses": [status, again]},
                      {"valid": True})  # fmt: skip
            return
        name = fields.ended_at
        if name is not None and not same_time(one.get(name), other.get(name)):
            self.fail(order, f"{where}: ended {status} at {one.get(name)!r} and again at "
                      f"{other.get(name)!r}: a terminal run moved again", other,
                      {name: one.get(name)})  # fmt: skip
        name = fields.output
        if name is not None and (name in one or name in other):
            self.asked["keeps-output"] += 1
            if one.get(name) != other.get(name) or (name in one) != (name in other):
                self.fail("source:keeps-output", f"{where}: ended {status} with two outputs",
                          other, {name: one.get(name)})  # fmt: skip

    def finish(self) -> list[Result]:
        ctx, extent, fields = self.ctx, self.extent, self.ctx.model.fields
        if self.workers:
            self._judge_workers()
        extent.runs = len(self.runs) + len(self.untimed)
        order = "source:statuses-follow-lifecycle"
        for run_id, seen in self.runs.items():
            known = seen.statuses
            extent.cases[order] += max(len(known) - 1, 0)
            extent.transitions += sum(1 for a, b in pairwise(known) if a != b)
            violation = check_observed(ctx.model, known)
            if violation is not None:
                read = " (in the order its records were read)" if self.workers else ""
                self.fail(
                    order,
                    f"run {run_id!r}{read}: {violation.message}",
                    {fields.run_id: run_id, "statuses": known},
                    {"valid": True},
                )
        if self.workers:
            extent.notes.append(workers_note(len(self.runs), len(self.untimed)))
        extent.cases.update({f"source:{name}": n for name, n in self.asked.items()})
        for name, (lines, notes) in self.fitting.items():
            shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
            extent.fits.append(
                f"{len(lines)} record(s) failing the schema {FITS} {name} "
                f"({notes}; line {shown}): audit them with --schema {name}"
            )
        names = {**{k: v or k for k, v in fields.named().items()}, "initial": ctx.model.initial}
        results = []
        for req in source_requirements(ctx.model):
            seed = requirement_seed(0, req.id)
            cases = extent.cases[req.id]
            bad = self.found.get(req.id)
            if bad is None and req.id == VALID and self.undecided.count:
                results.append(
                    Result(req, "errored", cases, seed, self.undecided.message(),
                           self.undecided.first[0] if self.undecided.first else None)
                )  # fmt: skip
                continue
            if bad is None:
                if cases:
                    results.append(Result(req, "passed", cases, seed))
                else:
                    why = UNEXERCISED[req.id].format(**names)
                    results.append(Result(req, "skipped", 0, seed, f"not exercised: {why}"))
                continue
            assert bad.first is not None
            counterexample, expected = bad.first
            judged = max(cases, bad.count)
            results.append(
                Result(req, "failed", judged, seed, bad.message(), counterexample, None, expected)
            )
        return results


#: The most statuses read at one instant whose orders are tried (6! = 720 orders).
MAX_TIED = 6


def read_order(
    model: LifecycleModel, rows: list[tuple[Any, int, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """A run's records (``(read time key, line, record)``) in the order they were read: by
    read time, then line; the statuses read at one instant in an order the lifecycle
    explains after what was read before (as a poller may skip states along a legal path),
    when there is one.  Where none is, the order from there is by line, for
    :func:`check_observed` to name what no order explains."""
    status_of = model.fields.status
    ordered = sorted(rows, key=lambda row: (row[0], row[1]))
    groups = [list(g) for _, g in groupby(ordered, key=lambda row: row[0])]
    # For each group, each status the run may be in after it: (the status before, the
    # order chosen for the group's statuses): back-pointers to one explained order.
    steps: list[dict[str | None, tuple[str | None, tuple[str, ...]]]] = []
    ends: list[str | None] = [None]
    for group in groups:
        tied: list[str] = list(dict.fromkeys(
            s for s in (r[2].get(status_of) for r in group) if s in model.statuses
        ))  # fmt: skip
        step: dict[str | None, tuple[str | None, tuple[str, ...]]] = {}
        orders = permutations(tied) if len(tied) <= MAX_TIED else iter([tuple(tied)])
        for order in orders:
            for last in ends:
                if _explained(model, last, order):
                    step.setdefault(order[-1] if order else last, (last, order))
        if not step:
            break
        steps.append(step)
        ends = list(step)
    chosen: list[tuple[str, ...]] = []
    last = ends[0] if steps else None
    for step in reversed(steps):
        last, order = step[last]
        chosen.append(order)
    chosen.reverse()
    out: list[tuple[int, dict[str, Any]]] = []
    for index, group in enumerate(groups):
        order = chosen[index] if index < len(chosen) else ()
        rank: dict[Any, int] = {status: i for i, status in enumerate(order)}
        group.sort(key=lambda row: (rank.get(row[2].get(status_of), len(rank)), row[1]))
        out.extend((number, record) for _, number, record in group)
    return out


def _explained(model: LifecycleModel, last: str | None, order: tuple[str, ...]) -> bool:
    """Whether a poller that last read ``last`` may read ``order`` next (the observed
    sequence's rule, :func:`check_observed`)."""
    return check_observed(model, [*([] if last is None else [last]), *order]) is None


def workers_note(timed: int, untimed: int) -> str:
    """How ``audit --workers`` judged the runs: the words a report's warnings carry."""
    parts = []
    if timed:
        parts.append(
            f"{timed} run(s) judged in the order their records were read ({READ_TIME} of the "
            "API response each line holds)"
        )
    if untimed:
        parts.append(
            f"{untimed} run(s) without a read time on every record judged by what no order "
            "of their lines explains: ids that differ, two start times, two terminal "
            "statuses, a terminal run that moved again or ended with two outputs (each "
            "record on its own as ever)"
        )
    return f"{WORKERS}; " + "; ".join(parts or ["no run"])


def differences(record: dict[str, Any], ctx: Context, profile: RecordProfile) -> str:
    """What makes ``record`` a record of ``profile`` rather than of the schema in use: its
    status's spelling, the properties that play the lifecycle's parts under other names,
    else the properties the schema does not know."""
    here, there = ctx.model.fields, profile.lifecycle().fields
    notes = []
    status = record.get(there.status)
    if isinstance(status, str) and status not in ctx.schema.statuses_of(here.status):
        notes.append(f"status {json.dumps(status)} is {profile.name}'s spelling")
    parts = (("run_id", "run id"), ("started_at", "start time"), ("ended_at", "end time"))
    for part, words in parts:
        name = getattr(there, part)
        if name is not None and name != getattr(here, part) and name in record:
            notes.append(f"{name} is {profile.name}'s {words}")
    if not notes:
        unknown = sorted(k for k in record if not ctx.schema.has(k))
        notes.append(f"{', '.join(unknown[:4]) or 'its values'} as {profile.name} has them")
    return "; ".join(notes)


def audit_records(
    ctx: Context,
    rows: Iterable[tuple[int, Any]],
    record_timeout: float = RECORD_TIMEOUT,
    *,
    workers: bool = False,
) -> tuple[list[Result], Extent]:
    """Judge every row (``(line number, value)``) as it comes: each failing requirement
    names every bad line (up to :data:`LISTED`, then a count) with all of its errors, the
    first line as its counterexample.  A requirement no row could break is skipped with
    why.  Memory holds what later records of a run are judged against, not the rows.

    ``workers``: the rows interleave several workers' records, so line order is not the
    order things happened; each run's records are judged in the order they were read
    where each says when (:func:`read_order`), else by what no order explains (memory
    then holds the runs' records)."""
    with _Timer(record_timeout) as timer:
        audit = _Audit(ctx, timer, workers)
        for number, record, read_at in read_records(rows, ctx.schema):
            audit.feed(number, record, read_at)
    audit.extent.lines = audit.lines
    return audit.finish(), audit.extent


def audit_file(
    ctx: Context,
    path: str,
    *,
    max_line: int = MAX_LINE_BYTES,
    record_timeout: float = RECORD_TIMEOUT,
    workers: bool = False,
) -> Certification:
    """Audit the JSON Lines file ``path`` (read as it streams, each line at most
    ``max_line`` bytes, each record judged within ``record_timeout`` seconds); a file with
    no line to judge is a usage error."""
    started_at, t0 = now_iso(), time.perf_counter()
    results, extent = audit_records(ctx, _lines(path, max_line), record_timeout, workers=workers)
    if not extent.lines:
        raise UsageError(f"{path} holds no records: nothing to audit")
    info = RunInfo(
        ctx,
        "source",
        "standard",
        0,
        Description(name=path, command=path),
        ("--audit", path),
        ("schema", "format", "lifecycle"),
        audited=extent.to_json(),
        warnings=(*extent.notes, *extent.fits),
    )
    report = build_report(info, results, started_at=started_at, duration_s=time.perf_counter() - t0)
    return Certification(results, report)
