"""The kit's Python harness: a Python target served over the wire protocol (stdin/stdout),
as the process adapter sees it, and its request handling on its own."""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
from typing import Any

import pytest
from inngest_conformance._adapters import (
    Answer,
    ImplementationError,
    LifecycleAnswer,
    PythonAdapter,
    Unsupported,
)
from inngest_conformance.harness import handle_request, serve_stdio

from tests.common import RECORD, AdapterFor, harness
from tests.fakes import ENV, TARGETS, fake_targets

#: No test here leaves a child process running.
pytestmark = pytest.mark.usefixtures("no_leftover_children")


def test_the_python_harness_serves_a_validator(adapter_for: AdapterFor) -> None:
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


def test_the_python_harness_serves_a_lifecycle_store(adapter_for: AdapterFor) -> None:
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


def test_a_crash_behind_the_python_harness_is_a_crash(adapter_for: AdapterFor) -> None:
    adapter = adapter_for(harness(f"{TARGETS}:Store"), env=ENV)
    with pytest.raises(ImplementationError) as caught:
        adapter.validate({"explode": True})
    assert caught.value.reason.startswith("exited with status 1")
    assert "raised KeyError: 'status'" in caught.value.reason
    assert "Traceback" in caught.value.detail
    assert adapter.validate({"status": 1}).valid


def test_the_python_harness_reports_a_bad_target() -> None:
    done = subprocess.run(
        harness(f"{TARGETS}:nothing_here"),
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
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
    status = serve_stdio(
        PythonAdapter(fake_targets.raises_key_error), io.StringIO(requests), out, err
    )
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


def test_the_python_harness_echoes_each_requests_id() -> None:
    """The kit matches an answer to its request by the id it sent (a harness answering
    twice is then caught); a request without one is answered without one, as before."""
    lines = [
        '{"op": "validate", "record": {"status": "QUEUED"}, "id": 7}',
        '{"op": "validate", "record": {}, "id": "x"}',
        '{"op": "fly", "id": 9}',
        '{"op": "validate", "id": 10}',
        '{"op": "validate", "record": {}}',
    ]
    out = io.StringIO()
    serve_stdio(PythonAdapter(fake_targets.has_status), io.StringIO("\n".join(lines)), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a.get("id") for a in answers] == [7, "x", 9, 10, None]
    assert answers[0] == {"valid": True, "id": 7}
    assert "id" not in answers[4]


class _Waits:
    """A validator whose answer to record 0 waits until record 1 has been judged: served
    one request at a time it would wait for ever (here: until the test's timeout)."""

    def __init__(self) -> None:
        self.second = threading.Event()

    def __call__(self, record: Any) -> bool:
        if record == {"n": 0}:
            return self.second.wait(timeout=10)
        self.second.set()
        return True


def test_serve_stdio_concurrent_answers_each_request_as_it_is_ready() -> None:
    lines = [
        '{"op": "describe", "id": 1}',
        '{"op": "validate", "record": {"n": 0}, "id": 2}',
        '{"op": "validate", "record": {"n": 1}, "id": 3}',
        "not json",
    ]
    out = io.StringIO()
    status = serve_stdio(
        PythonAdapter(_Waits()), io.StringIO("\n".join(lines) + "\n"), out, concurrent=True
    )
    assert status == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert answers[0]["concurrent"] is True and answers[0]["id"] == 1
    by_id = {a.get("id"): a for a in answers}
    assert by_id[2] == {"valid": True, "id": 2}  # it waited for record 1, and got it
    assert by_id[None]["error"].startswith("the request is not JSON")
    assert [a.get("id") for a in answers].index(3) < [a.get("id") for a in answers].index(2)


def test_serve_stdio_concurrent_stops_with_status_1_when_the_implementation_crashes() -> None:
    out, err = io.StringIO(), io.StringIO()
    requests = '{"op": "validate", "record": {}, "id": 1}\n'
    status = serve_stdio(
        PythonAdapter(fake_targets.raises_key_error),
        io.StringIO(requests),
        out,
        err,
        concurrent=True,
    )
    assert status == 1
    assert out.getvalue() == ""
    assert "harness: the implementation raised KeyError: 'status'" in err.getvalue()
