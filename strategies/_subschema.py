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
Invalid values are made by :mod:`._near_misses`; :func:`gen_along` makes the valid record
around one, at any place.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inngest_conformance._encode import canonical_json, pointer
from inngest_conformance.errors import SchemaError
from inngest_conformance.strategies._datetimes import gen_datetime
from inngest_conformance.strategies._formats import (
    INTEGER_FORMATS,
    STRING_FORMATS,
    SUPPORTED_FORMATS,
)
from inngest_conformance.strategies._limits import SIZE_VARIABLE, max_depth, max_size
from inngest_conformance.strategies._rfc3339 import is_common_datetime
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
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
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

COMPOSITION = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas")
"""Keywords whose subschemas apply to the value itself (``dependentSchemas`` when its
property is present): generation draws from a branch of them merged with the rest."""

_SIMPLEST = MinimalSource()
#: How the schema path of a node :func:`synthetic` made starts.
_MERGED = "<merged>"

#: How deep generation nests containers before it takes the fewest items and properties
#: a node allows (so a recursive schema's values end).
MAX_DEPTH = 4
#: Most items or extra properties a generated container has above its minimum.
_WIDTH = 4
TRIES = 40


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
    forbidden: frozenset[str] = frozenset()
    """The properties whose subschema is ``false``: a value never holds them."""
    required: tuple[str, ...] = ()
    additional: Node | bool = True
    pattern_properties: dict[str, Node] = field(default_factory=dict)
    property_names: Node | None = None
    min_properties: int = 0
    max_properties: int | None = None
    dependent_required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dependent_schemas: dict[str, Any] = field(default_factory=dict)
    """Each property's ``dependentSchemas`` subschema (raw, as composition branches are)."""
    unevaluated_properties: Any = None
    """``unevaluatedProperties`` (raw: ``False`` or a subschema), ``None`` when absent."""
    unevaluated_items: Any = None
    """``unevaluatedItems`` (raw), ``None`` when absent."""
    ref: Node | None = None
    all_of: tuple[Any, ...] = ()
    any_of: tuple[Any, ...] = ()
    one_of: tuple[Any, ...] = ()
    not_: Any = None
    if_: Any = None
    then: Any = None
    else_: Any = None
    compiler: Compiler | None = field(default=None, repr=False)
    branches: dict[tuple[int, int, bool, int], Node | str] = field(default_factory=dict, repr=False)
    """The merged branches of a composed node drawn so far (see :func:`_branch`), or why
    a combination allows no value."""
    slots: dict[tuple[str, str | int], Node | str] = field(default_factory=dict, repr=False)
    """The node asking for each slot a near miss was put in (see :func:`_with_slot`), or
    why it allows no value: merged once, not at every draw (the merge copies the node's
    whole schema)."""
    plain_matches: tuple[str, ...] = field(default=(), repr=False)
    """Strings matching the node's pattern, drawn once: a plain value is one of them."""
    kept_members: tuple[Any, ...] | None = field(default=None, repr=False)
    """The members it lists that its other keywords accept too (read once, when asked)."""

    @property
    def composed(self) -> bool:
        return bool(
            self.all_of
            or self.any_of
            or self.one_of
            or self.not_ is not None
            or self.if_ is not None
            or self.dependent_schemas
        )

    @property
    def where(self) -> str:
        """Where the node is, for a message: its pointer in the schema, or for a node
        merged from branches (:func:`synthetic`) the place it stands for, never its JSON."""
        if self.schema_path.startswith(_MERGED):
            return f"{self.place or '#'} (its branches merged)"
        return self.schema_path or "#"

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
        self.unmergeable: dict[str, str] = {}
        """Why each merged schema that could not be compiled was not (see :func:`synthetic`)."""
        self.is_valid = is_valid
        """``is_valid(subschema, value)``: the oracle's verdict on one subschema."""
        self.order: list[Node] = []
        """Every node compiled, in the order first reached (the catalogue's order)."""
        self.largest = max_size()
        """The most characters, items or properties of a value the kit builds."""
        self.deepest = max_depth() + MAX_DEPTH
        """How deep a generated value may nest: a schema within the depth limit nests no
        deeper without recursion, so a value past it follows a recursion that never ends."""

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
        where = node.where if node.schema_path else "the schema"
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
                "cases from (the documentation's 'The schema vocabulary' lists what it can)"
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
        if "type" in raw:
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
            _check_format(where, fmt)
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
            _pattern(where, raw["pattern"])
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
        # ``"name": false`` forbids a property (buildkite's step-level keys): left out.
        node.forbidden = frozenset(name for name, s in props.items() if s is False)
        node.properties = {
            name: self.node(f"{sp}{pointer('properties', name)}", s, place + pointer(name))
            for name, s in props.items()
            if s is not False
        }
        required = raw.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise SchemaError(f"{where}: 'required' must be a list of property names")
        node.required = tuple(required)
        for name in node.forbidden.intersection(required):
            raise SchemaError(
                f"{where}{pointer('properties', name)}: a required property whose subschema "
                "is 'false' allows no value to generate"
            )
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
        schemas = raw.get("dependentSchemas", {})
        if not isinstance(schemas, dict) or not all(
            isinstance(s, (dict, bool)) for s in schemas.values()
        ):
            raise SchemaError(f"{where}: 'dependentSchemas' must map names to subschemas")
        node.dependent_schemas = {k: s for k, s in schemas.items() if s is not True and s != {}}
        for key, attr in (
            ("unevaluatedProperties", "unevaluated_properties"),
            ("unevaluatedItems", "unevaluated_items"),
        ):
            sub = raw.get(key)
            if sub is not None and not isinstance(sub, (dict, bool)):
                raise SchemaError(f"{where}: '{key}' must be a subschema")
            if sub is not None and sub is not True and sub != {}:
                setattr(node, attr, sub)

    def nodes(self) -> list[Node]:
        return list(self.order)


