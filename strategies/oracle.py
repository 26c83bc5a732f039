"""The one reference check that decides whether a record is valid.

Draft 2020-12 validation by python-jsonschema, with format *assertion* and the kit's own
strict RFC 3339 ``date-time`` check registered explicitly.  python-jsonschema's default
format checker silently skips ``date-time`` unless an optional package is installed, and that
package is wrong about leap seconds and lower-case ``t``/``z``; the oracle never depends on
what happens to be installed.

Errors are normalised so that a label can be compared with them: one error per missing
required property and per unexpected property, each located at the property concerned
(``/run_id``), not at the object that contains it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from strategies.datetimes import datetime_error
from strategies.schema import RunSchema, default_schema, escape_pointer, pointer


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


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    def _date_time(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        reason = datetime_error(instance)
        if reason is not None:
            raise ValueError(reason)
        return True

    checker.checks("date-time", raises=ValueError)(_date_time)
    return checker


def _path(tokens: Iterable[Any]) -> str:
    return "".join("/" + escape_pointer(str(t)) for t in tokens)


class Oracle:
    """Decides validity against one :class:`RunSchema`."""

    __slots__ = ("_validator", "schema")

    def __init__(self, schema: RunSchema | None = None) -> None:
        self.schema = schema or default_schema()
        self._validator = Draft202012Validator(
            dict(self.schema.document), format_checker=_format_checker()
        )

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def errors(self, instance: Any) -> list[OracleError]:
        """Every reason ``instance`` is invalid, sorted by path then keyword."""
        out: list[OracleError] = []
        for error in self._validator.iter_errors(instance):
            out.extend(self._normalise(error))
        return sorted(dict.fromkeys(out), key=lambda e: (e.path, e.keyword, e.message))

    def _normalise(self, error: ValidationError) -> list[OracleError]:
        where = _path(error.absolute_path)
        schema_path = _path(error.absolute_schema_path)
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
            known = {p.name for p in self.schema.properties}
            return [
                OracleError(
                    "additionalProperties",
                    where + pointer(name),
                    schema_path,
                    f"{name!r} is not a property the schema allows",
                )
                for name in error.instance
                if name not in known
            ]
        message = error.message if keyword != "format" else str(error.cause or error.message)
        return [OracleError(keyword, where, schema_path, message)]


@functools.cache
def default_oracle() -> Oracle:
    """The oracle for the packaged run schema, built once."""
    return Oracle()
