"""Python implementations for the in-process adapter and the harness, one behaviour each."""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pydantic

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "strategies/data/inngest-run.schema.json"
run_schema_validator = jsonschema.Draft202012Validator(
    json.loads(SCHEMA_PATH.read_text()),
    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
)

STATUSES = ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED")
NEXT = {
    "QUEUED": ("RUNNING", "CANCELLED"),
    "RUNNING": ("PAUSED", "COMPLETED", "FAILED", "CANCELLED"),
    "PAUSED": ("RUNNING", "CANCELLED"),
}


def has_status(record: Any) -> bool:
    return isinstance(record, dict) and "status" in record


def noisy_has_status(record: Any) -> bool:
    print("debug: checking a record")
    return has_status(record)


class Verdict:
    def __init__(self, valid: bool, errors: list[str]) -> None:
        self.valid = valid
        self.errors = errors


def with_verdict(record: Any) -> Verdict:
    ok = has_status(record)
    return Verdict(ok, [] if ok else ["status is missing"])


def raises_value_error(record: Any) -> bool:
    if not has_status(record):
        raise ValueError("status is required")
    return True


def raises_key_error(record: Any) -> bool:
    return record["status"] in STATUSES


def exits(record: Any) -> bool:
    sys.exit(3)


def returns_none(record: Any) -> None:
    return None


def returns_dict(record: Any) -> dict[str, bool]:
    return {"valid": True}


def mutates(record: Any) -> bool:
    if isinstance(record, dict):
        record.clear()
        record["mutated"] = True
    return True


class Namespace:
    @staticmethod
    def check(record: Any) -> bool:
        return has_status(record)


class RunModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    run_id: str
    function_id: str
    status: str


class Store:
    """A small lifecycle store that also validates; ``explode`` in a record crashes it."""

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}

    def validate(self, record: Any) -> bool:
        if isinstance(record, dict) and "explode" in record:
            raise KeyError("status")
        return has_status(record)

    def reset(self) -> None:
        self.runs.clear()

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        if record.get("status") != "QUEUED":
            raise ValueError("a run starts QUEUED")
        if record["run_id"] in self.runs:
            raise ValueError(f"run {record['run_id']!r} exists")
        self.runs[record["run_id"]] = record
        return record

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        run = self.get(run_id)
        if status not in NEXT.get(run["status"], ()):
            raise ValueError(f"cannot go from {run['status']} to {status}")
        run["status"] = status
        if status == "RUNNING" and "started_at" not in run:
            run["started_at"] = at
        if status in ("COMPLETED", "FAILED", "CANCELLED"):
            run["ended_at"] = at
        if output is not None:
            run["output"] = output
        return run

    def get(self, run_id: str) -> dict[str, Any]:
        if run_id not in self.runs:
            raise ValueError(f"no run {run_id!r}")
        return self.runs[run_id]


class StoreWithoutReset:
    """A store class without reset; ``get`` answers None for an unknown run."""

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        self.runs[record["run_id"]] = record
        return record

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self.runs[run_id]["status"] = status
        return self.runs[run_id]

    def get(self, run_id: str) -> dict[str, Any] | None:
        return self.runs.get(run_id)


class ModelStore(StoreWithoutReset):
    """Returns pydantic models rather than dicts."""

    def create(self, record: dict[str, Any]) -> Any:
        super().create(record)
        return RunModel.model_validate(record)


class DatetimeStore(StoreWithoutReset):
    """Returns records holding datetime objects, which cannot cross the wire."""

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(record)
        stored["started_at"] = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        return stored


NOT_AN_IMPLEMENTATION = 42
