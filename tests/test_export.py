"""``inngest-conformance export``: a report's failures as regression tests.

The reports come from the command line (a planted defect, certified for one requirement at
the quick profile), from the plugin (``--conformance-report``) and from ``compare``; each
exported pytest module is then run, in a pytester session, against the defective
implementation (one failed test per failure) and against the reference (all pass).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import tokenize
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._cli import main
from inngest_conformance._export import literal, plugin_command
from inngest_conformance.reference import ReferenceStore, validator
from inngest_conformance.strategies import Oracle
from inngest_conformance.testing import check_case

from tests.common import CLI, REFERENCE, ROOT, certify_obj, read_report
from tests.defects import SkipsRunning, lowercases_status

pytest_plugins = ["pytester"]

DEFECT = "tests.defects:lowercases_status"
RID = "schema:rejects-not-in-enum:status"
#: Strings a case may hold that a careless writer of Python source would break on.
HOSTILE = [
    "'",
    '"',
    "'''",
    '"""',
    "\\",
    "\\'''",
    "\x00",
    "\ud800",
    "\udfff",
    "é漢字🙂",
    "\u2028\r\n",
    "# not a comment",
    "{!r}",
    "\x7f\x1b",
]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def defect_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of certifying the planted defect on the one requirement it breaks."""
    out = tmp_path_factory.mktemp("defect")
    done = cli(
        ROOT,
        *("certify", "--target", DEFECT, "--profile", "quick", "--requirement", RID),
        *("--report-dir", str(out), "--quiet"),
    )
    assert done.returncode == 1, done.stderr
    return out / "report.json"


def load_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def params(function: Any) -> list[Any]:
    """The ``pytest.param`` rows of an exported test function."""
    (mark,) = [m for m in function.pytestmark if m.name == "parametrize"]
    return list(mark.args[1])


def failures(row: dict[str, Any]) -> list[dict[str, Any]]:
    return list(row.get("failures") or [row])


def run_module(pytester: pytest.Pytester, module: Path, target: str, *extra: str) -> Any:
    """The exported module, run in a pytester session as its header says."""
    return pytester.runpytest_inprocess(
        str(module), "--conformance-target", target, "--conformance-collect", "never", *extra
    )


# --- from the command line -------------------------------------------------------------------


def test_export_writes_one_test_per_failure_with_the_reports_cases(
    defect_report: Path, tmp_path: Path
) -> None:
    report = json.loads(defect_report.read_text("utf-8"))
    (row,) = report["requirements"]
    assert len(row["failures"]) >= 2  # several kinds: one test each
    module, suite = tmp_path / "test_regress.py", tmp_path / "suite.json"
    done = cli(
        ROOT, "export", str(defect_report), "--pytest", str(module), "--test-suite", str(suite)
    )
    assert done.returncode == 0, done.stderr
    n = len(row["failures"])
    assert f"wrote {module} ({n} tests)" in done.stdout
    text = module.read_text("utf-8")
    compile(text, str(module), "exec")
    assert f"# report: {defect_report.resolve()}" in text
    command = f"pytest {module} --conformance-target {DEFECT} --conformance-collect never"
    assert f"#   {command}" in text
    rows = params(load_module(module).test_regression)
    assert [p.id for p in rows] == [f"{RID}[{f['kind']}]" for f in row["failures"]]
    assert [p.values for p in rows] == [
        (RID, f["counterexample"], f["expected"]) for f in row["failures"]
    ]
    # The test-suite file: the suite's shape, each test's validity the oracle's.
    groups = json.loads(suite.read_text("utf-8"))
    assert isinstance(groups, list) and len(groups) == 1
    assert set(groups[0]) == {"description", "schema", "tests"}
    oracle = Oracle()
    assert groups[0]["schema"] == dict(oracle.schema.document)
    tests = groups[0]["tests"]
    assert [t["data"] for t in tests] == [f["counterexample"] for f in row["failures"]]
    for t in tests:
        assert set(t) == {"description", "data", "valid"}
        assert t["valid"] is False
        assert oracle.is_valid(t["data"]) is t["valid"]


def test_the_exported_module_fails_on_the_defect_and_passes_on_the_reference(
    defect_report: Path, tmp_path: Path, pytester: pytest.Pytester
) -> None:
    module = pytester.path / "test_regress.py"
    assert main(["export", str(defect_report), "--pytest", str(module)]) == 0
    n = len(failures(json.loads(defect_report.read_text("utf-8"))["requirements"][0]))
    failed = run_module(pytester, module, DEFECT)
    failed.assert_outcomes(failed=n)
    assert 'answer:   {"valid": true}' in failed.stdout.str()
    run_module(pytester, module, REFERENCE).assert_outcomes(passed=n)


def test_the_exported_module_without_an_implementation_says_how_to_name_one(
    defect_report: Path, pytester: pytest.Pytester
) -> None:
    module = pytester.path / "test_regress.py"
    assert main(["export", str(defect_report), "--pytest", str(module)]) == 0
    result = pytester.runpytest_inprocess(str(module))
    result.assert_outcomes(errors=len(params(load_module(module).test_regression)))
    assert "--conformance-target" in result.stdout.str()


def test_export_from_a_report_the_plugin_wrote(pytester: pytest.Pytester) -> None:
    reports = pytester.path / "reports"
    session = pytester.runpytest_inprocess(
        f"inngest-conformance::{RID}",
        *("--conformance-target", DEFECT, "--conformance-profile", "quick"),
        *("--conformance-report", str(reports)),
    )
    session.assert_outcomes(failed=1)
    report = read_report(reports)
    module = pytester.path / "test_from_plugin.py"
    assert main(["export", str(reports / "report.json"), "--pytest", str(module)]) == 0
    text = module.read_text("utf-8")
    assert f"--conformance-target {DEFECT} --conformance-collect never" in text
    n = len(failures(report["requirements"][0]))
    run_module(pytester, module, DEFECT).assert_outcomes(failed=n)
    run_module(pytester, module, REFERENCE).assert_outcomes(passed=n)


@pytest.mark.slow
def test_export_of_a_compare_report_gives_each_implementation_its_own_tests(
    tmp_path: Path, pytester: pytest.Pytester
) -> None:
    other = "tests.defects:accepts_unknown_property"
    out = tmp_path / "compare"
    done = cli(
        ROOT,
        *("compare", "--target", DEFECT, "--target", REFERENCE, "--target", other),
        *("--profile", "quick", "--levels", "schema", "--report-dir", str(out), "--quiet"),
    )
    assert done.returncode == 1, done.stderr
    report = read_report(out)
    columns = {i["invocation"][1]: i for i in report["compare"]["implementations"]}
    module, suite = pytester.path / "test_compare.py", tmp_path / "suite.json"
    argv = ["export", str(out / "report.json"), "--pytest", str(module), "--test-suite", str(suite)]
    assert main(argv) == 0
    text = module.read_text("utf-8")
    loaded = load_module(module)
    for target, name in (
        (DEFECT, "test_tests_defects_lowercases_status"),
        (other, "test_tests_defects_accepts_unknown_property"),
    ):
        rows = [f for row in columns[target]["failures"] for f in failures(row)]
        assert [p.values[1] for p in params(getattr(loaded, name))] == [
            f["counterexample"] for f in rows
        ]
        assert f"pytest {module}::{name} --conformance-target {target}" in text
        run_module(pytester, Path(f"{module}::{name}"), target).assert_outcomes(failed=len(rows))
        run_module(pytester, Path(f"{module}::{name}"), REFERENCE).assert_outcomes(passed=len(rows))
    assert "def test_inngest_conformance_reference" not in text  # no failures, no tests
    descriptions = [g["description"] for g in json.loads(suite.read_text("utf-8"))]
    assert any(f"[{columns[other]['column']}]" in d for d in descriptions)


# --- what the module holds -------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_a_literal_round_trips_a_hostile_string(value: str) -> None:
    for case in (value, {value: [value, {"k": value}]}, [value] * 20):
        assert eval(compile(literal(case), "<case>", "eval"), {"json": json}) == case


def test_what_a_literal_cannot_spell_goes_through_json() -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = {"o": deep}
    for case in (deep, [float("inf"), -1.5e300, 2**80]):
        text = literal(case)
        assert eval(compile(text, "<case>", "eval"), {"json": json}) == case
    assert literal(deep).startswith("json.loads(")


def test_hostile_cases_and_names_make_a_module_that_compiles_and_equals_the_report(
    defect_report: Path, tmp_path: Path
) -> None:
    report = json.loads(defect_report.read_text("utf-8"))
    row = report["requirements"][0]
    template = row["failures"][0]
    row["failures"] = []
    for i, s in enumerate(HOSTILE):
        f = copy.deepcopy(template)
        f["kind"] = f"{s}{i}"
        f["counterexample"] = {**f["counterexample"], "status": s, s: s}
        row["failures"].append(f)
    report["implementation"]["name"] = "evil\n'''\"\"\"\x00name"
    report["invocation"] = ["--target", "mod:obj\nimport os"]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(report), "utf-8")
    module, suite = tmp_path / "test_hostile.py", tmp_path / "hostile-suite.json"
    assert main(["export", str(path), "--pytest", str(module), "--test-suite", str(suite)]) == 0
    (group,) = json.loads(suite.read_text("utf-8"))
    assert [t["data"] for t in group["tests"]] == [f["counterexample"] for f in row["failures"]]
    text = module.read_text("utf-8")
    compile(text, str(module), "exec")
    assert "\nimport os" not in text
    rows = params(load_module(module).test_regression)
    assert [p.values[1] for p in rows] == [f["counterexample"] for f in row["failures"]]
    assert [p.id for p in rows] == [f"{RID}[{f['kind']}]" for f in row["failures"]]


def test_a_row_without_failures_is_exported_by_its_headline(
    defect_report: Path, tmp_path: Path
) -> None:
    report = json.loads(defect_report.read_text("utf-8"))
    row = report["requirements"][0]
    del row["failures"]
    path, module = tmp_path / "report.json", tmp_path / "test_headline.py"
    path.write_text(json.dumps(report), "utf-8")
    assert main(["export", str(path), "--pytest", str(module)]) == 0
    (param,) = params(load_module(module).test_regression)
    assert param.id == RID
    assert param.values == (RID, row["counterexample"], row["expected"])


def test_the_run_command_carries_the_rejection_classes() -> None:
    words = [
        "--target",
        "m:o",
        "--schema",
        "/s.json",
        "--rejects-with",
        "a:E",
        "--rejects-with",
        "b:F",
    ]
    assert plugin_command(words, "t.py") == [
        *("pytest", "t.py", "--conformance-target", "m:o"),
        *("--conformance-rejects-with", "a:E b:F", "--conformance-collect", "never"),
    ]


# --- check_case ------------------------------------------------------------------------------


def test_check_case_runs_a_lifecycle_program() -> None:
    program = [
        {"op": "create", "record": {"run_id": "r", "function_id": "f", "status": "QUEUED"}},
        {"op": "transition", "run_id": "r", "status": "COMPLETED", "at": "2019-01-01T00:00:08Z"},
    ]
    rid = "lifecycle:rejects-illegal-transitions"
    check_case(ReferenceStore(), rid, program)
    with pytest.raises(pytest.fail.Exception, match="illegal transition QUEUED -> COMPLETED"):
        check_case(SkipsRunning(), rid, program)


def test_check_case_judges_an_errored_requirements_case_without_a_violation(
    tmp_path: Path, pytester: pytest.Pytester
) -> None:
    """An errored requirement's row from a report that keeps no violation for it (written
    before errored rows kept ``expected``): the oracle gives one."""

    def crashes_on_case_variants(record: Any) -> Any:
        if isinstance(record, dict) and record.get("status", "").upper() != record.get("status"):
            raise RuntimeError("boom")
        return lowercases_status(record)

    report = certify_obj(crashes_on_case_variants, only=[RID])
    (row,) = report["requirements"]
    assert row["outcome"] == "errored"
    assert row["expected"]["violation"]["keyword"] == "enum"  # what the kit writes now
    del row["expected"]  # as an older kit wrote it
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), "utf-8")
    module = pytester.path / "test_errored.py"
    assert main(["export", str(path), "--pytest", str(module)]) == 0
    (param,) = params(load_module(module).test_regression)
    assert param.id == f"{RID}[errored]"
    assert param.values[1] == row["counterexample"]
    run_module(pytester, module, REFERENCE).assert_outcomes(passed=1)
    with pytest.raises(pytest.fail.Exception, match=r"errored: .*boom"):
        check_case(crashes_on_case_variants, RID, row["counterexample"])
    with pytest.raises(pytest.fail.Exception, match="accepted an invalid record"):
        check_case(lowercases_status, RID, row["counterexample"])


# --- the test-suite file ---------------------------------------------------------------------


def test_lifecycle_failures_are_left_out_of_the_test_suite_in_one_line(
    defect_report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(defect_report.read_text("utf-8"))
    transitions = [f"{a}->{b}" for a in ("QUEUED", "RUNNING", "PAUSED") for b in ("FAILED", "X")]
    ids = [
        "lifecycle:rejects-illegal-transitions",
        "lifecycle:terminal-states-absorbing",
        "lifecycle:accepts-legal-transitions",
        "lifecycle:keeps-output",
        "lifecycle:ids-never-change",
    ]
    for rid in ids:  # a store's report: many requirements, several kinds each
        report["requirements"].append(
            {
                "id": rid,
                "outcome": "failed",
                "message": "step 1: accepted the illegal transition QUEUED -> COMPLETED",
                "counterexample": [],
                "failures": [
                    {"kind": kind, "counterexample": [], "expected": {"ok": False}}
                    for kind in transitions
                ],
            }
        )
    path, suite = tmp_path / "report.json", tmp_path / "suite.json"
    path.write_text(json.dumps(report), "utf-8")
    assert main(["export", str(path), "--test-suite", str(suite)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"inngest-conformance: left out of {suite}: {len(ids) * len(transitions)} lifecycle "
        f"failures ({', '.join(ids[:3])} and 2 more): a lifecycle program has no test-suite "
        "form (--pytest exports it)"
    ]
    assert f"wrote {suite}" in captured.out
    (group,) = json.loads(suite.read_text("utf-8"))
    assert len(group["tests"]) == len(report["requirements"][0]["failures"])

    # A report of lifecycle failures only: the one line, and nothing written.
    report["requirements"] = report["requirements"][1:2]
    path.write_text(json.dumps(report), "utf-8")
    suite.unlink()
    assert main(["export", str(path), "--test-suite", str(suite)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"inngest-conformance: left out of {suite}: {len(transitions)} lifecycle failures "
        f"({ids[0]}): a lifecycle program has no test-suite form (--pytest exports it)"
    ]
    assert captured.out == f"{suite}: not written, no validator failure to put in it\n"
    assert not suite.exists()


def test_a_report_made_with_another_schema_is_refused(
    defect_report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = dict(Oracle().schema.document)
    document["description"] = "another version"
    other = tmp_path / "schema.json"
    other.write_text(json.dumps(document), "utf-8")
    suite = tmp_path / "suite.json"
    argv = ["export", str(defect_report), "--test-suite", str(suite), "--schema", str(other)]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "made with another schema" in line and "--schema" in line
    assert not suite.exists()


# --- bad input -------------------------------------------------------------------------------


def test_a_report_with_no_failures_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = certify_obj(validator, only=[RID])
    path, module = tmp_path / "report.json", tmp_path / "test_none.py"
    path.write_text(json.dumps(report), "utf-8")
    assert main(["export", str(path), "--pytest", str(module), "--test-suite", "x.json"]) == 0
    assert "nothing to export" in capsys.readouterr().out
    assert not module.exists() and not Path("x.json").exists()


@pytest.mark.parametrize(
    ("content", "flags", "words"),
    [
        ("not json", ("--pytest", "t.py"), "is not JSON"),
        ("[1, 2]", ("--pytest", "t.py"), "not an inngest-conformance report"),
        ('{"format": "something-else"}', ("--pytest", "t.py"), "not an inngest-conformance"),
        ('{"format": "inngest-conformance-report/1"}', (), "--pytest FILE, --test-suite FILE"),
        (None, ("--pytest", "t.py"), "report"),
    ],
    ids=["not-json", "not-an-object", "other-format", "no-flag", "missing-file"],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    flags: tuple[str, ...],
    words: str,
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, "utf-8")
    assert (
        main(["export", str(path), *(f if f != "t.py" else str(tmp_path / f) for f in flags)]) == 2
    )
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("inngest-conformance: error:") and words in line
    assert not (tmp_path / "t.py").exists()


def test_an_unwritable_destination_is_one_line_and_exit_2(
    defect_report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "folder" / "t.py"
    assert main(["export", str(defect_report), "--pytest", str(target)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"cannot write {target}" in line


@pytest.mark.parametrize("folder", ["coding=utf-7", "coding=unicode_escape"])
def test_no_path_in_a_report_chooses_the_exported_modules_encoding(
    defect_report: Path, tmp_path: Path, pytester: pytest.Pytester, folder: str
) -> None:
    """Python reads a source encoding from line 1 or 2: a report kept in a folder named
    ``coding=utf-7`` once made ``+ACc-`` in a case close a string literal, and collecting
    the exported tests ran the case's code."""
    report = json.loads(defect_report.read_text("utf-8"))
    (row,) = report["requirements"]
    payload = "+ACc-+ACk-; open(+ACc-PWNED+ACc-, +ACc-w+ACc-)  +ACM-"
    for failure in row["failures"]:
        failure["counterexample"] = {**failure["counterexample"], "status": payload}
    where = tmp_path / folder
    where.mkdir()
    (where / "report.json").write_text(json.dumps(report), "utf-8")
    module = pytester.path / "test_regress.py"
    assert main(["export", str(where / "report.json"), "--pytest", str(module)]) == 0
    with module.open("rb") as fh:
        assert tokenize.detect_encoding(fh.readline)[0] == "utf-8"
    assert module.read_text("utf-8").splitlines()[0] == "# -*- coding: utf-8 -*-"
    rows = params(load_module(module).test_regression)
    assert {p.values[1]["status"] for p in rows} == {payload}  # read back as written
    pytester.runpytest_inprocess(str(module), "--collect-only")
    assert not (pytester.path / "PWNED").exists() and not Path("PWNED").exists()