#: Keywords whose subschemas apply to the same value as the schema holding them: a cycle of
#: these (and ``$ref``) never moves into the value, so no validator or generator ends it.
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE = ("not", "if", "then", "else")
_IN_PLACE_MAPS = ("dependentSchemas",)
_INTO_MAPS = ("properties", "patternProperties", "$defs")
_INTO = (
    "additionalProperties",
    "items",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)


def _subschemas(raw: Any, path: str, compiler: Compiler) -> list[tuple[str, Any, bool]]:
    """The subschemas ``raw`` (at ``path``) holds or refers to: ``(path, schema, in place)``,
    in place when it applies to the same value (``$ref``, composition)."""
    if not isinstance(raw, dict):
        return []
    out: list[tuple[str, Any, bool]] = []
    ref = raw.get("$ref")
    if isinstance(ref, str):
        with contextlib.suppress(SchemaError):  # the compiler names a ref leading nowhere
            out.append((*compiler.resolve(ref, path), True))
    for key in _IN_PLACE_LISTS:
        if isinstance(raw.get(key), list):
            out += [(f"{path}/{key}/{i}", s, True) for i, s in enumerate(raw[key])]
    out += [(f"{path}/{key}", raw[key], True) for key in _IN_PLACE if key in raw]
    for key in _IN_PLACE_MAPS:
        if isinstance(raw.get(key), dict):
            out += [(path + pointer(key, k), s, True) for k, s in raw[key].items()]
    for key in _INTO_MAPS:
        if isinstance(raw.get(key), dict):
            out += [(path + pointer(key, k), s, False) for k, s in raw[key].items()]
    if isinstance(raw.get("prefixItems"), list):
        out += [(f"{path}/prefixItems/{i}", s, False) for i, s in enumerate(raw["prefixItems"])]
    out += [(f"{path}/{key}", raw[key], False) for key in _INTO if key in raw]
    return out


def _check_format(where: str, fmt: Any) -> None:
    if fmt not in SUPPORTED_FORMATS:
        raise SchemaError(
            f"{where}: format {fmt!r} is not supported; the kit checks formats "
            f"{', '.join(SUPPORTED_FORMATS)}"
        )


def check_references(document: Mapping[str, Any]) -> None:
    """Refuse, naming it, a cycle of ``$ref`` and composition that never moves into the
    value (``$defs/a`` referring to itself, ``a -> b -> a``, ``a: {allOf: [{$ref: a}]}``):
    checking a value against it would loop for ever.  A recursion through a property or an
    item (a tree of spans) moves into the value at each turn and is followed as usual.
    Both walks are iterative, each location visited once: any depth, any number of
    references, linear time."""
    compiler = Compiler(document, lambda sub, value: True)
    locations: dict[str, Any] = {"": document}
    queue: list[str] = [""]
    while queue:
        path = queue.pop()
        here = locations[path]
        if isinstance(here, dict):
            # Every location, a branch merged only when drawn too: a format or a pattern
            # the kit cannot generate for is refused at load, never met half-way through.
            if "format" in here:
                _check_format(path or "#", here["format"])
            if isinstance(here.get("pattern"), str):
                _pattern(path or "#", here["pattern"])
        for child, value, _ in _subschemas(here, path, compiler):
            if child not in locations:
                locations[child] = value
                queue.append(child)
    state: dict[str, bool] = {}  # False while on the chain being followed, True once done

    def in_place(path: str) -> Iterator[str]:
        return (c for c, _, inside in _subschemas(locations[path], path, compiler) if inside)

    for root in locations:
        if root in state:
            continue
        state[root] = False
        chain: list[tuple[str, Iterator[str]]] = [(root, in_place(root))]
        while chain:
            here, rest = chain[-1]
            step = next(rest, None)
            if step is None:
                state[here] = True
                chain.pop()
            elif step not in state:
                state[step] = False
                chain.append((step, in_place(step)))
            elif state[step] is False:
                names = [p for p, _ in chain]
                cycle = [*names[names.index(step) :], step]
                raise SchemaError(
                    f"{step or '#'}: a $ref cycle never reaches a value "
                    f"({' -> '.join(p or '#' for p in cycle)}); each turn of a recursion "
                    "must go through a property or an item"
                )


# --- valid values ----------------------------------------------------------------------


Plan = Callable[[Source], str]


def _from_regex(src: Source, pattern: str) -> str:
    """A string that contains a match of ``pattern``: generated from its parse tree, with
    anchors and look-arounds taken as satisfied (the string is checked after) and ASCII
    for classes."""
    return _regex_plan(pattern)(src)


#: What a freely drawn string may hold around a match of an unanchored pattern.
_AROUND = "xab0"


def _in_text(src: Source, pattern: str, text: str) -> str:
    """``text``, a match of ``pattern``, sometimes with a character or two before it or
    after it where the pattern is not anchored there: a pattern matches anywhere in a
    string, and a value may need text around its match (``ba`` for ``a$`` beside a
    ``oneOf`` whose other branch takes ``^a``).  Shrinks towards ``text`` alone."""
    start, end = _anchored(pattern)
    if not start and src.boolean(0.25):
        text = src.text(_AROUND, 1, 2) + text
    if not end and src.boolean(0.25):
        text += src.text(_AROUND, 1, 2)
    return text


@functools.lru_cache(maxsize=256)
def _anchored(pattern: str) -> tuple[bool, bool]:
    """Whether ``pattern`` is anchored at its start (``^``, ``\\A``) and at its end (``$``,
    ``\\Z``) outside any alternation; an unreadable pattern counts as anchored at both."""
    try:
        items: list[tuple[Any, Any]] = list(_sre_parse.parse(pattern).data)
    except (re.error, TypeError, RecursionError):
        return True, True
    if not items:
        return False, False
    starts = (_sre_c.AT_BEGINNING, _sre_c.AT_BEGINNING_STRING)
    ends = (_sre_c.AT_END, _sre_c.AT_END_STRING)
    first, last = items[0], items[-1]
    return (
        first[0] is _sre_c.AT and first[1] in starts,
        last[0] is _sre_c.AT and last[1] in ends,
    )


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
        if op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            # A look-around adds no characters: the string drawn without it is checked
            # against the whole pattern, and drawn again where it fails (``_needs_check``).
            return ""
        raise SchemaError(f"pattern {pattern!r}: the kit cannot generate strings for {op}")

    return seq(_sre_parse.parse(pattern))


