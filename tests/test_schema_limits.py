"""Hostile and faulty schemas and lifecycle tables: a one-line refusal (exit 2, naming the
place), an ``errored`` requirement with why, or a bounded run; never a hang, a traceback
or memory exhausted (``strategies/_limits.py`` and the checks it feeds).

The command-line cases run the real command in a child process with a timeout and an
address-space limit, as the probe that found them did; the library cases call
``resolve_schema`` / ``lifecycle_from_dict`` directly.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance.errors import LifecycleError, SchemaError, UsageError
from inngest_conformance.strategies import lifecycle_from_dict, resolve_schema
from inngest_conformance.strategies._limits import (
    DEPTH_VARIABLE,
    MAX_DEPTH,
    MAX_MEMBERS,
    MAX_SIZE,
    SIZE_VARIABLE,
)
from inngest_conformance.strategies._near_misses import MAX_BRANCHES, miss
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._source import MinimalSource, RandomSource
from inngest_conformance.strategies._subschema import gen_node

from tests.common import CLI, ROOT

pytest_plugins = ["pytester"]

#: Seconds a hostile input may take to be refused or run, and bytes of address space.
BOUND = 60
MEMORY = 1536 * 2**20


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, bound: float = BOUND
) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, bounded in time and memory (a hang is a timeout, a
    value grown without bound a MemoryError traceback)."""
    return subprocess.run(
        [*CLI, *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=bound,
        check=False,
        preexec_fn=_capped,
    )


def refused(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The one error line of a run refused with exit status 2, holding each needle."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def record(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **extra}


def nested(depth: int) -> str:
    """A schema whose property ``a`` nests ``depth`` arrays, written as text (a document
    this deep cannot be made by ``json.dumps``)."""
    inner = '{"type":"array","items":' * depth + '{"type":"string"}' + "}" * depth
    return '{"type":"object","properties":{"a":' + inner + "}}"


HUGE = 10**9


def huge_digits() -> str:
    return "9" * 5000


#: (name, schema text, what the one line names).
REFUSED: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "ref-to-itself",
        json.dumps(record({"a": {"$ref": "#/$defs/a"}}, **{"$defs": {"a": {"$ref": "#/$defs/a"}}})),
        ("/$defs/a", "$ref cycle", "/$defs/a -> /$defs/a"),
    ),
    (
        "ref-a-b-a",
        json.dumps(
            record(
                {"a": {"$ref": "#/$defs/a"}},
                **{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}},
            )
        ),
        ("/$defs/a -> /$defs/b -> /$defs/a",),
    ),
    (
        "property-refers-to-itself",
        json.dumps(record({"a": {"$ref": "#/properties/a"}})),
        ("/properties/a -> /properties/a",),
    ),
    (
        "all-of-cycle",
        json.dumps(
            record(
                {"a": {"$ref": "#/$defs/a"}}, **{"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}}
            )
        ),
        ("/$defs/a -> /$defs/a/allOf/0 -> /$defs/a",),
    ),
    (
        "required-recursion",
        json.dumps(
            record(
                {"a": {"$ref": "#/$defs/t"}},
                **{
                    "$defs": {
                        "t": {
                            "type": "object",
                            "required": ["k"],
                            "properties": {"k": {"$ref": "#/$defs/t"}},
                        }
                    }
                },
            )
        ),
        ("properties/a", "never ends"),
    ),
    (
        "integer-of-5000-digits",
        '{"type":"object","properties":{"a":{"type":"integer","minimum":' + huge_digits() + "}}}",
        ("/properties/a/minimum", "5000 digits"),
    ),
    (
        "nan",
        '{"type":"object","properties":{"a":{"type":"number","maximum":NaN}}}',
        ("/properties/a/maximum", "NaN"),
    ),
    (
        "infinity-in-enum",
        '{"type":"object","properties":{"a":{"enum":[1,-Infinity]}}}',
        ("/properties/a/enum/1", "-Infinity"),
    ),
    ("nested-450", nested(450), ("/properties/a/items/items", f"deeper than {MAX_DEPTH}")),
    ("nested-100k", nested(100_000), ("deeper than Python's JSON reader",)),
    (
        "min-length-above-max-length",
        json.dumps(record({"a": {"type": "string", "minLength": 5, "maxLength": 2}})),
        ("properties/a", "minLength 5 is above maxLength 2"),
    ),
    (
        "min-length-of-a-billion",
        json.dumps(record({"a": {"type": "string", "minLength": HUGE}})),
        ("properties/a", f"minLength {HUGE}", SIZE_VARIABLE),
    ),
    (
        "min-items-of-a-billion",
        json.dumps(record({"a": {"type": "array", "minItems": HUGE}})),
        ("properties/a", f"minItems {HUGE}"),
    ),
    (
        "min-properties-of-a-billion",
        json.dumps(record({"a": {"type": "object", "minProperties": HUGE}})),
        ("properties/a", f"minProperties {HUGE}"),
    ),
    (
        "past-the-largest-double",
        json.dumps(record({"a": {"type": "number", "exclusiveMinimum": sys.float_info.max}})),
        ("properties/a", "double"),
    ),
]


