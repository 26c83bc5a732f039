"""Rerunning a report's counterexamples against an implementation, without a new search.

A report keeps, for every failure, the shrunk counterexample of each kind of failure (its
``failures``) with what was expected; that is enough to ask the implementation again.
Every kind is replayed, not only the headline: a fix of one kind must not pass for a fix of
the requirement while another kind still fails.  Each counterexample is tried a few times,
so a failure that comes and goes is called ``flaky`` rather than fixed or still failing.

A report is data, never a program: reports are shared (CI artifacts, files attached to a
bug, certificates a third party checks), and the ``invocation`` a report records names code
to import or a command to start.  So replay reaches only the implementation named on its
own command line (``--target``/``--command``/``--url``), and starts what the report names
only when asked to with ``trust_report``.  A compare report holds the failures of several
implementations: each implementation's failures are replayed against that implementation
alone, never against another one.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inngest_conformance._adapters import AdapterSpec
from inngest_conformance._adapters.base import ImplementationError, StartError, Unsupported
from inngest_conformance._adapters.wire import DEFAULT_MAX_ANSWER_BYTES
from inngest_conformance._encode import clip, one_line
from inngest_conformance._engine import Judgement, case_id, case_record, judge, rebuild_case
from inngest_conformance._planning import context, invocation
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance.errors import ConformanceError, UsageError
from inngest_conformance.report import FORMAT, implementation_words

TRIES = 3
STATUSES = ("still-fails", "flaky", "passes-now", "errored")


@dataclass(frozen=True, slots=True)
class Replayed:
    """What one replayed case (one kind of a failure) showed; ``implementation`` is its
    column in a compare."""

    requirement: str
    status: str
    message: str
    implementation: str = ""
    case_id: str = ""
    """The replayed case's id (:func:`~inngest_conformance._engine.case_id`), when known."""
    answer: Any = None
    """The implementation's answer at the last try (a failing one, if any try failed)."""
    expected: Any = None
    kind: str = ""
    """The kind of failure the case stands for (empty for a row without ``failures``: an
    errored requirement, a report of an older kit)."""
    sent: Any = None
    """The case sent, as the report shows it (a record, or a lifecycle program)."""


@dataclass(frozen=True, slots=True)
class FailureGroup:
    """The failures of one implementation, and how its report says to reach it."""

    column: str
    invocation: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)


