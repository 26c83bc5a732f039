"""Known failures: ``--baseline`` on certify and compare, ``--conformance-baseline`` in the
plugin.  A baselined failure does not fail the run, a baselined requirement that passes
does (``fixed: remove it from the baseline``), a new failure does, the verdict stays the
truth, and every bad file or id is one line and exit 2.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._baseline import Baseline, judge, updated
from inngest_conformance._planning import context
from inngest_conformance._render import to_html, to_markdown
from inngest_conformance.errors import UsageError
from inngest_conformance.plugin import option_name
from inngest_conformance.report import report_schema

from tests.common import certify_obj, read_report, run_cli

pytest_plugins = ["pytester"]

UNKNOWN = "schema:rejects-unknown-property"
OBJECT = "schema:rejects-not-an-object"
ENUM = "schema:rejects-not-in-enum:status"
#: Fails UNKNOWN (and nothing else among these three).
DEFECT = "tests.defects:accepts_unknown_property"
#: Fails ENUM.
LOWER = "tests.defects:lowercases_status"
FIXED = "fixed: remove it from the baseline"
#: A quick certify of DEFECT over three requirements: UNKNOWN fails, the others pass.
CERTIFY = (
    "certify",
    "--target",
    DEFECT,
    "--profile",
    "quick",
    *("--requirement", UNKNOWN, "--requirement", OBJECT, "--requirement", ENUM),
)


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(cwd, *args)


def valid_report(directory: Path) -> dict[str, Any]:
    report = read_report(directory)
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    return report


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# --- certify ------------------------------------------------------------------------------


def test_a_known_failure_passes_the_run_and_the_verdict_stays_true(tmp_path: Path) -> None:
    (tmp_path / "known.txt").write_text(f"# known\n{UNKNOWN} extra keys are ignored here\n")
    proc = run(tmp_path, *CERTIFY, "--baseline", "known.txt", "--report-dir", "r")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: non-conformant" in proc.stdout
    assert "1 known failure, 0 fixed, 0 new failures; the run passes" in proc.stdout
    assert f"known     {UNKNOWN}: extra keys are ignored here" in proc.stdout
    report = valid_report(tmp_path / "r")
    assert report["verdict"] == "non-conformant"
    assert report["baseline"] == {
        "file": "known.txt",
        "known": [UNKNOWN],
        "fixed": [],
        "new": [],
        "unchecked": [],
        "reasons": {UNKNOWN: "extra keys are ignored here"},
        "passes": True,
    }
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "## Baseline (known failures)" in markdown and f"- known: `{UNKNOWN}`" in markdown
    page = (tmp_path / "r" / "report.html").read_text()
    assert '<p id="baseline">' in page and "the run passes" in page


def test_a_fixed_requirement_fails_the_run_naming_it(tmp_path: Path) -> None:
    (tmp_path / "known.json").write_text(
        json.dumps({UNKNOWN: "extra keys are ignored", OBJECT: "said to fail once"})
    )
    proc = run(tmp_path, *CERTIFY, "--baseline", "known.json", "--report-dir", "r")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"fixed     {OBJECT}: {FIXED}" in proc.stdout
    assert proc.stderr == f"inngest-conformance: {FIXED}: {OBJECT}\n"
    report = valid_report(tmp_path / "r")
    assert report["baseline"]["fixed"] == [OBJECT] and report["baseline"]["known"] == [UNKNOWN]
    assert report["baseline"]["passes"] is False
    assert f"`{OBJECT}` — {FIXED}" in (tmp_path / "r" / "report.md").read_text()


def test_a_new_failure_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "known.txt").write_text(f"{ENUM} lower-case statuses were taken\n")
    only = ("--requirement", UNKNOWN)
    proc = run(tmp_path, "certify", "--target", DEFECT, "--profile", "quick", *only,
               "--baseline", "known.txt", "--report-dir", "r")  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"new failures, not in the baseline: {UNKNOWN}" in proc.stderr
    report = valid_report(tmp_path / "r")
    # The baselined requirement was not run: neither known nor fixed.
    assert report["baseline"]["new"] == [UNKNOWN]
    assert report["baseline"]["unchecked"] == [ENUM]
    assert report["baseline"]["fixed"] == []


@pytest.mark.slow
def test_a_report_is_a_baseline_of_its_failures(tmp_path: Path) -> None:
    first = run(tmp_path, *CERTIFY, "--report-dir", "first")
    assert first.returncode == 1
    failed = next(r for r in read_report(tmp_path / "first")["requirements"] if r["id"] == UNKNOWN)
    again = run(tmp_path, *CERTIFY, "--baseline", "first/report.json", "--report-dir", "again")
    assert again.returncode == 0, again.stdout + again.stderr
    section = valid_report(tmp_path / "again")["baseline"]
    assert section["known"] == [UNKNOWN]
    assert section["reasons"] == {UNKNOWN: failed["message"]}


@pytest.mark.slow
def test_update_rewrites_the_baseline_with_stable_bytes(tmp_path: Path) -> None:
    baseline = tmp_path / "known.json"
    # A missing file starts empty: the run's failure is added, exit 0.
    proc = run(
        tmp_path, *CERTIFY, "--baseline", "known.json", "--update-baseline", "--report-dir", "r"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"baseline known.json updated: 1 entry; added {UNKNOWN}" in proc.stdout
    message = next(r for r in read_report(tmp_path / "r")["requirements"] if r["id"] == UNKNOWN)
    written = baseline.read_bytes()
    assert json.loads(written) == {UNKNOWN: message["message"]}
    # A fixed entry is removed, a reason someone wrote is kept, an entry this run did not
    # judge (ENUM is left out) is kept; the keys sorted.
    baseline.write_text(json.dumps({UNKNOWN: "ours", OBJECT: "was failing", ENUM: "not run"}))
    only = ("--requirement", UNKNOWN, "--requirement", OBJECT)
    proc = run(tmp_path, "certify", "--target", DEFECT, "--profile", "quick", *only,
               "--baseline", "known.json", "--update-baseline", "--report-dir", "r")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"removed {OBJECT}" in proc.stdout
    assert baseline.read_text() == json.dumps({ENUM: "not run", UNKNOWN: "ours"}, indent=2) + "\n"
    before = baseline.read_bytes()
    again = run(tmp_path, "certify", "--target", DEFECT, "--profile", "quick", *only,
                "--baseline", "known.json", "--update-baseline", "--report-dir", "r")  # fmt: skip
    assert again.returncode == 0 and "updated: 2 entries\n" in again.stdout
    assert baseline.read_bytes() == before
    # The updated baseline passes the run it was made from; ENUM, kept, now passes: fixed.
    base = ("certify", "--target", DEFECT, "--profile", "quick", "--baseline", "known.json")
    assert run(tmp_path, *base, *only, "--report-dir", "r").returncode == 0
    whole = run(tmp_path, *base, *only, "--requirement", ENUM, "--report-dir", "r")
    assert whole.returncode == 1 and f"{FIXED}: {ENUM}" in whole.stderr


def _write(directory: Path, name: str, text: str) -> str:
    (directory / name).write_text(text)
    return name


#: case -> (arguments made in the test's folder, what the one error line names)
REFUSALS: dict[str, tuple[Any, str]] = {
    "unknown-id": (lambda p: ["--baseline", _write(p, "b", "no-such-id why\n")], "no-such-id"),
    "other-role": (
        lambda p: ["--baseline", _write(p, "b", "lifecycle:creates-runs why\n")],
        "not one of role validator's",
    ),
    "variant": (
        lambda p: ["--baseline", _write(p, "b", f"{ENUM}[lower-case] why\n")],
        "is a variant",
    ),
    "column-in-certify": (
        lambda p: ["--baseline", _write(p, "b", f"{ENUM}@x why\n")],
        "for compare",
    ),
    "no-reason": (lambda p: ["--baseline", _write(p, "b", f"{ENUM}\n")], "needs a reason"),
    "not-json": (lambda p: ["--baseline", _write(p, "b", "{oops")], "not JSON"),
    "not-a-report": (
        lambda p: ["--baseline", _write(p, "b", '{"format": "other/1"}')],
        "neither a report.json",
    ),
    "missing": (lambda p: ["--baseline", "missing.txt"], "missing.txt"),
    "update-alone": (lambda p: ["--update-baseline"], "needs --baseline FILE"),
    "update-a-report": (
        lambda p: [
            "--baseline",
            _write(
                p,
                "report.json",
                json.dumps({"format": "inngest-conformance-report/1", "requirements": []}),
            ),
            "--update-baseline",
        ],
        "overwrite the report",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_bad_baseline_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    make_args, says = REFUSALS[case]
    line = one_error_line(run(tmp_path, *CERTIFY, *make_args(tmp_path), "--report-dir", "out"))
    assert says in line, line
    assert not (tmp_path / "out").exists()


# --- compare ------------------------------------------------------------------------------

COMPARE = ("compare", "--target", DEFECT, "--target", LOWER, "--profile", "quick")


@pytest.mark.slow
def test_compare_applies_a_baseline_per_implementation(tmp_path: Path) -> None:
    (tmp_path / "each.txt").write_text(f"{UNKNOWN}@{DEFECT} by design\n{ENUM}@{LOWER} by design\n")
    proc = run(tmp_path, *COMPARE, "--baseline", "each.txt", "--report-dir", "c")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = valid_report(tmp_path / "c")
    assert report["verdict"] == "non-conformant"
    assert report["baseline"]["known"] == [f"{UNKNOWN}@{DEFECT}", f"{ENUM}@{LOWER}"]
    assert [i["known"] for i in report["baseline"]["implementations"]] == [[UNKNOWN], [ENUM]]
    # The compare report is a baseline too, per implementation.
    again = run(tmp_path, *COMPARE, "--baseline", "c/report.json", "--report-dir", "c2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert read_report(tmp_path / "c2")["baseline"]["known"] == report["baseline"]["known"]
    # A plain id applies to every implementation: LOWER passes it (fixed) and fails ENUM (new).
    (tmp_path / "all.txt").write_text(f"{UNKNOWN} by design\n")
    proc = run(tmp_path, *COMPARE, "--baseline", "all.txt", "--report-dir", "c3")
    assert proc.returncode == 1
    section = valid_report(tmp_path / "c3")["baseline"]
    assert section["known"] == [f"{UNKNOWN}@{DEFECT}"]
    assert section["fixed"] == [f"{UNKNOWN}@{LOWER}"]
    assert section["new"] == [f"{ENUM}@{LOWER}"]
    assert f"{FIXED}: {UNKNOWN}@{LOWER}" in proc.stderr
    # An unknown column is a usage error naming it, before anything runs.
    (tmp_path / "bad.txt").write_text(f"{UNKNOWN}@nobody why\n")
    line = one_error_line(run(tmp_path, *COMPARE, "--baseline", "bad.txt", "--report-dir", "c4"))
    assert "'nobody'" in line and DEFECT in line


def _compare_report(outcomes: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A compare report's bones: requirement id -> column -> outcome."""
    columns = sorted({c for per in outcomes.values() for c in per})
    return {
        "compare": {
            "implementations": [
                {
                    "column": c,
                    "failures": [
                        {"id": rid, "outcome": per[c], "message": f"{rid} broke in {c}"}
                        for rid, per in outcomes.items()
                        if per[c] != "passed"
                    ],
                }
                for c in columns
            ],
            "matrix": [
                {"id": rid, "keyword": "MUST", "outcomes": per} for rid, per in outcomes.items()
            ],
        }
    }


