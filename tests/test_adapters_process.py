"""The process adapter must turn every misbehaviour of a harness into a clear answer.

Each fake harness under ``tests/fakes`` breaks one rule; these tests check what the adapter
makes of it (answer, error reason, restart, warning, stderr tail) and that no child process
or file descriptor outlives the adapter.  Timeouts are short so the file runs in seconds.
The other adapters: ``test_adapters_python.py``, ``test_adapters_http.py``; the kit's own
harness: ``test_adapters_harness.py``.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from inngest_conformance._adapters import (
    Answer,
    ImplementationError,
    LifecycleAnswer,
    ProcessAdapter,
    Unsupported,
)
from inngest_conformance._adapters.process import _Lines

from tests.common import NODE_HARNESS, RECORD, AdapterFor, alive, open_fds, wait_dead
from tests.fakes import FAKES, fake

#: No test here leaves a child process running.
pytestmark = pytest.mark.usefixtures("no_leftover_children")


def test_a_correct_harness_answers_and_closes_cleanly() -> None:
    fds = open_fds()
    threads = threading.active_count()
    adapter = ProcessAdapter(fake("good"), request_timeout=3.0)
    described = adapter.describe()
    assert described.name == "good"
    assert described.version == "0.0.1"
    assert described.language == "python"
    assert described.roles == ("validator",)
    assert described.command == adapter.command
    assert adapter.validate({"status": "QUEUED"}) == Answer(valid=True)
    assert adapter.validate([1]) == Answer(valid=False, errors=("record has no status",))
    with pytest.raises(Unsupported, match="unsupported op 'reset'"):
        adapter.reset()
    assert adapter.ever_answered
    assert (adapter.restarts, adapter.crashes, adapter.warnings) == (0, [], [])
    pid = adapter.pid
    assert pid is not None and alive(pid)
    adapter.close()
    adapter.close()
    assert not alive(pid)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert open_fds() == fds
    deadline = time.monotonic() + 2
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == threads
    with pytest.raises(RuntimeError, match="closed"):
        adapter.validate({})


def test_context_manager_closes_the_process() -> None:
    with ProcessAdapter(" ".join(fake("good"))) as adapter:
        assert adapter.validate({"status": 1}).valid
        pid = adapter.pid
    assert pid is not None and not alive(pid)


def test_the_command_is_started_lazily() -> None:
    adapter = ProcessAdapter(fake("good"))
    assert adapter.pid is None
    adapter.close()


def test_banner_lines_are_skipped_and_kept_as_warnings(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("banner"))
    assert adapter.describe().name == "banner"
    assert adapter.validate({"status": 1}).valid
    assert adapter.warnings == [
        "skipped a line printed before the first answer: 'fake-validator 0.0.1 starting'",
        "skipped a line printed before the first answer: "
        "'Debugger listening on ws://127.0.0.1:9229/'",
    ]


def test_a_harness_that_exits_at_once(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("exit_at_once"))
    with pytest.raises(ImplementationError) as caught:
        adapter.describe()
    assert caught.value.reason.startswith("exited with status 3")
    assert "fatal: cannot load the schema" in caught.value.reason
    assert caught.value.detail == "fatal: cannot load the schema\n"
    assert not adapter.ever_answered
    with pytest.raises(ImplementationError, match="exited with status 3"):
        adapter.validate({})
    assert adapter.restarts == 1
    assert len(adapter.crashes) == 2
    assert adapter.crashes[0].startswith("exited with status 3")
    assert "fatal: cannot load the schema" in adapter.crashes[0]


def test_a_harness_that_dies_before_its_request_is_started_once_for_it(
    adapter_for: AdapterFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The slowest machine: each child has exited, and its end been read, before the
    # request is written. A child started for a request fails that request; it is not
    # started again (and again), so restarts count requests, not the machine's speed.
    start = ProcessAdapter._start

    def start_and_wait_for_the_end(self: ProcessAdapter, request: Any) -> Any:
        child = start(self, request)
        child.proc.wait(timeout=10)
        child.thread.join(timeout=10)
        return child

    monkeypatch.setattr(ProcessAdapter, "_start", start_and_wait_for_the_end)
    adapter = adapter_for(fake("exit_at_once"))
    for n in range(3):
        with pytest.raises(ImplementationError, match="exited with status 3"):
            adapter.validate({})
        assert (adapter.restarts, len(adapter.crashes)) == (n, n + 1)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("no-such-program-for-conformance --flag", "'no-such-program-for-conformance' not found"),
        (str(FAKES / "_proto.py"), "is not executable"),
    ],
)
def test_a_command_that_cannot_start(command: str, expected: str) -> None:
    adapter = ProcessAdapter(command)
    with pytest.raises(ImplementationError) as caught:
        adapter.describe()
    assert caught.value.reason.startswith(f"cannot start {command!r}")
    assert expected in caught.value.reason
    assert not adapter.ever_answered
    adapter.close()


def test_a_missing_working_folder_is_reported() -> None:
    adapter = ProcessAdapter(fake("good"), cwd="/no/such/folder")
    with pytest.raises(ImplementationError, match="does not exist"):
        adapter.describe()


def test_an_empty_command_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        ProcessAdapter("  ")


def test_a_crash_reports_status_and_traceback_then_restarts(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("crash_after", "3"))
    adapter.describe()
    assert adapter.validate({"status": 1}).valid
    assert not adapter.validate({}).valid
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"status": 1})
    error = caught.value
    assert error.reason.startswith("exited with status 1")
    assert "RuntimeError: crashed on request 4" in error.reason
    assert "Traceback (most recent call last)" in error.detail
    assert error.request == {"op": "validate", "record": {"status": 1}}
    assert adapter.validate({"status": 1}).valid
    assert adapter.restarts == 1
    assert len(adapter.crashes) == 1
    assert "Traceback" in adapter.crashes[0]


def test_a_child_that_exits_between_requests_is_restarted_for_the_next(
    adapter_for: AdapterFor,
) -> None:
    adapter = adapter_for(fake("crash_after", "1", "--after-answer"))
    assert adapter.validate({"status": 1}).valid
    time.sleep(0.2)
    assert adapter.validate({"status": 1}).valid
    assert adapter.restarts == 1
    assert adapter.crashes == ["exited with status 0"]


def test_a_hang_is_killed_with_its_process_group(adapter_for: AdapterFor, tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    adapter = adapter_for(fake("hang", str(pidfile)), request_timeout=0.5)
    assert adapter.describe().name == "hang"
    child = adapter.pid
    assert child is not None
    grandchild = int(pidfile.read_text())
    started = time.monotonic()
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"status": 1})
    assert time.monotonic() - started < 2.0
    assert caught.value.reason == "no answer within 0.5 s to {op: validate}"
    assert adapter.crashes[0].startswith("killed: no answer within 0.5 s")
    assert not alive(child)
    assert wait_dead(grandchild)
    assert adapter.describe().name == "hang"
    assert adapter.restarts == 1


def test_startup_time_is_allowed_on_top_of_the_request_timeout(adapter_for: AdapterFor) -> None:
    code = f"import time, runpy; time.sleep(0.6); runpy.run_path({str(FAKES / 'good.py')!r})"
    slow = [sys.executable, "-c", code]
    env = {"PYTHONPATH": str(FAKES)}
    adapter = adapter_for(slow, request_timeout=0.3, startup_timeout=5.0, env=env)
    assert adapter.describe().name == "good"
    adapter = adapter_for(slow, request_timeout=0.3, startup_timeout=0.0, env=env)
    with pytest.raises(ImplementationError, match=r"no answer within 0\.3 s \(including startup\)"):
        adapter.describe()


def test_a_line_that_is_not_json_is_a_protocol_error(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("not_json"))
    adapter.describe()
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"status": 1})
    assert caught.value.reason == (
        "protocol error: answered a line that is not JSON: 'I think it is valid'"
    )
    assert caught.value.detail == "I think it is valid"
    # A stream with a stray line in it is out of step: the next request gets a fresh child.
    assert adapter.pid is None
    assert adapter.describe().name == "not-json"
    assert adapter.restarts == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"valid": "yes"},
        [1],
        "valid",
        None,
        {"valid": False, "errors": "one"},
        {"valid": False, "errors": [1]},
        {"ok": True},
    ],
)
def test_a_validate_answer_of_the_wrong_shape(adapter_for: AdapterFor, answer: Any) -> None:
    adapter = adapter_for(fake("wrong_shape"))
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"answer": answer})
    reason = caught.value.reason
    assert reason.startswith("protocol error: answered ")
    assert repr(json.dumps(answer)) in reason
    assert "to {op: validate}" in reason


def test_a_long_wrong_answer_is_quoted_truncated(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("wrong_shape"))
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"answer": {"valid": "x" * 5000}})
    assert len(caught.value.reason) < 400
    assert "cut, 5013 characters in all" in caught.value.reason


def test_answers_of_the_right_shape(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("wrong_shape"))
    answer = adapter.validate({"answer": {"valid": False, "errors": ["a", "b"], "x": 1}})
    assert answer == Answer(valid=False, errors=("a", "b"))
    with pytest.raises(Unsupported, match=r"^nope$"):
        adapter.validate({"answer": {"error": "nope"}})
    created = adapter.create({"answer": {"ok": True, "record": RECORD}})
    assert created == LifecycleAnswer(ok=True, record=RECORD)
    refused = adapter.create({"answer": {"ok": False, "error": "exists"}})
    assert refused == LifecycleAnswer(ok=False, error="exists")
    for wrong in ({"ok": True}, {"ok": "yes"}, {"ok": False, "error": 3}):
        with pytest.raises(ImplementationError, match=r"protocol error: .* to \{op: create\}"):
            adapter.create({"answer": wrong})


@pytest.mark.parametrize(
    ("described", "expected"),
    [
        ({"implementation": {"name": "x"}, "roles": ["validate"]}, "unknown role 'validate'"),
        ({"implementation": {"name": ""}, "roles": []}, "protocol error: answered"),
        ({"implementation": "x", "roles": ["validator"]}, "protocol error: answered"),
        ({"implementation": {"name": "x", "version": 1}, "roles": []}, "protocol error"),
    ],
)
def test_a_describe_answer_of_the_wrong_shape(
    adapter_for: AdapterFor, described: Any, expected: str
) -> None:
    adapter = adapter_for(fake("wrong_shape"), env={"FAKE_DESCRIBE": json.dumps(described)})
    with pytest.raises(ImplementationError, match=expected):
        adapter.describe()


def test_a_flood_of_stderr_never_blocks(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("noisy_stderr"))
    started = time.monotonic()
    for _ in range(30):
        assert adapter.validate({"status": 1}).valid
    assert time.monotonic() - started < 5.0
    deadline = time.monotonic() + 2.0
    while "noise 30" not in adapter.stderr_tail and time.monotonic() < deadline:
        time.sleep(0.01)
    tail = adapter.stderr_tail
    assert 0 < len(tail) <= 8192
    assert "noise 30" in tail and "noise 29" not in tail


def test_huge_answer_lines_are_read_whole(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(fake("big_line"))
    huge = 0
    for count in range(1, 26):
        answer = adapter.validate({"status": 1})
        if count % 10 == 0:
            assert not answer.valid
            assert len(answer.errors[0]) == 4 * 1024 * 1024
            huge += 1
        else:
            assert answer.valid
    assert huge == 2


def test_a_harness_without_describe_is_a_validator_named_by_its_command(
    adapter_for: AdapterFor,
) -> None:
    adapter = adapter_for(fake("no_describe"))
    described = adapter.describe()
    assert described.name == adapter.command
    assert described.command == adapter.command
    assert described.roles == ("validator",)
    assert adapter.validate({"status": 1}).valid


# A harness in another language --------------------------------------------------------


def test_the_node_ajv_harness(adapter_for: AdapterFor) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    if not (NODE_HARNESS.parent / "node_modules").is_dir():
        pytest.skip("run `npm ci` in examples/node-ajv first")
    adapter = adapter_for(["node", str(NODE_HARNESS)], startup_timeout=20.0)
    described = adapter.describe()
    expected = ("ajv", "javascript", ("validator",))
    assert (described.name, described.language, described.roles) == expected
    version = json.loads((NODE_HARNESS.parent / "node_modules/ajv/package.json").read_text())
    assert described.version == version["version"]
    assert adapter.validate(RECORD) == Answer(valid=True)
    answer = adapter.validate({**RECORD, "status": "DONE", "extra": 1})
    assert not answer.valid
    assert "/status must be equal to one of the allowed values" in answer.errors
    with pytest.raises(Unsupported):
        adapter.reset()


# Hostile harnesses: each written to the test's folder, each bounded in time and memory ---

#: The protocol loop the scripts below share: a validator accepting everything, which
#: calls ``misbehave(count, request, answer)`` (defined by each script) to answer.
SERVE = """
import json, os, sys, time

