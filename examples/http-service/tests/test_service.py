"""The service started on a free port, used through its API, and certified over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "run_service.py"


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    """The service in its own process, on a port the system picks; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVICE), "--port", "0", "--conformance-endpoint"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on "), f"the service did not start: {line!r}"
        yield line.split()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_api_keeps_a_run(service: str) -> None:
    run_id = "run/01 ü"  # any string is an id; the path carries it percent-encoded
    record = {"run_id": run_id, "function_id": "send-email", "status": "QUEUED"}
    assert call("POST", service + "runs", record) == (201, record)
    path = f"{service}runs/{quote(run_id, safe='')}"
    status, running = call("POST", path + "/transitions", {
        "status": "RUNNING", "at": "2024-05-01T12:00:00Z"})  # fmt: skip
    assert (status, running["started_at"]) == (200, "2024-05-01T12:00:00Z")
    assert call("GET", path) == (200, running)


def test_the_api_refuses_what_the_lifecycle_forbids(service: str) -> None:
    record = {"run_id": "r-refused", "function_id": "f", "status": "QUEUED"}
    call("POST", service + "runs", record)
    status, body = call("POST", service + "runs/r-refused/transitions", {
        "status": "COMPLETED", "at": "2024-05-01T12:00:00Z"})  # fmt: skip
    assert status == 409 and "cannot go from QUEUED" in body["error"]
    assert call("GET", service + "runs/no-such-run")[0] == 404


def _kit_command() -> list[str]:
    """The kit's command, from the environment this test runs in."""
    script = Path(sys.executable).with_name("inngest-conformance")
    found = str(script) if script.exists() else shutil.which("inngest-conformance")
    return [found] if found else [sys.executable, "-m", "inngest_conformance"]


def test_certified_over_http(service: str, tmp_path: Path) -> None:
    """``inngest-conformance certify --url``: every lifecycle requirement passes."""
    reports = tmp_path / "reports"
    done = subprocess.run(
        [*_kit_command(), "certify", "--url", service + "conformance",
         "--profile", "quick", "--report-dir", str(reports)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((reports / "report.json").read_text())
    assert report["verdict"] == "conformant"
    assert report["role"] == "lifecycle"
    assert report["implementation"]["name"] == "run-service"
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert outcomes and set(outcomes.values()) == {"passed"}, outcomes
