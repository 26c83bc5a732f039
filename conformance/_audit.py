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
from typing import Any

from inngest_conformance._adapters.base import Description
from inngest_conformance._engine import Result, requirement_seed
from inngest_conformance._requirements import Context, source_requirements
from inngest_conformance._run import Certification, now_iso
from inngest_conformance._run_programs import History, record_breaches
from inngest_conformance.errors import UsageError
from inngest_conformance.report import RunInfo, build_report
from inngest_conformance.strategies import check_observed


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


def audit_records(ctx: Context, rows: list[tuple[int, Any]]) -> list[Result]:
    """Judge every row: each failing requirement names every bad line (up to
    :data:`LISTED`, then a count), with the first one as its counterexample."""
    reqs = source_requirements(ctx.model)
    found: dict[str, list[tuple[str, Any, Any]]] = {}

    def fail(rid: str, message: str, counterexample: Any, expected: Any) -> None:
        found.setdefault(rid, []).append((message, counterexample, expected))

    fields = ctx.model.fields
    runs: dict[str | int, list[tuple[int, dict[str, Any]]]] = {}
    for number, record in rows:
        if isinstance(record, _NotJson):
            fail(
                "source:emits-valid-records",
                f"line {number} is not JSON",
                str(record),
                {"valid": True},
            )
            continue
        errors = [] if ctx.oracle.fast_is_valid(record) else ctx.oracle.errors(record)
        if errors:
            e = errors[0]
            fail(
                "source:emits-valid-records",
                f"line {number}: {e.path or '/'}: {e.message}",
                record,
                {"valid": True},
            )
        rid = record.get(fields.run_id) if isinstance(record, dict) else None
        if isinstance(rid, (str, int)) and not isinstance(rid, bool):
            runs.setdefault(rid, []).append((number, record))
    for run_id, seen in runs.items():
        statuses = [r.get(fields.status) for _, r in seen]
        known = [s for s in statuses if isinstance(s, str) and s in ctx.model.statuses]
        violation = check_observed(ctx.model, known)
        if violation is not None:
            fail(
                "source:statuses-follow-lifecycle",
                f"run {run_id!r}: {violation.message}",
                {fields.run_id: run_id, "statuses": known},
                {"valid": True},
            )
        history = History(ids=fields.ids(seen[0][1]))
        for number, record in seen:
            status = record.get(fields.status)
            status = status if isinstance(status, str) else ""
            for breach in record_breaches(ctx.model, status, record, history):
                fail(
                    f"source:{breach.invariant}",
                    f"line {number} (run {run_id!r}): {breach.message}",
                    record,
                    breach.expected,
                )
            if (
                not history.has_output
                and status in ctx.model.statuses
                and ctx.model.is_terminal(status)
                and fields.output is not None
                and fields.output in record
            ):
                history.output, history.has_output = record[fields.output], True
    results = []
    for req in reqs:
        seed = requirement_seed(0, req.id)
        if req.id not in found:
            results.append(Result(req, "passed", len(rows), seed))
            continue
        bad = found[req.id]
        message, counterexample, expected = bad[0]
        if len(bad) > 1:
            listed = "; ".join(m for m, _, _ in bad[:LISTED])
            more = f"; and {len(bad) - LISTED} more" if len(bad) > LISTED else ""
            message = f"{len(bad)} failures: {listed}{more}"
        results.append(
            Result(req, "failed", len(rows), seed, message, counterexample, None, expected)
        )
    return results


def audit_file(ctx: Context, path: str) -> Certification:
    started_at, t0 = now_iso(), time.perf_counter()
    rows = _read(path)
    results = audit_records(ctx, rows)
    info = RunInfo(
        ctx,
        "source",
        "standard",
        0,
        Description(name=path, command=path),
        ("--audit", path),
        ("schema", "lifecycle"),
    )
    report = build_report(info, results, started_at=started_at, duration_s=time.perf_counter() - t0)
    return Certification(results, report)
