"""Auditing a source: the records an implementation emitted, read from a JSON Lines file.

Nothing is generated here: every record is checked with the oracle, and each run's records
(grouped by ``run_id`` in file order) are checked as an *observed* status sequence — what a
poller sees may repeat a status or skip states along a legal path, but never go backwards
or leave a terminal state.
"""

from __future__ import annotations

import json
import time
from typing import Any

from inngest_conformance._adapters.base import Description
from inngest_conformance._api import Certification, UsageError, now_iso
from inngest_conformance._engine import Result, requirement_seed
from inngest_conformance._requirements import Context, Requirement, source_requirements
from inngest_conformance.report import RunInfo, build_report
from inngest_conformance.strategies._lifecycle import check_observed


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


def audit_records(ctx: Context, rows: list[tuple[int, Any]]) -> list[Result]:
    reqs = {r.id: r for r in source_requirements()}
    found: dict[str, tuple[str, Any, Any]] = {}

    def fail(rid: str, message: str, counterexample: Any, expected: Any) -> None:
        found.setdefault(rid, (message, counterexample, expected))

    runs: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, record in rows:
        if isinstance(record, _NotJson):
            fail(
                "source:emits-valid-records",
                f"line {number} is not JSON",
                str(record),
                {"valid": True},
            )
            continue
        errors = ctx.oracle.errors(record)
        if errors:
            e = errors[0]
            fail(
                "source:emits-valid-records",
                f"line {number}: {e.path or '/'}: {e.message}",
                record,
                {"valid": True},
            )
        if isinstance(record, dict) and isinstance(record.get("run_id"), str):
            runs.setdefault(record["run_id"], []).append((number, record))
    for run_id, seen in runs.items():
        statuses = [r.get("status") for _, r in seen]
        known = [s for s in statuses if isinstance(s, str) and s in ctx.model.statuses]
        violation = check_observed(ctx.model, known)
        if violation is not None:
            fail(
                "source:statuses-follow-lifecycle",
                f"run {run_id}: {violation.message}",
                {"run_id": run_id, "statuses": known},
                {"valid": True},
            )
        first = seen[0][1]
        for number, record in seen[1:]:
            for key in ("started_at", *(k for k in first if k.endswith("_id"))):
                if key in first and key in record and record[key] != first[key]:
                    fail(
                        "source:ids-never-change",
                        f"run {run_id}: line {number} changes {key}",
                        {"first": first, "later": record},
                        {key: first[key]},
                    )
        for number, record in seen:
            status = record.get("status")
            if status in ctx.model.statuses and ctx.model.is_terminal(status) != (
                "ended_at" in record
            ):
                fail(
                    "source:ended-at-exactly-when-terminal",
                    f"line {number}: status {status} "
                    + ("without ended_at" if "ended_at" not in record else "with ended_at"),
                    record,
                    {"ended_at": "present" if ctx.model.is_terminal(status) else None},
                )
    results = []
    for rid, req in reqs.items():
        r: Requirement = req
        if rid in found:
            message, counterexample, expected = found[rid]
            results.append(
                Result(
                    r,
                    "failed",
                    len(rows),
                    requirement_seed(0, rid),
                    message,
                    counterexample,
                    None,
                    expected,
                )
            )
        else:
            results.append(Result(r, "passed", len(rows), requirement_seed(0, rid)))
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
