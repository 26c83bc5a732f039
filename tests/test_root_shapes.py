"""Schemas of any shape at the root, compiled whole: records that are strings, arrays, any
JSON; composition, ``$ref``, ``patternProperties``, ``additionalProperties`` subschemas,
``dependentSchemas``, ``unevaluatedProperties`` and ``unevaluatedItems`` at the root.

Each shape is certified through the command line at quick, against the kit's reference
validator and against python-jsonschema itself (a target module the test writes), with
requirements at the root (``schema:rejects-...:#``); a property over drawn root-shaped
schemas holds generation to python-jsonschema; a validator that misses one keyword of a
root-shaped schema is caught on that keyword's requirement.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance._planning import context
from inngest_conformance._requirements import catalogue, lifecycle_unjudged
from inngest_conformance.errors import SchemaError
from inngest_conformance.reference import ReferenceValidator, store
from inngest_conformance.strategies import (
    Oracle,
    RandomSource,
    default_lifecycle,
    label_holds,
    schema_from_dict,
    targets,
)
from inngest_conformance.strategies._invalid import apply_target, unbuilt
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._source import Unsatisfiable

from tests.common import REFERENCE, certify_obj, read_report, run_cli

pytest_plugins = ["pytester"]

#: shape -> (the schema, requirement ids its catalogue must have)
SHAPES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "string": (
        {"type": "string", "minLength": 2, "maxLength": 5},
        (
            "schema:rejects-wrong-type:#",
            "schema:rejects-too-short:#",
            "schema:rejects-too-long:#",
        ),
    ),
    "array": (
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 3},
        (
            "schema:rejects-wrong-type:#",
            "schema:rejects-too-many-items:#",
            "schema:rejects-below-minimum:/items",
        ),
    ),
    "any-of": (
        {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1}]},
        ("schema:rejects-no-branch:#",),
    ),
    "one-of": (
        {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "string", "pattern": "^a"}]},
        ("schema:rejects-no-one-branch:#", "schema:rejects-several-branches:#"),
    ),
    "conditionals": (
        {
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
            "if": {"properties": {"n": {"minimum": 10}}},
            "then": {"required": ["big"]},
            "else": {"required": ["small"]},
            "not": {"required": ["forbidden"]},
            "allOf": [{"maxProperties": 3}],
        },
        (
            "schema:rejects-breaks-then:#",
            "schema:rejects-breaks-else:#",
            "schema:rejects-matches-not:#",
            "schema:rejects-breaks-all-of:#",
            "schema:rejects-wrong-type:/n",
        ),
    ),
    "ref": (
        {
            "$ref": "#/$defs/item",
            "$defs": {
                "item": {
                    "type": "object",
                    "properties": {"id": {"type": "string", "minLength": 1}},
                    "required": ["id"],
                }
            },
        },
        ("schema:rejects-missing-required:#", "schema:rejects-too-short:/id"),
    ),
    "pattern-and-additional": (
        {
            "type": "object",
            "properties": {"id": {"type": "string"}},
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": {"type": "integer"},
        },
        (
            "schema:rejects-wrong-type:/patternProperties/^x-",
            "schema:rejects-wrong-type:/additionalProperties",
        ),
    ),
    "dependent-schemas": (
        {
            "type": "object",
            "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
            "dependentSchemas": {"card": {"required": ["billing"]}},
        },
        ("schema:rejects-breaks-dependent-schema:#",),
    ),
    "unevaluated-properties": (
        {
            "type": "object",
            "allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]}],
            "properties": {"b": {"type": "string"}},
            "unevaluatedProperties": False,
        },
        ("schema:rejects-unevaluated-property:#", "schema:rejects-wrong-type:/b"),
    ),
    "tree": (
        {
            "type": "object",
            "properties": {
                "kids": {"type": "array", "items": {"$ref": "#"}},
                "v": {"type": "integer", "minimum": 0},
            },
            "required": ["v"],
            "additionalProperties": False,
            "minProperties": 1,
        },
        # Without v, the record still has a property (kids): only required is broken.
        ("schema:rejects-missing-required:#", "schema:rejects-below-minimum:/v"),
    ),
    "unevaluated-items": (
        {"type": "array", "prefixItems": [{"type": "string"}], "unevaluatedItems": False},
        ("schema:rejects-unevaluated-item:#", "schema:rejects-wrong-type:/prefixItems/0"),
    ),
}

#: The target module a CLI run certifies: python-jsonschema's validator of the schema.
JSONSCHEMA_TARGET = """\
import json
from pathlib import Path

