"""Tests for date-times: the RFC 3339 checker and ``utc_key`` (:mod:`.strategies._rfc3339`),
the generator (:mod:`.strategies._datetimes`) and the malformations
(:mod:`.strategies._malformed_datetimes`)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import assume, find, given, settings
from hypothesis import strategies as st
from inngest_conformance.strategies import InvalidCase, default_oracle, invalid_runs, label_holds
from inngest_conformance.strategies._datetimes import gen_datetime
from inngest_conformance.strategies._malformed_datetimes import (
    DIGIT_LOOKALIKES,
    LOOKALIKES,
    MALFORMATIONS,
    OTHER_SEPARATORS,
    SPACE_SEPARATORS,
    Malformation,
    gen_malformed_datetime,
    malformation,
)
from inngest_conformance.strategies._rfc3339 import (
    COMMON_DATETIME,
    FRACTION_DIGITS,
    datetime_error,
    is_rfc3339_datetime,
    utc_key,
)
from inngest_conformance.strategies._source import RandomSource, Source, strategy

MANY = settings(max_examples=1500, deadline=None)

# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------

VALID = {
    "common": "2024-01-05T10:00:00Z",
    "common-fraction": "2024-01-05T10:00:00.123Z",
    "lower-case-t-z": "2024-01-05t10:00:00z",
    "mixed-case": "2024-01-05t10:00:00Z",
    "long-fraction": "2024-01-05T10:00:00.123456789012Z",
    "very-long-fraction": "2024-01-05T10:00:00.000000000000000000000000001Z",
    "offset": "2024-01-05T10:00:00.5+05:30",
    "offset-45": "2024-01-05T10:00:00+05:45",
    "offset-negative-zero": "2024-01-05T10:00:00-00:00",
    "offset-plus-zero": "2024-01-05T10:00:00+00:00",
    "offset-max": "2024-01-05T10:00:00+23:59",
    "offset-min": "2024-01-05T10:00:00-23:59",
    "leap-second": "1998-12-31T23:59:60Z",
    "leap-second-1990": "1990-12-31T23:59:60Z",
    "leap-second-offset": "1998-12-31T15:59:60.123-08:00",
    "leap-second-unhistorical": "2024-06-15T23:59:60Z",
    "leap-second-lower-z": "2016-12-31t23:59:60.5z",
    "leap-second-next-day-local": "2024-01-01T00:00:60+00:01",
    "leap-second-utc-year-minus-1": "0000-01-01T00:59:60+01:00",
    "feb-29-leap-year": "2024-02-29T00:00:00Z",
    "feb-29-2000": "2000-02-29T12:00:00Z",
    "feb-29-1600": "1600-02-29T12:00:00Z",
    "feb-29-year-0": "0000-02-29T00:00:00Z",
    "year-0000": "0000-01-01T00:00:00Z",
    "year-9999": "9999-12-31T23:59:59.999Z",
    "year-9999-negative-offset": "9999-12-31T23:59:59-23:59",
    "month-ends": "2024-04-30T23:59:59Z",
}

#: (value, a fragment the reason must contain)
INVALID = {
    "space-separator": ("2024-01-05 10:00:00Z", "instead of 'T'"),
    "letter-separator": ("2024-01-05X10:00:00Z", "instead of 'T'"),
    "missing-separator": ("2024-01-0510:00:00Z", "nothing between date and time"),
    "minus-sign-offset": (
        "2024-01-05T10:00:00\u221205:00",
        "non-ASCII character '\u2212' (U+2212)",
    ),
    "minus-sign-date": ("2024\u221201-05T10:00:00Z", "(U+2212)"),
    "fullwidth-colon": ("2024-01-05T10\uff1a00:00Z", "(U+FF1A)"),
    "ratio-colon": ("2024-01-05T10:00:00+05\u223630", "(U+2236)"),
    "fullwidth-full-stop": ("2024-01-05T10:00:00\uff0e5Z", "(U+FF0E)"),
    "cyrillic-te": ("2024-01-05\u042210:00:00Z", "(U+0422)"),
    "greek-zeta": ("2024-01-05T10:00:00\u0396", "(U+0396)"),
    "fullwidth-plus": ("2024-01-05T10:00:00\uff0b05:00", "(U+FF0B)"),
    "superscript-digit": ("2024-01-05T10:00:0\u00b2Z", "non-ASCII digit '\u00b2' (U+00B2)"),
    "letter-o-for-zero": ("2024-01-05T10:00:0OZ", "the letter 'O' where a digit belongs"),
    "letter-l-for-one": ("2024-0l-05T10:00:00Z", "the letter 'l' where a digit belongs"),
    "letter-o-in-fraction": ("2024-01-05T10:00:00.O5Z", "the letter 'O' where a digit belongs"),
    "offset-without-colon": ("2024-01-05T10:00:00+0530", "without a colon"),
    "offset-hours-only": ("2024-01-05T10:00:00+05", "without minutes"),
    "offset-hour-24": ("2024-01-05T10:00:00+24:00", "offset hour 24"),
    "offset-hour-minus-24": ("2024-01-05T10:00:00-24:00", "offset hour 24"),
    "offset-minute-60": ("2024-01-05T10:00:00+05:60", "offset minute 60"),
    "offset-seconds": ("2024-01-05T10:00:00+05:30:00", "after the offset"),
    "hour-24": ("2024-01-05T24:00:00Z", "hour 24"),
    "minute-60": ("2024-01-05T10:60:00Z", "minute 60"),
    "second-61": ("2024-01-05T10:00:61Z", "second 61"),
    "misplaced-leap-second": ("1998-12-31T22:59:60Z", "leap second at 22:59 UTC"),
    "leap-second-wrong-offset": ("1998-12-31T23:59:60+01:00", "leap second at 22:59 UTC"),
    "feb-30": ("2024-02-30T00:00:00Z", "February 2024 has 29 days"),
    "feb-29-common-year": ("2023-02-29T00:00:00Z", "February 2023 has 28 days"),
    "feb-29-1900": ("1900-02-29T00:00:00Z", "February 1900 has 28 days"),
    "apr-31": ("2024-04-31T00:00:00Z", "April 2024 has 30 days"),
    "month-00": ("2024-00-05T10:00:00Z", "month 00"),
    "month-13": ("2024-13-05T10:00:00Z", "month 13"),
    "day-00": ("2024-01-00T10:00:00Z", "day 00"),
    "day-32": ("2024-01-32T10:00:00Z", "January 2024 has 31 days"),
    "unpadded-month": ("2024-1-05T10:00:00Z", "zero padding"),
    "unpadded-hour": ("2024-01-05T1:00:00Z", "zero padding"),
    "signed-year": ("+2024-01-05T10:00:00Z", "signed year"),
    "extended-year": ("+002024-01-05T10:00:00Z", "signed year"),
    "negative-year": ("-0001-01-05T10:00:00Z", "signed year"),
    "five-digit-year": ("12024-01-05T10:00:00Z", "more than 4 digits"),
    "z-after-offset": ("2024-01-05T10:00:00+05:30Z", "after the offset"),
    "double-z": ("2024-01-05T10:00:00Zz", "after the offset"),
    "missing-offset": ("2024-01-05T10:00:00", "no offset"),
    "missing-offset-fraction": ("2024-01-05T10:00:00.123", "no offset"),
    "missing-seconds": ("2024-01-05T10:00Z", "no seconds"),
    "empty-fraction": ("2024-01-05T10:00:00.Z", "empty fraction"),
    "comma-fraction": ("2024-01-05T10:00:00,5Z", "','"),
    "bengali-digit": ("202৪-01-05T10:00:00Z", "non-ASCII digit"),
    "arabic-indic-digit": ("2024-01-05T10:00:0٢Z", "non-ASCII digit"),
    "fullwidth-digit": ("2024-01-05T10:00:00.１Z", "non-ASCII digit"),
    "trailing-newline": ("2024-01-05T10:00:00Z\n", "line break"),
    "trailing-crlf": ("2024-01-05T10:00:00Z\r\n", "line break"),
    "leading-space": (" 2024-01-05T10:00:00Z", "whitespace"),
    "trailing-space": ("2024-01-05T10:00:00Z ", "whitespace"),
    "date-only": ("2024-01-05", "date without a time"),
    "time-only": ("10:00:00Z", "time without a date"),
    "empty-string": ("", "empty"),
    "garbage-word": ("yesterday", "YYYY-MM-DD"),
    "garbage-slashes": ("2024/01/05 10:00", "YYYY-MM-DD"),
    "named-zone": ("2024-01-05T10:00:00UTC", "malformed offset"),
    "basic-format": ("20240105T100000Z", "basic format"),
    "ordinal-date": ("2024-005T10:00:00Z", "YYYY-MM-DD"),
    "two-fractions": ("2024-01-05T10:00:00.5.5Z", "malformed offset"),
}


@pytest.mark.parametrize("value", VALID.values(), ids=VALID.keys())
def test_valid(value: str) -> None:
    assert datetime_error(value) is None
    assert is_rfc3339_datetime(value)
    utc_key(value)


@pytest.mark.parametrize(("value", "fragment"), INVALID.values(), ids=INVALID.keys())
def test_invalid(value: str, fragment: str) -> None:
    reason = datetime_error(value)
    assert reason is not None
    assert reason.startswith(repr(value))
    assert fragment in reason
    assert "\n" not in reason
    assert not is_rfc3339_datetime(value)
    with pytest.raises(ValueError):
        utc_key(value)


def test_reason_wording() -> None:
    assert datetime_error("2024-02-30T00:00:00Z") == (
        "'2024-02-30T00:00:00Z' has day 30, but February 2024 has 29 days"
    )


@pytest.mark.parametrize("value", [None, 0, 1.5, b"2024-01-05T10:00:00Z", ["x"]], ids=repr)
def test_non_strings_are_not_datetimes(value: object) -> None:
    assert not is_rfc3339_datetime(value)


def test_common_datetime_pattern() -> None:
    assert COMMON_DATETIME.fullmatch("2024-01-05T10:00:00Z")
    assert COMMON_DATETIME.fullmatch("2024-01-05T10:00:00.123456Z")
    assert COMMON_DATETIME.fullmatch("1970-01-01T00:00:00Z")
    assert COMMON_DATETIME.fullmatch("2099-12-31T23:59:59.999999Z")
    for value in (
        "2024-01-05T10:00:00.1234567Z",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-01-05t10:00:00Z",
        "2024-01-05T10:00:00z",
        "2024-01-05T10:00:00+00:00",
        "1998-12-31T23:59:60Z",
        "2024-01-05T10:00:00Z\n",
        "202৪-01-05T10:00:00Z",
    ):
        assert not COMMON_DATETIME.fullmatch(value), value


# ---------------------------------------------------------------------------------------
# An independent reading: datetime.strptime on the common form
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
@MANY
@given(
    st.integers(1, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 61).filter(lambda s: s != 60),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,12}", fullmatch=True)),
)
def test_agrees_with_strptime(
    year: int, month: int, day: int, hour: int, minute: int, second: int, fraction: str
) -> None:
    head = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    try:
        dt.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S")
        expected = True
    except ValueError:
        expected = False
    assert (datetime_error(f"{head}{fraction}Z") is None) == expected


@pytest.mark.parametrize("year", [1, 4, 100, 1600, 1900, 2000, 2023, 2024, 2100, 9999])
def test_calendar_agrees_with_date(year: int) -> None:
    for month in range(0, 14):
        for day in range(0, 33):
            try:
                dt.date(year, month, day)
                expected = True
            except ValueError:
                expected = False
            value = f"{year:04d}-{month:02d}-{day:02d}T00:00:00Z"
            assert (datetime_error(value) is None) == expected, value


# ---------------------------------------------------------------------------------------
# utc_key
# ---------------------------------------------------------------------------------------


def test_leap_second_ordering() -> None:
    chain = [
        "1998-12-31T23:59:59Z",
        "1998-12-31T23:59:59.999999Z",
        "1998-12-31T23:59:60Z",
        "1998-12-31T23:59:60.5Z",
        "1999-01-01T00:00:00Z",
    ]
    keys = [utc_key(v) for v in chain]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert utc_key("1998-12-31T15:59:60.5-08:00") == utc_key("1998-12-31T23:59:60.5Z")


def test_utc_key_offsets_and_extremes() -> None:
    assert utc_key("2024-01-05T15:30:00+05:30") == utc_key("2024-01-05T10:00:00Z")
    assert utc_key("2024-01-05T10:00:00-00:00") == utc_key("2024-01-05t10:00:00z")
    assert utc_key("2024-01-05T10:00:00.5Z") == utc_key("2024-01-05T10:00:00.500Z")
    assert utc_key("0000-01-01T00:00:00Z") == (0, 0, 0)
    assert utc_key("0000-01-01T00:00:00+01:00") < utc_key("0000-01-01T00:00:00Z")
    assert utc_key("9999-12-31T23:59:59-23:59") > utc_key("9999-12-31T23:59:59.9Z")
    assert utc_key("0000-03-01T00:00:00Z")[0] == (31 + 29) * 86400  # year 0 is a leap year


def test_utc_key_fraction_precision() -> None:
    assert utc_key("2024-01-05T10:00:00.00000000000000000001Z") > utc_key("2024-01-05T10:00:00Z")
    assert utc_key("2024-01-05T10:00:00.5Z") > utc_key("2024-01-05T10:00:00.49999999999999999999Z")
    # Digits past FRACTION_DIGITS are below the key's resolution.
    longer = "2024-01-05T10:00:00." + "0" * FRACTION_DIGITS + "1Z"
    assert utc_key(longer) == utc_key("2024-01-05T10:00:00Z")


def _naive(value: str) -> tuple[dt.datetime, Fraction]:
    """The instant of a common-form value, read by ``datetime`` (no leap seconds)."""
    head, _, rest = value.partition(".")
    digits = rest.rstrip("Z")
    when = dt.datetime.strptime(head.rstrip("Z"), "%Y-%m-%dT%H:%M:%S")
    return when, Fraction(int(digits or "0"), 10 ** len(digits))


def _aware(value: str) -> tuple[dt.datetime, Fraction]:
    """The instant of a value without a leap second, read by ``datetime``."""
    if value[-1] in "Zz":
        body, zone = value[:-1], 0
    else:
        sign = -1 if value[-6] == "-" else 1
        body, zone = value[:-6], sign * (int(value[-5:-3]) * 60 + int(value[-2:]))
    head, _, digits = body.partition(".")
    when = dt.datetime.strptime(head.upper(), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=dt.timezone(dt.timedelta(minutes=zone))
    )
    return when, Fraction(int(digits or "0"), 10 ** len(digits))


def _sign(x: int | Fraction) -> int:
    return (x > 0) - (x < 0)


@pytest.mark.slow
@MANY
@given(strategy(gen_datetime, common=True), strategy(gen_datetime, common=True))
def test_utc_key_agrees_with_datetime(a: str, b: str) -> None:
    assume(1 <= int(a[:4]) <= 9998 and 1 <= int(b[:4]) <= 9998)
    (wa, fa), (wb, fb) = _naive(a), _naive(b)
    ka, kb = utc_key(a), utc_key(b)
    assert (ka < kb) == ((wa, fa) < (wb, fb))
    assert (ka == kb) == ((wa, fa) == (wb, fb))
    assert ka[0] - kb[0] == (wa - wb) // dt.timedelta(seconds=1)


@pytest.mark.slow
@MANY
@given(strategy(gen_datetime), strategy(gen_datetime))
def test_utc_key_agrees_with_aware_datetime(a: str, b: str) -> None:
    for v in (a, b):
        assume(
            2 <= int(v[:4]) <= 9997
            and v[17:19] != "60"
            and len(v.partition(".")[2]) <= FRACTION_DIGITS
        )
    (wa, fa), (wb, fb) = _aware(a), _aware(b)
    ka, kb = utc_key(a), utc_key(b)
    assert ka[0] - kb[0] == (wa - wb) // dt.timedelta(seconds=1)
    if ka[0] == kb[0]:
        assert _sign(ka[2] - kb[2]) == _sign(fa - fb)


# ---------------------------------------------------------------------------------------
# gen_datetime
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
@MANY
@given(strategy(gen_datetime))
def test_generated_values_are_valid(value: str) -> None:
    assert datetime_error(value) is None


@pytest.mark.slow
@MANY
@given(strategy(gen_datetime, common=True))
def test_common_values_are_common(value: str) -> None:
    assert datetime_error(value) is None
    m = COMMON_DATETIME.fullmatch(value)
    assert m is not None
    assert len((m.group("fraction") or ".")[1:]) <= 6
    assert 1970 <= int(m.group("year")) <= 2099


def test_simplest_value_is_plain_and_recent() -> None:
    simplest = find(strategy(gen_datetime), lambda v: True, settings=settings(database=None))
    assert simplest == "2019-01-01T00:00:00Z"


#: Awkward ``not_before`` values: at the edges of the range, leap seconds, long fractions.
EDGE_NOT_BEFORE = [
    "0000-01-01T00:00:00+01:00",
    "0000-01-01T00:59:60+01:00",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59.999999999Z",
    "9999-12-31T23:59:59.9999999999Z",
    "9999-12-31T23:59:60Z",
    "9999-12-31T23:59:60.5Z",
    "1998-12-31T23:59:60.999999999999Z",
    "2024-01-05T10:00:00.9999999999999Z",
    "2024-01-05T10:00:00.1234567891Z",
]

_LAST_COMMON = utc_key("2099-12-31T23:59:59.999999Z")


def _check_not_before(src: Source, not_before: str, common: bool) -> str:
    try:
        value = gen_datetime(src, common=common, not_before=not_before)
    except ValueError:
        # Only when no common-form value is that late.
        assert common
        assert utc_key(not_before) > _LAST_COMMON
        return not_before
    assert datetime_error(value) is None, value
    assert utc_key(value) >= utc_key(not_before), (not_before, value)
    if common:
        assert COMMON_DATETIME.fullmatch(value), value
    return value


@pytest.mark.slow
@MANY
@given(
    st.one_of(strategy(gen_datetime), st.sampled_from(EDGE_NOT_BEFORE)),
    st.booleans(),
    st.data(),
)
def test_not_before_is_respected(not_before: str, common: bool, data: st.DataObject) -> None:
    data.draw(strategy(_check_not_before, not_before, common))


def test_not_before_is_sometimes_equal_and_sometimes_later() -> None:
    src = RandomSource(7)
    outcomes: Counter[str] = Counter()
    for _ in range(2000):
        common = src.boolean()
        not_before = gen_datetime(src, common=common)
        value = _check_not_before(src, not_before, common)
        a, b = utc_key(value), utc_key(not_before)
        outcomes["equal" if a == b else "later"] += 1
        outcomes["same-string" if value == not_before else "other-string"] += 1
    assert min(outcomes.values()) >= 50, outcomes


def test_not_before_rejects_invalid() -> None:
    with pytest.raises(ValueError):
        gen_datetime(RandomSource(0), not_before="2024-02-30T00:00:00Z")
    with pytest.raises(ValueError):
        gen_datetime(RandomSource(0), common=True, not_before="9999-12-31T23:59:60Z")


_FEATURES: dict[str, Callable[[str], bool]] = {
    "numeric-offset": lambda v: v[-6] in "+-",
    "negative-zero-offset": lambda v: v.endswith("-00:00"),
    "odd-offset": lambda v: (
        re.search(r"[+-]([0-9]{2}):([0-9]{2})\Z", v) is not None and v[-2:] not in ("00", "30")
    ),
    "lower-case-t": lambda v: v[10] == "t",
    "lower-case-z": lambda v: v.endswith("z"),
    "leap-second": lambda v: v[17:19] == "60",
    "leap-second-with-offset": lambda v: v[17:19] == "60" and v[-6] in "+-",
    "long-fraction": lambda v: len(re.sub(r"[^.]*\.?([0-9]*).*", r"\1", v)) > 9,
    "no-fraction": lambda v: "." not in v,
    "year-0000": lambda v: v.startswith("0000-"),
    "year-9999": lambda v: v.startswith("9999-"),
    "feb-29": lambda v: v[4:10] == "-02-29",
    "recent": lambda v: "2019" <= v[:4] <= "2027",
    "common-form": lambda v: COMMON_DATETIME.fullmatch(v) is not None,
}


def test_features_appear_within_budget() -> None:
    src = RandomSource(2024)
    values = [gen_datetime(src) for _ in range(3000)]
    seen = {name: sum(map(check, values)) for name, check in _FEATURES.items()}
    assert all(seen.values()), seen
    assert seen["recent"] > len(values) // 2, seen


def test_common_generation_stays_common() -> None:
    src = RandomSource(3)
    for _ in range(3000):
        value = gen_datetime(src, common=True)
        assert COMMON_DATETIME.fullmatch(value) and datetime_error(value) is None, value


# ---------------------------------------------------------------------------------------
# Malformations
# ---------------------------------------------------------------------------------------

REQUIRED_MALFORMATIONS = {
    "space-separator",
    "missing-separator",
    "other-separator",
    "offset-without-colon",
    "offset-hour-24",
    "offset-minute-60",
    "hour-24",
    "minute-60",
    "second-61",
    "misplaced-leap-second",
    "feb-30",
    "feb-29-common-year",
    "month-13",
    "day-32",
    "unpadded-field",
    "extended-year",
    "z-after-offset",
    "missing-offset",
    "missing-seconds",
    "empty-fraction",
    "comma-fraction",
    "non-ascii-digit",
    "lookalike-hyphen",
    "lookalike-offset-sign",
    "lookalike-colon",
    "lookalike-decimal-point",
    "lookalike-t",
    "lookalike-z",
    "lookalike-digit",
    "trailing-newline",
    "surrounding-whitespace",
    "date-only",
    "time-only",
    "empty-string",
    "garbage",
}


def test_registry() -> None:
    assert set(MALFORMATIONS) >= REQUIRED_MALFORMATIONS
    for name, op in MALFORMATIONS.items():
        assert isinstance(op, Malformation)
        assert op.name == name
        assert op.description and "\n" not in op.description
        assert op.description == (op.fn.__doc__ or "").strip()


def test_registering_twice_or_without_docstring_fails() -> None:
    with pytest.raises(ValueError):
        malformation("garbage")(lambda src, valid: "x")
    with pytest.raises(ValueError):
        malformation("undocumented-operator")(lambda src, valid: "x")
    assert "undocumented-operator" not in MALFORMATIONS


@pytest.mark.parametrize("name", MALFORMATIONS)
def test_operator_always_breaks_its_input(name: str) -> None:
    fn = MALFORMATIONS[name].fn
    outputs = set()
    for seed in range(400):
        src = RandomSource(seed)
        valid = gen_datetime(src, common=True)
        broken = fn(src, valid)
        assert datetime_error(broken) is not None, (name, valid, broken)
        outputs.add(broken)
    assert len(outputs) > 1 or name == "empty-string", name


@pytest.mark.slow
@MANY
@given(strategy(gen_malformed_datetime))
def test_malformed_values_are_rejected(case: tuple[str, str]) -> None:
    name, value = case
    assert name in MALFORMATIONS
    assert datetime_error(value) is not None, case
    assert not is_rfc3339_datetime(value)


#: Each look-alike back to the ASCII character it passes for.
_ASCII_OF = {
    look: ascii_char
    for table in (LOOKALIKES, DIGIT_LOOKALIKES)
    for ascii_char, looks in table.items()
    for look in looks
}
#: The malformations that put a look-alike where RFC 3339 has ASCII, and nothing else.
LOOKALIKE_MALFORMATIONS = tuple(name for name in MALFORMATIONS if name.startswith("lookalike-"))
SEPARATOR_MALFORMATIONS = ("space-separator", "missing-separator", "other-separator")


def _malformed(src: Source, name: str) -> tuple[str, str]:
    valid = gen_datetime(src, common=True)
    return valid, MALFORMATIONS[name].fn(src, valid)


def test_every_punctuation_and_letter_of_a_date_time_has_look_alikes() -> None:
    assert set(LOOKALIKES) == set("-+:.TZ")
    assert set(DIGIT_LOOKALIKES) == set("0123456789")
    assert LOOKALIKES["-"][0] == "\u2212"  # MINUS SIGN, which pydantic reads as '-'
    assert len(_ASCII_OF) == sum(len(v) for t in (LOOKALIKES, DIGIT_LOOKALIKES) for v in t.values())
    for look, ascii_char in _ASCII_OF.items():
        assert look != ascii_char and len(look) == 1
        # Nothing a strict reading could take for the character: no decimal digit, no space.
        assert not look.isdecimal() and not look.isspace(), look
    assert set(LOOKALIKE_MALFORMATIONS) == {
        "lookalike-hyphen", "lookalike-offset-sign", "lookalike-colon",
        "lookalike-decimal-point", "lookalike-t", "lookalike-z", "lookalike-digit",
    }  # fmt: skip


def check_lookalike(name: str, valid: str, value: str) -> None:
    """The oracle refuses ``value``, names the look-alike as the reason, and takes the value
    once each look-alike is read back as the ASCII character it passes for: the label is
    the only thing wrong with it."""
    looks = [c for c in value if c in _ASCII_OF]
    assert looks, (name, value)
    reason = datetime_error(value)
    assert reason is not None, (name, value)
    first = looks[0]
    assert f"U+{ord(first):04X}" in reason if not first.isascii() else repr(first) in reason
    read_back = "".join(_ASCII_OF.get(c, c) for c in value)
    assert datetime_error(read_back) is None, (name, value, read_back)
    # The same date-time with one character swapped (or an offset or a fraction put in to
    # hold the look-alike: the date and time to the second stay those of the valid value).
    assert read_back == valid or read_back[:19] == valid[:19], (name, value)
    assert read_back == valid or name in (
        "lookalike-offset-sign", "lookalike-colon", "lookalike-decimal-point"
    ), (name, value)  # fmt: skip


def check_separator(name: str, valid: str, value: str) -> None:
    """Spaces, nothing, or another character between date and time, each under its own
    name: ``T`` put back makes it valid, and the oracle's reason says what is there."""
    separator = value[10 : len(value) - len(valid) + 11]
    assert value[:10] + "T" + value[10 + len(separator) :] == valid, (name, value)
    expected = {
        "space-separator": SPACE_SEPARATORS,
        "missing-separator": ("",),
        "other-separator": OTHER_SEPARATORS,
    }[name]
    assert separator in expected, (name, value)
    reason = datetime_error(value)
    assert reason is not None
    if separator:
        assert f"has {separator[0]!r} between date and time instead of 'T'" in reason, reason
    else:
        assert "has nothing between date and time; RFC 3339 requires 'T'" in reason, reason


