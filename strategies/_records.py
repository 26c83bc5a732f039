"""How a valid run record is generated: one description for Hypothesis and for fixtures.

The values are chosen to be worth testing with, not just schema-valid.  Each property's
value comes from its schema facts (types, enum, format) and, for plain strings, from a mix
of *realistic* values (ULIDs and UUIDs for ``*_id`` properties, as the platform uses;
slugs built from Faker's word list) and *adversarial* ones the schema still allows (empty
strings, control characters, NUL, non-BMP characters, markup, very long strings).  Enum
members are drawn uniformly, so every status shows up often; each optional property is
present about half the time; date-times of one record are non-decreasing in schema order,
so a later property such as ``ended_at`` is never before an earlier ``started_at``.

Outputs (object properties) sometimes mimic a record: keys spelled like the record's own
property names (``run_id``, ``status``) and near misses of them (``runId``), with values the
record's properties would reject, so an implementation that flattens ``output`` into the
record, or refuses such keys, is found.

*Plain* records (``plain=True``) hold only values no reasonable implementation argues about:
realistic ids and slugs, common-form date-times, empty objects.  A requirement about one
property builds its cases on them, so that its counterexample can fail only because of the
property under test.

Shrinking goes towards: required properties only, the first enum member, empty strings,
a plain recent ``Z`` date-time and an empty object.
"""

from __future__ import annotations

import functools
from typing import Any

from inngest_conformance.strategies._datetimes import gen_datetime
from inngest_conformance.strategies._schema import JSON_TYPES, PropertySpec, RunSchema
from inngest_conformance.strategies._source import Source
from inngest_conformance.strategies._subschema import gen_node
from inngest_conformance.strategies._values import (
    ADVERSARIAL_STRINGS,
    CROCKFORD,
    HOMOGLYPHS,
    WORDS,
    gen_json,
    gen_object,
    gen_realistic_string,
    gen_string,
    near_misses,
    ulid,
)

__all__ = [
    "ADVERSARIAL_STRINGS",
    "CROCKFORD",
    "HOMOGLYPHS",
    "WORDS",
    "gen_json",
    "gen_object",
    "gen_record",
    "gen_value",
    "near_misses",
    "ulid",
]

#: Values of every JSON type, for :func:`unlike` to pick a wrong one from.
_UNLIKE: tuple[Any, ...] = (None, [], True, 0.5, {}, "not-a-member")


def unlike(spec: PropertySpec) -> Any:
    """A value ``spec``'s subschema rejects (``None`` when no JSON type is wrong for it)."""
    for value in _UNLIKE:
        if spec.types and not any(_is_kind(value, k) for k in spec.types):
            return value
        if not spec.types and spec.enum is not None and value not in spec.enum:
            return value
    return None


def _is_kind(value: Any, kind: str) -> bool:
    return {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }[kind]


@functools.lru_cache(maxsize=64)
def _mimic_names(names: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """Each property (by its index) with a name for it: its own (as often as all its near
    misses together) and each near miss."""
    return tuple(
        (i, spelling)
        for i, name in enumerate(names)
        for spelling in (*[name] * len(near_misses(name)), *near_misses(name))
    )


def gen_record_like(src: Source, mimic: tuple[PropertySpec, ...]) -> dict[str, Any]:
    """An object whose keys look like a record's: property names and near misses of them,
    each holding a value the record's own property would reject, or any value."""
    names = _mimic_names(tuple(spec.name for spec in mimic))
    out: dict[str, Any] = {}
    for _ in range(src.integer(1, 8)):
        i, name = src.choice(names)
        out[name] = unlike(mimic[i]) if src.boolean(0.6) else gen_json(src, depth=1)
    return out


def record_like_outputs(schema: RunSchema, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Objects shaped like records of ``schema``, for the directed cases: each property name
    holding a value the property rejects, each near miss of a name, and ``record`` itself."""
    return [
        {spec.name: unlike(spec) for spec in schema.properties},
        {miss: "x" for spec in schema.properties for miss in near_misses(spec.name)},
        dict(record),
    ]


def gen_plain(src: Source, spec: PropertySpec, kind: str) -> Any:
    """A value of ``kind`` no reasonable implementation argues about."""
    if kind == "string":
        return gen_realistic_string(src, spec.name)
    if kind in ("integer", "number"):
        return src.integer(0, 1000)
    if kind == "boolean":
        return src.boolean()
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return None


def gen_value(
    src: Source,
    spec: PropertySpec,
    *,
    common_datetimes: bool = False,
    not_before: str | None = None,
    plain: bool = False,
    mimic: tuple[PropertySpec, ...] = (),
) -> Any:
    """A value the property's subschema accepts (a plain one, when ``plain``).

    ``mimic``: the record's properties, for an object value to imitate now and then.
    """
    if spec.node is not None:
        return gen_node(src, spec.node, 1, plain, common=common_datetimes)
    if spec.enum is not None:
        return src.choice(spec.enum)
    kinds = spec.types or (("string",) if plain else JSON_TYPES)
    kind = src.choice(kinds)
    if kind == "string" and spec.format == "date-time":
        return gen_datetime(src, common=common_datetimes or plain, not_before=not_before)
    if plain:
        return gen_plain(src, spec, kind)
    if kind == "string":
        return gen_string(src, spec.name)
    if kind == "object":
        return gen_object(
            src, like=functools.partial(gen_record_like, mimic=mimic) if mimic else None
        )
    if kind == "number" and src.boolean():
        return src.integer(-(10**9), 10**9)
    return gen_json(src, kinds=(kind,))


def gen_record(
    src: Source,
    schema: RunSchema,
    *,
    common_datetimes: bool = False,
    with_optional: bool | None = None,
    plain: bool = False,
) -> Any:
    """A record the schema accepts: an object, or of a schema compiled whole
    (:attr:`RunSchema.root`) any value its root accepts.

    ``with_optional`` forces every optional property present (``True``) or absent
    (``False``); by default each is present about half the time.  ``plain`` makes every
    value one no reasonable implementation argues about (see the module docstring).
    """
    if schema.root is not None:
        return gen_node(src, schema.root, 0, plain)
    record: dict[str, Any] = {}
    last_datetime: str | None = None
    optional = [spec.name for spec in schema.properties if not spec.required]
    # One draw decides every optional property (a bit each); it shrinks to "all absent".
    if with_optional is None:
        mask = src.integer(0, 2 ** len(optional) - 1) if optional else 0
    else:
        mask = 2 ** len(optional) - 1 if with_optional else 0
    for spec in schema.properties:
        if not spec.required and not mask >> optional.index(spec.name) & 1:
            continue
        value = gen_value(
            src,
            spec,
            common_datetimes=common_datetimes,
            not_before=last_datetime,
            plain=plain,
            mimic=schema.properties,
        )
        if spec.format == "date-time" and isinstance(value, str):
            last_datetime = value
        record[spec.name] = value
    for trigger, dependents in schema.dependent_required.items():
        if trigger in record:
            for name in dependents:
                if name not in record:
                    record[name] = gen_value(src, schema.spec(name), plain=plain)
    if schema.additional_properties and not plain and src.boolean(0.2):
        extra = "x_" + src.choice(WORDS)
        if not schema.has(extra):
            record[extra] = gen_json(src, depth=1)
    return record
