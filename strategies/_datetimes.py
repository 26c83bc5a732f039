"""RFC 3339 ``date-time``: a strict checker, a UTC ordering key, and generators.

Run records carry timestamps that a conformance kit must judge exactly, and the usual
checkers cannot be trusted with that: python-jsonschema silently skips ``date-time``
unless rfc3339-validator is installed, and that validator rejects valid leap seconds and
lower-case ``t``/``z``.  Python's own tools are no substitute either: ``\\d`` and
``str.isdigit`` accept non-ASCII digits, ``$`` matches before a trailing newline, and
:mod:`datetime` cannot represent year 0000, leap seconds or instants that an offset pushes
outside 0001-9999.  So this module reads the RFC 3339 section 5.6 grammar itself, with
ASCII-only patterns and integer calendar arithmetic.

Generators follow :mod:`.strategies._source`: :func:`gen_datetime` yields valid values (its
simplest choices give a plain recent ``...Z`` value), and :data:`MALFORMATIONS` is a
registry of named operators that each break a valid value in one specific way, so a
report can say which rule an implementation under test failed to enforce.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

from inngest_conformance.strategies._source import Source

__all__ = [
    "COMMON_DATETIME",
    "COMMON_YEARS",
    "FRACTION_DIGITS",
    "MALFORMATIONS",
    "Malformation",
    "datetime_error",
    "gen_datetime",
    "gen_malformed_datetime",
    "is_common_datetime",
    "is_rfc3339_datetime",
    "malformation",
    "utc_key",
]

# ---------------------------------------------------------------------------------------
# Grammar and calendar
# ---------------------------------------------------------------------------------------

_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)

#: The common form ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``: a year 1970-2099, upper-case
#: ``T`` and ``Z``, no numeric offset, no leap second, at most 6 fraction digits, ASCII
#: digits.  A value no reasonable implementation argues about: every date-time library
#: (Python's :mod:`datetime`, JavaScript's ``Date``, a 64-bit Unix time) holds it exactly.
#: Use with ``fullmatch``.  Field ranges are checked, but not the calendar (``2023-02-30``
#: matches): pair it with :func:`datetime_error`, or use :func:`is_common_datetime`.
COMMON_DATETIME = re.compile(
    r"(?P<year>19[7-9][0-9]|20[0-9]{2})"
    r"-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12][0-9]|3[01])"
    r"T(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9]):(?P<second>[0-5][0-9])"
    r"(?P<fraction>\.[0-9]{1,6})?Z"
)

#: The years of the common form.
COMMON_YEARS = (1970, 2099)

#: :func:`utc_key` compares fractions of a second to this many digits, more than
#: :func:`gen_datetime` ever writes (20).
FRACTION_DIGITS = 24

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip


def _is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap_year(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 in the proleptic Gregorian calendar, for any year."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """The inverse of :func:`_days_from_civil`."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


_DAY0 = _days_from_civil(0, 1, 1)
_LAST_DAY = _days_from_civil(9999, 12, 31) - _DAY0
_FIRST_COMMON_DAY = _days_from_civil(COMMON_YEARS[0], 1, 1) - _DAY0
_LAST_COMMON_DAY = _days_from_civil(COMMON_YEARS[1], 12, 31) - _DAY0
#: UTC seconds (since 0000-01-01T00:00:00Z) of the first and last common-form seconds.
_MIN_COMMON_SECONDS = _FIRST_COMMON_DAY * 86400
_MAX_COMMON_SECONDS = _LAST_COMMON_DAY * 86400 + 86399


class _Fields(NamedTuple):
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    fraction: str
    offset: int  # minutes east of UTC
    zone: str  # the offset as written


