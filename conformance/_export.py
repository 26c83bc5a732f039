"""A report's failures as regression tests: a pytest module, or a JSON Schema Test Suite file.

A report keeps every failure's shrunk case with what was expected; written out as tests,
those cases guard the fix in the implementation's own test suite long after the report is
gone.  The pytest module puts each case to the implementation the plugin's options name,
through :func:`inngest_conformance.testing.check_case`, which judges it with the engine's
own :func:`~inngest_conformance._engine.judge` (lifecycle programs included): a test fails
exactly when the kit would still call the case a failure.  The test-suite file holds the
validator failures only, each record labelled with the validity the oracle gives it, for
any validator's JSON Schema Test Suite runner; a lifecycle program has no place there.

The cases are written into the module as Python literals (``repr`` of each string, so
quotes, backslashes, NUL, lone surrogates and non-ASCII text round-trip), falling back to
``json.loads`` of a string literal for what a literal cannot spell (NaN, infinities, nesting
deeper than a parser takes).
"""

from __future__ import annotations

import json
import math
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inngest_conformance._adapters.base import Adapter
from inngest_conformance._engine import Judgement, judge, rebuild_case
from inngest_conformance._output_files import write_atomic
from inngest_conformance._planning import absolute_or_profile, context
from inngest_conformance._replay import failure_groups, recorded_options
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance._vocabulary import Kind
from inngest_conformance.errors import UsageError
from inngest_conformance.report import FORMAT
from inngest_conformance.strategies import Violation
from inngest_conformance.strategies._formats import OPENAPI_FORMAT

#: How a recorded invocation's flags are spelt as the plugin's options.
PLUGIN_FLAGS = {
    "--target": "--conformance-target",
    "--command": "--conformance-command",
    "--url": "--conformance-url",
}
#: The plugin collects its own whole suite when an implementation is named on the command
#: line; a regression module runs only its own tests.
NO_SUITE = ("--conformance-collect", "never")
#: Nesting a case may have and still be written as a Python literal.
MAX_LITERAL_DEPTH = 40
LINE = 96


@dataclass(frozen=True, slots=True)
class ExportedCase:
    """One failure of a report: a requirement's case, and what was expected of it."""

    requirement: str
    kind: Kind
    variant: str
    """The failure kind (``case``, ``null``...), ``errored``, or ``""`` for a lone headline."""
    outcome: str
    message: str
    case: Any
    expected: Any

    @property
    def name(self) -> str:
        """The test id: the requirement id, with the failure kind as ``ID[kind]``."""
        return f"{self.requirement}[{self.variant}]" if self.variant else self.requirement


@dataclass(frozen=True, slots=True)
class ExportedColumn:
    """The failures of one implementation (the only one, or a compare report's column)."""

    column: str
    invocation: list[str]
    cases: list[ExportedCase] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Exported:
    """What :func:`export_report` wrote (path, number of tests) and what it left out."""

    written: list[tuple[Path, int]]
    left_out: list[str]
    failures: int


def _rows(row: Mapping[str, Any]) -> list[tuple[str, Any, Any, str]]:
    """A report row's failures: every kind of a failed one, the case of an errored one."""
    if row.get("outcome") == "errored":
        return [("errored", row.get("counterexample"), None, str(row.get("message", "")))]
    entries = [f for f in row.get("failures") or () if isinstance(f, dict)]
    if not entries:
        entries = [{"kind": "", **row}]
    return [
        (
            str(f.get("kind", "")),
            f.get("counterexample"),
            f.get("expected"),
            str(f.get("message", "")),
        )
        for f in entries
    ]


def report_failures(report: Mapping[str, Any], ctx: Context) -> list[ExportedColumn]:
    """Every failure of ``report``, by implementation; the requirement ids are looked up
    in the catalogue of ``ctx`` (the run's schema and lifecycle table)."""
    if not isinstance(report, Mapping) or report.get("format") != FORMAT:
        raise UsageError(f"not an inngest-conformance report (format {FORMAT})")
    if report.get("role") == "source":
        raise UsageError(
            "an audit report judges records a source emitted, not an implementation's "
            "answers: there is nothing to rerun"
        )
    by_id = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    columns = []
    for group in failure_groups(dict(report)):
        cases = []
        for row in group.rows:
            rid = str(row.get("id"))
            req = by_id.get(rid)
            if req is None:
                raise UsageError(
                    f"the report's requirement {rid!r} is not in this schema's catalogue: "
                    "pass the run's schema and lifecycle table with --schema and --lifecycle"
                )
            seen: set[str] = set()
            for variant, case, expected, message in _rows(row):
                name, n = variant, 2
                while name in seen:  # one test id each, even for a repeated kind
                    name, n = f"{variant}#{n}", n + 1
                seen.add(name)
                outcome = str(row.get("outcome"))
                cases.append(ExportedCase(rid, req.kind, name, outcome, message, case, expected))
        columns.append(ExportedColumn(group.column, list(group.invocation), cases))
    return columns


