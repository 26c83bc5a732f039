"""compare, declared exceptions and --levels: what a verdict covers, shown everywhere."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._adapters import open_adapter
from inngest_conformance._adapters.base import Description
from inngest_conformance._compare import draw_cases, unique_names
from inngest_conformance._planning import context
from inngest_conformance._render import to_badge, to_html, to_markdown
from inngest_conformance._requirements import catalogue
from inngest_conformance._run import compare_adapters
from inngest_conformance.errors import UsageError
from inngest_conformance.report import report_schema, write_reports
from inngest_conformance.strategies import default_schema
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._source import MinimalSource

from tests.common import NODE_HARNESS, REFERENCE, ROOT, certify_obj, run_cli
from tests.defects import accepts_unknown_property, lowercases_status, rejects_leap_second

#: The options of a quick run.
QUICK = ("--profile", "quick")
#: The smallest plain record: what the properties a case is not about shrink to.
PLAIN = gen_record(MinimalSource(), default_schema(), plain=True)


def _compare(*objs: Any, **kwargs: Any) -> dict[str, Any]:
    adapters = [open_adapter(obj=o) for o in objs]
    try:
        return compare_adapters(adapters, profile="quick", **kwargs).report
    finally:
        for a in adapters:
            a.close()


@pytest.fixture(scope="module")
def three() -> dict[str, Any]:
    from inngest_conformance.reference import validator

    return _compare(validator, lowercases_status, accepts_unknown_property, seed=4)


@pytest.mark.slow
def test_matrix_has_a_cell_per_requirement_and_implementation(three: dict[str, Any]) -> None:
    section = three["compare"]
    names = [i["column"] for i in section["implementations"]]
    assert len(names) == 3 == len(set(names))
    ids = [r.id for r in catalogue(context().schema, role="validator")]
    assert [row["id"] for row in section["matrix"]] == ids
    for row in section["matrix"]:
        assert set(row["outcomes"]) == set(names)
    failed = {
        (row["id"], n) for row in section["matrix"] for n in names if row["outcomes"][n] == "failed"
    }
    assert failed == {
        ("schema:rejects-not-in-enum:status", names[1]),
        ("schema:rejects-unknown-property", names[2]),
    }
    assert section["totals"][names[0]] == {"passed": len(ids), "failed": 0, "errored": 0}
    verdicts = [i["verdict"] for i in section["implementations"]]
    assert verdicts == ["conformant", "non-conformant", "non-conformant"]
    assert three["verdict"] == "non-conformant"


def test_disagreements_are_shrunk_with_every_answer(three: dict[str, Any]) -> None:
    rows = three["compare"]["disagreements"]
    by_req = {d["requirement"]: d for d in rows}
    assert set(by_req) == {"schema:rejects-not-in-enum:status", "schema:rejects-unknown-property"}
    enum = by_req["schema:rejects-not-in-enum:status"]
    assert set(enum["case"]) == {"run_id", "function_id", "status"}  # minimal
    # The other properties as plain as they come: the smallest realistic ids.
    assert enum["case"]["run_id"] == PLAIN["run_id"]
    answers = list(enum["answers"].values())
    assert [a["ok"] for a in answers] == [True, False, True]
    assert answers[1]["answer"] == {"valid": True}
    assert answers[0]["answer"]["valid"] is False


def test_every_implementation_gets_the_same_cases() -> None:
    ctx = context()
    for req in catalogue(ctx.schema):
        first = draw_cases(ctx, req, 20, seed=9)
        again = draw_cases(ctx, req, 20, seed=9)
        assert json.dumps([getattr(c, "record", c) for c in first], default=str) == json.dumps(
            [getattr(c, "record", c) for c in again], default=str
        )


def test_compare_report_in_every_format(three: dict[str, Any], tmp_path: Path) -> None:
    write_reports(three, tmp_path)
    jsonschema.Draft202012Validator(report_schema()).validate(
        json.loads((tmp_path / "report.json").read_text())
    )
    md = to_markdown(three)
    assert "## Comparison" in md and "**totals**" in md and "Disagreements" in md
    page = to_html(three)
    assert "<h2>Comparison</h2>" in page and "DISAGREES" in page


def test_unique_names_number_clashes() -> None:
    names = unique_names([Description("x", "1"), Description("x", "1"), Description("y")])
    assert names == ["x 1", "x 1 #2", "y"]


def test_compare_needs_two() -> None:
    from inngest_conformance.reference import validator

    with pytest.raises(UsageError, match="at least two"):
        _compare(validator)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(cwd, *args)


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_HARNESS.parent / "node_modules").is_dir(),
    reason="node or examples/node-ajv/node_modules missing (npm ci in examples/node-ajv)",
)
def test_cli_compare_reference_defect_and_node_harness(tmp_path: Path) -> None:
    targets = ("--target", REFERENCE, "--target", "tests.defects:lowercases_status")
    node = ("--command", f"node {NODE_HARNESS}")
    report_dir = str(tmp_path / "r")
    proc = _run("compare", *targets, *node, *QUICK, "--report-dir", report_dir, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    names = [i["column"] for i in report["compare"]["implementations"]]
    assert names[2].startswith("ajv")
    reqs = {d["requirement"] for d in report["compare"]["disagreements"]}
    assert "schema:rejects-not-in-enum:status" in reqs
    assert "format:rejects-malformed-date-time:ended_at" in reqs
    assert "ajv" in proc.stdout and "DISAGREES" in proc.stdout


def test_cli_compare_with_one_implementation_is_a_usage_error(tmp_path: Path) -> None:
    proc = _run("compare", "--target", "inngest_conformance.reference:validator", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "two or more" in proc.stderr
    assert not (tmp_path / "reports").exists()


# Declared exceptions and levels ------------------------------------------------------------


@pytest.mark.slow
def test_declared_exception_is_not_run_and_listed_apart() -> None:
    rid = "schema:rejects-not-in-enum:status"
    report = certify_obj(lowercases_status, exceptions={rid: "statuses are case-insensitive here"})
    assert report["verdict"] == "conformant"
    assert report["verdict_text"] == "conformant, 1 declared exception"
    assert report["exceptions"] == [{"id": rid, "reason": "statuses are case-insensitive here"}]
    row = next(r for r in report["requirements"] if r["id"] == rid)
    assert row["outcome"] == "skipped" and row["examples"] == 0 and row["declared"] is True
    assert "statuses are case-insensitive here" in row["message"]
    assert "1 declared exception" in to_markdown(report)
    assert "statuses are case-insensitive here" in to_html(report)
    assert "1 exception" in to_badge(report)


@pytest.mark.slow
def test_exceptions_change_the_fingerprint() -> None:
    from inngest_conformance.reference import validator

    rid = "schema:rejects-not-an-object"
    plain = certify_obj(validator)
    skipped = certify_obj(validator, exceptions={rid: "documents are always objects here"})
    assert plain["fingerprint"] != skipped["fingerprint"]


@pytest.mark.slow
def test_levels_narrow_the_verdict() -> None:
    full = certify_obj(rejects_leap_second)
    assert full["verdict"] == "non-conformant"
    narrowed = certify_obj(rejects_leap_second, levels=["schema"])
    assert narrowed["verdict"] == "conformant"
    assert narrowed["levels_covered"] == ["schema"]
    assert narrowed["levels"]["format"] == "skipped"
    assert narrowed["verdict_text"] == "conformant, covering schema only"
    assert {r["level"] for r in narrowed["requirements"]} == {"schema"}
    assert "conformant (schema)" in to_badge(narrowed)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": ["lifecycle"]}, "covers none"),
        ({"levels": ["speed"]}, "no level 'speed'"),
        ({"exceptions": {"nope": "x"}}, "no such requirement"),
        ({"exceptions": {"lifecycle:creates-runs": "x"}}, "not one of role validator"),
    ],
)
def test_bad_scope_is_a_usage_error(kwargs: dict[str, Any], message: str) -> None:
    from inngest_conformance.reference import validator

    with pytest.raises(UsageError, match=message):
        certify_obj(validator, **kwargs)


@pytest.mark.slow
def test_cli_skip_reason_and_skip_file(tmp_path: Path) -> None:
    skips = tmp_path / "skips.txt"
    skips.write_text(
        "# what this implementation does not claim\n"
        "schema:rejects-unknown-property extra keys are ignored by design\n"
    )
    target = ("--target", "tests.defects:accepts_unknown_property")
    proc = _run(
        "certify", *target, *QUICK, "--skip-file", str(skips), "--report-dir", "r", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "conformant, 1 declared exception" in proc.stdout
    skip = ("--skip", "schema:rejects-not-an-object")
    proc = _run("certify", "--target", REFERENCE, *QUICK, *skip, "--report-dir", "r2", cwd=tmp_path)
    assert proc.returncode == 2 and "--reason" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / "r2").exists()


def test_requirements_ids_are_stable() -> None:
    """The ids other tools key on: a change here needs a CHANGELOG entry."""
    ids = [r.id for r in catalogue(context().schema)]
    assert ids[:4] == [
        "schema:accepts-valid-records",
        "schema:accepts-required-only",
        "schema:accepts-all-optional",
        "schema:accepts-every-value:status",
    ]
    # 0.1.0 had 33; lifecycle:keeps-output is new, and the three of the opt-in concurrency level
    assert len(ids) == 37
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "requirement ids" in changelog.lower()


def test_a_requirement_no_case_can_be_made_for_is_errored_for_each_never_a_traceback() -> None:
    """compare draws its shared cases outside Hypothesis: a requirement whose near misses
    all break a second rule ends errored with why for every implementation, as in certify."""
    from tests.test_solver import TYPE_ASKED_TWICE

    one, two = (jsonschema.Draft202012Validator(TYPE_ASKED_TWICE) for _ in range(2))
    report = _compare(one, two, ctx=context(TYPE_ASKED_TWICE))
    jsonschema.validate(report, report_schema())
    rows = {row["id"]: row for row in report["compare"]["matrix"]}
    none = rows["schema:rejects-wrong-type:/m/a"]
    assert set(none["outcomes"].values()) == {"errored"} and none["cases"] == 0
    assert set(rows["schema:rejects-breaks-all-of:/m"]["outcomes"].values()) == {"passed"}
    assert report["compare"]["disagreements"] == []
