"""The ``inngest-conformance`` command as a user meets it: a new process, a folder, a shell.

Every test runs ``python -m inngest_conformance`` in a subprocess in its own temporary folder
and looks only at what a user sees: the exit status, stdout, stderr and the files
written.  The promise under test is the one the command makes: 0 conformant or valid, 1
non-conformant or invalid, 2 when the kit could not do its job, with every mistake a
user can make reported as one line on stderr, never a traceback, and no half-written
report left behind.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance import __version__
from inngest_conformance._planning import context, plan
from inngest_conformance._requirements import catalogue
from inngest_conformance._vocabulary import ROLE_LEVELS
from inngest_conformance.report import with_report_path

from tests.common import CLI, REFERENCE, read_report

HARNESS = (sys.executable, "-m", "inngest_conformance.harness")
ENUM_ID = "schema:rejects-not-in-enum:status"
VALID = {"run_id": "r1", "function_id": "f1", "status": "QUEUED"}

#: A validator with one planted defect: it accepts a status in the wrong case.
PLANTED = '''
from inngest_conformance.reference import validator as reference


def accepts_lower_case_status(record):
    """Upper-cases the status before judging, so 'queued' passes."""
    if isinstance(record, dict) and isinstance(record.get("status"), str):
        record = {**record, "status": record["status"].upper()}
    return reference(record)
'''


def run(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused command (exit 2), checked for the promise."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "error:" in lines[0]
    return lines[0]


# --- validate ---------------------------------------------------------------------------


def test_validate_accepts_a_valid_record(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps(VALID))
    result = run(tmp_path, "validate", "run.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "run.json: valid"


def test_validate_lists_each_error_with_its_path(tmp_path: Path) -> None:
    record = {"run_id": 7, "function_id": "f1", "status": "queued", "runId": "x"}
    (tmp_path / "run.json").write_text(json.dumps(record))
    result = run(tmp_path, "validate", "run.json")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    paths = set()
    for line in lines:
        name, path, message = line.split(": ", 2)
        assert name == "run.json" and path.startswith("/") and message.strip()
        paths.add(path)
    assert paths == {"/run_id", "/status", "/runId"}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read"),
        (b"{not json", "not JSON"),
        (b'{"run_id": "\xff\xfe"}', "not UTF-8"),
    ],
    ids=["missing", "not-json", "not-utf8"],
)
def test_validate_refuses_an_unreadable_file(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    if content is not None:
        (tmp_path / "run.json").write_bytes(content)
    line = one_error_line(run(tmp_path, "validate", "run.json"))
    assert says in line and "run.json" in line


# --- certify ----------------------------------------------------------------------------


def test_certify_the_reference_validator(tmp_path: Path) -> None:
    result = run(
        tmp_path, "certify", "--target", REFERENCE, "--profile", "quick", "--report-dir", "out"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "conformant" and report["role"] == "validator"
    assert [r["id"] for r in report["requirements"]] == [r.id for r in plan(context(), "validator")]
    assert (tmp_path / "out" / "report.md").is_file()
    assert "verdict: conformant" in result.stdout


@pytest.mark.slow
def test_certify_a_store_chooses_the_lifecycle_role(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "certify",
        "--target",
        "inngest_conformance.reference:store",
        "--profile",
        "quick",
        "--report-dir",
        "out",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    assert report["role"] == "lifecycle" and report["verdict"] == "conformant"
    assert {r["level"] for r in report["requirements"]} == {"lifecycle"}
    assert result.stdout.startswith("verdict: conformant")


def test_a_planted_defect_fails_and_its_reproduce_command_reproduces_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "planted.py").write_text(PLANTED)
    result = run(
        tmp_path,
        "certify",
        "--target",
        "planted:accepts_lower_case_status",
        "--profile",
        "quick",
        "--report-dir",
        "first",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = read_report(tmp_path / "first")
    assert report["verdict"] == "non-conformant"
    failed = [r for r in report["requirements"] if r["outcome"] == "failed"]
    assert [r["id"] for r in failed] == [ENUM_ID]

    printed = [
        line.split("reproduce: ", 1)[1]
        for line in result.stdout.splitlines()
        if "reproduce: " in line
    ]
    assert printed == [failed[0]["reproduce"]]
    words = shlex.split(printed[0])
    assert words[:3] == ["inngest-conformance", "replay", "first/report.json"]
    once = run(tmp_path, *words[1:])
    assert once.returncode == 1, once.stdout + once.stderr
    assert once.stdout.startswith(f"still-fails   {ENUM_ID}[")
    assert f"case_id:  {failed[0]['case_id']}" in once.stdout
    reran = [
        line.split("rerun:", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("  rerun:")
    ]
    assert reran == [failed[0]["rerun"]]
    words = shlex.split(reran[0])
    assert words[:2] == ["inngest-conformance", "certify"]
    again = run(tmp_path, *words[1:], "--report-dir", "again")
    assert again.returncode == 1, again.stdout + again.stderr
    replayed = read_report(tmp_path / "again")
    assert [r["id"] for r in replayed["requirements"]] == [ENUM_ID]
    # The same row; its replay commands name the folder it was written to.
    assert (
        replayed["requirements"][0]
        == with_report_path({"requirements": [failed[0]]}, "again/report.json")["requirements"][0]
    )


# --- refusals ---------------------------------------------------------------------------

_BASE = ("certify", "--profile", "quick")


def _schema_with(tmp_path: Path, name: str, change: Any) -> str:
    document = json.loads(json.dumps(context().schema.document))
    change(document)
    (tmp_path / name).write_text(json.dumps(document))
    return name


def _with_ref(document: dict[str, Any]) -> None:
    document["properties"]["status"] = {"$ref": "status.json"}


def _bogus_lifecycle(tmp_path: Path) -> str:
    table = {
        "initial": "QUEUED",
        "terminal": ["COMPLETED"],
        "transitions": {"QUEUED": ["RUNNING"], "RUNNING": ["COMPLETED", "EXPLODED"]},
    }
    (tmp_path / "lifecycle.json").write_text(json.dumps(table))
    return "lifecycle.json"


def _write(directory: Path, name: str, text: str) -> str:
    (directory / name).write_text(text)
    return name


#: case -> (the arguments, made in the test's folder; what the one error line must name)
REFUSALS: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "no-implementation": (lambda p: [*_BASE], "exactly one implementation"),
    "two-implementations": (
        lambda p: [*_BASE, "--target", REFERENCE, "--url", "http://127.0.0.1:9/"],
        "target, url",
    ),
    "no-such-module": (lambda p: [*_BASE, "--target", "nosuchmodule:x"], "nosuchmodule"),
    "no-such-object": (
        lambda p: [*_BASE, "--target", "inngest_conformance.reference:nosuch"],
        "nosuch",
    ),
    "missing-schema": (
        lambda p: [*_BASE, "--target", REFERENCE, "--schema", "missing.json"],
        "missing.json",
    ),
    "schema-not-json": (
        lambda p: [*_BASE, "--target", REFERENCE, "--schema", _write(p, "s.json", "{oops")],
        "not JSON",
    ),
    "schema-with-ref": (
        lambda p: [*_BASE, "--target", REFERENCE, "--schema", _schema_with(p, "s.json", _with_ref)],
        "$ref",
    ),
    "unknown-status-in-lifecycle": (
        lambda p: [
            *_BASE,
            "--target",
            "inngest_conformance.reference:store",
            "--lifecycle",
            _bogus_lifecycle(p),
        ],
        "EXPLODED",
    ),
    "bad-profile": (lambda p: ["certify", "--target", REFERENCE, "--profile", "bogus"], "bogus"),
    "no-such-requirement": (
        lambda p: [*_BASE, "--target", REFERENCE, "--requirement", "no-such-id"],
        "no-such-id",
    ),
    "report-dir-is-a-file": (
        lambda p: [*_BASE, "--target", REFERENCE, "--report-dir", _write(p, "taken", "")],
        "taken",
    ),
    "command-does-not-exist": (
        lambda p: [*_BASE, "--command", "/nonexistent/implementation --serve"],
        "/nonexistent/implementation",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_certify_refuses_bad_input_in_one_line(tmp_path: Path, case: str) -> None:
    make_args, says = REFUSALS[case]
    args = make_args(tmp_path)
    if "--report-dir" not in args:
        args = [*args, "--report-dir", "out"]
    line = one_error_line(run(tmp_path, *args))
    assert says in line, line
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir()), "a report was written"
    assert not list(tmp_path.glob("**/report.json"))


# --- requirements and version -----------------------------------------------------------


def test_requirements_as_json(tmp_path: Path) -> None:
    result = run(tmp_path, "requirements", "--format", "json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    expected = [r.id for role in ROLE_LEVELS for r in catalogue(context().schema, role=role)]
    assert ids == expected
    for row in rows:
        assert row["level"] in ("schema", "format", "lifecycle", "concurrency")
        assert row["keyword"] in ("MUST", "SHOULD") and row["statement"]


def test_requirements_as_text(tmp_path: Path) -> None:
    result = run(tmp_path, "requirements")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(catalogue(context().schema))
    first = {line.split()[0] for line in lines}
    assert ENUM_ID in first and "lifecycle:terminal-states-absorbing" in first
    assert all(line.split()[1] in ("MUST", "SHOULD") for line in lines)


def test_a_closed_pipe_ends_the_output_quietly(tmp_path: Path) -> None:
    # `inngest-conformance requirements | head -1`: the reader is gone before the writer.
    proc = subprocess.Popen(
        [*CLI, "requirements"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) != 0
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"inngest-conformance {__version__}"


@pytest.mark.parametrize(
    ("target", "role"),
    [
        pytest.param(
            "inngest_conformance.reference:validator", "validator", marks=pytest.mark.slow
        ),
        pytest.param("inngest_conformance.reference:store", "lifecycle", marks=pytest.mark.slow),
    ],
)
def test_certify_a_service_over_http(tmp_path: Path, target: str, role: str) -> None:
    """An HTTP service speaking the protocol (the harness on a loopback port) certifies."""
    server = subprocess.Popen(
        [*HARNESS, "--target", target, "--http", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.removeprefix("listening on ")
        result = run(tmp_path, "certify", "--url", url, "--profile", "quick", "--report-dir", "r")
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads((tmp_path / "r" / "report.json").read_text())
        assert report["verdict"] == "conformant" and report["role"] == role
        assert report["implementation"]["name"]
    finally:
        server.terminate()
        server.wait(timeout=10)
