"""Whole runs against broken implementations and bad input: the kit never hangs, crashes
or misleads because of them, and loses nothing.

``tests/test_adapters_*.py`` show what each adapter makes of one misbehaviour; here the
real command (``python -m inngest_conformance certify``) runs end to end against the reference
implementation with exactly one fault (``tests/fakes/reference_faulty.py``), and every run
is checked for the same promises: it ends by itself (the subprocess timeout is only the
bound), the exit status and verdict are the specified ones, ``report.json`` is valid
against its own schema, every requirement that could not be judged is ``errored`` with the
reason, no Python traceback of the kit's own is printed, and no process the run started
outlives it.  Then the same over HTTP, bad input to the kit (one line, status 2, the report
folder untouched), and, in the slow suite, many runs in one process without leaks.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._adapters import ProcessAdapter, PythonAdapter
from inngest_conformance._planning import context
from inngest_conformance._run import certify_adapter
from inngest_conformance.report import report_schema

from tests.common import CLI, run_cli
from tests.fakes import FAKES

FAULTY = FAKES / "reference_faulty.py"
#: Every run here must end by itself well within this many seconds.
BOUND = 120.0
#: An environment variable carrying a token unique to one run, inherited by everything the
#: run starts: how its survivors are found afterwards.
MARK = "CONFORMANCE_RELIABILITY_RUN"

ACCEPT_EVERY_STATUS = "schema:accepts-every-value:status"
ACCEPT_REQUIRED_ONLY = "schema:accepts-required-only"
REJECT_ENUM = "schema:rejects-not-in-enum:status"
REJECT_NO_STATUS = "schema:rejects-missing-required:status"
REJECT_NOT_OBJECT = "schema:rejects-not-an-object"
ACCEPTS_RFC3339 = "format:accepts-rfc3339:started_at"
TERMINAL_ABSORBING = "lifecycle:terminal-states-absorbing"

REPORT_VALIDATOR = jsonschema.Draft202012Validator(report_schema())


# Helpers ------------------------------------------------------------------------------


def faulty(*args: str) -> str:
    """The --command for the reference implementation with one fault."""
    return shlex.join([sys.executable, str(FAULTY), *args])


def only(*ids: str) -> list[str]:
    return [word for rid in ids for word in ("--requirement", rid)]


def _is_zombie(pid: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def survivors(token: str) -> list[int]:
    """Live processes whose environment carries ``token``."""
    needle = f"{MARK}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and not _is_zombie(entry.name):
            found.append(int(entry.name))
    return found


def children() -> set[int]:
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in (task / "children").read_text().split())
    return {p for p in pids if not _is_zombie(str(p))}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


#: Runs a command (``MEASURED + [FILE, *argv]``) and writes its peak resident memory
#: (KiB, of the command or a process it waited for) to FILE.  A small process of its own:
#: a child forked from the test process would count the test process's memory as its own.
MEASURED = (
    sys.executable,
    "-c",
    "import os, sys\n"
    "pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "code = os.waitstatus_to_exitcode(status)\n"
    "sys.exit(code if code >= 0 else 128 - code)",
)


@dataclass
class Run:
    """What a user sees of one ``certify`` run."""

    code: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None
    max_rss: int = 0
    """The peak resident memory of the run's process, or of a process it waited for
    (its harness), in bytes."""

    def rows(self, outcome: str | None = None) -> list[dict[str, Any]]:
        assert self.report is not None
        rows: list[dict[str, Any]] = self.report["requirements"]
        return [r for r in rows if outcome is None or r["outcome"] == outcome]

    def row(self, rid: str) -> dict[str, Any]:
        (found,) = [r for r in self.rows() if r["id"] == rid]
        return found


def certify(
    tmp_path: Path, *args: str, bound: float = BOUND, env: dict[str, str] | None = None
) -> Run:
    """Run ``certify`` in a new process with short timeouts; check what every run promises."""
    out = tmp_path / "reports"
    token = uuid.uuid4().hex
    options = ("--profile", "quick", "--timeout", "1", "--startup-timeout", "5")
    streams = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    rss = tmp_path / "max_rss.txt"
    with streams[0].open("wb") as stdout, streams[1].open("wb") as stderr:
        result = subprocess.run(
            [*MEASURED, str(rss), *CLI, "certify", *options, "--report-dir", str(out), *args],
            cwd=tmp_path,
            env={**os.environ, **(env or {}), MARK: token},
            stdout=stdout,
            stderr=stderr,
            timeout=bound,
            check=False,
        )
    run = Run(result.returncode, streams[0].read_text(), streams[1].read_text(), None)
    run.max_rss = int(rss.read_text()) * 1024
    shown = run.stdout + run.stderr
    assert "Traceback" not in shown, shown
    assert not survivors(token), "a process the run started outlived it"
    if (out / "report.json").exists():
        run.report = report = json.loads((out / "report.json").read_text("utf-8"))
        REPORT_VALIDATOR.validate(report)
        assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    if run.report is not None:
        for row in run.rows("errored"):
            assert row["message"].strip() and row["reproduce"].startswith("inngest-conformance")
        assert f"verdict: {run.report['verdict']}" in run.stdout
    return run


def judged(run: Run, code: int, verdict: str) -> dict[str, Any]:
    assert run.code == code, (run.code, run.stdout, run.stderr)
    assert run.report is not None, run.stderr
    assert run.report["verdict"] == verdict
    return run.report


def nothing_judged(run: Run) -> list[dict[str, Any]]:
    """Exit 2 with a report in which every requirement is errored."""
    judged(run, 2, "error")
    rows = run.rows()
    assert rows and all(r["outcome"] == "errored" for r in rows), rows
    return rows


# Implementations that misbehave, over stdin/stdout -------------------------------------


@pytest.mark.slow
def test_exits_at_once(tmp_path: Path) -> None:
    command = faulty("exit-at-once")
    run = certify(tmp_path, "--command", command, *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM))
    for row in nothing_judged(run):
        assert row["message"] == (
            "exited with status 3; last stderr line: 'fatal: cannot load the schema'"
        )
        assert row["detail"].endswith("\n\nfatal: cannot load the schema\n")
        assert row["detail"].startswith('request: {"op": "validate", "record": ')
    assert run.report is not None
    assert run.report["implementation"]["name"] == command
    (warning,) = run.report["warnings"]
    assert warning.startswith("describe got no usable answer (exited with status 3;")


@pytest.mark.slow
def test_starts_slowly_but_answers_correctly(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", faulty("slow-start"), *only(ACCEPT_EVERY_STATUS))
    judged(run, 0, "conformant")
    assert run.report is not None and run.report["warnings"] == []


def test_a_banner_is_skipped_with_a_warning(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", faulty("banner"), *only(ACCEPT_EVERY_STATUS, REJECT_ENUM))
    report = judged(run, 0, "conformant")
    assert report["warnings"] == [
        "skipped a line printed before the first answer: 'reference-faulty 0.0.1 starting'",
        "skipped a line printed before the first answer: 'listening on stdin'",
    ]
    assert report["implementation"]["name"] == "reference-faulty"


@pytest.mark.slow
def test_crashes_after_some_requests(tmp_path: Path) -> None:
    # Each child answers 100 requests (about two requirements' worth): some requirements
    # pass, the one in flight errors, and the next requirement gets a fresh child.
    run = certify(
        tmp_path,
        "--command",
        faulty("crash-after", "100"),
        *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM, REJECT_NO_STATUS, REJECT_NOT_OBJECT),
    )
    judged(run, 1, "error")
    assert run.rows("passed") and run.rows("errored")
    assert not run.rows("failed"), "a crash was counted against the implementation"
    for row in run.rows("errored"):
        assert row["message"] == (
            "exited with status 1; last stderr line: 'RuntimeError: crashed on request 101'"
        )
        assert "Traceback (most recent call last)" in row["detail"]
        assert row["detail"].startswith('request: {"op": "validate"')


@pytest.mark.slow
def test_crashes_after_some_requests_as_a_store(tmp_path: Path) -> None:
    # A lifecycle program is several requests: each child lasts a few requirements.
    run = certify(tmp_path, "--command", faulty("crash-after", "500"), "--role", "lifecycle")
    judged(run, 1, "error")
    assert run.rows("passed") and run.rows("errored") and not run.rows("failed")
    for row in run.rows("errored"):
        assert "RuntimeError: crashed on request 501" in row["message"]
        assert "Traceback (most recent call last)" in row["detail"]
        assert isinstance(row["counterexample"], list)  # the lifecycle program


@pytest.mark.slow
def test_hangs_on_one_kind_of_request(tmp_path: Path) -> None:
    run = certify(
        tmp_path,
        "--command",
        faulty("hang-on-paused"),
        *only(ACCEPT_EVERY_STATUS, REJECT_ENUM, REJECT_NO_STATUS),
    )
    judged(run, 1, "error")
    hung = run.row(ACCEPT_EVERY_STATUS)
    assert hung["outcome"] == "errored"
    assert hung["message"] == "no answer within 1.0 s to {op: validate}"
    assert hung["counterexample"]["status"] == "PAUSED"
    request = json.loads(hung["detail"].removeprefix("request: ").split("\n")[0])
    assert request == {"op": "validate", "record": hung["counterexample"]}
    assert run.row(REJECT_ENUM)["outcome"] == run.row(REJECT_NO_STATUS)["outcome"] == "passed"


@pytest.mark.slow
def test_hangs_on_invalid_records(tmp_path: Path) -> None:
    run = certify(
        tmp_path,
        "--command",
        faulty("hang-on-invalid"),
        *only(ACCEPT_REQUIRED_ONLY, REJECT_NOT_OBJECT),
    )
    judged(run, 1, "error")
    assert run.row(ACCEPT_REQUIRED_ONLY)["outcome"] == "passed"
    hung = run.row(REJECT_NOT_OBJECT)
    assert hung["outcome"] == "errored" and hung["examples"] == 1
    assert hung["message"].startswith("no answer within ")


@pytest.mark.slow
def test_a_store_that_hangs_on_transitions(tmp_path: Path) -> None:
    run = certify(
        tmp_path,
        "--command",
        faulty("hang-on-op", "transition"),
        "--role",
        "lifecycle",
        *only(TERMINAL_ABSORBING),
    )
    for row in nothing_judged(run):
        assert row["message"].startswith("no answer within ")
        assert row["message"].endswith(" to {op: transition}")
        request = json.loads(row["detail"].removeprefix("request: ").split("\n")[0])
        assert request["op"] == "transition" and request in row["counterexample"]


def test_answers_a_line_that_is_not_json(tmp_path: Path) -> None:
    run = certify(
        tmp_path, "--command", faulty("not-json"), *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM)
    )
    for row in nothing_judged(run):
        assert row["message"] == (
            "protocol error: answered a line that is not JSON: 'I think it is valid'"
        )


@pytest.mark.slow
def test_a_stray_line_before_each_answer_never_shifts_answers(tmp_path: Path) -> None:
    # The correct answer follows each stray line 0.2 s later.  Were it read as the answer
    # to the *next* request, a correct implementation would be judged wrong.
    run = certify(
        tmp_path,
        "--command",
        faulty("debug-line"),
        *only(ACCEPT_EVERY_STATUS, REJECT_ENUM, REJECT_NO_STATUS),
    )
    assert not run.rows("failed"), [r["message"] for r in run.rows("failed")]
    for row in nothing_judged(run):
        assert row["message"] == (
            "protocol error: answered a line that is not JSON: 'debug: request 2'"
        )
        assert "\n\ndebug: request 2" in row["detail"]


def test_answers_json_of_the_wrong_shape(tmp_path: Path) -> None:
    run = certify(
        tmp_path, "--command", faulty("wrong-shape"), *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM)
    )
    for row in nothing_judged(run):
        assert row["message"].startswith(
            'protocol error: answered \'{"valid": "yes"}\' to {op: validate}; expected '
        )


@pytest.mark.slow
def test_a_flood_of_stderr_never_blocks_the_run(tmp_path: Path) -> None:
    # 64 KiB before every answer: more than a pipe holds, some 200 times over.
    run = certify(
        tmp_path,
        "--command",
        faulty("stderr-64k"),
        *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM, REJECT_NO_STATUS, REJECT_NOT_OBJECT),
    )
    report = judged(run, 0, "conformant")
    assert sum(r["examples"] for r in report["requirements"]) > 200


@pytest.mark.slow
def test_a_flood_of_stderr_for_a_whole_run(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", faulty("stderr-64k"))
    report = judged(run, 0, "conformant")
    assert report["counts"]["passed"] == len(report["requirements"]) > 20


@pytest.mark.slow
def test_a_flood_of_stderr_from_a_store(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", faulty("stderr-64k"), "--role", "lifecycle")
    judged(run, 0, "conformant")


@pytest.mark.slow
def test_a_4_mb_answer_every_tenth_request(tmp_path: Path) -> None:
    run = certify(
        tmp_path, "--command", faulty("big-line-every-10"), *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM)
    )
    report = judged(run, 0, "conformant")
    assert all(r["examples"] >= 10 for r in report["requirements"])


@pytest.mark.slow
def test_a_4_mb_answer_every_tenth_request_for_a_whole_run(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", faulty("big-line-every-10"))
    judged(run, 0, "conformant")


@pytest.mark.slow
def test_answers_at_random(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", faulty("random", "7"))
    judged(run, 1, "non-conformant")
    assert not run.rows("errored")
    failed = run.rows("failed")
    assert failed and any(r["flaky"] for r in failed)
    for row in failed:
        accepting = row["id"].split(":")[1].startswith("accepts")
        assert "counterexample" in row and row["expected"]["valid"] is accepting


@pytest.mark.slow
def test_hangs_on_describe_loses_nothing(tmp_path: Path) -> None:
    # describe is asked first, so its hang costs the startup allowance too; the run goes
    # on with a fresh child and judges everything.
    run = certify(tmp_path, "--command", faulty("hang-on-op", "describe"))
    report = judged(run, 0, "conformant")
    (warning,) = report["warnings"]
    assert "no answer within 6.0 s (including startup) to {op: describe}" in warning


@pytest.mark.slow
def test_hangs_on_describe_as_a_store(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", faulty("hang-on-op", "describe"), "--role", "lifecycle")
    report = judged(run, 0, "conformant")
    assert report["role"] == "lifecycle" and len(report["warnings"]) == 1


@pytest.mark.slow
def test_a_grandchild_that_left_the_session_is_ended_with_the_run(tmp_path: Path) -> None:
    """Once the run hung for ever at its end: the harness's grandchild, in a session of its
    own (``setsid``), kept the pipes open.  ``certify`` checks that no process survives."""
    run = certify(tmp_path, "--command", faulty("setsid-grandchild"), *only(REJECT_ENUM))
    judged(run, 0, "conformant")


@pytest.mark.slow
def test_answers_twice(tmp_path: Path) -> None:
    """Each validate is answered again, wrongly, once the next request has been read.
    Once that wrong answer was the next case's: a correct harness judged wrong on a case
    it had answered right.  Now it is a protocol error, never a failure."""
    run = certify(
        tmp_path, "--command", faulty("answer-twice"), *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM)
    )
    assert not run.rows("failed")
    for row in nothing_judged(run):
        assert row["message"] == (
            "protocol error: answered {op: validate} twice (its second answer came while "
            "the kit waited for the answer to {op: validate})"
        )
        assert row["detail"].startswith('request: {"op": "validate", "record": ')


#: The run's peak memory must stay far below what keeping a 1 GiB line took (2.1 GB).
MEMORY_BOUND = 160 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["endless-line", "huge-answer 200"])
def test_an_endless_or_huge_answer_line_costs_bounded_memory(tmp_path: Path, fault: str) -> None:
    """1 GiB without a newline, or a 200 MB answer (once kept four times in report.json):
    the line is given up at the default answer size limit, the harness ended, and the
    report keeps a clipped excerpt and the size."""
    run = certify(tmp_path, "--command", faulty(*fault.split()), *only(REJECT_ENUM))
    (row,) = nothing_judged(run)
    assert row["message"].startswith(
        "protocol error: answered a line of more than 16777216 bytes (the answer size limit) "
        "to {op: validate}: '"
    )
    assert row["message"].endswith("' (cut)")
    assert "bytes read; the answer size limit is 16777216 bytes)" in row["detail"]
    assert run.max_rss < MEMORY_BOUND, run.max_rss
    assert (tmp_path / "reports" / "report.json").stat().st_size < 100_000


@pytest.mark.slow
def test_the_answer_size_limit_is_an_option(tmp_path: Path) -> None:
    run = certify(
        tmp_path,
        "--command",
        faulty("huge-answer", "1"),
        "--max-answer-mb",
        "0.5",
        *only(REJECT_ENUM),
    )
    (row,) = nothing_judged(run)
    assert row["message"].startswith("protocol error: answered a line of more than 524288 bytes")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("lots", "'lots' is not a number of MiB above 0, e.g. 16 or 0.5"),
        ("0", "'0' is not a number of MiB above 0, e.g. 16 or 0.5"),
        ("nan", "'nan' is not a number of MiB above 0, e.g. 16 or 0.5"),
    ],
)
def test_a_bad_answer_size_limit_is_refused_in_one_line(
    tmp_path: Path, value: str, why: str
) -> None:
    result = run_cli(tmp_path, "certify", *REFERENCE, "--max-answer-mb", value)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line == (
        f"inngest-conformance certify: error: argument --max-answer-mb: {why} (see --help)"
    )


def test_a_command_that_cannot_start_is_refused_not_judged(tmp_path: Path) -> None:
    run = certify(tmp_path, "--command", "/nonexistent/harness --serve")
    assert run.code == 2 and run.report is None
    (line,) = run.stderr.splitlines()
    assert "cannot start '/nonexistent/harness --serve'" in line


def test_an_error_while_shrinking_does_not_hide_a_failure() -> None:
    """A wrong answer judges the requirement; a crash met while shrinking it only stops
    the shrinking (it is not shrunk against), and the failure is reported, not lost."""

    class WrongThenCrashes:
        def __init__(self) -> None:
            self.wrong_once = False

        def __call__(self, record: Any) -> bool:
            if self.wrong_once:
                raise RuntimeError("crashed after a wrong answer")
            self.wrong_once = True
            return True  # accepts the first (invalid) record

    cert = certify_adapter(
        PythonAdapter(WrongThenCrashes()), role="validator", profile="quick", only=(REJECT_ENUM,)
    )
    (result,) = cert.results
    assert result.outcome == "failed" and not result.flaky
    assert result.message.endswith(
        "(shrinking stopped: the implementation then errored: "
        "raised RuntimeError: crashed after a wrong answer)"
    )
    assert result.counterexample is not None
    assert cert.verdict == "non-conformant" and cert.exit_code == 1


# The same over HTTP --------------------------------------------------------------------


@contextlib.contextmanager
def serving(behaviour: str) -> Iterator[str]:
    """A loopback service that answers every POST the one wrong way named."""
    release = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            if behaviour == "never-answers":
                release.wait(BOUND)
                return
            if behaviour == "drips":  # a byte every 0.1 s: each read is quick, none ends
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n" * 100:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    if release.wait(0.1):
                        return
            if behaviour == "endless-chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"100000\r\n" + b" " * 0x100000 + b"\r\n"
                with contextlib.suppress(ConnectionError):  # the kit hangs up
                    for _ in range(1024):  # 1 GiB: bounded should the kit keep it all
                        if release.is_set():
                            return
                        self.wfile.write(chunk)
                return
            status, body = {
                "500": (500, b"<h1>boom</h1>\n<p>it broke</p>"),
                "not-json": (200, b"<html>valid</html>"),
            }[behaviour]
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/conformance"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(BOUND)


def test_http_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    run = certify(tmp_path, "--url", url, *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM))
    for row in nothing_judged(run):
        assert row["message"] == (
            f"cannot connect to {url}: connection refused (is the service running?)"
        )
    assert run.report is not None and run.report["implementation"]["name"] == url


@pytest.mark.slow
def test_http_a_service_that_never_answers(tmp_path: Path) -> None:
    with serving("never-answers") as url:
        run = certify(tmp_path, "--url", url, *only(REJECT_ENUM))
    for row in nothing_judged(run):
        assert row["message"] == "no answer within 1.0 s to {op: validate}"
        assert row["detail"].startswith('request: {"op": "validate"')


@pytest.mark.slow
def test_http_a_service_that_drips_is_cut_off(tmp_path: Path) -> None:
    """Once never: each byte came well within the timeout, which bounded each read."""
    with serving("drips") as url:
        run = certify(tmp_path, "--url", url, *only(REJECT_ENUM))
    for row in nothing_judged(run):
        assert row["message"] == "no answer within 1.0 s to {op: validate}"


def test_http_an_endless_chunked_body_costs_bounded_memory(tmp_path: Path) -> None:
    with serving("endless-chunked") as url:
        run = certify(tmp_path, "--url", url, *only(REJECT_ENUM))
    for row in nothing_judged(run):
        assert row["message"].startswith(
            f"protocol error: {url} answered more than 16777216 bytes (the answer size limit) "
            "to {op: validate}: '"
        )
    assert run.max_rss < MEMORY_BOUND, run.max_rss


def test_http_500s(tmp_path: Path) -> None:
    with serving("500") as url:
        run = certify(tmp_path, "--url", url, *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM))
    for row in nothing_judged(run):
        assert row["message"] == (
            "HTTP 500 Internal Server Error to {op: validate}: '<h1>boom</h1>' (first line)"
        )
        assert row["detail"].endswith("<h1>boom</h1>\n<p>it broke</p>")


def test_http_a_body_that_is_not_json(tmp_path: Path) -> None:
    with serving("not-json") as url:
        run = certify(tmp_path, "--url", url, *only(ACCEPT_REQUIRED_ONLY, REJECT_ENUM))
    for row in nothing_judged(run):
        assert row["message"] == (
            "protocol error: HTTP 200 with a body that is not JSON: '<html>valid</html>'"
        )


# Bad input to the kit ------------------------------------------------------------------

REFERENCE = ("--target", "inngest_conformance.reference:validator")
STORE = ("--target", "inngest_conformance.reference:store")


def _file(tmp_path: Path, name: str, content: Any) -> str:
    text = content if isinstance(content, str) else json.dumps(content)
    (tmp_path / name).write_text(text)
    return name


def _schema(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    document = json.loads(json.dumps(context().schema.document))
    change(document)
    return _file(tmp_path, "schema.json", document)


def _draft_03(document: dict[str, Any]) -> None:
    document["$schema"] = "http://json-schema.org/draft-03/schema#"


def _dynamic_ref(document: dict[str, Any]) -> None:
    document["$dynamicRef"] = "#meta"


NO_INITIAL = {
    "terminal": ["COMPLETED"],
    "transitions": {"QUEUED": ["RUNNING"], "RUNNING": ["COMPLETED"]},
}
UNREACHABLE = {
    "initial": "QUEUED",
    "terminal": ["COMPLETED", "FAILED"],
    "transitions": {"QUEUED": ["RUNNING"], "RUNNING": ["COMPLETED"], "PAUSED": ["FAILED"]},
}

#: case -> (the arguments, made in the test's folder; what the one error line must say)
REFUSALS: dict[str, tuple[Callable[[Path], list[str]], list[str]]] = {
    "schema-not-json": (
        lambda p: [*REFERENCE, "--schema", _file(p, "schema.json", "{oops")],
        ["schema.json", "not JSON"],
    ),
    "schema-not-an-object": (
        lambda p: [*REFERENCE, "--schema", _file(p, "schema.json", [1, 2])],
        ["schema.json", "must be a JSON object"],
    ),
    "schema-of-an-unread-draft": (
        lambda p: [*REFERENCE, "--schema", _schema(p, _draft_03)],
        ["draft-03", "2020-12"],
    ),
    "schema-with-dynamic-ref": (
        lambda p: [*REFERENCE, "--schema", _schema(p, _dynamic_ref)],
        ["$dynamicRef"],
    ),
    "lifecycle-without-initial": (
        lambda p: [*STORE, "--lifecycle", _file(p, "lifecycle.json", NO_INITIAL)],
        ["lifecycle.json", "no 'initial'"],
    ),
    "lifecycle-unreachable-state": (
        lambda p: [*STORE, "--lifecycle", _file(p, "lifecycle.json", UNREACHABLE)],
        ["'FAILED' cannot be reached", "'QUEUED'"],
    ),
    "target-not-callable": (
        lambda p: ["--target", "json:__version__"],
        ["json:__version__", "cannot be tested"],
    ),
    "target-does-not-import": (
        lambda p: ["--target", "no_such_module_here:validate"],
        ["no_such_module_here"],
    ),
    "two-implementations": (
        lambda p: [*REFERENCE, "--command", faulty("banner")],
        ["exactly one implementation", "target, command"],
    ),
    "no-implementation": (lambda p: [], ["exactly one implementation"]),
    "report-dir-under-a-file": (
        lambda p: [*REFERENCE, "--report-dir", str(Path(_file(p, "taken", "")) / "reports")],
        ["taken", "is not a folder"],
    ),
}


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(directory.rglob("*"))
    }


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_input_is_refused_in_one_line_and_the_reports_are_untouched(
    tmp_path: Path, case: str
) -> None:
    make_args, says = REFUSALS[case]
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "report.json").write_text('{"an": "earlier report"}\n')
    (reports / "notes.txt").write_text("mine\n")
    args = make_args(tmp_path)
    before = snapshot(tmp_path)
    result = subprocess.run(
        [*CLI, "certify", "--profile", "quick", "--report-dir", "reports", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("inngest-conformance: error: ")
    for phrase in says:
        assert phrase in line, line
    assert snapshot(tmp_path) == before, "a refused run changed files"


def test_a_report_folder_that_cannot_take_the_reports(tmp_path: Path) -> None:
    """Found only when writing: the run's summary is shown, then one error line, exit 2,
    and the folder is left exactly as it was."""
    reports = tmp_path / "reports"
    (reports / "report.md").mkdir(parents=True)
    (reports / "report.json").write_text('{"an": "earlier report"}\n')
    before = snapshot(reports)
    one = only(ACCEPT_REQUIRED_ONLY)
    result = subprocess.run(
        [*CLI, "certify", *REFERENCE, "--profile", "quick", "--report-dir", "reports", *one],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "verdict: conformant" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line == (
        "inngest-conformance: error: cannot write reports to reports: a folder is in the way "
        "(reports/report.md); choose another report folder"
    )
    assert snapshot(reports) == before


# Endurance -----------------------------------------------------------------------------

HARNESS = (sys.executable, "-m", "inngest_conformance.harness", "--target")
VALIDATOR_FEW = [ACCEPT_EVERY_STATUS, REJECT_ENUM, REJECT_NO_STATUS, ACCEPTS_RFC3339]
STORE_FEW = ["lifecycle:creates-runs", "lifecycle:rejects-illegal-transitions"]


@pytest.mark.slow
def test_many_runs_in_one_process_leak_no_fds_threads_or_children() -> None:
    """4 quick certify runs against the reference behind the wire protocol, validator
    and store in turn, after two to warm up: afterwards as many fds, threads and child
    processes as before (a leak of one per run would show as 4; the soak benchmark runs
    for minutes).  Each run takes a few requirements of its role, hundreds of cases: what
    could leak is per run (a child, its pipes, a reader thread) or per case."""

    def one_run(i: int) -> str:
        target, role, ids = (
            ("inngest_conformance.reference:validator", "validator", VALIDATOR_FEW)
            if i % 2 == 0
            else ("inngest_conformance.reference:store", "lifecycle", STORE_FEW)
        )
        adapter = ProcessAdapter([*HARNESS, target], request_timeout=10.0)
        try:
            return certify_adapter(adapter, role=role, profile="quick", only=ids).verdict
        finally:
            adapter.close()

    assert one_run(0) == one_run(1) == "conformant"  # warm-up: imports, caches
    fds, kids, threads = open_fds(), children(), threading.active_count()
    verdicts = [one_run(i) for i in range(4)]
    assert verdicts == ["conformant"] * 4
    assert children() == kids
    assert open_fds() <= fds
    assert threading.active_count() <= threads


@pytest.mark.slow
@pytest.mark.parametrize("escaped", [False, True], ids=["", "grandchild-in-own-session"])
def test_ctrl_c_mid_run_keeps_the_results_and_leaves_no_implementation_behind(
    tmp_path: Path, escaped: bool
) -> None:
    """The kit interrupted while an implementation hangs: a report of what was judged
    (the rest skipped), exit 130, and the child, in its own session, ended all the same;
    also when the child started a process that left that session holding its pipes (once
    the kit then hung for ever, ignoring Ctrl-C)."""
    token = uuid.uuid4().hex
    hanging = tmp_path / "hanging"
    hangs = ("--command", faulty("hang-on-paused"))
    reports = ("--report-dir", str(tmp_path / "reports"))
    three = only(REJECT_NO_STATUS, ACCEPTS_RFC3339, "format:accepts-rfc3339:ended_at")
    proc = subprocess.Popen(
        [*CLI, "certify", *hangs, "--profile", "quick", "--timeout", "60", *reports, *three],
        cwd=tmp_path,
        env={
            **os.environ,
            MARK: token,
            "REFERENCE_FAULTY_HANGING": str(hanging),
            **({"REFERENCE_FAULTY_SETSID": "1"} if escaped else {}),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        # Until the implementation hangs on a request (bounded: the kit gives up after 60 s).
        while not hanging.exists() and proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
        assert hanging.exists() and proc.poll() is None
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=BOUND)
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert not survivors(token)
    report = json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))
    REPORT_VALIDATOR.validate(report)
    assert report["interrupted"] is True and report["verdict"] == "error"
    assert [r["outcome"] for r in report["requirements"]] == ["passed", "skipped", "skipped"]
    assert report["requirements"][1]["message"] == "not run: the run was interrupted"
