"""Implementations with one planted defect each: the kit must find every one.

Each is the reference implementation with a single, realistic mistake, and ``DEFECTS``
says which requirements must fail because of it (and so which level).  The tests certify
every one at the ``quick`` profile and compare; ``tests/conftest.py`` hands them to tests as
the ``defect`` and ``planted`` fixtures.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from inngest_conformance.reference import ReferenceStore, ReferenceValidator, Verdict
from inngest_conformance.strategies._lifecycle_model import LifecycleModel
from inngest_conformance.strategies._lifecycle_table import default_lifecycle, lifecycle_from_dict

reference = ReferenceValidator()
OPTIONAL = ("app_id", "event_id", "output", "started_at", "ended_at")


def accepts_unknown_property(record: Any) -> Verdict:
    if isinstance(record, dict):
        record = {
            k: v for k, v in record.items() if k in (*OPTIONAL, "run_id", "function_id", "status")
        }
    return reference(record)


def lowercases_status(record: Any) -> Verdict:
    if isinstance(record, dict) and isinstance(record.get("status"), str):
        record = {**record, "status": record["status"].upper()}
    return reference(record)


def accepts_null_optional(record: Any) -> Verdict:
    if isinstance(record, dict):
        record = {k: v for k, v in record.items() if not (k in OPTIONAL and v is None)}
    return reference(record)


def _ignores_app_id_of(*types: type) -> Callable[[Any], Verdict]:
    def ignores(record: Any) -> Verdict:
        if isinstance(record, dict) and type(record.get("app_id")) in types:
            record = {k: v for k, v in record.items() if k != "app_id"}
        return reference(record)

    return ignores


#: Two kinds of failure of one requirement (``schema:rejects-wrong-type:app_id``, kinds
#: ``null`` and ``integer``), and each half fixed: a release that fixes one kind, or one
#: that brings the other, must not pass for the same failure.
accepts_null_or_integer_app_id = _ignores_app_id_of(type(None), int)
accepts_null_app_id = _ignores_app_id_of(type(None))
accepts_integer_app_id = _ignores_app_id_of(int)


def accepts_non_object_output(record: Any) -> Verdict:
    if isinstance(record, dict) and "output" in record and not isinstance(record["output"], dict):
        record = {**record, "output": {}}
    return reference(record)


def _datetimes(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return []
    return [v for k, v in record.items() if k.endswith("_at") and isinstance(v, str)]


def rejects_leap_second(record: Any) -> Verdict:
    if any(v[17:19] == "60" for v in _datetimes(record)):
        return Verdict(False, ("leap seconds are not supported",))
    return reference(record)


def rejects_numeric_offsets(record: Any) -> Verdict:
    if any(not v.endswith(("Z", "z")) for v in _datetimes(record)):
        return Verdict(False, ("only UTC (Z) is supported",))
    return reference(record)


def rejects_empty_ids(record: Any) -> Verdict:
    if isinstance(record, dict) and any(k.endswith("_id") and v == "" for k, v in record.items()):
        return Verdict(False, ("ids must not be empty",))
    return reference(record)


def admits_status(extra: str) -> Any:
    """A validator whose status enum also admits ``extra`` (one near miss of a member)."""

    def admits(record: Any) -> Verdict:
        if isinstance(record, dict) and record.get("status") == extra:
            record = {**record, "status": "QUEUED"}
        return reference(record)

    admits.__name__ = admits.__qualname__ = f"admits_{extra.strip().lower()}"
    return admits


def accepts_space_separator(record: Any) -> Verdict:
    """Takes exactly a space between date and time for 'T' (as @cfworker/json-schema 4 does)."""
    if isinstance(record, dict):
        record = {
            k: v[:10] + "T" + v[11:]
            if k.endswith("_at") and isinstance(v, str) and v[10:11] == " "
            else v
            for k, v in record.items()
        }
    return reference(record)


PROPERTIES = ("run_id", "function_id", "status", *OPTIONAL)


def flattens_output(record: Any) -> Verdict:
    """Validates ``output``'s keys as if they were the record's own."""
    if isinstance(record, dict) and isinstance(record.get("output"), dict):
        rest = {k: v for k, v in record.items() if k != "output"}
        record = {**rest, **record["output"]}
    return reference(record)


def rejects_record_keys_in_output(record: Any) -> Verdict:
    """Refuses an output holding a key named like one of the record's properties."""
    output = record.get("output") if isinstance(record, dict) else None
    if isinstance(output, dict) and any(k in PROPERTIES for k in output):
        return Verdict(False, ("output must not hold record fields",))
    return reference(record)