@functools.lru_cache(maxsize=256)
def anchored_prefix(pattern: str) -> tuple[str, bool] | None:
    """The text every string matching ``pattern`` begins with, where the pattern is
    anchored at the start (``^`` or ``\\A``, no multi-line, case-sensitive) and plain
    characters follow, and whether that text is the whole match (the pattern ends with
    ``$`` or ``\\Z`` right after it): ``("pip;", False)`` for ``^pip; ?args:``,
    ``("", True)`` for ``^$``.  ``None``: no such text."""
    try:
        parsed = _sre_parse.parse(pattern)
    except (re.error, TypeError, RecursionError):
        return None
    if parsed.state.flags & (re.IGNORECASE | re.MULTILINE | re.VERBOSE):
        return None
    items: list[tuple[Any, Any]] = list(parsed.data)
    if not items or items[0] not in (
        (_sre_c.AT, _sre_c.AT_BEGINNING),
        (_sre_c.AT, _sre_c.AT_BEGINNING_STRING),
    ):
        return None
    text = []
    for op, arg in items[1:]:
        if op is not _sre_c.LITERAL:
            break
        text.append(chr(arg))
    rest = items[1 + len(text) :]
    whole = rest in ([(_sre_c.AT, _sre_c.AT_END)], [(_sre_c.AT, _sre_c.AT_END_STRING)])
    return ("".join(text), whole) if text or whole else None


def _pattern(where: str, pattern: Any) -> None:
    """Refuse, naming where, a pattern that is no regex or one the kit cannot generate."""
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise SchemaError(f"{where}: pattern {pattern!r} is not a regex: {exc}") from None
    _generable(where, pattern)


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


def _gen_string(src: Source, node: Node, plain: bool, common: bool = False) -> str:
    """A string the node's own keywords allow; a date-time or time in the common form
    (``YYYY-MM-DDTHH:MM:SS[.fraction]Z``: no leap second, no year 0000) when ``plain`` or
    ``common``, as a record of the schema level holds it at any depth."""
    fmt = node.format
    if fmt in STRING_FORMATS and node.pattern is not None:
        # A pattern narrows the format (an ORCID's URI): a match of it that is of the
        # format in its plainest form, else one of the format that may match it.
        text = _fit_length(src, node, _from_regex(src, node.pattern))
        if _plainly_of(fmt, text):
            return text
    if fmt in STRING_FORMATS:
        if fmt == "date-time":
            return gen_datetime(src, common=plain or common)
        if fmt == "date":
            return gen_datetime(src, common=True)[:10]
        if fmt == "time":
            return gen_datetime(src, common=plain or common)[11:]
        if fmt == "uuid":
            return gen_uuid(src)
        if fmt in ("email", "idn-email"):
            user = gen_slug(src).replace("-", src.choice((".", "_", "+")))
            return f"{user}@{src.choice(('example.com', 'mail.example.org', 'x.io'))}"
        if fmt == "regex":
            return src.choice(_REGEXES)
        if fmt == "uri-reference":
            return src.choice(("/runs/", "../", "", "https://example.com/", "#")) + gen_slug(src)
        return src.choice(("https://example.com/", "http://localhost:8288/", "urn:x:")) + gen_slug(
            src
        )
    if node.pattern is not None:
        if plain:  # one choice among a few matches drawn once, not a draw per character
            if not node.plain_matches:
                node.plain_matches = _plain_matches(node, node.pattern)
            if node.plain_matches:
                return src.choice(node.plain_matches)
        return _fit_length(src, node, _in_text(src, node.pattern, _from_regex(src, node.pattern)))
    if plain:
        text = gen_realistic_string(src, node.place.rsplit("/", 1)[-1])
    else:
        text = gen_string(src, node.place.rsplit("/", 1)[-1])
    return _fit_length(src, node, text)


#: A URI as every reading of RFC 3986 takes it: a scheme, then (after ``//``) a host of
#: letters, digits, dots and hyphens with an optional port of digits, then a path of
#: unreserved characters (no brackets, no percent escapes, no empty host).
_PLAIN_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:(//[A-Za-z0-9.-]+(:[0-9]+)?)?(/[A-Za-z0-9._~-]*)*"
)


#: The regular expressions a ``regex`` value is drawn from: each of the syntax ECMA-262
#: and Python's share, read alike by both.
_REGEXES = (
    "^[a-z]+$",
    "[0-9a-f]+",
    "a|b",
    "(ab)*c",
    "\\.txt$",
    ".*",
    "^v[0-9]+(\\.[0-9]+)*$",
    "^[A-Z][a-z]{2,8}$",
    "(?:fifo|lifo)",
    "",
)


def _plainly_of(fmt: str, text: str) -> bool:
    """Whether ``text`` is of format ``fmt`` in the form every validator reads alike (a
    date or date-time of the common form; a plain URI, :data:`_PLAIN_URI`)."""
    if STRING_FORMATS[fmt](text) is not None:
        return False
    if fmt == "date-time":
        return is_common_datetime(text)
    if fmt == "date":
        return is_common_datetime(text + "T00:00:00Z")
    if fmt == "time":
        return is_common_datetime("2024-01-01T" + text)
    if fmt == "uri":
        return _PLAIN_URI.fullmatch(text) is not None
    return True


