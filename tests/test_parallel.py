"""``certify --jobs N``: requirements in worker processes, the same report as one job.

Each worker opens the implementation itself (a harness is never shared across processes),
and the report differs from ``--jobs 1``'s in its timings only: the same rows, verdict and
fingerprint.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._adapters import open_adapter
from inngest_conformance._run import certify_adapter, compare_adapters
from inngest_conformance.errors import UsageError
from inngest_conformance.report import with_report_path

from tests.common import alive

CLI = (sys.executable, "-m", "inngest_conformance")
STORE = "inngest_conformance.reference:ReferenceStore"

#: A store with one planted defect: it lets a QUEUED run complete at once.
PLANTED_STORE = """
from inngest_conformance.reference import ReferenceStore
from inngest_conformance.strategies import lifecycle_from_dict, default_lifecycle

_MODEL = default_lifecycle().to_json()
_MODEL["transitions"]["QUEUED"] = [*_MODEL["transitions"]["QUEUED"], "COMPLETED"]


class SkipsRunning(ReferenceStore):
    def __init__(self):
        super().__init__(model=lifecycle_from_dict(_MODEL))
"""


def certify(cwd: Path, folder: str, *args: str) -> tuple[int, dict[str, Any], str]:
    result = subprocess.run(
        [*CLI, "certify", "--profile", "quick", "--report-dir", folder, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads((cwd / folder / "report.json").read_text("utf-8"))
    return result.returncode, report, result.stdout


def timeless(report: dict[str, Any], folder: str = "two") -> dict[str, Any]:
    """``report`` without its timings, its replay commands naming ``folder``."""
    moved = with_report_path(report, f"{folder}/report.json")
    return {k: v for k, v in moved.items() if k not in ("started_at", "duration_s")}


@pytest.mark.slow
def test_two_jobs_write_the_report_of_one(tmp_path: Path) -> None:
    """A store with a planted defect, over a few requirements (the whole catalogue is the
    slow test below): the same failure, found and shrunk the same way in a worker."""
    (tmp_path / "planted.py").write_text(PLANTED_STORE)
    ids = [
        "lifecycle:accepts-legal-transitions",
        "lifecycle:rejects-illegal-transitions",
        "lifecycle:ended-at-exactly-when-terminal",
    ]
    args = ["--target", "planted:SkipsRunning", *(w for i in ids for w in ("--requirement", i))]
    code_one, one, _ = certify(tmp_path, "one", *args)
    code_two, two, out = certify(tmp_path, "two", *args, "--jobs", "2")
    assert code_one == code_two == 1
    assert [r["outcome"] for r in two["requirements"]].count("failed") >= 1
    assert timeless(two) == timeless(one)
    assert "reproduce: " in out


@pytest.mark.slow
@pytest.mark.parametrize("how", ["target", "command"])
def test_every_requirement_in_two_jobs_is_the_report_of_one(tmp_path: Path, how: str) -> None:
    """The whole quick catalogue, in process and through a harness per worker."""
    if how == "target":
        args = ["--target", "inngest_conformance.reference:validator"]
    else:
        harness = [sys.executable, "-m", "inngest_conformance.harness", "--target", STORE]
        args = ["--command", shlex.join(harness)]
    code_one, one, _ = certify(tmp_path, "one", *args)
    code_two, two, _ = certify(tmp_path, "two", *args, "--jobs", "2")
    assert code_one == code_two == 0
    assert timeless(two) == timeless(one)


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_a_bad_job_count_is_one_line_and_exit_2(tmp_path: Path, jobs: str) -> None:
    result = subprocess.run(
        [*CLI, "certify", "--target", STORE, "--jobs", jobs],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "--jobs" in lines[0], lines
    assert not (tmp_path / "reports").exists()


def test_jobs_need_an_implementation_a_worker_can_open_again() -> None:
    adapter = open_adapter(obj=lambda record: True)
    with pytest.raises(UsageError, match="--jobs"):
        certify_adapter(adapter, profile="quick", jobs=2)


#: A validator with one planted defect: it takes any status.
PLANTED_VALIDATOR = """
from inngest_conformance.reference import validator as _reference


def any_status(record):
    if isinstance(record, dict) and isinstance(record.get("status"), str):
        record = {**record, "status": "QUEUED"}
    return _reference(record)
"""


@pytest.mark.slow
def test_compare_with_two_jobs_writes_the_report_of_one(tmp_path: Path) -> None:
    """Each worker opens both implementations; the matrix, the disagreements, each one's
    failures and the verdicts are those of one job."""
    (tmp_path / "planted.py").write_text(PLANTED_VALIDATOR)
    reports = []
    for jobs in ("1", "2"):
        result = subprocess.run(
            [
                *CLI,
                "compare",
                "--target",
                "inngest_conformance.reference:validator",
                "--target",
                "planted:any_status",
                "--levels",
                "schema",
                "--profile",
                "quick",
                "--report-dir",
                jobs,
                "--jobs",
                jobs,
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        reports.append(json.loads((tmp_path / jobs / "report.json").read_text("utf-8")))
    one, two = reports
    assert two["compare"]["disagreements"], "the planted defect is found"
    assert timeless(two, "x") == timeless(one, "x")


def test_compare_jobs_need_implementations_it_can_open_again() -> None:
    adapters = [open_adapter(obj=lambda r: None), open_adapter(obj=lambda r: None)]
    try:
        with pytest.raises(UsageError, match="--jobs"):
            compare_adapters(adapters, profile="quick", jobs=2)
    finally:
        for a in adapters:
            a.close()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
@pytest.mark.parametrize("command", ["certify", "fixtures"])
def test_workers_end_with_a_parent_killed_outright(tmp_path: Path, command: str) -> None:
    """A parent killed by SIGKILL (a CI job's timeout) cannot shut its pool down: its
    workers notice and exit instead of waiting for work forever."""
    if command == "certify":
        args = ["certify", "--target", STORE, "--profile", "certify", "--report-dir", "out"]
    else:
        args = ["fixtures", "--valid", "500000", "--invalid", "0", "--seed", "1", "--out", "fx"]
    parent = subprocess.Popen([*CLI, *args, "--jobs", "2"], cwd=tmp_path, stdout=subprocess.DEVNULL)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and parent.poll() is None:
            workers = [p for p in _children(parent.pid) if "spawn_main" in _cmdline(p)]
            if len(workers) == 2:
                break
            time.sleep(0.2)
        assert len(workers) == 2, "the workers did not start"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(w) for w in workers):
        time.sleep(0.2)
    left = [w for w in workers if alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert not left, "workers outlived their parent"


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""
