"""Subschemas at any depth: compiled once, generated valid, and broken by one rule at a time.

The run schema's own properties are flat (a type, an enum, a format) and are read by
:mod:`._schema`; a property whose subschema says more (bounds, a pattern, an array of nested
objects, a reference to a definition or to the whole schema) is compiled here into a tree
of :class:`Node` objects, one per schema location, shared where a ``$ref`` leads back to a
location already compiled (so a recursive schema is a finite graph).

Each node has a *place*: a JSON pointer through property names, ``items``,
``prefixItems/N``, ``additionalProperties`` and ``patternProperties/RE`` from the record to
the first spot where the location is used (``/triggers/items/event``).  A requirement about
a rule of a node is named by its place, so ids stay the same for the same schema; its
cases may put the broken value at any depth where the node is used, inside recursion too.

Valid values come from the node's own facts, generated to fit (:func:`gen_node`); where
keywords interact beyond what generation follows (composition, ``propertyNames``,
``uniqueItems`` of small domains), a value is checked against the node and drawn again.
Invalid values come from :data:`RULES`, near misses that break one keyword by a small step:
one below a minimum, one character more than a maximum length, one edit off a pattern;
:mod:`._invalid` places them in a record and the oracle re-checks every label.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inngest_conformance._encode import canonical_json, pointer
from inngest_conformance.errors import SchemaError
from inngest_conformance.strategies._datetimes import gen_datetime
from inngest_conformance.strategies._formats import (
    INTEGER_FORMATS,
    NEAR_MISSES,
    STRING_FORMATS,
    SUPPORTED_FORMATS,
)
from inngest_conformance.strategies._source import (
    ASCII_PRINTABLE,
    HypothesisSource,
    MinimalSource,
    RandomSource,
    Source,
)
from inngest_conformance.strategies._source import Unsatisfiable as Unsatisfiable
from inngest_conformance.strategies._values import (
    JSON_TYPES,
    WORDS,
    gen_json,
    gen_realistic_string,
    gen_slug,
    gen_string,
    gen_uuid,
    near_misses,
)

if sys.version_info >= (3, 11):
    import re._constants as _sre_c  # type: ignore[import-not-found,unused-ignore]
    import re._parser as _sre_parse  # type: ignore[import-not-found,unused-ignore]
else:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_c
    import sre_parse as _sre_parse

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
    }
)
#: Every keyword a subschema may use; anything else is refused, naming it and its location.
KEYWORDS = ANNOTATIONS | {
    "type",
    "enum",
    "const",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "$ref",
    "$defs",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
}

_COMPOSITION = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")

#: How deep generation nests containers before it takes the fewest items and properties
#: a node allows (so a recursive schema's values end).
MAX_DEPTH = 4
#: Most items or extra properties a generated container has above its minimum.
_WIDTH = 4
_TRIES = 40


@dataclass(eq=False)
class Node:
    """One compiled subschema location."""

    place: str
    """Pointer from the record to where the location is first used (see the module doc)."""
    schema_path: str
    """JSON pointer to the location in the schema document."""
    raw: Any = field(repr=False)
    types: tuple[str, ...] = ()
    enum: tuple[Any, ...] | None = None
    const: tuple[Any] | None = None
    """``(value,)`` when the node has a ``const``."""
    format: str | None = None
    min_length: int = 0
    max_length: int | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    items: Node | bool | None = None
    prefix_items: tuple[Node, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    unique_items: bool = False
    contains: Node | None = None
    properties: dict[str, Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    additional: Node | bool = True
    pattern_properties: dict[str, Node] = field(default_factory=dict)
    property_names: Node | None = None
    min_properties: int = 0
    max_properties: int | None = None
    dependent_required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ref: Node | None = None
    all_of: tuple[Any, ...] = ()
    any_of: tuple[Any, ...] = ()
    one_of: tuple[Any, ...] = ()
    not_: Any = None
    if_: Any = None
    then: Any = None
    else_: Any = None
    compiler: Compiler | None = field(default=None, repr=False)

    @property
    def composed(self) -> bool:
        return bool(
            self.all_of
            or self.any_of
            or self.one_of
            or self.not_ is not None
            or self.if_ is not None
        )

    def is_valid(self, value: Any) -> bool:
        assert self.compiler is not None
        return self.compiler.is_valid(self.raw, value)

    def allows(self, kind: str) -> bool:
        if not self.types:
            return True
        return kind in self.types or (kind == "integer" and "number" in self.types)


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SchemaError(f"{where}: '{key}' must be a number, not {value!r}")
    return value


def _count(where: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(f"{where}: '{key}' must be a non-negative integer, not {value!r}")
    return value


class Compiler:
    """Compiles the subschemas of one schema document, each location once."""

    def __init__(self, document: Mapping[str, Any], is_valid: Callable[[Any, Any], bool]) -> None:
        self.document = document
        self._nodes: dict[str, Node] = {}
        self.is_valid = is_valid
        """``is_valid(subschema, value)``: the oracle's verdict on one subschema."""
        self.order: list[Node] = []
        """Every node compiled, in the order first reached (the catalogue's order)."""

    def resolve(self, ref: str, where: str) -> tuple[Any, ...]:
        if not ref.startswith("#"):
            raise SchemaError(
                f"{where}: $ref {ref!r} leaves the document; the kit follows '#' and "
                "'#/$defs/...' references within one schema"
            )
        path = ref[1:]
        target: Any = self.document
        for token in path.split("/")[1:] if path else []:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise SchemaError(f"{where}: $ref {ref!r} points at nothing in the schema")
        return path, target

    def node(self, schema_path: str, raw: Any, place: str) -> Node:
        known = self._nodes.get(schema_path)
        if known is not None:
            return known
        node = Node(place, schema_path, raw, compiler=self)
        self._nodes[schema_path] = node
        self.order.append(node)
        self._fill(node, raw)
        return node

    def _fill(self, node: Node, raw: Any) -> None:
        where = node.schema_path or "the schema"
        if raw is True or raw == {}:
            return
        if raw is False:
            raise SchemaError(f"{where}: a 'false' subschema allows no value to generate")
        if not isinstance(raw, dict):
            raise SchemaError(f"{where}: a subschema must be an object or a boolean, not {raw!r}")
        unknown = set(raw) - KEYWORDS
        if unknown:
            raise SchemaError(
                f"{where} uses {', '.join(sorted(unknown))}, which the kit cannot derive "
                "cases from (the README's 'Requirements and levels' lists what it can)"
            )
        sp, place = node.schema_path, node.place
        if "$ref" in raw:
            others = set(raw) - ANNOTATIONS - {"$ref", "$defs"}
            if others:
                raise SchemaError(
                    f"{where}: $ref beside {', '.join(sorted(others))}; put them in an allOf"
                )
            path, target = self.resolve(str(raw["$ref"]), where)
            # The whole schema is the record, whose properties' places are their names.
            node.ref = self.node(path, target, place if path else "")
            return
        types = raw.get("type")
        if types is not None:
            names = [types] if isinstance(types, str) else types
            if not isinstance(names, list) or not names or any(n not in JSON_TYPES for n in names):
                raise SchemaError(f"{where}: 'type' must name JSON types, not {types!r}")
            node.types = tuple(names)
        if "enum" in raw:
            if not isinstance(raw["enum"], list) or not raw["enum"]:
                raise SchemaError(f"{where}: 'enum' must be a non-empty list")
            node.enum = tuple(raw["enum"])
        if "const" in raw:
            node.const = (raw["const"],)
        fmt = raw.get("format")
        if fmt is not None:
            if fmt not in SUPPORTED_FORMATS:
                raise SchemaError(
                    f"{where}: format {fmt!r} is not supported; the kit checks formats "
                    f"{', '.join(SUPPORTED_FORMATS)}"
                )
            node.format = fmt
        self._strings(node, raw, where)
        self._numbers(node, raw, where)
        self._arrays(node, raw, sp, place, where)
        self._objects(node, raw, sp, place, where)
        node.all_of = tuple(raw.get("allOf", ()))
        node.any_of = tuple(raw.get("anyOf", ()))
        node.one_of = tuple(raw.get("oneOf", ()))
        node.not_ = raw.get("not")
        node.if_, node.then, node.else_ = raw.get("if"), raw.get("then"), raw.get("else")
        for key in ("allOf", "anyOf", "oneOf"):
            if key in raw and (not isinstance(raw[key], list) or not raw[key]):
                raise SchemaError(f"{where}: '{key}' must be a non-empty list of subschemas")
        for key, sub in (("not", node.not_), ("if", node.if_), ("then", node.then)):
            if sub is not None and not isinstance(sub, (dict, bool)):
                raise SchemaError(f"{where}: '{key}' must be a subschema")

    def _strings(self, node: Node, raw: dict[str, Any], where: str) -> None:
        if "minLength" in raw:
            node.min_length = _count(where, "minLength", raw["minLength"])
        if "maxLength" in raw:
            node.max_length = _count(where, "maxLength", raw["maxLength"])
        if "pattern" in raw:
            try:
                re.compile(raw["pattern"])
            except (re.error, TypeError) as exc:
                raise SchemaError(
                    f"{where}: pattern {raw['pattern']!r} is not a regex: {exc}"
                ) from None
            _generable(where, raw["pattern"])
            node.pattern = raw["pattern"]

    def _numbers(self, node: Node, raw: dict[str, Any], where: str) -> None:
        for key, attr in (
            ("minimum", "minimum"),
            ("maximum", "maximum"),
            ("exclusiveMinimum", "exclusive_minimum"),
            ("exclusiveMaximum", "exclusive_maximum"),
            ("multipleOf", "multiple_of"),
        ):
            if key in raw:
                setattr(node, attr, _number(where, key, raw[key]))
        if node.multiple_of is not None and node.multiple_of <= 0:
            raise SchemaError(f"{where}: 'multipleOf' must be greater than 0")

    def _arrays(self, node: Node, raw: dict[str, Any], sp: str, place: str, where: str) -> None:
        prefix = raw.get("prefixItems", [])
        if not isinstance(prefix, list):
            raise SchemaError(f"{where}: 'prefixItems' must be a list of subschemas")
        node.prefix_items = tuple(
            self.node(f"{sp}/prefixItems/{i}", s, f"{place}/prefixItems/{i}")
            for i, s in enumerate(prefix)
        )
        if "items" in raw:
            items = raw["items"]
            node.items = (
                items
                if isinstance(items, bool) and items is not True
                else self.node(f"{sp}/items", items, f"{place}/items")
            )
        if "contains" in raw:
            node.contains = self.node(f"{sp}/contains", raw["contains"], f"{place}/contains")
        if "minItems" in raw:
            node.min_items = _count(where, "minItems", raw["minItems"])
        if "maxItems" in raw:
            node.max_items = _count(where, "maxItems", raw["maxItems"])
        node.unique_items = raw.get("uniqueItems") is True

    def _objects(self, node: Node, raw: dict[str, Any], sp: str, place: str, where: str) -> None:
        props = raw.get("properties", {})
        if not isinstance(props, dict):
            raise SchemaError(f"{where}: 'properties' must be an object")
        node.properties = {
            name: self.node(f"{sp}{pointer('properties', name)}", s, place + pointer(name))
            for name, s in props.items()
        }
        required = raw.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise SchemaError(f"{where}: 'required' must be a list of property names")
        node.required = tuple(required)
        extra = raw.get("additionalProperties", True)
        node.additional = (
            extra
            if isinstance(extra, bool)
            else self.node(f"{sp}/additionalProperties", extra, f"{place}/additionalProperties")
        )
        patterns = raw.get("patternProperties", {})
        if not isinstance(patterns, dict):
            raise SchemaError(f"{where}: 'patternProperties' must be an object")
        for regex in patterns:
            try:
                re.compile(regex)
            except re.error as exc:
                raise SchemaError(
                    f"{where}: patternProperties {regex!r} is not a regex: {exc}"
                ) from None
        for regex in patterns:
            _generable(where, regex)
        node.pattern_properties = {
            regex: self.node(
                f"{sp}{pointer('patternProperties', regex)}",
                s,
                place + pointer("patternProperties", regex),
            )
            for regex, s in patterns.items()
        }
        if "propertyNames" in raw:
            node.property_names = self.node(
                f"{sp}/propertyNames", raw["propertyNames"], f"{place}/propertyNames"
            )
        if "minProperties" in raw:
            node.min_properties = _count(where, "minProperties", raw["minProperties"])
        if "maxProperties" in raw:
            node.max_properties = _count(where, "maxProperties", raw["maxProperties"])
        dependent = raw.get("dependentRequired", {})
        if not isinstance(dependent, dict):
            raise SchemaError(f"{where}: 'dependentRequired' must be an object")
        node.dependent_required = {k: tuple(v) for k, v in dependent.items()}

    def nodes(self) -> list[Node]:
        return list(self.order)


