"""Small encodings every part of the kit shares: JSON pointers, canonical JSON, one-line text.

Each is written once here so that two places that must agree (a label's path and the
oracle's, a hash written into a report and the one a third party recomputes) cannot drift
apart.  It imports nothing of the kit, so every layer may use it: the generation layer, the
engine, and an adapter in a harness process that must not load Hypothesis.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = [
    "UNPAIRED",
    "canonical_json",
    "canonical_sha256",
    "clip",
    "content_id",
    "digest",
    "escape_pointer",
    "json_line",
    "one_line",
    "pointer",
    "short_repr",
]


#: The ``errors`` of every text file the kit writes.  A value may hold a lone surrogate
#: (JSON's ``"\ud800"`` reads as one): UTF-8 cannot encode it, and ``backslashreplace``
#: writes the escape ``\ud800`` instead, which inside a JSON string reads back as the same
#: value and elsewhere (Markdown, HTML, a terminal) shows it.
UNPAIRED = "backslashreplace"


def escape_pointer(token: str) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """A JSON pointer from reference tokens: ``pointer("a", 0)`` is ``/a/0``."""
    return "".join("/" + escape_pointer(str(t)) for t in tokens)


def canonical_json(value: Any, *, ensure_ascii: bool = False) -> str:
    """``value`` as canonical JSON: keys sorted, no spaces, non-ASCII characters as
    themselves (escaped with ``ensure_ascii``).  Equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii)


#: Characters some line readers take for a line break (Python's ``str.splitlines``, for one),
#: with their JSON escapes.  They only ever occur inside JSON strings, where an escape means
#: the same.
_LINE_BREAKS = (("\x85", "\\u0085"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def json_line(text: str) -> str:
    """JSON ``text`` as one line whatever splits it: U+0085, U+2028 and U+2029 escaped (a
    newline, the only other break, is always escaped in JSON)."""
    for char, escape in _LINE_BREAKS:
        if char in text:  # a search in C: most lines hold none
            text = text.replace(char, escape)
    return text + "\n"


def canonical_sha256(value: Any, *, ensure_ascii: bool = False) -> str:
    """Hex SHA-256 of the UTF-8 bytes of :func:`canonical_json`."""
    text = canonical_json(value, ensure_ascii=ensure_ascii)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_id(value: Any) -> str:
    """A stable id for a case or a fixture: the first 16 hex digits of the SHA-256 of its
    canonical JSON (lone surrogates hashed as they are)."""
    return digest(canonical_json(value))


def digest(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``text`` (lone surrogates kept)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clip(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters ending in ``...`` when it is longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(text: str) -> str:
    """``text`` on one line: each run of whitespace (line breaks included) one space."""
    return " ".join(text.split())


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` clipped to ``limit``: how a message quotes an offending value."""
    return clip(repr(value), limit)
