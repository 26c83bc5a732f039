"""Deliberately invalid records, each labelled with the one rule it breaks.

Invalid data comes from named mutation operators, a registry like Schemathesis's: each
takes a valid record and breaks exactly one schema rule at one place, and returns the
record with a :class:`Violation` saying what changed and where.  Which operators apply, and
to which properties, is read from the schema (:func:`targets`), so the catalogue of invalid
cases follows the schema.

"Invalid" is a fact, not a hope: the base record is valid, each operator is built so that
it can only produce values outside the rule, and :func:`label_holds` re-checks every case
against the oracle (the strategies filter on it, so a label is still true after shrinking).
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from inngest_conformance._encode import canonical_json, pointer
from inngest_conformance.strategies._limits import MAX_MEMBERS, spread
from inngest_conformance.strategies._malformed_datetimes import (
    MALFORMATIONS,
    gen_malformed_datetime,
)
from inngest_conformance.strategies._near_misses import RULES, miss, rules_of
from inngest_conformance.strategies._near_misses import unbuilt as _unbuilt_rule
from inngest_conformance.strategies._oracle import Oracle
from inngest_conformance.strategies._records import (
    HOMOGLYPHS,
    WORDS,
    gen_json,
    gen_record,
    gen_value,
    near_misses,
)
from inngest_conformance.strategies._rfc3339 import is_common_datetime
from inngest_conformance.strategies._schema import JSON_TYPES, ROOT, PropertySpec, RunSchema
from inngest_conformance.strategies._source import (
    ASCII_PRINTABLE,
    MinimalSource,
    RandomSource,
    Source,
    Unsatisfiable,
    every_value,
)
from inngest_conformance.strategies._subschema import Node, gen_along, put

_MISSING = object()

LEVELS = ("schema", "format")


@dataclass(frozen=True, slots=True)
class Violation:
    """Where a record breaks the schema and how.

    ``path`` is a JSON pointer to the offending location (the missing or unexpected
    property itself, or ``""`` for the whole document); ``schema_path`` points at the
    keyword in the schema; ``detail`` names the variant (``"null"``, ``"lower-case"``,
    ``"offset-without-colon"``, ...).  ``reading`` names the kit's reading the record is
    invalid under (``"openapi-format"``: an ``int32`` or ``int64`` out of range), when it is
    valid to the dialect itself, which ignores that format; it is left out of the JSON of
    every other violation.
    """

    rule: str
    keyword: str
    schema_path: str
    path: str
    level: str
    property: str | None = None
    detail: str = ""
    reading: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "keyword": self.keyword,
            "schema_path": self.schema_path,
            "path": self.path,
            "level": self.level,
            "property": self.property,
            "detail": self.detail,
        }
        if self.reading is not None:
            out["reading"] = self.reading
        return out


@dataclass(frozen=True, slots=True)
class InvalidCase:
    """An invalid document and the violation it was built to have."""

    record: Any
    violation: Violation

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "violation": self.violation.to_json()}


@dataclass(frozen=True, slots=True)
class Target:
    """One operator applied to one property (``None``: to the document as a whole), or one
    rule of a compiled subschema at its place (a JSON pointer: ``/triggers/items/event``;
    :data:`.ROOT` for the root of a schema compiled whole)."""

    rule: str
    property: str | None

    @builtins.property
    def name(self) -> str:
        return self.rule if self.property is None else f"{self.rule}/{self.property}"

    @builtins.property
    def nested(self) -> bool:
        """Whether the target is a rule of a compiled subschema (named by its place)."""
        return self.property is not None and (
            self.property.startswith("/") or self.property == ROOT
        )

    @builtins.property
    def requirement_suffix(self) -> str:
        """How a requirement id names the target: ``rule:property``, ``rule:/place``,
        ``rule:#`` (the root)."""
        if self.nested:
            return f"{self.rule}:{self.property}"
        return self.name.replace("/", ":")


def rule_of(target: Target) -> tuple[str, str, str]:
    """``(keyword, level, description)`` of a target's operator or subschema rule."""
    if target.nested:
        r = RULES[target.rule]
        return r.keyword, r.level, r.statement
    o = OPERATORS[target.rule]
    return o.keyword, o.level, o.description


