"""``replay`` as a user meets it with a report someone else wrote: data, never a program.

A report records how its implementation was reached (``invocation``: a module to import, a
command to start).  Replay starts only what its own command line names, and a compare
report's failures are replayed each against its own implementation.  Every scenario runs
``python -m inngest_conformance`` in a subprocess, in a folder of its own.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance.report import report_schema

from tests.common import CLI, REFERENCE

ENUM_ID = "schema:rejects-not-in-enum:status"
UNKNOWN_ID = "schema:rejects-unknown-property"

#: Two validators, one planted defect each, and a module that leaves a file when imported.
MODULES = {
    "planted.py": '''
from inngest_conformance.reference import validator as reference

KNOWN = ("run_id", "function_id", "status", "app_id", "event_id", "output",
         "started_at", "ended_at")


def lowercase(record):
    """Upper-cases the status before judging, so 'queued' passes."""
    if isinstance(record, dict) and isinstance(record.get("status"), str):
        record = {**record, "status": record["status"].upper()}
    return reference(record)


def unknown(record):
    """Drops unknown properties before judging."""
    if isinstance(record, dict):
        record = {k: v for k, v in record.items() if k in KNOWN}
    return reference(record)
''',
    "hostile.py": """
open("PWNED-BY-IMPORT", "w").close()


def validate(record):
    return True
""",
}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def report_of(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A certify report of ``planted:lowercase`` and a compare report of three validators."""
    here = tmp_path_factory.mktemp("replay")
    for name, text in MODULES.items():
        (here / name).write_text(text)
    quick = ("--profile", "quick", "--levels", "schema")
    lowercase = ("--target", "planted:lowercase")
    only = ("--requirement", ENUM_ID)
    certified = run(
        here, "certify", *lowercase, "--profile", "quick", *only, "--report-dir", "single"
    )
    assert certified.returncode == 1, certified.stdout + certified.stderr
    planted = (*lowercase, "--target", "planted:unknown")
    compared = run(here, "compare", "--target", REFERENCE, *planted, *quick, "--report-dir", "cmp")
    assert compared.returncode == 1, compared.stdout + compared.stderr
    return here


def hostile_copy(folder: Path, name: str, invocation: list[str]) -> str:
    """The single report as someone else might send it: its invocation rewritten."""
    report = report_of(folder / "single" / "report.json")
    report["invocation"] = invocation
    (folder / name).write_text(json.dumps(report))
    return name


@pytest.mark.slow
@pytest.mark.parametrize(
    "invocation",
    [
        ["--command", f"{shlex.quote(sys.executable)} -c \"open('PWNED-BY-COMMAND', 'w')\""],
        ["--target", "hostile:validate"],
    ],
    ids=["command", "target"],
)
def test_replay_never_starts_what_a_report_names(folder: Path, invocation: list[str]) -> None:
    name = hostile_copy(folder, f"sent-{invocation[0][2:]}.json", invocation)
    result = run(folder, "replay", name)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert "--trust-report" in line and shlex.join(invocation) in line
    assert "Traceback" not in result.stderr
    assert not list(folder.glob("PWNED*")), "replay ran what the report names"

    # Named on the command line, the user's own implementation is what is asked.
    mine = run(folder, "replay", name, "--target", "planted:lowercase")
    assert mine.returncode == 1, mine.stdout + mine.stderr
    assert mine.stdout.startswith(f"still-fails   {ENUM_ID}[")
    assert not list(folder.glob("PWNED*"))


def test_trust_report_reaches_the_recorded_implementation(folder: Path) -> None:
    result = run(folder, "replay", "single/report.json", "--trust-report")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith(f"still-fails   {ENUM_ID}[")