def _plain_matches(node: Node, pattern: str) -> tuple[str, ...]:
    """A few strings that match ``pattern`` within the node's lengths, the same every time."""
    regex = re.compile(pattern)
    found = (_fit_length(_SIMPLEST, node, _from_regex(RandomSource(i), pattern)) for i in range(8))
    return tuple(
        dict.fromkeys(
            t
            for t in found
            if regex.search(t)
            and len(t) >= node.min_length
            and (node.max_length is None or len(t) <= node.max_length)
        )
    )


_WINDOW = 2.0**53


def _beyond(bound: float, integer: bool, sign: int) -> float:
    """The nearest value past an exclusive ``bound`` the kit generates (``sign`` 1 above,
    -1 below): the next integer, or a millionth of the bound further; exact for an integer
    bound too large for a double's steps, and never past the largest double."""
    if integer:
        if abs(bound) < _WINDOW:
            return bound + sign
        return math.floor(bound) + 1 if sign > 0 else math.ceil(bound) - 1
    moved = bound + sign * 1e-6 * max(1, abs(bound))
    return moved if math.isfinite(moved) else math.nextafter(bound, sign * math.inf)


def _bounds(node: Node, integer: bool) -> tuple[float, float]:
    """The range generation draws from: the node's bounds (and its format's range) within
    ±2**53, or next to the bounds where the whole range lies beyond that window
    (``minimum: 1e308``, an integer minimum of 10**300)."""
    lows = [b for b in (node.minimum,) if b is not None]
    highs = [b for b in (node.maximum,) if b is not None]
    if node.exclusive_minimum is not None:
        lows.append(_beyond(node.exclusive_minimum, integer, 1))
    if node.exclusive_maximum is not None:
        highs.append(_beyond(node.exclusive_maximum, integer, -1))
    bounds = INTEGER_FORMATS.get(node.format or "")
    if bounds is not None:
        lows.append(bounds[0])
        highs.append(bounds[1])
    least, most = (max(lows) if lows else None), (min(highs) if highs else None)
    lo = -_WINDOW if least is None else max(-_WINDOW, least)
    hi = _WINDOW if most is None else min(_WINDOW, most)
    if lo <= hi or (least is not None and most is not None and least > most):
        return lo, hi
    span = 2**53  # an int: an integer bound keeps every digit
    if least is not None and least > _WINDOW:
        return least, least + span if most is None else min(most, least + span)
    assert most is not None
    return (most - span if least is None else max(least, most - span)), most


