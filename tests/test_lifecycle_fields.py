"""The lifecycle level for records shaped differently from the run record.

A lifecycle table's ``fields`` names which property holds the id, the status, the start
and end times and the output.  Two schemas are driven through every lifecycle requirement:
``JOB`` (every part renamed: ``job_id``, a lower-case ``state``, ``start_time``,
``end_time`` and a structured ``result``) and the trace span of ``examples/schemas`` (its
``span_id``, created RUNNING with its start time).  The reference store certifies against
both; a store that breaks one invariant on the renamed properties is blamed for that
invariant alone; programs, statements, the audit and the table's checks speak the
record's own names.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._adapters import follow
from inngest_conformance._audit import audit_file
from inngest_conformance._planning import context
from inngest_conformance._requirements import catalogue, source_requirements
from inngest_conformance.errors import LifecycleError
from inngest_conformance.reference import ReferenceStore, ReferenceValidator
from inngest_conformance.strategies import (
    Fields,
    Oracle,
    RandomSource,
    default_lifecycle,
    lifecycle_from_dict,
    resolve_lifecycle,
    schema_from_dict,
)
from inngest_conformance.strategies._programs import (
    FOCUSES,
    Create,
    Get,
    Transition,
    directed_programs,
    gen_program,
)
from inngest_conformance.strategies._rfc3339 import utc_key

from tests.common import ROOT, certify_obj, run_cli

DRAFT = "https://json-schema.org/draft/2020-12/schema"
STATES = ["queued", "active", "paused", "done", "failed"]

JOB: dict[str, Any] = {
    "$schema": DRAFT,
    "type": "object",
    "additionalProperties": False,
    "required": ["job_id", "queue", "state"],
    "properties": {
        "job_id": {"type": "string", "pattern": "^job_[0-9a-f]{6}$"},
        "queue": {"type": "string", "minLength": 1},
        "state": {"enum": STATES},
        "attempt": {"type": "integer", "minimum": 0},
        "start_time": {"type": "string", "format": "date-time"},
        "end_time": {"type": "string", "format": "date-time"},
        "result": {
            "type": "object",
            "required": ["value"],
            "properties": {"value": {"type": "integer"}, "note": {"type": "string"}},
            "additionalProperties": False,
        },
    },
}

JOB_TABLE: dict[str, Any] = {
    "initial": "queued",
    "terminal": ["done", "failed"],
    "transitions": {
        "queued": ["active", "failed"],
        "active": ["paused", "done", "failed"],
        "paused": ["active", "failed"],
    },
    "fields": {
        "run_id": "job_id",
        "status": "state",
        "started_at": "start_time",
        "ended_at": "end_time",
        "output": "result",
    },
}

SPAN = ROOT / "examples" / "schemas" / "span.schema.json"
SPAN_TABLE = ROOT / "examples" / "schemas" / "span.lifecycle.json"


def job_model() -> Any:
    return resolve_lifecycle(JOB_TABLE, schema_from_dict(JOB))


def job_store() -> ReferenceStore:
    return ReferenceStore(model=job_model(), oracle=Oracle(schema_from_dict(JOB)))


def lifecycle_ids(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in report["requirements"] if r["level"] == "lifecycle"}


# --- the table ---------------------------------------------------------------------------


def test_fields_default_to_the_run_records_names_and_leave_the_packaged_table_as_it_was() -> None:
    model = default_lifecycle()
    assert model.fields == Fields()
    assert model.fields.named() == {
        "run_id": "run_id",
        "status": "status",
        "started_at": "started_at",
        "ended_at": "ended_at",
        "output": "output",
    }
    # No ``fields`` in the canonical table: its hash, named in every report, is unchanged.
    assert "fields" not in model.to_json()
    spelled = lifecycle_from_dict(
        {**model.to_json(), "fields": {"run_id": "run_id"}}, statuses=model.statuses
    )
    assert spelled == model and spelled.sha256 == model.sha256


def test_a_table_names_the_records_own_properties() -> None:
    model = job_model()
    assert model.fields == Fields("job_id", "state", "start_time", "end_time", "result")
    assert model.statuses == tuple(STATES)  # the enum of the property named for the status
    assert model.to_json()["fields"] == JOB_TABLE["fields"]
    assert model.sha256 != lifecycle_from_dict({**JOB_TABLE, "fields": {}}).sha256
    # The default ``absent`` speaks of the renamed properties.
    assert model.absent_in("queued") == ("end_time", "result", "start_time")
    assert model.absent_in("active") == ("end_time", "result")
    # No status is named COMPLETED, so every terminal one may carry the result.
    assert model.absent_in("failed") == model.absent_in("done") == ()


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ("job_id", "fields must map a part of the lifecycle to the property"),
        ({"id": "job_id"}, "unknown part 'id'; the parts are run_id, status, started_at"),
        ({"run_id": ""}, "fields['run_id'], which is not a property name"),
        ({"run_id": 7}, "fields['run_id'], which is not a property name"),
        ({"status": None}, "must name the property that holds the status"),
        ({"started_at": "end_time"}, "property 'end_time' for both started_at and ended_at"),
        ({"output": "outcome"}, "fields['output'] names property 'outcome', which the schema"),
    ],
)
def test_a_wrong_fields_entry_is_refused_naming_it(fields: Any, says: str) -> None:
    merged = {**JOB_TABLE["fields"], **fields} if isinstance(fields, dict) else fields
    table = {**JOB_TABLE, "fields": merged}
    with pytest.raises(LifecycleError) as info:
        resolve_lifecycle(table, schema_from_dict(JOB))
    assert says in str(info.value)
    assert "\n" not in str(info.value)


def test_an_id_that_may_be_an_object_is_refused() -> None:
    schema = {**JOB, "properties": {**JOB["properties"], "job_id": {"type": ["string", "object"]}}}
    with pytest.raises(LifecycleError) as info:
        resolve_lifecycle(JOB_TABLE, schema_from_dict(schema))
    assert "property 'job_id', may hold string, object; an id must be a string" in str(info.value)


def test_statuses_are_checked_against_the_enum_of_the_named_status_property() -> None:
    upper = {**JOB_TABLE, "initial": "QUEUED"}
    with pytest.raises(LifecycleError) as info:
        resolve_lifecycle(upper, schema_from_dict(JOB))
    assert "'QUEUED' in initial, which the schema's enum does not have" in str(info.value)
    assert "queued, active, paused, done, failed" in str(info.value)


def test_a_record_without_an_output_property_may_say_so() -> None:
    table = {**JOB_TABLE, "fields": {**JOB_TABLE["fields"], "output": None}}
    model = resolve_lifecycle(table, schema_from_dict(JOB))
    assert model.fields.output is None
    ids = {
        r.id
        for r in catalogue(schema_from_dict(JOB), model=model, role="lifecycle")
        if r.level == "lifecycle"
    }
    assert "lifecycle:keeps-output" not in ids and len(ids) == 11
    assert model.absent_in("queued") == ("end_time", "start_time")


# --- the catalogue -----------------------------------------------------------------------


def test_every_lifecycle_requirement_applies_and_speaks_the_records_names() -> None:
    reqs = [
        r
        for r in catalogue(schema_from_dict(JOB), model=job_model(), role="lifecycle")
        if r.level == "lifecycle"
    ]
    statements = {r.id: r.statement for r in reqs}
    assert len(statements) == 12
    assert statements["lifecycle:started-at-never-changes"] == "never changes start_time once set"
    assert statements["lifecycle:ended-at-not-before-started-at"] == (
        "never has end_time before start_time"
    )
    assert "keeps the result given" in statements["lifecycle:keeps-output"]
    assert "returns the state of the last" in statements["lifecycle:returns-current-status"]
    # The ids are the kit's, whatever the record calls its properties.
    default = [r for r in catalogue(context().schema, role="lifecycle") if r.level == "lifecycle"]
    assert [r.id for r in reqs] == [r.id for r in default]
    source = {r.id: r.statement for r in source_requirements(job_model())}
    assert "end_time" in source["source:ended-at-exactly-when-terminal"]


def test_a_span_has_lifecycle_requirements_only_with_a_table() -> None:
    without = context(SPAN)
    assert not [r for r in catalogue(without.schema, model=without.model) if r.kind == "lifecycle"]
    ctx = context(SPAN, SPAN_TABLE)
    ids = [
        r.id
        for r in catalogue(ctx.schema, model=ctx.model, role="lifecycle")
        if r.level == "lifecycle"
    ]
    # No output property; a span is created RUNNING with its start time, so the rule that
    # the initial status has none does not apply.
    assert "lifecycle:keeps-output" not in ids
    assert "lifecycle:no-started-at-while-initial" not in ids
    assert "source:no-started-at-while-initial" not in {
        r.id for r in source_requirements(ctx.model)
    }
    assert len(ids) == 10


# --- programs ----------------------------------------------------------------------------


def _check_program(program: list[Any], oracle: Oracle, model: Any) -> None:
    fields = model.fields
    ids: set[Any] = set()
    for op in program:
        if isinstance(op, Create):
            record = op.record
            assert oracle.is_valid(record), (record, oracle.errors(record))
            assert record[fields.status] == model.initial
            assert record[fields.run_id] not in ids
            ids.add(record[fields.run_id])
            assert fields.ended_at not in record
            for absent in model.absent_in(model.initial):
                assert absent not in record
        elif isinstance(op, Transition):
            assert op.run_id in ids
            assert op.status in model.statuses
            if op.output is not None:
                assert fields.output is not None
                # The output is a value of the record's output property.
                holder = {
                    fields.run_id: "job_000000",
                    "queue": "q",
                    fields.status: "done",
                    fields.output: op.output,
                }
                assert oracle.is_valid(holder), (op.output, oracle.errors(holder))
        else:
            assert isinstance(op, Get) and op.run_id in ids


def test_programs_create_valid_unique_records_and_pass_valid_outputs() -> None:
    """Over 1,500 programs: created records pass the oracle in the initial state under the
    record's own names, ids are unique even from a six-hex-digit pattern, outputs are
    values of the structured ``result``."""
    schema, model = schema_from_dict(JOB), job_model()
    oracle = Oracle(schema)
    outputs = 0
    for seed in range(300):
        for focus in FOCUSES:
            program = gen_program(RandomSource(seed), schema, model, focus=focus, max_runs=6)
            _check_program(program, oracle, model)
            outputs += sum(isinstance(op, Transition) and op.output is not None for op in program)
    assert outputs > 100
    for focus in FOCUSES:
        for program in directed_programs(schema, model, focus=focus):
            _check_program(program, oracle, model)


def test_a_span_is_created_with_its_start_time_before_every_later_transition() -> None:
    ctx = context(SPAN, SPAN_TABLE)
    started = 0
    for seed in range(200):
        program = gen_program(RandomSource(seed), ctx.schema, ctx.model, focus="terminal")
        _check_program(program, ctx.oracle, ctx.model)
        starts = {
            op.record["span_id"]: op.record["started_at"]
            for op in program
            if isinstance(op, Create) and "started_at" in op.record
        }
        started += len(starts)
        for op in program:
            if isinstance(op, Transition) and op.run_id in starts:
                assert utc_key(op.at) >= utc_key(starts[op.run_id])
    assert started > 50


# --- whole runs --------------------------------------------------------------------------


def test_the_reference_store_certifies_against_the_job_schema() -> None:
    ctx = context(JOB, JOB_TABLE)
    report = certify_obj(job_store(), ctx=ctx, role="lifecycle", profile="quick")
    assert report["verdict"] == "conformant"
    assert set(lifecycle_ids(report).values()) == {"passed"}
    assert len(lifecycle_ids(report)) == 12


class _Planted(ReferenceStore):
    """The reference store on the job schema, with one thing wrong."""

    def __init__(self) -> None:
        super().__init__(model=job_model(), oracle=Oracle(schema_from_dict(JOB)))


class RestartsStartTime(_Planted):
    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> Any:
        record = super().transition(run_id, status, at, output)
        if status == "active":
            self.runs[run_id]["start_time"] = record["start_time"] = at
        return record


class EndsWhenPaused(_Planted):
    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> Any:
        record = super().transition(run_id, status, at, output)
        if status == "paused":
            self.runs[run_id]["end_time"] = record["end_time"] = at
        elif status == "active":
            self.runs[run_id].pop("end_time", None)
            record.pop("end_time", None)
        return record


class DropsResult(_Planted):
    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> Any:
        return super().transition(run_id, status, at, None)


class EndsAtTheEpoch(_Planted):
    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> Any:
        record = super().transition(run_id, status, at, output)
        if "end_time" in record:
            self.runs[run_id]["end_time"] = record["end_time"] = "2000-01-01T00:00:00Z"
        return record


class RenumbersJobs(_Planted):
    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> Any:
        record = copy.deepcopy(super().transition(run_id, status, at, output))
        record["job_id"] = "job_ffffff" if record["job_id"] != "job_ffffff" else "job_000000"
        return record


class ForgetsState(_Planted):
    def get(self, run_id: str) -> dict[str, Any]:
        record = super().get(run_id)
        record["state"] = "queued"
        return record


class ReopensDone(_Planted):
    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> Any:
        run = self._run(run_id)
        if run["state"] == "done" and status == "active":
            run["state"] = "active"
            run.pop("end_time", None)
            return copy.deepcopy(run)
        return super().transition(run_id, status, at, output)


class StartsWhenQueued(_Planted):
    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        stored = super().create(record)
        self.runs[stored["job_id"]]["start_time"] = stored["start_time"] = "2019-01-01T00:00:00Z"
        return stored


PLANTED = [
    (RestartsStartTime, "lifecycle:started-at-never-changes"),
    (EndsWhenPaused, "lifecycle:ended-at-exactly-when-terminal"),
    (DropsResult, "lifecycle:keeps-output"),
    (EndsAtTheEpoch, "lifecycle:ended-at-not-before-started-at"),
    (RenumbersJobs, "lifecycle:ids-never-change"),
    (ForgetsState, "lifecycle:returns-current-status"),
    (ReopensDone, "lifecycle:terminal-states-absorbing"),
    (StartsWhenQueued, "lifecycle:no-started-at-while-initial"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("store", "blamed"), PLANTED, ids=[p[0].__name__ for p in PLANTED])
def test_a_store_breaking_one_invariant_on_renamed_properties_is_blamed_for_it_alone(
    store: type[_Planted], blamed: str
) -> None:
    report = certify_obj(store(), ctx=context(JOB, JOB_TABLE), role="lifecycle", profile="quick")
    outcomes = lifecycle_ids(report)
    assert {rid for rid, outcome in outcomes.items() if outcome != "passed"} == {blamed}
    row = next(r for r in report["requirements"] if r["id"] == blamed)
    # The counterexample is a program over the job's own properties.
    created = next(op["record"] for op in row["counterexample"] if op["op"] == "create")
    assert "job_id" in created and created["state"] == "queued"
    # Each failure's kind is the step it stands for, found by the job's own id.
    for failure in row["failures"]:
        kind = failure["kind"]
        assert kind == "create" or kind.split("->")[0] in STATES, kind


@pytest.mark.slow
def test_the_command_line_follows_a_table_into_the_reference_store(tmp_path: Path) -> None:
    """``--lifecycle`` reaches the reference store (its ``for_lifecycle``), as ``--schema``
    does (its ``for_schema``): the span certifies through both hooks."""
    result = run_cli(
        tmp_path,
        "certify",
        "--target",
        "inngest_conformance.reference:store",
        "--schema",
        str(SPAN),
        "--lifecycle",
        str(SPAN_TABLE),
        "--role",
        "lifecycle",
        "--profile",
        "quick",
        "--report-dir",
        "out",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert len(lifecycle_ids(report)) == 10
    assert set(lifecycle_ids(report).values()) == {"passed"}


def test_following_a_schema_and_a_table_keeps_a_subclass_what_it_is(tmp_path: Path) -> None:
    """A store built on the reference (a planted defect, a user's variant) stays itself when
    ``--schema`` and ``--lifecycle`` are followed: only its schema and table change."""
    (tmp_path / "job.json").write_text(json.dumps(JOB))
    (tmp_path / "table.json").write_text(json.dumps(JOB_TABLE))
    store = DropsResult()
    store.runs["left"] = {}
    followed = follow(store, str(tmp_path / "job.json"), str(tmp_path / "table.json"))
    assert type(followed) is DropsResult and followed is not store
    assert isinstance(followed, DropsResult)
    assert followed.model == job_model() and followed.runs == {}
    assert followed.oracle.schema == schema_from_dict(JOB)
    assert store.runs == {"left": {}}  # the original is untouched

    class Strict(ReferenceValidator):
        pass

    judged = follow(Strict(), str(tmp_path / "job.json"))
    assert type(judged) is Strict
    assert judged(
        {"job_id": "job_00000a", "queue": "q", "state": "queued"}  # a job, not a run
    ).valid


def test_audit_groups_and_judges_records_by_the_named_properties(tmp_path: Path) -> None:
    base = {"queue": "q"}
    lines = [
        {**base, "job_id": "job_00000a", "state": "queued"},
        {**base, "job_id": "job_00000a", "state": "active", "start_time": "2026-01-01T00:00:00Z"},
        # Done, but no end_time; and a start that moved.
        {**base, "job_id": "job_00000a", "state": "done", "start_time": "2026-01-01T00:00:05Z"},
        {**base, "job_id": "job_00000b", "state": "queued"},
        {
            **base,
            "job_id": "job_00000b",
            "state": "failed",
            "end_time": "2026-01-02T00:00:00Z",
        },
        # Back out of a terminal state.
        {**base, "job_id": "job_00000b", "state": "active", "start_time": "2026-01-03T00:00:00Z"},
    ]
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    cert = audit_file(context(JOB, JOB_TABLE), str(path))
    outcomes = {r["id"]: r for r in cert.report["requirements"]}
    failed = {rid for rid, row in outcomes.items() if row["outcome"] == "failed"}
    assert failed == {
        "source:statuses-follow-lifecycle",
        "source:started-at-never-changes",
        "source:ended-at-exactly-when-terminal",
    }
    assert "job_00000b" in outcomes["source:statuses-follow-lifecycle"]["message"]
    assert "changed start_time" in outcomes["source:started-at-never-changes"]["message"]
    assert (
        "has no end_time while done" in outcomes["source:ended-at-exactly-when-terminal"]["message"]
    )