# --- valid values ----------------------------------------------------------------------


Plan = Callable[[Source], str]


def _from_regex(src: Source, pattern: str) -> str:
    """A string that contains a match of ``pattern``: generated from its parse tree, with
    anchors taken as satisfied (the string is the match) and ASCII for classes."""
    return _regex_plan(pattern)(src)


@functools.lru_cache(maxsize=256)
def _regex_plan(pattern: str) -> Plan:
    """How to generate a match of ``pattern``, read from its parse tree once: a repeated
    character class is one ``text`` choice, a literal none."""

    def seq(items: Any) -> Plan:
        parts = [token(op, arg) for op, arg in items]
        if all(isinstance(p, str) for p in parts):
            text = "".join(parts)  # type: ignore[arg-type]
            return lambda src: text
        return lambda src: "".join(p if isinstance(p, str) else p(src) for p in parts)

    def chars_of(op: Any, arg: Any) -> str | None:
        """The characters a one-character token may be (``None``: not one character)."""
        if op is _sre_c.LITERAL:
            return chr(arg)
        if op is _sre_c.NOT_LITERAL:
            return "".join(c for c in "xa0_" if ord(c) != arg)
        if op is _sre_c.ANY:
            return ASCII_PRINTABLE[16:]
        if op is not _sre_c.IN:
            return None
        chars: list[str] = []
        negate = False
        for o, a in arg:
            if o is _sre_c.NEGATE:
                negate = True
            elif o is _sre_c.LITERAL:
                chars.append(chr(a))
            elif o is _sre_c.RANGE:
                chars.extend(chr(c) for c in range(a[0], min(a[1], a[0] + 200) + 1))
            elif o is _sre_c.CATEGORY:
                chars.extend(_category(a))
        if negate:
            banned = set(chars)
            chars = [c for c in ASCII_PRINTABLE if c not in banned]
        return "".join(dict.fromkeys(chars)) or "x"

    def token(op: Any, arg: Any) -> Plan | str:
        chars = chars_of(op, arg)
        if chars is not None:
            if len(chars) == 1:
                return chars
            return lambda src: src.text(chars, 1, 1)
        if op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = arg
            hi = min(hi, lo + 3) if hi != _sre_c.MAXREPEAT else lo + 3
            if len(sub) == 1 and chars_of(*sub[0]) is not None:
                alphabet = chars_of(*sub[0])
                return lambda src: src.text(alphabet, lo, hi)
            inner = seq(sub)
            return lambda src: "".join(inner(src) for _ in range(src.integer(lo, hi)))
        if op is _sre_c.SUBPATTERN:
            return seq(arg[-1])
        if op is _sre_c.BRANCH:
            branches = [seq(b) for b in arg[1]]
            return lambda src: src.choice(branches)(src)
        if op is getattr(_sre_c, "ATOMIC_GROUP", None):
            return seq(arg)
        if op is _sre_c.AT:
            return ""
        raise SchemaError(f"pattern {pattern!r}: the kit cannot generate strings for {op}")

    return seq(_sre_parse.parse(pattern))