def _parse(value: str) -> _Fields | str:
    """The fields of a valid date-time, or the reason it is not one."""
    m = _DATETIME.fullmatch(value)
    if m is None:
        return _shape_error(value)
    ys, mos, ds, hs, mis, ss, fraction, sign, ohs, oms = m.groups()
    year, month, day = int(ys), int(mos), int(ds)
    hour, minute, second = int(hs), int(mis), int(ss)
    if not 1 <= month <= 12:
        return f"{value!r} has month {mos}; months are 01-12"
    if day == 0:
        return f"{value!r} has day 00; days start at 01"
    last = _days_in_month(year, month)
    if day > last:
        return f"{value!r} has day {day}, but {_MONTH_NAMES[month - 1]} {ys} has {last} days"
    if hour > 23:
        return f"{value!r} has hour {hs}; hours are 00-23"
    if minute > 59:
        return f"{value!r} has minute {mis}; minutes are 00-59"
    if second > 60:
        return f"{value!r} has second {ss}; seconds are 00-59 (60 only for a leap second)"
    offset = 0
    zone = value[m.end(7) if fraction is not None else m.end(6) :]
    if sign is not None:
        oh, om = int(ohs), int(oms)
        if oh > 23:
            return f"{value!r} has offset hour {ohs}; offset hours are 00-23"
        if om > 59:
            return f"{value!r} has offset minute {oms}; offset minutes are 00-59"
        offset = oh * 60 + om if sign == "+" else -(oh * 60 + om)
    if second == 60:
        utc_minute = (hour * 60 + minute - offset) % 1440
        if utc_minute != 1439:
            return (
                f"{value!r} has a leap second at {utc_minute // 60:02d}:{utc_minute % 60:02d}"
                " UTC; second 60 is only valid at 23:59:60 UTC"
            )
    return _Fields(year, month, day, hour, minute, second, fraction or "", offset, zone)


_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LOOSE_DATE = re.compile(r"[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9])")
_FULL_TIME = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}")
_HOUR_MINUTE = re.compile(r"[0-9]{2}:[0-9]{2}(?![0-9:])")
_LOOSE_TIME = re.compile(r"[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?![0-9])")
_ZONE = re.compile(r"[Zz]|[+-][0-9]{2}:[0-9]{2}")


def _shape_error(value: str) -> str:
    """Why ``value`` does not match the date-time grammar at all."""
    if value == "":
        return "'' is empty, not a date-time"
    if value.strip() != value:
        if value[-1:] in ("\n", "\r") and value.rstrip("\r\n").strip() == value.rstrip("\r\n"):
            return f"{value!r} ends with a line break"
        return f"{value!r} has leading or trailing whitespace"
    for c in value:
        if not c.isascii():
            kind = "digit" if c.isdigit() else "character"
            return f"{value!r} contains non-ASCII {kind} {c!r} (U+{ord(c):04X})"
    if not _FULL_DATE.match(value):
        if value[:1] in ("+", "-"):
            return f"{value!r} has a signed year; RFC 3339 years are exactly 4 digits"
        if re.match(r"[0-9]{8}T", value):
            return f"{value!r} uses the ISO 8601 basic format; RFC 3339 requires YYYY-MM-DD"
        if re.match(r"[0-9]{5}", value):
            return f"{value!r} has a year of more than 4 digits"
        if _LOOSE_DATE.match(value):
            return f"{value!r} has a date field without zero padding (YYYY-MM-DD)"
        if _LOOSE_TIME.match(value):
            return f"{value!r} is a time without a date"
        return f"{value!r} does not start with a YYYY-MM-DD date"
    rest = value[10:]
    if rest == "":
        return f"{value!r} is a date without a time"
    if rest[0] not in "Tt":
        return f"{value!r} has {rest[0]!r} between date and time instead of 'T'"
    time = rest[1:]
    if not _FULL_TIME.match(time):
        if _HOUR_MINUTE.match(time):
            return f"{value!r} has no seconds; RFC 3339 requires HH:MM:SS"
        if _LOOSE_TIME.match(time):
            return f"{value!r} has a time field without zero padding (HH:MM:SS)"
        return f"{value!r} does not have an HH:MM:SS time after 'T'"
    tail = time[8:]
    if tail[:1] == ",":
        return f"{value!r} uses ',' as the decimal separator; RFC 3339 requires '.'"
    if tail[:1] == ".":
        digits = len(tail) - len(tail[1:].lstrip("0123456789")) - 1
        if digits == 0:
            return f"{value!r} has an empty fraction after '.'"
        tail = tail[1 + digits :]
    if tail == "":
        return f"{value!r} has no offset; RFC 3339 requires 'Z' or +HH:MM/-HH:MM"
    if re.fullmatch(r"[+-][0-9]{4}", tail):
        return f"{value!r} has offset {tail!r} without a colon; RFC 3339 requires +HH:MM"
    if re.fullmatch(r"[+-][0-9]{2}", tail):
        return f"{value!r} has offset {tail!r} without minutes; RFC 3339 requires +HH:MM"
    zone = _ZONE.match(tail)
    if zone is not None:
        return f"{value!r} has {tail[zone.end() :]!r} after the offset {zone.group()!r}"
    return f"{value!r} has malformed offset {tail!r}; RFC 3339 requires 'Z' or +HH:MM"