@pytest.mark.parametrize(("text", "needles"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_a_hostile_schema_is_refused_in_one_line(
    tmp_path: Path, text: str, needles: tuple[str, ...]
) -> None:
    (tmp_path / "s.json").write_text(text)
    line = refused(run(tmp_path, "requirements", "--schema", "s.json"), *needles)
    assert line.startswith("inngest-conformance: error: schema s.json: ")


@pytest.mark.parametrize(
    "command",
    [
        (
            "fixtures",
            "--schema",
            "s.json",
            "--out",
            "fx",
            "--valid",
            "3",
            "--invalid",
            "3",
            "--seed",
            "0",
        ),
        ("certify", "--target", "inngest_conformance.reference:validator", "--schema", "s.json"),
    ],
    ids=["fixtures", "certify"],
)
def test_every_door_refuses_a_ref_cycle(tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "s.json").write_text(REFUSED[1][1])
    refused(run(tmp_path, *command), "/$defs/a -> /$defs/b -> /$defs/a")
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    "document",
    [
        record({"a": {"type": "number", "maximum": float("nan")}}),
        record({"a": {"type": "integer", "minimum": 10**400}}),
        record({"a": {"$ref": "#/$defs/a"}}, **{"$defs": {"a": {"$ref": "#/$defs/a"}}}),
    ],
    ids=["nan", "integer-past-every-double", "ref-cycle"],
)
def test_the_library_refuses_what_the_command_refuses(document: dict[str, Any]) -> None:
    with pytest.raises(SchemaError):
        resolve_schema(document)


def test_a_document_of_any_depth_is_refused_without_recursion() -> None:
    inner: dict[str, Any] = {"type": "string"}
    for _ in range(100_000):  # built iteratively: any recursive reader would give out
        inner = {"type": "array", "items": inner}
    with pytest.raises(SchemaError, match=f"deeper than {MAX_DEPTH} levels"):
        resolve_schema(record({"a": inner}))


def test_the_depth_limit_may_be_raised(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(nested(80))
    refused(run(tmp_path, "requirements", "--schema", "s.json"), DEPTH_VARIABLE)
    raised = run(tmp_path, "requirements", "--schema", "s.json", env={DEPTH_VARIABLE: "120"})
    assert raised.returncode == 0, raised.stderr[-2000:]
    assert "schema:rejects-wrong-type:/a/items" in raised.stdout
    bad = run(tmp_path, "requirements", "--schema", "s.json", env={DEPTH_VARIABLE: "100000"})
    refused(bad, DEPTH_VARIABLE, "up to 200")


def test_a_productive_recursion_is_followed() -> None:
    """A tree of spans: each turn of the recursion goes through an item, so values end."""
    schema = resolve_schema(
        record(
            {"a": {"$ref": "#/$defs/t"}},
            **{
                "$defs": {
                    "t": {
                        "type": "object",
                        "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/t"}}},
                    }
                }
            },
        )
    )
    node = schema.spec("a").node
    assert node is not None
    for seed in range(20):
        assert node.is_valid(gen_node(RandomSource(seed), node))


BUILT_AT_HUGE = [
    ("string", "maxLength", "schema:rejects-too-long:/a", "characters"),
    ("array", "maxItems", "schema:rejects-too-many-items:/a", "items"),
    ("object", "maxProperties", "schema:rejects-too-many-properties:/a", "properties"),
]