def send(*answers):
    sys.stdout.write("".join(json.dumps(a) + "\\n" for a in answers))
    sys.stdout.flush()

for count, line in enumerate(sys.stdin, start=1):
    request = json.loads(line)
    answer = {"valid": True, "id": request.get("id")}
    if request.get("op") == "describe":
        answer = {"error": "no describe", "id": request.get("id")}
    misbehave(count, request, answer)
"""


def script(tmp_path: Path, misbehave: str) -> list[str]:
    """A harness running :data:`SERVE` with ``misbehave`` (Python source) defined first."""
    path = tmp_path / "harness.py"
    path.write_text(f"{misbehave}\n{SERVE}")
    return [sys.executable, str(path)]


SETSID_GRANDCHILD = """
import os, sys, time
if os.fork() == 0:
    os.setsid()  # leaves the child's session and process group, keeping its pipes
    with open(sys.argv[1], "w") as out:
        out.write(str(os.getpid()))
    time.sleep(60)
    os._exit(0)

def misbehave(count, request, answer):
    if request.get("record") == "exit":
        os._exit(3)
    send(answer)
"""


def _grandchild(pidfile: Path) -> int:
    deadline = time.monotonic() + 5
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "the grandchild never started"
        time.sleep(0.01)
    return int(pidfile.read_text())


def test_a_grandchild_that_left_the_session_never_hangs_close(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    """Once close hung for ever: the stdout reader blocked in readline on a pipe the
    grandchild kept open, and closing the pipe waited for the reader (Ctrl-C ignored)."""
    pidfile = tmp_path / "grandchild.pid"
    adapter = adapter_for([*script(tmp_path, SETSID_GRANDCHILD), str(pidfile)])
    assert adapter.validate({}).valid
    grandchild = _grandchild(pidfile)
    assert os.getsid(grandchild) == grandchild != os.getsid(adapter.pid or 0)
    closing = threading.Thread(target=adapter.close, daemon=True)
    closing.start()
    closing.join(timeout=4.0)
    assert not closing.is_alive(), "close hung"
    assert wait_dead(grandchild), "what the harness started outlived it"


def test_a_harness_that_dies_while_its_grandchild_holds_the_pipes(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    """No end of stdout ever comes: the request times out, and the grandchild is ended
    with the harness; the next request gets a fresh harness."""
    pidfile = tmp_path / "grandchild.pid"
    adapter = adapter_for([*script(tmp_path, SETSID_GRANDCHILD), str(pidfile)], request_timeout=0.5)
    assert adapter.validate({}).valid
    grandchild = _grandchild(pidfile)
    started = time.monotonic()
    with pytest.raises(ImplementationError, match=r"^no answer within 0\.5 s to \{op: validate\}"):
        adapter.validate("exit")
    assert time.monotonic() - started < 3.5
    assert wait_dead(grandchild)
    pidfile.unlink()
    assert adapter.validate({}).valid and adapter.restarts == 1
    adapter.close()
    assert wait_dead(_grandchild(pidfile))


ENDLESS_LINE = """
def misbehave(count, request, answer):
    if request.get("op") != "validate":
        return send(answer)
    block = b"x" * (1024 * 1024)
    for _ in range(64):  # no newline, ever (64 MiB: bounded should the kit keep it all)
        sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
    time.sleep(60)