import jsonschema

validator = jsonschema.Draft202012Validator(
    json.loads((Path(__file__).parent / "schema.json").read_text())
)
"""


def _certify_cli(tmp_path: Path, document: dict[str, Any], target: str) -> dict[str, Any]:
    """The report of ``certify --target TARGET --schema`` the document, at quick."""
    (tmp_path / "schema.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "jsv_target.py").write_text(JSONSCHEMA_TARGET, encoding="utf-8")
    result = run_cli(
        tmp_path,
        "certify",
        "--target",
        target,
        "--schema",
        str(tmp_path / "schema.json"),
        "--profile",
        "quick",
        "--report-dir",
        str(tmp_path / "out"),
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    return read_report(tmp_path / "out")


def _check_conformant(report: dict[str, Any], wanted: tuple[str, ...]) -> None:
    rows = {r["id"]: r for r in report["requirements"]}
    assert report["verdict"] == "conformant"
    assert set(wanted) <= set(rows)
    assert all(rows[i]["outcome"] == "passed" for i in wanted)
    assert rows["schema:accepts-valid-records"]["outcome"] == "passed"
    assert not any(i.startswith("schema:rejects-not-an-object") for i in rows)


def test_the_cli_certifies_python_jsonschema_against_a_string_root(tmp_path: Path) -> None:
    document, wanted = SHAPES["string"]
    _check_conformant(_certify_cli(tmp_path, document, "jsv_target:validator"), wanted)


@pytest.mark.slow
@pytest.mark.parametrize("target", [REFERENCE, "jsv_target:validator"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_cli_certifies_each_root_shape(tmp_path: Path, shape: str, target: str) -> None:
    document, wanted = SHAPES[shape]
    _check_conformant(_certify_cli(tmp_path, document, target), wanted)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_has_its_requirements_at_the_root(shape: str) -> None:
    document, wanted = SHAPES[shape]
    schema = schema_from_dict(document)
    assert schema.root is not None
    ids = [r.id for r in catalogue(schema, role="validator")]
    assert set(wanted) <= set(ids)
    assert len(ids) == len(set(ids))
    # No record properties to be required or optional: those two are not claimed.
    assert "schema:accepts-required-only" not in ids


@pytest.mark.slow
def test_the_reference_is_conformant_on_each_shape_in_process() -> None:
    for shape, (document, wanted) in SHAPES.items():
        ctx = context(document)
        report = certify_obj(ReferenceValidator(Oracle(ctx.schema)), ctx=ctx)
        assert report["verdict"] == "conformant", shape
        assert set(wanted) <= {r["id"] for r in report["requirements"]}, shape


#: shape -> (the keyword a broken validator ignores, the requirement that must catch it)
PLANTED: list[tuple[str, tuple[str, ...], str]] = [
    ("string", ("minLength",), "schema:rejects-too-short:#"),
    ("array", ("items", "minimum"), "schema:rejects-below-minimum:/items"),
    ("dependent-schemas", ("dependentSchemas",), "schema:rejects-breaks-dependent-schema:#"),
    (
        "unevaluated-properties",
        ("unevaluatedProperties",),
        "schema:rejects-unevaluated-property:#",
    ),
    ("unevaluated-items", ("unevaluatedItems",), "schema:rejects-unevaluated-item:#"),
]


def _without(document: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(document))
    where: Any = out
    for token in path[:-1]:
        where = where[int(token)] if isinstance(where, list) else where[token]
    del where[path[-1]]
    return out


def test_quick_catches_a_validator_that_takes_one_of_for_any_of() -> None:
    """The single edit ``oneOf`` -> ``anyOf`` at the root: the validator accepts a value
    that matches both branches, and only ``rejects-several-branches:#`` fails."""
    document, _ = SHAPES["one-of"]
    ctx = context(document)
    mutant = {"anyOf": document["oneOf"]}
    report = certify_obj(ReferenceValidator(Oracle(schema_from_dict(mutant))), ctx=ctx)
    failed = {r["id"] for r in report["requirements"] if r["outcome"] == "failed"}
    assert failed == {"schema:rejects-several-branches:#"}


