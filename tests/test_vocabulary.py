"""The JSON Schema vocabulary beyond the run schema's: each keyword generated valid and
near-miss invalid, judged by the oracle, named in the catalogue, and caught when an
implementation ignores it.

Each keyword gets a small record schema of its own (:data:`KEYWORDS`): an ``id`` and one
property ``x`` whose subschema uses the keyword (nested, where the keyword is about
objects or arrays).  The realistic schemas of ``examples/schemas`` are certified whole.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from inngest_conformance._planning import context
from inngest_conformance._requirements import catalogue
from inngest_conformance.errors import SchemaError
from inngest_conformance.reference import ReferenceValidator, Verdict
from inngest_conformance.strategies import (
    Oracle,
    RandomSource,
    label_holds,
    runs,
    schema_from_dict,
    targets,
)
from inngest_conformance.strategies._invalid import apply_target, variants
from inngest_conformance.strategies._records import gen_record

from tests.common import ROOT, certify_obj

DRAFT = "https://json-schema.org/draft/2020-12/schema"
EXAMPLES = ROOT / "examples" / "schemas"


def record_schema(x: Any, **root: Any) -> dict[str, Any]:
    """A record schema: a required ``id`` and a required ``x`` of subschema ``x``."""
    return {
        "$schema": DRAFT,
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "x"],
        "properties": {"id": {"type": "string"}, "x": x},
        **root,
    }


_NODE = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
    },
    "required": ["name"],
    "additionalProperties": False,
}

#: keyword -> (the schema, a requirement id its catalogue must have)
KEYWORDS: dict[str, tuple[dict[str, Any], str]] = {
    "minLength": (record_schema({"type": "string", "minLength": 3}), "schema:rejects-too-short:/x"),
    "maxLength": (record_schema({"type": "string", "maxLength": 4}), "schema:rejects-too-long:/x"),
    "pattern": (
        record_schema({"type": "string", "pattern": "^[a-z]+-[0-9]{2}$"}),
        "schema:rejects-pattern-mismatch:/x",
    ),
    "pattern-with-look-ahead": (
        record_schema(
            {"type": "string", "pattern": "^([a-z0-9]|[a-z0-9]([a-z0-9-](?!--))*[a-z0-9])$"}
        ),
        "schema:rejects-pattern-mismatch:/x",
    ),
    "const": (record_schema({"const": {"v": [1, "two", None]}}), "schema:rejects-not-const:/x"),
    "enum-of-any-type": (
        record_schema({"enum": [1, "one", None, True, {"a": 1}, [1, 2]]}),
        "schema:rejects-not-in-enum:x",
    ),
    "date": (
        record_schema({"type": "string", "format": "date"}),
        "format:rejects-malformed-format:/x",
    ),
    "time": (
        record_schema({"type": "string", "format": "time"}),
        "format:rejects-malformed-format:/x",
    ),
    "uuid": (
        record_schema({"type": "string", "format": "uuid"}),
        "format:rejects-malformed-format:/x",
    ),
    "email": (
        record_schema({"type": "string", "format": "email"}),
        "format:rejects-malformed-format:/x",
    ),
    "uri": (
        record_schema({"type": "string", "format": "uri"}),
        "format:rejects-malformed-format:/x",
    ),
    "idn-email": (
        record_schema({"type": "string", "format": "idn-email"}),
        "format:rejects-malformed-format:/x",
    ),
    "uri-reference": (
        record_schema({"type": "string", "format": "uri-reference"}),
        "format:rejects-malformed-format:/x",
    ),
    "regex": (
        record_schema({"type": "string", "format": "regex"}),
        "format:rejects-malformed-format:/x",
    ),
    "int32": (
        record_schema({"type": "integer", "format": "int32"}),
        "format:rejects-out-of-range-for-format:/x",
    ),
    "int64": (
        record_schema({"type": "integer", "format": "int64"}),
        "format:rejects-out-of-range-for-format:/x",
    ),
    "minimum": (
        record_schema({"type": "integer", "minimum": 0}),
        "schema:rejects-below-minimum:/x",
    ),
    "maximum": (
        record_schema({"type": "number", "maximum": 2.5}),
        "schema:rejects-above-maximum:/x",
    ),
    "exclusiveMinimum": (
        record_schema({"type": "number", "exclusiveMinimum": 0}),
        "schema:rejects-not-above-exclusive-minimum:/x",
    ),
    "exclusiveMaximum": (
        record_schema({"type": "integer", "exclusiveMaximum": 100}),
        "schema:rejects-not-below-exclusive-maximum:/x",
    ),
    "multipleOf": (
        record_schema({"type": "integer", "multipleOf": 5}),
        "schema:rejects-not-multiple-of:/x",
    ),
    "items": (
        record_schema({"type": "array", "items": {"type": "integer", "minimum": 1}}),
        "schema:rejects-below-minimum:/x/items",
    ),
    "prefixItems": (
        record_schema(
            {
                "type": "array",
                "prefixItems": [{"type": "string"}, {"type": "integer"}],
                "items": False,
            }
        ),
        "schema:rejects-extra-item:/x",
    ),
    "minItems": (
        record_schema({"type": "array", "minItems": 2}),
        "schema:rejects-too-few-items:/x",
    ),
    "maxItems": (
        record_schema({"type": "array", "maxItems": 2}),
        "schema:rejects-too-many-items:/x",
    ),
    "uniqueItems": (
        record_schema({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
        "schema:rejects-duplicate-items:/x",
    ),
    "contains": (
        record_schema({"type": "array", "contains": {"const": "needle"}}),
        "schema:rejects-missing-contains:/x",
    ),
    "nested-required": (
        record_schema(
            {
                "type": "object",
                "required": ["a"],
                "properties": {
                    "a": {
                        "type": "object",
                        "required": ["b"],
                        "properties": {"b": {"type": "boolean"}},
                    }
                },
            }
        ),
        "schema:rejects-missing-required:/x/a",
    ),
    "additionalProperties-false": (
        record_schema(
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "additionalProperties": False,
            }
        ),
        "schema:rejects-unknown-property:/x",
    ),
    "additionalProperties-schema": (
        record_schema({"type": "object", "additionalProperties": {"type": "integer"}}),
        "schema:rejects-wrong-type:/x/additionalProperties",
    ),
    "patternProperties": (
        record_schema(
            {
                "type": "object",
                "patternProperties": {"^n_": {"type": "number"}},
                "additionalProperties": False,
            }
        ),
        "schema:rejects-wrong-type:/x/patternProperties/^n_",
    ),
    "propertyNames": (
        record_schema({"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}}),
        "schema:rejects-bad-property-name:/x",
    ),
    "minProperties": (
        record_schema({"type": "object", "minProperties": 2}),
        "schema:rejects-too-few-properties:/x",
    ),
    "maxProperties": (
        record_schema({"type": "object", "maxProperties": 1}),
        "schema:rejects-too-many-properties:/x",
    ),
    "dependentRequired": (
        record_schema(
            {
                "type": "object",
                "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
                "dependentRequired": {"card": ["billing"]},
            }
        ),
        "schema:rejects-missing-dependent:/x",
    ),
    "$ref-defs": (
        record_schema({"$ref": "#/$defs/node"}, **{"$defs": {"node": _NODE}}),
        "schema:rejects-missing-required:/x",
    ),
    "$ref-root": (
        {
            "$schema": DRAFT,
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "children": {"type": "array", "items": {"$ref": "#"}},
            },
        },
        "schema:rejects-too-short:/id",
    ),
    "allOf": (
        record_schema(
            {"allOf": [{"type": "integer", "minimum": 0}, {"type": "integer", "maximum": 9}]}
        ),
        "schema:rejects-breaks-all-of:/x",
    ),
    "anyOf": (
        record_schema({"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer"}]}),
        "schema:rejects-no-branch:/x",
    ),
    "oneOf": (
        record_schema(
            {"oneOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}]}
        ),
        "schema:rejects-several-branches:/x",
    ),
    "not": (
        record_schema({"type": "string", "not": {"enum": ["admin", "root"]}}),
        "schema:rejects-matches-not:/x",
    ),
    "if-then-else": (
        record_schema(
            {
                "type": "object",
                "properties": {"kind": {"enum": ["a", "b"]}, "a": {"type": "integer"}},
                "required": ["kind"],
                "if": {"properties": {"kind": {"const": "a"}}},
                "then": {"required": ["a"]},
                "else": {"not": {"required": ["a"]}},
            }
        ),
        "schema:rejects-breaks-then:/x",
    ),
}


@pytest.fixture(params=sorted(KEYWORDS))
def keyword(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_valid_records_of_each_keyword_pass_the_oracle(keyword: str) -> None:
    schema = schema_from_dict(KEYWORDS[keyword][0])
    oracle = Oracle(schema)
    for seed in range(200):
        record = gen_record(RandomSource(seed), schema)
        assert oracle.is_valid(record), (keyword, seed, record, oracle.errors(record))
        plain = gen_record(RandomSource(seed), schema, plain=True)
        assert oracle.is_valid(plain), (keyword, seed, plain, oracle.errors(plain))


def test_invalid_records_of_each_keyword_break_exactly_their_label(keyword: str) -> None:
    """Every target's drawn cases: at least one in five holds its label as drawn (the
    strategies filter the rest: a near miss of a value an ``if`` reads may also move the
    record to another branch), and every directed variant holds it."""
    schema = schema_from_dict(KEYWORDS[keyword][0])
    oracle = Oracle(schema)
    for target in targets(schema):
        held = sum(
            label_holds(oracle, apply_target(RandomSource(s), schema, target)) for s in range(60)
        )
        assert held >= 12, (keyword, target.name, held)
        directed = variants(schema, target, oracle)
        assert directed, (keyword, target.name)
        assert all(label_holds(oracle, case) for case in directed)


def test_each_keyword_has_its_requirement(keyword: str) -> None:
    document, rid = KEYWORDS[keyword]
    ids = [r.id for r in catalogue(schema_from_dict(document))]
    assert rid in ids, ids
    # Ids are the same every time the schema is read (and in the order first reached).
    assert ids == [r.id for r in catalogue(schema_from_dict(copy.deepcopy(document)))]


@pytest.mark.slow
@pytest.mark.parametrize(
    "keyword", ["pattern", "oneOf", "propertyNames", "$ref-root", "uniqueItems"]
)
def test_a_shrunk_invalid_case_still_breaks_its_label(keyword: str) -> None:
    ctx = context(KEYWORDS[keyword][0])
    for req in (r for r in catalogue(ctx.schema) if r.kind == "reject" and ":/" in r.id):
        shrunk = find(
            req.cases(ctx),
            lambda case: True,
            settings=settings(
                database=None, max_examples=50, suppress_health_check=list(HealthCheck)
            ),
        )
        assert label_holds(ctx.oracle, shrunk), (req.id, shrunk)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_recursive_records_are_valid_at_every_depth(data: st.DataObject) -> None:
    document = json.loads((EXAMPLES / "span.schema.json").read_text())
    record = data.draw(runs(document))
    assert Oracle(schema_from_dict(document)).is_valid(record)


def test_invalid_cases_go_deep_inside_a_recursive_schema() -> None:
    schema = schema_from_dict(json.loads((EXAMPLES / "span.schema.json").read_text()))
    oracle = Oracle(schema)
    depths = set()
    for target in targets(schema):
        for seed in range(40):
            case = apply_target(RandomSource(seed), schema, target)
            if label_holds(oracle, case):
                depths.add(case.violation.path.count("/children/"))
    assert depths >= {0, 1, 2}


@pytest.mark.parametrize(
    "document, words",
    [
        (
            record_schema({"type": "string", "$dynamicRef": "#meta"}),
            ["/properties/x", "$dynamicRef"],
        ),
        (record_schema({"$ref": "other.json#/x"}), ["/properties/x", "other.json"]),
        (record_schema({"$ref": "#/$defs/missing"}), ["points at nothing"]),
        (record_schema({"type": "string", "format": "hostname"}), ["hostname", "not supported"]),
        (
            record_schema({"type": "object", "properties": {"a": False}, "required": ["a"]}),
            ["/properties/x/properties/a", "required", "'false'"],
        ),
        (
            record_schema({"type": "integer", "minimum": 5, "maximum": 1}),
            ["properties/x", "no value"],
        ),
        (record_schema({"type": "string", "pattern": "(a)\\1"}), ["pattern"]),
    ],
)
def test_what_stays_unsupported_is_refused_naming_where(
    document: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(SchemaError) as info:
        schema_from_dict(document)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_the_run_schema_is_still_flat() -> None:
    """The packaged run schema takes none of the compiled path: its catalogue, ids and
    draws are what they were (the other tests pin them)."""
    ctx = context()
    assert ctx.schema.flat and not ctx.schema.nodes
    assert not any(":/" in r.id for r in catalogue(ctx.schema))


# --- whole runs --------------------------------------------------------------------------


def _without(document: dict[str, Any], path: list[str]) -> dict[str, Any]:
    """``document`` with the keyword at ``path`` taken out: a validator that ignores it."""
    out = copy.deepcopy(document)
    where: Any = out
    for token in path[:-1]:
        where = where[token]
    del where[path[-1]]
    return out


REALISTIC = {
    "event": [
        "schema:rejects-pattern-mismatch:/name",
        "format:rejects-malformed-format:/user/email",
    ],
    "function": [
        "schema:rejects-several-branches:/triggers/items",
        "schema:rejects-missing-required:/concurrency",
    ],
    "span": [
        "schema:rejects-bad-property-name:/attributes",
        "schema:rejects-below-minimum:/attempt",
    ],
}

#: schema -> (the keyword a broken validator ignores, the requirement that must catch it)
PLANTED: dict[str, list[tuple[list[str], str]]] = {
    "event": [
        (["properties", "name", "pattern"], "schema:rejects-pattern-mismatch:/name"),
        (["properties", "ts", "minimum"], "schema:rejects-below-minimum:/ts"),
        (
            ["properties", "user", "properties", "email", "format"],
            "format:rejects-malformed-format:/user/email",
        ),
    ],
    "function": [
        # Without its oneOf a trigger may have both or neither: both requirements fail.
        (
            ["$defs", "trigger", "oneOf"],
            "schema:rejects-several-branches:/triggers/items "
            "schema:rejects-no-one-branch:/triggers/items",
        ),
        (["properties", "triggers", "minItems"], "schema:rejects-too-few-items:/triggers"),
        (
            ["properties", "concurrency", "properties", "limit", "exclusiveMinimum"],
            "schema:rejects-not-above-exclusive-minimum:/concurrency/limit",
        ),
        (["properties", "tags", "uniqueItems"], "schema:rejects-duplicate-items:/tags"),
        (["properties", "priority", "multipleOf"], "schema:rejects-not-multiple-of:/priority"),
        (["dependentRequired"], "schema:rejects-missing-dependent:idempotency"),
    ],
    "span": [
        (["properties", "attempt", "minimum"], "schema:rejects-below-minimum:/attempt"),
        (
            ["properties", "attributes", "propertyNames"],
            "schema:rejects-bad-property-name:/attributes",
        ),
        (
            ["properties", "attributes", "maxProperties"],
            "schema:rejects-too-many-properties:/attributes",
        ),
        (["properties", "children", "maxItems"], "schema:rejects-too-many-items:/children"),
        (["properties", "span_id", "format"], "format:rejects-malformed-format:/span_id"),
    ],
}


def _realistic(name: str) -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / f"{name}.schema.json").read_text()))


def _failed(report: dict[str, Any]) -> set[str]:
    return {r["id"] for r in report["requirements"] if r["outcome"] == "failed"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_the_reference_certifies_against_each_realistic_schema(name: str) -> None:
    document = _realistic(name)
    ctx = context(document)
    report = certify_obj(ReferenceValidator(Oracle(ctx.schema)), ctx=ctx)
    assert report["verdict"] == "conformant", _failed(report)
    ids = {r["id"] for r in report["requirements"]}
    assert set(REALISTIC[name]) <= ids


class PlainJsonschema:
    """python-jsonschema itself: ``Draft202012Validator`` of the schema, no format checks."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.validator = jsonschema.Draft202012Validator(document)

    def __call__(self, record: Any) -> Verdict:
        errors = [f"{e.json_path}: {e.message}" for e in self.validator.iter_errors(record)]
        return Verdict(not errors, tuple(errors))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_python_jsonschema_passes_the_schema_level_of_each_realistic_schema(name: str) -> None:
    """An independent implementation of the vocabulary agrees with every label the kit
    draws: plain python-jsonschema, with none of the kit's own checks, is conformant at the
    schema level (formats are annotations there: the format level is the kit's)."""
    document = _realistic(name)
    ctx = context(document)
    report = certify_obj(PlainJsonschema(document), ctx=ctx, levels=["schema"])
    assert report["verdict"] == "conformant", _failed(report)
    judged = [r for r in report["requirements"] if r["outcome"] == "passed"]
    assert len(judged) >= 10 and all(r["level"] == "schema" for r in judged)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, ignored, blamed",
    [(name, ignored, blamed) for name, cases in PLANTED.items() for ignored, blamed in cases],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_quick_catches_a_validator_that_ignores_a_keyword(
    name: str, ignored: list[str], blamed: str
) -> None:
    """A validator that ignores one keyword fails at quick, on that keyword's requirement
    and on no other.  The event schema's first defect gets a whole run, where no other
    requirement may fail; the others run the requirements about the same place, the only
    ones a validator that accepts more there could fail (each requirement's search is
    seeded by the run seed and its own id, so this is the outcome a whole run gives)."""
    document = _realistic(name)
    ctx = context(document)
    broken = ReferenceValidator(Oracle(schema_from_dict(_without(document, ignored))))
    ids = set(blamed.split())
    whole = name == "event" and (ignored, blamed) == PLANTED[name][0]
    places = {rid.rsplit(":", 1)[1] for rid in ids}
    family = [r.id for r in catalogue(ctx.schema) if r.id.rsplit(":", 1)[-1] in places]
    report = certify_obj(broken, ctx=ctx, only=() if whole else family)
    assert _failed(report) == ids
    if whole:
        assert len(report["requirements"]) > len(family)
    for row in (r for r in report["requirements"] if r["id"] in ids):
        assert row["counterexample"] is not None