def reading_of_target(schema: RunSchema, target: Target) -> str | None:
    """The kit's reading a target's cases are invalid under (``None``: the dialect's)."""
    if not target.nested:
        return None
    node = schema.places[target.property or ""][0]
    return RULES[target.rule].reading(node)


Mutate = Callable[[Source, RunSchema, dict[str, Any], "str | None"], tuple[Any, Violation]]


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    keyword: str
    level: str
    description: str
    applies: Callable[[RunSchema], Sequence[str | None]]
    mutate: Mutate


OPERATORS: dict[str, Operator] = {}


def operator(
    name: str, *, keyword: str, level: str, applies: Callable[[RunSchema], Sequence[str | None]]
) -> Callable[[Mutate], Mutate]:
    """Register a mutation operator; its docstring is the text a report shows."""

    def register(fn: Mutate) -> Mutate:
        doc = (fn.__doc__ or name).strip().splitlines()[0]
        OPERATORS[name] = Operator(name, keyword, level, doc, applies, fn)
        return fn

    return register


def _violation(
    op: str, spec: PropertySpec | None, detail: str, *, keyword_path: str, path: str
) -> Violation:
    o = OPERATORS[op]
    return Violation(
        rule=op,
        keyword=o.keyword,
        schema_path=keyword_path,
        path=path,
        level=o.level,
        property=spec.name if spec else None,
        detail=detail,
    )


@operator(
    "missing-required",
    keyword="required",
    level="schema",
    applies=lambda schema: schema.required,
)
def missing_required(
    src: Source, schema: RunSchema, record: dict[str, Any], name: str | None
) -> tuple[Any, Violation]:
    """A required property is missing."""
    assert name is not None
    del record[name]
    spec = schema.spec(name)
    return record, _violation(
        "missing-required", spec, "absent", keyword_path="/required", path=pointer(name)
    )


def _value_of_kind(src: Source, kind: str) -> Any:
    if kind == "number":
        # 1.0 is an integer to JSON Schema: a wrong-typed number must have a fraction.
        return src.choice((0.5, -1.5, 3.14159, 1e-7))
    if kind == "integer":
        return src.choice((0, 1, -1, 42, 2**53))
    if kind == "string":
        return src.choice(("", "0", "null", "true", "{}", "2024-01-01T00:00:00Z"))
    if kind == "array":
        return src.choice(([], [None], ["QUEUED"], [{}]))
    if kind == "object":
        return src.choice(({}, {"value": None}))
    return gen_json(src, depth=1, kinds=(kind,))


def _wrong_kinds(spec: PropertySpec) -> tuple[str, ...]:
    allowed = set(spec.types)
    if "number" in allowed:
        allowed.add("integer")
    # null first: the simplest wrong value, and the one implementations most often let by.
    return tuple(k for k in ("null", *JSON_TYPES[1:]) if k not in allowed)


@operator(
    "wrong-type",
    keyword="type",
    level="schema",
    applies=lambda schema: [p.name for p in schema.properties if _wrong_kinds(p) and p.types],
)
def wrong_type(
    src: Source, schema: RunSchema, record: dict[str, Any], name: str | None
) -> tuple[Any, Violation]:
    """A property has a value of the wrong JSON type (null included)."""
    assert name is not None
    spec = schema.spec(name)
    kind = src.choice(_wrong_kinds(spec))
    record[name] = _value_of_kind(src, kind)
    return record, _violation(
        "wrong-type", spec, kind, keyword_path=spec.pointer + "/type", path=pointer(name)
    )


@operator(
    "not-an-object",
    keyword="type",
    level="schema",
    # A schema compiled whole has the root's own type rule (``wrong-type:#``) instead.
    applies=lambda schema: [None] if schema.root is None else [],
)
def not_an_object(
    src: Source, schema: RunSchema, record: dict[str, Any], name: str | None
) -> tuple[Any, Violation]:
    """The document is not a JSON object (null, a scalar, an array, a JSON string of a run)."""
    kind = src.choice(("null", "array", "string", "json-string", "integer", "boolean", "number"))
    value: Any
    if kind == "array":
        value = src.choice(([], [record]))
    elif kind == "json-string":
        value = json.dumps(record)
    else:
        value = _value_of_kind(src, kind)
    return value, _violation("not-an-object", None, kind, keyword_path="/type", path="")