def _generable(where: str, pattern: str) -> None:
    """Refuse, naming where, a pattern the kit cannot generate matches of."""
    try:
        _regex_plan(pattern)
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc}") from None


def _category(cat: Any) -> str:
    name = str(cat)
    if "DIGIT" in name:
        return "0123456789" if "NOT" not in name else "abcXYZ-_"
    if "WORD" in name:
        return "abcxyzABCXYZ019_" if "NOT" not in name else "-. !"
    if "SPACE" in name:
        return " \t\n" if "NOT" not in name else "ax0-"
    return "x"


def _fit_length(src: Source, node: Node, text: str) -> str:
    lo, hi = node.min_length, node.max_length
    if len(text) < lo:
        text += src.text("abcdefghijklmnopqrstuvwxyz", lo - len(text), lo - len(text))
    if hi is not None and len(text) > hi:
        text = text[:hi]
    return text


def _gen_string(src: Source, node: Node, plain: bool) -> str:
    fmt = node.format
    if fmt in STRING_FORMATS:
        if fmt == "date-time":
            return gen_datetime(src, common=plain)
        if fmt == "date":
            return gen_datetime(src, common=True)[:10]
        if fmt == "time":
            return gen_datetime(src, common=plain)[11:]
        if fmt == "uuid":
            return gen_uuid(src)
        if fmt == "email":
            user = gen_slug(src).replace("-", src.choice((".", "_", "+")))
            return f"{user}@{src.choice(('example.com', 'mail.example.org', 'x.io'))}"
        return src.choice(("https://example.com/", "http://localhost:8288/", "urn:x:")) + gen_slug(
            src
        )
    if node.pattern is not None:
        return _fit_length(src, node, _from_regex(src, node.pattern))
    if plain:
        text = gen_realistic_string(src, node.place.rsplit("/", 1)[-1])
    else:
        text = gen_string(src, node.place.rsplit("/", 1)[-1])
    return _fit_length(src, node, text)


