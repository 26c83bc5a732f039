"""Tests for :mod:`.strategies._schema`: what the kit reads from a run schema, and what it
refuses."""

from __future__ import annotations

import copy
import hashlib
import importlib.resources
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._encode import escape_pointer, pointer
from inngest_conformance.strategies._schema import (
    DRAFT_2020_12,
    SchemaError,
    default_schema,
    load_schema,
    schema_from_dict,
)

PACKAGED_TEXT = (
    importlib.resources.files("inngest_conformance.strategies")
    .joinpath("data/inngest-run.schema.json")
    .read_text()
)


def document() -> dict[str, Any]:
    """A fresh copy of the packaged run schema document."""
    return copy.deepcopy(json.loads(PACKAGED_TEXT))


# ---------------------------------------------------------------------------------------
# The packaged schema
# ---------------------------------------------------------------------------------------


def test_packaged_schema_facts() -> None:
    s = default_schema()
    assert [p.name for p in s.properties] == [
        "run_id",
        "function_id",
        "app_id",
        "status",
        "event_id",
        "output",
        "started_at",
        "ended_at",
    ]
    assert s.required == ("run_id", "function_id", "status")
    assert s.optional == ("app_id", "event_id", "output", "started_at", "ended_at")
    assert s.statuses == ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED")
    assert s.datetime_properties == ("started_at", "ended_at")
    assert s.additional_properties is False
    assert s.title == "InngestRun"
    assert s.spec("output").types == ("object",)
    assert s.spec("status").enum == s.statuses
    assert s.spec("started_at").format == "date-time"
    assert s.spec("run_id").format is None
    assert s.spec("run_id").enum is None