# ---------------------------------------------------------------------------------------
# Checking and ordering
# ---------------------------------------------------------------------------------------


def datetime_error(value: str) -> str | None:
    """``None`` if ``value`` is an RFC 3339 ``date-time``, else a one-line reason."""
    parsed = _parse(value)
    return parsed if isinstance(parsed, str) else None


def is_common_datetime(value: object) -> bool:
    """Whether ``value`` is a valid date-time in the common form (:data:`COMMON_DATETIME`)."""
    return (
        isinstance(value, str)
        and COMMON_DATETIME.fullmatch(value) is not None
        and datetime_error(value) is None
    )


def is_rfc3339_datetime(value: object) -> bool:
    """Whether ``value`` is a string holding an RFC 3339 ``date-time``."""
    return isinstance(value, str) and not isinstance(_parse(value), str)


class _Instant(NamedTuple):
    seconds: int  # UTC seconds since 0000-01-01T00:00:00Z; a leap second counts as :59
    leap: int  # 1 during a leap second
    fraction: str  # the fraction digits as written


def _instant(fields: _Fields) -> _Instant:
    days = _days_from_civil(fields.year, fields.month, fields.day) - _DAY0
    seconds = (
        days * 86400
        + fields.hour * 3600
        + fields.minute * 60
        + min(fields.second, 59)
        - fields.offset * 60
    )
    return _Instant(seconds, int(fields.second == 60), fields.fraction)


def _checked(value: str) -> _Fields:
    parsed = _parse(value)
    if isinstance(parsed, str):
        raise ValueError(parsed)
    return parsed


def utc_key(value: str) -> tuple[int, int, int]:
    """A key that orders valid date-times by the instant they denote.

    The key is ``(seconds, leap, fraction)``: UTC seconds since 0000-01-01T00:00:00Z
    (negative when an offset pushes the instant into year -1) with a leap second counted
    as the 23:59:59 it follows, ``1`` during a leap second, and the fraction scaled to
    :data:`FRACTION_DIGITS` digits (later digits are ignored).  So ``23:59:60Z`` sorts
    after ``23:59:59.999Z`` and before the next day's ``00:00:00Z``.  Raises
    :class:`ValueError` if ``value`` is not a valid date-time.
    """
    seconds, leap, fraction = _instant(_checked(value))
    return seconds, leap, int(fraction[:FRACTION_DIGITS].ljust(FRACTION_DIGITS, "0"))


# ---------------------------------------------------------------------------------------
# Valid date-times
# ---------------------------------------------------------------------------------------

_RECENT_FIRST = _days_from_civil(2019, 1, 1) - _DAY0
_RECENT_LAST = _days_from_civil(2027, 12, 31) - _DAY0

_EDGE_DAYS = tuple(
    _days_from_civil(y, m, d) - _DAY0
    for y, m, d in (
        (2024, 2, 29), (0, 1, 1), (9999, 12, 31), (2000, 2, 29), (1600, 2, 29),
        (0, 2, 29), (1900, 2, 28), (2100, 2, 28), (2023, 2, 28), (2024, 4, 30),
        (2024, 12, 31), (2023, 1, 31), (1970, 1, 1), (1998, 12, 31), (2016, 12, 31),
        (1, 1, 1), (9999, 1, 1), (2038, 1, 19), (2019, 1, 1), (2027, 12, 31),
    )
)  # fmt: skip

