"""Coverage as evidence: which variants each requirement's cases exercised, and how often.

The counting is read from the cases alone, so it is checked here without an implementation
(every directed case set covers its requirement's variants), then through the engine (the
same seed counts the same; the counts survive report.json), the certify profile's rule (a
requirement that passed without every variant is ``incomplete``), the reports that open
with the failures, and the pytest plugin's report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance import _variants
from inngest_conformance._adapters import open_adapter
from inngest_conformance._cli import main
from inngest_conformance._engine import (
    PROFILES,
    Result,
    incomplete,
    result_from_json,
    run_requirement,
)
from inngest_conformance._planning import context
from inngest_conformance._render import to_html, to_markdown
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance._variants import Coverage, Tally, exercised, variant_names
from inngest_conformance.plugin import option_name
from inngest_conformance.reference import store, validator
from inngest_conformance.report import report_schema

from tests.common import REFERENCE, certify_obj, read_report
from tests.defects import lowercases_status

pytest_plugins = ["pytester"]

CTX = context()
CATALOGUE = {r.id: r for r in catalogue(CTX.schema, model=CTX.model)}
ENUM = "schema:accepts-every-value:status"
MALFORMED = "format:rejects-malformed-date-time:started_at"
RFC3339 = "format:accepts-rfc3339:started_at"
ILLEGAL = "lifecycle:rejects-illegal-transitions"
#: Requirements whose every case shows exactly one of its own variants.
ONE_VARIANT_A_CASE = [ENUM, MALFORMED, "schema:rejects-not-in-enum:status"]


def req(rid: str) -> Requirement:
    return CATALOGUE[rid]


# --- counting, from the cases alone ------------------------------------------------------


@pytest.mark.parametrize("rid", sorted(CATALOGUE))
def test_the_directed_cases_exercise_every_variant(rid: str) -> None:
    """At every profile the directed cases run, so they alone make ``never`` empty for an
    implementation that answers them all."""
    r = req(rid)
    tally = Tally(CTX, r)
    for case in tally.directed():
        tally.add(case)
    assert tally.coverage().never == ()
    assert set(variant_names(CTX, r)) <= set(tally.counts)


def test_each_kind_of_case_names_its_variants() -> None:
    enum_case = next(c for c in req(ENUM).explicit(CTX) if c["status"] == "PAUSED")
    assert exercised(CTX, req(ENUM), enum_case) == ("PAUSED",)
    invalid = req(MALFORMED).explicit(CTX)[0]
    assert exercised(CTX, req(MALFORMED), invalid) == (invalid.violation.detail,)
    leap = next(c for c in req(RFC3339).explicit(CTX) if c["started_at"].endswith(":60Z"))
    assert exercised(CTX, req(RFC3339), leap) == ("leap-second",)
    record = {"run_id": "r", "function_id": "f", "status": "QUEUED", "output": {}}
    shown = exercised(CTX, req("schema:accepts-valid-records"), record)
    assert {"output:present", "app_id:absent", "status:QUEUED"} <= set(shown)
    program = req(ILLEGAL).explicit(CTX)[0]
    steps = exercised(CTX, req(ILLEGAL), program)
    assert steps[0] == "create" and len(steps) == len(set(steps))


@settings(max_examples=15, deadline=None)
@given(rid=st.sampled_from(ONE_VARIANT_A_CASE), data=st.data())
def test_counts_add_up_and_never_is_the_rest(rid: str, data: st.DataObject) -> None:
    r = req(rid)
    cases = data.draw(st.lists(r.cases(CTX), min_size=1, max_size=8))
    tally = Tally(CTX, r)
    for case in cases:
        tally.add(case)
    cov = tally.coverage()
    names = variant_names(CTX, r)
    assert sum(cov.exercised.values()) == len(cases)
    assert all(n >= 1 for n in cov.exercised.values())
    assert cov.never == tuple(n for n in names if n not in cov.exercised)
    assert cov.variants == len(names)
    own = [n for n in cov.exercised if n in names]
    assert list(cov.exercised)[: len(own)] == own == [n for n in names if n in own]


# --- through the engine -------------------------------------------------------------------


def _run(rid: str, obj: Any, seed: int = 7) -> Result:
    adapter = open_adapter(obj=obj)
    try:
        return run_requirement(CTX, req(rid), adapter, examples=30, run_seed=seed)
    finally:
        adapter.close()


def test_the_same_seed_counts_the_same_and_the_count_survives_json() -> None:
    first, again = _run(ENUM, validator), _run(ENUM, validator)
    assert first.coverage is not None and first.coverage == again.coverage
    assert sum(first.coverage.exercised.values()) == first.examples
    assert first.coverage.never == ()
    back = result_from_json(json.loads(json.dumps(first.to_json())), req(ENUM))
    assert back.coverage == first.coverage and back.to_json() == first.to_json()


def test_a_lifecycle_run_counts_every_transition_it_tried() -> None:
    result = _run(ILLEGAL, store)
    assert result.outcome == "passed" and result.coverage is not None
    assert result.coverage.never == ()
    assert result.coverage.exercised["create"] == result.examples
    assert set(variant_names(CTX, req(ILLEGAL))) <= set(result.coverage.exercised)


def test_a_failed_requirement_still_has_its_coverage() -> None:
    result = _run("schema:rejects-not-in-enum:status", lowercases_status)
    assert result.outcome == "failed" and result.coverage is not None
    assert result.to_json()["coverage"]["exercised"]["case"] >= 1


@pytest.mark.slow
def test_the_reference_implementations_exercise_every_variant_at_quick() -> None:
    for obj, role in ((validator, "validator"), (store, "lifecycle")):
        report = certify_obj(obj, role=role, profile="quick")
        jsonschema.validate(report, report_schema())
        assert {r["id"]: r["coverage"]["never"] for r in report["requirements"]} == {
            r["id"]: [] for r in report["requirements"]
        }


# --- the certify profile: every variant, or incomplete --------------------------------------


def _with_unmade_variant(monkeypatch: pytest.MonkeyPatch) -> None:
    """The enum requirement gets a variant no case can show (and, to keep the test quick,
    the certify profile the quick profile's budget: the rule goes by the profile's name)."""
    monkeypatch.setitem(PROFILES["certify"], "accept", PROFILES["quick"]["accept"])
    real = _variants.variant_names

    def names(ctx: Context, r: Requirement, directed: Any = None) -> list[str]:
        extra = ["never-made"] if r.id == ENUM else []
        return [*real(ctx, r, directed), *extra]

    monkeypatch.setattr(_variants, "variant_names", names)
    monkeypatch.setattr("inngest_conformance._planning.variant_names", names)


def test_incomplete_turns_only_a_passed_result_into_errored() -> None:
    cov = Coverage({"QUEUED": 3}, ("RUNNING", "PAUSED"), 3)
    passed = Result(req(ENUM), "passed", 3, 1, coverage=cov, declared={"PAUSED": "no pause"})
    out = incomplete(passed)
    assert out.outcome == "errored"
    assert out.message.startswith("incomplete: 1 variant never exercised: RUNNING")
    assert "PAUSED" not in out.message and f"{ENUM}[RUNNING]" in out.detail
    failed = Result(req(ENUM), "failed", 3, 1, coverage=cov)
    assert incomplete(failed) is failed
    done = Result(req(ENUM), "passed", 3, 1, coverage=Coverage({"QUEUED": 3}, (), 1))
    assert incomplete(done) is done


@pytest.mark.parametrize("profile", ["certify", "quick"])
def test_at_certify_a_variant_never_exercised_is_not_passed(
    profile: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _with_unmade_variant(monkeypatch)
    args = ["certify", "--target", REFERENCE, "--requirement", ENUM, "--profile", profile]
    status = main([*args, "--report-dir", str(tmp_path), "--quiet"])
    row = read_report(tmp_path)["requirements"][0]
    assert row["coverage"]["never"] == ["never-made"]
    if profile == "quick":  # only reported
        assert (status, row["outcome"]) == (0, "passed")
        return
    assert (status, row["outcome"]) == (2, "errored")
    assert row["message"].startswith("incomplete: 1 variant never exercised: never-made")
    assert "--skip" in row["detail"] and "reproduce" in row
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert md.index("incomplete: ") < md.index("| requirement | level |")


def test_at_certify_a_declared_variant_is_not_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _with_unmade_variant(monkeypatch)
    args = ["certify", "--target", REFERENCE, "--requirement", ENUM, "--profile", "certify"]
    skip = ["--skip", f"{ENUM}[never-made]", "--reason", "not made"]
    assert main([*args, *skip, "--report-dir", str(tmp_path), "--quiet"]) == 0
    row = read_report(tmp_path)["requirements"][0]
    assert row["outcome"] == "passed" and row["coverage"]["never"] == ["never-made"]


# --- reports open with the failures --------------------------------------------------------


@pytest.fixture(scope="module")
def failing() -> dict[str, Any]:
    return certify_obj(lowercases_status, only=[ENUM, "schema:rejects-not-in-enum:status"])


@pytest.fixture(scope="module")
def conformant() -> dict[str, Any]:
    return certify_obj(validator, only=[ENUM, MALFORMED])


def test_markdown_opens_with_the_failures(failing: dict[str, Any]) -> None:
    md = to_markdown(failing)
    verdict, failures = md.index("**Verdict: non-conformant"), md.index("## Failures")
    table = md.index("| requirement | level | keyword |")
    row = next(r for r in failing["requirements"] if r["outcome"] == "failed")
    assert verdict < failures < md.index(f"### `{row['id']}`") < table
    section = md[failures:table]
    for evidence in (
        "- counterexample: ",
        "- answer: ",
        "- expected: ",
        "- reproduce (this case): `",
    ):
        assert evidence in section
    assert row["reproduce"] in section
    assert md.count("## Failures") == 1 and table < md.index("## Coverage")


def test_html_opens_with_the_failures(failing: dict[str, Any]) -> None:
    page = to_html(failing)
    failures, table = page.index("<h2>Failures</h2>"), page.index("<h2>Requirements</h2>")
    assert page.index('id="verdict"') < failures < table < page.index("<h2>Coverage</h2>")
    section = page[failures:table]
    assert "<strong>expected</strong>" in section and "<strong>answer</strong>" in section
    assert "Reproduce (this case): <code>" in section and page.count("<h2>Failures</h2>") == 1


def test_a_conformant_report_says_so_in_one_line_then_shows_coverage(
    conformant: dict[str, Any],
) -> None:
    md = to_markdown(conformant)
    lines = md.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("**Verdict: conformant"))
    assert lines[at + 2] == "No failures: 2 requirements passed."
    assert "## Failures" not in md
    coverage, table = md.index("## Coverage"), md.index("| requirement | level | keyword |")
    assert coverage < table
    assert f"| `{ENUM}` | 6 of 6 | QUEUED ×" in md[coverage:table]
    page = to_html(conformant)
    assert page.index('id="no-failures"') < page.index("<h2>Coverage</h2>")
    assert page.index("<h2>Coverage</h2>") < page.index("<h2>Requirements</h2>")
    assert 'aria-label="6 of 6"' in page and "<h2>Failures</h2>" not in page


def test_hostile_variant_names_are_escaped(conformant: dict[str, Any]) -> None:
    evil = "<script>alert(1)</script>|`\x00"
    rows = [
        {**r, "coverage": {"variants": 2, "exercised": {evil: 1}, "never": [evil]}}
        for r in conformant["requirements"]
    ]
    report = {**conformant, "requirements": rows}
    page, md = to_html(report), to_markdown(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    coverage = md[md.index("## Coverage") : md.index("| requirement | level |")]
    for line in coverage.splitlines():
        if line.startswith("| `"):
            assert line.replace("\\|", "").count("|") == 5 and "\x00" not in line


# --- the pytest plugin --------------------------------------------------------------------


@pytest.mark.slow
def test_the_plugins_merged_report_carries_coverage(pytester: pytest.Pytester) -> None:
    args = (option_name("target"), REFERENCE, option_name("profile"), "quick", "-k", "every")
    serial = pytester.runpytest_subprocess(*args, "-n", "0", option_name("report"), "n0")
    merged = pytester.runpytest_subprocess(*args, "-n", "2", option_name("report"), "n2")
    assert serial.ret == merged.ret == 0
    one, two = read_report(pytester.path / "n0"), read_report(pytester.path / "n2")
    assert [r["id"] for r in two["requirements"]] == [ENUM]
    assert [r["coverage"] for r in two["requirements"]] == [
        r["coverage"] for r in one["requirements"]
    ]
    assert two["requirements"][0]["coverage"]["never"] == []
    assert "## Coverage" in (pytester.path / "n2" / "report.md").read_text(encoding="utf-8")
