"""A report's hints: what a pattern of failures usually means, said where the user reads.

python-jsonschema's ``Draft202012Validator`` without a format checker is the real case of
the first pattern: it fails every malformed-date-time requirement with a dozen kinds and
no word of why.  A store that writes ``null`` times on create is the second: one ``null``
fails a MUST and two SHOULDs at once.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance._engine import Failure, Result
from inngest_conformance._hints import hints
from inngest_conformance._planning import context, plan
from inngest_conformance._requirements import Requirement
from inngest_conformance._vocabulary import Outcome
from inngest_conformance.reference import ReferenceStore, Verdict
from inngest_conformance.report import report_schema
from inngest_conformance.strategies._schema import default_schema
from jsonschema import Draft202012Validator

from tests.common import ROOT, certify_obj, read_report, run_cli
from tests.defects import accepts_space_separator

EVENT = ROOT / "examples" / "schemas" / "event.schema.json"
#: python-jsonschema as most projects first use it: no format checker.
PLAIN = Draft202012Validator(dict(default_schema().document))

FORMAT_REJECTS = [
    r.id
    for r in plan(context(), "validator")
    if r.level == "format" and r.kind == "reject"  # the malformed date-time requirements
]
SHARED = [
    "lifecycle:returns-valid-records",
    "lifecycle:no-started-at-while-initial",
]
#: Run beside them and passing: a null end time is no end time (the schema's own
#: requirement blames the null).
PASSING = "lifecycle:ended-at-exactly-when-terminal"


class NullTimes(ReferenceStore):
    """Writes ``started_at`` and ``ended_at`` as ``null`` into every new run."""

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        super().create(record)
        run = self.runs[record["run_id"]]
        run.setdefault("started_at", None)
        run.setdefault("ended_at", None)
        return dict(run)


def _valid(report: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(report_schema()).validate(report)


def test_python_jsonschema_without_a_format_checker_is_told_why(tmp_path: Path) -> None:
    proc = run_cli(
        tmp_path, "certify", "--target", "tests.test_hints:PLAIN", "--profile", "quick",
        "--report-dir", "out",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = read_report(tmp_path / "out")
    _valid(report)
    (hint,) = report["hints"]
    assert hint["kind"] == "format-not-asserted" and hint["levels"] == ["format"]
    assert hint["requirements"] == FORMAT_REJECTS
    rows = {r["id"]: r for r in report["requirements"]}
    assert all(rows[rid]["outcome"] == "failed" and rows[rid]["met"] == 0 for rid in FORMAT_REJECTS)
    text = hint["text"]
    for advice in ("date-time", "format_checker=", "rfc3339-validator", "--levels schema"):
        assert advice in text
    # One line in the terminal, and the same line in each report people read.
    assert [line for line in proc.stdout.splitlines() if line.startswith("hint: ")] == [
        f"hint: {text}"
    ]
    md = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert md.index("## What this usually means") < md.index(f"- {text}") < md.index("## Failures")
    page = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert (
        page.index('id="hints"') < page.index(html.escape(text)) < page.index("<h2>Failures</h2>")
    )


def test_the_hints_advice_works(tmp_path: Path) -> None:
    """``--levels schema`` judges the same validator's structure alone: conformant."""
    proc = run_cli(
        tmp_path, "certify", "--target", "tests.test_hints:PLAIN", "--profile", "quick",
        "--levels", "schema", "--report-dir", "out",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hints" not in read_report(tmp_path / "out") and "hint: " not in proc.stdout
    checked = Draft202012Validator(
        dict(default_schema().document), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    report = certify_obj(checked, only=FORMAT_REJECTS)
    # With a format checker, date-time is asserted only where rfc3339-validator is installed,
    # as the hint says: there the hint goes (rfc3339-validator still lets some malformations
    # through, the look-alike digits among them), elsewhere the hint stays.
    try:
        import rfc3339_validator  # noqa: F401
    except ImportError:
        asserted = False
    else:
        asserted = True
    assert ("hints" not in report) == asserted
    if not asserted:
        assert {r["outcome"] for r in report["requirements"]} == {"failed"}
    else:
        assert all(r["met"] > 0 for r in report["requirements"] if r["outcome"] == "failed")


def test_the_format_hint_names_the_schemas_own_format() -> None:
    """Derived from the schema: an email place nested in an object, python-jsonschema
    without a format checker.  Its int64 place is OpenAPI's, which the dialect ignores: its
    requirement (a SHOULD) rejected nothing too, and is no part of the hint.  No word of
    date-time."""
    ctx = context(str(EVENT), None)
    report = certify_obj(Draft202012Validator(dict(ctx.schema.document)), ctx=ctx)
    (hint,) = report["hints"]
    assert hint["kind"] == "format-not-asserted"
    assert hint["requirements"] == ["format:rejects-malformed-format:/user/email"]
    assert "malformed email values" in hint["text"]
    assert "date-time" not in hint["text"] and "int64" not in hint["text"]
    rows = {r["id"]: r for r in report["requirements"]}
    ts = rows["format:rejects-out-of-range-for-format:/ts"]
    assert ts["outcome"] == "failed" and ts["met"] == 0 and ts["keyword"] == "SHOULD"


def test_one_malformation_missed_is_no_format_hint() -> None:
    """A validator that takes a space for 'T' fails the same requirements, but rejects the
    other malformations: its format is asserted, wrongly."""
    report = certify_obj(accepts_space_separator, only=FORMAT_REJECTS)
    assert {r["outcome"] for r in report["requirements"]} == {"failed"}
    assert all(r["met"] > 0 for r in report["requirements"])
    assert "hints" not in report


def test_an_implementation_that_accepts_everything_is_told_so() -> None:
    report = certify_obj(lambda record: Verdict(True))
    _valid(report)
    (hint,) = report["hints"]
    assert hint["kind"] == "rejects-nothing" and hint["levels"] == ["schema", "format"]
    rejects = [r["id"] for r in report["requirements"] if ":rejects-" in r["id"]]
    assert hint["requirements"] == rejects
    assert "--rejects-with" in hint["text"]


def test_a_conformant_report_has_no_hints_field() -> None:
    """Report bytes stay as they were where nothing needs saying."""
    from inngest_conformance.reference import validator

    assert "hints" not in certify_obj(validator, only=FORMAT_REJECTS)


def test_requirements_failing_on_one_case_are_said_to_share_it(tmp_path: Path) -> None:
    only = [a for rid in (*SHARED, PASSING) for a in ("--requirement", rid)]
    proc = run_cli(
        tmp_path, "certify", "--target", "tests.test_hints:NULL_TIMES", "--role", "lifecycle",
        "--profile", "quick", *only, "--report-dir", "out",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = read_report(tmp_path / "out")
    _valid(report)
    (hint,) = report["hints"]
    assert hint["kind"] == "shared-case" and hint["requirements"] == SHARED
    rows = {r["id"]: r for r in report["requirements"]}
    assert {rows[rid]["case_id"] for rid in SHARED} == {hint["case_id"]}
    text = hint["text"]
    assert rows[PASSING]["outcome"] == "passed"
    assert "(MUST)" in text and text.count("(SHOULD)") == 1 and hint["case_id"] in text
    assert f"hint: {text}" in proc.stdout.splitlines()


NULL_TIMES = NullTimes()


# --- the grouping of shared cases, on any results ------------------------------------------

OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "errored")
CASES = st.sampled_from([f"{n:016x}" for n in range(4)])


def _requirement(n: int) -> Requirement:
    return Requirement(
        id=f"lifecycle:r{n}",
        level="lifecycle",
        keyword="MUST" if n % 2 else "SHOULD",
        statement="s",
        role="lifecycle",
        kind="lifecycle",
        gen=lambda src, ctx: None,
    )


@st.composite
def results(draw: st.DrawFn) -> list[Result]:
    out = []
    for n in range(draw(st.integers(0, 6))):
        outcome = draw(st.sampled_from(OUTCOMES))
        head = draw(CASES) if outcome != "passed" else ""
        kinds = draw(st.lists(CASES, max_size=3)) if outcome == "failed" else []
        failures = tuple(
            Failure(f"k{i}", "", None, None, None, False, c) for i, c in enumerate(kinds)
        )
        out.append(Result(_requirement(n), outcome, 1, 0, case_id=head, failures=failures))
    return out


def test_a_shared_case_is_named_in_the_rows_order() -> None:
    """Two requirements sharing two cases: the hint names the first row's headline, on any
    hash seed (a set's order would pick either)."""
    a, b = "0" * 15 + "a", "0" * 15 + "b"
    kinds = (
        Failure("k0", "", None, None, None, False, a),
        Failure("k1", "", None, None, None, False, b),
    )
    found = [
        Result(_requirement(n), "failed", 1, 0, case_id=(a, b)[n], failures=kinds[:: 1 - 2 * n])
        for n in range(2)
    ]
    (hint,) = hints(context(), found)
    assert hint["case_id"] == a and hint["requirements"] == ["lifecycle:r0", "lifecycle:r1"]


def _ids(r: Result) -> set[str]:
    return ({r.case_id} | {f.case_id for f in r.failures}) - {""}


@settings(max_examples=300, deadline=None)
@given(results())
def test_every_shared_case_is_said_once_and_only_where_true(found: list[Result]) -> None:
    shared = [h for h in hints(context(), found) if h["kind"] == "shared-case"]
    by_id = {r.requirement.id: r for r in found}
    groups = [set(h["requirements"]) for h in shared]
    for h, group in zip(shared, groups, strict=True):
        assert len(group) == len(h["requirements"]) >= 2
        assert all(by_id[rid].outcome in ("failed", "errored") for rid in group)
        assert all(h["case_id"] in _ids(by_id[rid]) for rid in group)
        assert not any(group < other for other in groups)  # never a group inside another
    broken = [r for r in found if r.outcome != "passed"]
    for a in broken:
        for b in broken:
            if a is not b and _ids(a) & _ids(b):
                pair = {a.requirement.id, b.requirement.id}
                assert any(pair <= group for group in groups), (pair, groups)