#: Fraction digits of the common form: what every date-time library keeps exactly.
_COMMON_FRACTION_LENGTHS = (0, 3, 6, 1, 2, 4, 5)
_COMMON_FRACTION_DIGITS = max(_COMMON_FRACTION_LENGTHS)
_ALL_FRACTION_LENGTHS = (*_COMMON_FRACTION_LENGTHS, 9, 7, 8, 12, 15, 18, 20)

_COMMON_EDGE_DAYS = tuple(d for d in _EDGE_DAYS if _FIRST_COMMON_DAY <= d <= _LAST_COMMON_DAY)

_NAMED_OFFSETS = (
    0, 330, -480, 60, 345, 1439, -1439, 840, -720, 570, -210, 120, -300, 540,
)  # fmt: skip

_CASES = (("T", "Z"), ("t", "z"), ("T", "z"), ("t", "Z"))


def _offset_text(minutes: int, negative_zero: bool = False) -> str:
    sign = "-" if minutes < 0 or negative_zero else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _gen_day(src: Source, *, common: bool = False) -> int:
    """A day number (0 is 0000-01-01): mostly recent, sometimes an edge of the calendar
    (only of the common years, when ``common``)."""
    if not src.boolean(0.2):
        return src.integer(_RECENT_FIRST, _RECENT_LAST)
    if src.boolean():
        if common:
            return src.integer(_FIRST_COMMON_DAY, _LAST_COMMON_DAY)
        return src.integer(0, _LAST_DAY)
    return src.choice(_COMMON_EDGE_DAYS if common else _EDGE_DAYS)


def _gen_fraction(src: Source, *, long: bool) -> str:
    """Fraction digits without the dot ('' for none)."""
    n = src.choice(_ALL_FRACTION_LENGTHS if long else _COMMON_FRACTION_LENGTHS)
    if n == 0:
        return ""
    return f"{src.integer(0, 10**n - 1):0{n}d}"


def _gen_zone(src: Source) -> tuple[str, int, str]:
    """``(separator, offset minutes, zone text)`` in any RFC 3339 spelling."""
    sep, z = src.choice(_CASES)
    kind = src.integer(0, 2)
    if kind == 0:
        return sep, 0, z
    if kind == 1:
        minutes = src.choice(_NAMED_OFFSETS)
        # -00:00 ("offset unknown") is a distinct spelling of the same instant.
        return sep, minutes, _offset_text(minutes, negative_zero=minutes == 0 and src.boolean())
    minutes = src.integer(-1439, 1439)
    return sep, minutes, _offset_text(minutes)


def _format_local(
    day: int, second_of_day: int, fraction: str, sep: str, zone: str, leap: bool = False
) -> str:
    year, month, dom = _civil_from_days(day + _DAY0)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    if leap:
        second = 60
    frac = f".{fraction}" if fraction else ""
    return f"{year:04d}-{month:02d}-{dom:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}{frac}{zone}"


def _render(instant: _Instant, sep: str, offset: int, zone: str) -> str | None:
    """``instant`` written in ``offset``, or ``None`` if its local year is not 0000-9999."""
    day, second_of_day = divmod(instant.seconds + offset * 60, 86400)
    if not 0 <= day <= _LAST_DAY:
        return None
    return _format_local(day, second_of_day, instant.fraction, sep, zone, bool(instant.leap))