def test_a_compare_update_keeps_a_plain_id_only_while_it_holds_for_all() -> None:
    report = _compare_report(
        {
            UNKNOWN: {"a": "failed", "b": "failed"},
            OBJECT: {"a": "failed", "b": "passed"},
            ENUM: {"a": "passed", "b": "errored"},
        }
    )
    baseline = Baseline("b.json", {UNKNOWN: "ours", OBJECT: "both once"})
    baseline = baseline.checked(context(), "validator", ["a", "b"])
    assert updated(report, baseline) == {
        f"{ENUM}@b": f"{ENUM} broke in b",
        f"{OBJECT}@a": "both once",
        UNKNOWN: "ours",
    }


# --- the plugin ---------------------------------------------------------------------------

ACCEPTS_LOWER_CASE = """
from inngest_conformance.reference import validator as reference


def accepts_lower_case_status(record):
    if isinstance(record, dict) and isinstance(record.get("status"), str):
        record = {**record, "status": record["status"].upper()}
    return reference(record)
"""
PLUGIN = (
    option_name("target"),
    "planted:accepts_lower_case_status",
    option_name("profile"),
    "quick",
    f"inngest-conformance::{ENUM}",
    f"inngest-conformance::{OBJECT}",
    "-rA",
)


@pytest.mark.slow
def test_plugin_known_failure_is_an_xfail_and_a_fixed_one_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(planted=ACCEPTS_LOWER_CASE)
    pytester.path.joinpath("known.txt").write_text(f"{ENUM} lower case is taken\n")
    known = pytester.runpytest_subprocess(
        *PLUGIN, option_name("baseline"), "known.txt", option_name("report"), "out"
    )
    assert known.ret == 0, known.stdout.str()
    known.assert_outcomes(passed=1, xfailed=1)
    known.stdout.fnmatch_lines(
        [f"XFAIL inngest-conformance::{ENUM} - baselined: lower case is taken"]
    )
    report = valid_report(pytester.path / "out")
    assert report["verdict"] == "non-conformant"
    assert report["baseline"]["known"] == [ENUM] and report["baseline"]["passes"] is True
    known.stdout.fnmatch_lines(["*baseline known.txt: 1 known failure, 0 fixed*the run passes"])

    pytester.path.joinpath("known.txt").write_text(f"{ENUM} lower case\n{OBJECT} once\n")
    fixed = pytester.runpytest_subprocess(
        *PLUGIN, option_name("baseline"), "known.txt", option_name("report"), "out"
    )
    assert fixed.ret == 1
    fixed.assert_outcomes(failed=1, xfailed=1)
    fixed.stdout.fnmatch_lines([f"{OBJECT}: {FIXED}"])
    assert read_report(pytester.path / "out")["baseline"]["fixed"] == [OBJECT]

    new = pytester.runpytest_subprocess(*PLUGIN)
    assert new.ret == 1  # no baseline: the failure fails, as it always did
    new.assert_outcomes(passed=1, failed=1)


