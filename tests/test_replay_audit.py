"""Two commands that work from what is already there: a saved report, an emitted file.

``replay`` reruns a report's counterexamples against the implementation named on its own
command line, so a developer can check a fix without a new search; it must tell a failure
that stays from one that comes and goes.  ``audit`` judges records a source emitted (JSON Lines):
each record against the schema, each run's statuses against the lifecycle model.  Both
are driven as a user drives them, ``python -m inngest_conformance`` in a subprocess, except
the flaky case, which calls :func:`inngest_conformance._replay.replay_report` in this process so
the implementation's call counter is under the test's control.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._adapters import open_adapter
from inngest_conformance._replay import replay_report
from inngest_conformance._run import certify_adapter

from tests.common import CLI, read_report, run_cli

ENUM_ID = "schema:rejects-not-in-enum:status"
UNKNOWN_ID = "schema:rejects-unknown-property"
VALID_ID = "schema:accepts-valid-records"

#: A validator with two planted defects: a status in the wrong case, unknown properties.
PLANTED = '''
from inngest_conformance.reference import validator as reference

KNOWN = ("run_id", "function_id", "status", "app_id", "event_id", "output",
         "started_at", "ended_at")


def lax(record):
    """Upper-cases the status and drops unknown properties before judging."""
    if isinstance(record, dict):
        record = {k: v for k, v in record.items() if k in KNOWN}
        if isinstance(record.get("status"), str):
            record["status"] = record["status"].upper()
    return reference(record)
'''

#: A validator that fails every other call: the same case fails, then passes, then fails.
FLAKY = '''
from inngest_conformance.reference import validator as reference

calls = 0


def validate(record):
    """Accepts anything on odd calls; judges correctly on even ones."""
    global calls
    calls += 1
    if calls % 2:
        return True
    return reference(record)
'''


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def assert_one_error_line(result: subprocess.CompletedProcess[str], names: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and names in lines[0], lines


# --- replay -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A certify run of the planted defects: its folder holds the module and the report."""
    folder = tmp_path_factory.mktemp("planted")
    (folder / "planted.py").write_text(PLANTED)
    result = run(
        folder, "certify", "--target", "planted:lax", "--profile", "quick", "--report-dir", "out"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return folder


@pytest.mark.slow
def test_replay_says_each_failure_still_fails(planted_report: Path) -> None:
    report = read_report(planted_report / "out")
    failed = [r["id"] for r in report["requirements"] if r["outcome"] == "failed"]
    assert sorted(failed) == sorted([ENUM_ID, UNKNOWN_ID])

    result = run(planted_report, "replay", "out/report.json", "--target", "planted:lax")
    assert result.returncode == 1, result.stderr
    lines = status_lines(result.stdout)
    assert sorted(line.split()[1] for line in lines) == sorted(kinds_of(report, *failed))
    assert all(line.split()[0] == "still-fails" for line in lines)


def test_replay_one_requirement(planted_report: Path) -> None:
    lax = ("--target", "planted:lax")
    result = run(planted_report, "replay", "out/report.json", "--requirement", UNKNOWN_ID, *lax)
    assert result.returncode == 1, result.stderr
    kinds = kinds_of(read_report(planted_report / "out"), UNKNOWN_ID)
    assert [line.split()[:2] for line in status_lines(result.stdout)] == [
        ["still-fails", kind] for kind in kinds
    ]


def status_lines(stdout: str) -> list[str]:
    """replay's line per kind of failure, without the case each sent."""
    lines = stdout.splitlines()
    assert [line.startswith("  sent:     ") for line in lines] == [False, True] * (len(lines) // 2)
    return lines[::2]


def kinds_of(report: dict[str, Any], *ids: str) -> list[str]:
    """``ID[kind]:`` for every kind of failure of each of ``ids``, as replay names them."""
    rows = {r["id"]: r for r in report["requirements"]}
    return [f"{rid}[{f['kind']}]:" for rid in ids for f in rows[rid]["failures"]]


APP_ID = "schema:rejects-wrong-type:app_id"


@pytest.fixture(scope="module")
def two_kinds_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A certify run of a validator failing one requirement in two kinds (null, integer)."""
    folder = tmp_path_factory.mktemp("two-kinds")
    result = run_cli(
        folder, "certify", "--target", "tests.defects:accepts_null_or_integer_app_id",
        "--profile", "quick", "--requirement", APP_ID, "--report-dir", "out",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    [row] = read_report(folder / "out")["requirements"]
    assert [f["kind"] for f in row["failures"]] == ["null", "integer"]
    return folder


@pytest.mark.parametrize(
    ("target", "statuses", "code"),
    [
        ("accepts_integer_app_id", ["passes-now", "still-fails"], 1),
        ("accepts_null_app_id", ["still-fails", "passes-now"], 1),
        ("accepts_null_or_integer_app_id", ["still-fails", "still-fails"], 1),
    ],
    ids=["null-fixed", "integer-fixed", "nothing-fixed"],
)
def test_replay_sends_every_kind_and_a_half_fix_still_fails(
    two_kinds_report: Path, target: str, statuses: list[str], code: int
) -> None:
    """Half a fix is not passes-now: each kind is sent again, a line each, with its case."""
    [row] = read_report(two_kinds_report / "out")["requirements"]
    result = run_cli(
        two_kinds_report, "replay", "out/report.json", "--target", f"tests.defects:{target}"
    )
    assert result.returncode == code, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[::2]] == [
        [status, f"{APP_ID}[{kind}]:"]
        for status, kind in zip(statuses, ("null", "integer"), strict=True)
    ]
    assert lines[1::2] == [
        f"  sent:     {json.dumps(f['counterexample'])}" for f in row["failures"]
    ]


@pytest.mark.slow
def test_replay_of_a_store_sends_every_broken_transition(tmp_path: Path) -> None:
    """A store that reopens completed and failed runs, then a release that fixes one."""
    absorbing = "lifecycle:terminal-states-absorbing"
    certified = run_cli(
        tmp_path, "certify", "--target", "tests.defects:ReopensFinishedRuns", "--role",
        "lifecycle", "--profile", "quick", "--requirement", absorbing, "--report-dir", "out",
    )  # fmt: skip
    assert certified.returncode == 1, certified.stdout + certified.stderr
    [row] = read_report(tmp_path / "out")["requirements"]
    kinds = [f["kind"] for f in row["failures"]]
    assert sorted(kinds) == ["COMPLETED->RUNNING", "FAILED->RUNNING"]
    half = ("--target", "tests.defects:ReopensFailedRuns")
    result = run_cli(tmp_path, "replay", "out/report.json", *half)
    assert result.returncode == 1, result.stdout + result.stderr
    status = {"COMPLETED->RUNNING": "passes-now", "FAILED->RUNNING": "still-fails"}
    assert [line.split()[:2] for line in status_lines(result.stdout)] == [
        [status[kind], f"{absorbing}[{kind}]:"] for kind in kinds
    ]
    # Each program sent, clipped to a line (report.json has it whole).
    for line, f in zip(result.stdout.splitlines()[1::2], row["failures"], strict=True):
        shown = line.removeprefix("  sent:     ")
        assert shown.endswith("...") and json.dumps(f["counterexample"]).startswith(shown[:-3])


def test_replay_passes_now_only_when_every_kind_does(two_kinds_report: Path) -> None:
    result = run_cli(
        two_kinds_report,
        "replay",
        "out/report.json",
        "--target",
        "inngest_conformance.reference:validator",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split()[0] for line in status_lines(result.stdout)] == ["passes-now"] * 2
    # One kind by its case id: the case sent, then the answer against the expected one.
    [row] = read_report(two_kinds_report / "out")["requirements"]
    integer = row["failures"][1]
    one = run_cli(
        two_kinds_report,
        "replay",
        "out/report.json",
        "--target",
        "tests.defects:accepts_integer_app_id",
        "--case",
        integer["case_id"],
    )
    assert one.returncode == 1, one.stdout + one.stderr
    assert one.stdout.splitlines() == [
        f"still-fails   {APP_ID}[integer]: {integer['message']}",
        f"  sent:     {json.dumps(integer['counterexample'])}",
        f"  case_id:  {integer['case_id']}",
        '  answer:   {"valid": true}',
        f"  expected: {json.dumps(integer['expected'])}",
    ]


def test_replay_of_a_requirement_the_report_did_not_fail(planted_report: Path) -> None:
    lax = ("--target", "planted:lax")
    result = run(planted_report, "replay", "out/report.json", "--requirement", VALID_ID, *lax)
    assert_one_error_line(result, VALID_ID)


def test_replay_of_a_conformant_report_has_nothing_to_do(tmp_path: Path) -> None:
    certified = run(
        tmp_path,
        "certify",
        "--target",
        "inngest_conformance.reference:validator",
        "--profile",
        "quick",
        "--requirement",
        VALID_ID,
        "--report-dir",
        "out",
    )
    assert certified.returncode == 0, certified.stdout + certified.stderr
    result = run(tmp_path, "replay", "out/report.json")
    assert result.returncode == 0
    assert "nothing to replay" in result.stdout


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (json.dumps({"verdict": "conformant", "requirements": []}), "not an inngest-conformance"),
        ("[1, 2", "not JSON"),
        (None, "cannot read"),
    ],
    ids=["not-a-report", "not-json", "missing"],
)
def test_replay_refuses_what_is_not_a_report(
    tmp_path: Path, content: str | None, names: str
) -> None:
    if content is not None:
        (tmp_path / "report.json").write_text(content)
    assert_one_error_line(run(tmp_path, "replay", "report.json"), names)


def test_replay_calls_a_failure_that_comes_and_goes_flaky(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    module = f"flaky_{tmp_path.name}"
    (tmp_path / f"{module}.py").write_text(FLAKY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    request.addfinalizer(lambda: sys.modules.pop(module, None))
    target = f"{module}:validate"
    adapter = open_adapter(target=target)
    try:
        cert = certify_adapter(
            adapter, profile="quick", only=[ENUM_ID], invocation=("--target", target)
        )
    finally:
        adapter.close()
    row = cert.report["requirements"][0]
    assert (row["id"], row["outcome"]) == (ENUM_ID, "failed")

    outcomes = replay_report(cert.report, target=target)
    assert [(r.requirement, r.kind) for r in outcomes] == [
        (ENUM_ID, f["kind"]) for f in row["failures"]
    ]
    assert {r.status for r in outcomes} == {"flaky"}
    assert all("of 3 times" in r.message for r in outcomes)

    # The same report against a steady implementation: the difference is the verdict.
    steady = replay_report(cert.report, target="inngest_conformance.reference:validator")
    assert {r.status for r in steady} == {"passes-now"}


# --- audit ------------------------------------------------------------------------------

QUEUED = {"run_id": "run-1", "function_id": "fn", "status": "QUEUED"}
RUNNING = {**QUEUED, "status": "RUNNING", "started_at": "2024-05-01T10:00:00Z"}
COMPLETED = {**RUNNING, "status": "COMPLETED", "ended_at": "2024-05-01T10:00:07.25Z"}


def write_jsonl(path: Path, *lines: Any) -> str:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path.name


def outcomes_of(report: dict[str, Any]) -> dict[str, str]:
    return {row["id"]: row["outcome"] for row in report["requirements"]}


def test_audit_of_a_legal_run_is_conformant(tmp_path: Path) -> None:
    # A poller's view: the completed run read twice, so that its output is seen kept.
    done = {**COMPLETED, "output": {"ok": True}}
    name = write_jsonl(tmp_path / "runs.jsonl", QUEUED, RUNNING, done, done)
    result = run(tmp_path, "audit", name, "--report-dir", "out")
    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "conformant" and report["role"] == "source"
    assert set(outcomes_of(report).values()) == {"passed"}
    assert "source:statuses-follow-lifecycle" in outcomes_of(report)
    assert report["audited"] == {"records": 4, "runs": 1, "transitions": 2}
    assert "on 4 records of 1 run, 2 transitions" in report["verdict_text"]
    assert report["levels"]["format"] == "passed"


def test_audit_of_an_empty_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n  \n", "utf-8")
    result = run(tmp_path, "audit", "empty.jsonl", "--report-dir", "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "inngest-conformance: error: empty.jsonl holds no records: nothing to audit"
    )
    assert not (tmp_path / "out").exists()


def test_audit_skips_what_a_file_cannot_show_and_says_what_it_rests_on(tmp_path: Path) -> None:
    # One record: nothing across records was exercised, so nothing there has passed.
    name = write_jsonl(tmp_path / "runs.jsonl", QUEUED)
    result = run(tmp_path, "audit", name, "--report-dir", "out")
    report = read_report(tmp_path / "out")
    outcomes = outcomes_of(report)
    assert {k for k, v in outcomes.items() if v == "passed"} == {
        "source:emits-valid-records",
        "source:emits-valid-formats",
        "source:no-started-at-while-initial",
        "source:ended-at-exactly-when-terminal",
    }, outcomes
    skipped = {
        row["id"]: row["message"] for row in report["requirements"] if row["outcome"] == "skipped"
    }
    assert set(skipped) == {
        "source:statuses-follow-lifecycle",
        "source:ids-never-change",
        "source:started-at-never-changes",
        "source:ended-at-not-before-started-at",
        "source:keeps-output",
    }
    assert all(m.startswith("not exercised: ") for m in skipped.values())
    assert "started_at" in skipped["source:started-at-never-changes"]
    assert report["audited"] == {"records": 1, "runs": 1, "transitions": 0}
    assert report["verdict_text"] == (
        "conformant, on 1 record of 1 run, 0 transitions, 5 requirements not exercised"
    )
    assert report["verdict_text"] in result.stdout
    assert result.returncode == 0


def test_audit_lists_every_error_of_a_line_and_formats_apart(tmp_path: Path) -> None:
    bad = {"run_id": 7, "status": "DONE", "started_at": "2024-05-01 10:00:00Z", "extra": 1}
    name = write_jsonl(tmp_path / "runs.jsonl", QUEUED, bad)
    run(tmp_path, "audit", name, "--report-dir", "out")
    rows = {row["id"]: row for row in read_report(tmp_path / "out")["requirements"]}
    structure = rows["source:emits-valid-records"]["message"]
    assert structure.startswith("line 2: "), structure
    for path in ("/extra", "/function_id", "/run_id", "/status"):
        assert f"{path}: " in structure, structure
    assert "started_at" not in structure
    formats = rows["source:emits-valid-formats"]
    assert formats["outcome"] == "failed" and formats["keyword"] == "MUST"
    assert formats["message"].startswith("line 2: /started_at: "), formats["message"]


def test_audit_catches_a_run_leaving_a_terminal_state(tmp_path: Path) -> None:
    reopened = {**RUNNING, "run_id": "run-2"}
    done = {**COMPLETED, "run_id": "run-2"}
    name = write_jsonl(tmp_path / "runs.jsonl", QUEUED, reopened, done, reopened)
    result = run(tmp_path, "audit", name, "--report-dir", "out")
    assert result.returncode == 1, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "non-conformant"
    found = outcomes_of(report)
    assert found["source:statuses-follow-lifecycle"] == "failed"
    assert found["source:emits-valid-records"] == "passed"
    row = next(r for r in report["requirements"] if r["outcome"] == "failed")
    assert "run-2" in row["message"] and "run-1" not in row["message"]
    assert row["counterexample"]["statuses"] == ["RUNNING", "COMPLETED", "RUNNING"]


@pytest.mark.parametrize(
    ("bad", "names"),
    [
        ({"run_id": "run-9", "status": "QUEUED"}, "line 2: /function_id"),
        ("{this is not json", "line 2 is not JSON"),
    ],
    ids=["invalid-record", "not-json"],
)
def test_audit_catches_a_line_that_is_no_valid_record(tmp_path: Path, bad: Any, names: str) -> None:
    name = write_jsonl(tmp_path / "runs.jsonl", QUEUED, bad, RUNNING, COMPLETED)
    result = run(tmp_path, "audit", name, "--report-dir", "out")
    assert result.returncode == 1, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    found = outcomes_of(report)
    assert found["source:emits-valid-records"] == "failed"
    assert found["source:statuses-follow-lifecycle"] == "passed"
    row = next(r for r in report["requirements"] if r["id"] == "source:emits-valid-records")
    assert row["message"].startswith(names), row["message"]


def test_audit_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "audit", "nowhere.jsonl", "--report-dir", "out")
    assert_one_error_line(result, "nowhere.jsonl")
    assert not (tmp_path / "out" / "report.json").exists()
