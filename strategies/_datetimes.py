"""Valid RFC 3339 date-times: the generator, and the forms their spellings take.

Generators follow :mod:`.strategies._source`: :func:`gen_datetime` yields valid values (its
simplest choices give a plain recent ``...Z`` value), in every spelling the grammar allows
or only in the common form (:data:`~._rfc3339.COMMON_DATETIME`).  The grammar, the
calendar and the checker are :mod:`._rfc3339`.
"""

from __future__ import annotations

from inngest_conformance.strategies._rfc3339 import (
    DAY0,
    FIRST_COMMON_DAY,
    LAST_COMMON_DAY,
    LAST_DAY,
    MAX_COMMON_SECONDS,
    MIN_COMMON_SECONDS,
    Instant,
    checked_fields,
    civil_from_days,
    days_from_civil,
    instant_of,
)
from inngest_conformance.strategies._source import Source

__all__ = ["datetime_form", "datetime_forms", "gen_datetime", "gen_same_instant"]

_RECENT_FIRST = days_from_civil(2019, 1, 1) - DAY0
_RECENT_LAST = days_from_civil(2027, 12, 31) - DAY0

_EDGE_DAYS = tuple(
    days_from_civil(y, m, d) - DAY0
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

_COMMON_EDGE_DAYS = tuple(d for d in _EDGE_DAYS if FIRST_COMMON_DAY <= d <= LAST_COMMON_DAY)

_NAMED_OFFSETS = (
    0, 330, -480, 60, 345, 1439, -1439, 840, -720, 570, -210, 120, -300, 540,
)  # fmt: skip

_CASES = (("T", "Z"), ("t", "z"), ("T", "z"), ("t", "Z"))
#: A spelling of the separator and of ``Z``, and a kind of zone (0 ``Z``, 1 a named offset,
#: 2 any offset), in one choice.
_ZONE_KINDS = tuple((sep, z, kind) for sep, z in _CASES for kind in range(3))


def _offset_text(minutes: int, negative_zero: bool = False) -> str:
    sign = "-" if minutes < 0 or negative_zero else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


#: Where a moment is drawn from: the recent years 8 times in 10 (first: it is what a
#: date-time shrinks to), any day of the calendar, an edge of the calendar.
_MOMENT_KINDS = ("recent",) * 8 + ("any", "edge")


def _gen_moment(src: Source, *, common: bool = False) -> tuple[int, int]:
    """``(day, second of the day)``, day 0 being 0000-01-01: mostly recent, sometimes any
    day or an edge of the calendar (only of the common years, when ``common``).  A day and
    its second are one choice."""
    kind = src.choice(_MOMENT_KINDS)
    if kind == "edge":
        day = src.choice(_COMMON_EDGE_DAYS if common else _EDGE_DAYS)
        return day, src.integer(0, 86399)
    first, last = (
        (_RECENT_FIRST, _RECENT_LAST)
        if kind == "recent"
        else (FIRST_COMMON_DAY, LAST_COMMON_DAY)
        if common
        else (0, LAST_DAY)
    )
    day, second_of_day = divmod(src.integer(first * 86400, last * 86400 + 86399), 86400)
    return day, second_of_day


def _gen_fraction(src: Source, *, long: bool) -> str:
    """Fraction digits without the dot ('' for none)."""
    n = src.choice(_ALL_FRACTION_LENGTHS if long else _COMMON_FRACTION_LENGTHS)
    if n == 0:
        return ""
    return f"{src.integer(0, 10**n - 1):0{n}d}"


def _gen_zone(src: Source) -> tuple[str, int, str]:
    """``(separator, offset minutes, zone text)`` in any RFC 3339 spelling."""
    sep, z, kind = src.choice(_ZONE_KINDS)
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
    year, month, dom = civil_from_days(day + DAY0)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    if leap:
        second = 60
    frac = f".{fraction}" if fraction else ""
    return f"{year:04d}-{month:02d}-{dom:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}{frac}{zone}"


def _render(instant: Instant, sep: str, offset: int, zone: str) -> str | None:
    """``instant`` written in ``offset``, or ``None`` if its local year is not 0000-9999."""
    day, second_of_day = divmod(instant.seconds + offset * 60, 86400)
    if not 0 <= day <= LAST_DAY:
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
    day, second_of_day = _gen_moment(src, common=common)
    fraction = _gen_fraction(src, long=fancy)
    if not fancy:
        return _format_local(day, second_of_day, fraction, "T", "Z")
    sep, offset, zone = _gen_zone(src)
    if src.boolean(0.15):
        # The local minute that is 23:59 UTC.
        local_minute = (1439 + offset) % 1440
        return _format_local(day, local_minute * 60, fraction, sep, zone, leap=True)
    return _format_local(day, second_of_day, fraction, sep, zone)


def gen_same_instant(src: Source, value: str) -> str:
    """Another valid spelling of the instant the date-time ``value`` denotes: any separator
    and zone case, any offset (``-00:00`` too), trailing zeros in the fraction.  What a
    correct store may read back for what it was given (``+00:00`` for ``Z``): a judge of
    time invariants must find the two the same.  Shrinks towards ``value``'s own offset
    written ``T``/``Z``-style with no added zeros."""
    fields = checked_fields(value)
    instant = instant_of(fields)
    instant = instant._replace(fraction=instant.fraction + "0" * src.choice((0, 1, 3, 9)))
    sep, offset, zone = _gen_zone(src)
    # Where the offset moves the local year out of 0000-9999, the value's own offset.
    for candidate in ((offset, zone), (fields.offset, fields.zone)):
        rendered = _render(instant, sep, *candidate)
        if rendered is not None:
            return rendered
    raise AssertionError("unreachable: a date-time is representable in its own offset")


def _common_ceiling(instant: Instant, value: str) -> Instant:
    """The earliest instant at or after ``instant`` that the common form can spell."""
    seconds, leap, fraction = instant
    fraction = fraction.rstrip("0")
    if seconds < MIN_COMMON_SECONDS:
        return Instant(MIN_COMMON_SECONDS, 0, "")
    n = _COMMON_FRACTION_DIGITS
    if leap:
        seconds, fraction = seconds + 1, ""
    elif len(fraction) > n:
        rounded = int(fraction[:n]) + 1
        if rounded == 10**n:
            seconds, fraction = seconds + 1, ""
        else:
            fraction = f"{rounded:0{n}d}".rstrip("0")
    if seconds > MAX_COMMON_SECONDS:
        raise ValueError(f"no common-form date-time is at or after {value!r}")
    return Instant(seconds, 0, fraction)


#: Upper bounds of the step after ``not_before`` in whole seconds: none (the same
#: instant), none (a later fraction of the same second), a minute, a day, a year and a bit.
_STEPS = (0, 0, 59, 86400, 400 * 86400)


def _gen_not_before(src: Source, not_before: str, common: bool) -> str:
    base_fields = checked_fields(not_before)
    base = instant_of(base_fields)
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
        if not common or seconds <= MAX_COMMON_SECONDS:
            instant = Instant(seconds, 0, _gen_fraction(src, long=not common))
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