def _recorded(report: dict[str, Any], key: str = "invocation") -> list[str]:
    words = report.get(key, [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise UsageError(f"the report's {key} is not a list of words")
    return words


def recorded_options(words: Sequence[str]) -> argparse.Namespace:
    """The schema, lifecycle table and rejection classes a recorded invocation names."""
    parser = argparse.ArgumentParser(add_help=False)
    for flag in ("--schema", "--draft", "--lifecycle"):
        parser.add_argument(flag)
    parser.add_argument("--rejects-with", action="append", default=[])
    ns, _ = parser.parse_known_args(list(words))
    return ns


def _recorded_context(
    report: dict[str, Any], options: argparse.Namespace, *, trusted: bool
) -> Context:
    """The schema and lifecycle table the report was made with, by the paths it records.

    A report is data: a path it names may be anything (``/etc/shadow``), so unless it is
    trusted, nothing read there is ever shown — a file that cannot be read as a schema or
    table, or is not the one the report was made with (its sha256), is refused in one line
    that quotes none of it."""
    paths = [p for p in (options.schema, options.lifecycle) if p is not None]
    if trusted or not paths:
        return context(options.schema, options.lifecycle, options.draft)
    named = " and ".join(paths)
    try:
        ctx = context(options.schema, options.lifecycle, options.draft)
    except ConformanceError:
        raise UsageError(
            f"the report names {named}, which cannot be read as the schema and lifecycle "
            "table it was made with; what is there is not shown (a report is data): "
            "--trust-report reads it as it is"
        ) from None
    recorded = (_sha(report, "schema"), _sha(report, "lifecycle_model"))
    if (ctx.schema.sha256, ctx.model.sha256) != recorded:
        raise UsageError(
            f"the report names {named}, which is not the schema and lifecycle table it was "
            "made with (their sha256 differ): replay against those, or certify again"
        )
    return ctx


def _sha(report: dict[str, Any], key: str) -> str:
    part = report.get(key)
    return str(part.get("sha256", "")) if isinstance(part, dict) else ""


def _failed(rows: Any, only: Sequence[str]) -> list[dict[str, Any]]:
    return [
        row
        for row in rows or []
        if isinstance(row, dict)
        and row.get("outcome") in ("failed", "errored")
        and (not only or row.get("id") in only)
    ]


def failure_groups(report: dict[str, Any], only: Sequence[str] = ()) -> list[FailureGroup]:
    """The report's failures, grouped by the implementation they belong to."""
    section = report.get("compare")
    if not isinstance(section, dict):
        return [FailureGroup("", _recorded(report), _failed(report.get("requirements"), only))]
    groups = []
    entries = section.get("implementations", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError("the report's compare.implementations is not a list of objects")
    for entry in entries:
        if "invocation" not in entry or "failures" not in entry:
            raise UsageError(
                "this compare report does not say whose failure is whose (written by an older "
                "kit): certify each implementation and replay that report"
            )
        rows = _failed(entry["failures"], only)
        groups.append(FailureGroup(str(entry.get("column", "")), _recorded(entry), rows))
    return groups


def _choose(groups: list[FailureGroup], named: list[str], column: str | None) -> list[FailureGroup]:
    """The one implementation of a compare report whose failures the named one should face."""
    columns = [g.column for g in groups]
    if column is not None:
        chosen = [g for g in groups if g.column == column]
        if not chosen:
            raise UsageError(
                f"--implementation {column!r}: the report compares {_listing(columns)}"
            )
        return chosen
    same = [g for g in groups if implementation_words(g.invocation) == named]
    if len(same) == 1:
        return same
    raise UsageError(
        f"this compare report holds the failures of {_listing(columns)}: say whose to replay "
        f"against {shlex.join(named)} with --implementation NAME"
    )


def _listing(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns)


#: How many case ids an unknown ``--case`` lists before "and N more".
LISTED = 5


def _case_rows(rows: Sequence[dict[str, Any]], wanted: str) -> list[dict[str, Any]]:
    """The one case ``wanted`` of each failed row holding it (one of the ``failures``, or
    the headline of a row without them), as a row of its own to replay."""
    out = []
    for row in rows:
        for held in [*(row.get("failures") or []), row]:
            if isinstance(held, dict) and held.get("case_id") == wanted:
                out.append({**held, "id": row.get("id")})
                break
    return out


def _case_ids(groups: Sequence[FailureGroup]) -> list[str]:
    ids: list[str] = []
    for g in groups:
        for row in g.rows:
            for held in [row, *(row.get("failures") or [])]:
                cid = held.get("case_id") if isinstance(held, dict) else None
                if isinstance(cid, str) and cid not in ids:
                    ids.append(cid)
    return ids


def _narrow_to_case(
    groups: list[FailureGroup], wanted: str, where: str = "the report"
) -> list[FailureGroup]:
    """``groups`` with only the rows of case ``wanted``; a usage error (one line, a few ids
    at most) when none holds it."""
    narrowed = [FailureGroup(g.column, g.invocation, _case_rows(g.rows, wanted)) for g in groups]
    if any(g.rows for g in narrowed):
        return narrowed
    ids = _case_ids(groups)
    if not ids:
        known = "it has no failed case with an id (a report written by an older kit?)"
    else:
        more = f" and {len(ids) - LISTED} more" if len(ids) > LISTED else ""
        known = f"its failed cases are {', '.join(ids[:LISTED])}{more}"
    raise UsageError(f"{where} has no failed case {clip(one_line(wanted), 40)!r}: {known}")


def _refuse_untrusted(groups: list[FailureGroup]) -> None:
    recorded = "; ".join(
        (f"{g.column}: " if g.column else "") + shlex.join(implementation_words(g.invocation))
        for g in groups
    )
    raise UsageError(
        f"the report names its implementation as `{recorded}`; replay does not start what a "
        "report names: name the implementation yourself (--target, --command or --url), or "
        "add --trust-report to reach the recorded one"
    )


def replay_report(
    report: dict[str, Any],
    *,
    only: Sequence[str] = (),
    timeout: float = 5.0,
    startup_timeout: float = 10.0,
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    target: str | None = None,
    command: str | None = None,
    url: str | None = None,
    implementation: str | None = None,
    trust_report: bool = False,
    rejects_with: Sequence[str] = (),
    case: str | None = None,
) -> list[Replayed]:
    """What each replayed case shows: ``still-fails``, ``passes-now``, ``flaky`` or
    ``errored``; one per kind of failure of each failed requirement (each entry of its
    ``failures``; the row itself for one without them).

    The implementation is the one named by ``target``/``command``/``url``; with none named,
    the one the report records, and only when ``trust_report`` says so.  In a compare
    report ``implementation`` picks whose failures to replay against a named one (needed
    unless the named one is exactly one of the recorded ones).  With ``case`` only that
    one case (a failure's ``case_id``) is sent again, with the answer and the expected
    answer kept in what is returned.
    """
    if report.get("format") != FORMAT:
        raise UsageError(f"not an inngest-conformance report (format {FORMAT})")
    if report.get("role") == "source":
        raise UsageError(
            "an audit report has no implementation to replay: run `inngest-conformance audit "
            "FILE.jsonl` on the source's new output instead"
        )
    groups = failure_groups(report, only)
    if only:
        ids = {row.get("id") for g in groups for row in g.rows}
        missing = [i for i in only if i not in ids]
        if missing:
            raise UsageError(f"the report has no failed requirement {missing[0]!r}")
    if case is not None:
        groups = _narrow_to_case(groups, case)
    if not any(g.rows for g in groups):
        return []
    named = invocation(target=target, command=command, url=url)
    if len(named) > 2:
        raise UsageError("name exactly one implementation: --target, --command or --url")
    if implementation is not None and not named:
        raise UsageError(
            "--implementation picks whose failures face the implementation you "
            "name: add --target, --command or --url"
        )
    if named and report.get("compare") is not None:
        groups = _choose(groups, named, implementation)
        if case is not None:
            groups = _narrow_to_case(groups, case, f"{_listing([g.column for g in groups])}")
    elif implementation is not None:
        raise UsageError("--implementation is for compare reports; this report has one")
    if not named and not trust_report:
        _refuse_untrusted(groups)
    options = recorded_options(_recorded(report))
    ctx = _recorded_context(report, options, trusted=trust_report)
    by_id = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    out: list[Replayed] = []
    for group in groups:
        if not group.rows:
            continue
        reach = named or implementation_words(group.invocation)
        if not reach:
            raise UsageError(
                "the report does not say how to reach its implementation: name it with "
                "--target, --command or --url"
            )
        # A Python target's own refusal classes: named here, or recorded with it.
        rejects = list(rejects_with) if named else recorded_options(group.invocation).rejects_with
        adapter = AdapterSpec(
            **{reach[0][2:]: reach[1]},
            request_timeout=timeout,
            startup_timeout=startup_timeout,
            max_answer_bytes=max_answer_bytes,
            rejects_with=tuple(rejects) if reach[0] == "--target" else (),
            schema=options.schema,
            lifecycle=options.lifecycle,
            draft=options.draft,
        ).open()
        try:
            for row in group.rows:
                out += _replay_row(ctx, by_id, adapter, row, group.column)
        finally:
            adapter.close()
    return out


def _replay_row(
    ctx: Context, by_id: Mapping[str, Requirement], adapter: Any, row: dict[str, Any], column: str
) -> list[Replayed]:
    """Every saved case of one failed row: each kind of its ``failures``, else its own."""
    rid = str(row.get("id"))
    req = by_id.get(rid)
    if req is None:
        return [Replayed(rid, "errored", "this schema has no such requirement", column)]
    held = [f for f in row.get("failures") or [] if isinstance(f, dict)] or [row]
    return [_replay_one(ctx, req, adapter, case, column) for case in held]


def _replay_one(
    ctx: Context, req: Requirement, adapter: Any, row: dict[str, Any], column: str
) -> Replayed:
    kind = str(row.get("kind") or "")
    case = rebuild_case(req, row)
    sent = case_record(req, case)
    fails, message = 0, ""
    shown: Judgement | None = None
    try:
        for _ in range(TRIES):
            j = judge(ctx, req, adapter, case)
            if not j.ok:
                fails += 1
                message = j.message
            if shown is None or not j.ok:
                shown = j
    except StartError:
        raise
    except (ImplementationError, Unsupported) as exc:
        return Replayed(req.id, "errored", str(exc), column, case_id(case), kind=kind, sent=sent)
    if fails == TRIES:
        status = "still-fails"
    elif fails:
        status, message = "flaky", f"failed {fails} of {TRIES} times: {message}"
    else:
        status, message = "passes-now", "the counterexample no longer fails"
    assert shown is not None
    return Replayed(
        req.id,
        status,
        message,
        column,
        case_id(case),
        shown.answer,
        shown.expected,
        kind=kind,
        sent=sent,
    )