def test_the_cli_certifies_the_reference_against_another_schema(tmp_path: Path) -> None:
    """``--schema`` reaches the reference validator (its ``for_schema``): it judges the
    records against the schema the run generates them from."""
    from tests.common import REFERENCE, run_cli

    result = run_cli(
        tmp_path,
        "certify",
        "--target",
        REFERENCE,
        "--schema",
        str(EXAMPLES / "event.schema.json"),
        "--profile",
        "quick",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["verdict"] == "conformant"
    assert any(r["id"] == "schema:rejects-pattern-mismatch:/name" for r in report["requirements"])


#: What ajv with ajv-formats gets wrong at the format level, by schema (as the docs say).
AJV_FORMAT_FAILURES = {
    "event": {"format:rejects-out-of-range-for-format:/ts"},
    "function": set(),
    "span": {
        "format:rejects-malformed-date-time:started_at",
        "format:rejects-malformed-date-time:ended_at",
        "format:rejects-malformed-format:/span_id",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(AJV_FORMAT_FAILURES))
def test_the_node_ajv_harness_against_each_realistic_schema(name: str) -> None:
    """ajv agrees with the oracle on every schema-level requirement of each schema; at the
    format level it fails where ajv-formats is lenient (a space in a date-time, a
    ``urn:uuid:`` UUID, 2^63 as an int64), and nowhere else."""
    import shutil

    from inngest_conformance._adapters import open_adapter
    from inngest_conformance._run import certify_adapter

    from tests.common import NODE_HARNESS

    if shutil.which("node") is None or not (NODE_HARNESS.parent / "node_modules").is_dir():
        pytest.skip("node or examples/node-ajv/node_modules missing (npm ci in examples/node-ajv)")
    path = EXAMPLES / f"{name}.schema.json"
    ctx = context(str(path))
    # The requirements of the vocabulary (nested places, dependentRequired) and every
    # format one; the run record's own kinds of requirement are asked of ajv elsewhere
    # (tests/test_adapters_process.py, examples/).  The whole runs, measured, pass the
    # schema level too.
    only = [
        r.id
        for r in catalogue(ctx.schema, role="validator")
        if ":/" in r.id or "dependent" in r.id or r.level == "format"
    ]
    if name == "function":  # the costliest: its triggers (a oneOf) and dependentRequired
        only = [rid for rid in only if "/triggers" in rid or "dependent" in rid]
    adapter = open_adapter(
        command=f"node {NODE_HARNESS} {path}", startup_timeout=20.0, schema=str(path)
    )
    try:
        report = certify_adapter(adapter, ctx=ctx, profile="quick", only=only).report
    finally:
        adapter.close()
    assert report["levels"]["schema"] == "passed", _failed(report)
    assert _failed(report) == AJV_FORMAT_FAILURES[name]


def test_a_compiled_schema_travels_to_worker_processes() -> None:
    """A schema is pickled (for ``--jobs``) as its document and read again there."""
    import pickle

    schema = schema_from_dict(_realistic("function"))
    again = pickle.loads(pickle.dumps(schema))
    assert again.sha256 == schema.sha256
    assert [r.id for r in catalogue(again)] == [r.id for r in catalogue(schema)]