def _model_with(
    extra: tuple[str, str] | None = None,
    without: tuple[str, str] | None = None,
) -> LifecycleModel:
    base = default_lifecycle().to_json()
    transitions = {k: list(v) for k, v in base["transitions"].items()}
    terminal = list(base["terminal"])
    if extra:
        transitions.setdefault(extra[0], []).append(extra[1])
        if extra[0] in terminal:
            terminal.remove(extra[0])
    if without:
        transitions[without[0]].remove(without[1])
    return lifecycle_from_dict(
        {"initial": base["initial"], "terminal": terminal, "transitions": transitions}
    )


class LeavesCompleted(ReferenceStore):
    """Allows COMPLETED -> RUNNING (a retry that reopens a finished run)."""

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        run = self._run(run_id)
        if run["status"] == "COMPLETED" and status == "RUNNING":
            run["status"] = status
            return copy.deepcopy(run)
        return super().transition(run_id, status, at, output)


class ReopensFinishedRuns(ReferenceStore):
    """Allows COMPLETED -> RUNNING and FAILED -> RUNNING: two kinds of failure of one
    requirement (``lifecycle:terminal-states-absorbing``); its subclass fixes one."""

    reopens: tuple[str, ...] = ("COMPLETED", "FAILED")

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        run = self._run(run_id)
        if run["status"] in self.reopens and status == "RUNNING":
            run["status"] = status
            return copy.deepcopy(run)
        return super().transition(run_id, status, at, output)


class ReopensFailedRuns(ReopensFinishedRuns):
    """:class:`ReopensFinishedRuns` with COMPLETED -> RUNNING fixed."""

    reopens = ("FAILED",)


@dataclass
class SkipsRunning(ReferenceStore):
    """Allows QUEUED -> COMPLETED."""

    model: LifecycleModel = field(default_factory=lambda: _model_with(("QUEUED", "COMPLETED")))


@dataclass
class CannotResume(ReferenceStore):
    """Refuses PAUSED -> RUNNING."""

    model: LifecycleModel = field(
        default_factory=lambda: _model_with(without=("PAUSED", "RUNNING"))
    )


class ForgetsEndedAtOnFailed(ReferenceStore):
    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        record = super().transition(run_id, status, at, output)
        if status == "FAILED":
            self.runs[run_id].pop("ended_at", None)
            record.pop("ended_at", None)
        return record


class OverwritesStartedAt(ReferenceStore):
    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        record = super().transition(run_id, status, at, output)
        if status == "RUNNING":
            self.runs[run_id]["started_at"] = at
            record["started_at"] = at
        return record


class LowercaseReadBack(ReferenceStore):
    def get(self, run_id: str) -> dict[str, Any]:
        record = copy.deepcopy(super().get(run_id))
        record["status"] = record["status"].lower()
        return record


class _RefusesIds(ReferenceStore):
    """Refuses a run_id of some shape: a store with a narrower idea of an id than the schema."""

    refused = staticmethod(lambda run_id: False)

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.refused(record["run_id"]):
            raise ValueError(f"bad run_id {record['run_id'][:20]!r}")
        return super().create(record)


class RefusesEmptyRunId(_RefusesIds):
    refused = staticmethod(lambda run_id: run_id == "")


class RefusesNonAsciiRunId(_RefusesIds):
    refused = staticmethod(lambda run_id: not run_id.isascii())


class RefusesLongRunId(_RefusesIds):
    refused = staticmethod(lambda run_id: len(run_id) > 255)


class RefusesMarkupRunId(_RefusesIds):
    refused = staticmethod(lambda run_id: "<" in run_id)


class EndsOnPause(ReferenceStore):
    """Sets ended_at when a run is paused (and clears it on resume)."""

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        record = super().transition(run_id, status, at, output)
        if status == "PAUSED":
            self.runs[run_id]["ended_at"] = at
            record["ended_at"] = at
        elif status == "RUNNING":
            self.runs[run_id].pop("ended_at", None)
            record.pop("ended_at", None)
        return record


class DropsOutput(ReferenceStore):
    """Takes the output of the completing transition but never stores it."""

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return super().transition(run_id, status, at, None)


class ChangesFunctionId(ReferenceStore):
    """Rewrites function_id when the run starts (a store keying runs by a new version)."""

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        record = super().transition(run_id, status, at, output)
        if status == "RUNNING":
            self.runs[run_id]["function_id"] = record["function_id"] = "fn-v2"
        return record


class Defect(NamedTuple):
    """A planted defect: how to make it, what must fail, and what else may."""

    #: A fresh implementation with the defect.
    make: Callable[[], Any]
    #: The requirement that must fail because of it (its level is the defect's level).
    must_fail: str
    #: Other requirements allowed to fail with it.
    may_fail: frozenset[str] = frozenset()


