"""JUnit XML for CI: the file agrees with report.json, and stays well-formed whatever a
counterexample holds.

Through the library (a report in, XML text out), the command line (``--junit`` on certify
and compare, a planted defect) and the pytest plugin (``--conformance-junit``, the ini key,
xdist).  Every file is parsed with :mod:`xml.etree.ElementTree`: a file a CI system could
not read fails here.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._junit import to_junit
from inngest_conformance._render import ELIDE_AT
from inngest_conformance.plugin import NODE, option_name
from inngest_conformance.reference import validator

from tests.common import CLI, REFERENCE, certify_obj, read_report
from tests.defects import lowercases_status

pytest_plugins = ["pytester"]

ENUM_ID = "schema:rejects-not-in-enum:status"
REQUIRED_ONLY = "schema:accepts-required-only"
PLANTED = "tests.defects:lowercases_status"
TWO = ("--requirement", ENUM_ID, "--requirement", REQUIRED_ONLY)
#: What a hostile implementation may put in a counterexample, a message or an answer.
HOSTILE = "\x00\x01\x0b\x1b\ud800\udfff\ufffe]]><b>&amp;</b>\"'`\U0001f600" + "x" * 50_000


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in suite.iter("testcase")}


def check_agrees(root: ET.Element, report: dict[str, Any]) -> ET.Element:
    """The one suite of a certify report: one case per requirement row, each outcome where
    JUnit puts it, the counts in the attributes; returns the suite."""
    [suite] = root.findall("testsuite")
    assert suite.get("name") == report["implementation"]["name"]
    found = cases(suite)
    assert list(found) == [r["id"] for r in report["requirements"]]
    tag = {"failed": "failure", "errored": "error", "skipped": "skipped"}
    for row in report["requirements"]:
        case = found[row["id"]]
        assert case.get("classname") == f"inngest-conformance.{row['level']}"
        assert [child.tag for child in case] == (
            [tag[row["outcome"]]] if row["outcome"] in tag else []
        )
    c = report["counts"]
    expected = {"tests": len(found), "failures": c["failed"], "errors": c["errored"]}
    expected["skipped"] = c["skipped"]
    for element in (root, suite):
        assert {k: int(element.get(k, "-1")) for k in expected} == expected
    return suite


# --- the library: a report in, XML out ---------------------------------------------------


def test_a_failure_carries_the_evidence_and_the_reproduce_line() -> None:
    report = certify_obj(lowercases_status, only=[ENUM_ID, REQUIRED_ONLY])
    suite = check_agrees(parse(to_junit([report])), report)
    row = next(r for r in report["requirements"] if r["id"] == ENUM_ID)
    failure = cases(suite)[ENUM_ID].find("failure")
    assert failure is not None
    assert failure.get("message") == row["message"] and failure.get("type") == "MUST"
    text = failure.text or ""
    assert f"counterexample: {json.dumps(row['counterexample'], ensure_ascii=False)}" in text
    assert f"answer: {json.dumps(row['answer'])}" in text
    assert f"expected: {json.dumps(row['expected'], ensure_ascii=False)}" in text
    assert f"reproduce: {row['reproduce']}\n" in text
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["verdict"] == "non-conformant"
    assert properties["fingerprint"] == report["fingerprint"]


def test_errored_is_an_error_and_a_declared_exception_is_skipped_with_its_reason() -> None:
    def crashes(record: Any) -> bool:
        raise RuntimeError("boom")

    report = certify_obj(crashes, only=[REQUIRED_ONLY])
    error = cases(check_agrees(parse(to_junit([report])), report))[REQUIRED_ONLY].find("error")
    assert error is not None and "RuntimeError: boom" in (error.get("message") or "")
    assert "Traceback" in (error.text or "") and "reproduce: " in (error.text or "")

    declared = "format:accepts-rfc3339:ended_at"
    report = certify_obj(validator, levels=["format"], exceptions={declared: "no <ended_at>"})
    skipped = cases(check_agrees(parse(to_junit([report])), report))[declared].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "declared exception: no <ended_at>"


def test_hostile_values_give_well_formed_clipped_xml() -> None:
    report = certify_obj(lowercases_status, only=[ENUM_ID])
    row = report["requirements"][0]
    row.update(message=HOSTILE, counterexample={HOSTILE: [HOSTILE]}, answer=HOSTILE)
    report["implementation"]["name"] = HOSTILE
    text = to_junit([report])
    root = parse(text)  # well-formed, or this raises
    failure = next(root.iter("failure"))
    assert len(failure.get("message") or "") <= 500
    assert len(failure.text or "") < 4 * ELIDE_AT + 2000
    assert len(text) < 20_000
    assert "\\u0000" in (failure.text or "") and "\x00" not in text
    assert "\\ud800" in (failure.text or "") and "]]><b>" in (failure.text or "")
    assert "reproduce: " in (failure.text or "")


def test_a_comparison_has_one_suite_per_implementation() -> None:
    from inngest_conformance._adapters import open_adapter
    from inngest_conformance._run import compare_adapters

    adapters = [open_adapter(obj=validator), open_adapter(obj=lowercases_status)]
    try:
        report = compare_adapters(adapters, profile="quick", levels=["schema"]).report
    finally:
        for a in adapters:
            a.close()
    section = report["compare"]
    root = parse(to_junit([report]))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [i["column"] for i in section["implementations"]]
    for suite, entry in zip(suites, section["implementations"], strict=True):
        found = cases(suite)
        assert list(found) == [m["id"] for m in section["matrix"]]
        failed = [name for name, c in found.items() if c.find("failure") is not None]
        assert failed == [
            m["id"] for m in section["matrix"] if m["outcomes"][entry["column"]] == "failed"
        ]
        for f in entry["failures"]:
            failure = found[f["id"]].find("failure")
            assert failure is not None and f"reproduce: {f['reproduce']}" in (failure.text or "")
    assert [len(cases(s)) for s in suites] == [len(section["matrix"])] * 2
    assert int(root.get("failures", "0")) >= 1


# --- the command line ------------------------------------------------------------------


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_certify_junit_agrees_with_report_json(tmp_path: Path) -> None:
    args = ("certify", "--target", PLANTED, "--profile", "quick", *TWO)
    result = run(
        Path.cwd(),
        *args,
        "--report-dir",
        str(tmp_path / "out"),
        "--junit",
        str(tmp_path / "ci" / "junit.xml"),
    )
    assert result.returncode == 1, result.stderr
    report = read_report(tmp_path / "out")
    suite = check_agrees(parse((tmp_path / "ci" / "junit.xml").read_text("utf-8")), report)
    failure = cases(suite)[ENUM_ID].find("failure")
    row = next(r for r in report["requirements"] if r["id"] == ENUM_ID)
    assert failure is not None and f"replay: {row['replay']}" in (failure.text or "")
    assert str(tmp_path / "ci" / "junit.xml") in result.stdout
    assert not [p for p in (tmp_path / "ci").iterdir() if p.name != "junit.xml"]


def test_compare_junit_holds_every_implementation(tmp_path: Path) -> None:
    result = run(
        Path.cwd(),
        "compare",
        "--target",
        REFERENCE,
        "--target",
        PLANTED,
        "--profile",
        "quick",
        "--levels",
        "schema",
        "--report-dir",
        str(tmp_path / "out"),
        "--junit",
        str(tmp_path / "junit.xml"),
        "--quiet",
    )
    assert result.returncode == 1, result.stderr
    report = read_report(tmp_path / "out")
    root = parse((tmp_path / "junit.xml").read_text("utf-8"))
    columns = [i["column"] for i in report["compare"]["implementations"]]
    assert [s.get("name") for s in root.findall("testsuite")] == columns
    failing = [s.get("name") for s in root.findall("testsuite") if s.get("failures") != "0"]
    assert failing == [PLANTED]


def test_a_junit_path_that_is_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    args = ("certify", "--target", REFERENCE, "--profile", "quick", "--requirement", ENUM_ID)
    result = run(tmp_path, *args, "--junit", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"inngest-conformance: error: cannot write the JUnit file {tmp_path}: it is a folder"
    ]
    assert not (tmp_path / "reports").exists()


# --- the plugin ------------------------------------------------------------------------

#: Two of the plugin's items, by node id: a run of seconds.
ITEMS = (f"{NODE}::{REQUIRED_ONLY}", f"{NODE}::{ENUM_ID}")
#: A validator with one planted defect: it accepts a status in the wrong case.
ACCEPTS_LOWER_CASE = """
from inngest_conformance.reference import validator as reference


