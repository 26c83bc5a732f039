"""Near misses: for each keyword of a compiled subschema, values that break it by a step.

Each :class:`Rule` takes a value the node accepts and makes one that breaks exactly its
keyword, by the smallest step that does: one below a minimum, one character more than a
maximum length, one edit off a pattern, a second branch matched.  The values around the
near miss are the simplest (:data:`_FILL`), so that only the near miss varies and the
directed cases enumerate each one.  :mod:`._invalid` places a near miss in a record and
the oracle re-checks every label.  :func:`boundary_values` gives the valid values at a
node's bounds, for the directed cases of ``schema:accepts-boundary-values``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from inngest_conformance.strategies._datetimes import gen_datetime
from inngest_conformance.strategies._formats import (
    INTEGER_FORMATS,
    NEAR_MISSES,
    STRING_FORMATS,
    reading_of,
)
from inngest_conformance.strategies._limits import MAX_MEMBERS, SIZE_VARIABLE, spread
from inngest_conformance.strategies._rfc3339 import is_common_datetime
from inngest_conformance.strategies._source import MinimalSource, Source, Unsatisfiable
from inngest_conformance.strategies._subschema import (
    ANNOTATIONS,
    COMPOSITION,
    MAX_DEPTH,
    TRIES,
    Compiler,
    Node,
    anchored_prefix,
    gen_node,
    inline,
    json_key,
    largest,
    members,
    merge,
    retry_source,
    synthetic,
)
from inngest_conformance.strategies._values import JSON_TYPES, near_misses


class Miss(tuple[str, Any, "str | None"]):
    """What a rule made: ``(detail, value, at)``; ``at`` names the property of the value
    the error is about (a missing or an unexpected one), as the oracle locates it."""

    __slots__ = ()

    def __new__(cls, detail: str, value: Any, at: str | None = None) -> Miss:
        return super().__new__(cls, (detail, value, at))


#: Values a rule fills in around its near miss: the simplest, so that only the near
#: miss varies (and the directed cases enumerate it alone).
_FILL = MinimalSource()


@dataclass(frozen=True, slots=True)
class Rule:
    """A way to break one keyword of a node: near misses of a valid value."""

    name: str
    keyword: str
    level: str
    statement: str
    applies: Callable[[Node], bool]
    miss: Callable[[Source, Node, Any], tuple[Any, ...]]
    """``miss(src, node, valid)``: ``(detail, value)``, a value that breaks the keyword."""

    def reading(self, node: Node) -> str | None:
        """The kit's reading this rule's near misses at ``node`` are invalid under
        (``None``: the dialect's own): a format outside the dialect's vocabulary."""
        return reading_of(node.format) if self.keyword == "format" else None


RULES: dict[str, Rule] = {}


MissFn = Callable[[Source, Node, Any], tuple[Any, ...]]


def rule(
    name: str, keyword: str, level: str, statement: str, applies: Callable[[Node], bool]
) -> Callable[[MissFn], MissFn]:
    """Register a rule; ``statement`` follows "rejects PLACE " in a requirement, with the
    node's keywords filled in (``{minimum}``)."""

    def register(fn: MissFn) -> MissFn:
        RULES[name] = Rule(name, keyword, level, statement, applies, fn)
        return fn

    return register


def miss(name: str, src: Source, node: Node, valid: Any) -> Miss:
    """Rule ``name``'s near miss of ``valid``, a value ``node`` accepts."""
    made = RULES[name].miss(src, node, valid)
    return made if isinstance(made, Miss) else Miss(*made)


_WRONG_VALUES: dict[str, tuple[Any, ...]] = {
    "null": (None,),
    "boolean": (True, False),
    "integer": (0, 1, -1, 2**53),
    "number": (0.5, -1.5, 1e-7),
    "string": ("", "0", "1", "true", "null"),
    "array": ([], [None], [0]),
    "object": ({}, {"value": None}),
}


def _wrong_kinds(node: Node) -> tuple[str, ...]:
    allowed = set(node.types)
    if "number" in allowed:
        allowed.add("integer")
    return tuple(k for k in JSON_TYPES if k not in allowed)


@rule(
    "wrong-type",
    "type",
    "schema",
    "of a JSON type other than {types}, null included",
    lambda n: bool(n.types) and bool(_wrong_kinds(n)),
)
def _wrong_type(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    kind = src.choice(_wrong_kinds(node))
    return kind, copy.deepcopy(src.choice(_WRONG_VALUES[kind]))


@functools.lru_cache(maxsize=64)
def _other_members(node: Node) -> tuple[tuple[str, Any], ...]:
    """Near misses of the node's members, made once per node; of a long enum, those of
    :data:`._limits.MAX_MEMBERS` members' worth spread from the first to the last (each is
    a directed case)."""
    return spread(_misses_of_members(node), 3 * MAX_MEMBERS)


def _misses_of_members(node: Node) -> list[tuple[str, Any]]:
    allowed = members(node) or ()
    out: list[tuple[str, Any]] = []
    for m in allowed:
        if isinstance(m, str):
            out += [
                ("case", m.swapcase() if m.swapcase() != m else m + "X"),
                ("whitespace", m + " "),
                ("lookalike", m[:1] + "\u200b" + m[1:]),
            ]
        elif isinstance(m, bool):
            out += [("as-string", json.dumps(m)), ("as-number", int(m))]
        elif isinstance(m, (int, float)):
            out += [("as-string", json.dumps(m)), ("next", m + 1)]
        elif m is None:
            out += [("as-string", "null"), ("false", False)]
        elif isinstance(m, list):
            out += [("longer", [*m, None]), ("empty", [] if m else [0])]
        elif isinstance(m, dict):
            out += [("extra-key", {**m, "x": None}), ("empty", {} if m else {"x": 1})]
    keys = {json_key(m) for m in allowed}
    return [(d, v) for d, v in out if json_key(v) not in keys]


@rule(
    "not-in-enum",
    "enum",
    "schema",
    "outside its enum: case, whitespace and look-alike variants, other JSON types",
    lambda n: n.enum is not None,
)
def _not_in_enum(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    detail, value = src.choice(_other_members(node) or (("other", "\u0000"),))
    return detail, copy.deepcopy(value)


@rule(
    "not-const",
    "const",
    "schema",
    "other than its const: near misses of it",
    lambda n: n.const is not None,
)
def _not_const(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    detail, value = src.choice(_other_members(node) or (("other", "\u0000"),))
    return detail, copy.deepcopy(value)


def _strings_apply(n: Node) -> bool:
    return n.enum is None and n.const is None and (not n.types or "string" in n.types)


@rule(
    "too-short",
    "minLength",
    "schema",
    "shorter than its minLength of {minLength}",
    lambda n: _strings_apply(n) and n.min_length > 0,
)
def _too_short(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    text = valid if isinstance(valid, str) else "x" * node.min_length
    n = node.min_length - 1 if src.boolean(0.75) else 0
    return ("one-short" if n == node.min_length - 1 else "empty"), text[:n]


@rule(
    "too-long",
    "maxLength",
    "schema",
    "longer than its maxLength of {maxLength} (counted in code points)",
    lambda n: _strings_apply(n) and n.max_length is not None,
)
def _too_long(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    text = valid if isinstance(valid, str) else ""
    assert node.max_length is not None
    pad = node.max_length + 1 - len(text)
    # A non-BMP character counts once: an implementation counting UTF-16 units is found.
    filler = src.choice(("x", "😀"))
    return ("one-long" if filler == "x" else "one-long-astral"), text + filler * max(pad, 1)


#: Characters at each end of a long string where :func:`_edits` makes its edits.
_EDIT_ENDS = 128


def _edits(text: str) -> Iterator[tuple[str, str]]:
    """One-edit variants of ``text``; in a long string only near its ends (each edit copies
    the string: every position of a long one would be quadratic)."""
    yield "empty", ""
    yield "leading-space", " " + text
    yield "trailing-space", text + " "
    yield "trailing-newline", text + "\n"
    n = len(text)
    at = range(n) if n <= 2 * _EDIT_ENDS else [*range(_EDIT_ENDS), *range(n - _EDIT_ENDS, n)]
    for i in at:
        yield "deleted", text[:i] + text[i + 1 :]
    for i in at:
        c = text[i]
        swap = "a" if c.isdigit() else ("0" if c.isalpha() else "x")
        yield "replaced", text[:i] + swap + text[i + 1 :]
        if c.isalpha() and c.swapcase() != c:
            yield "case", text[:i] + c.swapcase() + text[i + 1 :]
        if c.isascii() and c.isdigit():
            yield "non-ascii-digit", text[:i] + chr(0x0660 + int(c)) + text[i + 1 :]
    for i in [*at, n] if n else [0]:
        yield "inserted", text[:i] + "x" + text[i:]
        yield "inserted", text[:i] + "0" + text[i:]


@rule(
    "pattern-mismatch",
    "pattern",
    "schema",
    "not matching its pattern {pattern}: one edit off a matching string",
    lambda n: _strings_apply(n) and n.pattern is not None,
)
def _pattern_mismatch(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.pattern is not None
    text = valid if isinstance(valid, str) else ""
    regex = re.compile(node.pattern)
    lo, hi = node.min_length, node.max_length
    by_kind: dict[str, list[str]] = {}
    for detail, edited in _edits(text):
        if regex.search(edited) is None and len(edited) >= lo and (hi is None or len(edited) <= hi):
            by_kind.setdefault(detail, []).append(edited)
    if not by_kind:
        return "empty", ""
    detail = src.choice(tuple(by_kind))
    options = by_kind[detail]
    return detail, options[src.integer(0, len(options) - 1)]


@rule(
    "malformed-format",
    "format",
    "format",
    "not a valid {format}",
    lambda n: n.enum is None and n.const is None and n.format in STRING_FORMATS,
)
def _malformed_format(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.format is not None
    if node.format == "date-time":
        from inngest_conformance.strategies._malformed_datetimes import gen_malformed_datetime

        # The valid value it breaks, or the simplest common one: only the malformation is
        # a choice (a date-time drawn here would be a few thousand paths more per case).
        held = valid if is_common_datetime(valid) else gen_datetime(_FILL, common=True)
        return gen_malformed_datetime(src, held)
    misses = NEAR_MISSES[node.format]
    detail = src.choice(tuple(misses))
    return detail, misses[detail]


def _numeric(n: Node) -> bool:
    return n.enum is None and n.const is None and (not n.types or n.allows("integer"))


def _int_like(node: Node) -> bool:
    return "integer" in node.types and "number" not in node.types


@rule(
    "below-minimum",
    "minimum",
    "schema",
    "below its minimum of {minimum}",
    lambda n: _numeric(n) and n.minimum is not None,
)
def _below_minimum(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.minimum is not None
    return _past(src, node, node.minimum, -1)


@rule(
    "above-maximum",
    "maximum",
    "schema",
    "above its maximum of {maximum}",
    lambda n: _numeric(n) and n.maximum is not None,
)
def _above_maximum(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.maximum is not None
    return _past(src, node, node.maximum, 1)


def _past(src: Source, node: Node, bound: float, sign: int) -> tuple[str, Any]:
    """A number one step past ``bound`` (1, or a billionth of it for a fractional bound of
    a number), or far past it (past int64 for integers, past 1e308 for numbers), in the
    direction of ``sign``."""
    step = 1 if _int_like(node) or isinstance(bound, int) else max(abs(bound) * 1e-9, 1e-9)
    side = "below" if sign < 0 else "above"
    detail = src.choice((f"one-{side}", f"far-{side}"))
    if detail.startswith("one-"):
        if abs(bound) >= 2**53 and step == 1:
            # A double this large has no step of 1: count in integers.
            return detail, math.floor(bound) + 1 if sign > 0 else math.ceil(bound) - 1
        near = bound + sign * step
        return detail, near if math.isfinite(near) else sign * _PAST_DOUBLES
    far = (2**64 if sign > 0 else -(2**63)) if _int_like(node) else sign * 1e308
    # A bound beyond int64 (or 1e308) is passed by an integer no double holds.
    return detail, far if (far - bound) * sign > 0 else sign * _PAST_DOUBLES


#: An integer past every double (JSON has no limit on a number's size).
_PAST_DOUBLES = 2**1024


@rule(
    "not-above-exclusive-minimum",
    "exclusiveMinimum",
    "schema",
    "equal to or below its exclusive minimum of {exclusiveMinimum}",
    lambda n: _numeric(n) and n.exclusive_minimum is not None,
)
def _at_exclusive_minimum(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.exclusive_minimum is not None
    return src.choice(
        (("at-bound", node.exclusive_minimum), ("one-below", node.exclusive_minimum - 1))
    )


@rule(
    "not-below-exclusive-maximum",
    "exclusiveMaximum",
    "schema",
    "equal to or above its exclusive maximum of {exclusiveMaximum}",
    lambda n: _numeric(n) and n.exclusive_maximum is not None,
)
def _at_exclusive_maximum(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.exclusive_maximum is not None
    return src.choice(
        (("at-bound", node.exclusive_maximum), ("one-above", node.exclusive_maximum + 1))
    )


@rule(
    "not-multiple-of",
    "multipleOf",
    "schema",
    "not a multiple of {multipleOf}",
    lambda n: _numeric(n) and n.multiple_of is not None,
)
def _not_multiple(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    m = node.multiple_of
    assert m is not None
    base = valid if isinstance(valid, (int, float)) and not isinstance(valid, bool) else 0
    if isinstance(m, int) and m > 1 and _int_like(node):
        return "off-by-one", base + 1
    return "half-way", base + m / 2


def _out_of_range(node: Node) -> dict[str, int]:
    """The near misses of an integer format that the node's other numeric keywords allow
    (one past either end of the range, the nearest multiple past it under ``multipleOf``):
    a case of the format's reading must be valid to the dialect, which ignores the format,
    so a side its own bounds close has none (``minimum: 0`` closes the lower one)."""
    out = {}
    for detail, value in NEAR_MISSES.get(node.format or "", {}).items():
        assert isinstance(value, int)
        m = node.multiple_of
        if m is not None:
            if not (isinstance(m, int) or float(m).is_integer()):
                continue
            m = int(m)
            value = -((-value) // m) * m if value > 0 else (value // m) * m
        if (
            (node.minimum is None or value >= node.minimum)
            and (node.maximum is None or value <= node.maximum)
            and (node.exclusive_minimum is None or value > node.exclusive_minimum)
            and (node.exclusive_maximum is None or value < node.exclusive_maximum)
        ):
            out[detail] = value
    return out


@rule(
    "out-of-range-for-format",
    "format",
    "format",
    "outside the range of {format} (OpenAPI's format: JSON Schema has none of that name)",
    lambda n: _numeric(n) and n.format in INTEGER_FORMATS and bool(_out_of_range(n)),
)
def _out_of_format(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    misses = _out_of_range(node)
    detail = src.choice(tuple(misses))
    return detail, misses[detail]


def _arrays_apply(n: Node) -> bool:
    return n.enum is None and n.const is None and (not n.types or "array" in n.types)


def _items_of(src: Source, node: Node, valid: Any, n: int) -> list[Any]:
    items = list(valid) if isinstance(valid, list) else []
    while len(items) < n:
        sub = node.items if isinstance(node.items, Node) else None
        items.append(gen_node(_FILL, sub, MAX_DEPTH, True) if sub is not None else 0)
    return items


@rule(
    "too-few-items",
    "minItems",
    "schema",
    "with fewer than {minItems} items",
    lambda n: _arrays_apply(n) and n.min_items > 0,
)
def _too_few_items(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    items = _items_of(src, node, valid, node.min_items)
    n = src.choice((node.min_items - 1, 0))
    return ("one-short" if n == node.min_items - 1 else "empty"), items[:n]


@rule(
    "too-many-items",
    "maxItems",
    "schema",
    "with more than {maxItems} items",
    lambda n: _arrays_apply(n) and n.max_items is not None,
)
def _too_many_items(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.max_items is not None
    items = list(valid) if isinstance(valid, list) else []
    extra = items[-1:] if items and not node.unique_items else []
    more = copy.deepcopy(extra * (node.max_items + 1 - len(items))) if extra else None
    if more is None:
        more = []
        for _ in range(node.max_items + 1 - len(items)):
            sub = node.items if isinstance(node.items, Node) else None
            more.append(
                gen_node(_FILL, sub, MAX_DEPTH, True) if sub is not None else len(items) + len(more)
            )
    return "one-long", items + more


@rule(
    "duplicate-items",
    "uniqueItems",
    "schema",
    "with two equal items (1 and 1.0 are equal)",
    lambda n: _arrays_apply(n) and n.unique_items and (n.max_items is None or n.max_items >= 2),
)
def _duplicate(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    items = _items_of(src, node, valid, 1)
    i = src.integer(0, len(items) - 1)
    twin = copy.deepcopy(items[i])
    if isinstance(twin, int) and not isinstance(twin, bool) and src.boolean():
        return "integer-and-float", [*items, float(twin)]
    return "same", [*items, twin]


@rule(
    "missing-contains",
    "contains",
    "schema",
    "with no item that its contains asks for",
    lambda n: _arrays_apply(n) and n.contains is not None,
)
def _missing_contains(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.contains is not None
    items = [v for v in (valid if isinstance(valid, list) else []) if not node.contains.is_valid(v)]
    if src.boolean() or node.min_items <= len(items):
        return ("none-match" if items else "empty"), items
    return "empty", []


@rule(
    "extra-item",
    "items",
    "schema",
    "with an item beyond its {prefixItems} prefix items",
    lambda n: _arrays_apply(n) and n.items is False,
)
def _extra_item(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    items = list(valid) if isinstance(valid, list) else []
    while len(items) < len(node.prefix_items):
        items.append(gen_node(_FILL, node.prefix_items[len(items)], MAX_DEPTH, True))
    return "one-more", [*items, copy.deepcopy(items[-1]) if items else None]


def _objects_apply(n: Node) -> bool:
    return n.enum is None and n.const is None and (not n.types or "object" in n.types)


@rule(
    "missing-required",
    "required",
    "schema",
    "without {property}",
    lambda n: _objects_apply(n) and bool(n.required),
)
def _missing_required(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    value = dict(valid) if isinstance(valid, dict) else {}
    name = src.choice(node.required)
    value.pop(name, None)
    # Still as many properties as minProperties asks: optional ones in the missing one's
    # stead, so that only ``required`` is broken.
    for other, sub in node.properties.items():
        if len(value) >= node.min_properties:
            break
        if other != name and other not in value:
            with contextlib.suppress(Unsatisfiable):
                value[other] = gen_node(_FILL, sub, MAX_DEPTH, True)
    return Miss(name, value, name)


@rule(
    "unknown-property",
    "additionalProperties",
    "schema",
    "with a property it does not define",
    lambda n: _objects_apply(n) and n.additional is False,
)
def _unknown_property(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    value = dict(valid) if isinstance(valid, dict) else {}
    names = [*node.properties]
    if names and src.boolean(0.75):
        detail, candidates = "near-miss", near_misses(src.choice(names))
    else:
        detail, candidates = "unrelated", ("extra", "__proto__", "", "x")
    fresh = [c for c in candidates if c not in node.properties] or ["x-extra"]
    name = src.choice(fresh)
    value[name] = None
    return Miss(detail, value, name)


@rule(
    "too-few-properties",
    "minProperties",
    "schema",
    "with fewer than {minProperties} properties",
    lambda n: _objects_apply(n) and n.min_properties > len(n.required),
)
def _too_few_properties(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    value = dict(valid) if isinstance(valid, dict) else {}
    optional = [k for k in value if k not in node.required]
    while len(value) >= node.min_properties and optional:
        del value[optional.pop()]
    return "one-short", value


@rule(
    "too-many-properties",
    "maxProperties",
    "schema",
    "with more than {maxProperties} properties",
    lambda n: _objects_apply(n) and n.max_properties is not None and n.additional is not False,
)
def _too_many_properties(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.max_properties is not None
    value = dict(valid) if isinstance(valid, dict) else {}
    sub = node.additional if isinstance(node.additional, Node) else None
    i = 0
    while len(value) <= node.max_properties:
        name = f"x_extra{i}"
        if name not in node.properties and name not in value:
            value[name] = gen_node(_FILL, sub, MAX_DEPTH, True) if sub is not None else None
        i += 1
    return "one-more", value


@rule(
    "missing-dependent",
    "dependentRequired",
    "schema",
    "with {property} but without what it requires",
    lambda n: _objects_apply(n) and bool(n.dependent_required),
)
def _missing_dependent(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    value = dict(valid) if isinstance(valid, dict) else {}
    trigger = src.choice(tuple(k for k, v in node.dependent_required.items() if v))
    sub = node.properties.get(trigger)
    if trigger not in value:
        value[trigger] = gen_node(_FILL, sub, MAX_DEPTH, True) if sub is not None else None
    dropped = src.choice(node.dependent_required[trigger])
    value.pop(dropped, None)
    return f"{trigger}-without-{dropped}", value


@rule(
    "bad-property-name",
    "propertyNames",
    "schema",
    "with a property name its propertyNames rejects",
    lambda n: _objects_apply(n) and n.property_names is not None,
)
def _bad_name(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.property_names is not None
    value = dict(valid) if isinstance(valid, dict) else {}
    names = node.property_names
    candidates: list[tuple[str, str]] = []
    for r in RULES.values():
        if r.name not in ("wrong-type", "bad-property-name") and r.applies(names):
            detail, name, _ = miss(r.name, _FILL, names, gen_node(_FILL, names, MAX_DEPTH, True))
            if isinstance(name, str):
                candidates.append((f"{r.name}:{detail}", name))
    candidates = [(d, n) for d, n in candidates if n not in value and not names.is_valid(n)]
    detail, name = src.choice(candidates or [("empty", "")])
    sub = node.additional if isinstance(node.additional, Node) else None
    value[name] = gen_node(_FILL, sub, MAX_DEPTH, True) if sub is not None else None
    return Miss(detail, value)


def _composition(
    src: Source,
    node: Node,
    valid: Any,
    accept: Callable[[Any], bool],
    keywords: tuple[str, ...] = (),
    branches: tuple[Any, ...] | None = None,
) -> tuple[Any, ...]:
    """A near miss of the node's own value (by any rule of its branches' facts) that
    ``accept`` takes; the candidates are the other rules' misses and values of other types.
    Those the node's other keywords (all but ``keywords``) accept come first: a value that
    breaks only the composition, where there is one.  ``branches``: the subschemas whose
    values and misses are the candidates (by default the node's composition)."""
    candidates: list[tuple[str, Any]] = []
    for kind, values in _WRONG_VALUES.items():
        candidates += [(f"type:{kind}", v) for v in values]
    subs = (
        list(branches)
        if branches is not None
        else [
            *sampled(node.all_of),
            *sampled(node.any_of),
            *sampled(node.one_of),
            node.then,
            node.else_,
            node.not_,
            node.if_,
        ]
    )
    plain = {k: v for k, v in node.raw.items() if k not in COMPOSITION}
    for sub in subs:
        if isinstance(sub, dict) and node.compiler is not None:
            # The branch as the node has it: with the node's own keywords.
            shape = merge(plain, inline(node.compiler, sub))
            branch = synthetic(node.compiler, shape, node.place)
            try:
                base = gen_node(_FILL, branch, MAX_DEPTH, True)
            except Unsatisfiable:
                continue
            candidates.append(("other-branch", base))
            for r in RULES.values():
                if r.applies(branch) and not r.name.startswith(
                    ("no-", "several-", "matches-", "breaks-")
                ):
                    try:
                        detail, near, _ = miss(r.name, _FILL, branch, base)
                    except Unsatisfiable:
                        continue
                    candidates.append((f"{r.name}:{detail}", near))
            if isinstance(base, dict) and isinstance(valid, dict):
                candidates.append(("mixed", {**valid, **base}))
    own = {k: v for k, v in node.raw.items() if k not in keywords}
    assert node.compiler is not None
    if any(len(b) > MAX_BRANCHES for b in (node.all_of, node.any_of, node.one_of)):
        return _first_accepted(src, node, candidates, accept, own)
    good = [(d, v) for d, v in candidates if accept(v)]
    if not good:
        raise Unsatisfiable(f"{node.where}: no near miss found")
    only = [(d, v) for d, v in good if node.compiler.is_valid(own, v)]
    return Miss(*src.choice(only or good))


def _first_accepted(
    src: Source,
    node: Node,
    candidates: list[tuple[str, Any]],
    accept: Callable[[Any], bool],
    own: dict[str, Any],
) -> Miss:
    """:func:`_composition`'s choice where the branches are many (each check of a value
    then reads them all): the candidates in an order ``src`` draws, the first that
    ``accept`` and the node's other keywords take, or else the first ``accept`` takes."""
    assert node.compiler is not None
    fallback: tuple[str, Any] | None = None
    left = list(candidates)
    while left:
        detail, value = left.pop(src.integer(0, len(left) - 1))
        if not node.compiler.is_valid(own, value):
            if fallback is None and accept(value):
                fallback = (detail, value)
            continue
        if accept(value):
            return Miss(detail, value)
    if fallback is None:
        raise Unsatisfiable(f"{node.where}: no near miss found")
    return Miss(*fallback)


#: Most branches of one ``allOf``, ``anyOf`` or ``oneOf`` a composition near miss is drawn
#: from: each branch is a few values checked against the whole node, so a list of
#: thousands would take minutes per case.
MAX_BRANCHES = 16


def sampled(branches: tuple[Any, ...]) -> tuple[Any, ...]:
    """``branches``, or :data:`MAX_BRANCHES` of them spread evenly (the first and the last
    among them) where there are more: the same every run, and said in the statement."""
    return spread(branches, MAX_BRANCHES)


def _matches(compiler: Compiler | None, sub: Any, value: Any) -> bool:
    assert compiler is not None
    return compiler.is_valid(sub, value)


@rule(
    "no-branch", "anyOf", "schema", "matching none of its anyOf branches", lambda n: bool(n.any_of)
)
def _no_any(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    return _matching_none(src, node, valid, node.any_of, "anyOf")


@rule(
    "no-one-branch",
    "oneOf",
    "schema",
    "matching none of its oneOf branches",
    lambda n: bool(n.one_of),
)
def _no_one(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    return _matching_none(src, node, valid, node.one_of, "oneOf")


def _matching_none(
    src: Source, node: Node, valid: Any, branches: tuple[Any, ...], keyword: str
) -> tuple[Any, ...]:
    """A near miss that matches none of ``branches`` (the node's ``keyword``)."""
    c = node.compiler
    # One check against all the branches at once (the node's own list, so the validator
    # made for it is kept): a check per branch would be a validator each.
    whole = {"anyOf": node.raw[keyword]}  # matching none: not matching any
    return _composition(src, node, valid, lambda v: not _matches(c, whole, v), (keyword,))


@rule(
    "several-branches",
    "oneOf",
    "schema",
    "matching more than one of its oneOf branches",
    lambda n: len(n.one_of) > 1,
)
def _several(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler
    one, some = {"oneOf": node.raw["oneOf"]}, {"anyOf": node.raw["oneOf"]}
    # More than one branch: some branch, but not exactly one.
    return _composition(
        src, node, valid, lambda v: _matches(c, some, v) and not _matches(c, one, v), ("oneOf",)
    )


@rule(
    "matches-not",
    "not",
    "schema",
    "matching what its not forbids",
    lambda n: n.not_ is not None and n.not_ is not False,
)
def _matches_not(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler
    assert c is not None
    own = {k: v for k, v in node.raw.items() if k != "not"}
    forbidden = synthetic(c, merge(own, inline(c, node.not_)), node.place)
    for source in (_FILL, src):
        try:
            value = gen_node(source, forbidden, MAX_DEPTH - 1, True)
        except Unsatisfiable:
            continue
        if c.is_valid(own, value) and not node.is_valid(value):
            return Miss("forbidden", value)
    return _composition(
        src, node, valid, lambda v: _matches(c, node.not_, v) and c.is_valid(own, v)
    )


def _meeting(src: Source, node: Node, first: Any, accept: Callable[[Any], bool]) -> Any:
    """A value drawn from the node's own keywords merged with ``first`` that
    ``accept`` takes (or ``None``), trying a few seeded draws after ``src``'s."""
    c = node.compiler
    assert c is not None
    own = {k: v for k, v in node.raw.items() if k not in ("if", "then", "else")}
    merged = own
    if first is not None:
        merged = merge(merged, inline(c, first))
    shape = synthetic(c, merged, node.place)
    for attempt in range(TRIES // 2):
        try:
            value = gen_node(retry_source(src, attempt), shape, MAX_DEPTH - 1, True)
        except Unsatisfiable:
            continue
        if accept(value):
            return value
    return None


@rule(
    "breaks-then",
    "then",
    "schema",
    "matching its if but not its then",
    lambda n: n.if_ is not None and n.then is not None,
)
def _breaks_then(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler

    def accept(v: Any) -> bool:
        return _matches(c, node.if_, v) and not _matches(c, node.then, v)

    return _conditional(src, node, valid, node.if_, accept, "if-without-then")


@rule(
    "breaks-else",
    "else",
    "schema",
    "not matching its if, nor its else",
    lambda n: n.if_ is not None and n.else_ is not None,
)
def _breaks_else(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler

    def accept(v: Any) -> bool:
        return not _matches(c, node.if_, v) and not _matches(c, node.else_, v)

    return _conditional(src, node, valid, node.then, accept, "neither-if-nor-else")


def _conditional(
    src: Source, node: Node, valid: Any, start: Any, accept: Callable[[Any], bool], detail: str
) -> tuple[Any, ...]:
    """A near miss of an ``if``/``then``/``else`` node that ``accept`` takes: drawn from the
    node's keywords with ``start`` (so that the ``if`` holds, or the ``then`` does), else
    one of the composition candidates."""
    value = _meeting(_FILL, node, start, accept)
    if value is not None:
        return Miss(detail, value)
    return _composition(src, node, valid, accept, ("if", "then", "else"))


@rule(
    "breaks-all-of",
    "allOf",
    "schema",
    "failing one of its allOf branches",
    lambda n: bool(n.all_of),
)
def _breaks_all_of(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler
    whole = {"allOf": node.raw["allOf"]}
    return _composition(src, node, valid, lambda v: not _matches(c, whole, v), ("allOf",))


@rule(
    "breaks-dependent-schema",
    "dependentSchemas",
    "schema",
    "with a property its dependentSchemas names, but not matching the schema it names",
    lambda n: _objects_apply(n) and bool(n.dependent_schemas),
)
def _breaks_dependent_schema(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler
    assert c is not None
    name = src.choice(tuple(node.dependent_schemas))
    sub = node.dependent_schemas[name]
    value = dict(valid) if isinstance(valid, dict) else {}
    if name not in value:
        prop = node.properties.get(name)
        value[name] = gen_node(_FILL, prop, MAX_DEPTH, True) if prop is not None else None
    if not _matches(c, sub, value):
        return Miss(f"{name}-added", value)
    for other in (k for k in valid if k != name) if isinstance(valid, dict) else ():
        without = {k: v for k, v in value.items() if k != other}
        if not _matches(c, sub, without):
            return Miss(f"{name}-without-{other}", without)

    def accept(v: Any) -> bool:
        return isinstance(v, dict) and name in v and not _matches(c, sub, v)

    present = merge({"required": [name]}, inline(c, sub))
    return _composition(src, node, valid, accept, ("dependentSchemas",), (present,))


def _names_in(compiler: Compiler, raw: Any, depth: int = 0) -> set[str]:
    """Every property name ``raw`` and its in-place subschemas define: none of them is a
    name an unevaluated property can have."""
    raw = inline(compiler, raw)
    if not isinstance(raw, dict) or depth > MAX_DEPTH:
        return set()
    names = set(raw.get("properties", {})) | set(raw.get("required", []))
    subs = [*raw.get("allOf", ()), *raw.get("anyOf", ()), *raw.get("oneOf", ())]
    subs += [raw[k] for k in ("if", "then", "else") if k in raw]
    subs += list(raw.get("dependentSchemas", {}).values())
    for sub in subs:
        names |= _names_in(compiler, sub, depth + 1)
    return names


def _breaking(compiler: Compiler, sub: Any) -> Any:
    """A simple value ``sub`` (an ``unevaluated...`` subschema) rejects, or ``None``."""
    for values in _WRONG_VALUES.values():
        for v in values:
            if sub is False or not compiler.is_valid(sub, v):
                return v
    return None


@rule(
    "unevaluated-property",
    "unevaluatedProperties",
    "schema",
    "with a property none of its subschemas evaluates, that its unevaluatedProperties rejects",
    lambda n: (
        _objects_apply(n)
        and n.unevaluated_properties is not None
        and n.additional is True
        and not n.pattern_properties
    ),
)
def _unevaluated_property(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.compiler is not None
    value = dict(valid) if isinstance(valid, dict) else {}
    known = _names_in(node.compiler, node.raw)
    names = [n for n in ("extra", "x_unevaluated", "__proto__", "") if n not in known]
    name = src.choice(names or ["x-" + "-".join(sorted(known))])
    value[name] = _breaking(node.compiler, node.unevaluated_properties)
    return Miss("unevaluated", value)


@rule(
    "unevaluated-item",
    "unevaluatedItems",
    "schema",
    "with an item none of its subschemas evaluates, that its unevaluatedItems rejects",
    lambda n: (
        _arrays_apply(n)
        and n.unevaluated_items is not None
        and n.items is None
        and n.contains is None
    ),
)
def _unevaluated_item(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.compiler is not None
    items = list(valid) if isinstance(valid, list) else []
    while len(items) < len(node.prefix_items):
        items.append(gen_node(_FILL, node.prefix_items[len(items)], MAX_DEPTH, True))
    return "one-more", [*items, _breaking(node.compiler, node.unevaluated_items)]


def unbuilt(rule_name: str, node: Node) -> str | None:
    """Why rule ``rule_name``'s near misses at ``node`` are not built: one past a bound
    above the most the kit builds a value of (:func:`._subschema.largest`), which would
    hold the whole oversized value; ``None`` when they are built."""
    bounds = {
        "too-long": ("maxLength", node.max_length, "characters"),
        "too-many-items": ("maxItems", node.max_items, "items"),
        "too-many-properties": ("maxProperties", node.max_properties, "properties"),
    }
    if rule_name not in bounds:
        return None
    key, bound, what = bounds[rule_name]
    if bound is None or bound < largest(node):
        return None
    return (
        f"not built: {key} {bound} is broken only by a value of {bound + 1} {what}, more "
        f"than the {largest(node)} the kit builds ({SIZE_VARIABLE} raises the limit)"
    )


def statement(rule_name: str, node: Node) -> str:
    """What a requirement about ``rule_name`` at ``node`` says (after ``rejects ...``)."""
    raw = node.raw if isinstance(node.raw, dict) else {}
    text = RULES[rule_name].statement
    values = {k: json.dumps(v) for k, v in raw.items()}
    values["types"] = " or ".join(node.types)
    values["property"] = " or ".join(node.required) or "a required property"
    values.setdefault("prefixItems", str(len(node.prefix_items)))
    with contextlib.suppress(KeyError, IndexError):
        text = text.format(**values)
    keyword = RULES[rule_name].keyword
    if keyword in COMPOSITION and len(raw.get(keyword, ())) > MAX_BRANCHES:
        text += (
            f" (its near misses drawn from {MAX_BRANCHES} of its {len(raw[keyword])} "
            "branches, spread evenly from the first to the last)"
        )
    return text


def rules_of(node: Node) -> tuple[str, ...]:
    """The names of the rules that apply to ``node`` and can be broken there (a ``$ref``
    node has none: its target's place has them); those that cannot are
    :func:`unreachable_rules`."""
    if node.ref is not None:
        return ()
    return tuple(r.name for r in RULES.values() if r.applies(node) and unreachable(r, node) is None)


def unreachable_rules(node: Node) -> tuple[tuple[str, str], ...]:
    """The rules that apply to ``node`` but that no value breaks alone, each with why: a
    requirement exists only where a near miss does (see :func:`unreachable`)."""
    if node.ref is not None:
        return ()
    out = []
    for r in RULES.values():
        if r.applies(node):
            why = unreachable(r, node)
            if why is not None:
                out.append((r.name, why))
    return tuple(out)


def unreachable(r: Rule, node: Node) -> str | None:
    """Why no near miss of rule ``r`` exists at ``node``, decided from the schema alone
    (``None``: one may, and the search looks for it).  Only what is certain is said: a
    ``oneOf`` whose branches never overlap (their types, their members, a required
    property of values that never meet) has no value matching several; an ``anyOf`` or
    ``oneOf`` with a branch that allows every value has none matching no branch; an
    ``allOf`` of such branches, a ``then`` or ``else`` that allows every value, or an
    ``if`` that can never (or always) hold, cannot be broken."""
    c = node.compiler
    assert c is not None
    if r.name in ("no-branch", "no-one-branch"):
        branches = node.any_of if r.name == "no-branch" else node.one_of
        keyword = "anyOf" if r.name == "no-branch" else "oneOf"
        for i, sub in enumerate(branches):
            if _always(c, sub):
                return f"its {keyword} branch {i} allows every value: no value matches none"
    elif r.name == "several-branches":
        if len(node.one_of) > MAX_BRANCHES:
            return None
        own = {k: v for k, v in node.raw.items() if k not in COMPOSITION}
        shapes = [merge(own, inline(c, b)) for b in node.one_of]
        if all(
            disjoint(c, shapes[i], shapes[j])
            for i in range(len(shapes))
            for j in range(i + 1, len(shapes))
        ):
            return "its oneOf branches never overlap: no value matches two of them"
    elif r.name == "breaks-all-of":
        if all(_always(c, sub) for sub in node.all_of):
            return "every branch of its allOf allows every value: none can be failed"
    elif r.name == "breaks-then":
        if _always(c, node.then):
            return "its then allows every value: it cannot be broken"
        if _never(c, node.if_):
            return "its if matches no value: its then never applies"
    elif r.name == "breaks-else":
        if _always(c, node.else_):
            return "its else allows every value: it cannot be broken"
        if _always(c, node.if_):
            return "its if matches every value: its else never applies"
    elif r.name == "matches-not" and _never(c, node.not_):
        return "its not forbids no value: nothing matches what it forbids"
    elif r.name == "bad-property-name" and isinstance(node.raw, dict):
        names = inline(c, node.raw.get("propertyNames", True))
        if _always(c, names) or (
            isinstance(names, dict)
            and set(names) - ANNOTATIONS == {"type"}
            and "string" in ([names["type"]] if isinstance(names["type"], str) else names["type"])
        ):
            return "its propertyNames allows every string: every name is one it accepts"
    return None


def _always(c: Compiler, sub: Any) -> bool:
    """Whether ``sub`` allows every value (``true``, ``{}``, annotations only, an
    ``allOf`` of such, ``not`` of a schema that allows none)."""
    sub = inline(c, sub)
    if sub is True:
        return True
    if not isinstance(sub, dict):
        return False
    rest = {k: v for k, v in sub.items() if k not in ANNOTATIONS and k != "$defs"}
    if not rest:
        return True
    if set(rest) == {"allOf"} and isinstance(rest["allOf"], list):
        return all(_always(c, s) for s in rest["allOf"])
    if set(rest) == {"not"}:
        return _never(c, rest["not"])
    return False


def _never(c: Compiler, sub: Any) -> bool:
    """Whether ``sub`` allows no value (``false``, ``not`` of a schema that allows all)."""
    sub = inline(c, sub)
    if sub is False:
        return True
    return isinstance(sub, dict) and "not" in sub and _always(c, sub["not"])


def _kinds(c: Compiler, sub: Any, depth: int = 0) -> frozenset[str] | None:
    """The JSON types of the values ``sub`` allows, by its ``type``, ``const``, ``enum``,
    ``allOf``, and the types of its ``anyOf`` or ``oneOf`` branches together (``None``:
    any type)."""
    sub = inline(c, sub)
    if not isinstance(sub, dict):
        return None if sub is not False else frozenset()
    out: frozenset[str] | None = None

    def meet(kinds: frozenset[str] | None) -> None:
        nonlocal out
        if kinds is not None:
            out = kinds if out is None else out & kinds

    types = sub.get("type")
    if isinstance(types, (str, list)):
        names = {types} if isinstance(types, str) else {t for t in types if isinstance(t, str)}
        if "number" in names:
            names.add("integer")
        meet(frozenset(names))
    members = _members_of(sub)
    if members is not None:
        meet(frozenset(_kind_of(m) for m in members))
    for part in sub.get("allOf", ()) if isinstance(sub.get("allOf"), list) else ():
        meet(_kinds(c, part, depth + 1))
    for key in ("anyOf", "oneOf"):
        parts = sub.get(key)
        if isinstance(parts, list) and parts and depth < MAX_DEPTH:
            each = [_kinds(c, part, depth + 1) for part in parts]
            if all(k is not None for k in each):
                meet(frozenset().union(*each))  # type: ignore[arg-type]
    return out


def _kind_of(value: Any) -> str:
    """The JSON type of ``value`` (an integral number is an integer, 1.0 included)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _members_of(sub: dict[str, Any]) -> list[Any] | None:
    """The values ``sub`` lists (its ``const``, or its ``enum``), or ``None``."""
    if "const" in sub:
        return [sub["const"]]
    if isinstance(sub.get("enum"), list):
        return list(sub["enum"])
    return None


def disjoint(c: Compiler, a: Any, b: Any, depth: int = 0) -> bool:
    """Whether no value matches both ``a`` and ``b``, where that is certain: their types
    never meet, neither of the values one lists matches the other, both are strings only
    whose patterns ask for beginnings that part ways, or both are objects only and a
    property one requires has values the other never allows there."""
    a, b = inline(c, a), inline(c, b)
    if _never(c, a) or _never(c, b):
        return True
    if not isinstance(a, dict) or not isinstance(b, dict) or depth > MAX_DEPTH:
        return False
    ka, kb = _kinds(c, a), _kinds(c, b)
    both = None if ka is None or kb is None else ka & kb
    if both is not None and not both:
        return True
    for x, y in ((a, b), (b, a)):
        members = _members_of(x)
        if members is not None and not any(c.is_valid(y, m) for m in members):
            return True
        for part in x.get("allOf", ()) if isinstance(x.get("allOf"), list) else ():
            if disjoint(c, part, y, depth + 1):
                return True
    if both is not None and both <= {"string"} and _patterns_part(c, a, b):
        return True
    if both is None or not both <= {"object"}:
        return False
    for x, y in ((a, b), (b, a)):
        required = x.get("required")
        for name in required if isinstance(required, list) else []:
            if not isinstance(name, str):
                continue
            there = _property_schema(y, name)
            if there is False or (
                there is not None and disjoint(c, _property_schema(x, name), there, depth + 1)
            ):
                return True
    return False


def _patterns_part(c: Compiler, a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether the patterns of strings-only ``a`` and ``b`` leave no string to both: they
    ask for beginnings that part ways (``^pip;`` and ``^uv;``), or one allows one text
    alone (``^$``; Python's ``$`` also lets a newline end it) that the other refuses."""
    pa, pb = a.get("pattern"), b.get("pattern")
    xa = anchored_prefix(pa) if isinstance(pa, str) else None
    xb = anchored_prefix(pb) if isinstance(pb, str) else None
    if xa and xb and not xa[0].startswith(xb[0]) and not xb[0].startswith(xa[0]):
        return True
    for x, y in ((xa, b), (xb, a)):
        if x is not None and x[1] and not any(c.is_valid(y, t) for t in (x[0], x[0] + "\n")):
            return True
    return False


def _property_schema(sub: dict[str, Any], name: str) -> Any:
    """What ``sub`` asks of property ``name`` where it is plain: its ``properties`` entry,
    ``false`` where ``additionalProperties: false`` leaves it out, or ``None``."""
    props = sub.get("properties")
    if isinstance(props, dict) and name in props:
        return props[name]
    if sub.get("additionalProperties") is False and not sub.get("patternProperties"):
        return False
    return None


def boundary_values(node: Node) -> list[tuple[str, Any]]:
    """Values at the node's own bounds that it accepts, named: each numeric bound (and an
    integer bound written as a float, ``1.0``; ``-0.0`` where 0 is allowed), a string of
    exactly its least and most characters, an array of exactly its least and most items,
    an object of exactly its least and most properties."""
    while node.ref is not None:
        node = node.ref
    if members(node) is not None or node.composed:
        return []
    out: list[tuple[str, Any]] = []
    if _numeric(node):
        integer = node.allows("integer") and "number" not in node.types
        for name, bound in (
            ("minimum", node.minimum),
            ("maximum", node.maximum),
            (
                "above-exclusive-minimum",
                None if node.exclusive_minimum is None else node.exclusive_minimum + 1,
            ),
            (
                "below-exclusive-maximum",
                None if node.exclusive_maximum is None else node.exclusive_maximum - 1,
            ),
        ):
            if bound is not None:
                out.append((name, bound))
                if float(bound).is_integer():
                    out.append((f"{name}-as-float", float(bound)))
        if integer and not any(isinstance(v, float) for _, v in out):
            out.append(("integer-as-float", 1.0))
        out.append(("negative-zero", -0.0))
    if _strings_apply(node) and node.format is None and node.pattern is None:
        if node.min_length:
            out.append(("shortest", "a" * node.min_length))
        if _small(node, node.max_length):
            assert node.max_length is not None
            out.append(("longest", "a" * node.max_length))
            out.append(("longest-astral", "😀" * node.max_length))
    if _arrays_apply(node) and (node.items is None or isinstance(node.items, Node)):
        sub = node.items if isinstance(node.items, Node) else None
        for name, count in (("fewest-items", node.min_items), ("most-items", node.max_items)):
            if count and not node.prefix_items and _small(node, count):
                try:
                    items = [
                        gen_node(_FILL, sub, MAX_DEPTH, True) if sub else i for i in range(count)
                    ]
                except Unsatisfiable:
                    continue
                out.append((name, items))
    return [(name, value) for name, value in out if node.is_valid(value)]


def _small(node: Node, count: int | None) -> bool:
    """Whether a boundary value of ``count`` characters or items is one the kit builds."""
    return count is not None and count <= largest(node)