def _enum_admits(extra: str) -> Defect:
    return Defect(lambda: admits_status(extra), "schema:rejects-not-in-enum:status")


#: Every planted defect, by name.
DEFECTS: dict[str, Defect] = {
    "accepts-unknown-property": Defect(
        lambda: accepts_unknown_property, "schema:rejects-unknown-property"
    ),
    "lowercases-status": Defect(lambda: lowercases_status, "schema:rejects-not-in-enum:status"),
    "accepts-null-optional": Defect(
        lambda: accepts_null_optional,
        "schema:rejects-wrong-type:app_id",
        frozenset(f"schema:rejects-wrong-type:{p}" for p in OPTIONAL),
    ),
    "accepts-non-object-output": Defect(
        lambda: accepts_non_object_output, "schema:rejects-wrong-type:output"
    ),
    "rejects-leap-second": Defect(
        lambda: rejects_leap_second,
        "format:accepts-rfc3339:started_at",
        frozenset({"format:accepts-rfc3339:ended_at"}),
    ),
    "rejects-numeric-offsets": Defect(
        lambda: rejects_numeric_offsets,
        "format:accepts-rfc3339:started_at",
        frozenset({"format:accepts-rfc3339:ended_at"}),
    ),
    # Empty ids are schema-valid but arguable: only the requirements about whole records may
    # fail, never one about another property (status, a date-time).
    "rejects-empty-ids": Defect(
        lambda: rejects_empty_ids,
        "schema:accepts-valid-records",
        frozenset({"schema:accepts-required-only", "schema:accepts-all-optional"}),
    ),
    "admits-skipped": _enum_admits("SKIPPED"),
    "admits-scheduled": _enum_admits("SCHEDULED"),
    "admits-lower-case-cancelled": _enum_admits("cancelled"),
    "admits-failed-title-case": _enum_admits("Failed"),
    "admits-paused-trailing-space": _enum_admits("PAUSED "),
    "accepts-space-separator": Defect(
        lambda: accepts_space_separator,
        "format:rejects-malformed-date-time:started_at",
        frozenset({"format:rejects-malformed-date-time:ended_at"}),
    ),
    "flattens-output": Defect(
        lambda: flattens_output,
        "schema:accepts-valid-records",
        frozenset({"schema:accepts-all-optional"}),
    ),
    "rejects-record-keys-in-output": Defect(
        lambda: rejects_record_keys_in_output,
        "schema:accepts-valid-records",
        frozenset({"schema:accepts-all-optional"}),
    ),
    "allows-completed-to-running": Defect(LeavesCompleted, "lifecycle:terminal-states-absorbing"),
    "allows-queued-to-completed": Defect(SkipsRunning, "lifecycle:rejects-illegal-transitions"),
    "refuses-paused-to-running": Defect(
        CannotResume,
        "lifecycle:accepts-legal-transitions",
        frozenset({"lifecycle:rejects-illegal-transitions"}),
    ),
    "forgets-ended-at-on-failed": Defect(
        ForgetsEndedAtOnFailed, "lifecycle:ended-at-exactly-when-terminal"
    ),
    "overwrites-started-at-on-resume": Defect(
        OverwritesStartedAt, "lifecycle:started-at-never-changes"
    ),
    "refuses-empty-run-id": Defect(RefusesEmptyRunId, "lifecycle:creates-runs"),
    "refuses-non-ascii-run-id": Defect(RefusesNonAsciiRunId, "lifecycle:creates-runs"),
    "refuses-long-run-id": Defect(RefusesLongRunId, "lifecycle:creates-runs"),
    "refuses-markup-run-id": Defect(RefusesMarkupRunId, "lifecycle:creates-runs"),
    "ended-at-on-paused": Defect(EndsOnPause, "lifecycle:ended-at-exactly-when-terminal"),
    "drops-output": Defect(DropsOutput, "lifecycle:keeps-output"),
    "changes-function-id": Defect(ChangesFunctionId, "lifecycle:ids-never-change"),
    "lower-case-status-on-read-back": Defect(
        LowercaseReadBack,
        "lifecycle:returns-current-status",
        frozenset({"lifecycle:returns-valid-records"}),
    ),
}

#: One planted defect of each level and keyword runs by default; the slow suite runs all.
RUN_BY_DEFAULT = frozenset(
    {
        "lowercases-status",
        "accepts-null-optional",
        "rejects-leap-second",
        "accepts-space-separator",
        "allows-queued-to-completed",
        "drops-output",
    }
)