# --- judging one case ------------------------------------------------------------------------


def judge_case(
    ctx: Context, adapter: Adapter, requirement_id: str, case: Any, expected: Any = None
) -> Judgement:
    """The engine's judgement of one recorded case of ``requirement_id``.

    ``expected`` is the report's: for a record the requirement rejects it carries the
    violation the case was made with; without one (the case of an errored requirement)
    the violation is the oracle's first reason to reject the record.  Adapter errors
    propagate.
    """
    req = _requirement(ctx, requirement_id)
    row: dict[str, Any] = {"counterexample": case, "expected": expected}
    if req.kind == "reject" and not _has_violation(expected):
        row["expected"] = {"valid": False, "violation": _oracle_violation(ctx, req, case)}
    return judge(ctx, req, adapter, rebuild_case(req, row))


def _requirement(ctx: Context, requirement_id: str) -> Requirement:
    for req in catalogue(ctx.schema, model=ctx.model):
        if req.id == requirement_id:
            return req
    raise UsageError(
        f"no requirement {requirement_id!r} in this schema's catalogue "
        "(`inngest-conformance requirements` lists them)"
    )


def _has_violation(expected: Any) -> bool:
    return isinstance(expected, dict) and isinstance(expected.get("violation"), dict)


def _oracle_violation(ctx: Context, req: Requirement, record: Any) -> dict[str, Any]:
    """The oracle's first reason to reject ``record``: the dialect's, or else the kit's
    reading of OpenAPI's formats (a SHOULD requirement's case), named as such."""
    reading = None
    errors = ctx.oracle.errors(record)
    if not errors and req.keyword == "SHOULD":
        reading, errors = OPENAPI_FORMAT, ctx.oracle.errors(record, reading=OPENAPI_FORMAT)
    if not errors:
        raise UsageError(f"{req.id}: the case is a valid record, so it cannot be one to reject")
    e = errors[0]
    return Violation(
        rule=e.keyword,
        keyword=e.keyword,
        schema_path="",
        path=e.path,
        level=req.level,
        reading=reading,
    ).to_json()


# --- writing ---------------------------------------------------------------------------------


def export_report(
    report: Mapping[str, Any],
    *,
    report_path: str,
    pytest_path: str | None = None,
    test_suite_path: str | None = None,
    schema: str | None = None,
    lifecycle: str | None = None,
    draft: str | None = None,
) -> Exported:
    """Write ``report``'s failures as a pytest module and/or a test-suite file.

    ``schema`` and ``lifecycle`` are the run's (paths; the packaged ones by default): a
    report made with another schema or table is refused, since its cases would be judged
    against rules they were not made for.  ``draft`` is the draft of a schema without
    ``$schema`` (by default the one the report records).  A report with no failure writes nothing.
    """
    if pytest_path is None and test_suite_path is None:
        raise UsageError("say what to write: --pytest FILE, --test-suite FILE, or both")
    recorded = report.get("schema")
    if draft is None and isinstance(recorded, dict) and isinstance(recorded.get("draft"), str):
        draft = recorded["draft"]  # the run's, where its schema said none of its own
    ctx = context(schema, lifecycle, draft)
    _check_hash(report, "schema", ctx.schema.sha256, "--schema", schema)
    columns = report_failures(report, ctx)
    total = sum(len(c.cases) for c in columns)
    written: list[tuple[Path, int]] = []
    left_out: list[str] = []
    if not total:
        return Exported(written, left_out, 0)
    if pytest_path is not None:
        if any(c.kind == "lifecycle" for col in columns for c in col.cases):
            _check_hash(report, "lifecycle_model", ctx.model.sha256, "--lifecycle", lifecycle)
        absolute = {
            "schema": absolute_or_profile(schema) if schema else None,
            "lifecycle": absolute_or_profile(lifecycle) if lifecycle else None,
        }
        text = pytest_module(report, columns, report_path, pytest_path, **absolute, draft=draft)
        _write(pytest_path, text)
        written.append((Path(pytest_path), total))
    if test_suite_path is not None:
        groups, left_out = suite_groups(ctx, columns)
        n = sum(len(g["tests"]) for g in groups)
        if n:
            _write(test_suite_path, _json_text(groups))
            written.append((Path(test_suite_path), n))
    return Exported(written, left_out, total)


