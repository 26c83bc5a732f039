"""Record profiles: the packaged schemas and tables of the records Inngest's APIs return.

Each schema is checked field by field against the facts read in Inngest's own files (the
``$comment`` of each schema cites them; the facts are repeated here as data, so a schema
edit that drifts from its source fails a test), the reference certifies against each by
name, and the records the OpenAPI documents describe are valid under their profile.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from inngest_conformance.strategies import (
    MAPPINGS,
    RECORD_PROFILES,
    default_lifecycle,
    default_schema,
    mapped_runs,
    resolve_lifecycle,
    resolve_schema,
    runs,
)
from inngest_conformance.strategies._mappings import V1_TO_DESIGN_CARD_STATUS
from jsonschema import Draft202012Validator, FormatChecker

from tests.common import REFERENCE, run_cli

pytest_plugins = ["pytester"]

V1, V2 = RECORD_PROFILES["inngest-v1"], RECORD_PROFILES["inngest-v2"]

# docs/openapi/v3/api/v1/spec.yaml (61eda1a9): the run object of GET /v1/runs/{runID}.
V1_REQUIRED = {
    "run_id",
    "run_started_at",
    "status",
    "function_id",
    "function_version",
    "environment_id",
}
V1_NULLABLE_STRINGS = {"ended_at", "event_id", "batch_id", "original_run_id", "cron"}
V1_OPENAPI_STATUSES = {"Running", "Completed", "Failed", "Cancelled"}
# pkg/enums/run_status.go (076c833c): enumer -trimprefix=RunStatus, and RunStatusEnded.
GO_RUN_STATUSES = {
    "Running",
    "Completed",
    "Failed",
    "Cancelled",
    "Overflowed",
    "Scheduled",
    "Unknown",
    "Skipped",
}
GO_RUN_STATUS_ENDED = {"Cancelled", "Completed", "Failed", "Overflowed", "Skipped"}
# pkg/api/v2/endpoints_runs.go (0343318c): toFunctionRunStatus, prefixes stripped.
V2_STATUSES = {
    "QUEUED",
    "RUNNING",
    "PAUSED",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "SKIPPED",
    "UNKNOWN",
}

#: A v1 run as GET /v1/runs/{runID} describes it (the OpenAPI gives no example response).
V1_RUN = {
    "run_id": "01HE8AM9DPK9N37V1RKY1DNQF5",
    "run_started_at": "2024-01-20T14:22:33.123Z",
    "ended_at": None,
    "status": "Running",
    "output": None,
    "function_id": "9f3c7e2a-1c4b-4d8e-9a8f-0b7e6d5c4a31",
    "function_version": 3,
    "environment_id": "b1f0f8e2-6a8d-4f3b-9c2e-7d5a4b3c2e10",
    "event_id": "01HE8AM9DP0000000000000000",
    "batch_id": None,
    "original_run_id": None,
    "cron": None,
}
#: A v2 run as GET /runs/{runId} describes it (v2.json gives no example response either).
V2_RUN = {
    "id": "01HE8AM9DPK9N37V1RKY1DNQF5",
    "function": {"id": "send-welcome-email", "name": "Send welcome email"},
    "app": {"id": "my-app"},
    "status": "COMPLETED",
    "queuedAt": "2024-01-20T14:22:33.123Z",
    "startedAt": "2024-01-20T14:22:33.456Z",
    "endedAt": "2024-01-20T14:22:35Z",
    "durationMs": "1544",
    "output": {"data": "sent"},
    "trigger": {"eventIds": ["01HE8AM9DP0000000000000000"], "eventName": "user/created"},
}


def _validator(document: dict[str, Any]) -> Draft202012Validator:
    # Every format but date-time: python-jsonschema checks it only with rfc3339-validator
    # installed, which refuses some valid instants (year 0000, a leap second); the kit's
    # RFC 3339 reading is held to the RFC by the format tests.
    checker = FormatChecker()
    checker.checkers.pop("date-time", None)
    return Draft202012Validator(document, format_checker=checker)


def test_the_v1_profile_has_the_openapi_fields_and_the_go_enum() -> None:
    document = V1.document()
    props = document["properties"]
    assert set(document["required"]) == V1_REQUIRED
    assert document.get("additionalProperties", True) is True  # the OpenAPI states none
    assert set(props["status"]["enum"]) == GO_RUN_STATUSES >= V1_OPENAPI_STATUSES
    for name in V1_NULLABLE_STRINGS:
        assert props[name]["type"] == ["string", "null"], name
    assert props["run_started_at"] == {**props["run_started_at"], "format": "date-time"}
    assert set(props["output"]["type"]) == {
        "object",
        "array",
        "number",
        "string",
        "boolean",
        "null",
    }
    assert props["function_version"]["type"] == "integer"
    model = V1.lifecycle()
    assert model.terminal == GO_RUN_STATUS_ENDED
    assert model.unused == ("Unknown",)
    assert model.fields.started_at == "run_started_at"


def test_the_v2_profile_has_the_converter_s_statuses_and_shapes() -> None:
    document = V2.document()
    props = document["properties"]
    assert set(props["status"]["enum"]) == V2_STATUSES
    assert not any(s.startswith("FUNCTION_RUN_STATUS_") for s in props["status"]["enum"])
    assert props["output"] == {"type": "object"}
    check = _validator(document)
    # uint64 as protobuf JSON writes it: a decimal string, never a number.
    for good in ("0", "1544", "18446744073709551615"):
        assert check.is_valid({**V2_RUN, "durationMs": good}), good
    for bad in (1544, "-1", "1.5", "01", ""):
        assert not check.is_valid({**V2_RUN, "durationMs": bad}), bad
    # jsonToStruct: a non-object output arrives wrapped as {"data": value}.
    assert check.is_valid({**V2_RUN, "output": {"data": [1, 2]}})
    assert not check.is_valid({**V2_RUN, "output": [1, 2]})
    model = V2.lifecycle()
    assert model.fields.run_id == "id" and model.fields.started_at == "startedAt"
    assert model.terminal == {"COMPLETED", "FAILED", "CANCELLED", "SKIPPED"}


@pytest.mark.parametrize(
    ("profile", "record"), [("inngest-v1", V1_RUN), ("inngest-v2", V2_RUN)], ids=["v1", "v2"]
)
def test_records_the_api_documents_describe_are_valid_under_their_profile(
    profile: str, record: dict[str, Any]
) -> None:
    schema = resolve_schema(profile)
    assert _validator(dict(schema.document)).is_valid(record)
    assert not _validator(dict(default_schema().document)).is_valid(record)


def test_the_design_card_profile_is_the_default() -> None:
    assert resolve_schema("design-card") == default_schema()
    assert resolve_lifecycle("design-card") == default_lifecycle(schema=default_schema())


def test_a_profile_s_schema_brings_its_table_by_name_or_by_path() -> None:
    assert resolve_lifecycle(None, resolve_schema("inngest-v2")) == V2.lifecycle()
    assert resolve_lifecycle("inngest-v2", resolve_schema("inngest-v2")) == V2.lifecycle()
    packaged = Path(__file__).parent.parent / "strategies" / V2.schema_file
    assert resolve_lifecycle(None, resolve_schema(packaged)) == V2.lifecycle()


def test_a_file_named_like_a_profile_is_reached_by_its_path(tmp_path: Path) -> None:
    document = {**V1.document(), "title": "Mine"}
    (tmp_path / "inngest-v1").write_text(json.dumps(document))
    assert resolve_schema(tmp_path / "inngest-v1").title == "Mine"
    assert resolve_schema("inngest-v1").title == "InngestRunV1"


@pytest.mark.parametrize("name", ["inngest-v1", "inngest-v2"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_generated_record_is_valid_under_an_independent_check(
    name: str, data: st.DataObject
) -> None:
    record = data.draw(runs(name))
    assert _validator(RECORD_PROFILES[name].document()).is_valid(record)


def test_certify_by_profile_name_judges_against_the_profile(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path,
        "certify",
        "--target",
        "inngest_conformance.reference:store",
        "--role",
        "lifecycle",
        "--profile",
        "quick",
        "--schema",
        "inngest-v2",
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["schema"]["title"] == "InngestRunV2"
    assert report["lifecycle_model"]["sha256"] == V2.lifecycle().sha256


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RECORD_PROFILES))
@pytest.mark.parametrize("role", ["validator", "lifecycle"])
def test_the_reference_certifies_against_every_profile(
    tmp_path: Path, name: str, role: str
) -> None:
    target = REFERENCE if role == "validator" else "inngest_conformance.reference:store"
    done = run_cli(
        tmp_path, "certify", "--target", target, "--role", role, "--profile", "quick",
        "--schema", name, "--report-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: conformant" in done.stdout


# --- audit: what an API returns ---------------------------------------------------------

V1_DONE = {**V1_RUN, "status": "Completed", "ended_at": "2024-01-20T14:22:35Z", "output": [1]}


def _responses(tmp_path: Path) -> Path:
    """GET /v1/runs/{runID} twice (running, then done) and GET /v1/events/{id}/runs once,
    as curl saves them, one response a line."""
    metadata = {"fetchedAt": "2024-01-20T14:22:34Z", "cachedUntil": None}
    lines = [
        {"data": V1_RUN, "metadata": metadata},
        {"data": V1_DONE, "metadata": metadata},
        {"data": [V1_DONE], "metadata": metadata},
    ]
    path = tmp_path / "responses.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_audit_reads_api_responses_and_says_what_it_judged_against(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path, "audit", str(_responses(tmp_path)), "--schema", "inngest-v1",
        "--report-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"judged against record profile inngest-v1: {V1.title}\n")
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["audited"] == {"records": 3, "runs": 1, "transitions": 1}


def test_audit_names_the_profile_failing_records_fit(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path, "audit", str(_responses(tmp_path)), "--report-dir", str(tmp_path / "r")
    )
    assert done.returncode == 1
    assert (
        "note: 3 record(s) failing the schema fit record profile inngest-v1 "
        "(status \"Running\" is inngest-v1's spelling; run_started_at is inngest-v1's start "
        "time; line 1, 2, 3): audit them with --schema inngest-v1\n"
    ) in done.stdout


def test_a_v2_record_audited_as_v1_is_named_v2_by_its_id_and_times() -> None:
    from inngest_conformance._audit import differences
    from inngest_conformance._planning import context

    assert differences(V2_RUN, context("inngest-v1"), V2) == (
        "status \"COMPLETED\" is inngest-v2's spelling; id is inngest-v2's run id; "
        "startedAt is inngest-v2's start time; endedAt is inngest-v2's end time"
    )


@given(records=st.lists(st.dictionaries(st.sampled_from(["run_id", "x"]), st.integers())))
def test_a_response_an_array_and_bare_lines_hold_the_same_records(
    records: list[dict[str, Any]],
) -> None:
    from inngest_conformance._audit import unwrapped

    schema = default_schema()
    bare = list(unwrapped([(1, r) for r in records], schema))
    assert [r for _, r in bare] == records
    assert list(unwrapped([(1, records)], schema)) == bare
    assert list(unwrapped([(1, {"data": records, "metadata": {}})], schema)) == bare
    if records:
        one = {"data": records[0], "metadata": {}, "page": {"hasMore": False}}
        assert list(unwrapped([(1, one)], schema)) == bare[:1]


def test_a_record_with_its_own_data_property_is_not_taken_for_a_response() -> None:
    from inngest_conformance._audit import unwrapped
    from inngest_conformance.strategies import schema_from_dict

    schema = schema_from_dict({"type": "object", "properties": {"data": {"type": "object"}}})
    record = {"data": {"a": 1}}
    assert list(unwrapped([(1, record)], schema)) == [(1, record)]


def test_the_plugin_takes_a_profile_s_name(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--conformance-target", REFERENCE, "--conformance-schema", "inngest-v2",
        "--collect-only", "-q",
    )  # fmt: skip
    assert result.ret == 0
    listed = {line for line in result.stdout.lines if line.startswith("inngest-conformance::")}
    assert "inngest-conformance::schema:rejects-missing-required:queuedAt" in listed
    assert not any(line.endswith(":run_id") for line in listed)


# --- mappings between profiles ----------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(pair=mapped_runs("inngest-v1", "design-card"))
def test_every_image_is_a_valid_design_card_record(pair: tuple[dict[str, Any], Any]) -> None:
    record, image = pair
    assert _validator(V1.document()).is_valid(record)
    assert _validator(dict(default_schema().document)).is_valid(image)
    assert image["run_id"] == record["run_id"]
    assert V1_TO_DESIGN_CARD_STATUS[record["status"]] == image["status"]


def test_the_mapping_is_total_where_it_is_drawn_and_says_where_not() -> None:
    image = MAPPINGS[("inngest-v1", "design-card")].image
    assert image(V1_RUN) == {
        "run_id": V1_RUN["run_id"],
        "function_id": V1_RUN["function_id"],
        "status": "RUNNING",
        "event_id": V1_RUN["event_id"],
        "started_at": V1_RUN["run_started_at"],
    }
    assert image({**V1_RUN, "status": "Skipped"}) is None
    assert image({**V1_RUN, "status": "Unknown"}) is None
    assert image({**V1_RUN, "output": [1]}) is None
    assert "started_at" not in (image({**V1_RUN, "status": "Scheduled"}) or {"started_at": 1})


def test_a_converter_that_keeps_v1_s_spelling_is_caught() -> None:
    def convert(record: dict[str, Any]) -> dict[str, Any]:
        out = MAPPINGS[("inngest-v1", "design-card")].image(record) or {}
        return {**out, "status": str(record["status"])}  # forgets to map the status

    @settings(max_examples=50, deadline=None, database=None, phases=[Phase.generate])
    @given(pair=mapped_runs("inngest-v1", "design-card"))
    def check(pair: tuple[dict[str, Any], Any]) -> None:
        assert convert(pair[0]) == pair[1]

    with pytest.raises(AssertionError):
        check()


def test_an_unknown_mapping_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidArgument, match="inngest-v1 -> design-card"):
        mapped_runs("inngest-v2", "design-card")