@pytest.mark.parametrize(
    ("shape", "ignored", "blamed"), PLANTED, ids=[f"{s}-{b}" for s, _, b in PLANTED]
)
def test_quick_catches_a_validator_that_ignores_a_root_keyword(
    shape: str, ignored: tuple[str, ...], blamed: str
) -> None:
    """A single-edit mutant of a root-shaped schema (one keyword taken out), as the
    validator under test, fails at quick on that keyword's requirement and no other."""
    document, _ = SHAPES[shape]
    ctx = context(document)
    broken = ReferenceValidator(Oracle(schema_from_dict(_without(document, ignored))))
    report = certify_obj(broken, ctx=ctx)
    failed = {r["id"] for r in report["requirements"] if r["outcome"] == "failed"}
    assert failed == {blamed}
    row = next(r for r in report["requirements"] if r["id"] == blamed)
    # The validator took what the schema forbids: the counterexample is invalid to it.
    assert not Oracle(ctx.schema).is_valid(row["counterexample"])
    assert Oracle(schema_from_dict(_without(document, ignored))).is_valid(row["counterexample"])


def test_a_root_that_is_not_an_object_has_no_lifecycle_level_and_says_why() -> None:
    schema = schema_from_dict(SHAPES["string"][0])
    assert not [r for r in catalogue(schema) if r.level == "lifecycle"]
    why = lifecycle_unjudged(schema, default_lifecycle())
    assert why is not None and "run_id" in why and "\n" not in why
    ctx = context(SHAPES["string"][0])
    report = certify_obj(store.for_schema(ctx.schema), ctx=ctx, role="lifecycle")
    assert report["verdict"] == "error"
    assert any("lifecycle level is not judged" in w for w in report["warnings"])


def test_fixtures_and_audit_take_a_root_that_is_not_an_object(tmp_path: Path) -> None:
    document = SHAPES["string"][0]
    (tmp_path / "schema.json").write_text(json.dumps(document), encoding="utf-8")
    made = run_cli(
        tmp_path,
        "fixtures",
        "--schema",
        "schema.json",
        "--valid",
        "20",
        "--invalid",
        "20",
        "--seed",
        "3",
        "--out",
        "fx",
    )
    assert made.returncode == 0, made.stderr
    check = jsonschema.Draft202012Validator(document)
    valid = [json.loads(line) for line in (tmp_path / "fx" / "valid.jsonl").open()]
    invalid = [json.loads(line) for line in (tmp_path / "fx" / "invalid.jsonl").open()]
    assert len(valid) == len(invalid) == 20
    assert all(check.is_valid(row["record"]) for row in valid)
    assert not any(check.is_valid(row["record"]) for row in invalid)
    assert {row["violation"]["property"] for row in invalid} == {"#"}
    records = [row["record"] for row in valid[:3]] + [invalid[0]["record"]]
    (tmp_path / "emitted.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    audited = run_cli(
        tmp_path, "audit", "emitted.jsonl", "--schema", "schema.json", "--report-dir", "out"
    )
    assert "Traceback" not in audited.stderr
    assert audited.returncode == 1
    rows = {r["id"]: r for r in read_report(tmp_path / "out")["requirements"]}
    assert rows["source:emits-valid-records"]["outcome"] == "failed"
    assert rows["source:emits-valid-records"]["counterexample"] == invalid[0]["record"]


def test_the_plugin_certifies_against_a_root_that_is_not_an_object(
    pytester: pytest.Pytester,
) -> None:
    """The plugin's door: one item per requirement of an array root, ``#`` in the ids."""
    from inngest_conformance.plugin import option_name

    document, wanted = SHAPES["array"]
    (pytester.path / "schema.json").write_text(json.dumps(document), encoding="utf-8")
    result = pytester.runpytest_subprocess(
        option_name("target"),
        REFERENCE,
        option_name("schema"),
        "schema.json",
        option_name("profile"),
        "quick",
        option_name("report"),
        "out",
        "-rA",
    )
    ids = [r.id for r in catalogue(schema_from_dict(document), role="validator")]
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=len(ids))
    for rid in wanted:
        assert f"inngest-conformance::{rid}" in result.stdout.str()
    _check_conformant(read_report(pytester.path / "out"), wanted)