"""


def test_a_line_without_end_costs_bounded_memory(adapter_for: AdapterFor, tmp_path: Path) -> None:
    """Once every byte was kept until the timeout (2.1 GB of memory for 1 GiB): now the
    line is given up at the answer size limit and the harness ended at once."""
    limit = 2 * 1024 * 1024
    adapter = adapter_for(script(tmp_path, ENDLESS_LINE), max_answer_bytes=limit)
    tracemalloc.start()
    try:
        started = time.monotonic()
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2.5, "cut off at the limit, not at the timeout"
    assert peak < 4 * limit, peak
    reason = caught.value.reason
    assert reason.startswith(
        "protocol error: answered a line of more than 2097152 bytes (the answer size limit) "
        "to {op: validate}: 'xxxx"
    )
    assert reason.endswith("' (cut)") and len(reason) < 400
    detail = caught.value.detail
    assert detail.startswith("x" * 8192 + "\n\n(the first 8192 of ")
    assert "bytes read; the answer size limit is 2097152 bytes)" in detail
    assert len(detail) < 9000
    assert adapter.pid is None, "a stream cut mid-line is out of step: a fresh child next"


HUGE_ANSWER = """
def misbehave(count, request, answer):
    if request.get("op") == "validate" and request.get("record") == "huge":
        answer = {"valid": False, "errors": ["y" * (3 * 1024 * 1024)], "id": request["id"]}
    send(answer)
