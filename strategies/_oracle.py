"""The one reference check that decides whether a record is valid.

Draft 2020-12 validation by python-jsonschema, with format *assertion* and the kit's own
strict RFC 3339 ``date-time`` check registered explicitly.  python-jsonschema's default
format checker silently skips ``date-time`` unless an optional package is installed, and that
package is wrong about leap seconds and lower-case ``t``/``z``; the oracle never depends on
what happens to be installed.

What "valid" means is the dialect's: a format outside its vocabulary (OpenAPI's ``int32``,
``int64``) is ignored, as every draft 2020-12 validator ignores it.  The kit's own reading
of those formats is asked for by name (``reading="openapi-format"``): a generated valid
record is valid under it too, and a case that breaks only such a format is judged by it
(its ``Violation.reading`` says so).

Errors are normalised so that a label can be compared with them: one error per missing
required property and per unexpected property, each located at the property concerned
(``/run_id``), not at the object that contains it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from inngest_conformance._encode import pointer
from inngest_conformance.strategies._rfc3339 import datetime_error
from inngest_conformance.strategies._schema import RunSchema, default_schema
from inngest_conformance.strategies._validation import subschema_validator
from jsonschema.exceptions import ValidationError


@dataclass(frozen=True, slots=True)
class OracleError:
    """One reason a document is invalid."""

    keyword: str
    path: str
    """JSON pointer to the offending instance location (the property, for required and
    additionalProperties)."""
    schema_path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "keyword": self.keyword,
            "path": self.path,
            "schema_path": self.schema_path,
            "message": self.message,
        }


def _is_type(value: Any, kind: str) -> bool:
    """JSON Schema's type test: booleans are not numbers; 1.0 is an integer."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return kind == "number" or isinstance(value, int) or value.is_integer()


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality, where ``true`` is not ``1`` and ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


class Oracle:
    """Decides validity against one :class:`RunSchema`."""

    __slots__ = ("_known", "_readings", "_validator", "schema")

    def __init__(self, schema: RunSchema | None = None) -> None:
        self.schema = schema or default_schema()
        self._validator = subschema_validator(self.schema.document, draft=self.schema.draft)
        self._readings: dict[str, Any] = {}
        self._known = {p.name: p for p in self.schema.properties}

    def _judge(self, reading: str | None) -> Any:
        """The validator of the dialect, or of the dialect and ``reading`` (made when first
        asked for)."""
        if reading is None:
            return self._validator
        judge = self._readings.get(reading)
        if judge is None:
            judge = self._readings[reading] = subschema_validator(
                self.schema.document, reading=reading, draft=self.schema.draft
            )
        return judge

    def is_valid(self, instance: Any, *, reading: str | None = None) -> bool:
        """Whether ``instance`` is valid to the dialect (and, with ``reading``, under that
        reading of the kit's too)."""
        return bool(self._judge(reading).is_valid(instance))

    def fast_is_valid(self, instance: Any, *, reading: str | None = None) -> bool:
        """The same decision as :meth:`is_valid`, computed straight from the analysed schema.

        For a flat schema (the run schema) the few facts the analysis keeps (required,
        additionalProperties, each property's types, enum and format) are the whole
        schema; checking them directly is about six times faster than the general
        validator.  A schema with compiled subschemas is judged by the general validator.
        The tests hold the two to the same verdict on tens of thousands of valid, invalid
        and arbitrary documents; bulk fixtures use this one.  (A flat schema has no format
        of a reading: ``reading`` changes nothing there.)
        """
        if not self.schema.flat:
            return self.is_valid(instance, reading=reading)
        return next(self._problems(instance), None) is None

    def fast_error_keys(
        self, instance: Any, *, reading: str | None = None
    ) -> list[tuple[str, str]]:
        """``(path, keyword)`` of every error :meth:`errors` gives, sorted, without the
        general validator (as :meth:`fast_is_valid`, and held to :meth:`errors` by the
        tests the same way): what a label check needs, for bulk fixtures."""
        if not self.schema.flat:
            return sorted({(e.path, e.keyword) for e in self.errors(instance, reading=reading)})
        return sorted(set(self._problems(instance)))

    def _problems(self, instance: Any) -> Iterator[tuple[str, str]]:
        if not isinstance(instance, dict):
            yield "", "type"
            return
        known = self._known
        for name in self.schema.required:
            if name not in instance:
                yield pointer(name), "required"
        for name, value in instance.items():
            spec = known.get(name)
            if spec is None:
                if not self.schema.additional_properties:
                    yield pointer(name), "additionalProperties"
                continue
            if spec.types and not any(_is_type(value, t) for t in spec.types):
                yield pointer(name), "type"
            if spec.enum is not None and not any(_json_equal(value, m) for m in spec.enum):
                yield pointer(name), "enum"
            if spec.format == "date-time" and isinstance(value, str) and datetime_error(value):
                yield pointer(name), "format"

    def errors(self, instance: Any, *, reading: str | None = None) -> list[OracleError]:
        """Every reason ``instance`` is invalid to the dialect (with ``reading``, under that
        reading of the kit's too), sorted by path then keyword."""
        out: list[OracleError] = []
        for error in self._judge(reading).iter_errors(instance):
            out.extend(self._normalise(error))
        return sorted(dict.fromkeys(out), key=lambda e: (e.path, e.keyword, e.message))

    def _normalise(self, error: ValidationError) -> list[OracleError]:
        where = pointer(*error.absolute_path)
        schema_path = pointer(*error.absolute_schema_path)
        keyword = str(error.validator)
        if keyword == "required" and isinstance(error.instance, dict):
            return [
                OracleError(
                    "required",
                    where + pointer(name),
                    schema_path,
                    f"{name!r} is a required property",
                )
                for name in error.validator_value
                if name not in error.instance
            ]
        if keyword == "additionalProperties" and isinstance(error.instance, dict):
            known = (
                set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
            )
            patterns = (
                error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
            )
            return [
                OracleError(
                    "additionalProperties",
                    where + pointer(name),
                    schema_path,
                    f"{name!r} is not a property the schema allows",
                )
                for name in error.instance
                if name not in known and not any(re.search(p, name) for p in patterns)
            ]
        message = error.message if keyword != "format" else str(error.cause or error.message)
        return [OracleError(keyword, where, schema_path, message)]


@functools.cache
def default_oracle() -> Oracle:
    """The oracle for the packaged run schema, built once."""
    return Oracle()
