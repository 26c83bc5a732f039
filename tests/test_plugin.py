"""The pytest plugin as another project meets it: a fresh directory, pytest, an option.

Every scenario runs pytest in a subprocess (``pytester.runpytest_subprocess``), so the
plugin is loaded the way users get it, through the installed ``pytest11`` entry point, and
nothing of this test session (its hooks, its options, its imported modules) leaks in.
Each run uses the ``quick`` profile to stay in seconds.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from datetime import datetime
from typing import Any

import pytest
from inngest_conformance._engine import PROFILES
from inngest_conformance._planning import context, plan
from inngest_conformance._vocabulary import CORE_LEVELS, LEVELS, OUTCOMES
from inngest_conformance.plugin import option_name
from inngest_conformance.report import FORMAT, VERDICTS, with_report_path
from inngest_conformance.strategies._fixtures import Fixtures

from tests.common import REFERENCE, read_report, timeless

pytest_plugins = ["pytester"]

VALIDATOR_IDS = [r.id for r in plan(context(), "validator")]
LIFECYCLE_IDS = [r.id for r in plan(context(), "lifecycle")]
ENUM_ID = "schema:rejects-not-in-enum:status"
QUICK = (option_name("profile"), "quick")

#: A validator with one planted defect: it accepts a status in the wrong case.
ACCEPTS_LOWER_CASE = '''
from inngest_conformance.reference import validator as reference


def accepts_lower_case_status(record):
    """Upper-cases the status before judging, so 'queued' passes."""
    if isinstance(record, dict) and isinstance(record.get("status"), str):
        record = {**record, "status": record["status"].upper()}
    return reference(record)
'''

#: A store with one planted SHOULD defect: a failed run gets no ended_at.
FORGETS_ENDED_AT = """
from inngest_conformance.reference import ReferenceStore


class ForgetsEndedAtOnFailed(ReferenceStore):
    def transition(self, run_id, status, at, output=None):
        record = super().transition(run_id, status, at, output)
        if status == "FAILED":
            self.runs[run_id].pop("ended_at", None)
            record.pop("ended_at", None)
        return record


store = ForgetsEndedAtOnFailed()
"""

_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR) (\S+)")


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Node id -> outcome, from the ``-rA`` short summary."""
    found: dict[str, str] = {}
    for line in result.stdout.lines:
        m = _SUMMARY.match(line)
        if m:
            found[m.group(2)] = m.group(1).lower()
    return found


def item_id(requirement_id: str) -> str:
    return f"inngest-conformance::{requirement_id}"


def check_report_shape(report: dict[str, Any]) -> None:
    """The top-level shape DESIGN.md makes a contract for other tools."""
    assert report["format"] == FORMAT
    assert isinstance(report["kit"]["version"], str) and report["kit"]["version"]
    for key in ("schema", "lifecycle_model"):
        assert re.fullmatch(r"[0-9a-f]{64}", report[key]["sha256"]), key
    assert isinstance(report["seed"], int)
    assert report["profile"] in PROFILES
    assert report["role"] in ("validator", "lifecycle")
    assert isinstance(report["implementation"]["name"], str) and report["implementation"]["name"]
    assert report["verdict"] in VERDICTS
    # The opt-in levels are listed only where they were asked for.
    asked = set(report["levels_covered"]) - set(CORE_LEVELS)
    assert set(report["levels"]) == set(CORE_LEVELS) | asked
    assert set(report["levels"].values()) <= set(OUTCOMES)
    assert report["requirements"]
    for row in report["requirements"]:
        assert {"id", "level", "keyword", "statement", "outcome", "examples"} <= set(row)
        assert row["level"] in LEVELS and row["keyword"] in ("MUST", "SHOULD", "MAY")
        assert row["outcome"] in OUTCOMES
        assert isinstance(row["examples"], int) and row["examples"] > 0
        if row["outcome"] == "failed":
            assert {"counterexample", "answer", "expected", "reproduce"} <= set(row)
    datetime.fromisoformat(report["started_at"].replace("Z", "+00:00"))
    assert isinstance(report["duration_s"], (int, float)) and report["duration_s"] >= 0