def gen_datetime(src: Source, *, common: bool = False, not_before: str | None = None) -> str:
    """A valid RFC 3339 date-time.

    By default any spelling the grammar allows: numeric offsets, lower-case ``t``/``z``,
    leap seconds at 23:59:60 UTC, fractions of up to 20 digits, years 0000-9999.  With
    ``common`` only the common form (see :data:`COMMON_DATETIME`: years 1970-2099, ``T``,
    ``Z``, at most 6 fraction digits).  With
    ``not_before`` (a valid date-time) the result denotes the same or a later instant;
    :class:`ValueError` if ``common`` and no common-form value is that late.
    """
    if not_before is not None:
        return _gen_not_before(src, not_before, common)
    fancy = not common and src.boolean()
    day = _gen_day(src, common=common)
    second_of_day = src.integer(0, 86399)
    fraction = _gen_fraction(src, long=fancy)
    if not fancy:
        return _format_local(day, second_of_day, fraction, "T", "Z")
    sep, offset, zone = _gen_zone(src)
    if src.boolean(0.15):
        # The local minute that is 23:59 UTC.
        local_minute = (1439 + offset) % 1440
        return _format_local(day, local_minute * 60, fraction, sep, zone, leap=True)
    return _format_local(day, second_of_day, fraction, sep, zone)


def _common_ceiling(instant: _Instant, value: str) -> _Instant:
    """The earliest instant at or after ``instant`` that the common form can spell."""
    seconds, leap, fraction = instant
    fraction = fraction.rstrip("0")
    if seconds < _MIN_COMMON_SECONDS:
        return _Instant(_MIN_COMMON_SECONDS, 0, "")
    n = _COMMON_FRACTION_DIGITS
    if leap:
        seconds, fraction = seconds + 1, ""
    elif len(fraction) > n:
        rounded = int(fraction[:n]) + 1
        if rounded == 10**n:
            seconds, fraction = seconds + 1, ""
        else:
            fraction = f"{rounded:0{n}d}".rstrip("0")
    if seconds > _MAX_COMMON_SECONDS:
        raise ValueError(f"no common-form date-time is at or after {value!r}")
    return _Instant(seconds, 0, fraction)


#: Upper bounds of the step after ``not_before`` in whole seconds: none (the same
#: instant), none (a later fraction of the same second), a minute, a day, a year and a bit.
_STEPS = (0, 0, 59, 86400, 400 * 86400)


def _gen_not_before(src: Source, not_before: str, common: bool) -> str:
    base_fields = _checked(not_before)
    base = _instant(base_fields)
    if common:
        base = _common_ceiling(base, not_before)
    kind = src.integer(0, len(_STEPS) - 1)
    instant = base
    if kind == 1:
        n = max(len(base.fraction), src.choice(_COMMON_FRACTION_LENGTHS[1:]))
        floor = int(base.fraction.ljust(n, "0"))
        later = floor + src.integer(0, 10**n - 1 - floor)
        instant = base._replace(fraction=f"{later:0{n}d}")
    elif kind > 1:
        seconds = base.seconds + src.integer(1, _STEPS[kind])
        if not common or seconds <= _MAX_COMMON_SECONDS:
            instant = _Instant(seconds, 0, _gen_fraction(src, long=not common))
    if common:
        rendered = _render(instant, "T", 0, "Z")
        assert rendered is not None
        return rendered
    if src.boolean():
        sep, offset, zone = _gen_zone(src)
    else:
        sep, offset, zone = "T", 0, "Z"
    for candidate in (
        (instant, sep, offset, zone),
        (instant, sep, base_fields.offset, base_fields.zone),
        (base, sep, base_fields.offset, base_fields.zone),
    ):
        rendered = _render(*candidate)
        if rendered is not None:
            return rendered
    raise AssertionError("unreachable: not_before is representable in its own offset")


# ---------------------------------------------------------------------------------------
# Malformed date-times
# ---------------------------------------------------------------------------------------

MalformationFn = Callable[[Source, str], str]


@dataclass(frozen=True, slots=True)
class Malformation:
    """A named way to break a valid common-form date-time."""

    name: str
    description: str
    fn: MalformationFn


#: Registered operators, simplest first (that is the order they shrink towards).
MALFORMATIONS: dict[str, Malformation] = {}


def malformation(name: str) -> Callable[[MalformationFn], MalformationFn]:
    """Register ``fn(src, valid) -> invalid`` under ``name``; its docstring describes it."""

    def register(fn: MalformationFn) -> MalformationFn:
        description = (fn.__doc__ or "").strip()
        if not description or "\n" in description:
            raise ValueError(f"malformation {name!r} needs a one-line docstring")
        if name in MALFORMATIONS:
            raise ValueError(f"malformation {name!r} is already registered")
        MALFORMATIONS[name] = Malformation(name, description, fn)
        return fn

    return register


