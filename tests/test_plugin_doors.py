"""The pytest plugin's doors as another project meets them: options, node ids, reports.

Every scenario runs pytest in a subprocess (``pytester.runpytest_subprocess``), so the
plugin is loaded through its entry point, as users get it.
"""

from __future__ import annotations

import json
import shlex
import sys

import pytest
from inngest_conformance._planning import context, plan
from inngest_conformance.plugin import option_name

from tests.common import REFERENCE, read_report
from tests.fakes import FAKES

pytest_plugins = ["pytester"]

VALIDATOR_IDS = [r.id for r in plan(context(), "validator")]
LIFECYCLE_IDS = [r.id for r in plan(context(), "lifecycle")]
ENUM_ID = "schema:rejects-not-in-enum:status"
QUICK = (option_name("profile"), "quick")

INI = f"""
[pytest]
conformance_target = {REFERENCE}
conformance_profile = quick
conformance_report = out
"""

STORE_SUITE = """
import pytest

from inngest_conformance.reference import ReferenceStore
from inngest_conformance.testing import suite


@pytest.fixture
def store():
    return ReferenceStore()


test_store_conformance = suite("store", role="lifecycle", profile="quick")
"""

PLAIN = "def test_plain():\n    assert 1 + 1 == 2\n"


def one_usage_error(result: pytest.RunResult) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    return errors[0]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("seed", "abc"),
        ("timeout", "soon"),
        ("timeout", "0"),
        ("timeout", "inf"),
        ("max_answer_mb", "lots"),
        ("max_answer_mb", "0"),
        ("max_answer_mb", "nan"),
        ("collect", "sometimes"),
    ],
)
def test_a_bad_number_or_choice_is_one_usage_error(
    pytester: pytest.Pytester, option: str, value: str
) -> None:
    """Once a ValueError in every item, for --conformance-seed abc."""
    pytester.makepyfile(test_plain=PLAIN)
    result = pytester.runpytest_subprocess(
        option_name("target"), REFERENCE, option_name(option), value
    )
    line = one_usage_error(result)
    assert line.startswith("ERROR: ") and option_name(option) in line and repr(value) in line


def test_a_role_the_implementation_cannot_play_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    """Once "11 skipped" and exit 0, while the kit's own verdict was error."""
    result = pytester.runpytest_subprocess(
        option_name("target"), REFERENCE, option_name("role"), "lifecycle", *QUICK
    )
    line = one_usage_error(result)
    assert "cannot play role lifecycle" in line


def collected(result: pytest.RunResult) -> list[str]:
    """The node ids ``--collect-only -q`` lists."""
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    return [line for line in result.stdout.lines if "::" in line and " " not in line]


@pytest.mark.slow
def test_a_printed_node_id_selects_its_item(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=PLAIN)
    args = (option_name("target"), REFERENCE, *QUICK, "-rA")
    result = pytester.runpytest_subprocess(f"inngest-conformance::{ENUM_ID}", *args)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"PASSED inngest-conformance::{ENUM_ID}"])

    listing = (option_name("target"), REFERENCE, "--collect-only", "-q")
    two = [f"inngest-conformance::{rid}" for rid in (ENUM_ID, VALIDATOR_IDS[0])]
    both = pytester.runpytest_subprocess("test_plain.py", *two, *listing)
    assert sorted(collected(both)) == sorted(["test_plain.py::test_plain", *two])

    everything = pytester.runpytest_subprocess("inngest-conformance", *listing)
    assert collected(everything) == [f"inngest-conformance::{rid}" for rid in VALIDATOR_IDS]

    unknown = pytester.runpytest_subprocess("inngest-conformance::no-such-id", *listing)
    assert "no-such-id" in one_usage_error(unknown)


@pytest.mark.slow
def test_the_ini_implementation_runs_only_when_asked(pytester: pytest.Pytester) -> None:
    """``pytest tests/test_x.py`` runs what it names; a plain ``pytest`` runs the suite too."""
    pytester.makeini(INI)
    pytester.makepyfile(test_plain=PLAIN)
    suite = [f"inngest-conformance::{rid}" for rid in VALIDATOR_IDS]
    plain = ["test_plain.py::test_plain"]

    named = pytester.runpytest_subprocess("test_plain.py", "-rA")
    assert named.ret == 0
    named.assert_outcomes(passed=1)
    assert "inngest-conformance::" not in named.stdout.str()
    named.stdout.fnmatch_lines(["inngest-conformance: the items of the ini's implementation*"])

    def listed(*args: str) -> list[str]:
        return collected(pytester.runpytest_subprocess(*args, "--collect-only", "-q"))

    assert listed() == plain + suite
    assert listed("test_plain.py", "inngest-conformance") == plain + suite
    assert listed(option_name("collect"), "never") == plain
    assert listed("test_plain.py", option_name("collect"), "always") == plain + suite