@pytest.mark.parametrize("name", LOOKALIKE_MALFORMATIONS + SEPARATOR_MALFORMATIONS)
def test_lookalike_and_separator_malformations_break_only_their_label(name: str) -> None:
    check = check_lookalike if name in LOOKALIKE_MALFORMATIONS else check_separator
    for seed in range(300):
        check(name, *_malformed(RandomSource(seed), name))


def _labelled(names: tuple[str, ...]) -> st.SearchStrategy[tuple[str, str, str]]:
    return st.sampled_from(names).flatmap(
        lambda name: strategy(_malformed, name).map(lambda pair: (name, *pair))
    )


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, database=None)
@given(_labelled(LOOKALIKE_MALFORMATIONS))
def test_a_lookalike_malformation_is_invalid_for_its_look_alike_only(
    case: tuple[str, str, str],
) -> None:
    check_lookalike(*case)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, database=None)
@given(_labelled(SEPARATOR_MALFORMATIONS))
def test_a_separator_malformation_is_invalid_for_its_separator_only(
    case: tuple[str, str, str],
) -> None:
    check_separator(*case)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, database=None)
@given(invalid_runs(rules=["malformed-date-time"]))
def test_malformed_date_time_records_fail_for_exactly_their_label(case: InvalidCase) -> None:
    """On a record: the oracle refuses only the broken property, for its format, whichever
    malformation the label names."""
    assert case.violation.detail in MALFORMATIONS
    assert label_holds(default_oracle(), case), (case, default_oracle().errors(case.record))
    errors = default_oracle().errors(case.record)
    assert [(e.path, e.keyword) for e in errors] == [(case.violation.path, "format")]