"""


def test_an_answer_over_the_limit_is_an_error_and_one_within_it_is_read(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    command = script(tmp_path, HUGE_ANSWER)
    adapter = adapter_for(command, max_answer_bytes=1024 * 1024)
    assert adapter.validate({}).valid
    with pytest.raises(ImplementationError, match="more than 1048576 bytes") as caught:
        adapter.validate("huge")
    assert caught.value.reason.startswith(
        "protocol error: answered a line of more than 1048576 bytes (the answer size limit) "
        'to {op: validate}: \'{"valid": false, "errors": ["yyy'
    )
    assert adapter.validate({}).valid and adapter.restarts == 1
    roomy = adapter_for(command, max_answer_bytes=4 * 1024 * 1024)
    assert len(roomy.validate("huge").errors[0]) == 3 * 1024 * 1024


TWICE_AT_ONCE = """
def misbehave(count, request, answer):
    if request.get("op") == "validate":
        answer.pop("id")  # no id echoed: the second answer is told by its timing
        return send(answer, {"valid": False})  # both lines in one write
    send(answer)
"""

TWICE_LATE = """
stale = None

def misbehave(count, request, answer):
    global stale
    if stale is not None:  # the next request has been read: now the late answer
        send(stale)
    stale = {**answer, "valid": False} if request.get("op") == "validate" else None
    send(answer)
