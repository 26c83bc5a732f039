"""Executing a lifecycle program against a run store and judging every step.

One executor serves the certify run, the pytest plugin and ``replay``: it runs the program's
operations in order, keeps the model's view of every run, and records a :class:`Finding`
for each requirement a step breaks.  Execution stops at the first step where the store and
the model disagree on acceptance (after that, the program's later steps no longer mean
what they were generated to mean); record-invariant findings do not stop it.

The record invariants have one judge, :func:`record_breaches`, which ``audit`` shares; and
:func:`shorten` deletes the steps a failing program does not need, since the search
simplifies a program's values but not its length.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inngest_conformance._adapters.base import Adapter, LifecycleAnswer
from inngest_conformance._encode import clip
from inngest_conformance.strategies import LifecycleModel, Oracle, is_rfc3339_datetime
from inngest_conformance.strategies._programs import Create, Get, Op
from inngest_conformance.strategies._rfc3339 import utc_key

# Requirement ids of the lifecycle level (the catalogue gives their statements).
CREATE = "lifecycle:creates-runs"
LEGAL = "lifecycle:accepts-legal-transitions"
ILLEGAL = "lifecycle:rejects-illegal-transitions"
TERMINAL = "lifecycle:terminal-states-absorbing"
READ_BACK_VALID = "lifecycle:returns-valid-records"
READ_BACK_STATUS = "lifecycle:returns-current-status"
IDS_STABLE = "lifecycle:ids-never-change"
STARTED_STABLE = "lifecycle:started-at-never-changes"
NOT_STARTED = "lifecycle:no-started-at-while-initial"
ENDED_IFF_TERMINAL = "lifecycle:ended-at-exactly-when-terminal"
ENDED_AFTER_STARTED = "lifecycle:ended-at-not-before-started-at"
KEEPS_OUTPUT = "lifecycle:keeps-output"


@dataclass(frozen=True, slots=True)
class Finding:
    """A step that breaks a requirement: what was asked, answered and expected."""

    requirement: str
    step: int
    message: str
    answer: Any
    expected: Any


@dataclass(slots=True)
class History:
    """What earlier records of one run fixed, against which a later record is judged."""

    ids: dict[str, Any] | None = None
    started_at: str | None = None
    output: Any = None
    has_output: bool = False


@dataclass(frozen=True, slots=True)
class Breach:
    """A record invariant (a key of ``INVARIANTS``) broken by one record."""

    invariant: str
    message: str
    expected: Any


def instant(value: Any) -> tuple[int, Any] | None:
    """A time a record holds, as a key to order it by: an RFC 3339 date-time (by its UTC
    instant) or a number (epoch seconds or milliseconds, as the schema has it); ``None`` for
    anything else.  Keys of different kinds are never compared."""
    if is_rfc3339_datetime(value):
        return (0, utc_key(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return (1, value)
    return None


def same_time(a: Any, b: Any) -> bool:
    """Whether two times a record holds are the same: by instant where both are times of one
    kind (``2019-01-01T00:00:01Z`` is ``2019-01-01T00:00:01+00:00`` and
    ``2019-01-01t00:00:01.000z``), else as JSON values."""
    a_key, b_key = instant(a), instant(b)
    if a_key is not None and b_key is not None:
        return a_key == b_key
    return bool(a == b)


def _id_change(name: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    if name not in before:
        return f"{name} (absent before, now {_short(after[name])})"
    if name not in after:
        return f"{name} (was {_short(before[name])}, now absent)"
    return name


def starts_later(model: LifecycleModel) -> bool:
    """Whether the table says a new run has no start time yet (``absent`` of the initial
    status names it; so it does by default): ``no-started-at-while-initial`` asks only then."""
    start = model.fields.started_at
    return start is not None and start in model.absent_in(model.initial)


def record_breaches(
    model: LifecycleModel,
    status: str,
    record: dict[str, Any],
    history: History,
    asked: Counter[str] | None = None,
) -> list[Breach]:
    """Every record invariant ``record`` breaks, for a run in ``status`` with ``history``.

    The one judge of record invariants: the lifecycle level asks it about every record a
    store answers (``status`` is then the model's), ``audit`` about every record a source
    emitted (``status`` is the record's own).  ``history`` is updated with what this record
    fixes (its start time, once one is seen).  Properties go by the names the table's
    ``fields`` gives them (``LifecycleModel.fields``).  ``asked``, when given, counts each
    invariant this record could have broken: what a verdict on a file rests on.
    """
    fields = model.fields
    out: list[Breach] = []
    ask = asked.update if asked is not None else _ignore
    if history.ids is not None:
        ask(("ids-never-change",))
        got_ids = fields.ids(record)
        if got_ids != history.ids:
            # An id that appears (absent before, present now) or vanishes changed too.
            names = dict.fromkeys([*history.ids, *got_ids])
            changed = ", ".join(
                _id_change(k, history.ids, got_ids)
                for k in names
                if (k in history.ids, history.ids.get(k)) != (k in got_ids, got_ids.get(k))
            )
            expected = {**history.ids, **{k: "absent" for k in got_ids if k not in history.ids}}
            out.append(Breach("ids-never-change", f"changed {changed}", expected))
    start_name, end_name, output_name = fields.started_at, fields.ended_at, fields.output
    started = None if start_name is None else record.get(start_name)
    if start_name is not None and history.started_at is not None:
        ask(("started-at-never-changes",))
    if (
        start_name is not None
        and history.started_at is not None
        and not same_time(started, history.started_at)
    ):
        now = repr(started) if start_name in record else "nothing"
        out.append(
            Breach(
                "started-at-never-changes",
                f"changed {start_name} from {history.started_at!r} to {now}",
                {start_name: history.started_at},
            )
        )
    started_key = instant(started)
    if history.started_at is None and started_key is not None:
        history.started_at = started
    if status == model.initial and starts_later(model):
        ask(("no-started-at-while-initial",))
    if status == model.initial and start_name in record and starts_later(model):
        out.append(
            Breach(
                "no-started-at-while-initial",
                f"has {start_name} {started!r} while {status}",
                {start_name: "absent"},
            )
        )
    if end_name is not None and status in model.statuses:
        ask(("ended-at-exactly-when-terminal",))
        terminal = model.is_terminal(status)
        # A null end time (the v1 run's "ended_at": null) is no end time.
        if terminal != (record.get(end_name) is not None):
            message = f"has no {end_name}" if terminal else f"has {end_name} {record[end_name]!r}"
            out.append(
                Breach(
                    "ended-at-exactly-when-terminal",
                    f"{message} while {status}",
                    {end_name: "present" if terminal else "absent"},
                )
            )
    ended = None if end_name is None else record.get(end_name)
    # Across records too: an end is judged against the start an earlier record showed.
    start = started if started_key is not None else history.started_at
    start_key = started_key if started_key is not None else instant(start)
    end_key = instant(ended)
    if start_key and end_key and start_key[0] == end_key[0]:
        ask(("ended-at-not-before-started-at",))
    if start_key and end_key and start_key[0] == end_key[0] and end_key < start_key:
        out.append(
            Breach(
                "ended-at-not-before-started-at",
                f"{end_name} {ended!r} is before {start_name} {start!r}",
                {str(end_name): f">= {start}"},
            )
        )
    if output_name is not None and history.has_output:
        ask(("keeps-output",))
    if output_name is not None and history.has_output and record.get(output_name) != history.output:
        now = (
            f"no {output_name}"
            if output_name not in record
            else f"{output_name} {_short(record[output_name])}"
        )
        out.append(
            Breach(
                "keeps-output",
                f"has {now}, not the {output_name} {_short(history.output)} given when it ended",
                {output_name: history.output},
            )
        )
    return out


def _ignore(_: Any) -> None:
    pass


def _short(value: Any) -> str:
    return clip(json.dumps(value, ensure_ascii=False, default=repr), 80)


@dataclass(slots=True)
class _Run:
    status: str
    history: History


class Executor:
    """Runs programs for one model and oracle; see the module docstring."""

    def __init__(self, model: LifecycleModel, oracle: Oracle) -> None:
        self.model = model
        self.oracle = oracle

    def run(self, adapter: Adapter, program: list[Op]) -> list[Finding]:
        """Execute ``program`` from a reset store; adapter errors propagate."""
        adapter.reset()
        runs: dict[str, _Run] = {}
        findings: list[Finding] = []
        for step, op in enumerate(program):
            if not self._step(adapter, step, op, runs, findings):
                break
        return findings

    def _step(
        self,
        adapter: Adapter,
        step: int,
        op: Op,
        runs: dict[str, _Run],
        findings: list[Finding],
    ) -> bool:
        if isinstance(op, Create):
            record = op.record
            answer = adapter.create(record)
            if not answer.ok:
                findings.append(
                    Finding(
                        CREATE,
                        step,
                        "refused to create a valid run in the initial state",
                        answer.to_json(),
                        {"ok": True},
                    )
                )
                return False
            run = _Run(self.model.initial, History(ids=self.model.fields.ids(record)))
            runs[record[self.model.fields.run_id]] = run
            self._check_record(step, answer, run, findings)
            return True
        run = runs[op.run_id]
        if isinstance(op, Get):
            answer = adapter.get(op.run_id)
            if not answer.ok:
                findings.append(
                    Finding(
                        READ_BACK_STATUS,
                        step,
                        "could not read back a run it created",
                        answer.to_json(),
                        {"ok": True},
                    )
                )
                return False
            self._check_record(step, answer, run, findings)
            return True
        target = op.status
        legal = self.model.is_legal(run.status, target)
        answer = adapter.transition(op.run_id, target, op.at, op.output)
        if legal and not answer.ok:
            findings.append(
                Finding(
                    LEGAL,
                    step,
                    f"refused the legal transition {run.status} -> {target}",
                    answer.to_json(),
                    {"ok": True},
                )
            )
            return False
        if not legal and answer.ok:
            requirement = TERMINAL if self.model.is_terminal(run.status) else ILLEGAL
            findings.append(
                Finding(
                    requirement,
                    step,
                    f"accepted the illegal transition {run.status} -> {target}",
                    answer.to_json(),
                    {"ok": False},
                )
            )
            return False
        if legal:
            run.status = target
            if self.model.is_terminal(target) and op.output is not None:
                run.history.output, run.history.has_output = op.output, True
            self._check_record(step, answer, run, findings)
        return True

    def _check_record(
        self, step: int, answer: LifecycleAnswer, run: _Run, findings: list[Finding]
    ) -> None:
        record = answer.record
        got = answer.to_json()

        def finding(requirement: str, message: str, expected: Any) -> None:
            findings.append(Finding(requirement, step, message, got, expected))

        # The fast path answers the common case; the full error list only for a bad record.
        errors = [] if self.oracle.fast_is_valid(record) else self.oracle.errors(record)
        if errors:
            finding(
                READ_BACK_VALID,
                f"returned a record the schema rejects: {errors[0].path or '/'}: "
                f"{errors[0].message}",
                {"valid_record": True, "errors": []},
            )
        if not isinstance(record, dict):
            return
        name = self.model.fields.status
        if record.get(name) != run.status:
            finding(
                READ_BACK_STATUS,
                f"returned {name} {record.get(name)!r}, expected {run.status!r}",
                {name: run.status},
            )
        for breach in record_breaches(self.model, run.status, record, run.history):
            finding(f"lifecycle:{breach.invariant}", breach.message, breach.expected)


def shorten(
    program: list[Op], fails: Callable[[list[Op]], int | None], *, id_field: str = "run_id"
) -> list[Op]:
    """The failing ``program`` with every step deleted that the failure does not need.

    ``fails(program)`` is the step of the failure, or ``None`` when the program no longer
    fails.  Values are shrunk by the search; the number of steps is not (a program's steps
    depend on one another's draws), so this pass deletes: the steps after the failure, then
    whole runs, then single steps, until no deletion keeps it failing.  Whatever it keeps
    was failing when last run, so the result is a true counterexample.  ``id_field`` is
    the property of a created record that holds its run's id.
    """

    def _run_of(op: Op) -> Any:
        return op.record.get(id_field) if isinstance(op, Create) else op.run_id

    current = program
    step = fails(current)
    if step is None:
        return program
    current = current[: step + 1] if fails(current[: step + 1]) is not None else current
    changed = True
    while changed:
        changed = False
        runs = list(dict.fromkeys(_run_of(op) for op in current if isinstance(op, Create)))
        for run_id in runs if len(runs) > 1 else ():
            candidate = [op for op in current if _run_of(op) != run_id]
            if fails(candidate) is not None:
                current, changed = candidate, True
        for i in reversed(range(len(current))):
            if isinstance(current[i], Create) or i >= len(current):
                continue
            candidate = current[:i] + current[i + 1 :]
            if fails(candidate) is not None:
                current, changed = candidate, True
    return current