@settings(max_examples=500, deadline=None, database=None)
@given(
    strategy(gen_datetime),
    st.integers(min_value=0),
    st.characters(min_codepoint=0x80),
    st.sampled_from(["swap", "insert"]),
)
def test_the_oracle_takes_no_non_ascii_character_anywhere(
    valid: str, where: int, char: str, how: str
) -> None:
    """Strict however a character looks: any non-ASCII one put in or swapped in anywhere
    in a valid date-time makes it invalid, as does a line break after it."""
    i = where % (len(valid) + (how == "insert"))
    value = valid[:i] + char + valid[i + (how == "swap") :]
    assert datetime_error(value) is not None, value
    assert datetime_error(valid + "\n") is not None


def test_every_operator_is_drawn_within_budget() -> None:
    src = RandomSource(11)
    drawn = Counter(gen_malformed_datetime(src)[0] for _ in range(40 * len(MALFORMATIONS)))
    assert set(drawn) == set(MALFORMATIONS), set(MALFORMATIONS) - set(drawn)


def test_simplest_malformation_is_the_first_operator() -> None:
    simplest = find(
        strategy(gen_malformed_datetime), lambda case: True, settings=settings(database=None)
    )
    assert simplest[0] == next(iter(MALFORMATIONS))


def test_datetime_forms_are_valid_and_cover_every_spelling() -> None:
    from inngest_conformance.strategies._datetimes import datetime_form, datetime_forms

    forms = datetime_forms()
    assert all(datetime_error(v) is None for v in forms)
    kinds = {datetime_form(v) for v in forms}
    assert len(kinds) == len(forms)  # one value per form
    for feature in ("t", "z", "-00:00", "+00:00", "east", "west", "10+ digits", "leap second"):
        assert any(feature in k for k in kinds), feature
    assert forms == datetime_forms()  # the same every time
