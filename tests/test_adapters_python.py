"""The Python adapter: what it makes of each kind of Python implementation (callables,
models, jsonschema validators, lifecycle objects) and of their mistakes, and how targets
(``MODULE:OBJECT``) are loaded."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from inngest_conformance._adapters import (
    Answer,
    ImplementationError,
    LifecycleAnswer,
    PythonAdapter,
    TargetError,
    Unsupported,
    load_target,
)
from inngest_conformance._requirements import Context, catalogue
from inngest_conformance.strategies import Oracle, default_lifecycle, default_schema, runs
from inngest_conformance.strategies._source import strategy
from inngest_conformance.strategies._values import gen_json

from tests.common import RECORD, run_cli
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
        (fake_targets.returns_dict, "returned dict {'valid': True}, which reads as a verdict"),
        (lambda record: 1, "returned int 1, which reads as a verdict"),
        (lambda record: 0, "returned int 0, which reads as a verdict"),
        (lambda record: "status is missing", "returned str 'status is missing', which reads"),
        (lambda record: ["status is missing"], "returned list ['status is missing'], which"),
        (lambda record: (), "returned tuple (), which reads as a verdict"),
    ],
)
def test_a_return_that_may_be_a_verdict_is_an_implementation_error(
    target: Any, expected: str
) -> None:
    """A number, a string, a list of errors or the wire answer may mean "no": reading it as
    "accepted" would turn every refusal into an acceptance."""
    with pytest.raises(ImplementationError) as caught:
        PythonAdapter(target).validate({})
    assert expected in caught.value.reason
    assert "return True/False" in caught.value.reason and "raise to refuse" in caught.value.reason


def test_a_validate_method_that_returns_none_or_raises() -> None:
    """``Validator.validate`` (and attrs validators) return ``None`` and raise to refuse."""
    adapter = PythonAdapter(fake_targets.run_schema_validator.validate)
    assert adapter.describe().roles == ("validator",)
    assert adapter.validate(RECORD) == Answer(valid=True)
    assert adapter.validate({**RECORD, "status": "DONE"}) == Answer(
        valid=False, errors=(next(fake_targets.run_schema_validator.iter_errors(
            {**RECORD, "status": "DONE"})).message,)
    )  # fmt: skip
    assert PythonAdapter(fake_targets.returns_none).validate({}) == Answer(valid=True)


class _Parsed:
    """What a parsing validator returns: a model, a struct, an attrs instance."""

    def __init__(self, record: Any) -> None:
        self.record = record


@pytest.mark.parametrize(
    "returns",
    [
        lambda record: record,
        lambda record: copy.deepcopy(record),
        lambda record: None,
        _Parsed,
        lambda record: {**record, "filled": "default"} if isinstance(record, dict) else record,
    ],
    ids=["the-record", "a-copy", "none", "an-object", "a-transformed-dict"],
)
@given(record=st.one_of(runs(), strategy(gen_json)))
def test_a_validator_that_returns_or_raises_accepts_unless_it_raises(
    returns: Callable[[Any], Any], record: Any
) -> None:
    """The validate-or-raise shape: whatever it returns (the record, a copy, ``None``, a
    parsed object, the record with defaults filled in) accepts; a rejection class rejects.
    (A bool is a verdict first: a document ``false`` returned as it came reads as "no".)"""
    assume(not isinstance(record, bool))

    def validate(value: Any) -> Any:
        if isinstance(value, dict) and value.get("status") == "QUEUED":
            raise ValueError("no queued runs here")
        return returns(value)

    answer = PythonAdapter(validate).validate(record)
    refused = isinstance(record, dict) and record.get("status") == "QUEUED"
    assert answer == (
        Answer(valid=False, errors=("no queued runs here",)) if refused else Answer(valid=True)
    )


@given(record=strategy(gen_json))
def test_a_scalar_or_list_that_is_the_record_itself_accepts(record: Any) -> None:
    """A validator that returns its input accepts even when the input is a number, a
    string or a list (a non-object document it wrongly lets through)."""
    assume(not isinstance(record, bool))
    assert PythonAdapter(lambda value: value).validate(record) == Answer(valid=True)


@given(
    record=st.one_of(runs(), strategy(gen_json)),
    returned=st.one_of(
        st.integers(),
        st.floats(allow_nan=False),
        st.text(),
        st.lists(st.text(), max_size=3),
        st.lists(st.text(), max_size=3).map(tuple),
        st.fixed_dictionaries({"valid": st.booleans()}, optional={"errors": st.lists(st.text())}),
    ),
)
def test_a_return_that_may_be_a_verdict_is_never_read_as_acceptance(
    record: Any, returned: Any
) -> None:
    """Whatever the record, a number, string, list, tuple or wire answer returned in its
    place is an error, never "accepted"; returned as the record itself, it accepts."""
    assume(not isinstance(record, bool) and returned != record)
    with pytest.raises(ImplementationError, match="which reads as a verdict"):
        PythonAdapter(lambda value: returned).validate(record)


def test_fastjsonschema_compiled_validator_is_certified_directly() -> None:
    """fastjsonschema's compiled function returns the data or raises
    ``JsonSchemaValueException`` (a ``ValueError``): each is an answer."""
    validate = fastjsonschema.compile(dict(default_schema().document))
    adapter = PythonAdapter(validate)
    assert adapter.describe().roles == ("validator",)
    assert adapter.validate(RECORD) == Answer(valid=True)
    assert adapter.validate({**RECORD, "status": "DONE"}) == Answer(
        valid=False,
        errors=(
            "data.status must be one of ['QUEUED', 'RUNNING', 'COMPLETED', "
            "'FAILED', 'CANCELLED', 'PAUSED']",
        ),
    )
    assert not adapter.validate([RECORD]).valid


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


FASTJSONSCHEMA_TARGET = """\
import fastjsonschema
from inngest_conformance.strategies import default_schema