def test_plugin_bad_baseline_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(planted=ACCEPTS_LOWER_CASE)
    pytester.path.joinpath("known.txt").write_text("no-such-id why\n")
    result = pytester.runpytest_subprocess(*PLUGIN, option_name("baseline"), "known.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and "no-such-id" in errors[0], errors
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.slow
def test_plugin_baseline_under_xdist_merges_one_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(planted=ACCEPTS_LOWER_CASE)
    pytester.path.joinpath("known.txt").write_text(f"{ENUM} lower case\n{OBJECT} once\n")
    args = (*PLUGIN, option_name("baseline"), "known.txt")
    serial = pytester.runpytest_subprocess(*args, "-n", "0", option_name("report"), "n0")
    spread = pytester.runpytest_subprocess(*args, "-n", "2", option_name("report"), "n2")
    assert serial.ret == spread.ret == 1
    spread.assert_outcomes(failed=1, xfailed=1)
    merged = valid_report(pytester.path / "n2")
    assert merged["baseline"] == read_report(pytester.path / "n0")["baseline"]
    assert merged["baseline"]["known"] == [ENUM] and merged["baseline"]["fixed"] == [OBJECT]


def test_an_id_with_an_at_sign_is_split_after_the_whole_id() -> None:
    document = json.loads(json.dumps(context().schema.document))
    document["properties"]["@type"] = {"type": "string"}
    ctx = context(document)
    rid = "schema:rejects-wrong-type:@type"
    baseline = Baseline("b", {rid: "x", f"{rid}@a@b": "y"}).checked(ctx, "validator", ["a@b"])
    assert baseline.split(rid) == (rid, None)
    assert baseline.split(f"{rid}@a@b") == (rid, "a@b")
    with pytest.raises(UsageError, match="names an implementation"):
        Baseline("b", {f"{rid}@a": "y"}).checked(ctx, "validator")


def test_hostile_names_and_reasons_are_escaped_in_every_format() -> None:
    from inngest_conformance.reference import validator

    report = certify_obj(validator, only=[OBJECT])
    hostile = f"{OBJECT}@<script>x`|y</script>"
    report["baseline"] = {
        "file": "b.json",
        "known": [hostile],
        "fixed": [],
        "new": [],
        "reasons": {hostile: "<b>bold</b> | pipe"},
        "passes": True,
    }
    page = to_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>bold" not in page
    markdown = to_markdown(report)
    line = next(x for x in markdown.splitlines() if x.startswith("- known: "))
    # The name in a code span that its backtick cannot close; the reason's markup escaped.
    assert line.startswith(f"- known: ``{hostile}`` — ")
    assert "&lt;b>bold&lt;/b> \\| pipe" in line


def test_what_a_row_counts_as_against_a_baseline() -> None:
    rows = [
        {"id": "a", "keyword": "MUST", "outcome": "errored"},  # baselined: known
        {"id": "b", "keyword": "SHOULD", "outcome": "failed"},  # baselined: known
        {"id": "c", "keyword": "SHOULD", "outcome": "passed"},  # baselined: fixed
        {"id": "d", "keyword": "SHOULD", "outcome": "failed"},  # a warning, as without one
        {"id": "e", "keyword": "MUST", "outcome": "errored"},  # new
        {"id": "f", "keyword": "MUST", "outcome": "skipped"},  # baselined, not judged
    ]
    judged = judge(rows, {"a": "crashes", "b": "later", "c": "once", "f": "?", "g": "?"})
    assert (judged.known, judged.fixed, judged.new) == (("a", "b"), ("c",), ("e",))
    assert judged.unchecked == ("f", "g")
    assert judged.reasons == {"a": "crashes", "b": "later"}
    assert not judged.passes
    assert judge(rows[:2], {"a": "crashes", "b": "later"}).passes
