"""Tests for generation that finds what exists (:mod:`.strategies._subschema`) and for the
requirements that exist only where a near miss does (:mod:`.strategies._near_misses`):
random small schemas held to a brute-force witness from python-jsonschema, and the
reproductions of schemas that once ended in a traceback, through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance.errors import SchemaError
from inngest_conformance.strategies._near_misses import disjoint, unreachable_rules
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._rfc3339 import is_common_datetime
from inngest_conformance.strategies._schema import schema_from_dict
from inngest_conformance.strategies._source import MinimalSource, RandomSource, Unsatisfiable

from tests.common import certify_obj, read_report, run_cli

# ---------------------------------------------------------------------------------------
# A small vocabulary, and every value of a small space
# ---------------------------------------------------------------------------------------

#: The values a witness is looked for among: each JSON type, small and empty containers,
#: objects of the properties the schemas below speak of.
SCALARS: tuple[Any, ...] = (
    *(None, True, False, 0, 1, 2, -1, 1.5),
    *("", "a", "ab", "b", "ba", "fifo", "\n", "a\n"),
)
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
    # Patterns anchored or not, ending the string or not, whose beginnings part ways or
    # share: what the oneOf reasoning reads.
    st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "^ab", "^b", "^$", "a$", "b"])),
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
    """A record of a value of :data:`VALUES` at ``/v/w`` that python-jsonschema and
    jsonschema-rs both take, or ``None``.  Both: the kit draws strings that Python's and
    ECMA-262's regular expressions read alike, so a value valid only because Python's
    ``$`` matches before a trailing newline (``"\n"`` for ``^$``) is no witness."""
    python = jsonschema.Draft202012Validator(document)
    ecma = jsonschema_rs.validator_for(document)
    for value in VALUES:
        record = {"v": {"w": value}}
        if python.is_valid(record) and ecma.is_valid(record):
            return record
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


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(SUBSCHEMAS)
def test_the_solver_finds_a_value_wherever_python_jsonschema_finds_one(sub: dict[str, Any]) -> None:
    _holds_the_solver_to_the_witness(sub)


@pytest.mark.parametrize(
    "sub",
    [
        # "ba": a match of a$ with text before it, which the ^a branch refuses.
        {"pattern": "a$", "oneOf": [{"minLength": 0}, {"pattern": "^a"}]},
        {"pattern": "a", "oneOf": [{"pattern": "a$"}, {"pattern": "^a"}]},
        # "\n" is valid to Python's $ alone: no witness, and the kit may refuse it.
        {"pattern": "^$", "oneOf": [{"minLength": 1}, {"pattern": "^a"}]},
    ],
)
def test_the_solver_finds_values_the_5000_schemas_once_missed(sub: dict[str, Any]) -> None:
    _holds_the_solver_to_the_witness(sub)


# The same 5,000 schemas every run (the default suite's 150 are new each run and explore):
# a schema one of them finds goes into the reproductions above, so CI judges the kit, not luck.
@pytest.mark.slow
@settings(
    max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
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


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(SUBSCHEMAS, SUBSCHEMAS)
def test_disjoint_branches_share_no_value(a: dict[str, Any], b: dict[str, Any]) -> None:
    node = _compiled({"oneOf": [a, b]})
    if node is None or node.compiler is None or not disjoint(node.compiler, a, b):
        return
    left, right = jsonschema.Draft202012Validator(a), jsonschema.Draft202012Validator(b)
    both = [v for v in VALUES if left.is_valid(v) and right.is_valid(v)]
    assert not both, f"{a!r} and {b!r} called disjoint, yet both take {both[0]!r}"


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
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
        # Only a value the composition's siblings allow could be a near miss of it.
        siblings = jsonschema.Draft202012Validator({k: v for k, v in sub.items() if k != key})
        for value in filter(siblings.is_valid, VALUES):
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
    apart = "its oneOf branches never overlap: no value matches two of them"
    prefixes = _compiled(
        {"oneOf": [{"enum": ["pip"]}, *({"type": "string", "pattern": f"^{p};"} for p in "ab")]}
    )
    assert dict(unreachable_rules(prefixes)) == {"several-branches": apart}
    shared = _compiled({"oneOf": [{"type": "string", "pattern": p} for p in ("^a", "^ab")]})
    assert unreachable_rules(shared) == ()
    one_text = _compiled({"oneOf": [{"type": "string", "pattern": p} for p in ("^$", "args:")]})
    assert dict(unreachable_rules(one_text)) == {"several-branches": apart}
    branch_types = _compiled(
        {"oneOf": [{"type": "array"}, {"oneOf": [{"type": "object"}, {"type": "null"}]}]}
    )
    assert dict(unreachable_rules(branch_types)) == {"several-branches": apart}
    any_name = _compiled({"type": "object", "propertyNames": {"type": "string"}})
    assert dict(unreachable_rules(any_name)) == {
        "bad-property-name": "its propertyNames allows every string: every name is one it accepts"
    }
    some_names = _compiled({"type": "object", "propertyNames": {"maxLength": 2}})
    assert "bad-property-name" not in dict(unreachable_rules(some_names))


# ---------------------------------------------------------------------------------------
# The reproductions of issue 24, through the command line
# ---------------------------------------------------------------------------------------


def _record_of(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


IF_THEN = {
    "type": "object",
    "properties": {"type": {"type": "string"}, "dimension": {"type": "string"}},
    "allOf": [
        {
            "if": {"type": "object", "required": ["dimension"]},
            "then": {"properties": {"type": {"const": "Number"}}},
        },
        {
            "if": {"type": "object", "properties": {"type": {"not": {"const": "Number"}}}},
            "then": {"not": {"required": ["dimension"]}},
        },
    ],
}
DATED_ITEMS = {
    "type": "array",
    "items": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}},
}
ONE_OF_CLOSED = {
    "oneOf": [
        {"type": "object", "properties": {"order": {"const": o}}, "additionalProperties": False}
        for o in ("fifo", "lifo")
    ]
}
ONE_OF_REQUIRED = {
    "type": "object",
    "properties": {"c": {"type": "string"}, "f": {"type": "string"}},
    "allOf": [{"oneOf": [{"required": ["c"]}, {"required": ["f"]}]}],
}

#: github-issue-forms' shape: items told apart by a ``type`` each ``if`` asks for a
#: constant of, every ``then`` requiring more (a draw that takes two thens asks for two
#: constants at once; it once took minutes to find a value).
FORM_ITEM = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"$ref": "#/$defs/kind"}},
    "allOf": [
        {
            "if": {"properties": {"type": {"const": kind}}},
            "then": {
                "type": "object",
                "required": ["type", "attributes"],
                "properties": {
                    "type": {"$ref": "#/$defs/kind"},
                    "attributes": {
                        "type": "object",
                        "required": [kind],
                        "properties": {kind: {"type": "string", "minLength": 1}},
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
        }
        for kind in ("markdown", "textarea", "input", "dropdown", "checkboxes", "upload")
    ],
}
KINDS = {
    "type": "string",
    "enum": ["markdown", "textarea", "input", "dropdown", "checkboxes", "upload"],
}

#: name -> (schema, extra arguments, the unreachable ids the report lists)
REPRODUCTIONS: dict[str, tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]] = {
    "disjoint-one-of": (
        _record_of(x={"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        (),
        ("schema:rejects-several-branches:/x",),
    ),
    "always-true-any-of": (
        _record_of(x={"anyOf": [{"type": "string"}, {}]}),
        (),
        ("schema:rejects-no-branch:/x",),
    ),
    "if-then-near-miss": (
        _record_of(m=IF_THEN),
        ("--requirement", "schema:rejects-wrong-type:/m/dimension"),
        (),
    ),
    "date-times-in-items": (
        _record_of(xs=DATED_ITEMS),
        ("--requirement", "format:rejects-malformed-format:/xs/items/at"),
        (),
    ),
    "one-of-closed-objects": (_record_of(s=ONE_OF_CLOSED), (), ()),
    "min-properties-closed": (
        _record_of(
            s={
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {"a": {"type": "string"}},
            }
        ),
        (),
        (),
    ),
    "all-of-one-of-required": (_record_of(s=ONE_OF_REQUIRED), (), ()),
    "all-of-one-of-required-in-items": (
        _record_of(xs={"type": "array", "items": ONE_OF_REQUIRED}),
        (),
        (),
    ),
    "pattern-beginnings-part-ways": (
        _record_of(
            x={
                "oneOf": [
                    {"enum": ["pip", "uv"]},
                    *({"type": "string", "pattern": f"^{p}; ?args:"} for p in ("pip", "uv")),
                ]
            }
        ),
        (),
        ("schema:rejects-several-branches:/x",),
    ),
    "format-narrowed-by-a-pattern": (
        _record_of(
            orcid={
                "type": "string",
                "format": "uri",
                "pattern": "https://orcid\\.org/[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]",
            }
        ),
        (),
        (),
    ),
    "a-property-forbidden-by-false": (
        _record_of(s={"type": "object", "properties": {"a": {"type": "string"}, "b": False}}),
        (),
        (),
    ),
    "if-then-discriminated-items": (
        {
            **_record_of(body={"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}}),
            "$defs": {"item": FORM_ITEM, "kind": KINDS},
        },
        (
            "--requirement",
            "schema:accepts-valid-records",
            "--requirement",
            "schema:rejects-not-in-enum:/body/items/type",
        ),
        (),
    ),
}
#: The reproduction a default run certifies (one run of the door; the others are slow).
QUICK = ("disjoint-one-of",)


@pytest.mark.parametrize(
    "name",
    [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in REPRODUCTIONS],
)
def test_each_reproduction_certifies_the_reference_without_a_traceback(
    tmp_path: Path, name: str
) -> None:
    schema, extra, unreachable = REPRODUCTIONS[name]
    (tmp_path / "s.json").write_text(json.dumps(schema))
    result = run_cli(
        tmp_path,
        "certify",
        "--target",
        "inngest_conformance.reference:validator",
        "--profile",
        "quick",
        "--schema",
        "s.json",
        "--report-dir",
        "out",
        *extra,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "conformant"
    assert all(r["outcome"] == "passed" and r["examples"] > 0 for r in report["requirements"])
    assert [u["id"] for u in report.get("unreachable", [])] == list(unreachable)
    ids = {r["id"] for r in report["requirements"]}
    assert not ids & set(unreachable)  # listed, never a requirement
    markdown = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert all(u in markdown for u in unreachable)
    said = "not requirements here (no value breaks them alone; the report says why): "
    if unreachable:
        assert f"{said}{len(unreachable)}, e.g. {unreachable[0]}: " in result.stdout
    else:
        assert said not in result.stdout, result.stdout


def test_the_if_then_near_miss_is_the_one_that_exists() -> None:
    from inngest_conformance.strategies._invalid import Target, variants
    from inngest_conformance.strategies._oracle import Oracle

    schema = schema_from_dict(_record_of(m=IF_THEN))
    cases = variants(schema, Target("wrong-type", "/m/dimension"), Oracle(schema))
    assert cases
    for case in cases:
        held = case.record["m"]
        assert held["type"] == "Number" and not isinstance(held["dimension"], str)
        assert case.violation.path == "/m/dimension"


def test_schema_level_records_carry_common_date_times_at_every_depth() -> None:
    schema = schema_from_dict(_record_of(xs=DATED_ITEMS))
    seen = 0
    for seed in range(300):
        record = gen_record(RandomSource(seed), schema, common_datetimes=True)
        for item in record.get("xs", []):
            if "at" in item:
                seen += 1
                assert is_common_datetime(item["at"]), item["at"]
    assert seen > 50
    wild = [
        item["at"]
        for seed in range(300)
        for item in gen_record(RandomSource(seed), schema).get("xs", [])
        if "at" in item
    ]
    assert any(not is_common_datetime(at) for at in wild)  # the format level's readings


# ---------------------------------------------------------------------------------------
# A search that finds nothing, an unsteady draw, --skip and --requirement, fixtures
# ---------------------------------------------------------------------------------------

#: ``/m/a``'s type is asked again by an ``allOf`` branch of ``m``: a value of another type
#: breaks that branch too, so no near miss breaks the type alone (reasoning does not see
#: this one: the search finds no case).
TYPE_ASKED_TWICE = {
    "type": "object",
    "$defs": {"s": {"type": "string", "minLength": 2}},
    "properties": {
        "m": {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "allOf": [{"properties": {"a": {"$ref": "#/$defs/s"}}}, {"required": ["a"]}],
        }
    },
}


def _reference(document: dict[str, Any]) -> Any:
    """python-jsonschema's validator of ``document``: an implementation the kit takes."""
    return jsonschema.Draft202012Validator(document)