#: Status spellings of the real platform that the schema's enum does not have: its v1 API's
#: title case, its internal states, and the American spelling of CANCELLED.
PLATFORM_SPELLINGS = (
    "Running",
    "Completed",
    "Failed",
    "Cancelled",
    "Queued",
    "Paused",
    "SCHEDULED",
    "SKIPPED",
    "OVERFLOWED",
    "UNKNOWN",
    "CANCELED",
    "Canceled",
)


#: Where a whitespace variant of an enum member puts what: (before, after) the member.
_WHITESPACE = {
    "trailing": ("", " "),
    "leading": (" ", ""),
    "inner": ("", ""),
    "newline": ("", "\n"),
    "tab": ("\t", ""),
    "nbsp": ("\u00a0", ""),
    "zero-width": ("", "\u200b"),
    "nul": ("", "\x00"),
}


def _enum_variants(src: Source, value: str, family: str) -> str:
    """One near miss of ``value`` in ``family``: every option a ``choice``, so that the
    directed cases (:func:`variants`) enumerate each concrete spelling."""
    if family == "case":
        return src.choice(
            (
                value.lower(),
                value.title(),
                value.swapcase(),
                "".join(c.lower() if i % 2 else c.upper() for i, c in enumerate(value)),
                "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(value)),
            )
        )
    if family == "whitespace":
        where = src.choice(tuple(_WHITESPACE))
        if where == "inner":  # every position, so that each is a directed case
            k = src.choice(tuple(range(1, len(value))) or (0,))
            return value[:k] + " " + value[k:]
        before, after = _WHITESPACE[where]
        return before + value + after
    if family == "look-alike":
        positions = [i for i, c in enumerate(value) if c in HOMOGLYPHS]
        if positions and src.boolean():
            i = src.choice(positions)
            return value[:i] + HOMOGLYPHS[value[i]] + value[i + 1 :]
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)
    if family == "platform":
        return src.choice(PLATFORM_SPELLINGS)
    return src.choice(("", value[:-1], value + value[-1:], src.text(ASCII_PRINTABLE, 1, 12)))


_ENUM_FAMILIES = ("case", "whitespace", "platform", "look-alike", "other")

#: Each enum's strings to vary, and every string it holds, by the enum's identity (kept
#: with it, so the identity is not reused): a long enum is read once, not at every draw.
_ENUM_STRINGS: dict[int, tuple[Sequence[Any], list[str], frozenset[str]]] = {}