@dataclass(frozen=True, slots=True)
class _Parts:
    year: str
    month: str
    day: str
    sep: str
    hour: str
    minute: str
    second: str
    fraction: str  # with its dot, or ''
    zone: str

    def __str__(self) -> str:
        return (
            f"{self.year}-{self.month}-{self.day}{self.sep}"
            f"{self.hour}:{self.minute}:{self.second}{self.fraction}{self.zone}"
        )


def _parts(valid: str) -> _Parts:
    m = COMMON_DATETIME.fullmatch(valid)
    if m is None:
        raise ValueError(f"{valid!r} is not a common-form date-time")
    g = m.groupdict()
    return _Parts(
        g["year"], g["month"], g["day"], "T", g["hour"], g["minute"], g["second"],
        g["fraction"] or "", "Z",
    )  # fmt: skip


@malformation("empty-string")
def _empty_string(src: Source, valid: str) -> str:
    """the empty string"""
    return ""


@malformation("garbage")
def _garbage(src: Source, valid: str) -> str:
    """text that is not a date-time at all (a word, another date format, a Unix time)"""
    return src.choice((
        "yesterday", "2024/01/05 10:00", "now", "1704448800", "null",
        "Fri, 05 Jan 2024 10:00:00 GMT", "01/05/2024 10:00:00 AM", "T", "Z",
    ))  # fmt: skip


@malformation("date-only")
def _date_only(src: Source, valid: str) -> str:
    """a full-date without a time"""
    return valid[:10]


@malformation("time-only")
def _time_only(src: Source, valid: str) -> str:
    """a time with its offset but no date"""
    return valid[11:] if src.boolean() else valid[10:]


@malformation("missing-offset")
def _missing_offset(src: Source, valid: str) -> str:
    """no 'Z' or numeric offset (a local time)"""
    return str(replace(_parts(valid), zone=""))


#: What stands between date and time instead of ``T`` (``t`` is valid): a space first, as
#: SQL and many libraries write it.
SEPARATORS = (" ", "_", "x", "", "/", ":", "-", "\t", "  ")


@malformation("space-separator")
def _space_separator(src: Source, valid: str) -> str:
    """a space (or another character, or nothing) instead of 'T' between date and time"""
    return str(replace(_parts(valid), sep=src.choice(SEPARATORS)))


@malformation("missing-seconds")
def _missing_seconds(src: Source, valid: str) -> str:
    """HH:MM without seconds"""
    p = _parts(valid)
    fraction = p.fraction if src.boolean() else ""
    return f"{p.year}-{p.month}-{p.day}T{p.hour}:{p.minute}{fraction}{p.zone}"


@malformation("trailing-newline")
def _trailing_newline(src: Source, valid: str) -> str:
    """a line break after the value"""
    return valid + src.choice(("\n", "\r\n", "\r"))


@malformation("surrounding-whitespace")
def _surrounding_whitespace(src: Source, valid: str) -> str:
    """whitespace before or after the value"""
    space = src.choice((" ", "\t", "\u00a0", "\u2003", "\u3000", "\x0b"))
    before, after = src.choice(((space, ""), ("", space), (space, space)))
    return before + valid + after


@malformation("offset-without-colon")
def _offset_without_colon(src: Source, valid: str) -> str:
    """a numeric offset written +HHMM (ISO 8601 basic) instead of +HH:MM"""
    return str(replace(_parts(valid), zone=src.choice(("+0530", "+0000", "-0800", "+1245"))))


@malformation("short-offset")
def _short_offset(src: Source, valid: str) -> str:
    """a numeric offset with hours only (+HH)"""
    return str(replace(_parts(valid), zone=src.choice(("+05", "+00", "-08"))))