def accepts_lower_case(record):
    if isinstance(record, dict) and isinstance(record.get("status"), str):
        record = {**record, "status": record["status"].upper()}
    return reference(record)
"""


@pytest.mark.slow
def test_the_plugin_writes_junit_from_its_merged_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(planted=ACCEPTS_LOWER_CASE)
    result = pytester.runpytest_subprocess(
        option_name("target"),
        "planted:accepts_lower_case",
        *ITEMS,
        option_name("profile"),
        "quick",
        option_name("report"),
        "out",
        option_name("junit"),
        "ci/conformance.xml",
    )
    assert result.ret == 1
    report = read_report(pytester.path / "out")
    root = parse((pytester.path / "ci" / "conformance.xml").read_text("utf-8"))
    check_agrees(root, report)
    result.stdout.fnmatch_lines(["*written: ci/conformance.xml (JUnit XML)"])


@pytest.mark.slow
def test_the_ini_key_alone_writes_junit(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        f"[pytest]\nconformance_target = {REFERENCE}\nconformance_profile = quick\n"
        "conformance_junit = conformance.xml\n"
    )
    result = pytester.runpytest_subprocess(*ITEMS)
    assert result.ret == 0
    root = parse((pytester.path / "conformance.xml").read_text("utf-8"))
    [suite] = root.findall("testsuite")
    assert suite.get("name") == REFERENCE and suite.get("failures") == "0"
    assert list(cases(suite)) == [REQUIRED_ONLY, ENUM_ID]
    assert not (pytester.path / "reports").exists()


@pytest.mark.slow
def test_under_xdist_only_the_controller_writes_one_junit(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        option_name("target"),
        REFERENCE,
        option_name("profile"),
        "quick",
        option_name("report"),
        "out",
        option_name("junit"),
        "j.xml",
        "-n",
        "2",
    )
    assert result.ret == 0
    report = read_report(pytester.path / "out")
    check_agrees(parse((pytester.path / "j.xml").read_text("utf-8")), report)
    assert sorted(p.name for p in pytester.path.iterdir() if p.name.endswith(".xml")) == ["j.xml"]


def test_a_plugin_junit_path_that_is_a_folder_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "taken").mkdir()
    result = pytester.runpytest_subprocess(
        option_name("target"), REFERENCE, option_name("junit"), "taken", ITEMS[0]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot write the JUnit file taken: it is a folder"])
    assert "Traceback" not in result.stderr.str()
