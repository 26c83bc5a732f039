"""How large a value the kit builds and how deep a schema it reads: the limits a hostile or
faulty schema meets, each with a one-line refusal rather than a hang, a traceback or memory
exhausted.

A JSON Schema may ask for values no run could hold (``maxItems: 1000000000``) or nest
deeper than Python's recursion goes; the kit reads every document first with one iterative
walk (:func:`check_document`) and builds no string, array or object larger than
:func:`max_size`.  Both limits may be raised through the environment, which a worker
process inherits: ``INNGEST_CONFORMANCE_MAX_SIZE`` and ``INNGEST_CONFORMANCE_MAX_DEPTH``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, TypeVar

from inngest_conformance._encode import clip, pointer
from inngest_conformance.errors import ConformanceError, UsageError

T = TypeVar("T")

SIZE_VARIABLE = "INNGEST_CONFORMANCE_MAX_SIZE"
DEPTH_VARIABLE = "INNGEST_CONFORMANCE_MAX_DEPTH"

#: Most characters of a string, items of an array or properties of an object the kit builds
#: (a value at a bound above it is not built: see 'Limits' in docs/reference/schema-vocabulary.md).
MAX_SIZE = 10_000
#: Deepest nesting of JSON arrays and objects in a schema or lifecycle document.
MAX_DEPTH = 64
#: Highest :data:`MAX_DEPTH` may be raised to: deeper, Python's own recursion gives out.
DEPTH_CEILING = 200
#: Most digits of an integer in a schema: past it, a number is beyond every double.
MAX_DIGITS = 309


#: Most members of one enum tried by name each run (``accepts-every-value``): each check of
#: a value reads the whole enum, so trying each of 100000 would take most of an hour.
MAX_MEMBERS = 256


def spread(items: Sequence[T], most: int) -> tuple[T, ...]:
    """``items``, or ``most`` of them spread evenly from the first to the last where there
    are more: the same every run."""
    n = len(items)
    if n <= most:
        return tuple(items)
    return tuple(items[i * (n - 1) // (most - 1)] for i in range(most))


def _limit(variable: str, default: int, ceiling: int | None = None) -> int:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1 or (ceiling is not None and int(text) > ceiling):
        top = f" up to {ceiling}" if ceiling is not None else ""
        raise UsageError(f"{variable} is {text!r}; write a positive whole number{top}")
    return int(text)


def max_size() -> int:
    """The most characters, items or properties of one value the kit builds."""
    return _limit(SIZE_VARIABLE, MAX_SIZE)


def max_depth() -> int:
    """The deepest nesting of a schema or lifecycle document the kit reads."""
    return _limit(DEPTH_VARIABLE, MAX_DEPTH, DEPTH_CEILING)


class Unreadable:
    """What :func:`json_hooks` puts in place of a JSON number the kit cannot take (NaN,
    Infinity, an integer of more digits than :data:`MAX_DIGITS`): :func:`check_document`
    then names its place."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_int(text: str) -> int | Unreadable:
    digits = len(text.lstrip("-"))
    return Unreadable(f"an integer of {digits} digits") if digits > MAX_DIGITS else int(text)


def _parse_constant(text: str) -> Unreadable:
    return Unreadable(text)


#: Keyword arguments for :func:`json.loads` of a schema or table: numbers JSON does not have
#: (NaN, Infinity) and integers too long to convert are kept as :class:`Unreadable`.
JSON_HOOKS: dict[str, Any] = {"parse_int": _parse_int, "parse_constant": _parse_constant}


def _place(what: str, path: tuple[str | int, ...]) -> str:
    where = clip(pointer(*path), 120) or "/"
    return f"{what} {where}" if what else where


def check_document(document: Any, what: str, error: type[ConformanceError]) -> None:
    """Refuse, in one line naming the place (``what`` and a JSON pointer, the pointer cut
    short where it is long), a document nested deeper than
    :func:`max_depth`, or holding a number JSON does not have (NaN, Infinity, an integer
    beyond every double): the kit's readers and Python's recursion would give out on it.
    The walk itself is iterative, so any depth is met with this error."""
    limit = max_depth()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, (dict, list)):
            if len(path) >= limit:
                raise error(
                    f"{_place(what, path)}: nests deeper than {limit} levels of "
                    f"arrays and objects (the kit's limit; {DEPTH_VARIABLE} raises it up to "
                    f"{DEPTH_CEILING})"
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((v, (*path, k)) for k, v in reversed(list(items)))
            continue
        bad = _unreadable(value)
        if bad is not None:
            raise error(
                f"{_place(what, path)}: {bad} is not a number the kit reads; "
                "JSON has no NaN or Infinity, and a number must fit a double (about 1.8e308)"
            )


def _unreadable(value: Any) -> str | None:
    if isinstance(value, Unreadable):
        return value.text
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        try:
            float(value)
        except OverflowError:
            return f"an integer of {len(str(value).lstrip('-'))} digits"
    return None
