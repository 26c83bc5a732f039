"""The oracle's validator: python-jsonschema's Draft 2020-12, with the kit's format checks.

Format *assertion* for every format of the dialect's vocabulary the kit generates for
(:mod:`._formats`), registered explicitly: python-jsonschema's default format checker
silently skips ``date-time`` unless an optional package is installed, and that package is
wrong about leap seconds and lower-case ``t``/``z``.  The formats of a reading of the
kit's (OpenAPI's ``int32``, ``int64``) are asserted only by a validator made for that
reading: to the dialect they are unknown, and so ignored.  The verdict is
python-jsonschema's; only how errors are grouped differs (see :func:`_grouped`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inngest_conformance.strategies._formats import READINGS, STRING_FORMATS, format_error
from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError


def _format_checker(reading: str | None) -> FormatChecker:
    """Every format of the dialect the kit generates for, and those of ``reading``,
    asserted by the kit's own checks."""
    checker = FormatChecker(formats=())

    def check(fmt: str) -> None:
        def _check(instance: object) -> bool:
            reason = format_error(fmt, instance)
            if reason is not None:
                raise ValueError(reason)
            return True

        checker.checks(fmt, raises=ValueError)(_check)

    for fmt in (*STRING_FORMATS, *(READINGS[reading].formats if reading is not None else ())):
        check(fmt)
    return checker


def _grouped(keyword: str, message: str) -> Any:
    """A validator function for ``keyword`` that reports its subschema's errors as one error
    at the instance it applies to, named for ``keyword``: a label names the keyword, and
    the errors inside a branch are at whatever depth the branch reaches."""

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if keyword == "if":
            if validator.evolve(schema=value).is_valid(instance):
                branch, sub = "then", schema.get("then")
            else:
                branch, sub = "else", schema.get("else")
            if sub is not None:
                inner = next(validator.descend(instance, sub, schema_path=branch), None)
                if inner is not None:
                    yield ValidationError(f"{message} {branch}: {inner.message}", validator=branch)
            return
        if keyword == "propertyNames":
            if not isinstance(instance, dict):
                return
            for name in instance:
                inner = next(validator.descend(name, value), None)
                if inner is not None:
                    yield ValidationError(f"property name {name!r}: {inner.message}")
                    return
            return
        if keyword == "dependentSchemas":
            if not isinstance(instance, dict):
                return
            for name, sub in value.items():
                if name not in instance:
                    continue
                inner = next(validator.descend(instance, sub, schema_path=name), None)
                if inner is not None:
                    yield ValidationError(f"{message} {name!r}: {inner.message}")
                    return
            return
        for i, sub in enumerate(value):  # allOf
            inner = next(validator.descend(instance, sub, schema_path=i), None)
            if inner is not None:
                yield ValidationError(f"{message} {i}: {inner.message}")
                return

    return check


#: Draft 2020-12 with ``if``/``then``/``else``, ``propertyNames``, ``allOf`` and
#: ``dependentSchemas`` errors
#: reported whole, at the instance the keyword applies to (the verdict is the same).
_Validator = validators.extend(
    Draft202012Validator,
    {
        "if": _grouped("if", "matches its if, and not its"),
        "propertyNames": _grouped("propertyNames", ""),
        "allOf": _grouped("allOf", "does not match allOf branch"),
        "dependentSchemas": _grouped("dependentSchemas", "does not match the dependentSchemas of"),
    },
)


#: The same, with draft 4's types: its ``integer`` is a number written without a fraction
#: (``2.0`` is not one), which no keyword of draft 2020-12 can say.
_Validator4 = validators.extend(_Validator, type_checker=Draft4Validator.TYPE_CHECKER)


def subschema_validator(
    document: Mapping[str, Any], *, reading: str | None = None, draft: str = "2020-12"
) -> Any:
    """The oracle's validator for ``document`` (to judge parts of it with ``evolve``):
    the dialect's, or with ``reading`` (a name of :data:`.READINGS`) that reading's
    formats asserted too.  ``document`` is in draft 2020-12 (a translation, see
    :mod:`._drafts`); ``draft`` is the one it was translated from, for the one rule a
    translation cannot carry (draft 4's integers).

    Without its ``$schema`` (the dialect was checked when the schema was read): a
    reference to the whole document would otherwise be judged by the validator class
    registered for the dialect, not this one, and report its errors differently."""
    body = {k: v for k, v in document.items() if k != "$schema"}
    cls = _Validator4 if draft == "4" else _Validator
    return cls(body, format_checker=_format_checker(reading))