def _multiples(lo: float, hi: float, m: float) -> tuple[int, int]:
    """The least and the greatest ``k`` with ``lo <= k * m <= hi`` (exact for an integer
    ``m``; for a fractional one a quotient past every double is taken at 1e300, and the
    value is checked against the bounds after)."""
    if isinstance(m, int):
        return -(-math.ceil(lo) // m), math.floor(hi) // m
    q_lo, q_hi = (max(min(q, 1e300), -1e300) for q in (lo / m, hi / m))
    return math.ceil(q_lo), math.floor(q_hi)


def _gen_number(src: Source, node: Node, integer: bool, plain: bool) -> int | float:
    """A number within the node's bounds (and format's range), a multiple of its
    ``multipleOf``: small and non-negative where it can be, at a bound now and then."""
    lo, hi = _bounds(node, integer)
    doubles = "integer" in node.types or all(abs(b) <= sys.float_info.max for b in (lo, hi))
    if not doubles or not all(isinstance(b, int) or math.isfinite(b) for b in (lo, hi)):
        # Only a node typed integer is drawn past the doubles (an integer minimum of
        # 10**400): a number is one a double holds.
        raise Unsatisfiable(f"{node.where}: no number in range that a double holds")
    m = node.multiple_of
    if m is not None:
        k_lo, k_hi = _multiples(lo, hi, m)
        if k_lo > k_hi:
            raise Unsatisfiable(f"{node.where}: no multiple of {m} in range")
        k_lo, k_hi = max(k_lo, -(10**6)), max(min(k_hi, 10**6), max(k_lo, -(10**6)))
        start = min(max(k_lo, 0), k_hi)
        k = (
            src.integer(start, min(k_hi, start + 1000))
            if plain or src.boolean()
            else src.integer(k_lo, k_hi)
        )
        value = k * m
        value = int(value) if isinstance(value, int) or value.is_integer() else value
        if not lo <= value <= hi:
            raise Unsatisfiable(f"{node.where}: no multiple of {m} found in range")
        return value
    if integer:
        ilo, ihi = math.ceil(lo), math.floor(hi)
        if ilo > ihi:
            raise Unsatisfiable(f"{node.where}: no integer in range")
        start = min(max(0, ilo), ihi)
        style = 0 if plain else src.integer(0, 3)
        if style == 0:
            return src.integer(start, min(ihi, start + 1000))
        if style == 1:
            return src.choice((ilo, ihi))
        return src.integer(ilo, ihi)
    if lo > hi:
        raise Unsatisfiable(f"{node.where}: no number in range")
    if plain or src.boolean():
        low = min(max(0.0, lo), hi)
        top = min(hi, low + 1000)
        if math.ceil(low) <= top:
            return src.integer(math.ceil(low), math.floor(top))
        return low
    value = src.floating()
    if lo <= value <= hi:
        return value
    inside = lo + (hi - lo) * src.integer(0, 1000) / 1000
    return inside if lo <= inside <= hi else lo


def json_key(value: Any) -> str:
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


def _gen_array(src: Source, node: Node, depth: int, plain: bool, common: bool = False) -> list[Any]:
    """An array of the fewest items the node allows (plain, or deep), or up to
    :data:`_WIDTH` more; distinct where it asks, with an item its ``contains`` takes."""
    lo = node.min_items
    hi = node.max_items if node.max_items is not None else lo + _WIDTH
    if hi < lo:
        raise Unsatisfiable(f"{node.where}: maxItems is below minItems")
    n = lo if plain or depth >= MAX_DEPTH else src.integer(lo, min(hi, lo + _WIDTH))
    out: list[Any] = []
    seen: set[str] = set()
    for i in range(n):
        sub: Node | bool | None = node.prefix_items[i] if i < len(node.prefix_items) else node.items
        if sub is False or (sub is None and node.unevaluated_items is False):
            break
        for _ in range(8):
            value = (
                gen_node(src, sub, depth + 1, plain, common=common)
                if isinstance(sub, Node)
                else _any_json(src, depth)
            )
            if not node.unique_items or json_key(value) not in seen:
                break
        seen.add(json_key(value))
        out.append(value)
    if node.contains is not None and not any(node.contains.is_valid(v) for v in out):
        value = gen_node(src, node.contains, depth + 1, plain, common=common)
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
        if name not in node.properties and name not in taken and name not in node.forbidden:
            return name, node.pattern_properties[regex]
    if node.additional is False or node.unevaluated_properties is False:
        return None
    name = "x_" + WORDS[(src.integer(0, len(WORDS) - 1) + len(taken)) % len(WORDS)]
    if (
        name in node.properties
        or name in taken
        or name in node.forbidden
        or any(re.search(r, name) for r in node.pattern_properties)
    ):
        return None
    return name, node.additional if isinstance(node.additional, Node) else None


def _gen_object(
    src: Source, node: Node, depth: int, plain: bool, common: bool = False
) -> dict[str, Any]:
    """An object with the required properties, each optional one half the time (none,
    plain or deep, but as many as ``minProperties`` still wants, in order), the
    properties they depend on, and extra ones where allowed."""
    out: dict[str, Any] = {}
    optional = [n for n in node.properties if n not in node.required]
    deep = depth >= MAX_DEPTH or plain
    mask = 0 if deep or not optional else src.integer(0, 2 ** len(optional) - 1)
    chosen = [n for n in node.properties if n in node.required or (mask >> optional.index(n)) & 1]
    for name in optional:  # defined properties first: ``additionalProperties`` may be false
        if len(set(chosen) | set(node.required)) >= node.min_properties:
            break
        if name not in chosen:
            chosen.append(name)
    for name in list(chosen):
        for dependent in node.dependent_required.get(name, ()):
            if dependent not in chosen:
                chosen.append(dependent)
    for name in node.required:
        if name not in node.properties:
            chosen.append(name)
    for name in chosen:
        sub = node.properties.get(name)
        out[name] = (
            gen_node(src, sub, depth + 1, plain, common=common)
            if sub is not None
            else _plain_any(src)
        )
    # Extra properties: as many as minProperties still wants, a few more now and then.
    wanted = max(0, node.min_properties - len(out))
    extras = wanted if deep else max(wanted, src.integer(0, 2) if src.boolean(0.25) else 0)
    for _ in range(3 * extras):  # a name may be taken already: a few tries each
        if extras <= 0:
            break
        found = _extra_name(src, node, out)
        if found is None:
            continue
        name, sub = found
        out[name] = (
            gen_node(src, sub, depth + 1, plain, common=common)
            if sub is not None
            else _plain_any(src)
        )
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


def _kept(node: Node) -> tuple[Any, ...]:
    """The members of ``node`` its other keywords accept: each checked against the node
    without the keyword it comes from (a member of an ``enum`` is one; checking it again
    against a list of 100,000 would cost the list's length per member)."""
    listed = members(node) or ()
    drop = "const" if node.const is not None else "enum"
    rest = {k: v for k, v in node.raw.items() if k != drop} if isinstance(node.raw, dict) else True
    assert node.compiler is not None
    return tuple(m for m in listed if node.compiler.is_valid(rest, m))


def members(node: Node) -> tuple[Any, ...] | None:
    if node.const is not None:
        return node.const
    return node.enum


def _gen_plainly(src: Source, node: Node, depth: int, plain: bool, common: bool = False) -> Any:
    allowed = members(node)
    if allowed is not None:
        return copy.deepcopy(src.choice(allowed))
    kinds = node.types or (_implied_types(node) if plain or depth >= MAX_DEPTH else JSON_TYPES)
    possible = tuple(k for k in kinds if no_room(node, k) is None)
    if not possible and not node.types:
        possible = tuple(k for k in JSON_TYPES if no_room(node, k) is None)
    if not possible:
        raise Unsatisfiable(f"{node.where}: {no_room(node, kinds[0])}")
    kind = src.choice(possible)
    if kind == "string":
        return _gen_string(src, node, plain, common)
    if kind == "integer":
        return _gen_number(src, node, True, plain)
    if kind == "number":
        return _gen_number(src, node, not plain and src.boolean(0.3), plain)
    if kind == "array":
        return _gen_array(src, node, depth, plain, common)
    if kind == "object":
        return _gen_object(src, node, depth, plain, common)
    if kind == "boolean":
        return src.boolean()
    return None  # kind "null": each other kind has its own branch above, keywords and all


def largest(node: Node) -> int:
    """The most characters, items or properties the kit builds a value of (see
    :func:`._limits.max_size`), read once per schema."""
    return node.compiler.largest if node.compiler is not None else max_size()


def no_room(node: Node, kind: str) -> str | None:
    """Why no value of JSON type ``kind`` fits the node's counts (a least count above its
    greatest, or above what the kit builds), or ``None`` when one does."""
    counts = {
        "string": ("minLength", node.min_length, "maxLength", node.max_length, "characters"),
        "array": ("minItems", node.min_items, "maxItems", node.max_items, "items"),
        "object": (
            "minProperties",
            node.min_properties,
            "maxProperties",
            node.max_properties,
            "properties",
        ),
    }
    if kind not in counts:
        return None
    low_key, low, high_key, high, what = counts[kind]
    if high is not None and low > high:
        return f"{low_key} {low} is above {high_key} {high}"
    if low > largest(node):
        return (
            f"{low_key} {low} asks for more {what} than the {largest(node)} the kit builds "
            f"a value of ({SIZE_VARIABLE} raises the limit)"
        )
    return None


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
    ``then``/``else``, merged with the node's own keywords where they can be (each
    combination merged once, and kept on the node)."""
    assert node.compiler is not None
    any_of = src.integer(0, len(node.any_of) - 1) if len(node.any_of) > 1 else 0
    one_of = src.integer(0, len(node.one_of) - 1) if len(node.one_of) > 1 else 0
    # ``then`` first: the simplest value takes the branch the schema spells out.
    then = node.if_ is not None and not src.boolean() and node.then is not None
    # Each dependentSchemas property present (a bit each; the simplest value has none).
    present = [name for name in node.dependent_schemas if src.boolean()]
    mask = sum(1 << i for i, name in enumerate(node.dependent_schemas) if name in present)
    key = (any_of, one_of, then, mask)
    known = node.branches.get(key)
    if isinstance(known, str):
        raise Unsatisfiable(known)
    if known is not None:
        return known
    parts: list[Any] = [{k: v for k, v in node.raw.items() if k not in COMPOSITION}]
    parts += node.all_of
    if node.any_of:
        parts.append(node.any_of[any_of])
    if node.one_of:
        parts.append(node.one_of[one_of])
    if then:
        parts += [node.if_, node.then]
    elif node.if_ is not None and node.else_ is not None:
        parts.append(node.else_)
    for name in present:
        parts += [{"required": [name]}, node.dependent_schemas[name]]
    merged: Any = {}
    for part in parts:
        merged = merge(merged, inline(node.compiler, part, node.schema_path or "#"))
    try:
        node.branches[key] = made = synthetic(node.compiler, merged, node.place)
    except Unsatisfiable as exc:
        node.branches[key] = str(exc)
        raise
    return made


def inline(compiler: Compiler, sub: Any, where: str = "a merged subschema") -> Any:
    """``sub`` with a top-level ``$ref`` replaced by what it points at (for merging);
    ``where`` is the pointer of the composed location a refusal names."""
    for _ in range(8):
        if isinstance(sub, dict) and set(sub) - ANNOTATIONS == {"$ref"}:
            sub = compiler.resolve(str(sub["$ref"]), where)[1]
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
    if not isinstance(a, dict) or not isinstance(b, dict) or "$ref" in a or "$ref" in b:
        # A reference is followed where it stands, never merged into (a ``$ref`` beside
        # other keywords is not the kit's to compile).
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
            keys = {json_key(v) for v in value}
            kept = [m for m in out[key] if json_key(m) in keys]
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
    key = _MERGED + canonical_json(raw)
    refused = compiler.unmergeable.get(key)
    if refused is not None:
        raise Unsatisfiable(refused)
    known = compiler._nodes.get(key)
    if known is not None:
        return known
    node = Node(place, key, raw, compiler=compiler)
    compiler._nodes[key] = node
    try:
        compiler._fill(node, raw)
    except SchemaError as exc:
        # Every time, not only the first: a half-filled node kept from a first attempt
        # would make the same draw end differently when Hypothesis replays it (Flaky).
        refused = str(exc).replace(key, node.where)
        compiler.unmergeable[key] = refused
        del compiler._nodes[key]
        raise Unsatisfiable(refused) from None
    why = _lists_nothing_kept(compiler, raw)
    if why is not None:
        compiler.unmergeable[key] = why = f"{node.where}: {why}"
        del compiler._nodes[key]
        raise Unsatisfiable(why)
    return node


def _lists_nothing_kept(compiler: Compiler, raw: Any) -> str | None:
    """Why a merged schema allows no value, where a required property lists its values
    (an ``enum`` or ``const``, itself or in its ``allOf``) and its whole subschema keeps
    none of them: the branches merged ask for two different constants there."""
    if not isinstance(raw, dict):
        return None
    props, required = raw.get("properties"), raw.get("required")
    if not isinstance(props, dict) or not isinstance(required, list):
        return None
    for name in required:
        sub = props.get(name) if isinstance(name, str) else None
        if not isinstance(sub, dict) or not isinstance(sub.get("allOf"), list):
            continue
        for part in (sub, *sub["allOf"]):
            part = inline(compiler, part)
            if not isinstance(part, dict):
                continue
            listed = [part["const"]] if "const" in part else part.get("enum")
            if isinstance(listed, list):
                if not any(compiler.is_valid(sub, m) for m in listed[:MAX_LISTED]):
                    return f"required property {name!r} keeps none of the values it lists"
                break
    return None


#: How many of a property's listed values :func:`_lists_nothing_kept` tries.
MAX_LISTED = 64


def retry_source(src: Source, attempt: int) -> Source:
    """The source of the ``attempt``-th try at a value: ``src`` itself where it draws anew
    each time (Hypothesis, a random source), a seeded random source where it would make
    the same choices again (the simplest-choice and enumerating sources of directed
    cases), so that a retry can succeed and the directed cases stay the same every run."""
    if attempt == 0 or isinstance(src, (RandomSource, HypothesisSource)):
        return src
    return RandomSource(attempt)


#: How many tries one value may take, at every level of it together, before the draw
#: gives up (:class:`Exhausted`): each level's tries would otherwise multiply with the
#: levels below (an array of composed objects of composed objects), bounding nothing.
EFFORT = 3000
_effort = threading.local()


def _spend(node: Node) -> None:
    """Count one try of the value being drawn; :class:`Exhausted` past :data:`EFFORT`."""
    left = getattr(_effort, "left", None)
    if left is None:
        return
    if left <= 0:
        raise Exhausted(
            f"{node.where}: no value found that it accepts in {EFFORT} tries at every "
            "level together; its keywords may contradict each other"
        )
    _effort.left = left - 1


def gen_node(
    src: Source, node: Node, depth: int = 0, plain: bool = False, *, common: bool = False
) -> Any:
    """A value ``node`` accepts: see :func:`_gen_node`.  The outermost draw holds the
    tries of every level below it to :data:`EFFORT`."""
    if getattr(_effort, "left", None) is not None:
        return _gen_node(src, node, depth, plain, common=common)
    _effort.left = EFFORT
    try:
        return _gen_node(src, node, depth, plain, common=common)
    finally:
        _effort.left = None


def _gen_node(
    src: Source, node: Node, depth: int = 0, plain: bool = False, *, common: bool = False
) -> Any:
    """A value ``node`` accepts (a plain one: fewest items and properties, realistic
    strings, small numbers, when ``plain``; date-times in the common form at any depth
    when ``common``).  :class:`Unsatisfiable` when none is found.

    The first half of the tries draw as asked; the later ones draw freely (optional
    properties, more items: ``common`` still holds), since a value the schema accepts may
    need what a plain one leaves out (an optional ``const`` that tells ``oneOf`` branches
    apart)."""
    while node.ref is not None:
        node = node.ref
    if node.compiler is not None and depth > node.compiler.deepest:
        raise Endless(
            f"{node.where}: every value nests deeper than {node.compiler.deepest} "
            "levels (a recursion every value must take never ends)"
        )
    if not node.composed and members(node) is not None and _needs_check(node):
        # Those its other keywords refuse are left out once, and a node that keeps none
        # fails at once (a merged ``const`` against an ``enum``).
        if node.kept_members is None:
            node.kept_members = _kept(node)
        if not node.kept_members:
            raise Unsatisfiable(f"{node.where}: none of the values it lists is one it accepts")
        return copy.deepcopy(src.choice(node.kept_members))
    if not node.composed:
        failure: Unsatisfiable | None = None
        for attempt in range(TRIES if _needs_check(node) else 1):
            _spend(node)
            try:
                value = _gen_plainly(
                    retry_source(src, attempt), node, depth, _plain_at(plain, attempt), common
                )
            except Endless:
                raise
            except Unsatisfiable as exc:
                failure = failure or exc
                if attempt == 0:
                    # A draw only the node's facts shape: another try draws the same way
                    # unless the node's checks or a freer draw can change it.
                    return _fallback(src, node, depth, plain, common, exc)
                continue
            if not _needs_check(node) or node.is_valid(value):
                return value
        found = _simplest_valid(node)
        if found:
            return found[0]
        raise failure or Unsatisfiable(
            f"{node.where}: no value found that it accepts in {TRIES} tries; its "
            "keywords may contradict each other"
        )
    assert node.compiler is not None
    for attempt in range(TRIES):
        _spend(node)
        src_now = retry_source(src, attempt)
        try:
            value = _gen_composed(src_now, node, depth, _plain_at(plain, attempt), common)
        except Endless:
            raise
        except Unsatisfiable:
            continue
        if node.is_valid(value):
            return value
    found = _simplest_valid(node)
    if found:
        return found[0]
    raise Unsatisfiable(
        f"{node.where}: no value found that it accepts in {TRIES} tries; its keywords "
        "may contradict each other"
    )


#: The simplest value of each JSON type, and a few more: what :func:`_simplest_valid`
#: tries when drawing found nothing (a ``not`` that only a value of another type, or an
#: object with one more property, escapes).
_SIMPLE_SCALARS: tuple[Any, ...] = (None, False, True, 0, 1, -1, 2, 0.5, "", "a", "ab")
#: What the simple containers hold: a value of each kind, and containers one level down.
_SIMPLE_INNER: tuple[Any, ...] = (None, 0, 1, -1, "", "a", [], {}, [None], {"x": None})
_SIMPLE_VALUES: tuple[Any, ...] = (
    *_SIMPLE_SCALARS,
    [],
    {},
    *([v] for v in _SIMPLE_INNER),
    *({"x": v} for v in _SIMPLE_INNER),
    [None, 0],
    [None, 0, 1],
    {"x": None, "y": 0},
)


def _names_in(raw: Any, depth: int) -> Iterator[str]:
    """The property names ``raw`` speaks of (``properties``, ``required``), its own and
    its subschemas' to ``depth`` levels."""
    if depth < 0 or not isinstance(raw, dict):
        return
    props = raw.get("properties")
    if isinstance(props, dict):
        yield from props
    if isinstance(raw.get("required"), list):
        yield from (n for n in raw["required"] if isinstance(n, str))
    for key in COMPOSITION:
        sub = raw.get(key)
        for part in sub if isinstance(sub, list) else [sub]:
            yield from _names_in(part, depth - 1)


