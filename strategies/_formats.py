"""The formats the oracle asserts, besides ``date-time``: each a strict check of its RFC.

Draft 2020-12 makes ``format`` an annotation unless a validator opts into assertion; the
kit's oracle asserts every format of the dialect's vocabulary it generates for
(:data:`STRING_FORMATS`), at the ``format`` level, and never relies on what optional
packages happen to be installed (python-jsonschema skips ``time`` and ``uri`` without
them, and its ``email`` check is only "has an @").  The near misses of each format
(:data:`NEAR_MISSES`) are malformed under any reading of its RFC, so a validator that
reads an RFC more liberally than this oracle never fails a requirement for it.

``int32`` and ``int64`` are OpenAPI's, not JSON Schema's: a draft 2020-12 validator
ignores a format its vocabulary does not define, even with format assertion on.  The kit
asserts them only under a *reading* of its own (:data:`READINGS`), which a record is
judged by only when asked: a value outside their range is valid JSON Schema, and a case
that breaks one says so (``Violation.reading``).

Every check takes ASCII digits only: Python's ``\\d`` also matches other scripts' digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from inngest_conformance.strategies._rfc3339 import datetime_error

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")
_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*"
)


def date_error(value: str) -> str | None:
    """Why ``value`` is not an RFC 3339 ``full-date`` (``None`` if it is one)."""
    if not _DATE.fullmatch(value):
        return f"{value!r} is not a date of the form YYYY-MM-DD"
    if datetime_error(value + "T00:00:00Z"):
        return f"{value!r} is not a day of the calendar"
    return None


def time_error(value: str) -> str | None:
    """Why ``value`` is not an RFC 3339 ``full-time`` (with its offset, as JSON Schema asks)."""
    if not _TIME.fullmatch(value):
        return f"{value!r} is not a time of the form HH:MM:SS[.frac] with Z or an offset"
    # A day that ended with a leap second, so that 23:59:60 (in UTC) is a time.
    reason = datetime_error("2016-12-31T" + value)
    return None if reason is None else f"{value!r} is not a time of day: {reason}"


def uuid_error(value: str) -> str | None:
    if not _UUID.fullmatch(value):
        return f"{value!r} is not a UUID in its 8-4-4-4-12 hexadecimal form"
    return None


def email_error(value: str) -> str | None:
    if not _EMAIL.fullmatch(value):
        return f"{value!r} is not an email address (local part @ domain)"
    return None


def uri_error(value: str) -> str | None:
    if not _URI.fullmatch(value):
        return f"{value!r} is not an absolute URI (RFC 3986: a scheme, then no spaces)"
    return None


#: An internationalized address: the same shape, any letters (RFC 6531).
_IDN_EMAIL = re.compile(
    r"[^\s@\"(),:;<>\[\]\\.]+(?:\.[^\s@\"(),:;<>\[\]\\.]+)*@[^\s@.]+(?:\.[^\s@.]+)*"
)
#: A relative reference (RFC 3986, section 4.2): no scheme, and what a URI may hold.
_RELATIVE_REF = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*")
#: What Python's regex syntax has and ECMA-262's (the dialect of ``pattern`` and of the
#: ``regex`` format) does not: named groups spelled ``(?P``, ``\\A``, ``\\Z``, comments,
#: inline flags.
_NOT_ECMA = re.compile(r"\(\?P|\(\?#|\(\?[aiLmsux]+[:)]|\\[AZ]")


def idn_email_error(value: str) -> str | None:
    if not _IDN_EMAIL.fullmatch(value):
        return f"{value!r} is not an email address (local part @ domain, any letters)"
    return None


def uri_reference_error(value: str) -> str | None:
    if uri_error(value) is None:
        return None
    head = value.split("/", 1)[0]
    if _RELATIVE_REF.fullmatch(value) and ":" not in head.split("?", 1)[0].split("#", 1)[0]:
        return None
    return f"{value!r} is not a URI reference (RFC 3986: a URI or a relative reference)"


def regex_error(value: str) -> str | None:
    """Why ``value`` is not a regular expression of ECMA-262, as far as Python's parser and
    the syntax the two do not share tell."""
    try:
        re.compile(value)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"{value!r} is not a regular expression: {exc}"
    if _NOT_ECMA.search(value):
        return f"{value!r} uses a syntax of Python's regular expressions that ECMA-262 lacks"
    return None


STRING_FORMATS: dict[str, Callable[[str], str | None]] = {
    "date-time": datetime_error,
    "date": date_error,
    "time": time_error,
    "uuid": uuid_error,
    "email": email_error,
    "idn-email": idn_email_error,
    "uri": uri_error,
    "uri-reference": uri_reference_error,
    "regex": regex_error,
}

#: The format vocabulary of draft 2020-12 (its section 7.3): the formats a validator of the
#: dialect may assert.  It ignores any other, format assertion on or off.
DIALECT_FORMATS = frozenset(
    {
        "date-time",
        "date",
        "time",
        "duration",
        "email",
        "idn-email",
        "hostname",
        "idn-hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uuid",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
        "regex",
    }
)

#: Integer formats (OpenAPI's; outside the dialect's vocabulary, asserted only under the
#: ``openapi-format`` reading).
INTEGER_FORMATS: dict[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}

SUPPORTED_FORMATS = (*STRING_FORMATS, *INTEGER_FORMATS)


@dataclass(frozen=True, slots=True)
class Reading:
    """A reading of the kit's beyond the dialect: formats it asserts that the dialect's
    vocabulary does not define.  A record invalid only under a reading is valid to every
    validator of the dialect; a requirement about it is a SHOULD, and its cases' violations
    name the reading (``Violation.reading``)."""

    name: str
    formats: tuple[str, ...]
    note: str
    """What a case invalid under the reading says of itself (a test-suite file's comment)."""


OPENAPI_FORMAT = "openapi-format"
#: The kit's readings, by name.
READINGS: dict[str, Reading] = {
    OPENAPI_FORMAT: Reading(
        OPENAPI_FORMAT,
        tuple(INTEGER_FORMATS),
        "invalid under OpenAPI's formats int32 and int64, the kit's reading: JSON Schema's "
        "draft 2020-12 does not define them, so a validator of the dialect accepts this",
    )
}


def reading_of(fmt: str | None) -> str | None:
    """The reading under which the kit asserts ``fmt`` (``None``: the dialect asserts it)."""
    return next((r.name for r in READINGS.values() if fmt in r.formats), None)


def format_error(fmt: str, value: object) -> str | None:
    """Why ``value`` breaks ``fmt`` (``None``: it does not, or the format does not apply
    to its type, as JSON Schema has it)."""
    check = STRING_FORMATS.get(fmt)
    if check is not None:
        return check(value) if isinstance(value, str) else None
    bounds = INTEGER_FORMATS.get(fmt)
    if bounds is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            return f"{value!r} is not an integer ({fmt})"
        if not bounds[0] <= value <= bounds[1]:
            return f"{value!r} is outside the range of {fmt}"
    return None


_EMAIL_MISSES: dict[str, str | int] = {
    "no-at": "user.example.com",
    "two-ats": "user@@example.com",
    "no-local-part": "@example.com",
    "no-domain": "user@",
    "space": "user name@example.com",
    "trailing-newline": "user@example.com\n",
}

#: Near misses of each format, by name: malformed under any reading of the RFC.
NEAR_MISSES: dict[str, dict[str, str | int]] = {
    "date": {
        "day-out-of-month": "2024-02-30",
        "month-13": "2024-13-01",
        "unpadded": "2024-1-5",
        "basic-format": "20240105",
        "date-time": "2024-01-05T00:00:00Z",
        "trailing-newline": "2024-01-05\n",
        "non-ascii-digits": "٢٠٢٤-01-05",
        "slashes": "2024/01/05",
    },
    "time": {
        "hour-25": "25:00:00Z",
        "no-offset": "12:00:00",
        "no-seconds": "12:00Z",
        "minute-60": "12:60:00Z",
        "offset-without-colon": "12:00:00+0100",
        "date-time": "2024-01-05T12:00:00Z",
    },
    "uuid": {
        "no-hyphens": "0f8fad5bd9cb469fa16570867728950e",
        "too-short": "0f8fad5b-d9cb-469f-a165-70867728950",
        "not-hex": "0f8fad5b-d9cb-469f-a165-70867728950g",
        "braces": "{0f8fad5b-d9cb-469f-a165-70867728950e}",
        "urn": "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
        "trailing-newline": "0f8fad5b-d9cb-469f-a165-70867728950e\n",
    },
    "email": _EMAIL_MISSES,
    "uri": {
        "relative": "/runs/01H",
        "no-scheme": "example.com/runs",
        "space": "https://example.com/a run",
        "empty": "",
        "bad-percent": "https://example.com/%zz",
        "trailing-newline": "https://example.com/\n",
    },
    # Malformed in any script: the same near misses as ``email``.
    "idn-email": dict(_EMAIL_MISSES),
    "uri-reference": {
        "space": "/runs/a run",
        "bad-percent": "/runs/%zz",
        "backslash": "\\runs\\01H",
        "trailing-newline": "/runs/01H\n",
    },
    "regex": {
        "open-group": "(ab",
        "open-class": "[a-",
        "nothing-to-repeat": "*a",
        "reversed-range": "[z-a]",
        "reversed-count": "a{2,1}",
        "unmatched-parenthesis": "a)",
        "trailing-backslash": "a\\",
    },
    "int32": {"above": 2**31, "below": -(2**31) - 1},
    "int64": {"above": 2**63, "below": -(2**63) - 1},
}
