"""Known failures: ``--baseline`` on certify and compare, ``--conformance-baseline`` in the
plugin.  A baselined failure does not fail the run, a baselined requirement that passes
does (``fixed: remove it from the baseline``), a new failure does, the verdict stays the
truth, and every bad file or id is one line and exit 2.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance._baseline import Baseline, Entry, judge, section, updated
from inngest_conformance._planning import context
from inngest_conformance._render import to_html, to_markdown
from inngest_conformance.errors import UsageError
from inngest_conformance.plugin import option_name
from inngest_conformance.report import report_schema

from tests.common import CLI, certify_obj, read_report, run_cli, with_tests_importable

pytest_plugins = ["pytester"]

UNKNOWN = "schema:rejects-unknown-property"
OBJECT = "schema:rejects-not-an-object"
ENUM = "schema:rejects-not-in-enum:status"
#: Fails UNKNOWN (and nothing else among these three).
DEFECT = "tests.defects:accepts_unknown_property"
#: Fails ENUM.
LOWER = "tests.defects:lowercases_status"
FIXED = "fixed: remove it from the baseline"
FIXED_KINDS = "kinds of failure fixed: update the baseline (--update-baseline)"
#: One requirement, two kinds of failure (null, integer) and a defect with each half fixed.
APP_ID = "schema:rejects-wrong-type:app_id"
BOTH = "tests.defects:accepts_null_or_integer_app_id"
NULL = "tests.defects:accepts_null_app_id"
INTEGER = "tests.defects:accepts_integer_app_id"


def notice(file: str, plain: int, entries: int) -> str:
    """The one line a baseline of requirement-only entries costs."""
    many = "entry names" if entries == 1 else "entries name"
    return (
        f"inngest-conformance: note: baseline {file}: {plain} of {entries} {many} the "
        "requirement only, not its kinds of failure: any failure of it counts as known; "
        "--update-baseline records the kinds"
    )


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
    assert proc.stderr.splitlines() == [notice("known.txt", 1, 1)]
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
        "kinds": {},
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
    assert proc.stderr.splitlines() == [
        notice("known.json", 2, 2),
        f"inngest-conformance: {FIXED}: {OBJECT}",
    ]
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
    row = report["requirements"][0]
    kinds = sorted(f["kind"] for f in row["failures"])
    assert report["baseline"]["kinds"] == {UNKNOWN: {"known": [], "fixed": [], "new": kinds}}
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
    # Its kinds are the report's: compared, the same.
    kinds = sorted(f["kind"] for f in failed["failures"])
    assert section["kinds"] == {UNKNOWN: {"known": kinds, "fixed": [], "new": []}}
    assert again.stderr == ""


@pytest.mark.slow
def test_update_rewrites_the_baseline_with_stable_bytes(tmp_path: Path) -> None:
    baseline = tmp_path / "known.json"
    # A missing file starts empty: the run's failure is added, exit 0.
    proc = run(
        tmp_path, *CERTIFY, "--baseline", "known.json", "--update-baseline", "--report-dir", "r"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    message = next(r for r in read_report(tmp_path / "r")["requirements"] if r["id"] == UNKNOWN)
    kinds = sorted(f["kind"] for f in message["failures"])
    n = f"{len(kinds)} kind{'s' if len(kinds) != 1 else ''}"
    assert f"baseline known.json updated: 1 entry, {n} of failure; added {UNKNOWN} (" in proc.stdout
    written = baseline.read_bytes()
    assert json.loads(written) == {UNKNOWN: {"reason": message["message"], "kinds": kinds}}
    # A fixed entry is removed, a reason someone wrote is kept (its kinds now recorded), an
    # entry this run did not judge (ENUM is left out) is kept as it was; the keys sorted.
    baseline.write_text(json.dumps({UNKNOWN: "ours", OBJECT: "was failing", ENUM: "not run"}))
    only = ("--requirement", UNKNOWN, "--requirement", OBJECT)
    proc = run(tmp_path, "certify", "--target", DEFECT, "--profile", "quick", *only,
               "--baseline", "known.json", "--update-baseline", "--report-dir", "r")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"removed {OBJECT}" in proc.stdout and f"kinds of {UNKNOWN} recorded (" in proc.stdout
    assert proc.stderr == ""  # no notice: this run rewrites the requirement-only entries
    kept = {ENUM: "not run", UNKNOWN: {"reason": "ours", "kinds": kinds}}
    assert baseline.read_text() == json.dumps(kept, indent=2) + "\n"
    before = baseline.read_bytes()
    again = run(tmp_path, "certify", "--target", DEFECT, "--profile", "quick", *only,
                "--baseline", "known.json", "--update-baseline", "--report-dir", "r")  # fmt: skip
    assert again.returncode == 0 and f"updated: 2 entries, {n} of failure\n" in again.stdout
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
    "kinds-not-a-list": (
        lambda p: [
            "--baseline",
            _write(p, "b", json.dumps({ENUM: {"reason": "why", "kinds": "lower-case"}})),
        ],
        '{"reason": TEXT, "kinds": [KIND, ...]}',
    ),
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


# --- kinds of failure ---------------------------------------------------------------------

KINDS = ("certify", "--profile", "quick", "--requirement", APP_ID, "--requirement", OBJECT)


def _kinds_baseline(directory: Path, *kinds: str) -> str:
    entry = {"reason": "app_id is not checked", "kinds": list(kinds)}
    (directory / "kinds.json").write_text(json.dumps({APP_ID: entry}))
    return "kinds.json"


def test_a_new_kind_of_a_known_failure_fails_the_run(tmp_path: Path) -> None:
    """The release brings a second kind of failure to a requirement that already failed:
    not '0 new failures; the run passes'."""
    base = ("--baseline", _kinds_baseline(tmp_path, "null"), "--junit", "j.xml")
    proc = run(tmp_path, *KINDS, "--target", BOTH, *base, "--report-dir", "r")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        f"inngest-conformance: new failures, not in the baseline: {APP_ID} (integer)"
    ]
    assert "0 known failures, 0 fixed, 1 new failure; the run fails" in proc.stdout
    assert f"new       {APP_ID}: new kinds of failure, not in the baseline: integer" in proc.stdout
    section = valid_report(tmp_path / "r")["baseline"]
    assert section["new"] == [APP_ID] and section["known"] == [] and not section["passes"]
    assert section["kinds"] == {APP_ID: {"known": ["null"], "fixed": [], "new": ["integer"]}}
    junit = (tmp_path / "j.xml").read_text()
    assert 'failures="1"' in junit and "known failure (baseline)" not in junit


@pytest.mark.slow
def test_a_kind_gone_is_a_fix_and_the_same_kinds_are_known(tmp_path: Path) -> None:
    name = _kinds_baseline(tmp_path, "integer", "null")
    base = ("--baseline", name, "--report-dir", "r")
    partly = run(tmp_path, *KINDS, "--target", NULL, *base)
    assert partly.returncode == 1, partly.stdout + partly.stderr
    assert partly.stderr.splitlines() == [f"inngest-conformance: {FIXED_KINDS}: {APP_ID} (integer)"]
    assert f"fixed     {APP_ID}: {FIXED_KINDS}: integer" in partly.stdout
    kinds = valid_report(tmp_path / "r")["baseline"]["kinds"]
    assert kinds == {APP_ID: {"known": ["null"], "fixed": ["integer"], "new": []}}
    # The same kinds: known, and the run passes; every kind fixed: fixed, as before.
    same = run(tmp_path, *KINDS, "--target", BOTH, *base)
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stderr == "" and "1 known failure, 0 fixed, 0 new failures" in same.stdout
    whole = run(tmp_path, *KINDS, "--target", "inngest_conformance.reference:validator", *base)
    assert whole.returncode == 1
    assert whole.stderr.splitlines() == [f"inngest-conformance: {FIXED}: {APP_ID}"]
    # One fixed, the other brought in its place: a new failure, the fix named too.
    null = _kinds_baseline(tmp_path, "null")
    swapped = run(tmp_path, *KINDS, "--target", INTEGER, "--baseline", null, "--report-dir", "r")
    assert swapped.returncode == 1
    assert "new kinds of failure, not in the baseline: integer (fixed: null)" in swapped.stdout


def test_an_old_baseline_names_requirements_only_and_says_so_once(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(json.dumps({APP_ID: "app_id is not checked"}))
    proc = run(tmp_path, *KINDS, "--target", BOTH, "--baseline", "old.json", "--report-dir", "r")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [notice("old.json", 1, 1)]
    section = valid_report(tmp_path / "r")["baseline"]
    assert section["known"] == [APP_ID] and section["kinds"] == {}


@pytest.mark.slow
def test_update_says_what_it_wrote_and_the_run_it_wrote_passes(tmp_path: Path) -> None:
    """--update-baseline after a release with a new kind: exit 0, what it wrote, and the
    report, the JUnit file and the job summary judged against the baseline written."""
    name = _kinds_baseline(tmp_path, "null")
    summary = tmp_path / "summary.md"
    proc = subprocess.run(
        [*CLI, *KINDS, "--target", BOTH, "--baseline", name, "--update-baseline",
         "--report-dir", "r", "--junit", "j.xml"],
        cwd=tmp_path, env={**with_tests_importable(), "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the run fails" not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == (
        f"baseline {name} updated: 1 entry, 2 kinds of failure; kinds of {APP_ID} added (integer)"
    )
    assert json.loads((tmp_path / name).read_text()) == {
        APP_ID: {"reason": "app_id is not checked", "kinds": ["integer", "null"]}
    }
    report = valid_report(tmp_path / "r")
    assert report["baseline"]["updated"] is True and report["baseline"]["known"] == [APP_ID]
    assert report["baseline"]["passes"] is True
    junit = (tmp_path / "j.xml").read_text()
    assert 'failures="0" errors="0" skipped="1"' in junit
    assert "the run fails" not in summary.read_text() + (tmp_path / "r" / "report.md").read_text()
    assert "Known failures (baseline):" in summary.read_text()
    assert "Failures (they fail the run):" not in summary.read_text()
    # Said in --quiet too; and the file it wrote passes the same release.
    update = ("--baseline", name, "--update-baseline", "--report-dir", "r", "--quiet")
    quiet = run(tmp_path, *KINDS, "--target", BOTH, *update)
    assert quiet.returncode == 0
    assert quiet.stdout.splitlines()[-1] == f"baseline {name} updated: 1 entry, 2 kinds of failure"
    again = run(tmp_path, *KINDS, "--target", BOTH, "--baseline", name, "--report-dir", "r")
    assert again.returncode == 0 and again.stderr == ""


@pytest.mark.slow
def test_a_store_release_with_a_new_broken_transition_fails_against_the_old_baseline(
    tmp_path: Path,
) -> None:
    """The user's trial: a store reopens failed runs (baselined), its next release reopens
    completed ones too; then the baseline is updated and the release passes against it."""
    absorbing = "lifecycle:terminal-states-absorbing"
    only = ("--role", "lifecycle", "--profile", "quick", "--requirement", absorbing)
    old, new = "tests.defects:ReopensFailedRuns", "tests.defects:ReopensFinishedRuns"
    made = run(tmp_path, "certify", "--target", old, *only, "--baseline", "b.json",
               "--update-baseline")  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"added {absorbing} (FAILED->RUNNING)" in made.stdout
    release = ("certify", "--target", new, *only, "--baseline", "b.json", "--junit", "j.xml")
    proc = run(tmp_path, *release)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "0 new failures" not in proc.stdout
    assert proc.stderr.splitlines() == [
        f"inngest-conformance: new failures, not in the baseline: {absorbing} (COMPLETED->RUNNING)"
    ]
    assert 'failures="1"' in (tmp_path / "j.xml").read_text()
    updated_ = run(tmp_path, *release, "--update-baseline")
    assert updated_.returncode == 0
    assert f"kinds of {absorbing} added (COMPLETED->RUNNING)" in updated_.stdout
    again = run(tmp_path, *release)
    assert again.returncode == 0, again.stdout + again.stderr
    assert 'failures="0" errors="0" skipped="1"' in (tmp_path / "j.xml").read_text()


#: A requirement row as report.json has it, reduced to what a baseline reads.
OUTCOMES = st.sampled_from(["passed", "failed", "errored", "skipped"])
KIND_SETS = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True)


@st.composite
def runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for n in range(draw(st.integers(1, 6))):
        outcome = draw(OUTCOMES)
        row: dict[str, Any] = {
            "id": f"r{n}",
            "keyword": draw(st.sampled_from(["MUST", "SHOULD"])),
            "outcome": outcome,
            "message": f"r{n} broke",
        }
        if outcome == "failed":
            row["failures"] = [{"kind": k} for k in draw(KIND_SETS)]
        rows.append(row)
    return rows


@settings(max_examples=300, deadline=None)
@given(rows=runs(), data=st.data())
def test_a_baseline_knows_the_run_it_was_written_from_and_each_change_of_kind(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    written = Baseline("b.json", updated({"requirements": rows}, Baseline("b.json")))
    judged = section({"requirements": rows}, written)
    assert judged["passes"] and not judged["fixed"] and not judged["new"]
    assert judged["known"] == [r["id"] for r in rows if r["outcome"] in ("failed", "errored")]
    # Then one requirement changes: a MUST gains a kind (new), any row loses one while
    # failing (fixed), or passes (fixed); the others stay known.
    failed = [r for r in rows if r["outcome"] == "failed"]
    if not failed:
        return
    row = data.draw(st.sampled_from(failed))
    kinds = [f["kind"] for f in row["failures"]]
    change = data.draw(st.sampled_from(["gain", "lose", "pass"]))
    if change == "gain" and len(kinds) < 3:
        changed = {**row, "failures": [*row["failures"], {"kind": "z"}]}
        expect = "new" if row["keyword"] == "MUST" else "known"
    elif change == "lose" and len(kinds) > 1:
        changed, expect = {**row, "failures": row["failures"][1:]}, "fixed"
    else:
        changed, expect = {**row, "outcome": "passed"}, "fixed"
    after = section({"requirements": [changed if r is row else r for r in rows]}, written)
    where = [name for name in ("known", "fixed", "new") if row["id"] in after[name]]
    assert where == [expect]
    assert after["passes"] is (expect == "known")
    others = [r["id"] for r in rows if r is not row and r["outcome"] in ("failed", "errored")]
    assert [k for k in after["known"] if k != row["id"]] == others


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
    junit = ("--junit", "c3.xml")
    proc = run(tmp_path, *COMPARE, "--baseline", "all.txt", "--report-dir", "c3", *junit)
    assert proc.returncode == 1
    section = valid_report(tmp_path / "c3")["baseline"]
    assert section["known"] == [f"{UNKNOWN}@{DEFECT}"]
    assert section["fixed"] == [f"{UNKNOWN}@{LOWER}"]
    assert section["new"] == [f"{ENUM}@{LOWER}"]
    # The JUnit file reads it so: per implementation, the known one skipped, the others red.
    root = ET.fromstring((tmp_path / "c3.xml").read_bytes())
    red, known = [], []
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            key = f"{case.get('name')}@{suite.get('name')}"
            if case.find("failure") is not None or case.find("error") is not None:
                red.append(key)
            skipped = case.find("skipped")
            if skipped is not None and "known failure" in (skipped.get("message") or ""):
                known.append(key)
    assert sorted(red) == sorted(section["fixed"] + section["new"])
    assert known == section["known"]
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
    baseline = Baseline("b.json", {UNKNOWN: Entry("ours"), OBJECT: Entry("both once")})
    baseline = baseline.checked(context(), "validator", ["a", "b"])
    assert updated(report, baseline) == {
        f"{ENUM}@b": Entry(f"{ENUM} broke in b", ()),
        f"{OBJECT}@a": Entry("both once"),
        UNKNOWN: Entry("ours"),
    }
    # With kinds: a plain id stays plain only while every implementation fails the same way.
    for impl, kinds in zip(report["compare"]["implementations"], (["x"], ["x", "y"]), strict=True):
        for row in impl["failures"]:
            row["failures"] = [{"kind": k} for k in kinds]
    after = updated(report, baseline)
    assert after[f"{UNKNOWN}@a"] == Entry("ours", ("x",))
    assert after[f"{UNKNOWN}@b"] == Entry("ours", ("x", "y"))
    assert UNKNOWN not in after


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
        [
            f"inngest-conformance: {notice('known.txt', 1, 1)[len('inngest-conformance: ') :]}",
            f"XFAIL inngest-conformance::{ENUM} - known failure (baseline): lower case is taken",
        ]
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


#: The two-kind defect of ``tests.defects``, as a module of the pytester project.
TWO_KINDS = """
from inngest_conformance.reference import validator as reference


