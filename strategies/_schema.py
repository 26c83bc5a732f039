"""Reading a run schema into the few facts generation and judging are derived from.

Everything the kit generates and every requirement it checks follows from this analysis:
the properties, which are required, each one's JSON types, enum and format, and whether
unknown properties are allowed.  Nothing about the run record is hard-coded elsewhere, so
a newer schema (one more status, one more property) changes the kit's behaviour with no
code change.  A schema of another shape (a root that is an array or a string, composition,
``patternProperties`` or a subschema of ``additionalProperties`` at the root) is compiled
whole, as one :class:`Node`, and its records are that node's values.  A schema using
keywords the kit cannot derive cases from is refused up front, naming them, rather than
silently generating cases that ignore them.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from inngest_conformance._encode import canonical_sha256, pointer
from inngest_conformance.errors import SchemaError as SchemaError  # re-exported
from inngest_conformance.strategies._drafts import Translation, translate
from inngest_conformance.strategies._files import read_text
from inngest_conformance.strategies._formats import OPENAPI_FORMAT
from inngest_conformance.strategies._limits import JSON_HOOKS, check_document
from inngest_conformance.strategies._references import bundle, external_references
from inngest_conformance.strategies._source import MinimalSource, RandomSource
from inngest_conformance.strategies._subschema import (
    ANNOTATIONS,
    Compiler,
    Node,
    Step,
    Unsatisfiable,
    check_references,
    gen_node,
    routes,
)
from inngest_conformance.strategies._validation import subschema_validator
from inngest_conformance.strategies._values import JSON_TYPES as JSON_TYPES

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
ROOT = "#"
"""How a requirement id and a target name the root of a schema compiled whole (a record
that is an array, a string, a composition): its JSON pointer is empty, and ``/`` is the
pointer of a property named ``""``."""
SUPPORTED_FORMATS = ("date-time",)
"""The formats of a flat property; a compiled one has every format of :mod:`._formats`."""

# Annotations (ANNOTATIONS) never change validity, so they are allowed anywhere.
_ROOT_KEYWORDS = ANNOTATIONS | {
    "type",
    "required",
    "properties",
    "additionalProperties",
    "$defs",
    "dependentRequired",
}
_PROPERTY_KEYWORDS = ANNOTATIONS | {"type", "enum", "format", "additionalProperties"}


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One property of the run record, as the schema describes it."""

    name: str
    types: tuple[str, ...]
    """JSON types allowed; empty means any."""
    enum: tuple[Any, ...] | None
    format: str | None
    required: bool
    node: Node | None = field(default=None, compare=False, repr=False)
    """The compiled subschema, when it says more than a type, an enum and a date-time
    format (bounds, a pattern, nested objects and arrays, references, composition)."""

    @property
    def pointer(self) -> str:
        """JSON pointer to this property's subschema."""
        return pointer("properties", self.name)