def test_sha256_is_of_the_canonical_document() -> None:
    s = default_schema()
    canonical = json.dumps(
        document(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert s.sha256 == hashlib.sha256(canonical).hexdigest()
    # Key order does not matter; content does.
    reordered = dict(reversed(list(document().items())))
    assert schema_from_dict(reordered).sha256 == s.sha256
    changed = document()
    changed["title"] = "InngestRun v2"
    assert schema_from_dict(changed).sha256 != s.sha256


def test_default_schema_is_cached_and_equals_loading_the_file(tmp_path: Path) -> None:
    assert default_schema() is default_schema()
    path = tmp_path / "run.schema.json"
    path.write_text(PACKAGED_TEXT, encoding="utf-8")
    loaded = load_schema(path)
    assert loaded == default_schema()
    assert load_schema(str(path)).sha256 == default_schema().sha256
    assert load_schema() == default_schema()


def test_spec_and_has() -> None:
    s = default_schema()
    assert s.has("run_id")
    assert not s.has("runId")
    with pytest.raises(KeyError):
        s.spec("runId")


@pytest.mark.parametrize(
    ("token", "escaped"),
    [("run_id", "run_id"), ("a/b", "a~1b"), ("a~b", "a~0b"), ("~/", "~0~1"), ("", "")],
)
def test_escape_pointer(token: str, escaped: str) -> None:
    assert escape_pointer(token) == escaped


def test_pointer() -> None:
    assert pointer() == ""
    assert pointer("a", 0) == "/a/0"
    assert pointer("") == "/"
    assert pointer("a/b", "c~d") == "/a~1b/c~0d"


def test_property_pointer_escapes_its_name() -> None:
    doc = document()
    doc["properties"]["a/b~c"] = {"type": "string"}
    s = schema_from_dict(doc)
    assert s.spec("a/b~c").pointer == "/properties/a~1b~0c"
    assert s.spec("run_id").pointer == "/properties/run_id"


# ---------------------------------------------------------------------------------------
# Derived from the document: modified schemas
# ---------------------------------------------------------------------------------------


def test_one_more_status() -> None:
    doc = document()
    doc["properties"]["status"]["enum"].append("SCHEDULED")
    s = schema_from_dict(doc)
    assert s.statuses[-1] == "SCHEDULED"
    assert len(s.statuses) == 7
    assert s.sha256 != default_schema().sha256


def test_one_more_required_property() -> None:
    doc = document()
    doc["properties"]["attempt"] = {"type": "integer"}
    doc["required"].append("attempt")
    s = schema_from_dict(doc)
    assert s.required == ("run_id", "function_id", "status", "attempt")
    assert s.spec("attempt").types == ("integer",)
    assert s.spec("attempt").required


def test_property_made_optional() -> None:
    doc = document()
    doc["required"].remove("function_id")
    s = schema_from_dict(doc)
    assert "function_id" not in s.required
    assert "function_id" in s.optional


def test_one_less_property() -> None:
    doc = document()
    del doc["properties"]["event_id"]
    s = schema_from_dict(doc)
    assert not s.has("event_id")
    assert len(s.properties) == 7


def test_additional_properties_true() -> None:
    doc = document()
    doc["additionalProperties"] = True
    assert schema_from_dict(doc).additional_properties is True
    del doc["additionalProperties"]
    assert schema_from_dict(doc).additional_properties is True  # the JSON Schema default


def test_any_value_properties_and_type_lists() -> None:
    doc = document()
    doc["properties"]["anything"] = {}
    doc["properties"]["also_anything"] = True
    doc["properties"]["maybe"] = {"type": ["string", "null"], "description": "annotated"}
    doc["properties"]["kind"] = {"enum": ["a", 1, None]}
    s = schema_from_dict(doc)
    assert s.spec("anything").types == ()
    assert s.spec("also_anything").types == ()
    assert s.spec("maybe").types == ("string", "null")
    assert s.spec("kind").enum == ("a", 1, None)
    assert s.spec("kind").types == ()


def test_annotations_are_allowed_everywhere() -> None:
    doc = document()
    doc["$comment"] = "a comment"
    doc["examples"] = [{"run_id": "r"}]
    doc["properties"]["run_id"].update(
        {"title": "Run", "examples": ["01H"], "deprecated": False, "readOnly": True}
    )
    assert schema_from_dict(doc).spec("run_id").types == ("string",)


@pytest.mark.parametrize("dialect", [DRAFT_2020_12, DRAFT_2020_12 + "#"])
def test_draft_2020_12_spellings(dialect: str) -> None:
    doc = document()
    doc["$schema"] = dialect
    assert schema_from_dict(doc).required == default_schema().required


def test_missing_dialect_means_2020_12() -> None:
    doc = document()
    del doc["$schema"]
    assert schema_from_dict(doc).statuses == default_schema().statuses


# ---------------------------------------------------------------------------------------
# Refused up front, naming what is wrong
# ---------------------------------------------------------------------------------------


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


UNSUPPORTED: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, ...]]] = [
    ("root-$ref", _set(("$ref",), "#/$defs/run"), ("$ref",)),
    (
        "pattern-backreference",
        _set(("properties", "run_id", "pattern"), "(a)\\1"),
        ("pattern", "run_id"),
    ),
    (
        "property-$ref-elsewhere",
        _set(("properties", "output", "$ref"), "other.json"),
        ("$ref", "other.json", "/properties/output"),
    ),
    (
        "format-hostname",
        _set(("properties", "app_id", "format"), "hostname"),
        ("hostname", "app_id"),
    ),
    (
        "draft-03",
        _set(("$schema",), "http://json-schema.org/draft-03/schema#"),
        ("draft-03", "2020-12"),
    ),
    ("dialect-not-a-string", _set(("$schema",), 7), ("$schema", "7")),
    ("root-type-null", _set(("type",), None), ("'type'", "None")),
    (
        "property-dynamicRef",
        _set(("properties", "output", "$dynamicRef"), "#meta"),
        ("$dynamicRef", "output"),
    ),
    ("unknown-type", _set(("properties", "run_id", "type"), "str"), ("'str'", "run_id")),
    ("type-not-a-name", _set(("properties", "run_id", "type"), 5), ("'type'", "run_id")),
    ("empty-type-list", _set(("properties", "run_id", "type"), []), ("'type'", "run_id")),
    ("empty-enum", _set(("properties", "status", "enum"), []), ("enum", "status")),
    ("enum-not-a-list", _set(("properties", "status", "enum"), "QUEUED"), ("enum", "status")),
    ("property-not-an-object", _set(("properties", "run_id"), 5), ("run_id", "5")),
    ("required-undefined", _set(("required",), ["run_id", "attempt"]), ("'attempt'",)),
    ("required-not-a-list", _set(("required",), "run_id"), ("required",)),
    ("properties-not-an-object", _set(("properties",), []), ("properties",)),
]


@pytest.mark.parametrize(
    ("edit", "names"), [(e, n) for _, e, n in UNSUPPORTED], ids=[i for i, _, _ in UNSUPPORTED]
)
def test_unsupported_schemas_are_refused_naming_why(
    edit: Callable[[dict[str, Any]], None], names: tuple[str, ...]
) -> None:
    doc = document()
    edit(doc)
    with pytest.raises(SchemaError) as info:
        schema_from_dict(doc)
    message = str(info.value)
    for name in names:
        assert name in message
    assert "\n" not in message


def test_unsupported_keywords_listed_together() -> None:
    doc = document()
    doc["$dynamicRef"] = "#meta"
    doc["$dynamicAnchor"] = "meta"  # ($recursiveRef is no keyword of 2020-12: an annotation)
    with pytest.raises(SchemaError, match=r"\$dynamicAnchor, \$dynamicRef") as info:
        schema_from_dict(doc)
    assert str(info.value).startswith("the schema uses")