"""

UNKNOWN_ID = """
def misbehave(count, request, answer):
    send({**answer, "id": 999} if request.get("op") == "get" else answer)
"""


def test_a_second_answer_before_the_next_request_is_an_error(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    adapter = adapter_for(script(tmp_path, TWICE_AT_ONCE))
    assert adapter.validate({}).valid
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({})
    assert caught.value.reason == (
        "protocol error: answered {op: validate} twice "
        "(a second answer came after it, before the next request)"
    )
    assert caught.value.detail == '{"valid": false}'
    assert adapter.pid is None
    assert adapter.validate({}).valid and adapter.restarts == 1


def test_a_late_second_answer_is_never_taken_for_the_next_requests(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    """Once the late ``{"valid": false}`` was the next request's answer (a counterexample
    blamed on the wrong case): its id says whose answer it is."""
    adapter = adapter_for(script(tmp_path, TWICE_LATE))
    assert adapter.validate({}).valid
    with pytest.raises(ImplementationError) as caught:
        adapter.get("r1")
    assert caught.value.reason == (
        "protocol error: answered {op: validate} twice (its second answer came while "
        "the kit waited for the answer to {op: get})"
    )
    assert caught.value.detail == '{"valid": false, "id": 1}'
    assert adapter.validate({}).valid and adapter.restarts == 1


def test_an_answer_with_the_id_of_no_request(adapter_for: AdapterFor, tmp_path: Path) -> None:
    adapter = adapter_for(script(tmp_path, UNKNOWN_ID))
    assert adapter.validate({}).valid
    with pytest.raises(ImplementationError) as caught:
        adapter.get("r1")
    assert caught.value.reason == (
        "protocol error: answered {op: get} with the id of no request sent to it: '999'"
    )


RECORDS_REQUESTS = """
def misbehave(count, request, answer):
    with open(sys.argv[1], "a") as out:
        out.write(json.dumps(request) + "\\n")
    send(answer)