def _bounds(node: Node, integer: bool) -> tuple[float, float]:
    lo, hi = -(2.0**53), 2.0**53
    if node.minimum is not None:
        lo = max(lo, node.minimum)
    if node.exclusive_minimum is not None:
        lo = max(
            lo,
            node.exclusive_minimum + (1 if integer else 1e-6 * max(1, abs(node.exclusive_minimum))),
        )
    if node.maximum is not None:
        hi = min(hi, node.maximum)
    if node.exclusive_maximum is not None:
        hi = min(
            hi,
            node.exclusive_maximum - (1 if integer else 1e-6 * max(1, abs(node.exclusive_maximum))),
        )
    bounds = INTEGER_FORMATS.get(node.format or "")
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return lo, hi


def _gen_number(src: Source, node: Node, integer: bool, plain: bool) -> int | float:
    """A number within the node's bounds (and format's range), a multiple of its
    ``multipleOf``: small and non-negative where it can be, at a bound now and then."""
    lo, hi = _bounds(node, integer)
    m = node.multiple_of
    if m is not None:
        k_lo, k_hi = math.ceil(lo / m), math.floor(hi / m)
        if k_lo > k_hi:
            raise Unsatisfiable(f"{node.schema_path}: no multiple of {m} in range")
        k_lo, k_hi = max(k_lo, -(10**6)), max(min(k_hi, 10**6), max(k_lo, -(10**6)))
        start = min(max(k_lo, 0), k_hi)
        k = (
            src.integer(start, min(k_hi, start + 1000))
            if plain or src.boolean()
            else src.integer(k_lo, k_hi)
        )
        value = k * m
        return int(value) if isinstance(value, int) or value.is_integer() else value
    if integer:
        ilo, ihi = math.ceil(lo), math.floor(hi)
        if ilo > ihi:
            raise Unsatisfiable(f"{node.schema_path}: no integer in range")
        start = min(max(0, ilo), ihi)
        style = 0 if plain else src.integer(0, 3)
        if style == 0:
            return src.integer(start, min(ihi, start + 1000))
        if style == 1:
            return src.choice((ilo, ihi))
        return src.integer(ilo, ihi)
    if lo > hi:
        raise Unsatisfiable(f"{node.schema_path}: no number in range")
    if plain or src.boolean():
        low = min(max(0.0, lo), hi)
        top = min(hi, low + 1000)
        if math.ceil(low) <= top:
            return src.integer(math.ceil(low), math.floor(top))
        return low
    value = src.floating()
    return value if lo <= value <= hi else lo + (hi - lo) * src.integer(0, 1000) / 1000