#: Shapes the kit used to refuse: at the root, each compiled whole; in a property, part of
#: the property's subschema.  (name, edit, requirement ids it must give rise to).
ROOT_SHAPES: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, ...]]] = [
    (
        "root-unevaluated",
        _set(("unevaluatedProperties",), False),
        ("schema:rejects-wrong-type:#", "schema:rejects-missing-required:#"),
    ),
    (
        "patternProperties",
        _set(("patternProperties",), {"^x_": {"type": "integer"}}),
        ("schema:rejects-wrong-type:/patternProperties/^x_",),
    ),
    (
        "root-oneOf",
        _set(("oneOf",), [{"required": ["output"]}, {"required": ["ended_at"]}]),
        ("schema:rejects-no-one-branch:#", "schema:rejects-several-branches:#"),
    ),
    (
        "root-type-array",
        _set(("type",), "array"),
        ("schema:rejects-wrong-type:#",),
    ),
    (
        "root-additionalProperties-subschema",
        _set(("additionalProperties",), {"type": "string"}),
        ("schema:rejects-wrong-type:/additionalProperties",),
    ),
    (
        "no-properties",
        # Open, as a schema without properties is when it requires some: closed, no
        # record could hold its required properties (refused as unsatisfiable).
        lambda doc: doc.update(properties={}, additionalProperties=True),
        ("schema:rejects-missing-required:#", "schema:rejects-wrong-type:#"),
    ),
    (
        "root-dependentSchemas",
        _set(("dependentSchemas",), {"output": {"required": ["ended_at"]}}),
        ("schema:rejects-breaks-dependent-schema:#",),
    ),
    (
        "property-unevaluated",
        _set(("properties", "output", "unevaluatedProperties"), False),
        ("schema:rejects-unevaluated-property:/output",),
    ),
    (
        "property-dependentSchemas",
        _set(("properties", "output", "dependentSchemas"), {"a": {"required": ["b"]}}),
        ("schema:rejects-breaks-dependent-schema:/output",),
    ),
]


@pytest.mark.parametrize(
    ("edit", "ids"), [(e, i) for _, e, i in ROOT_SHAPES], ids=[n for n, _, _ in ROOT_SHAPES]
)
def test_other_shapes_are_compiled_whole(
    edit: Callable[[dict[str, Any]], None], ids: tuple[str, ...]
) -> None:
    from inngest_conformance._requirements import catalogue

    doc = document()
    edit(doc)
    schema = schema_from_dict(doc)
    found = {r.id for r in catalogue(schema, role="validator")}
    assert set(ids) <= found
    if schema.root is not None:
        # Compiled whole, a property is a place: ``/run_id``, as a nested one is named.
        assert ("schema:rejects-wrong-type:/run_id" in found) == bool(doc["properties"])
        assert not any(r.startswith("schema:rejects-not-an-object") for r in found)
    else:
        # A property's own subschema: the record is still read property by property.
        assert "schema:rejects-wrong-type:run_id" in found


@pytest.mark.parametrize(
    "root",
    [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "integer"}},
        {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        {"$ref": "#/$defs/n", "$defs": {"n": {"type": "number", "maximum": 3}}},
        {},
    ],
)
def test_a_root_that_is_not_an_object_is_compiled_whole(root: dict[str, Any]) -> None:
    schema = schema_from_dict(root)
    assert schema.root is not None
    assert schema.properties == ()
    assert not schema.flat
    assert "#" in schema.places or not any(schema.places)


def test_a_root_no_value_fits_is_refused_in_one_line() -> None:
    with pytest.raises(SchemaError) as info:
        schema_from_dict({"type": "string", "minLength": 3, "maxLength": 2})
    assert "\n" not in str(info.value)
    assert "no value the schema accepts" in str(info.value)


@pytest.mark.parametrize("root", [[], "schema", 5, None, True])
def test_non_object_root(root: Any) -> None:
    with pytest.raises(SchemaError, match=type(root).__name__):
        schema_from_dict(root)


def test_schema_error_is_a_value_error() -> None:
    assert issubclass(SchemaError, ValueError)


# ---------------------------------------------------------------------------------------
# load_schema
# ---------------------------------------------------------------------------------------


def test_load_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "run.schema.json"
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    assert str(path) in str(info.value)
    assert "cannot read" in str(info.value)


def test_load_directory_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as info:
        load_schema(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_load_invalid_json_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"type": "object",', encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    assert str(path) in str(info.value)
    assert "not JSON" in str(info.value)


def test_load_non_utf8_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"title": "Läuft"}'.encode("latin-1"))
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    assert str(path) in str(info.value)
    assert "UTF-8" in str(info.value)


def test_load_unsupported_schema_names_path_and_keyword(tmp_path: Path) -> None:
    doc = document()
    doc["properties"]["run_id"]["$dynamicRef"] = "#meta"
    path = tmp_path / "dynamic.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    assert str(path) in str(info.value)
    assert "$dynamicRef" in str(info.value)


def test_load_modified_schema_from_file(tmp_path: Path) -> None:
    doc = document()
    doc["properties"]["status"]["enum"].append("SCHEDULED")
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert "SCHEDULED" in load_schema(path).statuses