@pytest.mark.slow
def test_a_target_and_a_suite_each_get_their_own_report(pytester: pytest.Pytester) -> None:
    """Once one report titled for the model, with the store's rows blended in."""
    pytester.makeini(INI)
    pytester.makepyfile(test_store=STORE_SUITE)
    result = pytester.runpytest_subprocess()
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=len(VALIDATOR_IDS) + len(LIFECYCLE_IDS))

    mine = read_report(pytester.path / "out")
    assert mine["implementation"]["name"] == REFERENCE and mine["role"] == "validator"
    assert [r["id"] for r in mine["requirements"]] == VALIDATOR_IDS
    assert mine["levels"]["lifecycle"] == "skipped" and mine["verdict"] == "conformant"

    store = read_report(pytester.path / "out" / "test_store.test_store_conformance")
    assert store["role"] == "lifecycle" and "store" in store["implementation"]["name"]
    assert [r["id"] for r in store["requirements"]] == LIFECYCLE_IDS
    assert store["verdict"] == "conformant" and store["levels"]["lifecycle"] == "passed"

    result.stdout.fnmatch_lines(
        [
            f"written: out*report.json ({REFERENCE})",
            "written: out*test_store.test_store_conformance*report.json (suite('store')*",
        ]
    )


NOT_COLLECTED = "inngest-conformance: the conformance suite was not collected (test paths given)*"


def test_q_says_the_ini_suite_was_not_collected(pytester: pytest.Pytester) -> None:
    """Once ``pytest -q test_plain.py`` left the ini's implementation out without a word
    (``-q`` hides the header) and exited 0."""
    pytester.makeini(INI)
    pytester.makepyfile(test_plain=PLAIN)
    quiet = pytester.runpytest_subprocess("-q", "test_plain.py")
    assert quiet.ret == 0
    quiet.assert_outcomes(passed=1)
    quiet.stdout.fnmatch_lines([NOT_COLLECTED])
    line = next(x for x in quiet.stdout.lines if "was not collected" in x)
    assert "pytest ... inngest-conformance" in line and "conformance_collect = always" in line
    # What the line says runs it; asked to leave it out, or running it, nothing is said.
    told = pytester.runpytest_subprocess("-q", "test_plain.py", "inngest-conformance", "--co")
    never = pytester.runpytest_subprocess("-q", "test_plain.py", option_name("collect"), "never")
    for result in (told, never):
        assert result.ret == 0 and "was not collected" not in result.stdout.str()
    assert "inngest-conformance::" in told.stdout.str()


PLAIN_JSONSCHEMA = """
from inngest_conformance.strategies._schema import default_schema
from jsonschema import Draft202012Validator

validator = Draft202012Validator(dict(default_schema().document))
"""
MALFORMED = "format:rejects-malformed-date-time:started_at"


@pytest.mark.parametrize("report", [True, False], ids=["report", "no-report"])
def test_a_failing_item_prints_its_reproduce_and_rerun_lines(
    pytester: pytest.Pytester, report: bool
) -> None:
    pytester.makepyfile(plain=PLAIN_JSONSCHEMA)
    written = (option_name("report"), "out") if report else ()
    result = pytester.runpytest_subprocess(
        f"inngest-conformance::{MALFORMED}", option_name("target"), "plain:validator", *QUICK,
        *written,
    )  # fmt: skip
    assert result.ret == 1
    result.assert_outcomes(failed=1)
    rerun = (
        "  rerun:     inngest-conformance certify --target plain:validator --role validator "
        f"--profile quick --seed 0 --requirement {MALFORMED}"
    )
    lines = result.stdout.lines
    if report:
        row = next(
            r for r in read_report(pytester.path / "out")["requirements"] if r["id"] == MALFORMED
        )
        assert (
            f"  reproduce: {row['reproduce']}" in lines and f"  rerun:     {row['rerun']}" in lines
        )
        assert row["reproduce"].startswith("inngest-conformance replay out/report.json ")
        assert row["rerun"] == rerun.split(":", 1)[1].strip()
        # The session's hint under the report lines.
        assert any(x.startswith("hint: not one of ") for x in lines)
    else:
        # No report to replay from: the requirement's run again, the same seed's case.
        assert f"  reproduce: {rerun.split(':', 1)[1].strip()}" in lines
        assert not any(x.startswith("  rerun: ") for x in lines)


def test_the_answer_size_limit_is_an_ini_key(pytester: pytest.Pytester) -> None:
    """``conformance_max_answer_mb``: an answer line over it errors the requirement, with
    the limit in the reason; the report keeps an excerpt, not the answer."""
    command = shlex.join([sys.executable, str(FAKES / "reference_faulty.py"), "huge-answer", "1"])
    pytester.makeini(
        f"""
[pytest]
conformance_command = {command}
conformance_profile = quick
conformance_report = out
conformance_max_answer_mb = 0.5
"""
    )
    result = pytester.runpytest_subprocess(f"inngest-conformance::{ENUM_ID}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*answered a line of more than 524288 bytes*"])
    (row,) = read_report(pytester.path / "out")["requirements"]
    assert row["outcome"] == "errored"
    assert row["message"].startswith(
        "protocol error: answered a line of more than 524288 bytes (the answer size limit)"
    )
    assert len(json.dumps(row)) < 20_000
