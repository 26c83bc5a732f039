"""Checks against generators and validators the kit did not write.

hypothesis-jsonschema generates values for each *leaf* subschema of the run schema (never
an object schema: recent Hypothesis versions break its object support), and the oracle
must accept a record carrying any of them; its date-times must pass the kit's own RFC 3339
checker.  Plain python-jsonschema without format checking must agree with the oracle on
every record that does not hinge on a date-time's format.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from inngest_conformance.strategies import invalid_runs, runs
from inngest_conformance.strategies._invalid import InvalidCase
from inngest_conformance.strategies._oracle import default_oracle
from inngest_conformance.strategies._rfc3339 import datetime_error
from inngest_conformance.strategies._schema import default_schema
from jsonschema import Draft202012Validator

BASE = {"run_id": "01HZY8W2Q7", "function_id": "send-email", "status": "QUEUED"}
DATETIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def _leaves() -> dict[str, dict[str, Any]]:
    """Each property's subschema, as the packaged document has it, except object ones."""
    props = default_schema().document["properties"]
    return {name: sub for name, sub in props.items() if sub.get("type") != "object"}


LEAVES = _leaves()


def test_leaves_are_every_property_but_the_object_ones() -> None:
    assert set(LEAVES) == {p.name for p in default_schema().properties} - {"output"}
    assert "object" not in {sub.get("type") for sub in LEAVES.values()}


@pytest.mark.parametrize("name", [*LEAVES, "bare-date-time"])
def test_from_schema_works_on_each_leaf(name: str) -> None:
    sub = LEAVES.get(name, DATETIME)
    drawn: list[Any] = []

    @settings(max_examples=10, database=None, deadline=None)
    @given(from_schema(sub))
    def draw(value: Any) -> None:
        drawn.append(value)

    draw()
    assert drawn
    assert all(Draft202012Validator(sub).is_valid(v) for v in drawn)


@pytest.mark.slow
@settings(max_examples=1500, database=None, deadline=None)
@given(st.data())
def test_oracle_accepts_every_leaf_value(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(LEAVES)), label="property")
    value = data.draw(from_schema(LEAVES[name]), label="value")
    record = {**BASE, name: value}
    assert default_oracle().errors(record) == []


@pytest.mark.slow
@settings(max_examples=1500, database=None, deadline=None)
@given(runs(), st.data())
def test_oracle_accepts_leaf_values_in_generated_records(
    record: dict[str, Any], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(LEAVES)), label="property")
    record = {**record, name: data.draw(from_schema(LEAVES[name]), label="value")}
    assert default_oracle().is_valid(record)


@pytest.mark.slow
@settings(max_examples=1500, database=None, deadline=None)
@given(from_schema(DATETIME))
def test_independent_datetimes_pass_the_rfc3339_check(value: str) -> None:
    assert datetime_error(value) is None


# ---------------------------------------------------------------------------------------
# python-jsonschema without format checking agrees wherever format is not at stake
# ---------------------------------------------------------------------------------------

PLAIN = Draft202012Validator(dict(default_schema().document))


@pytest.mark.slow
@settings(max_examples=1000, database=None, deadline=None)
@given(runs())
def test_plain_jsonschema_accepts_every_valid_record(record: dict[str, Any]) -> None:
    assert PLAIN.is_valid(record)


@pytest.mark.slow
@settings(max_examples=1000, database=None, deadline=None)
@given(invalid_runs(levels=["schema"]))
def test_plain_jsonschema_rejects_every_schema_level_case(case: InvalidCase) -> None:
    assert not PLAIN.is_valid(case.record)
    errors = list(PLAIN.iter_errors(case.record))
    assert case.violation.keyword in {e.validator for e in errors}


@settings(max_examples=500, database=None, deadline=None)
@given(invalid_runs(levels=["format"]))
def test_format_level_cases_are_schema_valid(case: InvalidCase) -> None:
    """A malformed date-time breaks only the format: the rest of the record is fine."""
    assert PLAIN.is_valid(case.record)
    assert not default_oracle().is_valid(case.record)