def _enum_strings(members: Sequence[Any]) -> tuple[list[str], frozenset[str]]:
    """The non-empty strings of ``members`` a near miss starts from (of a long enum, a few
    spread evenly: each member's variants are directed cases), and every string member (a
    variant that is one is no near miss)."""
    kept = _ENUM_STRINGS.get(id(members))
    if kept is None or kept[0] is not members:
        taken = frozenset(m for m in members if isinstance(m, str))
        strings = [m for m in members if isinstance(m, str) and m]
        if len(members) > MAX_MEMBERS:
            strings = list(spread(strings, MAX_MEMBERS // 8))
        if len(_ENUM_STRINGS) >= 256:
            _ENUM_STRINGS.clear()
        kept = _ENUM_STRINGS[id(members)] = (members, strings, taken)
    return kept[1], kept[2]


@operator(
    "not-in-enum",
    keyword="enum",
    level="schema",
    applies=lambda schema: [p.name for p in schema.properties if p.enum is not None],
)
def not_in_enum(
    src: Source, schema: RunSchema, record: dict[str, Any], name: str | None
) -> tuple[Any, Violation]:
    """A value outside the enum: case and whitespace variants, the platform's other
    spellings, look-alike characters."""
    assert name is not None
    spec = schema.spec(name)
    strings, taken = _enum_strings(spec.enum or ())
    family = src.choice(_ENUM_FAMILIES) if strings else "other"
    base = src.choice(strings) if strings else "value"
    value = _enum_variants(src, base, family)
    if value in taken:  # e.g. a user enum that has both "Running" and "RUNNING"
        value, family = base + "\u200b", "whitespace"
    record[name] = value
    return record, _violation(
        "not-in-enum", spec, family, keyword_path=spec.pointer + "/enum", path=pointer(name)
    )


_UNRELATED = ("id", "extra", "__proto__", "constructor", "", "$schema", "step", "steps", "x")


@operator(
    "unknown-property",
    keyword="additionalProperties",
    level="schema",
    applies=lambda schema: [] if schema.additional_properties else [None],
)
def unknown_property(
    src: Source, schema: RunSchema, record: dict[str, Any], name: str | None
) -> tuple[Any, Violation]:
    """A property the schema does not define: near-miss names (runId, run-id, 'run_id ')
    and unrelated ones."""
    known = {p.name for p in schema.properties}
    spec = src.choice(schema.properties)
    if src.boolean(0.75):
        detail, candidates = "near-miss", near_misses(spec.name)
    else:
        # Any word will do: an index, so that the directed cases take two, not all.
        detail, candidates = "unrelated", (*_UNRELATED, WORDS[src.integer(0, len(WORDS) - 1)])
    fresh = [c for c in candidates if c not in known] or ["x-" + spec.name]
    extra = src.choice(fresh)
    # The value of the property it mimics (or a plain one): only the name is wrong.
    value = record.get(spec.name, _MISSING)
    if value is _MISSING:
        value = gen_value(MinimalSource(), spec, plain=True)
    record[extra] = copy.deepcopy(value)
    return record, _violation(
        "unknown-property", None, detail, keyword_path="/additionalProperties", path=pointer(extra)
    )


@operator(
    "missing-dependent",
    keyword="dependentRequired",
    level="schema",
    applies=lambda schema: [k for k, v in schema.dependent_required.items() if v],
)
def missing_dependent(
    src: Source, schema: RunSchema, record: dict[str, Any], name: str | None
) -> tuple[Any, Violation]:
    """A property is present without a property it requires (dependentRequired)."""
    assert name is not None
    dropped = src.choice(schema.dependent_required[name])
    record.pop(dropped, None)
    return record, Violation(
        rule="missing-dependent",
        keyword="dependentRequired",
        schema_path=pointer("dependentRequired", name),
        path="",
        level="schema",
        property=name,
        detail=f"without-{dropped}",
    )


@operator(
    "malformed-date-time",
    keyword="format",
    level="format",
    applies=lambda schema: schema.datetime_properties,
)
def malformed_date_time(
    src: Source, schema: RunSchema, record: dict[str, Any], name: str | None
) -> tuple[Any, Violation]:
    """A date-time property holds a string that is not an RFC 3339 date-time."""
    assert name is not None
    spec = schema.spec(name)
    # Break the ordinary value the property holds, so only the malformation is unusual.
    held = record.get(name)
    detail, value = gen_malformed_datetime(src, held if is_common_datetime(held) else None)
    record[name] = value
    return record, _violation(
        "malformed-date-time",
        spec,
        detail,
        keyword_path=spec.pointer + "/format",
        path=pointer(name),
    )


def targets(
    schema: RunSchema,
    *,
    rules: Sequence[str] | None = None,
    properties: Sequence[str] | None = None,
    levels: Sequence[str] | None = None,
) -> tuple[Target, ...]:
    """Every (operator, property) pair the schema gives rise to, in a stable order."""
    out = []
    for op in OPERATORS.values():
        if rules is not None and op.name not in rules:
            continue
        if levels is not None and op.level not in levels:
            continue
        for prop in op.applies(schema):
            if properties is not None and prop not in properties:
                continue  # naming properties leaves out the whole-document rules too
            out.append(Target(op.name, prop))
    for place, (node, prop, steps) in schema.places.items():
        if properties is not None and place not in properties:
            continue
        for name in rules_of(node):
            r = RULES[name]
            if rules is not None and name not in rules:
                continue
            if levels is not None and r.level not in levels:
                continue
            if not steps and schema.root is None and _covered(schema.spec(prop), name):
                continue
            out.append(Target(name, place))
    return tuple(out)


def unbuilt(schema: RunSchema, target: Target) -> str | None:
    """Why ``target``'s cases are not built (its near miss would be larger than the kit
    builds a value of: ``maxLength: 1000000000``), or ``None`` when they are."""
    place = schema.places.get(target.property or "") if target.nested else None
    return None if place is None else _unbuilt_rule(target.rule, place[0])


def _covered(spec: PropertySpec, rule: str) -> bool:
    """Whether a record-level operator already asks what ``rule`` asks of a property's own
    subschema (its type, its enum, its date-time format): one requirement each."""
    if rule == "wrong-type":
        return bool(spec.types)
    if rule == "not-in-enum":
        return spec.enum is not None
    return rule == "malformed-format" and spec.format == "date-time"


def apply_target(
    src: Source, schema: RunSchema, target: Target, *, base: Source | None = None
) -> InvalidCase:
    """A plain valid record broken by one operator at one property.

    The record is plain (see :func:`.gen_record`): every value but the broken one is one no
    reasonable implementation argues about, so a rejection can only be for the label.
    ``base``, when given, makes the valid record the mutation starts from (a
    :class:`MinimalSource` gives the smallest one); ``src`` makes everything else.
    """
    base = base or src
    if target.nested:
        case = _apply_nested(src, schema, target, base)
    else:
        record = plain_base(base, schema, target)
        value, violation = OPERATORS[target.rule].mutate(src, schema, record, target.property)
        case = InvalidCase(value, violation)
    if schema.recursion is not None and base.boolean(0.25):
        return _embedded(base, schema, case)
    return case


def _apply_nested(src: Source, schema: RunSchema, target: Target, base: Source) -> InvalidCase:
    """A plain record that holds, at a place of a compiled subschema, a near miss of the
    subschema's rule."""
    assert target.property is not None
    node, prop, steps = schema.places[target.property]
    made: list[Any] = ["", None]

    def leaf(at: Node, valid: Any) -> Any:
        made[0], value, made[1] = miss(target.rule, src, at, valid)
        return value

    record: Any
    if schema.root is not None:
        record, path = gen_along(base, schema.root, steps, leaf, 0)
    else:
        record = plain_base(base, schema, Target(target.rule, prop))
        spec = schema.spec(prop)
        assert spec.node is not None
        value, path = gen_along(base, spec.node, steps, leaf, 1)
        record[prop] = value
        path = (prop, *path)
    if made[1] is not None:  # a missing or unexpected property: the oracle's location
        path = (*path, made[1])
    keyword, level, _ = rule_of(target)
    return InvalidCase(
        record,
        Violation(
            rule=target.rule,
            keyword=keyword,
            schema_path=f"{node.schema_path}/{keyword}",
            path=pointer(*path),
            level=level,
            property=target.property,
            detail=str(made[0]),
            reading=RULES[target.rule].reading(node),
        ),
    )


def _embedded(src: Source, schema: RunSchema, case: InvalidCase) -> InvalidCase:
    """``case`` one or two levels down a schema that holds records again (``$ref: "#"``):
    the same broken value, deep inside a valid record."""
    assert schema.recursion is not None
    prop, steps = schema.recursion
    spec = schema.spec(prop)
    assert spec.node is not None
    record, path = case.record, case.violation.path
    for _ in range(src.integer(1, 2)):
        outer = gen_record(src, schema, plain=True)
        value, where = gen_along(src, spec.node, steps, put(record), 1)
        outer[prop] = value
        record, path = outer, pointer(prop, *where) + path
    return InvalidCase(record, dataclasses.replace(case.violation, path=path))


def plain_base(src: Source, schema: RunSchema, target: Target) -> dict[str, Any]:
    """The plain valid record an operator breaks, holding the property it targets."""
    record: dict[str, Any] = gen_record(src, schema, plain=True)
    if target.property is not None and target.property not in record and not target.nested:
        spec = schema.spec(target.property)
        record[target.property] = gen_value(src, spec, plain=True)
        for dependent in schema.dependent_required.get(target.property, ()):
            if dependent not in record:
                record[dependent] = gen_value(src, schema.spec(dependent), plain=True)
    return record


def gen_invalid(
    src: Source, schema: RunSchema, *, among: Sequence[Target] | None = None
) -> InvalidCase:
    """An invalid case for one of ``among`` (default: every target of the schema)."""
    choices = tuple(among) if among is not None else targets(schema)
    built = tuple(t for t in choices if unbuilt(schema, t) is None)
    if not built:
        raise Unsatisfiable(f"{choices[0].name}: {unbuilt(schema, choices[0])}")
    return apply_target(src, schema, src.choice(built))


def variants(schema: RunSchema, target: Target, oracle: Oracle) -> list[InvalidCase]:
    """Every concrete case of a target on the smallest plain record, the same every time.

    A search of a few dozen cases may miss the one spelling of a hundred that an
    implementation gets wrong (``SKIPPED`` in a status enum, a space between date and
    time); these are tried on top of the search, so every spelling an operator knows is
    asked in every run, at every profile.  The operator's choices are enumerated (see
    :func:`.every_value`): each option of a ``choice``, the ends of a wide range.
    """
    if target.nested:

        def one(src: Source) -> InvalidCase | None:
            return _case_or_none(src, schema, target, MinimalSource())

    else:
        base = plain_base(MinimalSource(), schema, target)
        mutate = OPERATORS[target.rule].mutate

        def one(src: Source) -> InvalidCase | None:
            value, violation = mutate(src, schema, copy.deepcopy(base), target.property)
            return InvalidCase(value, violation)

    seen: dict[str, InvalidCase] = {}
    for case in every_value(one):
        if case is None:
            continue
        key = canonical_json([case.record, case.violation.detail])
        if key not in seen and label_holds(oracle, case):
            seen[key] = case
    if not seen and target.nested:
        # The smallest base record may not hold the place (a oneOf branch that rules out
        # the property on the way): a few seeded ones, the same every time.
        for seed in range(8):
            for case in every_value(
                functools.partial(_seeded_case, schema=schema, target=target, seed=seed)
            ):
                if case is None:
                    continue
                key = canonical_json([case.record, case.violation.detail])
                if key not in seen and label_holds(oracle, case):
                    seen[key] = case
            if seen:
                break
    return list(seen.values())


def _case_or_none(
    src: Source, schema: RunSchema, target: Target, base: Source
) -> InvalidCase | None:
    """A directed case, or ``None`` where this path through the choices finds no near
    miss (the others may): the directed cases are what the paths find, never a crash."""
    try:
        return apply_target(src, schema, target, base=base)
    except Unsatisfiable:
        return None


def _seeded_case(
    src: Source, *, schema: RunSchema, target: Target, seed: int
) -> InvalidCase | None:
    return _case_or_none(src, schema, target, RandomSource(seed))


def label_holds(oracle: Oracle, case: InvalidCase, *, fast: bool = False) -> bool:
    """True when the oracle rejects the record for exactly the labelled reason.

    Every error is at the labelled location, and the labelled keyword is among them (a
    wrong-typed enum property also fails ``enum`` at the same place).  A violation under a
    reading of the kit's (``reading``) is judged under that reading, and the record must
    be valid to the dialect itself: the reading is the only reason it is invalid.
    ``fast`` reads the errors from :meth:`Oracle.fast_error_keys` (bulk fixtures), which
    the tests hold to the general validator's.
    """
    v = case.violation
    if v.reading is not None and not oracle.fast_is_valid(case.record):
        return False
    if fast:
        keys = oracle.fast_error_keys(case.record, reading=v.reading)
    else:
        keys = [(e.path, e.keyword) for e in oracle.errors(case.record, reading=v.reading)]
    return (
        bool(keys)
        and all(path == v.path for path, _ in keys)
        and any(keyword == v.keyword for _, keyword in keys)
    )


def malformation_names() -> tuple[str, ...]:
    """The named kinds of malformed date-time (``Violation.detail`` of ``malformed-date-time``)."""
    return tuple(MALFORMATIONS)