def accepts_null_or_integer_app_id(record):
    if isinstance(record, dict) and type(record.get("app_id")) in (type(None), int):
        record = {k: v for k, v in record.items() if k != "app_id"}
    return reference(record)
"""


@pytest.mark.slow
def test_plugin_a_new_kind_fails_and_the_same_kinds_are_an_xfail(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(planted=TWO_KINDS)
    args = (
        option_name("target"),
        "planted:accepts_null_or_integer_app_id",
        option_name("profile"),
        "quick",
        f"inngest-conformance::{APP_ID}",
        option_name("baseline"),
        "kinds.json",
        option_name("junit"),
        "j.xml",
        "-rA",
    )
    _kinds_baseline(pytester.path, "null")
    new = pytester.runpytest_subprocess(*args)
    assert new.ret == 1
    new.assert_outcomes(failed=1)
    new.stdout.fnmatch_lines(["*new kinds of failure, not in the baseline: integer*"])
    assert 'failures="1"' in (pytester.path / "j.xml").read_text()
    _kinds_baseline(pytester.path, "null", "integer")
    known = pytester.runpytest_subprocess(*args)
    assert known.ret == 0, known.stdout.str()
    known.assert_outcomes(xfailed=1)
    known.stdout.fnmatch_lines(
        [f"XFAIL inngest-conformance::{APP_ID} - known failure (baseline): app_id is not checked"]
    )
    junit = (pytester.path / "j.xml").read_text()
    assert 'failures="0" errors="0" skipped="1"' in junit
    assert 'message="known failure (baseline): app_id is not checked"' in junit
    assert "note: baseline" not in known.stdout.str()  # its entries record their kinds


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
    entries = {rid: Entry("x"), f"{rid}@a@b": Entry("y")}
    baseline = Baseline("b", entries).checked(ctx, "validator", ["a@b"])
    assert baseline.split(rid) == (rid, None)
    assert baseline.split(f"{rid}@a@b") == (rid, "a@b")
    with pytest.raises(UsageError, match="names an implementation"):
        Baseline("b", {f"{rid}@a": Entry("y")}).checked(ctx, "validator")


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
    assert "&lt;b&gt;bold&lt;/b&gt; \\| pipe" in line


def test_what_a_row_counts_as_against_a_baseline() -> None:
    rows = [
        {"id": "a", "keyword": "MUST", "outcome": "errored"},  # baselined: known
        {"id": "b", "keyword": "SHOULD", "outcome": "failed"},  # baselined: known
        {"id": "c", "keyword": "SHOULD", "outcome": "passed"},  # baselined: fixed
        {"id": "d", "keyword": "SHOULD", "outcome": "failed"},  # a warning, as without one
        {"id": "e", "keyword": "MUST", "outcome": "errored"},  # new
        {"id": "f", "keyword": "MUST", "outcome": "skipped"},  # baselined, not judged
    ]
    entries = {k: Entry(v) for k, v in (("a", "crashes"), ("b", "later"), ("c", "once"))}
    entries |= {"f": Entry("?"), "g": Entry("?")}
    judged = judge(rows, entries)
    assert (judged.known, judged.fixed, judged.new) == (("a", "b"), ("c",), ("e",))
    assert judged.unchecked == ("f", "g")
    assert judged.reasons == {"a": "crashes", "b": "later"}
    assert not judged.passes
    assert judge(rows[:2], entries).passes