def _constants_in(raw: Any, depth: int) -> Iterator[Any]:
    """The values ``raw`` names (``const``, ``enum`` members, bounds), its own and its
    subschemas' to ``depth`` levels: a value only a ``not`` of a ``const`` lets by is one
    of them."""
    if depth < 0 or not isinstance(raw, dict):
        return
    if "const" in raw:
        yield raw["const"]
    if isinstance(raw.get("enum"), list):
        yield from raw["enum"][:16]
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(raw.get(key), (int, float)) and not isinstance(raw.get(key), bool):
            yield raw[key]
    for key in (*COMPOSITION, "items", "contains"):
        sub = raw.get(key)
        for part in sub if isinstance(sub, list) else [sub]:
            yield from _constants_in(part, depth - 1)
    props = raw.get("properties")
    if isinstance(props, dict):
        for sub in list(props.values())[:8]:
            yield from _constants_in(sub, depth - 1)


def _simplest_valid(node: Node) -> tuple[Any] | tuple[()]:
    """The first of a few simple values the node accepts (``(value,)``), or ``()``: the
    simplest of each type, and an object of one of its properties (a few values each)."""
    names = list(dict.fromkeys(_names_in(node.raw, 3)))
    candidates = [*_SIMPLE_VALUES, *_constants_in(node.raw, 3)]
    for name in names[:8]:
        candidates += [{name: v} for v in _SIMPLE_INNER]
    for inner in (None, 0, "a"):  # every property it speaks of, then one more
        every = {name: inner for name in names[:8]}
        candidates += [every, {**every, "x": None}] if names else []
    for value in candidates:
        if node.is_valid(value):
            return (copy.deepcopy(value),)
    return ()