validate = fastjsonschema.compile(default_schema().document)
validate_without_formats = fastjsonschema.compile(default_schema().document, use_formats=False)
"""


def _fastjsonschema_accepts(validate: Callable[[Any], Any], record: Any) -> bool:
    try:
        validate(copy.deepcopy(record))
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


@pytest.mark.parametrize("target", ["validate", "validate_without_formats"])
def test_certify_a_fastjsonschema_validator_gives_true_verdicts(
    tmp_path: Path, target: str
) -> None:
    """Certified as a user does (``--target`` on the compiled function), fastjsonschema gets
    an answer for every requirement: nothing errored, the schema level passes, and what it
    does not assert of ``date-time`` fails at the format level only.  Each verdict is true:
    a requirement fails exactly when fastjsonschema and the oracle disagree on one of its
    directed cases or on its counterexamples."""
    (tmp_path / "fjs.py").write_text(FASTJSONSCHEMA_TARGET)
    done = run_cli(
        tmp_path, "certify", "--target", f"fjs:{target}", "--profile", "quick",
        "--report-dir", "out",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["levels"] == {"schema": "passed", "format": "failed", "lifecycle": "skipped"}
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert "errored" not in outcomes.values(), outcomes

    namespace: dict[str, Any] = {}
    exec(FASTJSONSCHEMA_TARGET, namespace)
    compiled = namespace[target]
    oracle = Oracle(default_schema())
    ctx = Context(default_schema(), default_lifecycle())
    kinds: set[str] = set()
    for req in catalogue(ctx.schema, role="validator"):
        records = [getattr(case, "record", case) for case in req.explicit(ctx)]
        disagree = [
            r for r in records if _fastjsonschema_accepts(compiled, r) != oracle.is_valid(r)
        ]
        row = next(r for r in report["requirements"] if r["id"] == req.id)
        for failure in row.get("failures", []):
            record = failure["counterexample"]
            accepted = _fastjsonschema_accepts(compiled, record)
            assert accepted != oracle.is_valid(record), failure
            assert failure["answer"]["valid"] is accepted, failure
            kinds.add(failure["kind"])
        assert (row["outcome"] == "failed") is bool(disagree or row.get("failures")), req.id
    failed = {rid for rid, outcome in outcomes.items() if outcome == "failed"}
    assert failed == {f"format:rejects-malformed-date-time:{p}" for p in ("started_at", "ended_at")}
    if target == "validate":
        # Its date-time pattern reads digits with \d and takes +HHMM offsets.
        assert {"non-ascii-digit", "offset-without-colon"} <= kinds, kinds
    else:
        assert {"garbage", "empty-string"} <= kinds, kinds