@malformation("named-zone")
def _named_zone(src: Source, valid: str) -> str:
    """a zone name or abbreviation instead of 'Z' or a numeric offset"""
    zone = src.choice(("UTC", "GMT", " UTC", "Zulu", "EST", "A", "+05:30[Asia/Kolkata]"))
    return str(replace(_parts(valid), zone=zone))


@malformation("z-after-offset")
def _z_after_offset(src: Source, valid: str) -> str:
    """a 'Z' after a numeric offset"""
    offset = src.choice(("+05:30", "+00:00", "-08:00"))
    return str(replace(_parts(valid), zone=offset + src.choice(("Z", "z"))))


@malformation("offset-hour-24")
def _offset_hour_24(src: Source, valid: str) -> str:
    """a numeric offset with hours 24 or more"""
    hours, minutes = src.integer(24, 99), src.choice((0, 30))
    return str(replace(_parts(valid), zone=f"{src.choice('+-')}{hours:02d}:{minutes:02d}"))


@malformation("offset-minute-60")
def _offset_minute_60(src: Source, valid: str) -> str:
    """a numeric offset with minutes 60 or more"""
    minutes, hours = src.integer(60, 99), src.integer(0, 23)
    return str(replace(_parts(valid), zone=f"{src.choice('+-')}{hours:02d}:{minutes:02d}"))


@malformation("hour-24")
def _hour_24(src: Source, valid: str) -> str:
    """hour 24 or more (24:00:00 included)"""
    p = replace(_parts(valid), hour=f"{src.integer(24, 99):02d}")
    if src.boolean():
        p = replace(p, minute="00", second="00", fraction="")
    return str(p)


@malformation("minute-60")
def _minute_60(src: Source, valid: str) -> str:
    """minute 60 or more"""
    return str(replace(_parts(valid), minute=f"{src.integer(60, 99):02d}"))


@malformation("second-61")
def _second_61(src: Source, valid: str) -> str:
    """second 61 or more"""
    return str(replace(_parts(valid), second=f"{src.integer(61, 99):02d}"))


@malformation("misplaced-leap-second")
def _misplaced_leap_second(src: Source, valid: str) -> str:
    """second 60 at a time that is not 23:59 UTC"""
    p = replace(_parts(valid), second="60")
    if src.boolean():
        # 23:59:60 local time, but the offset puts it at another UTC minute.
        return str(replace(p, hour="23", minute="59", zone=src.choice(("+01:00", "-08:00"))))
    if (p.hour, p.minute) == ("23", "59"):
        p = replace(p, minute="58")
    return str(p)


@malformation("month-13")
def _month_13(src: Source, valid: str) -> str:
    """a month outside 01-12"""
    return str(replace(_parts(valid), month=src.choice(("13", "00", "99", "20"))))


@malformation("day-32")
def _day_32(src: Source, valid: str) -> str:
    """a day outside 01-31"""
    return str(replace(_parts(valid), day=src.choice(("32", "00", "99", "40"))))


@malformation("day-31-short-month")
def _day_31_short_month(src: Source, valid: str) -> str:
    """day 31 in April, June, September or November"""
    return str(replace(_parts(valid), month=src.choice(("04", "06", "09", "11")), day="31"))


@malformation("feb-30")
def _feb_30(src: Source, valid: str) -> str:
    """February 30 or 31"""
    return str(replace(_parts(valid), month="02", day=src.choice(("30", "31"))))


@malformation("feb-29-common-year")
def _feb_29_common_year(src: Source, valid: str) -> str:
    """February 29 in a year that is not a leap year (including 1900 and 2100)"""
    p = _parts(valid)
    year = src.choice((int(p.year), 1900, 2100, 2023, 1700))
    if _is_leap_year(year):
        year += 1
    return str(replace(p, year=f"{year:04d}", month="02", day="29"))


@malformation("unpadded-field")
def _unpadded_field(src: Source, valid: str) -> str:
    """a date or time field without its leading zeros"""
    p = _parts(valid)
    field = src.choice(("month", "day", "hour", "minute", "second", "year", "month-and-day"))
    if field == "year":
        return str(replace(p, year=str(src.integer(0, 999))))
    if field == "month-and-day":
        return str(replace(p, month=str(src.integer(1, 9)), day=str(src.integer(1, 9))))
    lo = 0 if field in ("hour", "minute", "second") else 1
    return str(replace(p, **{field: str(src.integer(lo, 9))}))