@dataclass(frozen=True, slots=True)
class RunSchema:
    """The analysed schema: what generation, invalidation and the catalogue read."""

    properties: tuple[PropertySpec, ...]
    additional_properties: bool
    title: str
    sha256: str
    document: Mapping[str, Any] = field(compare=False, repr=False)
    nodes: tuple[Node, ...] = field(default=(), compare=False, repr=False)
    """Every compiled subschema location, in the order first reached (empty for a flat
    schema such as the run schema)."""
    dependent_required: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    places: Mapping[str, tuple[Node, str, tuple[Step, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Each compiled node by its place: the node, the record property it is under and the
    steps from that property's value to it."""
    recursion: tuple[str, tuple[Step, ...]] | None = field(default=None, compare=False, repr=False)
    """Where a record holds records again (``$ref: "#"``): the property and the steps
    below it, by the shortest way; ``None`` when it never does."""
    draft: str = "2020-12"
    """The draft the published document was read as (:data:`._drafts.DRAFTS`)."""
    published: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    """The document as given, when it is not :attr:`document` (which is its translation
    into draft 2020-12, without the keywords no draft defines)."""
    ignored: Mapping[str, int] = field(default_factory=dict, compare=False)
    """The keywords left unjudged (unknown to the draft, or beside a ``$ref`` the draft
    ignores), each with how often it occurs."""
    root: Node | None = field(default=None, compare=False, repr=False)
    """The whole schema compiled as one node, when it is not the flat record shape (a
    root that is not an object, composition, ``patternProperties`` ... at the root):
    records are that node's values, and its places (the root's is :data:`ROOT`) are under
    the record property ``""``.  ``None`` for a flat record schema such as the run schema."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Pickled (to a worker process) as its document, and read again there: the
        # compiled subschemas hold the oracle's validator, which does not pickle.
        return (schema_from_dict, (self.source, self.draft))

    @property
    def source(self) -> Mapping[str, Any]:
        """The document as published: what an implementation under test is given."""
        return self.document if self.published is None else self.published

    @property
    def self_describing(self) -> Mapping[str, Any]:
        """The published document with a ``$schema`` naming the draft it was read as (for
        a file others read alone, such as a test-suite file)."""
        source = self.source
        if "$schema" in source or self.draft == "2020-12":
            return source
        from inngest_conformance.strategies._drafts import DIALECTS

        return {"$schema": DIALECTS[self.draft], **source}  # type: ignore[index]

    @property
    def flat(self) -> bool:
        """Whether every property is a type, an enum or a date-time (the fast oracle's
        own checks are then the whole schema; not in draft 4, whose integers differ)."""
        return not self.nodes and not self.dependent_required and self.draft != "4"

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if p.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if not p.required)

    def spec(self, name: str) -> PropertySpec:
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(name)

    def has(self, name: str) -> bool:
        return any(p.name == name for p in self.properties)

    @property
    def datetime_properties(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if p.format == "date-time")

    @property
    def names(self) -> tuple[str, ...]:
        """The record's property names, in the schema's order."""
        return tuple(p.name for p in self.properties)

    @property
    def statuses(self) -> tuple[str, ...]:
        """The ``status`` property's enum: the states the lifecycle model speaks of."""
        return self.statuses_of("status")

    def statuses_of(self, name: str) -> tuple[str, ...]:
        """The string members of property ``name``'s enum (none if it has no enum)."""
        if not self.has(name):
            return ()
        return tuple(v for v in self.spec(name).enum or () if isinstance(v, str))


def _types(where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise SchemaError(f"{where}: 'type' must be a type name or a list of them, not {value!r}")
    unknown = [n for n in names if n not in JSON_TYPES]
    if unknown:
        raise SchemaError(
            f"{where}: unknown type {unknown[0]!r}; use one of {', '.join(JSON_TYPES)}"
        )
    return tuple(names)


def _is_flat(sub: Any) -> bool:
    """Whether a property's subschema is only a type, an enum and a date-time format."""
    if sub is True or sub == {}:
        return True
    return (
        isinstance(sub, dict)
        and set(sub) <= _PROPERTY_KEYWORDS
        and sub.get("format") in (None, *SUPPORTED_FORMATS)
        and sub.get("additionalProperties", True) is True
        and isinstance(sub.get("enum", []), list)
    )


def _compiled(name: str, node: Node, required: bool) -> PropertySpec:
    """A property whose subschema is compiled: its type, enum and date-time format (what
    the record-level rules read) from the location it resolves to."""
    target = node
    while target.ref is not None:
        target = target.ref
    fmt = target.format if target.format == "date-time" else None
    return PropertySpec(name, target.types, target.enum, fmt, required, node)


def _property(name: str, sub: Any, required: bool) -> PropertySpec:
    where = f"properties/{name}"
    if sub is True or sub == {}:
        return PropertySpec(name, (), None, None, required)
    if not isinstance(sub, dict):
        raise SchemaError(f"{where}: a property schema must be an object, not {sub!r}")
    types = _types(where, sub.get("type"))
    enum = sub.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        raise SchemaError(f"{where}: 'enum' must be a non-empty list, not {enum!r}")
    fmt = sub.get("format")
    return PropertySpec(name, types, tuple(enum) if enum is not None else None, fmt, required)


def schema_from_dict(
    document: Any, draft: str | None = None, *, schema_dir: str | os.PathLike[str] | None = None
) -> RunSchema:
    """Analyse a schema document of the draft its ``$schema`` names (else ``draft``, else
    2020-12); :class:`SchemaError` says what is wrong and where (a JSON pointer of the
    published document).

    ``schema_dir``: the folder the documents its ``$ref`` names live in (by path, or by
    their ``$id``); they are read from there, never fetched.  Without it, a reference to
    another document is refused naming it."""
    if not isinstance(document, dict):
        raise SchemaError(f"a run schema must be a JSON object, not {type(document).__name__}")
    check_document(document, "", SchemaError)
    outside = external_references(document)
    if outside:
        if schema_dir is None:
            where, ref = outside[0]
            raise SchemaError(
                f"{where}: $ref {ref!r} names another document, and no folder of schemas "
                "was given to read it from: give the schema by its path, with the documents "
                "it refers to in its folder"
            )
        document = bundle(document, schema_dir)
    translation = translate(document, draft)
    try:
        return _analysed(translation, document)
    except SchemaError as exc:
        raise SchemaError(_published_words(str(exc), translation)) from None


def _published_words(message: str, translation: Translation) -> str:
    """A refusal naming its place as the published document spells it (a translation's
    ``/$defs/a/prefixItems/0`` is the published ``/definitions/a/items/0``)."""
    if not translation.moves or not message.startswith("/"):
        return message
    head, sep, rest = message.partition(" ")
    end = head.rstrip(":")
    return translation.published_pointer(end) + head[len(end) :] + sep + rest


def _analysed(translation: Translation, published: dict[str, Any]) -> RunSchema:
    document = translation.document
    if document == published:
        document = published  # the very object: a schema needing no translation is kept
    if not _record_shaped(document):
        return _root_schema(document, translation, published)
    props = document["properties"]
    required = document.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise SchemaError(f"'required' must be a list of property names, not {required!r}")
    missing = [r for r in required if r not in props]
    if missing:
        raise SchemaError(f"'required' names {missing[0]!r}, which 'properties' does not define")
    additional = document.get("additionalProperties", True)
    dependent = document.get("dependentRequired", {})
    if not isinstance(dependent, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in dependent.values()
    ):
        raise SchemaError("'dependentRequired' must map property names to lists of names")
    check_references(document)
    compiler = Compiler(document, _SubschemaCheck(document, translation.draft))
    properties = []
    for n, s in props.items():
        if _is_flat(s):
            properties.append(_property(n, s, n in required))
        else:
            node = compiler.node(pointer("properties", n), s, pointer(n))
            properties.append(_compiled(n, node, n in required))
    flat = {pointer("properties", p.name) for p in properties if p.node is None}
    nodes = [n for n in compiler.nodes() if n.schema_path and n.schema_path not in flat]
    found = routes({p.name: p.node for p in properties if p.node is not None})
    schema = RunSchema(
        properties=tuple(properties),
        additional_properties=additional,
        title=str(document.get("title", "")),
        sha256=canonical_sha256(published),
        document=document,
        nodes=tuple(nodes),
        places={n.place: (n, *found[id(n)]) for n in nodes if id(n) in found and n.ref is None},
        dependent_required={k: tuple(v) for k, v in dependent.items()},
        recursion=_recursion(properties),
        draft=translation.draft,
        published=None if document is published else published,
        ignored=translation.ignored,
    )
    _check_generable(schema)
    return schema


def _record_shaped(document: Mapping[str, Any]) -> bool:
    """Whether the schema is the flat record shape the kit reads property by property (a
    ``type: object`` root with properties, required, additionalProperties true or false,
    dependentRequired and definitions): otherwise it is compiled whole (:func:`_root_schema`),
    an object of no named properties (``{"type": "object"}``) too."""
    return (
        not set(document) - _ROOT_KEYWORDS
        and document.get("type") in ("object", ["object"])
        and isinstance(document.get("additionalProperties", True), bool)
        and isinstance(document.get("properties"), dict)
        and bool(document["properties"])
    )


def _root_schema(
    document: Mapping[str, Any], translation: Translation, published: Mapping[str, Any]
) -> RunSchema:
    """A schema of any other shape, compiled whole: its records are the root node's
    values, and every place under it, the root's own included, has its requirements."""
    check_references(document)
    compiler = Compiler(document, _SubschemaCheck(document, translation.draft))
    root = compiler.node("", document, "")
    nodes = compiler.nodes()
    found = routes({"": root})
    schema = RunSchema(
        properties=(),
        additional_properties=True,
        title=str(document.get("title", "")),
        sha256=canonical_sha256(published),
        document=document,
        nodes=tuple(nodes),
        places={
            n.place or ROOT: (n, *found[id(n)]) for n in nodes if id(n) in found and n.ref is None
        },
        root=root,
        draft=translation.draft,
        published=None if document is published else published,
        ignored=translation.ignored,
    )
    for src in (MinimalSource(), RandomSource(0), RandomSource(1)):
        try:
            gen_node(src, root, 0, plain=isinstance(src, MinimalSource))
        except Unsatisfiable as exc:
            raise SchemaError(f"the kit found no value the schema accepts: {exc}") from None
    return schema


def _recursion(properties: list[PropertySpec]) -> tuple[str, tuple[Step, ...]] | None:
    """The shortest way from the record to a ``$ref`` back to the whole schema."""
    roots = {p.name: p.node for p in properties if p.node is not None}
    found = routes(roots)
    best: tuple[str, tuple[Step, ...]] | None = None
    for node in (n for p in roots.values() for n in _walk(p)):
        if node.ref is not None and node.ref.schema_path == "":
            where = found.get(id(node))
            if where is not None and (best is None or len(where[1]) < len(best[1])):
                best = where
    return best


def _walk(node: Node) -> list[Node]:
    seen: dict[int, Node] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        stack += [*n.properties.values(), *n.prefix_items, *n.pattern_properties.values()]
        stack += [
            x for x in (n.items, n.additional, n.contains, n.property_names) if isinstance(x, Node)
        ]
        if n.ref is not None and n.ref.schema_path != "":
            stack.append(n.ref)
    return list(seen.values())


class _SubschemaCheck:
    """The oracle's verdict on a part of the schema.  The validator is made when first
    asked, and one for each part asked of, kept with the part (so that its ``id`` is not
    reused while kept): making one is most of the cost of a small check."""

    _KEEP = 1024

    def __init__(self, document: Mapping[str, Any], draft: str) -> None:
        self._document = document
        self._draft = draft
        self._validator: Any = None
        self._parts: dict[int, tuple[Any, Any]] = {}

    def __call__(self, subschema: Any, value: Any) -> bool:
        kept = self._parts.get(id(subschema))
        if kept is None or kept[0] is not subschema:
            if self._validator is None:
                # The kit's reading: a generated valid value is valid under every reading.
                self._validator = subschema_validator(
                    self._document, reading=OPENAPI_FORMAT, draft=self._draft
                )
            if len(self._parts) >= self._KEEP:
                self._parts.clear()
            kept = (subschema, self._validator.evolve(schema=subschema))
            self._parts[id(subschema)] = kept
        return bool(kept[1].is_valid(value))


def _check_generable(schema: RunSchema) -> None:
    """Refuse a schema whose properties no value can be generated for, naming where."""
    for spec in schema.properties:
        if spec.node is None:
            continue
        for src in (MinimalSource(), RandomSource(0), RandomSource(1)):
            try:
                gen_node(src, spec.node, 1, plain=isinstance(src, MinimalSource))
            except Unsatisfiable as exc:
                raise SchemaError(
                    f"properties/{spec.name}: the kit found no value this subschema accepts: {exc}"
                ) from None


def load_schema(path: str | os.PathLike[str] | None = None, draft: str | None = None) -> RunSchema:
    """The packaged run schema, or the one at ``path`` (read as ``draft`` when it has no
    ``$schema``; the documents its ``$ref`` names are read from its folder)."""
    if path is None:
        text = (
            resources.files("inngest_conformance.strategies")
            .joinpath("data/inngest-run.schema.json")
            .read_text()
        )
        where = "the packaged run schema"
    else:
        where = os.fspath(path)
        text = read_text(path, "schema", SchemaError)
    try:
        document = json.loads(text, **JSON_HOOKS)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"schema {where} is not JSON: {exc}") from None
    except RecursionError:
        # Python's JSON reader recurses per level; :func:`check_document` words the limit.
        raise SchemaError(
            f"schema {where}: nests deeper than Python's JSON reader goes (about a thousand "
            "levels of arrays and objects); the kit reads schemas up to its depth limit "
            "(see 'Limits' in the documentation's 'The schema vocabulary')"
        ) from None
    # The folder of a schema given by path holds the documents it refers to.
    folder = Path(path).parent if path is not None else None
    try:
        return schema_from_dict(document, draft, schema_dir=folder)
    except SchemaError as exc:
        raise SchemaError(f"schema {where}: {exc}") from None


@functools.cache
def default_schema() -> RunSchema:
    """The packaged run schema, read once."""
    return load_schema()