def _fallback(
    src: Source, node: Node, depth: int, plain: bool, common: bool, failure: Unsatisfiable
) -> Any:
    """A value of a node whose first draw found none (an array whose items allow no
    value, a type whose bounds leave no room): freer draws, then the simplest values it
    accepts, else ``failure`` again."""
    for attempt in range(1, TRIES // 4):
        _spend(node)
        try:
            value = _gen_plainly(retry_source(src, attempt), node, depth, False, common)
        except Endless:
            raise
        except Unsatisfiable:
            continue
        if node.is_valid(value):
            return value
    found = _simplest_valid(node)
    if found:
        return found[0]
    raise failure


class Endless(Unsatisfiable):
    """Every value nests past the depth limit: no other draw can end it, so no loop of
    tries draws again (each level's tries would multiply)."""


class Exhausted(Endless):
    """The value being drawn spent its :data:`EFFORT`: no loop of tries draws again."""


def _plain_at(plain: bool, attempt: int) -> bool:
    """Whether the ``attempt``-th try at a value is plain: the first half of the tries."""
    return plain and attempt < TRIES // 2


#: How many levels of composition inside composition one draw follows (each level is one
#: choice of branches, merged); past it, what is left is drawn plainly and checked.
_NESTING = 8


def _gen_composed(
    src: Source, node: Node, depth: int, plain: bool, common: bool, level: int = 0
) -> Any:
    """One candidate value of a composed node (checked by the caller): a branch of each
    ``anyOf``/``oneOf``, ``then`` or ``else``, merged with the node's own keywords and its
    ``allOf``; where that merge still composes (an ``if`` or a ``oneOf`` inside an
    ``allOf``), its branches are chosen in turn, so the value follows every level."""
    assert node.compiler is not None
    branch = _branch(src, node)
    if branch.composed and level < _NESTING and branch is not node:
        return _gen_composed(src, branch, depth, plain, common, level + 1)
    if branch.composed:
        # What merging left over (a ``not``, keywords that did not merge): drawn from
        # the rest, and checked against the whole node.
        rest = {k: v for k, v in branch.raw.items() if k not in COMPOSITION}
        branch = synthetic(node.compiler, rest, node.place)
    return _gen_plainly(src, branch, depth, plain, common)


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
        or node.unevaluated_properties is not None
        or node.unevaluated_items is not None
        # Members are taken as they are listed: other keywords may refuse some.
        or (
            members(node) is not None
            and isinstance(node.raw, dict)
            and bool(set(node.raw) - ANNOTATIONS - {"$defs", "const" if node.const else "enum"})
        )
        # A required property no ``properties`` entry defines is an extra one.
        or (node.additional is not True and any(r not in node.properties for r in node.required))
        or (node.max_length is not None and node.format is not None)
        or (node.min_length and node.format is not None)
        or (node.multiple_of is not None and not float(node.multiple_of).is_integer())
    )


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
    # Only keywords that tie a value to its siblings can make the slot's valid value
    # unwelcome (composition, dependencies, uniqueness, counts): only then is it checked,
    # and the container drawn again (from a seeded source where ``src`` would make the
    # same choices again).
    for attempt in range(1, TRIES + 1 if node.composed or _needs_check(node) else 0):
        filled = copy.deepcopy(container)
        filled[key] = gen_node(src, sub, depth + 1, True)
        if node.is_valid(filled):
            break
        container, key, sub = _slot(retry_source(src, attempt), node, step, depth)
    value, path = gen_along(src, sub, rest, leaf, depth + 1)
    container[key] = value
    return container, (key, *path)


