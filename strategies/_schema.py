"""Reading a run schema into the few facts generation and judging are derived from.

Everything the kit generates and every requirement it checks follows from this analysis:
the properties, which are required, each one's JSON types, enum and format, and whether
unknown properties are allowed.  Nothing about the run record is hard-coded elsewhere, so
a newer schema (one more status, one more property) changes the kit's behaviour with no
code change.  A schema using keywords the kit cannot derive cases from is refused up front,
naming them, rather than silently generating cases that ignore them.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from inngest_conformance._encode import canonical_sha256, pointer
from inngest_conformance.errors import SchemaError as SchemaError  # re-exported
from inngest_conformance.strategies._files import read_text

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
SUPPORTED_FORMATS = ("date-time",)

# Annotations: they never change validity, so they are allowed anywhere.
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_ROOT_KEYWORDS = _ANNOTATIONS | {"type", "required", "properties", "additionalProperties"}
_PROPERTY_KEYWORDS = _ANNOTATIONS | {"type", "enum", "format", "additionalProperties"}


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One property of the run record, as the schema describes it."""

    name: str
    types: tuple[str, ...]
    """JSON types allowed; empty means any."""
    enum: tuple[Any, ...] | None
    format: str | None
    required: bool

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
    def statuses(self) -> tuple[str, ...]:
        """The ``status`` property's enum: the states the lifecycle model speaks of."""
        if not self.has("status"):
            return ()
        spec = self.spec("status")
        return tuple(v for v in spec.enum or () if isinstance(v, str))


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


def _unsupported(where: str, keys: set[str]) -> SchemaError:
    names = ", ".join(sorted(keys))
    return SchemaError(
        f"{where} uses {names}, which the kit cannot derive cases from; "
        "supported: type, required, properties, additionalProperties, enum, "
        "format (date-time) and annotations"
    )


def _property(name: str, sub: Any, required: bool) -> PropertySpec:
    where = f"properties/{name}"
    if sub is True or sub == {}:
        return PropertySpec(name, (), None, None, required)
    if not isinstance(sub, dict):
        raise SchemaError(f"{where}: a property schema must be an object, not {sub!r}")
    extra = set(sub) - _PROPERTY_KEYWORDS
    if extra:
        raise _unsupported(where, extra)
    types = _types(where, sub.get("type"))
    enum = sub.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        raise SchemaError(f"{where}: 'enum' must be a non-empty list, not {enum!r}")
    fmt = sub.get("format")
    if fmt is not None and fmt not in SUPPORTED_FORMATS:
        raise SchemaError(
            f"{where}: format {fmt!r} is not supported; the kit checks formats "
            f"{', '.join(SUPPORTED_FORMATS)}"
        )
    extra_props = sub.get("additionalProperties", True)
    if extra_props is not True:
        raise _unsupported(where, {"additionalProperties"})
    return PropertySpec(name, types, tuple(enum) if enum is not None else None, fmt, required)


def schema_from_dict(document: Any) -> RunSchema:
    """Analyse a schema document; :class:`SchemaError` says what is wrong and where."""
    if not isinstance(document, dict):
        raise SchemaError(f"a run schema must be a JSON object, not {type(document).__name__}")
    dialect = document.get("$schema", DRAFT_2020_12)
    if not isinstance(dialect, str) or dialect.rstrip("#") != DRAFT_2020_12:
        raise SchemaError(f"$schema is {dialect!r}; the kit reads draft 2020-12 ({DRAFT_2020_12})")
    extra = set(document) - _ROOT_KEYWORDS
    if extra:
        raise _unsupported("the schema", extra)
    if _types("the schema", document.get("type")) != ("object",):
        raise SchemaError("the schema's 'type' must be 'object': a run record is a JSON object")
    props = document.get("properties", {})
    if not isinstance(props, dict) or not props:
        raise SchemaError("the schema has no 'properties' to derive records from")
    required = document.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise SchemaError(f"'required' must be a list of property names, not {required!r}")
    missing = [r for r in required if r not in props]
    if missing:
        raise SchemaError(f"'required' names {missing[0]!r}, which 'properties' does not define")
    additional = document.get("additionalProperties", True)
    if not isinstance(additional, bool):
        raise _unsupported(
            "the schema's additionalProperties (a subschema)", {"additionalProperties"}
        )
    return RunSchema(
        properties=tuple(_property(n, s, n in required) for n, s in props.items()),
        additional_properties=additional,
        title=str(document.get("title", "")),
        sha256=canonical_sha256(document),
        document=document,
    )


def load_schema(path: str | os.PathLike[str] | None = None) -> RunSchema:
    """The packaged run schema, or the one at ``path``."""
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
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"schema {where} is not JSON: {exc}") from None
    try:
        return schema_from_dict(document)
    except SchemaError as exc:
        raise SchemaError(f"schema {where}: {exc}") from None


@functools.cache
def default_schema() -> RunSchema:
    """The packaged run schema, read once."""
    return load_schema()
