"""Tests for :mod:`.strategies._invalid` and ``invalid_runs()``: every case is invalid for
exactly the labelled reason, and every kind of case turns up."""

from __future__ import annotations

import copy
import importlib.resources
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument
from inngest_conformance._encode import pointer
from inngest_conformance.strategies import invalid_runs
from inngest_conformance.strategies._invalid import (
    LEVELS,
    OPERATORS,
    PLATFORM_SPELLINGS,
    InvalidCase,
    Target,
    Violation,
    apply_target,
    gen_invalid,
    label_holds,
    malformation_names,
    targets,
)
from inngest_conformance.strategies._malformed_datetimes import MALFORMATIONS
from inngest_conformance.strategies._oracle import Oracle, default_oracle
from inngest_conformance.strategies._schema import (
    JSON_TYPES,
    RunSchema,
    default_schema,
    schema_from_dict,
)
from inngest_conformance.strategies._source import RandomSource

MANY = settings(max_examples=1500, database=None, deadline=None)
SOME = settings(max_examples=300, database=None, deadline=None)

ENUM_FAMILIES = ("case", "whitespace", "platform", "look-alike", "other")
NOT_AN_OBJECT_KINDS = ("null", "array", "string", "json-string", "integer", "boolean", "number")


def document() -> dict[str, Any]:
    text = importlib.resources.files("inngest_conformance.strategies").joinpath(
        "data/inngest-run.schema.json"
    )
    return copy.deepcopy(json.loads(text.read_text()))