def _check_hash(
    report: Mapping[str, Any], key: str, ours: str, flag: str, given: str | None
) -> None:
    recorded = report.get(key, {}).get("sha256") if isinstance(report.get(key), dict) else None
    if recorded is not None and recorded != ours:
        what = "schema" if key == "schema" else "lifecycle table"
        source = given or f"the packaged {what}"
        raise UsageError(
            f"the report was made with another {what} (sha256 {str(recorded)[:12]}..., "
            f"{source} has {ours[:12]}...): pass the run's {what} with {flag} PATH"
        )


def _write(path: str, text: str) -> None:
    try:
        write_atomic(Path(path), [text])
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _json_text(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
        text = json.dumps(value, indent=2, ensure_ascii=True) + "\n"
    return text


# --- the JSON Schema Test Suite file ---------------------------------------------------------


#: How many requirements the line for the failures left out names before "and N more".
LISTED = 3


def suite_groups(ctx: Context, columns: Sequence[ExportedColumn]) -> tuple[list[Any], list[str]]:
    """The validator failures as test-suite groups (one per requirement and implementation),
    and one line for the failures left out (lifecycle programs), if any: a store's report
    may hold dozens, and each is exported by ``--pytest`` anyway."""
    groups: list[dict[str, Any]] = []
    programs: list[str] = []  # the requirements of the failures left out, once each
    n_programs = 0
    document = dict(ctx.schema.self_describing)
    by_id = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    for col in columns:
        whose = f" [{col.column}]" if col.column else ""
        current: dict[str, Any] | None = None
        for c in col.cases:
            if c.kind not in ("accept", "reject"):
                n_programs += 1
                if f"{c.requirement}{whose}" not in programs:
                    programs.append(f"{c.requirement}{whose}")
                continue
            if current is None or current["requirement"] != c.requirement:
                req = by_id[c.requirement]
                current = {
                    "requirement": c.requirement,
                    "description": f"{c.requirement}{whose}: {req.statement}",
                    "schema": document,
                    "tests": [],
                }
                groups.append(current)
            current["tests"].append(
                {
                    "description": ": ".join(t for t in (c.variant or c.outcome, c.message) if t),
                    "data": c.case,
                    "valid": c.kind == "accept",
                }
            )
    for g in groups:
        del g["requirement"]
    if not n_programs:
        return groups, []
    more = f" and {len(programs) - LISTED} more" if len(programs) > LISTED else ""
    return groups, [
        f"{n_programs} lifecycle failure{'s' if n_programs != 1 else ''} "
        f"({', '.join(programs[:LISTED])}{more}): a lifecycle program has no test-suite form "
        "(--pytest exports it)"
    ]


# --- the pytest module -----------------------------------------------------------------------


def plugin_command(invocation: Sequence[str], path: str) -> list[str]:
    """The pytest command that runs the module at ``path`` against the implementation a
    report's ``invocation`` names (its rejection classes included)."""
    words = ["pytest", path]
    for flag, value in zip(invocation[::2], invocation[1::2], strict=False):
        if flag in PLUGIN_FLAGS:
            words += [PLUGIN_FLAGS[flag], value]
    rejects = recorded_options(invocation).rejects_with
    if rejects:
        words += ["--conformance-rejects-with", " ".join(rejects)]
    return [*words, *NO_SUITE]


def _run_lines(invocation: Sequence[str], path: str, indent: str) -> list[str]:
    lines = [f"{indent}{_comment(shlex.join(plugin_command(invocation, path)))}"]
    if not any(flag in PLUGIN_FLAGS for flag in invocation[::2]):
        lines.append(
            f"{indent}(the report does not say how to reach the implementation: add "
            "--conformance-target, --conformance-command or --conformance-url)"
        )
    return lines


def _function_names(columns: Sequence[ExportedColumn]) -> list[str]:
    if len(columns) == 1 and not columns[0].column:
        return ["test_regression"]
    names: list[str] = []
    for i, col in enumerate(columns, 1):
        slug = re.sub(r"[^a-z0-9]+", "_", col.column.lower()).strip("_") or f"implementation_{i}"
        name, n = f"test_{slug}", 2
        while name in names:
            name, n = f"test_{slug}_{n}", n + 1
        names.append(name)
    return names


def _comment(text: str) -> str:
    """``text`` safe on one comment line: what is not printable, escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def pytest_module(
    report: Mapping[str, Any],
    columns: Sequence[ExportedColumn],
    report_path: str,
    module_path: str,
    *,
    schema: str | None = None,
    lifecycle: str | None = None,
    draft: str | None = None,
) -> str:
    """The text of the regression module: a header saying where it came from and how to
    run it, then one parametrized test function per implementation with failures."""
    columns = [c for c in columns if c.cases]
    names = _function_names(columns)
    implementation = report.get("implementation", {})
    header = [
        # Python reads a source encoding from a comment on line 1 or 2 (PEP 263): both are
        # fixed text, so no path or name in a report (a folder named ``coding=utf-7``) can
        # choose how the rest of the module is read.
        "# -*- coding: utf-8 -*-",
        "# Regression tests: the failures of an inngest-conformance report, one test each.",
        f"# report: {_comment(str(Path(report_path).resolve()))}",
        f"#   fingerprint {_comment(str(report.get('fingerprint', '')))}, seed "
        f"{_comment(str(report.get('seed')))}, profile {_comment(str(report.get('profile')))}",
        f"# implementation: {_comment(str(implementation.get('name', '')))}",
    ]
    if len(columns) == 1 and not columns[0].column:
        header += [
            "# run it against the implementation (a test passes once its failure is fixed):",
            *_run_lines(columns[0].invocation, module_path, "#   "),
        ]
    else:
        header += [
            "# one test function per implementation compared; run each against its own:",
        ]
        for col, name in zip(columns, names, strict=True):
            header.append(f"#   {_comment(col.column)}:")
            header += _run_lines(col.invocation, f"{module_path}::{name}", "#     ")
    header.append("# Written by `inngest-conformance export`.")
    body = [
        "",
        "from __future__ import annotations",
        "",
        "import json  # noqa: F401  (a case a literal cannot spell is read from JSON text)",
        "from typing import Any",
        "",
        "import pytest",
        "from inngest_conformance.testing import check_case",
        "",
        "#: The run's schema and lifecycle table (None: the packaged ones).",
        f"SCHEMA = {schema!r}",
        f"LIFECYCLE = {lifecycle!r}",
        *(
            ["#: The draft of the run's schema, which says none of its own.", f"DRAFT = {draft!r}"]
            if draft is not None
            else []
        ),
    ]
    for col, name in zip(columns, names, strict=True):
        body += ["", "", *_test_function(col, name, draft)]
    return "\n".join(header + body) + "\n"


def _test_function(col: ExportedColumn, name: str, draft: str | None = None) -> list[str]:
    lines = [
        "@pytest.mark.parametrize(",
        '    ("requirement_id", "case", "expected"),',
        "    [",
    ]
    for c in col.cases:
        lines += [
            "        pytest.param(",
            f"            {c.requirement!r},",
            f"            {literal(c.case, 12)},",
            f"            {literal(c.expected, 12)},",
            f"            id={c.name!r},",
            "        ),",
        ]
    whose = f" of {col.column}" if col.column else ""
    lines += [
        "    ],",
        ")",
        f"def {name}(",
        "    conformance_implementation: Any, requirement_id: str, case: Any, expected: Any",
        ") -> None:",
        f'    """A recorded failure{_doc(whose)}: the implementation must now get it right."""',
        "    check_case(",
        "        conformance_implementation,",
        "        requirement_id,",
        "        case,",
        "        expected=expected,",
        "        schema=SCHEMA,",
        "        lifecycle=LIFECYCLE,",
        *(["        draft=DRAFT,"] if draft is not None else []),
        "    )",
    ]
    return lines


def _doc(text: str) -> str:
    """``text`` inside a docstring: nothing in it can end the string early."""
    return _comment(text).replace("\\", "\\\\").replace('"', '\\"')


# --- literals --------------------------------------------------------------------------------


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _spellable(value: Any) -> bool:
    """Whether every leaf of ``value`` has a Python literal."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _spellable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_spellable(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int, bool))


def literal(value: Any, indent: int = 0) -> str:
    """Python source for the JSON value ``value``: evaluated, it equals ``value``.

    A literal (``repr`` of each string and number) where one can spell it, laid out over
    lines where it is long; else ``json.loads`` of the JSON text as a string literal.
    """
    if _depth(value) > MAX_LITERAL_DEPTH or not _spellable(value):
        text = json.dumps(value, ensure_ascii=True, allow_nan=True)
        return f"json.loads({text!r})"
    return _pretty(value, indent)


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    return repr(value)


def _pretty(value: Any, indent: int) -> str:
    flat = _flat(value)
    if len(flat) + indent <= LINE or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{pad}{k!r}: {_pretty(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{_pretty(v, indent + 4)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"