"""


def test_each_request_line_carries_an_id_after_the_request(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    """An addition to the protocol, not a change: the request's own members come first
    and as before, and a harness that ignores ``id`` is read in order as before."""
    seen = tmp_path / "requests.jsonl"
    adapter = adapter_for([*script(tmp_path, RECORDS_REQUESTS), str(seen)])
    adapter.describe()
    assert adapter.validate({"status": 1}).valid
    with pytest.raises(ImplementationError):  # answers {"valid": ..} to get: wrong shape
        adapter.get("r1")
    lines = [json.loads(line) for line in seen.read_text().splitlines()]
    assert lines == [
        {"op": "describe", "id": 1},
        {"op": "validate", "record": {"status": 1}, "id": 2},
        {"op": "get", "run_id": "r1", "id": 3},
    ]
    assert [list(line)[-1] for line in lines] == ["id"] * 3


@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
    limit=st.integers(min_value=1, max_value=30),
)
def test_lines_are_cut_the_same_however_the_stream_is_read(
    lines: list[bytes], cuts: list[int], limit: int
) -> None:
    """Whatever the reads a pipe delivers, each line within the limit comes out whole, in
    order, and each longer one as one oversized mark keeping at most its start."""
    stream = b"".join(line + b"\n" for line in lines)
    pieces = [stream[a:b] for a, b in itertools.pairwise([0, *sorted(cuts), len(stream)])]
    splitter = _Lines(limit)
    out: list[bytes | int] = []
    for piece in pieces:
        for item in splitter.feed(piece):
            if isinstance(item, bytes):
                out.append(item)
            else:
                assert len(item.head) <= min(item.size, 8192) and item.size > limit
                out.append(-1)
    assert splitter.rest() == b""
    assert out == [line + b"\n" if len(line) <= limit else -1 for line in lines]


# A harness that declares "concurrent": true: requests at once, answers in any order ------

#: Holds each validate request until ``HOLD`` of them are in flight, then answers them
#: last first through ``misbehave(held)``: a kit sending one request at a time would wait
#: for its first answer for ever.
SERVE_AT_ONCE = """
import json, os, sys

