"""Rerunning a report's counterexamples against the same implementation.

A report names its implementation (``invocation``), its schema and lifecycle model, and for
every failure the shrunk counterexample with what was expected; that is enough to ask the
implementation again, without searching.  Each counterexample is tried a few times, so a
failure that comes and goes is called ``flaky`` rather than fixed or still failing.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from inngest_conformance._adapters.base import ImplementationError, Unsupported
from inngest_conformance._api import UsageError, context, open_adapter
from inngest_conformance._engine import judge
from inngest_conformance._requirements import Requirement, catalogue
from inngest_conformance.strategies._invalid import InvalidCase, Violation

TRIES = 3


def _invocation(report: dict[str, Any]) -> argparse.Namespace:
    words = report.get("invocation")
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise UsageError("the report does not say how to reach its implementation (invocation)")
    parser = argparse.ArgumentParser(add_help=False)
    for flag in ("--target", "--command", "--url", "--schema", "--lifecycle"):
        parser.add_argument(flag)
    parser.add_argument("--rejects-with", action="append", default=[])
    ns, _ = parser.parse_known_args(words)
    return ns


def rebuild_case(req: Requirement, row: dict[str, Any]) -> Any:
    """The engine's case from a report row's counterexample."""
    if req.kind == "reject":
        violation = row.get("expected", {}).get("violation")
        if not isinstance(violation, dict):
            raise UsageError(f"{req.id}: the report has no violation to replay")
        return InvalidCase(row.get("counterexample"), Violation(**violation))
    return row.get("counterexample")


def replay_report(
    report: dict[str, Any], *, only: Sequence[str] = (), timeout: float = 5.0
) -> list[tuple[str, str, str]]:
    """``(requirement id, status, message)`` for each replayed failure.

    Status is ``still-fails``, ``passes-now``, ``flaky`` or ``errored``.
    """
    if report.get("format") != "inngest-conformance-report/1":
        raise UsageError("not an inngest-conformance report (format inngest-conformance-report/1)")
    ns = _invocation(report)
    ctx = context(ns.schema, ns.lifecycle)
    by_id = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    rows = [
        row
        for row in report.get("requirements", [])
        if row.get("outcome") in ("failed", "errored") and (not only or row.get("id") in only)
    ]
    if only:
        missing = [i for i in only if i not in {row.get("id") for row in rows}]
        if missing:
            raise UsageError(f"the report has no failed requirement {missing[0]!r}")
    out: list[tuple[str, str, str]] = []
    if not rows:
        return out
    adapter = open_adapter(
        target=ns.target,
        command=ns.command,
        url=ns.url,
        request_timeout=timeout,
        rejects_with=ns.rejects_with if ns.target else (),
    )
    try:
        for row in rows:
            req = by_id.get(row["id"])
            if req is None:
                out.append((row["id"], "errored", "this schema has no such requirement"))
                continue
            case = rebuild_case(req, row)
            fails, message = 0, ""
            try:
                for _ in range(TRIES):
                    j = judge(ctx, req, adapter, case)
                    if not j.ok:
                        fails += 1
                        message = j.message
            except (ImplementationError, Unsupported) as exc:
                out.append((req.id, "errored", str(exc)))
                continue
            if fails == TRIES:
                out.append((req.id, "still-fails", message))
            elif fails:
                out.append((req.id, "flaky", f"failed {fails} of {TRIES} times: {message}"))
            else:
                out.append((req.id, "passes-now", "the counterexample no longer fails"))
    finally:
        adapter.close()
    return out