@pytest.mark.parametrize(("kind", "keyword", "rid", "what"), BUILT_AT_HUGE)
def test_a_huge_greatest_count_errors_its_requirement_with_why(
    tmp_path: Path, kind: str, keyword: str, rid: str, what: str
) -> None:
    """The near miss would be the whole oversized value: its requirement is errored with
    why, every other one is judged, within the time and memory bound."""
    (tmp_path / "s.json").write_text(json.dumps(record({"a": {"type": kind, keyword: HUGE}})))
    target = "inngest_conformance.reference:validator"
    result = run(
        tmp_path, "certify", "--target", target, "--schema", "s.json", "--profile", "quick"
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    outcomes = {r["id"]: r for r in report["requirements"]}
    assert outcomes[rid]["outcome"] == "errored"
    assert f"{keyword} {HUGE}" in outcomes[rid]["message"]
    assert f"{HUGE + 1} {what}" in outcomes[rid]["message"]
    assert SIZE_VARIABLE in outcomes[rid]["message"]
    others = [r["outcome"] for i, r in outcomes.items() if i != rid]
    assert others and set(others) == {"passed"}


def test_the_size_limit_may_be_raised_and_lowered(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps(record({"a": {"type": "string", "maxLength": 50}})))
    target = "inngest_conformance.reference:validator"
    args = ("certify", "--target", target, "--schema", "s.json", "--profile", "quick")
    low = run(
        tmp_path, *args, "--requirement", "schema:rejects-too-long:/a", env={SIZE_VARIABLE: "20"}
    )
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    # The only requirement asked for could not be judged: a usage error, with the report.
    assert low.returncode == 2 and "nothing could be judged: not built" in low.stderr
    assert report["requirements"][0]["outcome"] == "errored"
    assert "maxLength 50" in report["requirements"][0]["message"]
    high = run(tmp_path, *args, "--requirement", "schema:rejects-too-long:/a")
    assert high.returncode == 0, high.stderr[-2000:]
    refused(run(tmp_path, *args, env={SIZE_VARIABLE: "lots"}), SIZE_VARIABLE)


def test_values_at_a_huge_bound_stay_small() -> None:
    """Generation, boundary values and the other near misses at a bound of 10**9 build
    nothing near it."""
    from inngest_conformance.strategies._near_misses import boundary_values, unbuilt

    schema = resolve_schema(
        record(
            {
                "s": {"type": "string", "maxLength": HUGE},
                "l": {"type": "array", "maxItems": HUGE, "minItems": 1},
                "o": {"type": "object", "maxProperties": HUGE},
            }
        )
    )
    for name in ("s", "l", "o"):
        node = schema.spec(name).node
        assert node is not None
        for seed in range(20):
            assert len(json.dumps(gen_node(RandomSource(seed), node))) < 10 * MAX_SIZE
        assert all(len(json.dumps(v)) < 10 * MAX_SIZE for _, v in boundary_values(node))
    node = schema.spec("l").node
    assert node is not None
    assert unbuilt("too-many-items", node) is not None
    assert unbuilt("too-few-items", node) is None
    assert miss("too-few-items", MinimalSource(), node, [0])[1] == []


NUMBERS_ACCEPTED = [
    {"type": "number", "minimum": 1e308},
    {"type": "integer", "minimum": 10**300},
    {"type": "integer", "maximum": -(10**300)},
    {"type": "integer", "exclusiveMinimum": 1e300},
    {"type": "integer", "minimum": 10**300, "multipleOf": 7},
    {"type": "number", "multipleOf": 1e-320},
    {"type": "number", "minimum": -sys.float_info.max, "maximum": sys.float_info.max},
]


@pytest.mark.parametrize("sub", NUMBERS_ACCEPTED, ids=lambda s: json.dumps(s)[:60])
def test_a_satisfiable_range_far_out_is_generated_and_judged(
    tmp_path: Path, sub: dict[str, Any]
) -> None:
    (tmp_path / "s.json").write_text(json.dumps(record({"a": sub}, required=["a"])))
    target = "inngest_conformance.reference:validator"
    result = run(
        tmp_path, "certify", "--target", target, "--schema", "s.json", "--profile", "quick"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert {r["outcome"] for r in report["requirements"]} == {"passed"}


@pytest.mark.slow
def test_a_long_enum_is_tried_by_a_spread_of_its_members() -> None:
    from inngest_conformance._requirements import Context, catalogue
    from inngest_conformance._variants import variant_names
    from inngest_conformance.strategies import resolve_lifecycle

    members = [f"m{i}" for i in range(100_000)]
    schema = resolve_schema(record({"a": {"enum": members}}))
    ctx = Context(schema, resolve_lifecycle(None, schema))
    req = next(
        r for r in catalogue(schema, model=ctx.model) if r.id == "schema:accepts-every-value:a"
    )
    cases = req.explicit(ctx)
    assert [c["a"] for c in cases if "a" in c][:2] == ["m0", members[99_999 // (MAX_MEMBERS - 1)]]
    assert len(cases) == MAX_MEMBERS and cases[-1]["a"] == "m99999"
    assert variant_names(ctx, req) == [c["a"] for c in cases]
    assert "100000 in all" in req.statement and len(req.statement) < 500
    near = next(
        r for r in catalogue(schema, model=ctx.model) if r.id == "schema:rejects-not-in-enum:a"
    )
    misses = near.explicit(ctx)
    assert misses and all(not ctx.oracle.is_valid(c.record) for c in misses)
    # Bounded by construction: a spread of members, never all 100,000 of them.
    assert len(misses) <= 4 * MAX_MEMBERS, len(misses)


def test_a_composition_of_thousands_of_branches_is_bounded() -> None:
    from inngest_conformance._requirements import Context, catalogue
    from inngest_conformance.strategies import resolve_lifecycle

    schema = resolve_schema(record({"a": {"anyOf": [{"const": i} for i in range(5000)]}}))
    ctx = Context(schema, resolve_lifecycle(None, schema))
    req = next(
        r for r in catalogue(schema, model=ctx.model) if r.id == "schema:rejects-no-branch:/a"
    )
    assert f"from {MAX_BRANCHES} of its 5000 branches" in req.statement
    for seed in range(3):
        case = req.sample(ctx, RandomSource(seed))
        assert not ctx.oracle.is_valid(case.record)


@pytest.mark.slow
@pytest.mark.parametrize(
    "sub",
    [
        {"type": "string", "minLength": 1, "enum": [f"m{i}" for i in range(100_000)]},
        {"anyOf": [{"const": i} for i in range(5000)]},
    ],
    ids=["enum-100k", "any-of-5000"],
)
def test_a_run_over_a_huge_enum_or_composition_ends_and_shows_progress(
    tmp_path: Path, sub: dict[str, Any]
) -> None:
    (tmp_path / "s.json").write_text(json.dumps(record({"a": sub})))
    target = "inngest_conformance.reference:validator"
    # About 25 s alone; the bound catches a hang, not slowness (CI runs three workers).
    result = run(
        tmp_path, "certify", "--target", target, "--schema", "s.json", "--profile", "quick",
        bound=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("passed   MUST") >= 5


LIFECYCLE_REFUSED = [
    ({"absent": {"QUEUED": ["run_id"]}}, None, ("absent['QUEUED']", "'run_id'", "id")),
    ({"absent": {"RUNNING": ["status"]}}, None, ("absent['RUNNING']", "'status'")),
    ({"fields": {"status": "app_id"}}, None, ("fields['status']", "'app_id'", "no enum")),
    ({"transitions": {"QUEUED": ["RUNNING", float("nan")]}}, None, ("/transitions/QUEUED/1",)),
]


def _table(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "initial": "QUEUED",
        "transitions": {"QUEUED": ["RUNNING"], "RUNNING": ["COMPLETED", "FAILED", "CANCELLED"]},
    }
    return {**base, **changes}


@pytest.mark.parametrize(("changes", "_", "needles"), LIFECYCLE_REFUSED)
def test_a_faulty_lifecycle_table_is_refused_in_one_line(
    tmp_path: Path, changes: dict[str, Any], _: None, needles: tuple[str, ...]
) -> None:
    from inngest_conformance.strategies import default_schema

    with pytest.raises(LifecycleError) as caught:
        lifecycle_from_dict(_table(**changes), schema=default_schema())
    for needle in needles:
        assert needle in str(caught.value)
    (tmp_path / "t.json").write_text(json.dumps(_table(**changes)))
    target = "inngest_conformance.reference:store"
    refused(run(tmp_path, "certify", "--target", target, "--lifecycle", "t.json"), *needles)


def test_a_lifecycle_table_nested_for_ever_is_refused(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "t.json").write_text('{"initial":"QUEUED","transitions":{"QUEUED":' + deep + "}}")
    (tmp_path / "t.toml").write_text(f'initial = "QUEUED"\ntransitions = {{ QUEUED = {deep} }}\n')
    for name in ("t.json", "t.toml"):
        refused(run(tmp_path, "requirements", "--lifecycle", name), name, "nests deeper")


# --- properties -------------------------------------------------------------------------

_WRAP = st.sampled_from(["items", "property", "allOf", "anyOf", "not-null", "ref"])


@st.composite
def hostile_schemas(draw: st.DrawFn) -> dict[str, Any]:
    """A schema nested to a random depth (within and past the limit) through items,
    properties, composition and references, with random (often huge) bounds."""
    sub: Any = draw(
        st.sampled_from(
            [
                {"type": "string"},
                {"type": "integer"},
                {},
                {"$ref": "#/$defs/d"},
            ]
        )
    )
    bound = st.one_of(st.integers(0, 5), st.just(HUGE), st.integers(0, 10**12))
    for wrap in draw(st.lists(_WRAP, max_size=90)):
        if wrap == "items":
            sub = {"type": "array", "items": sub, "maxItems": draw(bound)}
        elif wrap == "property":
            sub = {"type": "object", "properties": {"k": sub}, "maxProperties": draw(bound)}
            if draw(st.booleans()):
                sub["required"] = ["k"]
        elif wrap == "allOf":
            sub = {"allOf": [sub]}
        elif wrap == "anyOf":
            sub = {"anyOf": [sub, {"type": "string", "minLength": draw(bound)}]}
        elif wrap == "not-null":
            sub = {"allOf": [sub, {"not": {"type": "null"}}]}
        else:
            sub = {"$ref": "#/$defs/d", "$comment": "x"}
    defs = draw(st.sampled_from([{"type": "string", "maxLength": HUGE}, {"$ref": "#/$defs/d"}]))
    return record({"a": sub}, required=["a"], **{"$defs": {"d": defs}})


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hostile_schemas())
def test_a_hostile_schema_is_either_refused_or_generated_within_bounds(
    document: dict[str, Any],
) -> None:
    """Nothing but the kit's own refusal is raised, and what is accepted is generated
    valid, small, for a random depth and random bounds."""
    try:
        schema = resolve_schema(document)
    except (SchemaError, UsageError):
        return
    from inngest_conformance.strategies._oracle import Oracle

    oracle = Oracle(schema)
    for seed in range(3):
        value = gen_record(RandomSource(seed), schema)
        assert oracle.is_valid(value)
        assert len(json.dumps(value)) < 100 * MAX_SIZE


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_plugin_refuses_a_ref_cycle_as_a_usage_error(
    pytester: pytest.Pytester, how: str
) -> None:
    from inngest_conformance.plugin import ini_name, option_name

    (pytester.path / "s.json").write_text(REFUSED[1][1])
    target = "inngest_conformance.reference:validator"
    if how == "ini":
        pytester.makeini(
            f"[pytest]\n{ini_name('target')} = {target}\n{ini_name('schema')} = s.json\n"
        )
        result = pytester.runpytest_subprocess(timeout=BOUND)
    else:
        result = pytester.runpytest_subprocess(
            option_name("target"), target, option_name("schema"), "s.json", timeout=BOUND
        )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and "/$defs/a -> /$defs/b -> /$defs/a" in errors[0], errors
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_no_one_branch_near_miss_matches_no_branch() -> None:
    """Matching none of a oneOf's branches is not matching any (matching two is the other
    rule's): each directed case is checked branch by branch."""
    from inngest_conformance._requirements import Context, catalogue
    from inngest_conformance.strategies import resolve_lifecycle

    branches = [{"required": ["x"]}, {"required": ["y"]}]
    sub = {"type": "object", "oneOf": branches}
    schema = resolve_schema(record({"a": sub}, required=["a"]))
    ctx = Context(schema, resolve_lifecycle(None, schema))
    req = next(r for r in catalogue(schema, model=ctx.model) if r.id.endswith("no-one-branch:/a"))
    cases = req.explicit(ctx)
    assert cases
    for case in cases:
        value = case.record["a"]
        assert not isinstance(value, dict) or not ({"x", "y"} & set(value))
