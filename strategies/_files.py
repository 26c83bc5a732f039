"""Reading the user's files: one place for the one-line errors a user sees, and the limits.

A schema, a lifecycle table, a report or a baseline is read whole, so it must be a regular
file of bounded size: a FIFO would block for ever and ``/dev/zero`` would fill the memory.
JSON the user gives is JSON as RFC 8259 has it: Python's parser also takes ``NaN``,
``Infinity`` and ``1e999`` (which no other parser reads the same way) and keeps the last of
two equal keys, so :func:`strict_json` refuses all four.
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any

#: The largest file :func:`read_text` reads, in bytes; the environment variable
#: ``INNGEST_CONFORMANCE_MAX_FILE_MB`` sets another (in MiB).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_FILE_VARIABLE = "INNGEST_CONFORMANCE_MAX_FILE_MB"


def max_file_bytes() -> int:
    """The size limit in force for a file read whole (see :data:`MAX_FILE_BYTES`)."""
    text = os.environ.get(MAX_FILE_VARIABLE, "").strip()
    try:
        return max(1, int(float(text) * 1024 * 1024)) if text else MAX_FILE_BYTES
    except ValueError:
        return MAX_FILE_BYTES


def read_text(path: str | os.PathLike[str], what: str, error: type[ValueError]) -> str:
    """The UTF-8 text of ``path``; ``error`` with one line naming ``what`` and the path,
    also for a file that is not a regular file or is larger than :func:`max_file_bytes`."""
    where = os.fspath(path)
    limit = max_file_bytes()
    try:
        info = os.stat(where)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"cannot read {what} {where}: it is not a regular file")
        with open(where, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {where}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise error(
            f"cannot read {what} {where}: it is larger than {limit // (1024 * 1024) or 1} MiB "
            f"(set {MAX_FILE_VARIABLE} for a larger limit)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"cannot read {what} {where}: it is not UTF-8 text") from None


class NotStrictJson(ValueError):
    """Text Python's parser reads but RFC 8259 JSON is not (see :func:`strict_json`)."""


def _constant(name: str) -> Any:
    raise NotStrictJson(f"{name} is not JSON")


def _number(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotStrictJson(f"{text} is beyond a double's range")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # longer than the digits Python converts (sys.get_int_max_str_digits)
        raise NotStrictJson(f"an integer of {len(text)} digits is too long to read") from None


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise NotStrictJson(f"key {key!r} appears twice in one object")
        out[key] = value
    return out


def strict_json(text: str) -> Any:
    """``text`` parsed as RFC 8259 JSON; :class:`NotStrictJson` (a ``ValueError``, with why)
    for ``NaN``, ``Infinity``, a number beyond a double's range, an integer too long to
    convert or a repeated key, and :class:`json.JSONDecodeError` for text that is no JSON
    at all; :class:`RecursionError` is left to the caller (nesting deeper than Python)."""
    return json.loads(
        text,
        parse_constant=_constant,
        parse_float=_number,
        parse_int=_integer,
        object_pairs_hook=_object,
    )