@malformation("extended-year")
def _extended_year(src: Source, valid: str) -> str:
    """a signed or five-digit year (ISO 8601 expanded representation)"""
    p = _parts(valid)
    return str(replace(p, year=src.choice(("+00", "-00", "+0", "0", "+", "-", "1", "+1")) + p.year))


@malformation("empty-fraction")
def _empty_fraction(src: Source, valid: str) -> str:
    """a '.' with no fraction digits after it"""
    return str(replace(_parts(valid), fraction="."))


@malformation("comma-fraction")
def _comma_fraction(src: Source, valid: str) -> str:
    """a ',' as the decimal separator"""
    p = _parts(valid)
    digits = p.fraction[1:] or src.choice(("5", "000", "123456"))
    return str(replace(p, fraction="," + digits))


#: The zero of some Unicode decimal digit sets that ``\d`` and ``str.isdigit`` accept.
_FOREIGN_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10, 0x1D7CE)


@malformation("non-ascii-digit")
def _non_ascii_digit(src: Source, valid: str) -> str:
    """a non-ASCII decimal digit (Arabic-Indic, Bengali, fullwidth...) in a field"""
    positions = [i for i, c in enumerate(valid) if "0" <= c <= "9"]
    i = positions[src.integer(0, len(positions) - 1)]  # any position will do
    digit = chr(src.choice(_FOREIGN_ZEROS) + int(valid[i]))
    return valid[:i] + digit + valid[i + 1 :]


@malformation("iso8601-only")
def _iso8601_only(src: Source, valid: str) -> str:
    """an ISO 8601 form outside RFC 3339 (basic format, ordinal date, hour-only time)"""
    p = _parts(valid)
    form = src.integer(0, 2)
    if form == 0:
        return f"{p.year}{p.month}{p.day}T{p.hour}{p.minute}{p.second}{p.fraction}Z"
    if form == 1:
        year = int(p.year)
        ordinal = _days_from_civil(year, int(p.month), int(p.day)) - _days_from_civil(year, 1, 1)
        return f"{p.year}-{ordinal + 1:03d}T{p.hour}:{p.minute}:{p.second}{p.fraction}Z"
    return f"{p.year}-{p.month}-{p.day}T{p.hour}Z"


_MALFORMATION_NAMES = tuple(MALFORMATIONS)


def gen_malformed_datetime(src: Source, valid: str | None = None) -> tuple[str, str]:
    """``(operator name, value)``: a common-form date-time (``valid``, or a generated one)
    broken by one operator."""
    name = src.choice(_MALFORMATION_NAMES)
    if valid is None:
        valid = gen_datetime(src, common=True)
    return name, MALFORMATIONS[name].fn(src, valid)


def datetime_form(value: str) -> tuple[str, ...]:
    """The features of a valid date-time's spelling: separator and zone case, the kind of
    offset, fraction length, leap second.  Two values of one form test the same thing."""
    zone = value[19:].lstrip(".0123456789")
    digits = len(value[19:]) - len(zone) - (1 if value[19:20] == "." else 0)
    offset = {"Z": "Z", "z": "z", "+00:00": "+00:00", "-00:00": "-00:00"}.get(zone)
    return (
        value[10],
        offset or ("east" if zone.startswith("+") else "west"),
        "no fraction" if digits == 0 else "1-9 digits" if digits <= 9 else "10+ digits",
        "leap second" if value[17:19] == "60" else "",
    )


def datetime_forms(*, seeds: int = 3000) -> list[str]:
    """One valid date-time of each form :func:`gen_datetime` makes, the same every time."""
    from inngest_conformance.strategies._source import RandomSource

    seen: dict[tuple[str, ...], str] = {}
    for seed in range(seeds):
        value = gen_datetime(RandomSource(seed))
        seen.setdefault(datetime_form(value), value)
    return list(seen.values())
