"""Reference implementations: what a conformant validator and run store look like.

``validator`` is the oracle behind the implementation interface; ``store`` is an in-memory
run store that follows the lifecycle model and keeps the record invariants.  Both certify
as conformant at every profile (the kit's tests check it), and both are small enough to
read as a specification of the behaviour the requirements ask for.

``inngest-conformance certify --target inngest_conformance.reference:validator``
``inngest-conformance certify --target inngest_conformance.reference:store --role lifecycle``
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from inngest_conformance.strategies import (
    LifecycleModel,
    Oracle,
    RunSchema,
    datetime_error,
    default_lifecycle,
    default_oracle,
    is_rfc3339_datetime,
)
from inngest_conformance.strategies._formats import OPENAPI_FORMAT
from inngest_conformance.strategies._rfc3339 import utc_key

__all__ = [
    "ReferenceStore",
    "ReferenceValidator",
    "Verdict",
    "store",
    "validator",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    errors: tuple[str, ...] = ()


class ReferenceValidator:
    """Judges a record with the oracle, under the kit's reading of OpenAPI's formats
    (``int64`` out of range is an error); errors are ``path: message`` lines."""

    def __init__(self, oracle: Oracle | None = None) -> None:
        self.oracle = oracle or default_oracle()

    def for_schema(self, schema: RunSchema) -> ReferenceValidator:
        """This validator for another schema (``--schema``): a copy judging by that schema's
        oracle (a subclass stays itself)."""
        new = copy.copy(self)
        new.oracle = Oracle(schema)
        return new

    def __call__(self, record: Any) -> Verdict:
        errors = self.oracle.errors(record, reading=OPENAPI_FORMAT)
        return Verdict(not errors, tuple(f"{e.path or '/'}: {e.message}" for e in errors))


@dataclass
class ReferenceStore:
    """An in-memory run store following a lifecycle model.

    Refusals raise :class:`ValueError` with the reason, as the in-process adapter expects.
    A new run carrying what the model says it does not carry yet (by default ``started_at``,
    ``ended_at`` or ``output``) is refused: the kit never asks for it.  The record's
    properties are the ones the model's ``fields`` name (``run_id``, ``status``, ... by
    default; a span's ``span_id``).
    """

    model: LifecycleModel = field(default_factory=default_lifecycle)
    oracle: Oracle = field(default_factory=default_oracle)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def for_schema(self, schema: RunSchema) -> ReferenceStore:
        """This store for another schema (``--schema``): an empty copy that checks records
        against it (a subclass, with whatever it does differently, stays itself)."""
        new = copy.copy(self)
        new.oracle, new.runs = Oracle(schema), {}
        return new

    def for_lifecycle(self, model: LifecycleModel) -> ReferenceStore:
        """This store for another lifecycle table (``--lifecycle``): an empty copy that
        follows its transitions and the properties its ``fields`` name."""
        new = copy.copy(self)
        new.model, new.runs = model, {}
        return new

    def reset(self) -> None:
        self.runs.clear()

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        errors = self.oracle.errors(record)
        if errors:
            raise ValueError(f"invalid record: {errors[0].path or '/'}: {errors[0].message}")
        fields = self.model.fields
        run_id = record[fields.run_id]
        if run_id in self.runs:
            raise ValueError(f"run {run_id!r} exists already")
        if record[fields.status] != self.model.initial:
            raise ValueError(
                f"a new run must be {self.model.initial}, not {record[fields.status]!r}"
            )
        for later in self.model.absent_in(self.model.initial):
            if later in record:
                raise ValueError(f"unexpected property on create: a new run has no {later} yet")
        self.runs[run_id] = copy.deepcopy(record)
        return copy.deepcopy(record)

    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> dict[str, Any]:
        fields = self.model.fields
        run = self._run(run_id)
        current = run[fields.status]
        if not self.model.is_legal(current, status):
            raise ValueError(f"illegal transition {current} -> {status}")
        reason = datetime_error(at) if isinstance(at, str) else f"{at!r} is not a string"
        if reason:
            raise ValueError(f"bad 'at': {reason}")
        started = None if fields.started_at is None else run.get(fields.started_at)
        if (
            isinstance(started, str)
            and is_rfc3339_datetime(started)
            and utc_key(at) < utc_key(started)
        ):
            raise ValueError(f"'at' {at} is before {fields.started_at} {started}")
        terminal = self.model.is_terminal(status)
        if fields.started_at is not None and started is None and not terminal:
            run[fields.started_at] = at
        if fields.ended_at is not None and terminal:
            run[fields.ended_at] = at
        if fields.output is not None and output is not None:
            run[fields.output] = copy.deepcopy(output)
        run[fields.status] = status
        return copy.deepcopy(run)

    def get(self, run_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._run(run_id))

    def _run(self, run_id: str) -> dict[str, Any]:
        try:
            return self.runs[run_id]
        except KeyError:
            raise ValueError(f"no run {run_id!r}") from None


validator = ReferenceValidator()
store = ReferenceStore()