def assert_rows_match_items(report: dict[str, Any], items: dict[str, str]) -> None:
    rows = {row["id"]: row["outcome"] for row in report["requirements"]}
    assert {item_id(rid): outcome for rid, outcome in rows.items()} == items


# --- the suite in an empty directory ---------------------------------------------------


def test_an_empty_directory_gets_one_passing_item_per_requirement(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest_subprocess(
        option_name("target"), REFERENCE, *QUICK, option_name("report"), "out", "-rA"
    )
    assert result.ret == 0
    result.assert_outcomes(passed=len(VALIDATOR_IDS))
    assert len(VALIDATOR_IDS) == 22
    items = outcomes(result)
    assert list(items) == [item_id(rid) for rid in VALIDATOR_IDS]
    assert set(items.values()) == {"passed"}
    assert "inngest-conformance::schema:rejects-missing-required:run_id" in items

    report = read_report(pytester.path / "out")
    check_report_shape(report)
    assert report["verdict"] == "conformant"
    assert report["role"] == "validator" and report["profile"] == "quick"
    assert report["implementation"]["name"] == REFERENCE
    assert_rows_match_items(report, items)
    assert (pytester.path / "out" / "report.md").is_file()
    result.stdout.fnmatch_lines([f"*written: out*report.json ({REFERENCE})"])


def test_collect_only_lists_the_requirements(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        option_name("target"), REFERENCE, *QUICK, "--collect-only", "-q"
    )
    assert result.ret == 0
    listed = [line for line in result.stdout.lines if line.startswith("inngest-conformance::")]
    assert listed == [item_id(rid) for rid in VALIDATOR_IDS]
    result.stdout.fnmatch_lines([f"{len(VALIDATOR_IDS)} tests collected*"])


@pytest.mark.slow
def test_ini_keys_work_without_command_line_options(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        f"""
        [pytest]
        conformance_target = {REFERENCE}
        conformance_profile = quick
        conformance_report = from-ini
        """
    )
    result = pytester.runpytest_subprocess("-rA")
    assert result.ret == 0
    result.assert_outcomes(passed=len(VALIDATOR_IDS))
    assert list(outcomes(result)) == [item_id(rid) for rid in VALIDATOR_IDS]
    assert read_report(pytester.path / "from-ini")["profile"] == "quick"


# --- planted defects --------------------------------------------------------------------


def test_a_planted_defect_fails_exactly_its_requirement(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(planted=ACCEPTS_LOWER_CASE)
    result = pytester.runpytest_subprocess(
        option_name("target"),
        "planted:accepts_lower_case_status",
        *QUICK,
        option_name("report"),
        "out",
        "-rA",
    )
    assert result.ret == 1
    result.assert_outcomes(passed=len(VALIDATOR_IDS) - 1, failed=1)
    items = outcomes(result)
    assert [i for i, o in items.items() if o == "failed"] == [item_id(ENUM_ID)]

    text = result.stdout.str()
    assert f"{ENUM_ID} (MUST): accepted an invalid record" in text
    shown = next(
        line.split("counterexample: ", 1)[1]
        for line in result.stdout.lines
        if "counterexample: " in line
    )
    record = json.loads(shown)
    statuses = context().schema.statuses
    assert record["status"] not in statuses and record["status"].upper() in statuses

    report = read_report(pytester.path / "out")
    check_report_shape(report)
    assert report["verdict"] == "non-conformant"
    assert report["levels"]["schema"] == "failed" and report["levels"]["format"] == "passed"
    assert_rows_match_items(report, items)
    row = next(r for r in report["requirements"] if r["id"] == ENUM_ID)
    assert row["counterexample"] == record
    assert row["answer"] == {"valid": True}
    assert f"--requirement {ENUM_ID}" in row["reproduce"]


@pytest.mark.slow
def test_a_should_only_defect_passes_with_a_warning(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(planted=FORGETS_ENDED_AT)
    result = pytester.runpytest_subprocess(
        option_name("target"), "planted:store", *QUICK, option_name("report"), "out", "-rA"
    )
    assert result.ret == 0
    result.assert_outcomes(passed=len(LIFECYCLE_IDS), warnings=1)
    assert list(outcomes(result)) == [item_id(rid) for rid in LIFECYCLE_IDS]
    result.stdout.fnmatch_lines(["*lifecycle:ended-at-exactly-when-terminal (SHOULD)*FAILED*"])

    report = read_report(pytester.path / "out")
    assert report["role"] == "lifecycle" and report["verdict"] == "conformant"
    row = next(r for r in report["requirements"] if r["outcome"] == "failed")
    assert row["id"] == "lifecycle:ended-at-exactly-when-terminal"
    assert any(row["id"] in warning for warning in report["warnings"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "spread",
    [("-n", "2"), ("--tx", "2*popen", "--dist", "load")],
    ids=["n2", "tx-popen"],
)
def test_xdist_runs_the_same_items_and_merges_one_report(
    pytester: pytest.Pytester, spread: tuple[str, ...]
) -> None:
    """One process, two local workers, or gateways as xdist makes them for other hosts
    (``--tx``; ``popen`` stands in for ``ssh=host``): the same items, one merged report."""
    pytester.makepyfile(planted=ACCEPTS_LOWER_CASE)
    target = (option_name("target"), "planted:accepts_lower_case_status", *QUICK, "-rA")
    serial = pytester.runpytest_subprocess(*target, "-n", "0", option_name("report"), "n0")
    parallel = pytester.runpytest_subprocess(*target, *spread, option_name("report"), "n2")
    assert serial.ret == parallel.ret == 1
    assert outcomes(parallel) == outcomes(serial)
    assert len(outcomes(serial)) == len(VALIDATOR_IDS)
    assert [p.name for p in (pytester.path / "n2").iterdir() if p.suffix == ".json"] == [
        "report.json"
    ]
    merged = read_report(pytester.path / "n2")
    assert [row["id"] for row in merged["requirements"]] == VALIDATOR_IDS
    assert all(row["coverage"]["exercised"] for row in merged["requirements"])
    # The same apart from the folder each replay command names.
    serial_report = with_report_path(read_report(pytester.path / "n0"), "n2/report.json")
    assert timeless(merged) == timeless(serial_report)


@pytest.mark.slow
def test_a_harness_command_is_driven_over_the_wire(pytester: pytest.Pytester) -> None:
    command = f"{shlex.quote(sys.executable)} -m inngest_conformance.harness --target {REFERENCE}"
    result = pytester.runpytest_subprocess(option_name("command"), command, *QUICK)
    assert result.ret == 0
    result.assert_outcomes(passed=len(VALIDATOR_IDS))


# --- usage errors -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            (option_name("target"), REFERENCE, option_name("url"), "http://127.0.0.1:9/"),
            "--conformance-target or --conformance-url",
        ),
        ((option_name("target"), REFERENCE, option_name("profile"), "bogus"), "'bogus'"),
        ((option_name("target"), REFERENCE, option_name("role"), "bogus"), "'bogus'"),
        ((option_name("target"), "no_such_module:x"), "no_such_module"),
        (
            (option_name("target"), REFERENCE, option_name("schema"), "missing.json"),
            "missing.json",
        ),
    ],
    ids=["two-implementations", "bad-profile", "bad-role", "bad-target", "missing-schema"],
)
def test_a_bad_option_is_a_one_line_usage_error(
    pytester: pytest.Pytester, args: tuple[str, ...], says: str
) -> None:
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors
    assert errors[0].startswith("ERROR: ") and says in errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_bad_target_under_xdist_is_still_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(option_name("target"), "no_such_module:x", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no_such_module" in result.stderr.str()


# --- the conformance_cases marker ------------------------------------------------------

MARKED = """
import pytest

from inngest_conformance.strategies._oracle import default_oracle

ORACLE = default_oracle()


@pytest.mark.conformance_cases("valid", 4)
def test_valid(conformance_case):
    assert ORACLE.is_valid(conformance_case["record"])


@pytest.mark.conformance_cases("invalid", 7)
def test_invalid(conformance_case):
    assert not ORACLE.is_valid(conformance_case["record"])
    assert conformance_case["violation"]["rule"]


@pytest.mark.conformance_cases("sequences", 3)
def test_sequences(conformance_case):
    assert all(isinstance(s, str) for s in conformance_case["statuses"])
    assert conformance_case["valid"] == (conformance_case["violation"] is None)
"""


def _collected(result: pytest.RunResult, test: str) -> list[str]:
    prefix = f"test_marked.py::{test}["
    return [line[len(prefix) : -1] for line in result.stdout.lines if line.startswith(prefix)]


@pytest.mark.slow
def test_the_marker_parametrizes_with_labelled_cases(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marked=MARKED)
    ran = pytester.runpytest_subprocess(option_name("seed"), "5", "-rA")
    assert ran.ret == 0
    ran.assert_outcomes(passed=4 + 7 + 3)

    ctx = context()
    fixtures = Fixtures(ctx.schema, ctx.model, 5)
    first = pytester.runpytest_subprocess(option_name("seed"), "5", "--collect-only", "-q")
    again = pytester.runpytest_subprocess(option_name("seed"), "5", "--collect-only", "-q")
    other = pytester.runpytest_subprocess(option_name("seed"), "6", "--collect-only", "-q")
    for kind, n in (("valid", 4), ("invalid", 7), ("sequences", 3)):
        ids = [row["id"] for row in getattr(fixtures, kind)(n)]
        assert _collected(first, f"test_{kind}") == ids
        assert _collected(again, f"test_{kind}") == ids
        assert _collected(other, f"test_{kind}") != ids
        assert f"PASSED test_marked.py::test_{kind}[{ids[0]}]" in ran.stdout.lines


def test_the_marker_refuses_an_unknown_kind(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.conformance_cases("bogus", 2)
        def test_x(conformance_case):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["conformance_cases: kind 'bogus' is not one of *"])
    assert "Traceback" not in result.stdout.str()


# --- inngest_conformance.testing.suite ----------------------------------------------------------

SUITES = """
import pytest

from inngest_conformance.reference import ReferenceStore
from inngest_conformance.testing import suite
from inngest_conformance.strategies._lifecycle_table import default_lifecycle, lifecycle_from_dict


def queued_may_complete():
    table = default_lifecycle().to_json()
    table["transitions"]["QUEUED"].append("COMPLETED")
    return lifecycle_from_dict(table)


@pytest.fixture
def store():
    return ReferenceStore()


@pytest.fixture
def skipping_store():
    return ReferenceStore(model=queued_may_complete())


test_store_conformance = suite("store", role="lifecycle", profile="quick")
test_skipping_store_conformance = suite("skipping_store", role="lifecycle", profile="quick")
"""


@pytest.mark.slow
def test_suite_runs_the_lifecycle_requirements_on_a_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suites=SUITES)
    result = pytester.runpytest_subprocess("-rA", option_name("report"), "out")
    assert result.ret == 1
    items = outcomes(result)
    good = {f"test_suites.py::test_store_conformance[{rid}]" for rid in LIFECYCLE_IDS}
    bad = {f"test_suites.py::test_skipping_store_conformance[{rid}]" for rid in LIFECYCLE_IDS}
    assert set(items) == good | bad
    illegal = "lifecycle:rejects-illegal-transitions"
    assert [i for i, o in items.items() if o == "failed"] == [
        f"test_suites.py::test_skipping_store_conformance[{illegal}]"
    ]
    result.stdout.fnmatch_lines(
        [f"{illegal} (MUST): *accepted the illegal transition QUEUED -> COMPLETED*"]
    )
    # The program whole, one operation a line, and the pytest command that reruns it.
    result.stdout.fnmatch_lines(["  counterexample (* operation*):", '    [[]0] {"op": "create"*'])
    result.stdout.fnmatch_lines(
        [
            "  reproduce: pytest 'test_suites.py::test_skipping_store_conformance"
            f"[[]{illegal}]' --conformance-seed 0 --conformance-profile quick"
        ]
    )

    # Two stores, two reports: each suite's verdict is its own, never a blend.
    assert not (pytester.path / "out" / "report.json").exists()
    good_report = read_report(pytester.path / "out" / "test_suites.test_store_conformance")
    report = read_report(pytester.path / "out" / "test_suites.test_skipping_store_conformance")
    assert good_report["verdict"] == "conformant"
    assert report["verdict"] == "non-conformant" and report["role"] == "lifecycle"
    assert {row["id"] for row in report["requirements"]} == set(LIFECYCLE_IDS)
    assert any(r["id"] == illegal and r["outcome"] == "failed" for r in report["requirements"])
    # The suite's own profile, not the session's default (standard): a passed row ran its
    # budget (plus any explicit cases), far below what the standard profile asks for.
    passed = [r["examples"] for r in report["requirements"] if r["outcome"] == "passed"]
    assert min(passed) >= PROFILES["quick"]["lifecycle"]
    assert max(passed) < PROFILES["standard"]["lifecycle"]
    assert report["profile"] == "quick"


# --- nothing asked, nothing added --------------------------------------------------------


def test_without_options_the_plugin_adds_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-rA")
    assert result.ret == 0
    result.assert_outcomes(passed=1)
    assert list(outcomes(result)) == ["test_plain.py::test_plain"]
    # Loaded (through the entry point), yet silent.
    result.stdout.fnmatch_lines(["plugins: *inngest-conformance-*"])
    assert "inngest-conformance::" not in result.stdout.str()
    assert "inngest-conformance report" not in result.stdout.str()
    assert not (pytester.path / "reports").exists()

    helped = pytester.runpytest_subprocess("--help")
    helped.stdout.fnmatch_lines(["*--conformance-target*", "*conformance_target*"])


def test_the_suite_helper_is_exported() -> None:
    from inngest_conformance import testing

    assert "suite" in testing.__all__  # the whole list is pinned in test_packaging.py
    with pytest.raises(ValueError, match="role 'bogus'"):
        testing.suite("store", role="bogus")
    test = testing.suite("validator_fixture")
    marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
    assert marks[0].args == ("requirement_id", VALIDATOR_IDS)


def test_a_session_stopped_by_x_writes_a_report_marked_interrupted(
    pytester: pytest.Pytester,
) -> None:
    """``-x`` stops at the first failure: the report holds what ran, and says it is not a
    verdict on the whole suite (it read 'non-conformant' for 17 of 22, unmarked)."""
    pytester.makepyfile(planted=ACCEPTS_LOWER_CASE)
    target = (option_name("target"), "planted:accepts_lower_case_status", *QUICK)
    result = pytester.runpytest_subprocess(*target, option_name("report"), "out", "-x")
    assert result.ret == 1
    report = read_report(pytester.path / "out")
    check_report_shape(report)
    assert len(report["requirements"]) < len(VALIDATOR_IDS)
    assert report["interrupted"] is True and report["verdict"] == "error"
    assert "interrupted" in report["verdict_text"]
    # The whole session's report is a verdict, and says nothing of an interruption.
    pytester.runpytest_subprocess(*target, option_name("report"), "whole")
    whole = read_report(pytester.path / "whole")
    assert "interrupted" not in whole and whole["verdict"] == "non-conformant"
    assert len(whole["requirements"]) == len(VALIDATOR_IDS)
