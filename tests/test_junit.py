"""JUnit XML for CI: the file agrees with report.json, and stays well-formed whatever a
counterexample holds.

Through the library (a report in, XML text out), the command line (``--junit`` on certify
and compare, a planted defect) and the pytest plugin (``--conformance-junit``, the ini key,
xdist).  Every file is parsed with :mod:`xml.etree.ElementTree`: a file a CI system could
not read fails here.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance._adapters.base import Description
from inngest_conformance._baseline import Baseline, Entry, with_baseline
from inngest_conformance._engine import Failure, Result
from inngest_conformance._junit import to_junit
from inngest_conformance._planning import context
from inngest_conformance._render import ELIDE_AT
from inngest_conformance._requirements import catalogue
from inngest_conformance._run import Certification
from inngest_conformance._vocabulary import Outcome
from inngest_conformance.plugin import NODE, option_name
from inngest_conformance.reference import validator
from inngest_conformance.report import RunInfo, build_report

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
        # A failed SHOULD or MAY is a warning: it passes, its evidence kept.
        warning = row["outcome"] == "failed" and row["keyword"] != "MUST"
        assert [child.tag for child in case] == (
            ["system-out"] if warning else [tag[row["outcome"]]] if row["outcome"] in tag else []
        )
    c = report["counts"]
    must = sum(
        1 for r in report["requirements"] if r["outcome"] == "failed" and r["keyword"] == "MUST"
    )
    expected = {"tests": len(found), "failures": must, "errors": c["errored"]}
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


# --- the exit status and the file never disagree ----------------------------------------

#: Requirements of the validator role, in catalogue order: a run's rows.
REQUIREMENTS = catalogue(context().schema, role="validator", model=context().model)[:5]
OUTCOME_NAMES: list[Outcome] = ["passed", "failed", "errored", "skipped"]
#: What an entry of a baseline may hold for a requirement, beside no entry at all.
KIND_SETS = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True)
ENTRIES = st.none() | st.builds(
    Entry, st.just("known once"), st.none() | KIND_SETS.map(tuple) | st.just(())
)


@st.composite
def runs_and_baselines(draw: st.DrawFn) -> tuple[list[Result], Baseline | None]:
    """A run's results (each requirement passed, failed in some kinds, errored or skipped;
    a MUST or a SHOULD) and a baseline (none, or an entry per requirement or none)."""
    results = []
    for req in REQUIREMENTS[: draw(st.integers(1, len(REQUIREMENTS)))]:
        keyword = draw(st.sampled_from(["MUST", "SHOULD"]))
        outcome = draw(st.sampled_from(OUTCOME_NAMES))
        kinds = draw(KIND_SETS) if outcome == "failed" else []
        results.append(_result(req, keyword, outcome, kinds))
    if draw(st.booleans()):
        return results, None
    entries = {r.requirement.id: draw(ENTRIES) for r in results}
    kept = {rid: e for rid, e in entries.items() if e is not None}
    return results, Baseline("b.json", kept).checked(context(), "validator")


def _info() -> RunInfo:
    return RunInfo(context(), "validator", "quick", 0, Description(name="drawn"))


def _result(req: Any, keyword: str, outcome: Outcome, kinds: Sequence[str]) -> Result:
    failures = tuple(
        Failure(k, f"broke: {k}", {"kind": k}, {"valid": True}, {"valid": False}) for k in kinds
    )
    return Result(
        replace(req, keyword=keyword), outcome, 10, 0, f"{outcome} once", failures=failures
    )


def check_agreement(results: list[Result], baseline: Baseline | None) -> None:
    """The exit status is 1 exactly when the file holds a failure or an error (0: neither;
    2, nothing judged: no test case passes), and a known failure is a skipped case that
    says so."""
    report = with_baseline(
        build_report(_info(), results, started_at="2024-01-01T00:00:00Z", duration_s=0.0),
        baseline,
    )
    code = Certification(results, report).exit_code
    [suite] = parse(to_junit([report])).findall("testsuite")
    every = list(suite.iter("testcase"))
    red = [c for c in every if c.find("failure") is not None or c.find("error") is not None]
    if code == 2:
        assert all(c.find("skipped") is not None or c.find("error") is not None for c in every)
        return
    assert code in (0, 1) and (code == 1) == bool(red), (code, [c.get("name") for c in red])
    section = report.get("baseline")
    if section is None:
        return
    for key in section["known"]:
        skipped = cases(suite)[key].find("skipped")
        assert skipped is not None
        assert (skipped.get("message") or "").startswith("known failure (baseline)")
    assert sorted(c.get("name", "") for c in red) == sorted(section["fixed"] + section["new"])


#: Every outcome of one requirement: passed, failed in each set of kinds, errored, skipped.
OUTCOMES: list[tuple[Outcome, tuple[str, ...]]] = [
    ("passed", ()),
    *(("failed", kinds) for n in (1, 2) for kinds in itertools.combinations("abc", n)),
    ("errored", ()),
    ("skipped", ()),
]
#: Every entry a baseline may hold for it (``False``: no baseline at all).
BASELINE_ENTRIES: list[Entry | bool | None] = [
    False,
    None,
    Entry("known once"),
    Entry("known once", ()),
    *(Entry("known once", kinds) for n in (1, 2) for kinds in itertools.combinations("ab", n)),
]


def test_every_combination_of_outcome_kinds_and_entry_agrees() -> None:
    """Each keyword, outcome (each set of kinds) and baseline entry of one requirement,
    beside a second that passes and one that fails as its entry says."""
    first, second, third = REQUIREMENTS[:3]
    for keyword, (outcome, kinds), entry in itertools.product(
        ("MUST", "SHOULD"), OUTCOMES, BASELINE_ENTRIES
    ):
        results = [
            _result(first, keyword, outcome, kinds),
            _result(second, "MUST", "passed", ()),
            _result(third, "MUST", "failed", ("a",)),
        ]
        if entry is False:
            check_agreement(results, None)
            continue
        entries = {third.id: Entry("known", ("a",))}
        if isinstance(entry, Entry):
            entries[first.id] = entry
        check_agreement(results, Baseline("b.json", entries).checked(context(), "validator"))


@settings(max_examples=300, deadline=None)
@given(drawn=runs_and_baselines())
def test_the_junit_file_fails_exactly_when_the_run_does(
    drawn: tuple[list[Result], Baseline | None],
) -> None:
    """Runs of several requirements, each drawn as above, against drawn baselines."""
    check_agreement(*drawn)


def test_known_fixed_and_new_in_one_file() -> None:
    """One report with each: the known failure is skipped with its reason, the fixed one and
    the new kind are failures that say why."""
    rows: dict[str, tuple[Outcome, list[str]]] = {
        REQUIREMENTS[0].id: ("failed", ["a"]),  # known
        REQUIREMENTS[1].id: ("passed", []),  # fixed
        REQUIREMENTS[2].id: ("failed", ["a", "b"]),  # a new kind
        REQUIREMENTS[3].id: ("failed", ["a"]),  # a kind gone
    }
    results = [
        Result(
            req,
            rows[req.id][0],
            10,
            0,
            message="broke",
            failures=tuple(Failure(k, k, {}, None, None) for k in rows[req.id][1]),
        )
        for req in REQUIREMENTS[:4]
    ]
    entries = {rid: Entry("why", ("a",)) for rid in list(rows)[:3]}
    entries[REQUIREMENTS[3].id] = Entry("why", ("a", "c"))
    report = with_baseline(
        build_report(_info(), results, started_at="2024-01-01T00:00:00Z", duration_s=0.0),
        Baseline("b.json", entries),
    )
    assert Certification(results, report).exit_code == 1
    found = cases(parse(to_junit([report])).findall("testsuite")[0])
    known = found[REQUIREMENTS[0].id].find("skipped")
    assert known is not None and known.get("message") == "known failure (baseline): why"
    fixed = found[REQUIREMENTS[1].id].find("failure")
    assert fixed is not None and fixed.get("message") == "fixed: remove it from the baseline"
    assert fixed.get("type") == "fixed"
    new = found[REQUIREMENTS[2].id].find("failure")
    assert new is not None and new.get("type") == "MUST"
    assert "baseline: new kinds of failure, not in the baseline: b" in (new.text or "")
    gone = found[REQUIREMENTS[3].id].find("failure")
    assert gone is not None and gone.get("message") == (
        "kinds of failure fixed: update the baseline (--update-baseline): c"
    )


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