@pytest.mark.slow  # Hypothesis gives up only after its budget of rejected draws
def test_a_search_that_finds_no_case_ends_errored_with_why_and_the_run_finishes() -> None:
    from inngest_conformance._planning import context

    asked = ["schema:rejects-wrong-type:/m/a", "schema:rejects-breaks-all-of:/m"]
    report = certify_obj(_reference(TYPE_ASKED_TWICE), ctx=context(TYPE_ASKED_TWICE), only=asked)
    rows = {r["id"]: r for r in report["requirements"]}
    row = rows["schema:rejects-wrong-type:/m/a"]
    assert row["outcome"] == "errored" and row["examples"] == 0
    assert row["message"].startswith("no case found: ")
    assert "allOf at /m" in row["message"]
    assert "--skip 'schema:rejects-wrong-type:/m/a'" in row["detail"]
    # The merge of the allOf branch's $ref with the property's own type (once a
    # half-compiled node that made the next draw end differently: "flaky" with no case).
    assert rows["schema:rejects-breaks-all-of:/m"]["outcome"] == "passed"
    assert not any(r.get("flaky") for r in report["requirements"])
    assert sorted(r["id"] for r in report["requirements"]) == sorted(asked)


def test_a_merge_that_cannot_be_compiled_is_refused_every_time() -> None:
    from inngest_conformance.strategies._subschema import synthetic

    schema = schema_from_dict(TYPE_ASKED_TWICE)
    node = schema.places["/m"][0]
    assert node.compiler is not None
    bad = {"properties": {"a": {"$ref": "#/$defs/s", "type": "string"}}}
    messages = []
    for _ in range(2):
        with pytest.raises(Unsatisfiable) as caught:
            synthetic(node.compiler, bad, node.place)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "<merged>" not in messages[0] and "{" not in messages[0]


