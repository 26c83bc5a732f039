"""Every distinct failure shown, and exceptions that name variants within a requirement.

The tests run the command as a user does (a subprocess in a folder of its own) against the
pydantic model and the run store of ``examples/pydantic-model/``: the first model a user
writes lets ``null``, numbers and several malformed date-times by, and one counterexample
per requirement would show them one fix at a time.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._requirements import catalogue
from inngest_conformance._variants import DATETIME_FEATURES, datetime_features
from inngest_conformance.report import report_schema
from inngest_conformance.strategies import resolve_schema
from inngest_conformance.strategies._oracle import Oracle
from inngest_conformance.strategies._rfc3339 import is_rfc3339_datetime

from tests.common import CLI

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pydantic-model"
WRONG_TYPE = "schema:rejects-wrong-type:started_at"
MALFORMED = "format:rejects-malformed-date-time:started_at"
RFC3339 = "format:accepts-rfc3339:started_at"

pytest_plugins = ["pytester"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("first_try.py", "run_model.py", "store.py", "limits.txt"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    return tmp_path


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def certify(cwd: Path, out: str, *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    done = cli(cwd, "certify", "--profile", "quick", "--report-dir", out, *args)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads((cwd / out / "report.json").read_text())
    jsonschema.validate(report, report_schema())
    return done, report


def row(report: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(r for r in report["requirements"] if r["id"] == rid)


def kinds(r: dict[str, Any]) -> list[str]:
    return [f["kind"] for f in r.get("failures", [])]


@pytest.mark.slow
def test_each_distinct_failure_kind_has_its_own_example(project: Path) -> None:
    args = ("--target", "first_try:InngestRun", "--requirement", WRONG_TYPE)
    done, report = certify(project, "a", *args, "--requirement", MALFORMED)
    assert done.returncode == 1, done.stderr

    wrong = row(report, WRONG_TYPE)
    assert {"null", "integer", "number"} <= set(kinds(wrong)), kinds(wrong)
    malformed = row(report, MALFORMED)
    expected = {
        "space-separator", "other-separator", "missing-offset", "offset-without-colon",
        "comma-fraction", "lookalike-offset-sign",
    }  # fmt: skip
    assert expected <= set(kinds(malformed)), kinds(malformed)

    oracle = Oracle(resolve_schema(None))
    for r in (wrong, malformed):
        assert len(set(kinds(r))) == len(kinds(r))
        # The headline is the first kind, kept in the contract fields.
        head = r["failures"][0]
        assert (r["counterexample"], r["answer"], r["expected"]) == (
            head["counterexample"],
            head["answer"],
            head["expected"],
        )
        for f in r["failures"]:
            # Each example is a record the oracle rejects at started_at for exactly that
            # kind, and that the model accepted.
            errors = oracle.errors(f["counterexample"])
            assert errors and all(e.path == "/started_at" for e in errors), f
            assert f["expected"]["violation"]["detail"] == f["kind"]
            assert f["answer"]["valid"] is True
            assert f["kind"] in f["message"]
    # Shrunk: the simplest plain base record (ids no one argues about), only the broken
    # property added.
    plain_id = "01D03BBF000000000000000000"
    assert wrong["counterexample"] == {
        "run_id": plain_id,
        "function_id": plain_id,
        "status": "QUEUED",
        "started_at": None,
    }

    # The terminal shows a compact list, the other formats every kind with its example.
    assert f"{len(kinds(malformed))} kinds of failure" in done.stdout
    for kind in kinds(wrong) + kinds(malformed):
        assert re.search(rf"^    {re.escape(kind)}\s+\{{", done.stdout, re.M), kind
    md = (project / "a" / "report.md").read_text()
    html = (project / "a" / "report.html").read_text()
    for f in malformed["failures"]:
        value = f["counterexample"]["started_at"]
        assert f"| {f['kind']} |" in md and value in md
        assert f"<td>{f['kind']}</td>" in html and value in html

    # The same seed gives the same report, kinds and examples included (the replay line
    _, again = certify(project, "b", *args)
    # names the report's own folder, as each kind's reproduce line does).
    same = {k: v for k, v in row(again, WRONG_TYPE).items() if k != "replay"}
    first = {k: v for k, v in wrong.items() if k != "replay"}
    assert json.dumps(same).replace("b/report.json", "a/report.json") == json.dumps(first)


def test_a_pydantic_datetime_that_takes_a_minus_sign_look_alike_is_caught(project: Path) -> None:
    """pydantic reads U+2212 MINUS SIGN as an offset's '-': the quick profile sends it (a
    directed case), the report names it, and the example is one pydantic really takes and
    the oracle really refuses.  The fixed model, whose check reads ASCII only, passes."""
    done, report = certify(
        project, "a", "--target", "first_try:InngestRun", "--requirement", MALFORMED
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failure = next(
        f for f in row(report, MALFORMED)["failures"] if f["kind"] == "lookalike-offset-sign"
    )
    record = failure["counterexample"]
    assert record["started_at"] == "2019-01-01T00:00:00\u221205:00", failure
    assert failure["answer"]["valid"] is True
    assert not Oracle(resolve_schema(None)).is_valid(record)
    model = _load(project / "first_try.py").InngestRun
    parsed = model.model_validate(record).started_at
    assert parsed.utcoffset() == dt.timedelta(hours=-5)  # taken for -05:00
    assert "\u2212" in done.stdout and "lookalike-offset-sign" in done.stdout

    fixed, report = certify(
        project, "b", "--target", "run_model:InngestRun", "--requirement", MALFORMED
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert row(report, MALFORMED)["outcome"] == "passed"


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_lifecycle_failures_are_told_apart_by_transition(project: Path) -> None:
    buggy = (
        (project / "store.py")
        .read_text()
        .replace("if status in TERMINAL:", 'if status == "COMPLETED":')
    )
    assert buggy != (project / "store.py").read_text()
    (project / "buggy_store.py").write_text(buggy)
    rid = "lifecycle:ended-at-exactly-when-terminal"
    args = ("--target", "buggy_store:store", "--role", "lifecycle", "--requirement", rid)
    done, report = certify(project, "r", *args)
    r = row(report, rid)
    assert r["outcome"] == "failed", done.stdout
    losing = {"QUEUED->CANCELLED", "RUNNING->FAILED", "RUNNING->CANCELLED", "PAUSED->CANCELLED"}
    assert set(kinds(r)) == losing, kinds(r)
    for f in r["failures"]:
        target = f["kind"].split("->")[1]
        steps = [op for op in f["counterexample"] if op["op"] == "transition"]
        assert any(op["status"] == target for op in steps), f
        assert f"while {target}" in f["message"]
    assert "RUNNING->CANCELLED" in done.stdout


@pytest.mark.slow
def test_declared_variants_take_out_only_those_cases(project: Path) -> None:
    target = ("--target", "run_model:InngestRun")
    _, report = certify(project, "plain", *target, "--requirement", RFC3339)
    assert row(report, RFC3339)["outcome"] == "failed"
    assert set(kinds(row(report, RFC3339))) == {"year-0000", "leap-second"}

    year = f"{RFC3339}[year-0000]"
    _, report = certify(
        project, "one", *target, "--requirement", RFC3339, "--skip", year, "--reason", "no year 0"
    )
    r = row(report, RFC3339)
    # The rest of the requirement still counts.
    assert r["outcome"] == "failed" and kinds(r) == ["leap-second"], kinds(r)
    assert r["declared_variants"] == [{"variant": "year-0000", "reason": "no year 0"}]

    leap = f"{RFC3339}[leap-second]"
    done, report = certify(
        project,
        "two",
        *target,
        "--requirement",
        RFC3339,
        "--skip",
        year,
        "--reason",
        "no year 0",
        "--skip",
        leap,
        "--reason",
        "no second 60",
    )
    assert done.returncode == 0, done.stdout
    r = row(report, RFC3339)
    assert r["outcome"] == "passed" and r["examples"] > 0
    assert [d["variant"] for d in r["declared_variants"]] == ["year-0000", "leap-second"]
    assert report["verdict_text"] == "conformant, 2 declared exceptions"
    assert {
        "id": leap,
        "reason": "no second 60",
        "requirement": RFC3339,
        "variant": "leap-second",
    } in report["exceptions"]
    md = (project / "two" / "report.md").read_text()
    html = (project / "two" / "report.html").read_text()
    for text in (done.stdout, md, html):
        assert "not claimed: year-0000, leap-second" in text
        assert leap in text


@pytest.mark.slow
def test_a_date_time_model_passes_the_schema_level_without_declarations(
    project: Path,
) -> None:
    """Year 0000, leap seconds and long fractions are format questions: a model built on
    Python's datetime passes every schema-level requirement with nothing declared, over
    several seeds, and fails only at the format level."""
    target = ("--target", "run_model:InngestRun")
    for seed in ("0", "2", "5"):
        done, report = certify(
            project, f"plain-{seed}", *target, "--profile", "quick", "--seed", seed
        )
        assert done.returncode == 1, done.stdout
        assert report["levels"]["schema"] == "passed", seed
        failed = {r["id"] for r in report["requirements"] if r["outcome"] == "failed"}
        assert failed and all(i.startswith("format:accepts-rfc3339:") for i in failed), failed


@pytest.mark.slow
def test_variants_are_listed_and_checked(project: Path) -> None:
    done = cli(project, "requirements", "--variants")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    for feature in ("year-0000", "leap-second", "long-fraction"):
        assert f"  {RFC3339}[{feature}]" in lines
    assert "  lifecycle:accepts-legal-transitions[RUNNING->PAUSED]" in lines
    assert f"  {WRONG_TYPE}[null]" in lines
    listed = json.loads(cli(project, "requirements", "--variants", "--format", "json").stdout)
    assert next(r for r in listed if r["id"] == RFC3339)["variants"] == list(DATETIME_FEATURES)

    target = ("--target", "run_model:InngestRun")
    bad = cli(project, "certify", *target, "--skip", f"{RFC3339}[year-0]", "--reason", "typo")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.splitlines()) == 1
    assert "no variant 'year-0'" in bad.stderr and "requirements --variants" in bad.stderr


@pytest.mark.parametrize("name", list(DATETIME_FEATURES))
def test_each_named_date_time_feature_is_valid_and_shows_that_feature(name: str) -> None:
    value = DATETIME_FEATURES[name]
    assert is_rfc3339_datetime(value)
    assert name in datetime_features(value)
    assert set(datetime_features(value)) <= {name, "numeric-offset"}


def test_directed_date_time_cases_include_every_named_feature() -> None:
    schema = resolve_schema(None)
    from inngest_conformance._planning import context

    ctx = context()
    req = next(r for r in catalogue(schema) if r.id == RFC3339)
    values = [case["started_at"] for case in req.explicit(ctx)]
    assert set(DATETIME_FEATURES.values()) <= set(values)


@pytest.mark.slow
def test_the_pytest_plugin_shows_every_kind_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(first_try=(EXAMPLE / "first_try.py").read_text())
    result = pytester.runpytest_subprocess(
        "--conformance-target",
        "first_try:InngestRun",
        "--conformance-profile",
        "quick",
        "-k",
        "started_at",
    )
    assert result.ret == 1
    text = result.stdout.str()
    assert f"{WRONG_TYPE} (MUST): accepted an invalid record" in text
    assert "3 kinds of failure" in text
    for kind in ("null", "number", "integer"):
        assert re.search(rf"^    {kind}\s+\{{", text, re.M), kind