@pytest.mark.slow
def test_each_compare_failure_is_replayed_against_its_own_implementation(folder: Path) -> None:
    """Not against the last implementation named, which would say passes-now."""
    report = report_of(folder / "cmp" / "report.json")
    columns = {i["column"]: i for i in report["compare"]["implementations"]}
    assert [f["id"] for f in columns["planted:lowercase"]["failures"]] == [ENUM_ID]
    assert [f["id"] for f in columns["planted:unknown"]["failures"]] == [UNKNOWN_ID]

    trusted = run(folder, "replay", "cmp/report.json", "--trust-report")
    assert trusted.returncode == 1, trusted.stdout + trusted.stderr
    # A line per kind of failure, each followed by the case it sent.
    assert sorted(trusted.stdout.splitlines()[::2]) == sorted(
        f"still-fails   {row['id']}[{f['kind']}] [{column}]: {f['message']}"
        for column in ("planted:lowercase", "planted:unknown")
        for row in columns[column]["failures"]
        for f in row["failures"]
    )
    assert all(line.startswith("  sent:     ") for line in trusted.stdout.splitlines()[1::2])

    # Naming one of the compared implementations replays its failures, and only its.
    one = run(folder, "replay", "cmp/report.json", "--target", "planted:unknown")
    assert one.returncode == 1
    kinds = [f["kind"] for f in columns["planted:unknown"]["failures"][0]["failures"]]
    assert [line.split()[:2] for line in one.stdout.splitlines()[::2]] == [
        ["still-fails", f"{UNKNOWN_ID}[{kind}]"] for kind in kinds
    ]

    # A fixed build of one of them: say whose failures it should face.
    asked = run(folder, "replay", "cmp/report.json", "--target", REFERENCE + "_other")
    assert asked.returncode == 2
    assert "--implementation" in asked.stderr and "planted:unknown" in asked.stderr
    which = ("--implementation", "planted:lowercase")
    fixed = run(folder, "replay", "cmp/report.json", "--target", REFERENCE, *which)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    lines = fixed.stdout.splitlines()[::2]
    assert lines and all(line.split()[:1] == ["passes-now"] for line in lines)
    assert all(line.split()[1].startswith(f"{ENUM_ID}[") for line in lines)


def test_the_replay_commands_a_report_prints_work_from_where_it_was_made(folder: Path) -> None:
    for path in (folder / "single" / "report.json", folder / "cmp" / "report.json"):
        rows = [r for r in report_of(path)["requirements"] if "replay" in r]
        assert rows
        for row in rows:
            words = shlex.split(row["replay"])
            assert words[:3] == ["inngest-conformance", "replay", str(path.relative_to(folder))]
            result = run(folder, *words[1:])
            assert result.returncode == 1, (row["replay"], result.stdout, result.stderr)
            status, rid = result.stdout.split()[:2]
            assert status == "still-fails" and rid.startswith(f"{row['id']}[")


@pytest.mark.slow
def test_compare_failures_each_carry_commands_for_that_one_alone(folder: Path) -> None:
    """``reproduce`` re-sends the failure's one case to that implementation (named, with its
    column); ``rerun`` certifies that implementation alone on the requirement."""
    report = report_of(folder / "cmp" / "report.json")
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    for entry in report["compare"]["implementations"]:
        for failure in entry["failures"]:
            words = shlex.split(failure["reproduce"])
            assert words[:3] == ["inngest-conformance", "replay", "cmp/report.json"]
            assert words.count("--target") == 1
            assert words[words.index("--target") + 1] == entry["column"]
            assert words[words.index("--implementation") + 1] == entry["column"]
            assert words[words.index("--case") + 1] == failure["case_id"]
            once = run(folder, *words[1:])
            assert once.returncode == 1, once.stdout + once.stderr
            kind = failure["failures"][0]["kind"]  # the headline's case
            assert once.stdout.split()[:2] == ["still-fails", f"{failure['id']}[{kind}]"]
            assert f"case_id:  {failure['case_id']}" in once.stdout
            words = shlex.split(failure["rerun"])
            assert words[words.index("--target") + 1] == entry["column"]
            again = run(folder, *words[1:], "--report-dir", "again")
            assert again.returncode == 1, again.stdout + again.stderr
            row = report_of(folder / "again" / "report.json")["requirements"][0]
            assert (row["id"], row["outcome"]) == (failure["id"], "failed")
            assert row["case_id"] == failure["case_id"]  # the same search finds the same case
    for row in report["requirements"]:
        if row["outcome"] == "failed":
            assert shlex.split(row["reproduce"]).count("--target") == 1
            assert row["implementation"] in row["reproduce"]
            assert f"--case {row['case_id']}" in row["reproduce"]


def test_a_replay_whose_every_case_errored_is_not_a_success(folder: Path) -> None:
    """A harness that cannot answer: exit 2 and the reason on stderr, not exit 0."""
    dies = f"{shlex.quote(sys.executable)} -c \"import sys; sys.stderr.write('no node'); exit(3)\""
    result = run(folder, "replay", "single/report.json", "--command", dies)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.startswith(f"errored       {ENUM_ID}[")
    (line,) = result.stderr.splitlines()
    assert line.startswith("inngest-conformance: error: every replay errored")
    assert "exit" in line or "status 3" in line, line


def test_replaying_an_audit_report_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "runs.jsonl").write_text(json.dumps({"run_id": "r", "status": "QUEUED"}) + "\n")
    audited = run(tmp_path, "audit", "runs.jsonl")
    assert audited.returncode == 1, audited.stdout + audited.stderr
    result = run(tmp_path, "replay", "reports/audit/report.json")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "audit report" in line and "inngest-conformance audit" in line
    assert "--target" not in line
