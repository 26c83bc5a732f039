"""Searching on after the profile (``--max-time``, ``--rounds``) and the example database
(``--database``), from the command line and from the pytest plugin.

The planted defect here is rare on purpose: the validator rejects a valid record only when
its status is FAILED and it also has event_id, started_at and ended_at.  The quick profile's
search of ``schema:accepts-valid-records`` at seed 1 misses it; two further rounds find it.
No test asserts on timing: only on rounds, counts, outcomes and cases.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance import strategies
from inngest_conformance._budget import Budget, merged, parse_duration
from inngest_conformance._engine import Failure, Result, database_key
from inngest_conformance._planning import context
from inngest_conformance._requirements import catalogue
from inngest_conformance.errors import UsageError
from inngest_conformance.plugin import option_name
from inngest_conformance.report import certificate, report_schema

from tests.common import CLI, REFERENCE, certify_obj, read_report, timeless

pytest_plugins = ["pytester"]

RARE = '''
from inngest_conformance.reference import Verdict, validator as reference


def rejects_rare_failed(record):
    """Rejects a valid FAILED record that also has event_id, started_at and ended_at."""
    if (
        isinstance(record, dict)
        and record.get("status") == "FAILED"
        and all(k in record for k in ("event_id", "started_at", "ended_at"))
    ):
        return Verdict(False, ("/status: FAILED not allowed here",))
    return reference(record)
'''
TARGET = "rare:rejects_rare_failed"
REQ = "schema:accepts-valid-records"
ONE = ("--profile", "quick", "--requirement", REQ)
SCHEMA = "inngest-run.schema.json"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def certify(cwd: Path, out: str, *args: str) -> tuple[int, dict[str, Any]]:
    """Certify the rare defect (written to ``cwd``); the exit status and the report."""
    (cwd / "rare.py").write_text(RARE)
    result = run(cwd, "certify", "--target", TARGET, *ONE, "--report-dir", out, *args)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = read_report(cwd / out)
    jsonschema.validate(report, report_schema())
    return result.returncode, report


def row(report: dict[str, Any], rid: str = REQ) -> dict[str, Any]:
    return next(r for r in report["requirements"] if r["id"] == rid)


def is_rare(case: Any) -> bool:
    return case["status"] == "FAILED" and {"event_id", "started_at", "ended_at"} <= set(case)


# --- further rounds --------------------------------------------------------------------


@pytest.mark.slow
def test_further_rounds_find_what_the_profile_missed(tmp_path: Path) -> None:
    code, plain = certify(tmp_path, "plain", "--seed", "1")
    assert code == 0 and row(plain)["outcome"] == "passed"
    assert "search" not in plain and "search" not in row(plain)

    code, more = certify(tmp_path, "more", "--seed", "1", "--rounds", "2")
    assert code == 1 and more["verdict"] == "non-conformant"
    found = row(more)
    assert found["outcome"] == "failed" and is_rare(found["counterexample"])
    assert found["search"]["rounds"] == 2
    # Every case sent counts: the profile run's and the rounds'.
    assert found["examples"] == row(plain)["examples"] + found["search"]["cases"]
    assert more["search"] == {
        "max_time_s": None,
        "rounds": 2,
        "extra_cases": found["search"]["cases"],
    }
    assert found["rerun"].endswith(f"--requirement {REQ} --rounds 2")


@pytest.mark.slow
def test_the_same_rounds_make_the_same_report(tmp_path: Path) -> None:
    runs = []
    for name in ("first", "second"):  # the same report folder, as the commands name it
        (tmp_path / name).mkdir()
        runs.append(certify(tmp_path / name, "out", "--seed", "1", "--rounds", "2")[1])
    assert timeless(runs[0]) == timeless(runs[1])


@pytest.mark.slow
def test_a_time_budget_is_reproduced_by_its_rounds(tmp_path: Path) -> None:
    _, timed = certify(tmp_path, "timed", "--seed", "1", "--max-time", "2s")
    assert timed["search"]["max_time_s"] == 2.0
    rounds = timed["search"]["rounds"]
    mine = row(timed)
    assert mine.get("search", {}).get("rounds", 0) == rounds
    if rounds == 0:  # a machine too slow for one round in the budget: nothing to reproduce
        return
    _, again = certify(tmp_path, "timed", "--seed", "1", "--rounds", str(rounds))
    assert timeless(again)["requirements"] == timeless(timed)["requirements"]
    assert again["search"] == {**timed["search"], "max_time_s": None}
    assert again["fingerprint"] == timed["fingerprint"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--max-time", "soon"), "--max-time 'soon' is not a duration above 0"),
        (("--max-time", "0s"), "--max-time '0s' is not a duration above 0"),
        (("--rounds", "0"), "--rounds '0' is not a whole number of rounds"),
        (("--rounds", "2", "--max-time", "5m"), "not allowed with argument"),
    ],
)
def test_a_bad_budget_is_one_usage_error(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    result = run(tmp_path, "certify", "--target", REFERENCE, *ONE, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert words in lines[-1]
    assert not (tmp_path / "reports").exists()


def test_durations() -> None:
    assert [parse_duration(t) for t in ("90s", "5m", "1h", "30", "1.5m")] == [
        90.0,
        300.0,
        3600.0,
        30.0,
        90.0,
    ]
    with pytest.raises(UsageError, match="'5 minutes'"):
        parse_duration("5 minutes")
    assert Budget.of(None, None) is None
    assert Budget.of("2s", None) == Budget(max_time_s=2.0)
    assert Budget(max_time_s=10.0).share(4) == Budget(max_time_s=2.5)


def test_a_round_keeps_the_smallest_example_of_each_kind() -> None:
    req = next(r for r in catalogue(context().schema, model=context().model) if r.id == REQ)

    def failed(*failures: Failure) -> Result:
        head = failures[0]
        return Result(req, "failed", 10, 1, head.message, head.counterexample, failures=failures)

    big, small = Failure("a", "m", {"x": "long"}, None, None), Failure("a", "m", {}, None, None)
    other = Failure("b", "n", {"y": 1}, None, None)
    out = merged(failed(big), failed(small, other), 1)
    assert out.examples == 20 and out.rounds == 1 and out.extra_examples == 10
    assert [(f.kind, f.counterexample) for f in out.failures] == [("a", {}), ("b", {"y": 1})]
    assert out.counterexample == {}
    passed = Result(req, "passed", 10, 1)
    assert merged(passed, failed(other), 1).outcome == "failed"
    assert merged(passed, Result(req, "passed", 5, 2), 2).examples == 15


# --- compare ---------------------------------------------------------------------------


@pytest.mark.slow
def test_compare_rounds_report_every_new_disagreement(tmp_path: Path) -> None:
    (tmp_path / "rare.py").write_text(RARE)

    def compare(out: str, *args: str) -> dict[str, Any]:
        result = run(
            tmp_path,
            "compare",
            "--target",
            TARGET,
            "--target",
            REFERENCE,
            "--profile",
            "quick",
            "--seed",
            "1",
            "--levels",
            "schema",
            "--report-dir",
            out,
            "--quiet",
            *args,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        report = read_report(tmp_path / out)
        jsonschema.validate(report, report_schema())
        return report

    plain, more = compare("plain"), compare("more", "--rounds", "2")
    before = plain["compare"]["disagreements"]
    after = more["compare"]["disagreements"]
    assert REQ not in {d["requirement"] for d in before}
    new = [d for d in after if d["requirement"] == REQ]
    assert new and all(is_rare(d["case"]) for d in new)
    assert all(sorted(a["ok"] for a in d["answers"].values()) == [False, True] for d in new)
    # Every disagreement of the profile run is still there; none twice; grouped.
    keys = [(d["requirement"], json.dumps(d["case"], sort_keys=True)) for d in after]
    assert len(keys) == len(set(keys))
    assert {(d["requirement"], json.dumps(d["case"], sort_keys=True)) for d in before} <= set(keys)
    order = [d["requirement"] for d in after]
    assert order == sorted(order, key=order.index)  # each requirement's rows together
    assert more["search"]["rounds"] == 2 and row(more)["outcome"] == "failed"


# --- the example database --------------------------------------------------------------


@pytest.mark.slow
def test_a_database_finds_a_failure_again_with_another_seed(tmp_path: Path) -> None:
    code, first = certify(tmp_path, "first", "--seed", "1", "--rounds", "2", "--database", "db")
    assert code == 1 and first["database"] is True
    shrunk = row(first)["counterexample"]

    # Seed 2 alone misses it; with the database, the saved failure is tried first.
    code, alone = certify(tmp_path, "alone", "--seed", "2")
    assert code == 0 and "database" not in alone
    code, again = certify(tmp_path, "again", "--seed", "2", "--database", "db")
    assert code == 1 and again["database"] is True
    assert row(again)["counterexample"] == shrunk
    assert row(again)["examples"] < row(first)["examples"]

    # Another schema never replays this one's examples.
    schema = json.loads((Path(strategies.__file__).parent / "data" / SCHEMA).read_text("utf-8"))
    (tmp_path / "other.schema.json").write_text(json.dumps({**schema, "$comment": "another"}))
    code, other = certify(
        tmp_path, "other", "--seed", "2", "--database", "db", "--schema", "other.schema.json"
    )
    assert other["schema"]["sha256"] != again["schema"]["sha256"]
    assert code == 0 and row(other)["outcome"] == "passed"


def test_the_database_key_names_schema_model_requirement_and_search() -> None:
    ctx = context()
    req, other = catalogue(ctx.schema, model=ctx.model)[:2]
    keys = {database_key(ctx, r, n) for r in (req, other) for n in (0, 1)}
    assert len(keys) == 4
    assert database_key(ctx, req, 0) == database_key(context(), req, 0)


# --- the pytest plugin -----------------------------------------------------------------


def plugin_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(rare=RARE)
    return pytester.runpytest_subprocess(
        option_name("target"),
        TARGET,
        option_name("profile"),
        "quick",
        option_name("seed"),
        "1",
        f"inngest-conformance::{REQ}",
        *args,
    )


@pytest.mark.slow
def test_plugin_rounds_find_the_rare_defect(pytester: pytest.Pytester) -> None:
    plain = plugin_run(pytester)
    plain.assert_outcomes(passed=1)
    more = plugin_run(pytester, option_name("rounds"), "2", option_name("report"), "out")
    more.assert_outcomes(failed=1)
    assert "/status: FAILED not allowed here" in more.stdout.str()
    report = read_report(pytester.path / "out")
    jsonschema.validate(report, report_schema())
    assert row(report)["search"]["rounds"] == 2
    assert report["search"]["rounds"] == 2 and report["search"]["max_time_s"] is None


@pytest.mark.slow
def test_plugin_database_and_time_budget(pytester: pytest.Pytester) -> None:
    first = plugin_run(pytester, option_name("rounds"), "2", option_name("database"), "db")
    first.assert_outcomes(failed=1)
    again = plugin_run(
        pytester,
        option_name("seed"),
        "2",
        option_name("database"),
        "db",
        option_name("max_time"),
        "1s",
        option_name("report"),
        "out",
    )
    again.assert_outcomes(failed=1)
    report = read_report(pytester.path / "out")
    jsonschema.validate(report, report_schema())
    assert report["database"] is True and report["search"]["max_time_s"] == 1.0


def test_plugin_bad_budget_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = plugin_run(pytester, option_name("max_time"), "soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"{option_name('max_time')} 'soon' is not a duration above 0" in result.stderr.str()


def test_a_certificate_says_how_the_run_searched(tmp_path: Path) -> None:
    from inngest_conformance.reference import validator

    plain = certify_obj(validator, only=[REQ])
    assert "search" not in certificate(plain) and "database" not in certificate(plain)
    report = certify_obj(validator, only=[REQ], budget=Budget(rounds=1), database=tmp_path)
    jsonschema.validate(report, report_schema())
    issued = certificate(report)
    assert issued["database"] is True and issued["search"]["rounds"] == 1
    assert report["fingerprint"] != plain["fingerprint"]
