"""Tests for :mod:`.strategies._oracle`: format assertion, strict date-times, normalised errors."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from inngest_conformance.strategies import invalid_runs, runs
from inngest_conformance.strategies._invalid import InvalidCase
from inngest_conformance.strategies._oracle import Oracle, OracleError, default_oracle
from inngest_conformance.strategies._schema import default_schema, schema_from_dict
from jsonschema import Draft202012Validator, FormatChecker

BASE = {"run_id": "01HZY8W2Q7", "function_id": "send-email", "status": "QUEUED"}


def with_(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


#: started_at values and whether an RFC 3339 date-time check must accept them.
DATETIMES: dict[str, bool] = {
    "2024-01-05T10:00:00Z": True,
    "2024-01-05T10:00:00.123456Z": True,
    "2024-01-05t10:00:00z": True,
    "2024-01-05t10:00:00Z": True,
    "2024-01-05T10:00:00+05:30": True,
    "2024-01-05T10:00:00-00:00": True,
    "1998-12-31T23:59:60Z": True,
    "1998-12-31T15:59:60.123-08:00": True,
    "2024-02-29T00:00:00Z": True,
    "0000-01-01T00:00:00Z": True,
    "2024-01-05 10:00:00Z": False,
    "2024-01-05T10:00:00+0530": False,
    "2024-01-05T10:00:00": False,
    "2024-01-05": False,
    "2023-02-29T00:00:00Z": False,
    "2024-04-31T00:00:00Z": False,
    "2024-01-05T10:00:60Z": False,
    "2024-01-05T24:00:00Z": False,
    "2024-01-05T10:00:00Z\n": False,
    " 2024-01-05T10:00:00Z": False,
    "2024-01-05T10:00:00.Z": False,
    "2024-01-05T10:00:00,5Z": False,
    "2024-01-05T10:00:00+05": False,
    "2024-01-05T10:00:00 UTC": False,
    "2024-0١-05T10:00:00Z": False,
    "": False,
}


# ---------------------------------------------------------------------------------------
# Format assertion and the strict date-time check
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "ok"), list(DATETIMES.items()))
def test_datetime_table(value: str, ok: bool) -> None:
    oracle = default_oracle()
    for prop in default_schema().datetime_properties:
        record = with_(**{prop: value})
        assert oracle.is_valid(record) is ok
        errors = oracle.errors(record)
        if ok:
            assert errors == []
        else:
            assert [(e.keyword, e.path, e.schema_path) for e in errors] == [
                ("format", f"/{prop}", f"/properties/{prop}/format")
            ]


def test_space_separator_is_a_format_error_at_the_property() -> None:
    errors = default_oracle().errors(with_(started_at="2024-01-05 10:00:00Z"))
    assert len(errors) == 1
    assert errors[0].keyword == "format"
    assert errors[0].path == "/started_at"
    assert "between date and time" in errors[0].message


def test_format_applies_to_strings_only() -> None:
    errors = default_oracle().errors(with_(ended_at=1704448800))
    assert [(e.keyword, e.path) for e in errors] == [("type", "/ended_at")]


def _verdicts(oracle: Oracle) -> dict[str, bool]:
    return {v: oracle.is_valid(with_(started_at=v)) for v in DATETIMES}


@pytest.mark.parametrize("registered", ["accepts-all", "rejects-all", "absent"])
def test_verdicts_do_not_depend_on_the_default_format_checker(
    monkeypatch: pytest.MonkeyPatch, registered: str
) -> None:
    """Whatever python-jsonschema's default format checker does with date-time (it depends
    on whether an optional package is installed), the oracle's verdicts stay the same."""
    if registered == "absent":
        monkeypatch.delitem(FormatChecker.checkers, "date-time", raising=False)
    else:
        verdict = registered == "accepts-all"
        monkeypatch.setitem(FormatChecker.checkers, "date-time", (lambda _: verdict, ()))
    assert _verdicts(Oracle()) == DATETIMES


def test_the_default_format_checker_disagrees_somewhere() -> None:
    """The default checker (with or without rfc3339-validator) differs from the oracle on
    at least one case of the table: the oracle's check is its own."""
    default = Draft202012Validator(dict(default_schema().document), format_checker=FormatChecker())
    theirs = {v: default.is_valid(with_(started_at=v)) for v in DATETIMES}
    assert theirs != DATETIMES
    assert _verdicts(default_oracle()) == DATETIMES


# ---------------------------------------------------------------------------------------
# Normalised errors
# ---------------------------------------------------------------------------------------


def test_valid_record_has_no_errors() -> None:
    record = with_(
        app_id="billing",
        event_id="01HZY8W2Q7XYZ",
        output={"ok": True, "nested": [{"deep": None}]},
        started_at="2024-01-05T10:00:00Z",
        ended_at="2024-01-05T10:00:01.5+00:00",
    )
    assert default_oracle().is_valid(record)
    assert default_oracle().errors(record) == []


def test_two_missing_required_properties_are_two_errors() -> None:
    errors = default_oracle().errors({"status": "RUNNING"})
    assert [(e.keyword, e.path, e.schema_path) for e in errors] == [
        ("required", "/function_id", "/required"),
        ("required", "/run_id", "/required"),
    ]
    assert "'function_id'" in errors[0].message