def resolve(doc: Any, ptr: str) -> Any:
    """The value at JSON pointer ``ptr`` in ``doc``; KeyError/IndexError if there is none."""
    if ptr == "":
        return doc
    assert ptr.startswith("/"), ptr
    for raw in ptr[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def cases(n: int, schema: RunSchema | None = None, seed: int = 0) -> Iterator[InvalidCase]:
    """``n`` raw, unfiltered cases from one seeded source."""
    src = RandomSource(seed)
    s = schema or default_schema()
    for _ in range(n):
        yield gen_invalid(src, s)


def check_case(case: InvalidCase, schema: RunSchema, oracle: Oracle) -> None:
    """Everything a case promises: the label holds and its fields are consistent."""
    v = case.violation
    assert label_holds(oracle, case), (v, oracle.errors(case.record), case.record)
    op = OPERATORS[v.rule]
    assert v.keyword == op.keyword
    assert v.level == op.level
    assert v.level in LEVELS
    assert (v.level == "format") == (v.rule == "malformed-date-time")
    if v.rule == "not-an-object":
        assert v.path == ""
        assert v.property is None
        assert not isinstance(case.record, dict)
        assert v.detail in NOT_AN_OBJECT_KINDS
    elif v.rule == "unknown-property":
        assert v.property is None
        assert isinstance(case.record, dict)
        extra = [k for k in case.record if not schema.has(k)]
        assert len(extra) == 1
        assert v.path == pointer(extra[0])
    else:
        assert v.property is not None
        assert schema.has(v.property)
        assert v.path == pointer(v.property)
        assert isinstance(case.record, dict)
        assert (v.property in case.record) == (v.rule != "missing-required")
    # The schema path resolves in the schema document, at the labelled keyword.
    assert v.schema_path.rsplit("/", 1)[-1] == v.keyword
    resolve(schema.document, v.schema_path)
    # And the oracle reports that very keyword there.
    assert any(
        e.keyword == v.keyword and e.schema_path == v.schema_path and e.path == v.path
        for e in oracle.errors(case.record)
    )


# ---------------------------------------------------------------------------------------
# Every case fails for exactly its label
# ---------------------------------------------------------------------------------------


@MANY
@given(invalid_runs())
def test_invalid_runs_fail_for_their_label(case: InvalidCase) -> None:
    check_case(case, default_schema(), default_oracle())


@pytest.mark.slow
def test_raw_generator_label_holds_for_thousands_of_seeds() -> None:
    schema, oracle = default_schema(), default_oracle()
    for seed in range(5000):
        check_case(gen_invalid(RandomSource(seed), schema), schema, oracle)


def test_every_target_holds_for_many_seeds() -> None:
    schema, oracle = default_schema(), default_oracle()
    for target in targets(schema):
        for seed in range(200):
            case = apply_target(RandomSource(seed), schema, target)
            assert case.violation.rule == target.rule
            if target.property is not None:
                assert case.violation.property == target.property
            check_case(case, schema, oracle)


def test_not_an_object_documents() -> None:
    target = Target("not-an-object", None)
    schema, oracle = default_schema(), default_oracle()
    for seed in range(300):
        case = apply_target(RandomSource(seed), schema, target)
        errors = oracle.errors(case.record)
        assert [(e.keyword, e.path) for e in errors] == [("type", "")]
        if case.violation.detail == "json-string":
            assert isinstance(json.loads(case.record), dict)


def test_unknown_property_value_is_otherwise_valid() -> None:
    """The unknown property is the only thing wrong: dropping it gives a valid record."""
    schema, oracle = default_schema(), default_oracle()
    for seed in range(500):
        case = apply_target(RandomSource(seed), schema, Target("unknown-property", None))
        record = {k: v for k, v in case.record.items() if schema.has(k)}
        assert oracle.is_valid(record)


@pytest.mark.parametrize("level", LEVELS)
def test_levels_filter(level: str) -> None:
    schema, oracle = default_schema(), default_oracle()
    among = targets(schema, levels=[level])
    assert among
    for seed in range(300):
        case = gen_invalid(RandomSource(seed), schema, among=among)
        assert case.violation.level == level
        check_case(case, schema, oracle)


@SOME
@given(invalid_runs(rules=["not-in-enum", "wrong-type"], properties=["status"]))
def test_invalid_runs_narrowed(case: InvalidCase) -> None:
    assert case.violation.rule in ("not-in-enum", "wrong-type")
    assert case.violation.property == "status"
    assert label_holds(default_oracle(), case)


@SOME
@given(invalid_runs(levels=["format"]))
def test_invalid_runs_format_level(case: InvalidCase) -> None:
    assert case.violation.rule == "malformed-date-time"
    assert case.violation.detail in MALFORMATIONS
    assert label_holds(default_oracle(), case)


# ---------------------------------------------------------------------------------------
# Coverage within a fixed budget
# ---------------------------------------------------------------------------------------


def test_coverage_within_budget() -> None:
    schema = default_schema()
    seen_targets: set[str] = set()
    details: dict[str, set[str]] = {}
    wrong_types: dict[str, set[str]] = {}
    for case in cases(4000, seed=1):
        v = case.violation
        seen_targets.add(Target(v.rule, v.property).name)
        details.setdefault(v.rule, set()).add(v.detail)
        if v.rule == "wrong-type":
            assert v.property is not None
            wrong_types.setdefault(v.property, set()).add(v.detail)
    assert seen_targets == {t.name for t in targets(schema)}
    assert details["not-in-enum"] == set(ENUM_FAMILIES)
    assert details["malformed-date-time"] == set(MALFORMATIONS)
    assert details["unknown-property"] == {"near-miss", "unrelated"}
    assert details["not-an-object"] == set(NOT_AN_OBJECT_KINDS)
    assert details["missing-required"] == {"absent"}
    for spec in schema.properties:
        expected = {k for k in JSON_TYPES if k not in spec.types}
        if "number" in spec.types:
            expected.discard("integer")
        assert wrong_types[spec.name] == expected, spec.name
        assert "null" in wrong_types[spec.name]


def test_malformations_appear_in_each_datetime_property() -> None:
    schema = default_schema()
    for name in schema.datetime_properties:
        among = [Target("malformed-date-time", name)]
        src = RandomSource(2)
        seen = {gen_invalid(src, schema, among=among).violation.detail for _ in range(1500)}
        assert seen == set(MALFORMATIONS), name


def test_enum_variants_cover_the_platform_spellings_and_near_names() -> None:
    values = Counter[str]()
    src, schema = RandomSource(8), default_schema()
    for _ in range(3000):  # the not-in-enum operator alone: about 1 case in 240 is "QUEUED "
        case = gen_invalid(src, schema, among=(Target("not-in-enum", "status"),))
        values[case.record["status"]] += 1
    assert {"queued", "Running", "CANCELED", "SKIPPED", "QUEUED "} <= set(values)
    assert any("\u200b" in v or "\u00a0" in v for v in values)
    assert any(any(ord(c) > 0x7F for c in v) and v.strip() == v for v in values)


def test_unknown_property_names() -> None:
    names = Counter[str]()
    src, schema = RandomSource(4), default_schema()
    for _ in range(2000):
        case = gen_invalid(src, schema, among=(Target("unknown-property", None),))
        names.update(k for k in case.record if not schema.has(k))
    assert {"runId", "run-id", "functionId", "id", "__proto__", ""} <= set(names)


def test_packaged_targets() -> None:
    names = [t.name for t in targets(default_schema())]
    assert len(names) == len(set(names))
    assert set(names) == {
        "missing-required/run_id",
        "missing-required/function_id",
        "missing-required/status",
        *(
            f"wrong-type/{p}"
            for p in (
                "run_id",
                "function_id",
                "app_id",
                "status",
                "event_id",
                "output",
                "started_at",
                "ended_at",
            )
        ),
        "not-an-object",
        "not-in-enum/status",
        "unknown-property",
        "malformed-date-time/started_at",
        "malformed-date-time/ended_at",
    }
    assert targets(default_schema()) == targets(default_schema())  # a stable order


def test_targets_filters() -> None:
    schema = default_schema()
    assert {t.rule for t in targets(schema, rules=["wrong-type"])} == {"wrong-type"}
    assert {t.name for t in targets(schema, levels=["format"])} == {
        "malformed-date-time/started_at",
        "malformed-date-time/ended_at",
    }
    narrowed = targets(schema, properties=["status"], rules=["not-in-enum", "missing-required"])
    assert {t.name for t in narrowed} == {"not-in-enum/status", "missing-required/status"}


# ---------------------------------------------------------------------------------------
# Derived from the schema
# ---------------------------------------------------------------------------------------


def _names(doc: dict[str, Any]) -> set[str]:
    return {t.name for t in targets(schema_from_dict(doc))}


def _holds_over_seeds(doc: dict[str, Any], n: int = 2000) -> Counter[str]:
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    seen = Counter[str]()
    for seed in range(n):
        case = gen_invalid(RandomSource(seed), schema)
        check_case(case, schema, oracle)
        seen[Target(case.violation.rule, case.violation.property).name] += 1
    return seen


def test_one_more_status() -> None:
    doc = document()
    doc["properties"]["status"]["enum"].append("SCHEDULED")
    _holds_over_seeds(doc)
    schema = schema_from_dict(doc)
    for seed in range(1000):
        case = apply_target(RandomSource(seed), schema, Target("not-in-enum", "status"))
        assert case.record["status"] != "SCHEDULED"


def test_enum_with_near_spellings_of_its_own_members() -> None:
    """Variants that happen to be members ('Running', 'queued') are never used as invalid."""
    doc = document()
    doc["properties"]["status"]["enum"] += ["Running", "queued", "CANCELED", "Queued"]
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    members = set(schema.statuses)
    for seed in range(3000):
        case = apply_target(RandomSource(seed), schema, Target("not-in-enum", "status"))
        assert case.record["status"] not in members
        check_case(case, schema, oracle)


def test_one_more_required_property() -> None:
    doc = document()
    doc["properties"]["attempt"] = {"type": "integer"}
    doc["required"].append("attempt")
    names = _names(doc)
    assert {"missing-required/attempt", "wrong-type/attempt"} <= names
    seen = _holds_over_seeds(doc)
    assert seen["missing-required/attempt"] > 0
    assert seen["wrong-type/attempt"] > 0


def test_property_made_optional() -> None:
    doc = document()
    doc["required"].remove("function_id")
    names = _names(doc)
    assert "missing-required/function_id" not in names
    assert "wrong-type/function_id" in names
    _holds_over_seeds(doc, 1000)


def test_one_less_property() -> None:
    doc = document()
    del doc["properties"]["event_id"]
    assert not any("event_id" in n for n in _names(doc))
    _holds_over_seeds(doc, 1000)


def test_additional_properties_true_has_no_unknown_property_target() -> None:
    doc = document()
    doc["additionalProperties"] = True
    assert "unknown-property" not in _names(doc)
    seen = _holds_over_seeds(doc, 1000)
    assert "unknown-property" not in seen
    with pytest.raises(InvalidArgument):
        invalid_runs(doc, rules=["unknown-property"])


def test_other_types_get_their_own_wrong_types() -> None:
    doc = document()
    doc["properties"].update(
        {
            "ratio": {"type": "number"},
            "count": {"type": "integer"},
            "maybe": {"type": ["string", "null"]},
            "anything": {},
            "kind": {"enum": ["a", 1]},
        }
    )
    doc["required"] += ["ratio", "count", "maybe", "anything", "kind"]
    schema = schema_from_dict(doc)
    names = {t.name for t in targets(schema)}
    assert "wrong-type/anything" not in names
    assert "wrong-type/kind" not in names  # no type to be wrong about
    assert {"not-in-enum/kind", "missing-required/anything"} <= names
    oracle = Oracle(schema)
    wrong = Counter[tuple[str, str]]()
    for seed in range(3000):
        case = gen_invalid(RandomSource(seed), schema)
        check_case(case, schema, oracle)
        if case.violation.rule == "wrong-type":
            assert case.violation.property is not None
            wrong[(case.violation.property, case.violation.detail)] += 1
    assert ("ratio", "integer") not in wrong
    assert ("count", "number") in wrong
    assert ("maybe", "null") not in wrong


# ---------------------------------------------------------------------------------------
# label_holds can fail
# ---------------------------------------------------------------------------------------

RECORD = {"run_id": "r", "function_id": "f", "status": "QUEUED"}


def _label(rule: str, path: str, prop: str | None = None) -> Violation:
    return Violation(rule, OPERATORS[rule].keyword, "", path, OPERATORS[rule].level, prop)


def test_label_holds_is_false_for_a_valid_record() -> None:
    assert not label_holds(default_oracle(), InvalidCase(RECORD, _label("wrong-type", "/run_id")))


def test_label_holds_is_false_for_the_wrong_place() -> None:
    record = {**RECORD, "run_id": None}
    oracle = default_oracle()
    assert label_holds(oracle, InvalidCase(record, _label("wrong-type", "/run_id", "run_id")))
    assert not label_holds(oracle, InvalidCase(record, _label("wrong-type", "/app_id")))


def test_label_holds_is_false_for_the_wrong_keyword() -> None:
    record = {**RECORD, "status": "queued"}
    oracle = default_oracle()
    assert label_holds(oracle, InvalidCase(record, _label("not-in-enum", "/status", "status")))
    assert not label_holds(oracle, InvalidCase(record, _label("wrong-type", "/status")))


def test_label_holds_is_false_with_a_second_error_elsewhere() -> None:
    record = {**RECORD, "run_id": None, "extra": 1}
    label = _label("wrong-type", "/run_id", "run_id")
    assert not label_holds(default_oracle(), InvalidCase(record, label))


# ---------------------------------------------------------------------------------------
# The registry and the records
# ---------------------------------------------------------------------------------------


def test_operators() -> None:
    assert set(OPERATORS) == {
        "missing-required",
        "wrong-type",
        "not-an-object",
        "not-in-enum",
        "unknown-property",
        "malformed-date-time",
        "missing-dependent",
    }
    for name, op in OPERATORS.items():
        assert op.name == name
        assert op.level in LEVELS
        assert op.description
        assert "\n" not in op.description
    assert OPERATORS["malformed-date-time"].keyword == "format"
    assert OPERATORS["unknown-property"].keyword == "additionalProperties"


def test_malformation_names() -> None:
    assert malformation_names() == tuple(MALFORMATIONS)


def test_platform_spellings_are_not_statuses() -> None:
    assert not set(PLATFORM_SPELLINGS) & set(default_schema().statuses)


def test_case_to_json_round_trips() -> None:
    for case in cases(300, seed=6):
        data = json.loads(json.dumps(case.to_json()))
        assert data["record"] == case.record
        assert Violation(**data["violation"]) == case.violation


def test_target_name() -> None:
    assert Target("not-an-object", None).name == "not-an-object"
    assert Target("wrong-type", "run_id").name == "wrong-type/run_id"


def test_cases_are_json_serialisable() -> None:
    for case in cases(2000, seed=12):
        json.dumps(case.record, allow_nan=False, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------------------------------
# invalid_runs() arguments
# ---------------------------------------------------------------------------------------


def test_unknown_rule_is_named() -> None:
    with pytest.raises(InvalidArgument, match="'no-such-rule'"):
        invalid_runs(rules=["no-such-rule"])


def test_unknown_property_is_named() -> None:
    with pytest.raises(InvalidArgument, match="'runId'"):
        invalid_runs(properties=["runId"])


def test_empty_choice_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="no invalidation"):
        invalid_runs(rules=["not-in-enum"], properties=["run_id"])


@pytest.mark.slow
def test_raw_generator_label_holds_for_twenty_five_thousand_seeds() -> None:
    schema, oracle = default_schema(), default_oracle()
    for seed in range(25_000):
        case = gen_invalid(RandomSource(seed), schema)
        assert label_holds(oracle, case), (seed, case)
