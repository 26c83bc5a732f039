"""Tests for generation that finds what exists (:mod:`.strategies._subschema`) and for the
requirements that exist only where a near miss does (:mod:`.strategies._near_misses`):
random small schemas held to a brute-force witness from python-jsonschema, and the
reproductions of schemas that once ended in a traceback, through the command line."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance.errors import SchemaError
from inngest_conformance.strategies._near_misses import disjoint, unreachable_rules
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._schema import schema_from_dict
from inngest_conformance.strategies._source import MinimalSource, RandomSource, Unsatisfiable

# ---------------------------------------------------------------------------------------
# A small vocabulary, and every value of a small space
# ---------------------------------------------------------------------------------------

#: The values a witness is looked for among: each JSON type, small and empty containers,
#: objects of the properties the schemas below speak of.
SCALARS: tuple[Any, ...] = (None, True, False, 0, 1, 2, -1, 1.5, "", "a", "ab", "fifo")
VALUES: tuple[Any, ...] = (
    *SCALARS,
    [],
    [0],
    ["a"],
    [0, 1],
    [{}],
    [{"a": "a"}],
    {},
    {"a": 0},
    {"a": "a"},
    {"a": "fifo"},
    {"b": 1},
    {"b": "a"},
    {"a": "a", "b": 1},
    {"a": "fifo", "b": 0},
    {"a": 1, "b": "ab"},
)

TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")

_leaf_keywords: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.builds(lambda t: {"type": t}, st.sampled_from(TYPES)),
    st.builds(lambda t: {"type": list(t)}, st.sets(st.sampled_from(TYPES), min_size=1, max_size=3)),
    st.builds(lambda v: {"const": v}, st.sampled_from(SCALARS)),
    st.builds(
        lambda vs: {"enum": list(vs)},
        st.lists(st.sampled_from(SCALARS), min_size=1, max_size=3, unique_by=repr),
    ),
    st.builds(lambda n: {"minimum": n}, st.integers(-1, 2)),
    st.builds(lambda n: {"maximum": n}, st.integers(-1, 2)),
    st.builds(lambda n: {"minLength": n}, st.integers(0, 2)),
    st.builds(lambda n: {"maxLength": n}, st.integers(0, 2)),
    st.builds(lambda n: {"minItems": n}, st.integers(0, 2)),
    st.builds(lambda n: {"maxItems": n}, st.integers(0, 2)),
    st.builds(lambda n: {"minProperties": n}, st.integers(0, 2)),
    st.builds(lambda n: {"maxProperties": n}, st.integers(0, 1)),
    st.builds(lambda r: {"required": list(r)}, st.sets(st.sampled_from("ab"), min_size=1)),
    st.just({"additionalProperties": False}),
    st.just({}),
)


def _combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One subschema of several keyword groups (a later group's keyword wins)."""
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out


