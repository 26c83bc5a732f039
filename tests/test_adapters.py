"""The adapters must turn every misbehaviour of an implementation into a clear answer.

Each fake under ``tests/fakes`` breaks one rule; these tests check what the adapter makes
of it (answer, error reason, restart, warning, stderr tail) and that no child process or
file descriptor outlives the adapter.  Timeouts are short so the file runs in seconds.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._adapters import (
    Answer,
    HttpAdapter,
    ImplementationError,
    LifecycleAnswer,
    ProcessAdapter,
    PythonAdapter,
    TargetError,
    Unsupported,
    load_target,
)
from inngest_conformance.harness import handle_request, make_http_server, serve_stdio

from tests.fakes import fake_targets

ROOT = Path(__file__).resolve().parent.parent
FAKES = Path(__file__).resolve().parent / "fakes"
SCHEMA = ROOT / "strategies" / "data" / "inngest-run.schema.json"
NODE_HARNESS = ROOT / "examples" / "node-ajv" / "harness.js"
#: The fake targets' module, and what a child needs to import it.
TARGETS = "tests.fakes.fake_targets"
ENV = {"PYTHONPATH": str(ROOT)}

RECORD = {"run_id": "r1", "function_id": "fn", "status": "QUEUED"}


# Helpers ------------------------------------------------------------------------------


def fake(name: str, *args: str) -> list[str]:
    return [sys.executable, str(FAKES / f"{name}.py"), *args]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (dead, not yet reaped by its new parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_dead(pid: int, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def children() -> set[int]:
    pids: set[int] = set()
    for task in Path("/proc/self/task").glob("*"):
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in (task / "children").read_text().split())
    return pids


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def no_leftover_children() -> Iterator[None]:
    before = children()
    yield
    left = [pid for pid in children() - before if alive(pid)]
    assert not left, f"child processes left running: {left}"


@pytest.fixture
def adapter_for() -> Iterator[Callable[..., ProcessAdapter]]:
    made: list[ProcessAdapter] = []

    def make(command: list[str], **kwargs: Any) -> ProcessAdapter:
        kwargs.setdefault("request_timeout", 3.0)
        adapter = ProcessAdapter(command, **kwargs)
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        pid = adapter.pid
        adapter.close()
        if pid is not None:
            assert wait_dead(pid), f"pid {pid} outlived close()"


# Subprocess adapter -------------------------------------------------------------------


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


def test_banner_lines_are_skipped_and_kept_as_warnings(adapter_for: Any) -> None:
    adapter = adapter_for(fake("banner"))
    assert adapter.describe().name == "banner"
    assert adapter.validate({"status": 1}).valid
    assert adapter.warnings == [
        "skipped a line printed before the first answer: 'fake-validator 0.0.1 starting'",
        "skipped a line printed before the first answer: "
        "'Debugger listening on ws://127.0.0.1:9229/'",
    ]


def test_a_harness_that_exits_at_once(adapter_for: Any) -> None:
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
    adapter_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The slowest machine: each child has exited, and its end been read, before the
    # request is written. A child started for a request fails that request; it is not
    # started again (and again), so restarts count requests, not the machine's speed.
    start = ProcessAdapter._start

    def start_and_wait_for_the_end(self: ProcessAdapter, request: Any) -> Any:
        child = start(self, request)
        child.proc.wait(timeout=10)
        for thread in child.threads:
            thread.join(timeout=10)
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


def test_a_crash_reports_status_and_traceback_then_restarts(adapter_for: Any) -> None:
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
    adapter_for: Any,
) -> None:
    adapter = adapter_for(fake("crash_after", "1", "--after-answer"))
    assert adapter.validate({"status": 1}).valid
    time.sleep(0.2)
    assert adapter.validate({"status": 1}).valid
    assert adapter.restarts == 1
    assert adapter.crashes == ["exited with status 0"]


def test_a_hang_is_killed_with_its_process_group(adapter_for: Any, tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    adapter = adapter_for(fake("hang", str(pidfile)), request_timeout=0.5)
    assert adapter.describe().name == "hang"
    child = adapter.pid
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


def test_startup_time_is_allowed_on_top_of_the_request_timeout(adapter_for: Any) -> None:
    slow = [sys.executable, "-c", f"import time, runpy; time.sleep(0.6); "
            f"runpy.run_path({str(FAKES / 'good.py')!r})"]  # fmt: skip
    env = {"PYTHONPATH": str(FAKES)}
    adapter = adapter_for(slow, request_timeout=0.3, startup_timeout=5.0, env=env)
    assert adapter.describe().name == "good"
    adapter = adapter_for(slow, request_timeout=0.3, startup_timeout=0.0, env=env)
    with pytest.raises(ImplementationError, match=r"no answer within 0\.3 s \(including startup\)"):
        adapter.describe()


def test_a_line_that_is_not_json_is_a_protocol_error(adapter_for: Any) -> None:
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
def test_a_validate_answer_of_the_wrong_shape(adapter_for: Any, answer: Any) -> None:
    adapter = adapter_for(fake("wrong_shape"))
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"answer": answer})
    reason = caught.value.reason
    assert reason.startswith("protocol error: answered ")
    assert repr(json.dumps(answer)) in reason
    assert "to {op: validate}" in reason


def test_a_long_wrong_answer_is_quoted_truncated(adapter_for: Any) -> None:
    adapter = adapter_for(fake("wrong_shape"))
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"answer": {"valid": "x" * 5000}})
    assert len(caught.value.reason) < 400
    assert "cut, 5013 characters in all" in caught.value.reason


def test_answers_of_the_right_shape(adapter_for: Any) -> None:
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
    adapter_for: Any, described: Any, expected: str
) -> None:
    adapter = adapter_for(fake("wrong_shape"), env={"FAKE_DESCRIBE": json.dumps(described)})
    with pytest.raises(ImplementationError, match=expected):
        adapter.describe()


def test_a_flood_of_stderr_never_blocks(adapter_for: Any) -> None:
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


def test_huge_answer_lines_are_read_whole(adapter_for: Any) -> None:
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
    adapter_for: Any,
) -> None:
    adapter = adapter_for(fake("no_describe"))
    described = adapter.describe()
    assert described.name == adapter.command
    assert described.command == adapter.command
    assert described.roles == ("validator",)
    assert adapter.validate({"status": 1}).valid


# The Python harness over stdin/stdout -------------------------------------------------


def harness(target: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "inngest_conformance.harness", "--target", target, *extra]


def test_the_python_harness_serves_a_validator(adapter_for: Any) -> None:
    adapter = adapter_for(harness(f"{TARGETS}:noisy_has_status"), env=ENV)
    described = adapter.describe()
    assert described.name == f"{TARGETS}.noisy_has_status"
    assert described.language == "python"
    assert described.roles == ("validator",)
    assert adapter.validate({"status": 1}) == Answer(valid=True)
    assert adapter.validate({}) == Answer(valid=False)
    with pytest.raises(Unsupported):
        adapter.create(RECORD)
    assert "debug: checking a record" in adapter.stderr_tail


def test_the_python_harness_serves_a_lifecycle_store(adapter_for: Any) -> None:
    adapter = adapter_for(harness(f"{TARGETS}:Store", "--name", "store"), env=ENV)
    assert adapter.describe().roles == ("validator", "lifecycle")
    adapter.reset()
    assert adapter.create(RECORD) == LifecycleAnswer(ok=True, record=RECORD)
    refused = adapter.create(RECORD)
    assert refused == LifecycleAnswer(ok=False, error="run 'r1' exists")
    moved = adapter.transition("r1", "COMPLETED", "2024-01-01T00:00:00Z")
    assert moved == LifecycleAnswer(ok=False, error="cannot go from QUEUED to COMPLETED")
    moved = adapter.transition("r1", "RUNNING", "2024-01-01T00:00:00Z")
    assert moved.ok and moved.record["started_at"] == "2024-01-01T00:00:00Z"
    done = adapter.transition("r1", "COMPLETED", "2024-01-01T00:00:01Z", {"n": 1})
    assert done.record["output"] == {"n": 1}
    assert adapter.get("r1").record["status"] == "COMPLETED"
    adapter.reset()
    assert adapter.get("r1") == LifecycleAnswer(ok=False, error="no run 'r1'")


def test_a_crash_behind_the_python_harness_is_a_crash(adapter_for: Any) -> None:
    adapter = adapter_for(harness(f"{TARGETS}:Store"), env=ENV)
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"explode": True})
    assert caught.value.reason.startswith("exited with status 1")
    assert "raised KeyError: 'status'" in caught.value.reason
    assert "Traceback" in caught.value.detail
    assert adapter.validate({"status": 1}).valid


def test_the_python_harness_reports_a_bad_target() -> None:
    done = subprocess.run(
        harness(f"{TARGETS}:nothing_here"), env={**os.environ, **ENV},
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    assert "has no attribute 'nothing_here'" in done.stderr


def test_serve_stdio_answers_bad_requests_and_keeps_going() -> None:
    lines = [
        "this is not json",
        "[1]",
        '{"op": "fly"}',
        '{"op": "validate"}',
        "",
        '{"op": "transition", "run_id": "r1"}',
        '{"op": "describe"}',
        '{"op": "validate", "record": {"status": "QUEUED"}}',
        '{"op": "reset"}',
    ]
    out = io.StringIO()
    status = serve_stdio(
        PythonAdapter(fake_targets.has_status), io.StringIO("\n".join(lines) + "\n"), out
    )
    assert status == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == 8
    assert answers[0]["error"].startswith("the request is not JSON")
    assert "op" in answers[1]["error"]
    assert answers[2]["error"].startswith("unknown op 'fly'")
    assert answers[3] == {"error": "validate needs 'record'"}
    assert answers[4] == {"error": "transition needs 'status', 'at'"}
    assert answers[5]["roles"] == ["validator"]
    assert answers[6] == {"valid": True}
    assert "not a lifecycle store" in answers[7]["error"]


def test_serve_stdio_stops_with_status_1_when_the_implementation_crashes() -> None:
    out, err = io.StringIO(), io.StringIO()
    requests = '{"op": "validate", "record": {}}\n{"op": "describe"}\n'
    status = serve_stdio(PythonAdapter(fake_targets.raises_key_error), io.StringIO(requests),
                         out, err)  # fmt: skip
    assert status == 1
    assert out.getvalue() == ""
    assert "harness: the implementation raised KeyError: 'status'" in err.getvalue()


def test_handle_request_passes_transition_output() -> None:
    store = fake_targets.Store()
    adapter = PythonAdapter(store)
    handle_request(adapter, {"op": "create", "record": dict(RECORD)})
    handle_request(adapter, {"op": "transition", "run_id": "r1", "status": "RUNNING", "at": "t"})
    answer = handle_request(
        adapter,
        {"op": "transition", "run_id": "r1", "status": "COMPLETED", "at": "u", "output": {"a": 1}},
    )
    assert answer["ok"] is True
    assert answer["record"]["output"] == {"a": 1}


def test_a_callable_returning_bool() -> None:
    adapter = PythonAdapter(fake_targets.has_status)
    assert adapter.validate({"status": 1}) == Answer(valid=True)
    assert adapter.validate({}) == Answer(valid=False)
    described = adapter.describe()
    assert described.name == f"{TARGETS}.has_status"
    assert described.language == "python"
    assert described.roles == ("validator",)
    with pytest.raises(Unsupported):
        adapter.create(RECORD)
    with pytest.raises(Unsupported):
        adapter.reset()


def test_a_callable_returning_an_object_with_valid() -> None:
    adapter = PythonAdapter(fake_targets.with_verdict)
    assert adapter.validate({"status": 1}) == Answer(valid=True)
    assert adapter.validate({}) == Answer(valid=False, errors=("status is missing",))


def test_a_raised_rejection_is_a_rejection() -> None:
    adapter = PythonAdapter(fake_targets.raises_value_error)
    assert adapter.validate({}) == Answer(valid=False, errors=("status is required",))
    assert adapter.validate({"status": 1}).valid


def test_rejections_are_configurable() -> None:
    adapter = PythonAdapter(fake_targets.raises_key_error, rejections=(KeyError,))
    assert adapter.validate({}) == Answer(valid=False, errors=("'status'",))


def test_any_other_exception_is_an_implementation_error() -> None:
    adapter = PythonAdapter(fake_targets.raises_key_error)
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({})
    assert caught.value.reason == "raised KeyError: 'status'"
    assert "Traceback (most recent call last)" in caught.value.detail
    assert "raises_key_error" in caught.value.detail
    assert caught.value.request == {"op": "validate", "record": {}}


def test_sys_exit_is_an_implementation_error() -> None:
    with pytest.raises(ImplementationError, match="raised SystemExit: 3"):
        PythonAdapter(fake_targets.exits).validate({})


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (fake_targets.returns_none, "returned None; return True/False"),
        (fake_targets.returns_dict, "returned dict {'valid': True}; return True/False"),
        (lambda record: 1, "returned int 1"),
    ],
)
def test_a_non_bool_answer_is_an_implementation_error(target: Any, expected: str) -> None:
    with pytest.raises(ImplementationError, match=expected.replace("(", r"\(")):
        PythonAdapter(target).validate({})


def test_a_pydantic_model_class() -> None:
    adapter = PythonAdapter(fake_targets.RunModel)
    assert adapter.describe().roles == ("validator",)
    assert adapter.validate(RECORD) == Answer(valid=True)
    answer = adapter.validate({"run_id": 1, "status": "QUEUED", "x": 0})
    assert not answer.valid
    assert answer.errors == (
        "run_id: Input should be a valid string",
        "function_id: Field required",
        "x: Extra inputs are not permitted",
    )
    assert not adapter.validate([1]).valid


def test_pydantic_is_not_imported_with_the_adapter() -> None:
    code = "import sys, inngest_conformance._adapters.python; print('pydantic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **ENV},
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.stdout.strip() == "False", done.stderr


def test_a_jsonschema_validator() -> None:
    validator = fake_targets.run_schema_validator
    adapter = PythonAdapter(validator)
    described = adapter.describe()
    assert described.roles == ("validator",)
    assert described.version == __import__("importlib.metadata").metadata.version("jsonschema")
    assert adapter.validate(RECORD) == Answer(valid=True)
    answer = adapter.validate({**RECORD, "status": "DONE"})
    assert not answer.valid
    assert answer.errors == (next(validator.iter_errors({**RECORD, "status": "DONE"})).message,)


def test_a_jsonschema_validation_error_raised_by_a_callable_is_a_rejection() -> None:
    def check(record: Any) -> bool:
        jsonschema.validate(record, {"type": "object"})
        return True

    answer = PythonAdapter(check).validate([])
    assert answer == Answer(valid=False, errors=("[] is not of type 'object'",))


def test_a_lifecycle_object() -> None:
    store = fake_targets.Store()
    adapter = PythonAdapter(store)
    assert adapter.describe().roles == ("validator", "lifecycle")
    assert adapter.create(RECORD) == LifecycleAnswer(ok=True, record=RECORD)
    assert adapter.create(RECORD) == LifecycleAnswer(ok=False, error="run 'r1' exists")
    running = adapter.transition("r1", "RUNNING", "2024-01-01T00:00:00Z")
    assert running.record == {**RECORD, "status": "RUNNING", "started_at": "2024-01-01T00:00:00Z"}
    assert adapter.get("r1") == running
    assert adapter.get("nope") == LifecycleAnswer(ok=False, error="no run 'nope'")
    adapter.reset()
    assert store.runs == {}
    with pytest.raises(ImplementationError, match="raised KeyError: 'status'"):
        adapter.validate({"explode": 1})


def test_a_lifecycle_class_is_instantiated_and_reset_by_a_new_instance() -> None:
    adapter = PythonAdapter(fake_targets.StoreWithoutReset)
    assert adapter.describe().roles == ("lifecycle",)
    with pytest.raises(Unsupported):
        adapter.validate(RECORD)
    assert adapter.create(RECORD).ok
    assert adapter.get("r1").ok
    adapter.reset()
    assert adapter.get("r1") == LifecycleAnswer(ok=False, error="get('r1') returned None")


def test_a_lifecycle_instance_without_reset_cannot_reset() -> None:
    with pytest.raises(Unsupported, match="no reset"):
        PythonAdapter(fake_targets.StoreWithoutReset()).reset()


def test_lifecycle_records_are_dumped_models_and_must_be_json() -> None:
    assert PythonAdapter(fake_targets.ModelStore()).create(RECORD).record == RECORD
    with pytest.raises(ImplementationError, match="not JSON: Object of type datetime"):
        PythonAdapter(fake_targets.DatetimeStore()).create(RECORD)


def test_an_implementation_cannot_corrupt_the_kits_records() -> None:
    record = {"status": "QUEUED", "nested": {"a": [1]}}
    kept = json.loads(json.dumps(record))
    assert PythonAdapter(fake_targets.mutates).validate(record).valid
    assert record == kept
    store = fake_targets.Store()
    adapter = PythonAdapter(store)
    created = dict(RECORD)
    answer = adapter.create(created)
    created["status"] = "FAILED"
    answer.record["status"] = "FAILED"
    assert store.runs["r1"]["status"] == "QUEUED"


def test_something_that_is_not_an_implementation_is_refused() -> None:
    with pytest.raises(TargetError, match="cannot be tested"):
        PythonAdapter(fake_targets.NOT_AN_IMPLEMENTATION)


def test_load_target_finds_nested_attributes() -> None:
    assert load_target(f"{TARGETS}:has_status") is fake_targets.has_status
    assert load_target(f"{TARGETS}:Namespace.check") is fake_targets.Namespace.check


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (TARGETS, "is not MODULE:OBJECT"),
        (f"{TARGETS}:", "is not MODULE:OBJECT"),
        ("no_such_module_here:fn", "No module named 'no_such_module_here'"),
        (f"{TARGETS}:missing", f"'{TARGETS}' has no attribute 'missing'"),
        (f"{TARGETS}:Namespace.nope", f"'{TARGETS}:Namespace' has no attribute 'nope'"),
        ("tests.fakes.broken_target:fn", "raised RuntimeError: boom at import"),
    ],
)
def test_load_target_errors_say_what_to_do(spec: str, expected: str) -> None:
    with pytest.raises(TargetError) as caught:
        load_target(spec)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


# HTTP adapter -------------------------------------------------------------------------


@pytest.fixture
def harness_url() -> Iterator[str]:
    proc = subprocess.Popen(
        harness(f"{TARGETS}:Store", "--http", "127.0.0.1:0"),
        env={**os.environ, **ENV}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:"), proc.stderr.read()  # type: ignore[union-attr]
        yield first.split()[-1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_http_against_the_python_harness(harness_url: str) -> None:
    with HttpAdapter(harness_url, timeout=3.0) as adapter:
        described = adapter.describe()
        assert described.name == f"{TARGETS}.Store"
        assert described.roles == ("validator", "lifecycle")
        assert adapter.validate({"status": 1}) == Answer(valid=True)
        adapter.reset()
        assert adapter.create(RECORD).ok
        assert adapter.create(RECORD) == LifecycleAnswer(ok=False, error="run 'r1' exists")
        assert adapter.transition("r1", "RUNNING", "2024-01-01T00:00:00Z").ok
        assert adapter.get("r1").record["status"] == "RUNNING"
        for _ in range(50):
            assert adapter.validate({"status": 1}).valid
        assert adapter.ever_answered
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({"explode": True})
        assert caught.value.reason.startswith("HTTP 500 Internal Server Error to {op: validate}")
        assert "raised KeyError: 'status'" in caught.value.reason
        assert "Traceback" in caught.value.detail
        assert adapter.validate({"status": 1}).valid


def test_http_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = HttpAdapter(f"http://127.0.0.1:{port}/")
    with pytest.raises(ImplementationError) as caught:
        adapter.describe()
    assert caught.value.reason == f"cannot connect to http://127.0.0.1:{port}/: connection " \
        "refused (is the service running?)"  # fmt: skip
    assert not adapter.ever_answered
    adapter.close()


@contextlib.contextmanager
def tiny_server(
    status: int,
    body: bytes,
    *,
    delay: float = 0.0,
    close_each: bool = False,
    clients: set[tuple[str, int]] | None = None,
) -> Iterator[str]:
    seen: set[tuple[str, int]] = set() if clients is None else clients

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            seen.add(self.client_address)
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if close_each:
                # Drop the connection although keep-alive was promised.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/run"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_http_5xx_is_an_implementation_error() -> None:
    with tiny_server(500, b"<h1>Internal Server Error</h1>") as url:
        adapter = HttpAdapter(url)
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        adapter.close()
    assert caught.value.reason == (
        "HTTP 500 Internal Server Error to {op: validate}: '<h1>Internal Server Error</h1>'"
    )
    assert caught.value.detail == "<h1>Internal Server Error</h1>"


def test_http_body_that_is_not_json() -> None:
    with tiny_server(200, b"<html>hello</html>") as url:
        adapter = HttpAdapter(url)
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        adapter.close()
    assert caught.value.reason == (
        "protocol error: HTTP 200 with a body that is not JSON: '<html>hello</html>'"
    )


def test_http_wrong_shape_and_unsupported_answers() -> None:
    with (
        tiny_server(200, b'{"valid": "yes"}') as url,
        HttpAdapter(url) as adapter,
        pytest.raises(ImplementationError, match="protocol error: answered"),
    ):
        adapter.validate({})
    with tiny_server(404, b'{"error": "no such op"}') as url, HttpAdapter(url) as adapter:
        with pytest.raises(Unsupported, match="no such op"):
            adapter.reset()
        assert adapter.describe().name == url
    with (
        tiny_server(404, b"Not Found") as url,
        HttpAdapter(url) as adapter,
        pytest.raises(ImplementationError, match="HTTP 404 Not Found to"),
    ):
        adapter.reset()


def test_http_timeout() -> None:
    with tiny_server(200, b'{"valid": true}', delay=1.0) as url:
        adapter = HttpAdapter(url, timeout=0.3)
        with pytest.raises(ImplementationError, match=r"no answer within 0\.3 s to \{op: validate"):
            adapter.validate({})
        adapter.close()


def test_http_keeps_the_connection_alive() -> None:
    clients: set[tuple[str, int]] = set()
    with tiny_server(200, b'{"valid": true}', clients=clients) as url, HttpAdapter(url) as adapter:
        for _ in range(5):
            assert adapter.validate({}).valid
    assert len(clients) == 1


def test_http_reconnects_when_the_server_drops_a_kept_alive_connection() -> None:
    clients: set[tuple[str, int]] = set()
    with (
        tiny_server(200, b'{"valid": true}', close_each=True, clients=clients) as url,
        HttpAdapter(url) as adapter,
    ):
        for _ in range(5):
            assert adapter.validate({}).valid
    assert len(clients) == 5


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://", "http://127.0.0.1:99999/"]
)
def test_http_urls_are_checked_up_front(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        HttpAdapter(url)


def test_make_http_server_in_process() -> None:
    server = make_http_server(PythonAdapter(fake_targets.has_status), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with HttpAdapter(url) as adapter:
            assert adapter.validate({"status": 1}).valid
            assert adapter.describe().roles == ("validator",)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# A harness in another language --------------------------------------------------------


def test_the_node_ajv_harness(adapter_for: Any) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    if not (NODE_HARNESS.parent / "node_modules").is_dir():
        pytest.skip("run `npm ci` in examples/node-ajv first")
    adapter = adapter_for(["node", str(NODE_HARNESS)], startup_timeout=20.0)
    described = adapter.describe()
    assert (described.name, described.language, described.roles) == (
        "ajv", "javascript", ("validator",)
    )  # fmt: skip
    version = json.loads((NODE_HARNESS.parent / "node_modules/ajv/package.json").read_text())
    assert described.version == version["version"]
    assert adapter.validate(RECORD) == Answer(valid=True)
    answer = adapter.validate({**RECORD, "status": "DONE", "extra": 1})
    assert not answer.valid
    assert "/status must be equal to one of the allowed values" in answer.errors
    with pytest.raises(Unsupported):
        adapter.reset()
