"""The command line's answers that could look like success and be wrong, as a user meets them.

Each scenario runs ``python -m inngest_conformance`` (or the harness) in a subprocess in a
folder of its own and looks at the exit status, stdout, stderr and the files written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.common import CLI, REFERENCE, harness

STORE = "inngest_conformance.reference:store"
VALID_ID = "schema:accepts-valid-records"


def run(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.splitlines()
    return line


def report_of(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


@pytest.mark.parametrize(
    "args",
    [
        ("--target", "planted:x", "--target", REFERENCE),
        ("--command", "a", "--command", "b"),
        ("--url", "http://127.0.0.1:9/", "--url", "http://127.0.0.1:8/"),
    ],
    ids=["target", "command", "url"],
)
def test_certify_refuses_a_repeated_implementation(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Not the last one silently: that printed "conformant" for a failing implementation."""
    line = one_error_line(run(tmp_path, "certify", *args, "--profile", "quick"))
    assert f"{args[0]} given twice" in line and "compare" in line
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("target", "role", "names"),
    [
        (REFERENCE, "lifecycle", "create, transition and get"),
        ("only_store:store", "validator", "it plays lifecycle"),
    ],
    ids=["validator-as-store", "store-as-validator"],
)
def test_certify_refuses_a_role_the_implementation_cannot_play(
    tmp_path: Path, target: str, role: str, names: str
) -> None:
    """Once "11 skipped", a report saying error, and no word on stderr."""
    if role == "validator":
        # An object that only plays lifecycle: a store without validate.
        (tmp_path / "only_store.py").write_text(
            "from inngest_conformance.reference import ReferenceStore\n\n"
            "class Store:\n"
            "    def __init__(self):\n        self.inner = ReferenceStore()\n"
            "    def create(self, record):\n        return self.inner.create(record)\n"
            "    def transition(self, run_id, status, at, output=None):\n"
            "        return self.inner.transition(run_id, status, at, output)\n"
            "    def get(self, run_id):\n        return self.inner.get(run_id)\n"
            "    def reset(self):\n        self.inner.reset()\n\n"
            "store = Store()\n"
        )
    line = one_error_line(run(tmp_path, "certify", "--target", target, "--role", role))
    assert f"cannot play role {role}" in line and names in line, line
    assert not (tmp_path / "reports").exists()


@pytest.mark.slow
def test_each_command_has_a_report_folder_of_its_own(tmp_path: Path) -> None:
    """An audit once overwrote the certify report in reports/."""
    certified = run(
        tmp_path, "certify", "--target", REFERENCE, "--profile", "quick", "--requirement", VALID_ID
    )
    assert certified.returncode == 0, certified.stdout + certified.stderr
    (tmp_path / "runs.jsonl").write_text(
        json.dumps({"run_id": "r", "function_id": "f", "status": "QUEUED"}) + "\n"
    )
    audited = run(tmp_path, "audit", "runs.jsonl")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    twice = ("--target", REFERENCE, "--target", REFERENCE)
    compared = run(tmp_path, "compare", *twice, "--profile", "quick", "--levels", "schema")
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert report_of(tmp_path / "reports" / "report.json")["role"] == "validator"
    assert report_of(tmp_path / "reports" / "audit" / "report.json")["role"] == "source"
    assert "compare" in report_of(tmp_path / "reports" / "compare" / "report.json")
    assert "reports/audit/report.json" in audited.stdout


def test_the_cases_column_says_what_a_case_is(tmp_path: Path) -> None:
    only = ("--requirement", "lifecycle:creates-runs")
    result = run(tmp_path, "certify", "--target", STORE, "--profile", "quick", *only)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    row = next(i for i, line in enumerate(lines) if "lifecycle:creates-runs" in line)
    assert lines[row].rstrip().endswith("cases")
    note = " ".join(line.strip() for line in lines[row + 1 : row + 4])
    assert note.startswith("(cases: ") and "directed case" in note and "program" in note
    # The same footnote under the table of every human format.
    for name in ("report.md", "report.html"):
        text = (tmp_path / "reports" / name).read_text("utf-8")
        assert "cases: inputs put to the implementation" in text and "whole program" in text


def test_nothing_judged_says_why_on_stderr(tmp_path: Path) -> None:
    """A harness that answers every request with an error: exit 2 and the reason."""
    (tmp_path / "refuses.py").write_text(
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    print(json.dumps({'error': 'validate is not implemented yet'}), flush=True)\n"
    )
    command = f"{sys.executable} refuses.py"
    result = run(
        tmp_path, "certify", "--command", command, "--profile", "quick", "--role", "validator"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert "nothing could be judged" in line and "validate is not implemented yet" in line


# The HTTP harness -----------------------------------------------------------------------


def serve(host: str) -> tuple[str, str]:
    """Start the harness on ``host``, read its first line, stop it; (stdout line, stderr)."""
    proc = subprocess.Popen(
        harness(REFERENCE, "--http", f"{host}:0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    return line, stderr


def test_the_http_harness_warns_when_it_listens_beyond_loopback() -> None:
    line, stderr = serve("0.0.0.0")
    assert line.startswith("listening on http://0.0.0.0:")
    assert "harness: warning:" in stderr and "not a loopback address" in stderr

    line, stderr = serve("127.0.0.1")
    assert line.startswith("listening on http://127.0.0.1:")
    assert "warning" not in stderr