# --- drawn root-shaped schemas -----------------------------------------------------------

_LEAVES = st.one_of(
    st.builds(
        lambda lo, extra: {"type": "string", "minLength": lo, "maxLength": lo + extra},
        st.integers(0, 3),
        st.integers(0, 4),
    ),
    st.builds(
        lambda lo, extra: {"type": "integer", "minimum": lo, "maximum": lo + extra},
        st.integers(-5, 5),
        st.integers(0, 10),
    ),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.just({"enum": ["a", 1, None]}),
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    names = st.sampled_from(["a", "b", "c"])
    return st.one_of(
        st.builds(
            lambda items, most: {"type": "array", "items": items, "maxItems": most},
            inner,
            st.integers(0, 3),
        ),
        st.builds(
            lambda props, req: {
                "type": "object",
                "properties": props,
                "required": sorted(set(req) & set(props)),
            },
            st.dictionaries(names, inner, max_size=3),
            st.lists(names, max_size=2),
        ),
        st.builds(
            lambda props, extra: {
                "type": "object",
                "properties": props,
                "patternProperties": {"^x": extra},
                "additionalProperties": extra,
            },
            st.dictionaries(names, inner, max_size=2),
            inner,
        ),
        st.builds(
            lambda props: {
                "type": "object",
                "properties": props,
                "unevaluatedProperties": False,
            },
            st.dictionaries(names, inner, min_size=1, max_size=2),
        ),
        st.builds(
            lambda props, dep: {
                "type": "object",
                "properties": props,
                "dependentSchemas": {"a": {"required": [dep]}},
            },
            st.dictionaries(names, inner, max_size=2),
            names,
        ),
        st.builds(lambda branches: {"anyOf": branches}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda sub: {"$ref": "#/$defs/d", "$defs": {"d": sub}}, inner),
    )


ROOT_SCHEMAS = st.recursive(_LEAVES, _containers, max_leaves=4)


def _hoisted(document: dict[str, Any]) -> dict[str, Any]:
    """A drawn schema with its ``$defs`` references resolved where they were drawn: each
    ``{"$ref": "#/$defs/d", "$defs": {"d": S}}`` inside becomes ``S`` (a reference is to
    the root's ``$defs``), the root's own kept as drawn."""

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$ref", "$defs"}:
                return inline(value["$defs"]["d"])
            return {k: inline(v) for k, v in value.items()}
        if isinstance(value, list):
            return [inline(v) for v in value]
        return value

    if set(document) == {"$ref", "$defs"}:
        return {"$ref": "#/$defs/d", "$defs": {"d": inline(document["$defs"]["d"])}}
    return dict(inline(document))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(document=ROOT_SCHEMAS.map(_hoisted), seed=st.integers(0, 2**16))
def test_drawn_root_schemas_are_held_to_python_jsonschema(
    document: dict[str, Any], seed: int
) -> None:
    """Every generated valid record of a drawn root-shaped schema passes python-jsonschema
    (plain, none of the kit's own checks), and every labelled invalid one whose label holds
    fails it."""
    try:
        schema = schema_from_dict(document)
    except SchemaError:
        return  # drawn bounds no value meets: refused in one line, as it should be
    check = jsonschema.Draft202012Validator(document)
    for i in range(5):
        record = gen_record(RandomSource(seed + i), schema)
        assert check.is_valid(record), (document, record)
    oracle = Oracle(schema)
    for target in targets(schema):
        if unbuilt(schema, target) is not None:
            continue
        for i in range(3):
            try:
                case = apply_target(RandomSource(seed + i), schema, target)
            except Unsatisfiable:
                break  # no near miss found: what the kit reports, not a wrong label
            if label_holds(oracle, case):
                assert not check.is_valid(case.record), (document, target, case)


# --- references to other documents -------------------------------------------------------

#: A folder of schemas: the root refers to a definition in another file, which refers to a
#: third file beside it (by a path relative to its own ``$id``).
FOLDER: dict[str, dict[str, Any]] = {
    "root.json": {"$ref": "defs/item.json#/$defs/item"},
    "defs/item.json": {
        "$id": "https://example.com/defs/item.json",
        "$defs": {
            "id": {"type": "string", "minLength": 2},
            "item": {
                "type": "object",
                "properties": {"id": {"$ref": "#/$defs/id"}, "owner": {"$ref": "user.json"}},
                "required": ["id"],
            },
        },
    },
    "defs/user.json": {
        "$id": "https://example.com/defs/user.json",
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 4}},
        "required": ["name"],
        "additionalProperties": False,
    },
}

