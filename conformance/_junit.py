"""JUnit XML of a finished report: the format CI systems read.

Built from the report document itself, never from the run, so it cannot disagree with
``report.json``: one ``<testsuite>`` per implementation (each column of a comparison has
its own), one ``<testcase>`` per requirement.  A test case fails exactly when its
requirement fails the run, so a CI reading the file and one reading the exit status never
disagree: a failed MUST is a ``<failure>`` holding the evidence and the ``reproduce:``
command, an errored requirement an ``<error>``; a failed SHOULD or MAY, a warning, passes
with its evidence in ``<system-out>``; a skipped one, or a declared exception, is
``<skipped>`` with its reason.  Against a baseline (the report's ``baseline`` section) a
known failure is ``<skipped>`` (``known failure (baseline): REASON``), and a fixed one (it
passes now, or no longer fails in every kind its entry names) is a ``<failure>``, as a new
one is.

Counterexamples are hostile by design.  Every value goes through
:func:`~inngest_conformance._render.visible` first, which escapes each non-printable
character (control characters, NUL, lone surrogates, U+FFFE: everything XML 1.0 cannot
hold is among them) and elides long values; :mod:`xml.etree.ElementTree` then escapes the
markup (``<``, ``&``, ``]]>``), so the file is well-formed whatever was found.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from inngest_conformance._encode import clip, one_line
from inngest_conformance._output_files import write_atomic
from inngest_conformance._render import KNOWN, baseline_say, deciding_baseline, standing, visible
from inngest_conformance.errors import ReportWriteError, UsageError

#: How much of a message a ``message`` attribute holds, and of a value a failure's text.
MESSAGE_AT = 500
VALUE_AT = 2000
#: The keyword whose failure fails the test case (a failed SHOULD or MAY is a warning).
FAILING = ("MUST",)


def _text(value: Any, limit: int = VALUE_AT) -> str:
    return visible(value, limit=limit)


def _message(value: Any) -> str:
    return clip(_text(one_line(str(value or "")), MESSAGE_AT + 1), MESSAGE_AT)


def _evidence(row: dict[str, Any]) -> str:
    """A failure's text: what was wrong, the case, the answer, what was expected, and the
    command that reruns it."""
    lines = [f"{_text(row['id'], 300)} ({row['keyword']}): {_text(row.get('message', ''))}"]
    lines.append(f"counterexample: {_text(row.get('counterexample'))}")
    if row["outcome"] == "failed":
        lines.append(f"answer: {_text(row.get('answer'))}")
        lines.append(f"expected: {_text(row.get('expected'))}")
        kinds = row.get("failures") or []
        if len(kinds) > 1:
            lines.append(f"{len(kinds)} kinds of failure (report.json has each in full):")
            lines += [
                f"  {_text(f['kind'], 80)}: {_text(f.get('counterexample'), 300)}" for f in kinds
            ]
    elif row.get("detail"):
        lines.append(f"detail:\n{visible(row['detail'], limit=VALUE_AT, indent=2)}")
    if row.get("implementation"):
        lines.append(f"implementation: {_text(row['implementation'], 200)}")
    if row.get("reproduce"):
        lines.append(f"reproduce: {_text(row['reproduce'])}")
    if row.get("replay"):
        lines.append(f"replay: {_text(row['replay'])}")
    return "\n".join(lines) + "\n"


def _seconds(value: Any) -> str:
    return f"{float(value):.3f}" if isinstance(value, (int, float)) else "0.000"


def _testcase(
    row: dict[str, Any], exceptions: dict[str, str], baseline: dict[str, Any] | None, key: str
) -> ET.Element:
    case = ET.Element(
        "testcase",
        name=_text(row["id"], 300),
        classname=f"inngest-conformance.{_text(row['level'], 60)}",
        time=_seconds(row.get("duration_s", 0)),
    )
    outcome = row["outcome"]
    where = standing(baseline, key)
    if baseline is not None and where is not None:
        say = baseline_say(baseline, where, key)
        if where == "known":
            known = ET.SubElement(case, "skipped", message=_message(f"{KNOWN}: {say}"))
            known.text = _evidence(row)
            return case
        text = f"baseline: {say}\n"
        if outcome == "errored":  # an errored requirement is known or new, never fixed
            error = ET.SubElement(
                case, "error", message=_message(row.get("message")), type="errored"
            )
            error.text = _evidence(row) + text
            return case
        message, kind = (say, "fixed") if where == "fixed" else (row.get("message"), row["keyword"])
        failure = ET.SubElement(case, "failure", message=_message(message), type=kind)
        failure.text = (_evidence(row) if outcome == "failed" else f"{row['id']}\n") + text
        return case
    if outcome == "failed" and row["keyword"] in FAILING and baseline is None:
        failure = ET.SubElement(
            case, "failure", message=_message(row.get("message")), type=row["keyword"]
        )
        failure.text = _evidence(row)
    elif outcome == "failed":
        out = ET.SubElement(case, "system-out")
        out.text = _evidence(row)
    elif outcome == "errored":
        error = ET.SubElement(case, "error", message=_message(row.get("message")), type="errored")
        error.text = _evidence(row)
    elif outcome == "skipped":
        reason = row.get("message") or ""
        if row["id"] in exceptions and not reason:
            reason = f"declared exception: {exceptions[row['id']]}"
        ET.SubElement(case, "skipped", message=_message(reason))
    return case


def _suite(
    name: str,
    rows: list[dict[str, Any]],
    report: dict[str, Any],
    *,
    verdict: str,
    time: Any,
    column: str | None = None,
) -> ET.Element:
    exceptions = {e["id"]: e["reason"] for e in report.get("exceptions", [])}
    baseline = deciding_baseline(report)
    cases = [
        _testcase(r, exceptions, baseline, r["id"] if column is None else f"{r['id']}@{column}")
        for r in rows
    ]
    counted = {
        kind: sum(1 for c in cases if c.find(kind) is not None)
        for kind in ("failure", "error", "skipped")
    }
    suite = ET.Element(
        "testsuite",
        name=_text(name, 300),
        tests=str(len(cases)),
        failures=str(counted["failure"]),
        errors=str(counted["error"]),
        skipped=str(counted["skipped"]),
        time=_seconds(time),
        timestamp=_text(report.get("started_at", ""), 40),
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("verdict", verdict),
        ("role", report.get("role")),
        ("profile", report.get("profile")),
        ("seed", report.get("seed")),
        ("kit", report.get("kit", {}).get("version")),
        ("fingerprint", report.get("fingerprint")),
    ):
        if value is not None:
            ET.SubElement(properties, "property", name=key, value=_text(str(value), 300))
    suite.extend(cases)
    return suite


def suites(report: dict[str, Any]) -> Iterator[ET.Element]:
    """The ``<testsuite>`` elements of one report: one, or one per compared implementation."""
    section = report.get("compare")
    if not isinstance(section, dict):
        yield _suite(
            report["implementation"].get("name") or "?",
            report["requirements"],
            report,
            verdict=str(report.get("verdict_text") or report["verdict"]),
            time=report.get("duration_s", 0),
        )
        return
    for entry in section["implementations"]:
        column = entry["column"]
        evidence = {r["id"]: r for r in entry.get("failures", [])}
        rows = [
            evidence.get(m["id"])
            or {
                "id": m["id"],
                "level": m["level"],
                "keyword": m["keyword"],
                "outcome": m["outcomes"][column],
            }
            for m in section["matrix"]
        ]
        yield _suite(
            column, rows, report, verdict=str(entry.get("verdict", "")), time=0, column=column
        )


def to_junit(reports: Iterable[dict[str, Any]]) -> str:
    """One JUnit XML document of ``reports`` (each a report.json document)."""
    root = ET.Element("testsuites", name="inngest-conformance")
    for report in reports:
        root.extend(suites(report))
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def write_junit(path: str | os.PathLike[str], reports: Iterable[dict[str, Any]]) -> Path:
    """Write :func:`to_junit` of ``reports`` to ``path`` atomically (its folder made)."""
    out = Path(path)
    text = to_junit(reports)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, [text])
    except OSError as exc:
        raise ReportWriteError(
            f"cannot write the JUnit file {out}: {exc.strerror or exc}; choose another path"
        ) from None
    return out


def check_junit_path(path: str | os.PathLike[str]) -> None:
    """Refuse, before a run, a JUnit path that could never be written: a folder, or under a
    file."""
    out = Path(path)
    if out.is_dir():
        raise UsageError(f"cannot write the JUnit file {out}: it is a folder")
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"cannot write the JUnit file {out}: {parent} is not a folder")