def test_each_missing_required_property_is_reported_once() -> None:
    errors = default_oracle().errors({})
    assert [(e.keyword, e.path) for e in errors] == [
        ("required", "/function_id"),
        ("required", "/run_id"),
        ("required", "/status"),
    ]


def test_two_unknown_properties_are_two_errors_at_their_own_paths() -> None:
    errors = default_oracle().errors(with_(runId="x", **{"a/b": 1}))
    assert [(e.keyword, e.path, e.schema_path) for e in errors] == [
        ("additionalProperties", "/a~1b", "/additionalProperties"),
        ("additionalProperties", "/runId", "/additionalProperties"),
    ]


def test_empty_property_name_is_located_at_slash() -> None:
    errors = default_oracle().errors(with_(**{"": 1}))
    assert [(e.keyword, e.path) for e in errors] == [("additionalProperties", "/")]


@pytest.mark.parametrize("doc", [None, [], [BASE], "{}", json.dumps(BASE), 1, 0.5, True])
def test_non_object_root_is_one_type_error(doc: Any) -> None:
    errors = default_oracle().errors(doc)
    assert [(e.keyword, e.path, e.schema_path) for e in errors] == [("type", "", "/type")]
    assert not default_oracle().is_valid(doc)


def test_wrong_type_enum_property_fails_type_and_enum() -> None:
    errors = default_oracle().errors(with_(status=5))
    assert {e.path for e in errors} == {"/status"}
    assert sorted(e.keyword for e in errors) == ["enum", "type"]
    assert {e.schema_path for e in errors} == {"/properties/status/type", "/properties/status/enum"}


@pytest.mark.parametrize("status", ["queued", "QUEUED ", "CANCELED", "SCHEDULED", ""])
def test_status_outside_enum(status: str) -> None:
    errors = default_oracle().errors(with_(status=status))
    assert [(e.keyword, e.path) for e in errors] == [("enum", "/status")]


def test_errors_are_sorted_by_path_then_keyword() -> None:
    record = {"status": 5, "zzz": 1, "started_at": "yesterday", "output": []}
    errors = default_oracle().errors(record)
    keys = [(e.path, e.keyword, e.message) for e in errors]
    assert keys == sorted(keys)
    assert {e.path for e in errors} == {
        "/function_id",
        "/run_id",
        "/status",
        "/zzz",
        "/started_at",
        "/output",
    }


def test_messages_are_one_line() -> None:
    cases: list[Any] = [
        with_(started_at="2024-01-05T10:00:00Z\n"),
        with_(started_at="2024-01-05T10:00:00Z\r\n"),
        with_(status="QUEUED\n"),
        with_(**{"evil\nname": 1}),
        {"status": "a\nb"},
        ["line\nbreak", {"nested": "x\ny"}],
        "multi\nline",
    ]
    for case in cases:
        errors = default_oracle().errors(case)
        assert errors
        for e in errors:
            assert "\n" not in e.message
            assert "\r" not in e.message


def test_oracle_error_to_json() -> None:
    e = OracleError("type", "/status", "/properties/status/type", "5 is not of type 'string'")
    assert e.to_json() == {
        "keyword": "type",
        "path": "/status",
        "schema_path": "/properties/status/type",
        "message": "5 is not of type 'string'",
    }


def test_default_oracle_is_built_once_for_the_packaged_schema() -> None:
    assert default_oracle() is default_oracle()
    assert default_oracle().schema == default_schema()
    assert Oracle().schema == default_schema()


def test_oracle_follows_its_schema() -> None:
    doc = copy.deepcopy(dict(default_schema().document))
    doc["additionalProperties"] = True
    doc["properties"]["status"] = {"type": "string", "enum": ["QUEUED", "SCHEDULED"]}
    oracle = Oracle(schema_from_dict(doc))
    assert oracle.is_valid(with_(status="SCHEDULED", anything=[1, 2]))
    assert not default_oracle().is_valid(with_(status="SCHEDULED"))
    assert [(e.keyword, e.path) for e in oracle.errors(with_(status="RUNNING"))] == [
        ("enum", "/status")
    ]


# ---------------------------------------------------------------------------------------
# is_valid and errors agree, on generated data
# ---------------------------------------------------------------------------------------


@settings(max_examples=500, database=None, deadline=None)
@given(runs())
def test_is_valid_agrees_with_errors_on_valid_records(record: dict[str, Any]) -> None:
    assert default_oracle().is_valid(record)
    assert default_oracle().errors(record) == []


@settings(max_examples=500, database=None, deadline=None)
@given(invalid_runs())
def test_is_valid_agrees_with_errors_on_invalid_records(case: InvalidCase) -> None:
    oracle = default_oracle()
    errors = oracle.errors(case.record)
    assert not oracle.is_valid(case.record)
    assert errors
    assert len(errors) == len(set(errors))  # no error reported twice
    for e in errors:
        assert "\n" not in e.message
        assert e.path == "" or e.path.startswith("/")
        assert e.schema_path.startswith("/")
