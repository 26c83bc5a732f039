"""The process adapter must turn every misbehaviour of a harness into a clear answer.

Each fake harness under ``tests/fakes`` breaks one rule; these tests check what the adapter
makes of it (answer, error reason, restart, warning, stderr tail) and that no child process
or file descriptor outlives the adapter.  Timeouts are short so the file runs in seconds.
The other adapters: ``test_adapters_python.py``, ``test_adapters_http.py``; the kit's own
harness: ``test_adapters_harness.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._adapters import (
    Answer,
    ImplementationError,
    LifecycleAnswer,
    ProcessAdapter,
    Unsupported,
)

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