def _with(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Subschemas holding ``children``: properties, items, composition, conditionals."""
    lists = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        st.builds(
            lambda base, props: {**base, "properties": props},
            _leaf_keywords,
            st.dictionaries(st.sampled_from("ab"), children, min_size=1, max_size=2),
        ),
        st.builds(lambda base, s: {**base, "items": s}, _leaf_keywords, children),
        st.builds(lambda base, b: {**base, "allOf": b}, _leaf_keywords, lists),
        st.builds(lambda base, b: {**base, "anyOf": b}, _leaf_keywords, lists),
        st.builds(lambda base, b: {**base, "oneOf": b}, _leaf_keywords, lists),
        st.builds(lambda base, s: {**base, "not": s}, _leaf_keywords, children),
        st.builds(
            lambda base, i, t, e: {**base, "if": i, **({"then": t} if t else {}), **e},
            _leaf_keywords,
            children,
            st.none() | children,
            st.just({}) | st.builds(lambda e: {"else": e}, children),
        ),
    )


SUBSCHEMAS: st.SearchStrategy[dict[str, Any]] = st.recursive(
    st.lists(_leaf_keywords, min_size=1, max_size=3).map(_combine), _with, max_leaves=6
)


def _wrapped(sub: dict[str, Any]) -> dict[str, Any]:
    """A schema holding ``sub`` at ``/v/w``: always a compiled subschema (a record's own
    property of only a type and an enum is read flat, by :mod:`.strategies._schema`)."""
    inner = {"type": "object", "properties": {"w": sub}, "required": ["w"]}
    return {"type": "object", "properties": {"v": inner}, "required": ["v"]}


def _witness(document: dict[str, Any]) -> Any:
    """A record of a value of :data:`VALUES` at ``/v/w`` that python-jsonschema takes, or
    ``None``."""
    validator = jsonschema.Draft202012Validator(document)
    for value in VALUES:
        if validator.is_valid({"v": {"w": value}}):
            return {"v": {"w": value}}
    return None


# ---------------------------------------------------------------------------------------
# The solver finds a value wherever one exists, and never one the oracle refuses
# ---------------------------------------------------------------------------------------


def _holds_the_solver_to_the_witness(sub: dict[str, Any]) -> None:
    """The kit refuses ``sub`` only where python-jsonschema finds no value of the small
    space either, and every record it generates is valid to python-jsonschema."""
    document = _wrapped(sub)
    witness = _witness(document)
    try:
        schema = schema_from_dict(document)
    except SchemaError as exc:
        assert witness is None, f"refused {sub!r} ({exc}), though {witness!r} is valid"
        return
    validator = jsonschema.Draft202012Validator(document)
    made = 0
    for src in (MinimalSource(), RandomSource(0), RandomSource(1)):
        for plain in (True, False):
            try:
                record = gen_record(src, schema, plain=plain, common_datetimes=True)
            except Unsatisfiable:  # a draw may find none (the search draws again)
                continue
            assert validator.is_valid(record), f"{record!r} is not valid to {sub!r}"
            made += 1
    assert made, f"no draw found a value of {sub!r}, though {witness!r} is valid"


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(SUBSCHEMAS)
def test_the_solver_finds_a_value_wherever_python_jsonschema_finds_one(sub: dict[str, Any]) -> None:
    _holds_the_solver_to_the_witness(sub)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
@given(SUBSCHEMAS)
def test_the_solver_finds_a_value_wherever_one_exists_in_5000_schemas(sub: dict[str, Any]) -> None:
    _holds_the_solver_to_the_witness(sub)


# ---------------------------------------------------------------------------------------
# A requirement only where a near miss exists: what the reasoning says is certain
# ---------------------------------------------------------------------------------------


def _compiled(sub: dict[str, Any]) -> Any:
    """The compiled node of ``sub`` (at ``/v/w``), or ``None`` where the kit refuses it."""
    try:
        schema = schema_from_dict(_wrapped(sub))
    except SchemaError:
        return None
    return schema.places["/v/w"][0]


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(SUBSCHEMAS, SUBSCHEMAS)
def test_disjoint_branches_share_no_value(a: dict[str, Any], b: dict[str, Any]) -> None:
    node = _compiled({"oneOf": [a, b]})
    if node is None or node.compiler is None or not disjoint(node.compiler, a, b):
        return
    left, right = jsonschema.Draft202012Validator(a), jsonschema.Draft202012Validator(b)
    both = [v for v in VALUES if left.is_valid(v) and right.is_valid(v)]
    assert not both, f"{a!r} and {b!r} called disjoint, yet both take {both[0]!r}"


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(SUBSCHEMAS)
def test_an_unreachable_rule_has_no_near_miss_in_the_value_space(sub: dict[str, Any]) -> None:
    node = _compiled(sub)
    if node is None:
        return
    for name, why in unreachable_rules(node):
        assert why
        keyword = {"no-branch": "anyOf", "no-one-branch": "oneOf", "several-branches": "oneOf"}
        key = keyword.get(name)
        if key is None:
            continue
        branches = [jsonschema.Draft202012Validator(b) for b in sub[key]]
        for value in VALUES:
            matched = sum(b.is_valid(value) for b in branches)
            if name == "several-branches":
                assert matched <= 1, f"{value!r} matches two branches of {sub!r}"
            else:
                assert matched >= 1, f"{value!r} matches no branch of {sub!r}"


def test_the_reasons_name_what_cannot_be_broken() -> None:
    disjoint_types = _compiled({"oneOf": [{"type": "string"}, {"type": "integer"}]})
    told_apart = _compiled(
        {
            "oneOf": [
                {"type": "object", "properties": {"k": {"const": "a"}}, "required": ["k"]},
                {"type": "object", "properties": {"k": {"const": "b"}}, "required": ["k"]},
            ]
        }
    )
    overlapping = _compiled({"oneOf": [{"type": "string"}, {"minLength": 1}]})
    anything = _compiled({"anyOf": [{"type": "string"}, {}]})
    assert dict(unreachable_rules(disjoint_types)) == {
        "several-branches": "its oneOf branches never overlap: no value matches two of them"
    }
    assert "several-branches" in dict(unreachable_rules(told_apart))
    assert unreachable_rules(overlapping) == ()
    assert dict(unreachable_rules(anything)) == {
        "no-branch": "its anyOf branch 1 allows every value: no value matches none"
    }