def _canonical(value: Any) -> str:
    """A key equal for values JSON Schema calls equal (``1`` and ``1.0`` included)."""

    def norm(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return canonical_json(norm(value))


def _gen_array(src: Source, node: Node, depth: int, plain: bool) -> list[Any]:
    lo = max(node.min_items, 0)
    hi = node.max_items if node.max_items is not None else lo + _WIDTH
    if depth >= MAX_DEPTH or plain:
        n = max(lo, len(node.prefix_items) if lo else 0) if not plain else lo
        n = min(n, hi) if node.max_items is not None else n
    else:
        n = src.integer(lo, min(hi, lo + _WIDTH))
    out: list[Any] = []
    seen: set[str] = set()
    for i in range(n):
        sub: Node | bool | None = node.prefix_items[i] if i < len(node.prefix_items) else node.items
        if sub is False:
            break
        for _ in range(8):
            value = (
                gen_node(src, sub, depth + 1, plain)
                if isinstance(sub, Node)
                else _any_json(src, depth)
            )
            if not node.unique_items or _canonical(value) not in seen:
                break
        seen.add(_canonical(value))
        out.append(value)
    if node.contains is not None and not any(node.contains.is_valid(v) for v in out):
        value = gen_node(src, node.contains, depth + 1, plain)
        position = (
            src.integer(len(node.prefix_items), len(out))
            if len(out) >= len(node.prefix_items)
            else len(out)
        )
        if node.max_items is not None and len(out) >= node.max_items and out:
            out[min(position, len(out) - 1)] = value
        else:
            out.insert(position, value)
    return out


def _any_json(src: Source, depth: int) -> Any:
    return gen_json(src, depth=max(0, min(2, MAX_DEPTH - depth)))


def _extra_name(src: Source, node: Node, taken: Any) -> tuple[str, Node | None] | None:
    """A property name the node's ``properties`` do not define, and the node its value
    follows (a pattern property's, ``additionalProperties``', or none: any value)."""
    if node.pattern_properties and src.boolean():
        regex = src.choice(tuple(node.pattern_properties))
        name = _from_regex(src, regex)
        if name not in node.properties and name not in taken:
            return name, node.pattern_properties[regex]
    if node.additional is False:
        return None
    name = "x_" + WORDS[(src.integer(0, len(WORDS) - 1) + len(taken)) % len(WORDS)]
    if (
        name in node.properties
        or name in taken
        or any(re.search(r, name) for r in node.pattern_properties)
    ):
        return None
    return name, node.additional if isinstance(node.additional, Node) else None


def _gen_object(src: Source, node: Node, depth: int, plain: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    optional = [n for n in node.properties if n not in node.required]
    deep = depth >= MAX_DEPTH or plain
    mask = 0 if deep or not optional else src.integer(0, 2 ** len(optional) - 1)
    chosen = [n for n in node.properties if n in node.required or (mask >> optional.index(n)) & 1]
    for name in list(chosen):
        for dependent in node.dependent_required.get(name, ()):
            if dependent not in chosen:
                chosen.append(dependent)
    for name in node.required:
        if name not in node.properties:
            chosen.append(name)
    for name in chosen:
        sub = node.properties.get(name)
        out[name] = gen_node(src, sub, depth + 1, plain) if sub is not None else _plain_any(src)
    wanted = node.min_properties - len(out)
    extras = wanted if deep else max(wanted, src.integer(0, 2) if src.boolean(0.25) else 0)
    for _ in range(max(0, extras) + (max(0, wanted) * 2)):
        if len(out) >= max(node.min_properties, 0) and extras <= 0:
            break
        found = _extra_name(src, node, out)
        if found is None:
            continue
        name, sub = found
        out[name] = gen_node(src, sub, depth + 1, plain) if sub is not None else _plain_any(src)
        extras -= 1
    if node.max_properties is not None:
        while len(out) > node.max_properties:
            removable = [k for k in out if k not in node.required]
            if not removable:
                break
            del out[removable[-1]]
    return out


def _plain_any(src: Source) -> Any:
    return src.choice(("x", 0, True, None))


def _members(node: Node) -> tuple[Any, ...] | None:
    if node.const is not None:
        return node.const
    return node.enum


def _gen_plainly(src: Source, node: Node, depth: int, plain: bool) -> Any:
    members = _members(node)
    if members is not None:
        return copy.deepcopy(src.choice(members))
    kinds = node.types or (_implied_types(node) if plain or depth >= MAX_DEPTH else JSON_TYPES)
    kind = src.choice(kinds)
    if kind == "string":
        return _gen_string(src, node, plain)
    if kind == "integer":
        return _gen_number(src, node, True, plain)
    if kind == "number":
        return _gen_number(src, node, not plain and src.boolean(0.3), plain)
    if kind == "array":
        return _gen_array(src, node, depth, plain)
    if kind == "object":
        return _gen_object(src, node, depth, plain)
    if kind == "boolean":
        return src.boolean()
    if node.types:
        return None
    return _any_json(src, depth)


def _implied_types(node: Node) -> tuple[str, ...]:
    """The types a node without ``type`` is plainly about (by its keywords)."""
    if node.properties or node.required or node.pattern_properties:
        return ("object",)
    if node.items is not None or node.prefix_items or node.contains is not None:
        return ("array",)
    if node.minimum is not None or node.maximum is not None or node.multiple_of is not None:
        return ("integer",)
    return ("string",)


def _branch(src: Source, node: Node) -> Node:
    """A node to draw a candidate from, for a composed node: one branch of anyOf/oneOf,
    ``then``/``else``, merged with the node's own keywords where they can be."""
    assert node.compiler is not None
    own = {
        k: v
        for k, v in node.raw.items()
        if k not in ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
    }
    parts: list[Any] = [own, *node.all_of]
    if node.any_of:
        parts.append(src.choice(node.any_of))
    if node.one_of:
        parts.append(src.choice(node.one_of))
    if node.if_ is not None:
        # ``then`` first: the simplest value takes the branch the schema spells out.
        if not src.boolean() and node.then is not None:
            parts += [node.if_, node.then]
        elif node.else_ is not None:
            parts.append(node.else_)
    merged: Any = {}
    for part in parts:
        merged = merge(merged, _inline(node.compiler, part))
    return synthetic(node.compiler, merged, node.place)


def _inline(compiler: Compiler, sub: Any) -> Any:
    """``sub`` with a top-level ``$ref`` replaced by what it points at (for merging)."""
    for _ in range(8):
        if isinstance(sub, dict) and set(sub) - ANNOTATIONS == {"$ref"}:
            sub = compiler.resolve(str(sub["$ref"]), "a merged subschema")[1]
        else:
            break
    return sub


def merge(a: Any, b: Any) -> Any:
    """A subschema that asks what both ask, where that is plain to write; otherwise both,
    under ``allOf`` (generation then draws from the first and checks the rest)."""
    if a is True or a == {}:
        return copy.deepcopy(b)
    if b is True or b == {}:
        return copy.deepcopy(a)
    if not isinstance(a, dict) or not isinstance(b, dict):
        return {"allOf": [a, b]}
    out = copy.deepcopy(a)
    rest: dict[str, Any] = {}
    for key, value in b.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif key == "properties":
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = merge(props[name], sub) if name in props else sub
            out[key] = props
        elif key == "required":
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key == "type":
            left = [out[key]] if isinstance(out[key], str) else out[key]
            right = [value] if isinstance(value, str) else value
            both = [t for t in left if t in right or (t == "integer" and "number" in right)]
            both += [t for t in right if t == "integer" and "number" in left and t not in both]
            out[key] = both or left
        elif key in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum"):
            out[key] = max(out[key], value)
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum"):
            out[key] = min(out[key], value)
        elif key == "enum":
            kept = [m for m in out[key] if _canonical(m) in {_canonical(v) for v in value}]
            out[key] = kept or out[key]
        elif key in ANNOTATIONS or out[key] == value:
            continue
        else:
            rest[key] = value
    if rest:
        out.setdefault("allOf", [])
        out["allOf"] = [*out["allOf"], rest]
    return out


def synthetic(compiler: Compiler, raw: Any, place: str) -> Node:
    """A node for a schema written by :func:`merge` (generation only: never a place)."""
    key = "<merged>" + canonical_json(raw)
    known = compiler._nodes.get(key)
    if known is not None:
        return known
    node = Node(place, key, raw, compiler=compiler)
    compiler._nodes[key] = node
    compiler._fill(node, raw)
    return node


def _retry(src: Source, attempt: int) -> Source:
    """The source of the ``attempt``-th try at a value: ``src`` itself where it draws anew
    each time (Hypothesis, a random source), a seeded random source where it would make
    the same choices again (the simplest-choice and enumerating sources of directed
    cases), so that a retry can succeed and the directed cases stay the same every run."""
    if attempt == 0 or isinstance(src, (RandomSource, HypothesisSource)):
        return src
    return RandomSource(attempt)


def gen_node(src: Source, node: Node, depth: int = 0, plain: bool = False) -> Any:
    """A value ``node`` accepts (a plain one: fewest items and properties, realistic
    strings, small numbers, when ``plain``).  :class:`Unsatisfiable` when none is found."""
    while node.ref is not None:
        node = node.ref
    if not node.composed:
        value = _gen_plainly(src, node, depth, plain)
        if _needs_check(node) and not node.is_valid(value):
            for attempt in range(1, _TRIES):
                value = _gen_plainly(_retry(src, attempt), node, depth, plain)
                if node.is_valid(value):
                    return value
            raise Unsatisfiable(f"{node.schema_path}: no value found that it accepts")
        return value
    assert node.compiler is not None
    for attempt in range(_TRIES):
        src_now = _retry(src, attempt)
        branch = _branch(src_now, node)
        if branch.composed:
            # What merging left over (a ``not``, keywords that did not merge): drawn from
            # the rest, and checked against the whole node below.
            rest = {k: v for k, v in branch.raw.items() if k not in _COMPOSITION}
            branch = synthetic(node.compiler, rest, node.place)
        try:
            value = _gen_plainly(src_now, branch, depth, plain)
        except Unsatisfiable:
            continue
        if node.is_valid(value):
            return value
    raise Unsatisfiable(f"{node.schema_path}: no value found that it accepts")


def _needs_check(node: Node) -> bool:
    """Whether generation may miss the node's keywords (and is checked and drawn again)."""
    return bool(
        node.pattern
        or node.unique_items
        or node.property_names is not None
        or node.pattern_properties
        or node.contains is not None
        or node.max_properties is not None
        or node.min_properties
        or node.dependent_required
        or (node.max_length is not None and node.format is not None)
        or (node.min_length and node.format is not None)
        or (node.multiple_of is not None and not float(node.multiple_of).is_integer())
    )


# --- near misses -----------------------------------------------------------------------


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


def _other_members(node: Node) -> list[tuple[str, Any]]:
    members = _members(node) or ()
    out: list[tuple[str, Any]] = []
    for m in members:
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
    keys = {_canonical(m) for m in members}
    return [(d, v) for d, v in out if _canonical(v) not in keys]


@rule(
    "not-in-enum",
    "enum",
    "schema",
    "outside its enum: case, whitespace and look-alike variants, other JSON types",
    lambda n: n.enum is not None,
)
def _not_in_enum(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    return src.choice(_other_members(node) or [("other", "\u0000")])


@rule(
    "not-const",
    "const",
    "schema",
    "other than its const: near misses of it",
    lambda n: n.const is not None,
)
def _not_const(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    return src.choice(_other_members(node) or [("other", "\u0000")])


def _strings_apply(n: Node) -> bool:
    return n.enum is None and n.const is None and (not n.types or "string" in n.types)


@rule(
    "too-short",
    "minLength",
    "schema",
    "shorter than {minLength} characters",
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
    "longer than {maxLength} characters (counted in code points)",
    lambda n: _strings_apply(n) and n.max_length is not None,
)
def _too_long(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    text = valid if isinstance(valid, str) else ""
    assert node.max_length is not None
    pad = node.max_length + 1 - len(text)
    # A non-BMP character counts once: an implementation counting UTF-16 units is found.
    filler = src.choice(("x", "😀"))
    return ("one-long" if filler == "x" else "one-long-astral"), text + filler * max(pad, 1)


def _edits(text: str) -> Iterator[tuple[str, str]]:
    yield "empty", ""
    yield "leading-space", " " + text
    yield "trailing-space", text + " "
    yield "trailing-newline", text + "\n"
    for i in range(len(text)):
        yield "deleted", text[:i] + text[i + 1 :]
    for i, c in enumerate(text):
        swap = "a" if c.isdigit() else ("0" if c.isalpha() else "x")
        yield "replaced", text[:i] + swap + text[i + 1 :]
        if c.isalpha() and c.swapcase() != c:
            yield "case", text[:i] + c.swapcase() + text[i + 1 :]
        if c.isascii() and c.isdigit():
            yield "non-ascii-digit", text[:i] + chr(0x0660 + int(c)) + text[i + 1 :]
    for i in range(len(text) + 1):
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

        return gen_malformed_datetime(src, None)
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
    step = (
        1
        if _int_like(node) or isinstance(node.minimum, int)
        else max(abs(node.minimum) * 1e-9, 1e-9)
    )
    detail = src.choice(("one-below", "far-below"))
    if detail == "one-below":
        return detail, node.minimum - step
    return detail, -(2**63) if _int_like(node) else -1e308


@rule(
    "above-maximum",
    "maximum",
    "schema",
    "above its maximum of {maximum}",
    lambda n: _numeric(n) and n.maximum is not None,
)
def _above_maximum(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.maximum is not None
    step = (
        1
        if _int_like(node) or isinstance(node.maximum, int)
        else max(abs(node.maximum) * 1e-9, 1e-9)
    )
    detail = src.choice(("one-above", "far-above"))
    if detail == "one-above":
        return detail, node.maximum + step
    return detail, 2**64 if _int_like(node) else 1e308


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


@rule(
    "out-of-range-for-format",
    "format",
    "format",
    "outside the range of {format}",
    lambda n: _numeric(n) and n.format in INTEGER_FORMATS,
)
def _out_of_format(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    assert node.format is not None
    misses = NEAR_MISSES[node.format]
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
) -> tuple[Any, ...]:
    """A near miss of the node's own value (by any rule of its branches' facts) that
    ``accept`` takes; the candidates are the other rules' misses and values of other types.
    Those the node's other keywords (all but ``keywords``) accept come first: a value that
    breaks only the composition, where there is one."""
    candidates: list[tuple[str, Any]] = []
    for kind, values in _WRONG_VALUES.items():
        candidates += [(f"type:{kind}", v) for v in values]
    subs = [*node.all_of, *node.any_of, *node.one_of, node.then, node.else_, node.not_, node.if_]
    plain = {k: v for k, v in node.raw.items() if k not in _COMPOSITION}
    for sub in subs:
        if isinstance(sub, dict) and node.compiler is not None:
            # The branch as the node has it: with the node's own keywords.
            shape = merge(plain, _inline(node.compiler, sub))
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
    good = [(d, v) for d, v in candidates if accept(v)]
    if not good:
        raise Unsatisfiable(f"{node.schema_path}: no near miss found")
    own = {k: v for k, v in node.raw.items() if k not in keywords}
    assert node.compiler is not None
    only = [(d, v) for d, v in good if node.compiler.is_valid(own, v)]
    return Miss(*src.choice(only or good))


def _matches(compiler: Compiler | None, sub: Any, value: Any) -> bool:
    assert compiler is not None
    return compiler.is_valid(sub, value)


@rule(
    "no-branch", "anyOf", "schema", "matching none of its anyOf branches", lambda n: bool(n.any_of)
)
def _no_any(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler
    return _composition(
        src, node, valid, lambda v: not any(_matches(c, b, v) for b in node.any_of), ("anyOf",)
    )


@rule(
    "no-one-branch",
    "oneOf",
    "schema",
    "matching none of its oneOf branches",
    lambda n: bool(n.one_of),
)
def _no_one(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler
    return _composition(
        src, node, valid, lambda v: not any(_matches(c, b, v) for b in node.one_of), ("oneOf",)
    )


@rule(
    "several-branches",
    "oneOf",
    "schema",
    "matching more than one of its oneOf branches",
    lambda n: len(n.one_of) > 1,
)
def _several(src: Source, node: Node, valid: Any) -> tuple[Any, ...]:
    c = node.compiler
    return _composition(
        src, node, valid, lambda v: sum(_matches(c, b, v) for b in node.one_of) > 1, ("oneOf",)
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
    forbidden = synthetic(c, merge(own, _inline(c, node.not_)), node.place)
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


def _meeting(src: Source, node: Node, first: Any, then: Any, accept: Callable[[Any], bool]) -> Any:
    """A value drawn from the node's own keywords merged with ``first`` and ``then`` that
    ``accept`` takes (or ``None``), trying a few seeded draws after ``src``'s."""
    c = node.compiler
    assert c is not None
    own = {k: v for k, v in node.raw.items() if k not in ("if", "then", "else")}
    merged = own
    for part in (first, then):
        if part is not None:
            merged = merge(merged, _inline(c, part))
    shape = synthetic(c, merged, node.place)
    for attempt in range(_TRIES // 2):
        try:
            value = gen_node(_retry(src, attempt), shape, MAX_DEPTH - 1, True)
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

    value = _meeting(_FILL, node, node.if_, None, accept)
    if value is not None:
        return Miss("if-without-then", value)
    return _composition(src, node, valid, accept, ("if", "then", "else"))


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

    value = _meeting(_FILL, node, node.then, None, accept)
    if value is not None:
        return Miss("neither-if-nor-else", value)
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
    return _composition(
        src, node, valid, lambda v: not all(_matches(c, b, v) for b in node.all_of), ("allOf",)
    )


def statement(rule_name: str, node: Node) -> str:
    """What a requirement about ``rule_name`` at ``node`` says (after ``rejects ...``)."""
    raw = node.raw if isinstance(node.raw, dict) else {}
    text = RULES[rule_name].statement
    values = {k: json.dumps(v) for k, v in raw.items()}
    values["types"] = " or ".join(node.types)
    values["property"] = " or ".join(node.required) or "a required property"
    values.setdefault("prefixItems", str(len(node.prefix_items)))
    try:
        return text.format(**values)
    except (KeyError, IndexError):
        return text


def rules_of(node: Node) -> tuple[str, ...]:
    """The names of the rules that apply to ``node`` (a ``$ref`` node has none: its target's
    place has them)."""
    if node.ref is not None:
        return ()
    return tuple(r.name for r in RULES.values() if r.applies(node))


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a place: into a property, an array's items, a prefix item, an extra
    property (by ``additionalProperties`` or a pattern)."""

    kind: str
    key: str | int = ""


def routes(root: Mapping[str, Node]) -> dict[int, tuple[str, tuple[Step, ...]]]:
    """For each node (by id), the record property it is under and the steps from it to the
    node, by the shortest way (the first reach)."""
    out: dict[int, tuple[str, tuple[Step, ...]]] = {}
    queue: list[tuple[Node, str, tuple[Step, ...]]] = [(n, name, ()) for name, n in root.items()]
    while queue:
        node, name, steps = queue.pop(0)
        if id(node) in out:
            continue
        out[id(node)] = (name, steps)
        if node.ref is not None:
            queue.append((node.ref, name, steps))
            continue
        for key, sub in node.properties.items():
            queue.append((sub, name, (*steps, Step("property", key))))
        if isinstance(node.items, Node):
            queue.append((node.items, name, (*steps, Step("items"))))
        for i, sub in enumerate(node.prefix_items):
            queue.append((sub, name, (*steps, Step("prefix", i))))
        if isinstance(node.additional, Node):
            queue.append((node.additional, name, (*steps, Step("additional"))))
        for regex, sub in node.pattern_properties.items():
            queue.append((sub, name, (*steps, Step("pattern", regex))))
    return out


def put(value: Any) -> Callable[[Node, Any], Any]:
    """A ``leaf`` for :func:`gen_along` that puts ``value`` where the steps lead."""

    def leaf(at: Node, valid: Any) -> Any:
        return value

    return leaf


def gen_along(
    src: Source, node: Node, steps: Sequence[Step], leaf: Callable[[Node, Any], Any], depth: int = 0
) -> tuple[Any, tuple[str | int, ...]]:
    """A plain valid value of ``node`` that holds, along ``steps``, what ``leaf(target,
    valid)`` makes of the value there; and the instance path to it.

    The value around the slot is one the node accepts with a valid value in the slot (a
    composed node may not accept every way of adding it), so that only the leaf breaks."""
    while node.ref is not None:
        node = node.ref
    if not steps:
        return leaf(node, gen_node(src, node, depth, True)), ()
    step, rest = steps[0], steps[1:]
    container, key, sub = _slot(src, node, step, depth)
    for _ in range(_TRIES):
        filled = copy.deepcopy(container)
        filled[key] = gen_node(src, sub, depth + 1, True)
        if node.is_valid(filled):
            break
        container, key, sub = _slot(src, node, step, depth)
    value, path = gen_along(src, sub, rest, leaf, depth + 1)
    container[key] = value
    return container, (key, *path)


def _slot(src: Source, node: Node, step: Step, depth: int) -> tuple[Any, str | int, Node]:
    """A plain value of ``node`` and where in it ``step`` leads: a list and an index, or
    an object and a property name; and the node of the value there."""
    base = gen_node(src, node, depth, True)
    if step.kind in ("items", "prefix", "contains"):
        items = list(base) if isinstance(base, list) else []
        first = len(node.prefix_items)
        if step.kind == "prefix":
            index = int(step.key)
            while len(items) <= index:
                items.append(gen_node(src, node.prefix_items[len(items)], depth + 1, True))
            return items, index, node.prefix_items[index]
        sub = node.items if step.kind == "items" else node.contains
        assert isinstance(sub, Node)
        if len(items) <= first:
            items.append(None)
            return items, len(items) - 1, sub
        return items, src.integer(first, len(items) - 1), sub
    obj = dict(base) if isinstance(base, dict) else {}
    if step.kind == "property":
        for dependent in node.dependent_required.get(str(step.key), ()):
            if dependent not in obj:
                sub = node.properties.get(dependent)
                obj[dependent] = gen_node(src, sub, depth + 1, True) if sub else _plain_any(src)
        return obj, str(step.key), node.properties[str(step.key)]
    if step.kind == "pattern":
        return obj, _from_regex(src, str(step.key)), node.pattern_properties[str(step.key)]
    for _ in range(_TRIES):
        found = _extra_name(src, node, obj)
        if found is not None and found[1] is node.additional:
            return obj, found[0], found[1]
    raise Unsatisfiable(f"{node.schema_path}: no name for an additional property")


def boundary_values(node: Node) -> list[tuple[str, Any]]:
    """Values at the node's own bounds that it accepts, named: each numeric bound (and an
    integer bound written as a float, ``1.0``; ``-0.0`` where 0 is allowed), a string of
    exactly its least and most characters, an array of exactly its least and most items,
    an object of exactly its least and most properties."""
    while node.ref is not None:
        node = node.ref
    if _members(node) is not None or node.composed:
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
        if node.max_length is not None:
            out.append(("longest", "a" * node.max_length))
            out.append(("longest-astral", "😀" * node.max_length))
    if _arrays_apply(node) and (node.items is None or isinstance(node.items, Node)):
        sub = node.items if isinstance(node.items, Node) else None
        for name, count in (("fewest-items", node.min_items), ("most-items", node.max_items)):
            if count and not node.prefix_items:
                try:
                    items = [
                        gen_node(_FILL, sub, MAX_DEPTH, True) if sub else i for i in range(count)
                    ]
                except Unsatisfiable:
                    continue
                out.append((name, items))
    return [(name, value) for name, value in out if node.is_valid(value)]