#: python-jsonschema with a ``referencing`` registry of the folder's files.
REGISTRY_TARGET = """\
import json
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).parent / "schemas"
pairs = []
for path in HERE.rglob("*.json"):
    doc = json.loads(path.read_text())
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    pairs.append((path.relative_to(HERE).as_posix(), resource))
    if "$id" in doc:
        pairs.append((doc["$id"], resource))
validator = jsonschema.Draft202012Validator(
    json.loads((HERE / "root.json").read_text()), registry=Registry().with_resources(pairs)
)
"""


def _folder(tmp_path: Path, files: dict[str, dict[str, Any]] = FOLDER) -> Path:
    folder = tmp_path / "schemas"
    for name, doc in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "reg_target.py").write_text(REGISTRY_TARGET, encoding="utf-8")
    return folder


WANTED_ACROSS = (
    "schema:rejects-missing-required:#",
    "schema:rejects-too-short:/id",
    "schema:rejects-missing-required:/owner",
    "schema:rejects-too-long:/owner/name",
)


@pytest.mark.parametrize("target", [REFERENCE, "reg_target:validator"])
def test_the_cli_follows_references_into_the_schemas_folder(tmp_path: Path, target: str) -> None:
    folder = _folder(tmp_path)
    result = run_cli(
        tmp_path,
        "certify",
        "--target",
        target,
        "--schema",
        str(folder / "root.json"),
        "--profile",
        "quick",
        "--report-dir",
        "out",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    _check_conformant(report, WANTED_ACROSS)


def test_a_reference_is_read_from_the_folder_and_bundled(tmp_path: Path) -> None:
    from inngest_conformance.strategies import load_schema

    folder = _folder(tmp_path)
    schema = load_schema(folder / "root.json")
    # One self-contained document: what the oracle, the workers and the hash read.
    assert all(not r.startswith(("defs/", "http", "user")) for r in _refs(schema.document))
    assert schema_from_dict(schema.source).sha256 == schema.sha256
    check = jsonschema.Draft202012Validator(schema.document)
    for i in range(20):
        assert check.is_valid(gen_record(RandomSource(i), schema))
    # A file without an $id, beside one with: found by the $id's folder.
    files = json.loads(json.dumps(FOLDER))
    del files["defs/user.json"]["$id"]
    folder = _folder(tmp_path / "no-id", files)
    assert "/owner/name" in load_schema(folder / "root.json").places


def _refs(document: Any) -> list[str]:
    out: list[str] = []
    if isinstance(document, dict):
        if isinstance(document.get("$ref"), str):
            out.append(document["$ref"])
        for value in document.values():
            out += _refs(value)
    elif isinstance(document, list):
        for value in document:
            out += _refs(value)
    return out


def test_a_reference_nothing_can_resolve_is_refused_in_one_line(tmp_path: Path) -> None:
    from inngest_conformance.strategies import load_schema

    with pytest.raises(SchemaError) as given_none:
        schema_from_dict(FOLDER["root.json"])
    assert "'defs/item.json#/$defs/item'" in str(given_none.value)
    assert "no folder of schemas" in str(given_none.value)
    (tmp_path / "alone.json").write_text(
        json.dumps({"$ref": "https://example.org/elsewhere.json"}), encoding="utf-8"
    )
    with pytest.raises(SchemaError) as missing:
        load_schema(tmp_path / "alone.json")
    message = str(missing.value)
    assert "https://example.org/elsewhere.json" in message and "never from a network" in message
    assert "\n" not in message + str(given_none.value)
    result = run_cli(tmp_path, "requirements", "--schema", "alone.json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
