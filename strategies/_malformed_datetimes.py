"""Malformed date-times: named operators that each break a valid value in one way.

:data:`MALFORMATIONS` is a registry of operators, each taking a valid common-form
date-time and breaking one specific rule of RFC 3339, so a report can say which rule an
implementation under test failed to enforce.  Besides the grammar's rules, each ASCII
character of the form has its look-alikes (:data:`LOOKALIKES`, :data:`DIGIT_LOOKALIKES`):
a value that reads right and is not, which lenient parsers and normalising checks let by.
:func:`gen_malformed_datetime` follows :mod:`.strategies._source`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from inngest_conformance.strategies._datetimes import gen_datetime
from inngest_conformance.strategies._rfc3339 import COMMON_DATETIME, days_from_civil, is_leap_year
from inngest_conformance.strategies._source import Source

__all__ = [
    "DIGIT_LOOKALIKES",
    "LOOKALIKES",
    "MALFORMATIONS",
    "OTHER_SEPARATORS",
    "SEPARATORS",
    "SPACE_SEPARATORS",
    "Malformation",
    "gen_malformed_datetime",
    "malformation",
]

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


#: What stands between date and time instead of ``T`` (``t`` is valid): spaces, as SQL and
#: many libraries write it; nothing at all; another character.
SPACE_SEPARATORS = (" ", "  ")
OTHER_SEPARATORS = ("_", "x", "/", ":", "-", "\t")
SEPARATORS = (*SPACE_SEPARATORS, "", *OTHER_SEPARATORS)


@malformation("space-separator")
def _space_separator(src: Source, valid: str) -> str:
    """a space (or two) instead of 'T' between date and time"""
    return str(replace(_parts(valid), sep=src.choice(SPACE_SEPARATORS)))


@malformation("missing-separator")
def _missing_separator(src: Source, valid: str) -> str:
    """nothing between date and time (no 'T')"""
    return str(replace(_parts(valid), sep=""))


@malformation("other-separator")
def _other_separator(src: Source, valid: str) -> str:
    """another character ('_', 'x', '/', ':', '-', a tab) instead of 'T' between date and time"""
    return str(replace(_parts(valid), sep=src.choice(OTHER_SEPARATORS)))


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
    if is_leap_year(year):
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


#: Characters a reader takes for the ASCII punctuation and letters of an RFC 3339 date-time
#: (``-``, ``+``, ``:``, ``.``, ``T``, ``Z``): other dashes and signs, fullwidth and small
#: forms, letters of other scripts.  Each is a code point of its own that a strict check
#: refuses; a lenient one may not: pydantic reads U+2212 MINUS SIGN as an offset's sign,
#: NFKC folds the fullwidth and small forms to ASCII, and ``datetime.fromisoformat`` takes
#: any character between date and time.  The first of each is the likeliest to be met.
LOOKALIKES: dict[str, tuple[str, ...]] = {
    "-": (
        "\u2212",  # MINUS SIGN
        "\u2010",  # HYPHEN
        "\u2011",  # NON-BREAKING HYPHEN
        "\u2012",  # FIGURE DASH
        "\u2013",  # EN DASH
        "\u2014",  # EM DASH
        "\ufe63",  # SMALL HYPHEN-MINUS
        "\uff0d",  # FULLWIDTH HYPHEN-MINUS
    ),
    "+": (
        "\uff0b",  # FULLWIDTH PLUS SIGN
        "\u207a",  # SUPERSCRIPT PLUS SIGN
        "\ufe62",  # SMALL PLUS SIGN
        "\u02d6",  # MODIFIER LETTER PLUS SIGN
        "\u2795",  # HEAVY PLUS SIGN
    ),
    ":": (
        "\uff1a",  # FULLWIDTH COLON
        "\u2236",  # RATIO
        "\ua789",  # MODIFIER LETTER COLON
        "\ufe55",  # SMALL COLON
        "\u0589",  # ARMENIAN FULL STOP
    ),
    ".": (
        "\uff0e",  # FULLWIDTH FULL STOP
        "\u2024",  # ONE DOT LEADER
        "\ufe52",  # SMALL FULL STOP
        "\u3002",  # IDEOGRAPHIC FULL STOP
    ),
    "T": (
        "\u0422",  # CYRILLIC CAPITAL LETTER TE
        "\u03a4",  # GREEK CAPITAL LETTER TAU
        "\uff34",  # FULLWIDTH LATIN CAPITAL LETTER T
        "\u0442",  # CYRILLIC SMALL LETTER TE
        "\u13a2",  # CHEROKEE LETTER I
        "\u22a4",  # DOWN TACK
    ),
    "Z": (
        "\u0396",  # GREEK CAPITAL LETTER ZETA
        "\uff3a",  # FULLWIDTH LATIN CAPITAL LETTER Z
        "\u13c3",  # CHEROKEE LETTER NO
        "\u2124",  # DOUBLE-STRUCK CAPITAL Z
        "\u1d22",  # LATIN LETTER SMALL CAPITAL Z
    ),
}

#: For each ASCII digit, characters that look like it but are no decimal digit at all: its
#: superscript, subscript and circled forms (``str.isdigit`` is true of them, NFKC folds
#: them to the digit), and for 0 and 1 the letters taken for them.
_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_SUBSCRIPTS = "".join(chr(0x2080 + d) for d in range(10))
_CIRCLED = "\u24ea" + "".join(chr(0x2460 + d) for d in range(9))
_LETTERS = {
    "0": ("O", "o", "\u041e", "\u039f"),  # Latin, Cyrillic and Greek capital O
    "1": ("l", "I", "\u01c0"),  # LATIN LETTER DENTAL CLICK
}
DIGIT_LOOKALIKES: dict[str, tuple[str, ...]] = {
    str(d): (_SUPERSCRIPTS[d], _SUBSCRIPTS[d], _CIRCLED[d], *_LETTERS.get(str(d), ()))
    for d in range(10)
}


def _swap(value: str, i: int, char: str) -> str:
    return value[:i] + char + value[i + 1 :]


@malformation("lookalike-hyphen")
def _lookalike_hyphen(src: Source, valid: str) -> str:
    """a dash that looks like '-' (U+2212 MINUS SIGN, a hyphen, an en dash...) in the date"""
    return _swap(valid, src.choice((4, 7)), src.choice(LOOKALIKES["-"]))


@malformation("lookalike-offset-sign")
def _lookalike_offset_sign(src: Source, valid: str) -> str:
    """an offset whose sign looks like '-' or '+' (U+2212 MINUS SIGN, fullwidth plus...)"""
    sign = src.choice((*LOOKALIKES["-"], *LOOKALIKES["+"]))
    return str(replace(_parts(valid), zone=sign + "05:00"))


@malformation("lookalike-colon")
def _lookalike_colon(src: Source, valid: str) -> str:
    """a character that looks like ':' (fullwidth colon, U+2236 RATIO...) in the time or offset"""
    colon = src.choice(LOOKALIKES[":"])
    where = src.choice(("hour", "minute", "offset"))
    if where == "offset":
        return str(replace(_parts(valid), zone=f"+05{colon}30"))
    return _swap(valid, 13 if where == "hour" else 16, colon)


@malformation("lookalike-decimal-point")
def _lookalike_decimal_point(src: Source, valid: str) -> str:
    """a character that looks like '.' (fullwidth full stop, one dot leader...) before a fraction"""
    p = _parts(valid)
    digits = p.fraction[1:] or "5"
    return str(replace(p, fraction=src.choice(LOOKALIKES["."]) + digits))


@malformation("lookalike-t")
def _lookalike_t(src: Source, valid: str) -> str:
    """a letter that looks like 'T' (Cyrillic, Greek, fullwidth...) between date and time"""
    return str(replace(_parts(valid), sep=src.choice(LOOKALIKES["T"])))


@malformation("lookalike-z")
def _lookalike_z(src: Source, valid: str) -> str:
    """a letter that looks like 'Z' (Greek Zeta, fullwidth, Cherokee...) as the offset"""
    return str(replace(_parts(valid), zone=src.choice(LOOKALIKES["Z"])))


@malformation("lookalike-digit")
def _lookalike_digit(src: Source, valid: str) -> str:
    """a character that looks like a digit but is none (superscript, circled, a letter O or l)"""
    positions = [i for i, c in enumerate(valid) if "0" <= c <= "9"]
    i = positions[src.integer(0, len(positions) - 1)]  # any position will do
    return _swap(valid, i, src.choice(DIGIT_LOOKALIKES[valid[i]]))


@malformation("iso8601-only")
def _iso8601_only(src: Source, valid: str) -> str:
    """an ISO 8601 form outside RFC 3339 (basic format, ordinal date, hour-only time)"""
    p = _parts(valid)
    form = src.integer(0, 2)
    if form == 0:
        return f"{p.year}{p.month}{p.day}T{p.hour}{p.minute}{p.second}{p.fraction}Z"
    if form == 1:
        year = int(p.year)
        ordinal = days_from_civil(year, int(p.month), int(p.day)) - days_from_civil(year, 1, 1)
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
