"""Auditing a source: the records an implementation emitted, read from a JSON Lines file.

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
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from inngest_conformance._adapters.base import Description
from inngest_conformance._engine import Result, requirement_seed
from inngest_conformance._requirements import Context, source_requirements
from inngest_conformance._run import Certification, now_iso
from inngest_conformance._run_programs import History, record_breaches
from inngest_conformance.errors import UsageError
from inngest_conformance.report import RunInfo, build_report
from inngest_conformance.strategies import OracleError, check_observed

VALID = "source:emits-valid-records"
FORMATS = "source:emits-valid-formats"


def _read(path: str) -> list[tuple[int, Any]]:
    rows: list[tuple[int, Any]] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append((number, json.loads(line)))
                except json.JSONDecodeError:
                    rows.append((number, _NotJson(line.rstrip("\n"))))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    return rows


class _NotJson(str):
    """A line that did not parse: kept as text for the report."""


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

    def to_json(self) -> dict[str, int]:
        return {"records": self.records, "runs": self.runs, "transitions": self.transitions}


def _line_errors(errors: list[OracleError]) -> str:
    return "; ".join(f"{e.path or '/'}: {e.message}" for e in errors)


def audit_records(ctx: Context, rows: list[tuple[int, Any]]) -> tuple[list[Result], Extent]:
    """Judge every row: each failing requirement names every bad line (up to
    :data:`LISTED`, then a count) with all of its errors, the first line as its
    counterexample.  A requirement no row could break is skipped with why."""
    reqs = source_requirements(ctx.model)
    found: dict[str, list[tuple[str, Any, Any]]] = {}
    extent = Extent()

    def fail(rid: str, message: str, counterexample: Any, expected: Any) -> None:
        found.setdefault(rid, []).append((message, counterexample, expected))

    fields = ctx.model.fields
    runs: dict[str | int, list[tuple[int, dict[str, Any]]]] = {}
    for number, record in rows:
        if isinstance(record, _NotJson):
            fail(VALID, f"line {number} is not JSON", str(record), {"valid": True})
            continue
        extent.records += 1
        extent.cases.update((VALID, FORMATS))
        errors = [] if ctx.oracle.fast_is_valid(record) else ctx.oracle.errors(record)
        structure = [e for e in errors if e.keyword != "format"]
        formats = [e for e in errors if e.keyword == "format"]
        if structure:
            fail(VALID, f"line {number}: {_line_errors(structure)}", record, {"valid": True})
        if formats:
            fail(FORMATS, f"line {number}: {_line_errors(formats)}", record, {"valid": True})
        rid = record.get(fields.run_id) if isinstance(record, dict) else None
        if isinstance(rid, (str, int)) and not isinstance(rid, bool):
            runs.setdefault(rid, []).append((number, record))
    extent.runs = len(runs)
    for run_id, seen in runs.items():
        statuses = [r.get(fields.status) for _, r in seen]
        known = [s for s in statuses if isinstance(s, str) and s in ctx.model.statuses]
        extent.cases["source:statuses-follow-lifecycle"] += max(len(known) - 1, 0)
        extent.transitions += sum(1 for a, b in pairwise(known) if a != b)
        violation = check_observed(ctx.model, known)
        if violation is not None:
            fail(
                "source:statuses-follow-lifecycle",
                f"run {run_id!r}: {violation.message}",
                {fields.run_id: run_id, "statuses": known},
                {"valid": True},
            )
        # The first record fixes the ids the later ones are held to.
        history = History()
        asked: Counter[str] = Counter()
        for number, record in seen:
            status = record.get(fields.status)
            status = status if isinstance(status, str) else ""
            for breach in record_breaches(ctx.model, status, record, history, asked):
                fail(
                    f"source:{breach.invariant}",
                    f"line {number} (run {run_id!r}): {breach.message}",
                    record,
                    breach.expected,
                )
            if history.ids is None:
                history.ids = fields.ids(record)
            if (
                not history.has_output
                and status in ctx.model.statuses
                and ctx.model.is_terminal(status)
                and fields.output is not None
                and fields.output in record
            ):
                history.output, history.has_output = record[fields.output], True
        extent.cases.update({f"source:{name}": n for name, n in asked.items()})
    names = {**{k: v or k for k, v in fields.named().items()}, "initial": ctx.model.initial}
    results = []
    for req in reqs:
        seed = requirement_seed(0, req.id)
        cases = extent.cases[req.id]
        if req.id not in found:
            if cases:
                results.append(Result(req, "passed", cases, seed))
            else:
                why = UNEXERCISED[req.id].format(**names)
                results.append(Result(req, "skipped", 0, seed, f"not exercised: {why}"))
            continue
        bad = found[req.id]
        message, counterexample, expected = bad[0]
        if len(bad) > 1:
            listed = "; ".join(m for m, _, _ in bad[:LISTED])
            more = f"; and {len(bad) - LISTED} more" if len(bad) > LISTED else ""
            message = f"{len(bad)} failures: {listed}{more}"
        judged = max(cases, len(bad))
        results.append(Result(req, "failed", judged, seed, message, counterexample, None, expected))
    return results, extent


def audit_file(ctx: Context, path: str) -> Certification:
    """Audit the JSON Lines file ``path``; a file with no line to judge is a usage error."""
    started_at, t0 = now_iso(), time.perf_counter()
    rows = _read(path)
    if not rows:
        raise UsageError(f"{path} holds no records: nothing to audit")
    results, extent = audit_records(ctx, rows)
    info = RunInfo(
        ctx,
        "source",
        "standard",
        0,
        Description(name=path, command=path),
        ("--audit", path),
        ("schema", "format", "lifecycle"),
        audited=extent.to_json(),
    )
    report = build_report(info, results, started_at=started_at, duration_s=time.perf_counter() - t0)
    return Certification(results, report)
