"""Tests for :mod:`.strategies._drafts`: every draft read as an equivalent draft 2020-12
document, and unknown keywords left out as annotations.

The promise is general, so the main test is a property: python-jsonschema's validator of a
document's own draft, on the document as published, and the oracle's (python-jsonschema's
draft 2020-12 validator, with draft 4's integers for draft 4), on the translation, agree on
every instance (schemas drawn from each draft's vocabulary, with
keywords of other drafts and vendor keywords mixed in; instances from small JSON).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance.strategies import Oracle, schema_from_dict
from inngest_conformance.strategies._drafts import (
    DIALECTS,
    DRAFTS,
    VOCABULARIES,
    Draft,
    read_draft,
    translate,
)
from inngest_conformance.strategies._schema import SchemaError, default_schema
from inngest_conformance.strategies._validation import subschema_validator

VALIDATORS: dict[Draft, Any] = {
    "4": jsonschema.Draft4Validator,
    "6": jsonschema.Draft6Validator,
    "7": jsonschema.Draft7Validator,
    "2019-09": jsonschema.Draft201909Validator,
    "2020-12": jsonschema.Draft202012Validator,
}

NAMES = ("a", "b", "c")
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, 2.0, -1.5]),
    st.sampled_from(["", "a", "b", "ab", "0", "ba1"]),
)
INSTANCES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from([*NAMES, "d", "x-a"]), inner, max_size=4),
    ),
    max_leaves=8,
)
#: Mostly objects and arrays: the keywords that differ between drafts are about them.
INSTANCES = INSTANCES | st.dictionaries(st.sampled_from(NAMES), INSTANCES, min_size=1)
INSTANCES = INSTANCES | st.lists(INSTANCES, min_size=1, max_size=3)
#: Keywords no draft defines, and some one draft defines that another does not.
FOREIGN: tuple[str, ...] = (
    "x-vendor",
    "markdownDescription",
    "enumDescriptions",
    "allowTrailingCommas",
)
FOREIGN += ("const", "contains", "if", "prefixItems", "additionalItems", "dependencies")
FOREIGN += ("dependentRequired", "minContains", "$recursiveRef", "examples")


#: Keywords whose meaning depends on another's: each drawn with its partner.
PARTNERS = {
    "exclusiveMinimum": ("minimum",),
    "exclusiveMaximum": ("maximum",),
    "additionalItems": ("items",),
    "minContains": ("contains",),
    "maxContains": ("contains",),
}


def _keywords(draft: Draft) -> list[str]:
    known = VOCABULARIES[draft] - {"$schema", "format", "$vocabulary", "$dynamicRef"}
    known -= {"$dynamicAnchor", "$recursiveAnchor", "$anchor", "contentSchema", "id", "$id"}
    return sorted(known | set(FOREIGN) - {"$recursiveRef"} | ({"$recursiveRef"} & known))


@st.composite
def schemas(draw: st.DrawFn, draft: Draft, depth: int = 3, into: bool = False) -> Any:
    """A subschema of ``draft`` (``into``: below a property or an item, where a reference
    to the whole document ends)."""
    if depth == 0 or draw(st.integers(0, 5)) == 0:
        if draft != "4" and draw(st.booleans()):
            return draw(st.booleans())
        return {}
    out: dict[str, Any] = {}
    keys = draw(st.lists(st.sampled_from(_keywords(draft)), min_size=1, max_size=4))
    for key in list(keys):
        keys += PARTNERS.get(key, ())  # keywords read together are drawn together
    for key in keys:
        out[key] = draw(_value(key, draft, depth - 1, into))
    if isinstance(out.get("items"), bool):
        # python-jsonschema takes the len() of a boolean items beside these
        out.pop("additionalItems", None)
        if draft == "2019-09":
            out.pop("unevaluatedItems", None)
    return out


def _value(key: str, draft: Draft, depth: int, into: bool) -> st.SearchStrategy[Any]:
    def sub(inside: bool = into) -> st.SearchStrategy[Any]:
        return schemas(draft, depth, inside)

    def subs(inside: bool = into) -> st.SearchStrategy[Any]:
        return st.lists(sub(inside), min_size=1, max_size=3)

    count = st.integers(0, 3)
    bound = st.integers(-2, 2)
    table: dict[str, st.SearchStrategy[Any]] = {
        "type": st.sampled_from(["string", "integer", "number", "object", "array", "null"])
        | st.lists(st.sampled_from(["string", "integer", "boolean", "object"]), min_size=1),
        "enum": st.lists(INSTANCES, min_size=1, max_size=3),
        "const": INSTANCES,
        "minLength": count,
        "maxLength": count,
        "pattern": st.sampled_from(["^a", "b$", "[0-9]", "^$"]),
        "minimum": bound,
        "maximum": bound,
        "exclusiveMinimum": st.booleans() if draft == "4" else bound,
        "exclusiveMaximum": st.booleans() if draft == "4" else bound,
        "multipleOf": st.sampled_from([1, 2, 0.5]),
        "minItems": count,
        "maxItems": count,
        "uniqueItems": st.booleans(),
        "minContains": count,
        "maxContains": count,
        "minProperties": count,
        "maxProperties": count,
        "required": st.lists(st.sampled_from(NAMES), unique=True),
        "properties": st.dictionaries(st.sampled_from(NAMES), sub(True), max_size=3),
        "patternProperties": st.dictionaries(st.sampled_from(["^a", "b", "^x-"]), sub(True)),
        "dependentRequired": st.dictionaries(
            st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), unique=True)
        ),
        "dependentSchemas": st.dictionaries(st.sampled_from(NAMES), sub(), max_size=2),
        "dependencies": st.dictionaries(
            st.sampled_from(NAMES),
            st.lists(st.sampled_from(NAMES), unique=True) | sub(),
            max_size=2,
        ),
        "items": (sub(True) | st.lists(sub(True), max_size=3)) if draft != "2020-12" else sub(True),
        "prefixItems": st.lists(sub(True), max_size=3),
        "additionalItems": sub(True) if draft != "4" else st.booleans() | schemas(draft, depth),
        "additionalProperties": sub(True) if draft != "4" else st.booleans() | sub(True),
        "contains": sub(True),
        "propertyNames": sub(True),
        "unevaluatedProperties": sub(True),
        "unevaluatedItems": sub(True),
        "allOf": subs(),
        "anyOf": subs(),
        "oneOf": subs(),
        "not": sub(),
        "if": sub(),
        "then": sub(),
        "else": sub(),
        "$ref": st.sampled_from(["#/definitions/d", "#/$defs/e", *(["#"] if into else [])]),
        "$recursiveRef": st.just("#") if into else st.nothing(),
        "definitions": st.dictionaries(st.sampled_from(["f"]), sub(True), max_size=1),
    }
    if key in table:
        return table[key]
    return st.sampled_from(["text", 1, {"type": "string"}, ["a"], True])  # annotations


@st.composite
def documents(draw: st.DrawFn, draft: Draft) -> dict[str, Any]:
    """A whole document of ``draft``: a body, and the definitions its references name."""
    body = draw(schemas(draft, 3))
    body = body if isinstance(body, dict) else {"allOf": [body]}
    leaf = {"type": "string", "minLength": 1}
    defs = draw(st.sampled_from([leaf, {"type": "object", "required": ["a"]}]))
    doc: dict[str, Any] = {"$schema": DIALECTS[draft], **body}
    doc.setdefault("definitions", {})["d"] = defs
    doc["$defs"] = {"e": {"properties": {"a": {"type": "integer"}}}}
    doc.pop("$recursiveRef", None)  # at the root it is a reference to itself, in place
    return doc


@pytest.mark.parametrize(
    # Draft 7 (most schemas people have) in the default suite; every draft in the slow one.
    "draft",
    [d if d == "7" else pytest.param(d, marks=pytest.mark.slow) for d in DRAFTS],
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_translation_keeps_every_verdict(draft: Draft, data: st.DataObject) -> None:
    document = data.draw(documents(draft))
    instances = data.draw(st.lists(INSTANCES, min_size=8, max_size=8))
    published = VALIDATORS[draft](document)
    translated = subschema_validator(translate(document).document, draft=draft)
    for instance in instances:
        assert published.is_valid(instance) == translated.is_valid(instance), (
            json.dumps(document),
            json.dumps(instance),
            json.dumps(translate(document).document),
        )


@pytest.mark.slow
@pytest.mark.parametrize("draft", DRAFTS)
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_translation_keeps_every_verdict_thoroughly(draft: Draft, data: st.DataObject) -> None:
    test_translation_keeps_every_verdict.hypothesis.inner_test(draft, data)


# --- each rule, by example ------------------------------------------------------------------


def _t(document: dict[str, Any], draft: str | None = None) -> dict[str, Any]:
    out = translate(document, draft).document
    assert out.pop("$schema") == DIALECTS["2020-12"]
    return out


def test_items_arrays_become_prefix_items() -> None:
    doc = {"$schema": DIALECTS["7"], "items": [{"type": "string"}], "additionalItems": False}
    assert _t(doc) == {"prefixItems": [{"type": "string"}], "items": False}
    assert _t({"items": {"type": "string"}, "additionalItems": False}, "6") == {
        "items": {"type": "string"}
    }


def test_dependencies_split_into_required_and_schemas() -> None:
    doc = {"dependencies": {"a": ["b"], "c": {"required": ["d"]}}}
    assert _t(doc, "7") == {
        "dependentRequired": {"a": ["b"]},
        "dependentSchemas": {"c": {"required": ["d"]}},
    }
    assert translate(doc, "2020-12").ignored == {"dependencies": 1}


def test_definitions_become_defs_and_references_follow() -> None:
    doc = {
        "definitions": {"a": {"items": [{"$ref": "#/definitions/b"}]}, "b": {"type": "string"}},
        "properties": {"x": {"$ref": "#/definitions/a/items/0"}},
    }
    assert _t(doc, "7") == {
        "$defs": {"a": {"prefixItems": [{"$ref": "#/$defs/b"}]}, "b": {"type": "string"}},
        "properties": {"x": {"$ref": "#/$defs/a/prefixItems/0"}},
    }


def test_draft_4_boolean_exclusive_bounds_become_numbers() -> None:
    doc = {"minimum": 1, "exclusiveMinimum": True, "maximum": 5, "exclusiveMaximum": False}
    assert _t(doc, "4") == {"exclusiveMinimum": 1, "maximum": 5}
    assert _t({"exclusiveMaximum": True}, "4") == {}


def test_draft_4_id_and_missing_keywords() -> None:
    doc = {"id": "urn:x", "const": 1, "contains": {}, "propertyNames": {}, "type": "object"}
    t = translate(doc, "4")
    assert t.document == {"$id": "urn:x", "type": "object", "$schema": DIALECTS["2020-12"]}
    assert t.ignored == {"const": 1, "contains": 1, "propertyNames": 1}


def test_ref_siblings_dropped_up_to_draft_7_and_kept_after() -> None:
    doc = {"properties": {"x": {"$ref": "#/definitions/s", "type": "integer", "title": "X"}}}
    doc["definitions"] = {"s": {"type": "string"}}
    assert _t(doc, "7")["properties"] == {"x": {"$ref": "#/$defs/s", "title": "X"}}
    assert translate(doc, "7").ignored == {"type": 1}
    assert _t(doc, "2019-09")["properties"] == {
        "x": {"type": "integer", "title": "X", "allOf": [{"$ref": "#/$defs/s"}]}
    }


def test_recursive_ref_is_a_ref_within_one_resource() -> None:
    doc = {"$recursiveAnchor": True, "properties": {"kids": {"items": {"$recursiveRef": "#"}}}}
    assert _t(doc, "2019-09") == {"properties": {"kids": {"items": {"$ref": "#"}}}}
    nested = {**doc, "$defs": {"r": {"$id": "https://example.com/r", "type": "string"}}}
    with pytest.raises(SchemaError, match=r"^/properties/kids/items: \$recursiveRef"):
        translate(nested, "2019-09")


def test_unknown_keywords_are_left_out_only_where_keywords_stand() -> None:
    doc = {
        "x-vendor": {"type": "string"},
        "markdownDescription": "**run**",
        "properties": {
            "markdownDescription": {
                "enum": [{"x-vendor": 1}],
                "default": {"allowTrailingCommas": 1},
            },
            "b": {"enumDescriptions": ["one"], "enum": ["one"], "x-vendor": 2},
        },
    }
    t = translate(doc)
    assert t.document["properties"] == {
        "markdownDescription": {"enum": [{"x-vendor": 1}], "default": {"allowTrailingCommas": 1}},
        "b": {"enum": ["one"]},
    }
    assert t.ignored == {"enumDescriptions": 1, "markdownDescription": 1, "x-vendor": 2}


def test_reference_into_an_unknown_keyword_gets_a_copy() -> None:
    doc = {"x-shapes": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/x-shapes/s"}}}
    out = _t(doc)
    target = out["properties"]["a"]["$ref"]
    assert out["$defs"][target.split("/")[-1].replace("~1", "/")] == {"type": "string"}
    assert jsonschema.Draft202012Validator(out).is_valid({"a": "x"})
    assert not jsonschema.Draft202012Validator(out).is_valid({"a": 1})


@pytest.mark.parametrize("draft", DRAFTS)
def test_each_draft_is_read_from_its_schema_uri(draft: Draft) -> None:
    uri = DIALECTS[draft]
    for spelling in {uri, uri.rstrip("#"), uri.rstrip("#") + "#"}:
        assert read_draft({"$schema": spelling}) == draft
    assert read_draft({}, draft) == draft
    assert read_draft({"$schema": uri}, draft) == draft


def test_unknown_or_conflicting_dialects_are_refused_in_one_line() -> None:
    with pytest.raises(SchemaError, match="draft-03") as info:
        read_draft({"$schema": "http://json-schema.org/draft-03/schema#"})
    assert "2020-12" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(SchemaError, match="says draft 7 and --draft says 4"):
        read_draft({"$schema": DIALECTS["7"]}, "4")
    with pytest.raises(SchemaError, match="'5' is not one of"):
        read_draft({}, "5")


def test_the_run_schema_is_its_own_translation() -> None:
    schema = default_schema()
    assert translate(schema.document).document == schema.document
    assert schema.published is None and schema.draft == "2020-12" and not schema.ignored


def test_refusals_name_the_published_pointer() -> None:
    doc = {
        "$schema": DIALECTS["7"],
        "type": "object",
        "properties": {"a": {"$ref": "#/definitions/t"}},
        "definitions": {
            "t": {"type": "array", "items": [{"type": "string", "format": "hostname"}]}
        },
    }
    with pytest.raises(SchemaError) as info:
        schema_from_dict(doc)
    assert str(info.value).startswith("/definitions/t/items/0: ")
    assert "\n" not in str(info.value)


def test_a_draft_7_schema_is_analysed_with_its_own_semantics() -> None:
    doc = {
        "$schema": DIALECTS["7"],
        "type": "object",
        "required": ["pair"],
        "properties": {
            "pair": {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
            "n": {"type": "integer", "x-unit": "s", "markdownDescription": "*n*"},
        },
        "additionalProperties": False,
    }
    schema = schema_from_dict(doc)
    assert schema.draft == "7" and schema.source is doc
    assert schema.ignored == {"markdownDescription": 1, "x-unit": 1}
    assert schema.document["properties"]["pair"]["prefixItems"] == [{"type": "string"}]
    again = json.loads(json.dumps(doc))
    del again["$schema"]
    assert schema_from_dict(again, "7").document == schema.document
    assert schema_from_dict(again, "7").self_describing["$schema"] == DIALECTS["7"]


def test_a_ref_beside_other_keywords_is_read_as_an_all_of() -> None:
    doc = json.loads(json.dumps(default_schema().document))
    doc["properties"]["output"]["$ref"] = "#"
    schema = schema_from_dict(doc)
    output = schema.document["properties"]["output"]
    assert output["allOf"] == [{"$ref": "#"}] and output["type"] == "object"
    record = {"run_id": "r", "function_id": "f", "status": "QUEUED"}
    oracle = Oracle(schema)
    assert oracle.is_valid({**record, "output": record})
    assert not oracle.is_valid({**record, "output": {}})


def test_a_format_no_draft_defines_is_an_annotation() -> None:
    doc = {"properties": {"a": {"format": "pep508-identifier"}, "b": {"format": "hostname"}}}
    t = translate(doc, "7")
    assert t.document["properties"] == {"a": {}, "b": {"format": "hostname"}}
    assert t.ignored == {"format pep508-identifier": 1}
    assert translate({"format": "int64"}).document["format"] == "int64"  # the kit reads it


@pytest.mark.parametrize(
    ("sub", "named"),
    [
        # A format is refused where it stands, a branch merged only when drawn too.
        (
            {"anyOf": [{"type": "string", "format": "hostname"}, {"type": "integer"}]},
            "/properties/x/anyOf/0: ",
        ),
        (
            {"oneOf": [{"properties": {"a": {"type": "string", "pattern": "(a)\\1"}}}]},
            "/properties/x/oneOf/0/properties/a: ",
        ),
    ],
)
def test_a_refusal_inside_a_composition_names_a_place_not_merged_json(
    sub: dict[str, Any], named: str
) -> None:
    with pytest.raises(SchemaError) as info:
        schema_from_dict({"type": "object", "properties": {"x": sub}})
    message = str(info.value)
    assert message.startswith(named) and "<merged>" not in message and "{" not in message
    assert "\n" not in message
