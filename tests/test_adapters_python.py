"""The Python adapter: what it makes of each kind of Python implementation (callables,
models, jsonschema validators, lifecycle objects) and of their mistakes, and how targets
(``MODULE:OBJECT``) are loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
from inngest_conformance._adapters import (
    Answer,
    ImplementationError,
    LifecycleAnswer,
    PythonAdapter,
    TargetError,
    Unsupported,
    load_target,
)

from tests.common import RECORD
from tests.fakes import ENV, TARGETS, fake_targets

#: No test here leaves a child process running.
pytestmark = pytest.mark.usefixtures("no_leftover_children")


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
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
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