def _with_slot(node: Node, step: Step) -> Node:
    """``node`` asking for the slot ``step`` leads to (a property required, enough
    items), where its keywords leave that plain to add; otherwise ``node`` itself."""
    assert node.compiler is not None
    if step.kind == "property":
        extra: dict[str, Any] = {"required": [str(step.key)]}
    elif step.kind in ("items", "prefix"):
        least = int(step.key) + 1 if step.kind == "prefix" else len(node.prefix_items) + 1
        extra = {"minItems": max(node.min_items, least)}
    else:
        return node
    if not isinstance(node.raw, (dict, bool)) or node.raw is False:
        return node
    key = (step.kind, step.key)
    known = node.slots.get(key)
    if isinstance(known, str):
        raise Unsatisfiable(known)
    if known is not None:
        return known
    try:
        node.slots[key] = made = synthetic(node.compiler, merge(node.raw, extra), node.place)
    except Unsatisfiable as exc:
        node.slots[key] = str(exc)
        raise
    return made


def _slot(src: Source, node: Node, step: Step, depth: int) -> tuple[Any, str | int, Node]:
    """A plain value of ``node`` and where in it ``step`` leads: a list and an index, or
    an object and a property name; and the node of the value there.  The value is drawn
    with the slot asked for (the property required, as many items as the index needs),
    so that the node's other keywords (an ``if`` on that property) see it there."""
    try:
        base = gen_node(src, _with_slot(node, step), depth, True)
    except Unsatisfiable:
        base = gen_node(src, node, depth, True)
    if step.kind in ("items", "prefix"):
        items = list(base) if isinstance(base, list) else []
        first = len(node.prefix_items)
        if step.kind == "prefix":
            index = int(step.key)
            while len(items) <= index:
                items.append(gen_node(src, node.prefix_items[len(items)], depth + 1, True))
            return items, index, node.prefix_items[index]
        sub = node.items
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
    for _ in range(TRIES):
        found = _extra_name(src, node, obj)
        if found is not None and found[1] is node.additional:
            return obj, found[0], found[1]
    raise Unsatisfiable(f"{node.where}: no name for an additional property")