def _spied(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Every near miss made from now on, counted by rule and place."""
    import dataclasses

    from inngest_conformance.strategies import _near_misses

    made: dict[str, int] = {}
    for name, r in list(_near_misses.RULES.items()):

        def spy(src: Any, node: Any, valid: Any, fn: Any = r.miss, name: str = name) -> Any:
            key = f"{name}:{node.place}"
            made[key] = made.get(key, 0) + 1
            return fn(src, node, valid)

        monkeypatch.setitem(_near_misses.RULES, name, dataclasses.replace(r, miss=spy))
    return made


DEFS_SCHEMA = {
    "type": "object",
    "$defs": {"n": {"type": "integer", "minimum": 3}},
    "properties": {
        "a": {"type": "object", "properties": {"n": {"$ref": "#/$defs/n"}}},
        "b": {"type": "object", "properties": {"s": {"type": "string", "maxLength": 4}}},
    },
}


def test_skip_and_requirement_make_only_the_near_misses_they_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inngest_conformance._planning import context

    made = _spied(monkeypatch)
    ctx = context(DEFS_SCHEMA)
    implementation = _reference(DEFS_SCHEMA)
    report = certify_obj(implementation, ctx=ctx, only=["schema:rejects-below-minimum:/a/n"])
    assert [r["id"] for r in report["requirements"]] == ["schema:rejects-below-minimum:/a/n"]
    assert set(made) == {"below-minimum:/a/n"}
    made.clear()
    skipped = "schema:rejects-below-minimum:/a/n"
    report = certify_obj(implementation, ctx=ctx, exceptions={skipped: "not ours"})
    assert "below-minimum:/a/n" not in made
    assert "too-long:/b/s" in made
    assert {r["id"]: r["outcome"] for r in report["requirements"]}[skipped] == "skipped"


def test_fixtures_write_every_file_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inngest_conformance._output_files import write_fixtures
    from inngest_conformance.errors import UsageError
    from inngest_conformance.strategies import default_lifecycle
    from inngest_conformance.strategies._fixtures import Fixtures

    schema = schema_from_dict(DEFS_SCHEMA)

    def broken(self: Any, src: Any, k: int) -> Any:
        raise UsageError("no invalid record")
        yield  # a generator, as the real one

    monkeypatch.setattr(Fixtures, "_invalid", broken)
    with pytest.raises(UsageError):
        write_fixtures(
            tmp_path,
            schema=schema,
            model=default_lifecycle(),
            seed=1,
            valid=3,
            invalid=3,
            progress=None,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_fixtures_of_a_schema_with_a_rule_no_case_breaks_alone(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps(TYPE_ASKED_TWICE))
    result = run_cli(
        tmp_path,
        "fixtures",
        "--schema",
        "s.json",
        "--valid",
        "5",
        "--invalid",
        "12",
        "--seed",
        "1",
        "--out",
        "out",
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    rows = [json.loads(line) for line in (tmp_path / "out" / "invalid.jsonl").open()]
    assert len(rows) == 12
    assert {"breaks-all-of", "wrong-type"} <= {r["violation"]["rule"] for r in rows}
    assert not any(r["violation"]["path"] == "/m/a" for r in rows)
    assert len((tmp_path / "out" / "valid.jsonl").read_text().splitlines()) == 5


def test_a_property_whose_subschema_is_false_is_never_generated() -> None:
    schema = schema_from_dict(
        _wrapped({"type": "object", "properties": {"a": False}, "additionalProperties": True})
    )
    for seed in range(300):
        record = gen_record(RandomSource(seed), schema, plain=seed % 2 == 0)
        assert "a" not in record["v"]["w"]
        assert jsonschema.Draft202012Validator(_wrapped({"properties": {"a": False}})).is_valid(
            record
        )