HOLD = 4

def send(*answers):
    sys.stdout.write("".join(json.dumps(a) + "\\n" for a in answers))
    sys.stdout.flush()

held = []
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "describe":
        send({"implementation": {"name": "at-once"}, "roles": ["validator"],
              "concurrent": True, "id": request["id"]})
        continue
    held.append(request)
    if len(held) == HOLD:
        misbehave(held)
        held = []
"""

REVERSED = """
def misbehave(held):
    for request in reversed(held):
        send({"valid": request["record"]["n"] % 2 == 0, "id": request["id"]})
"""

NO_ID = """
def misbehave(held):
    send(*({"valid": True} for _ in held))
"""

CRASH_IN_FLIGHT = """
def misbehave(held):
    sys.stderr.write("boom\\n")
    sys.stderr.flush()
    os._exit(3)
"""


def at_once(tmp_path: Path, misbehave: str) -> list[str]:
    path = tmp_path / "at_once.py"
    path.write_text(f"{misbehave}\n{SERVE_AT_ONCE}")
    return [sys.executable, str(path)]


def four_at_once(adapter: ProcessAdapter) -> list[Answer | ImplementationError]:
    """Four validate requests from four threads at once: each thread's answer or error."""
    results: list[Answer | ImplementationError | None] = [None] * 4

    def ask(n: int) -> None:
        try:
            results[n] = adapter.validate({"n": n})
        except ImplementationError as exc:
            results[n] = exc

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def reasons_of_four(adapter: ProcessAdapter) -> set[str]:
    """After describe, four requests at once that must all error: their reasons."""
    adapter.describe()
    errors = four_at_once(adapter)
    assert all(isinstance(e, ImplementationError) for e in errors), errors
    return {str(e) for e in errors}


def test_a_harness_declaring_concurrent_gets_requests_at_once_answered_in_any_order(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    adapter = adapter_for(at_once(tmp_path, REVERSED))
    assert not adapter.concurrent
    adapter.describe()
    assert adapter.concurrent
    for _ in range(3):  # the same child, round after round
        answers = four_at_once(adapter)
        assert answers == [Answer(valid=n % 2 == 0) for n in range(4)]
    assert adapter.restarts == 0 and adapter.ever_answered


def test_concurrent_answers_without_their_ids_end_every_request_in_flight(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    adapter = adapter_for(at_once(tmp_path, NO_ID))
    assert reasons_of_four(adapter) == {
        "protocol error: answered '{\"valid\": true}' without the id of its request; a "
        'harness that declares "concurrent": true must echo each request\'s id'
    }
    assert adapter.pid is None  # its answers can no longer be matched: ended


def test_a_crash_with_requests_in_flight_errors_each_of_them(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    adapter = adapter_for(at_once(tmp_path, CRASH_IN_FLIGHT))
    assert reasons_of_four(adapter) == {"exited with status 3; last stderr line: 'boom'"}
    assert len(adapter.crashes) == 1
    adapter.describe()  # the next request starts a fresh child
    assert adapter.restarts == 1


def test_a_concurrent_request_left_unanswered_times_out(
    adapter_for: AdapterFor, tmp_path: Path
) -> None:
    """Three requests are never answered (the harness holds four): each times out, the
    child is ended once, and nothing waits longer than its own timeout and the stop."""
    adapter = adapter_for(at_once(tmp_path, REVERSED), request_timeout=0.5)
    adapter.describe()
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(_error_of(adapter))) for _ in range(3)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert time.monotonic() - started < 10
    assert len(results) == 3
    assert all(r.startswith("no answer within 0.5 s to {op: validate}") for r in results)
    assert len(adapter.crashes) == 1


def _error_of(adapter: ProcessAdapter) -> str:
    try:
        adapter.validate({"n": 0})
    except ImplementationError as exc:
        return str(exc)
    return "answered"
