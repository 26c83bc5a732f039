"""Every single-edit mutant of a schema and a lifecycle table, each with a witness.

The kit claims that ``certify --profile quick`` finds the defects it knows how to make.
This module turns that claim into a number: it derives, from the schema and the lifecycle
table in use, every implementation that differs from the reference by exactly one edit,
and ``tests/test_mutants.py`` certifies each one and checks that the kit finds it and
blames the requirement the edit breaks.

*Schema mutants* are validators: the run schema with one edit, judged by python-jsonschema
with format assertion and the kit's strict RFC 3339 ``date-time`` check (exactly how the
oracle is built), or the oracle with one edit to its ``date-time`` check.  The edits: a
required property dropped from ``required``; an optional one made required; a property's
type widened by each JSON type or removed; a format removed, changed to another format, made
lenient by one malformation or strict against one valid form; an enum member removed; a
concrete near miss added to an enum (the platform's spellings, case, whitespace, look-alike
and truncated variants of every member); the root and every object property opened or
closed; length, pattern and size limits on strings, numbers and objects (an object's keys
included); one property made to need another; one status made to need an optional property.

*Lifecycle mutants* are run stores: the reference store with one legal transition refused,
one illegal transition allowed (self-loops and exits from terminal states included), or one
record invariant broken in one state.

Every mutant carries a *witness* -- a document, or a lifecycle program -- that the mutant
and the reference judge differently, so no mutant is an equivalent one; an edit that cannot
have a witness (an enum that already rules out the widened type, a transition out of a state
no run reaches) is listed as :class:`Excluded` with the reason.  Nothing here is hand-listed
per property or per status: a user's schema with one more status or property gets its own
mutants with no code change.

``python tests/mutants.py [--jobs N]`` certifies them all and prints the figure.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from unittest import mock

from inngest_conformance import _engine, certify_adapter, open_adapter
from inngest_conformance._planning import context
from inngest_conformance._requirements import Context, catalogue
from inngest_conformance._run_programs import starts_later
from inngest_conformance.reference import ReferenceStore, Verdict
from inngest_conformance.strategies import (
    RECORD_PROFILES,
    LifecycleModel,
    Oracle,
    _invalid,
    datetime_error,
    default_schema,
)
from inngest_conformance.strategies._programs import program_from_json
from jsonschema import Draft202012Validator, FormatChecker

JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
#: An ordinary date-time: a witness differs from it in one edit only.
BASE_DATETIME = "2024-09-01T19:01:53Z"


@dataclass(frozen=True)
class Mutant:
    """One implementation that differs from the reference by exactly one edit."""

    id: str
    """``schema:<family>:<where>[:<variant>]`` or ``lifecycle:<family>:<where>``."""
    family: str
    role: str
    """``validator`` or ``lifecycle``."""
    edit: str
    """What was changed, in words."""
    blame: str
    """The requirement the edit breaks: an id, or an ``fnmatch`` pattern of ids."""
    witness: Any
    """A document (validator) or a lifecycle program the mutant and the reference judge
    differently."""
    make: Callable[[], Any] = field(compare=False, repr=False)
    """A fresh implementation (stores keep state, so each certify run gets its own)."""


@dataclass(frozen=True)
class Excluded:
    """An edit that has no witness: the mutant would be equivalent to the reference."""

    id: str
    reason: str
    make: Callable[[], Any] | None = field(default=None, compare=False, repr=False)
    """The would-be implementation, where there is one to hold to its equivalence."""


# ---------------------------------------------------------------------------------------
# Validators built from a schema document
# ---------------------------------------------------------------------------------------

DateTimeCheck = Callable[[str], "str | None"]


def _full_date_error(value: str) -> str | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return f"{value!r} is not a full-date"
    return datetime_error(value + "T00:00:00Z")


def _full_time_error(value: str) -> str | None:
    return datetime_error("2000-01-01T" + value)


class SchemaValidator:
    """A validator for a schema document: Draft 2020-12 with format assertion, the kit's
    strict ``date-time`` check, ``date`` and ``time``, and any ``formats`` named here (an
    edited date-time check for one property goes in under a name of its own)."""

    def __init__(
        self, document: Mapping[str, Any], formats: Mapping[str, DateTimeCheck] | None = None
    ) -> None:
        checker = FormatChecker(formats=())
        checks = {
            "date-time": datetime_error,
            "date": _full_date_error,
            "time": _full_time_error,
            **(formats or {}),
        }
        for name, check in checks.items():
            checker.checks(name, raises=ValueError)(_assertion(check))
        self.document = copy.deepcopy(dict(document))
        self._validator = Draft202012Validator(self.document, format_checker=checker)

    def __call__(self, record: Any) -> Verdict:
        if self._validator.is_valid(record):
            return Verdict(True)
        return Verdict(False, tuple(e.message for e in self._validator.iter_errors(record))[:3])


def _assertion(check: DateTimeCheck) -> Callable[[object], bool]:
    def assert_format(instance: object) -> bool:
        if isinstance(instance, str):
            reason = check(instance)
            if reason is not None:
                raise ValueError(reason)
        return True

    return assert_format


def neutral_value(sub: Mapping[str, Any]) -> Any:
    """A value of a property's subschema that no implementation argues about."""
    if "enum" in sub:
        return sub["enum"][0]
    types = sub.get("type", "string")
    kind = types if isinstance(types, str) else types[0]
    if kind == "string":
        return BASE_DATETIME if sub.get("format") == "date-time" else "a1"
    return {"null": None, "boolean": True, "integer": 1, "number": 1.5, "array": [], "object": {}}[
        kind
    ]


def base_record(document: Mapping[str, Any], *also: str) -> dict[str, Any]:
    """The required properties, and ``also``, each with its neutral value."""
    props = document["properties"]
    names = [*document.get("required", ()), *also]
    return {n: neutral_value(props[n]) for n in props if n in names}


def _value_of_type(kind: str) -> Any:
    return {
        "null": None,
        "boolean": False,
        "integer": 0,
        "number": 0.5,
        "string": "a1",
        "array": [],
        "object": {},
    }[kind]


def _types(sub: Mapping[str, Any]) -> tuple[str, ...]:
    t = sub.get("type")
    return () if t is None else ((t,) if isinstance(t, str) else tuple(t))


def _allows(types: Sequence[str], kind: str) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


# ---------------------------------------------------------------------------------------
# Concrete near misses of an enum member and malformations of a date-time
# ---------------------------------------------------------------------------------------

#: Status spellings of the real platform (title case, internal states, CANCELED): the
#: kit's own list, so a spelling added there is a mutant here too.
PLATFORM_SPELLINGS = _invalid.PLATFORM_SPELLINGS
_CYRILLIC = dict(zip("ACEIOPSaceiops", "АСЕІОРЅасеіорѕ", strict=True))


def near_misses(member: str) -> Iterator[tuple[str, str]]:
    """``(variant, value)`` for every concrete near miss of one enum member."""
    k = max(1, len(member) // 2)
    yield "lower", member.lower()
    yield "title", member.title()
    yield "swapcase", member.swapcase()
    yield "alternating", "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(member))
    yield (
        "alternating-upper",
        "".join(c.lower() if i % 2 else c.upper() for i, c in enumerate(member)),
    )
    yield "leading-space", " " + member
    yield "trailing-space", member + " "
    yield "inner-space", member[:k] + " " + member[k:]
    yield "leading-tab", "\t" + member
    yield "trailing-newline", member + "\n"
    yield "nbsp", "\u00a0" + member
    yield "zero-width", member + "\u200b"
    yield "nul", member + "\x00"
    glyph = next((i for i, c in enumerate(member) if c in _CYRILLIC), None)
    if glyph is not None:
        yield "cyrillic", member[:glyph] + _CYRILLIC[member[glyph]] + member[glyph + 1 :]
    yield "fullwidth", "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in member)
    yield "truncated", member[:-1]
    yield "doubled-last", member + member[-1:]
    yield "empty", ""


def _sub_digits(value: str) -> str:
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in value)


#: One malformation each: the spelling of an ordinary date-time that breaks RFC 3339 in
#: exactly that way, and how a lenient check reads it back to a valid one.
LENIENCIES: dict[str, tuple[str, Callable[[str], str]]] = {
    "space-separator": ("2024-09-01 19:01:53Z", lambda v: re.sub(r"^(.{10}) ", r"\1T", v)),
    "underscore-separator": ("2024-09-01_19:01:53Z", lambda v: re.sub(r"^(.{10})_", r"\1T", v)),
    "no-separator": ("2024-09-0119:01:53Z", lambda v: re.sub(r"^(.{10})(?=\d\d:)", r"\1T", v)),
    "offset-without-colon": (
        "2024-09-01T19:01:53+0530",
        lambda v: re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", v),
    ),
    "hour-only-offset": ("2024-09-01T19:01:53-08", lambda v: re.sub(r"([+-]\d\d)$", r"\1:00", v)),
    "missing-offset": (
        "2024-09-01T19:01:53",
        lambda v: v if re.search(r"[Zz]|:\d\d$", v[19:]) else v + "Z",
    ),
    "missing-seconds": (
        "2024-09-01T19:01Z",
        lambda v: re.sub(r"T(\d\d:\d\d)(?=[Zz+-])", r"T\1:00", v),
    ),
    "trailing-newline": (BASE_DATETIME + "\n", lambda v: v.removesuffix("\n")),
    "surrounding-space": (" " + BASE_DATETIME + " ", str.strip),
    "comma-fraction": ("2024-09-01T19:01:53,5Z", lambda v: v.replace(",", ".")),
    "named-zone": ("2024-09-01T19:01:53 UTC", lambda v: v.replace(" UTC", "Z")),
    "z-after-offset": ("2024-09-01T19:01:53+00:00Z", lambda v: re.sub(r"(:\d\d)Z$", r"\1", v)),
    "hour-24": ("2024-09-01T24:00:00Z", lambda v: v.replace("T24:00:00", "T23:59:59")),
    "impossible-date": (
        "2023-02-30T19:01:53Z",
        lambda v: re.sub(r"^(\d{4}-\d\d)-\d\d", r"\1-01", v),
    ),
    "unpadded": ("2024-9-1T19:01:53Z", lambda v: re.sub(r"^(\d{4})-(\d)-(\d)T", r"\1-0\2-0\3T", v)),
    "non-ascii-digits": ("２０２４-09-01T19:01:53Z", _sub_digits),
    "misplaced-leap-second": ("2024-09-01T19:01:60Z", lambda v: v.replace(":60", ":59")),
    "extended-year": ("+02024-09-01T19:01:53Z", lambda v: re.sub(r"^\+0(\d{4})", r"\1", v)),
    "date-only": ("2024-09-01", lambda v: v + "T00:00:00Z" if len(v) == 10 else v),
    # Look-alikes: pydantic's reading of U+2212 as '-', a check that NFKC-normalises first
    # (fullwidth and small forms become ASCII), and one that reads other scripts' T and Z.
    "minus-sign-offset": ("2024-09-01T19:01:53\u221205:00", lambda v: v.replace("\u2212", "-")),
    "nfkc-folded": ("2024-09-01T19\uff1a01:53Z", lambda v: unicodedata.normalize("NFKC", v)),
    "confusable-letters": (
        "2024-09-01\u042219:01:53Z",
        lambda v: v.translate({0x0422: "T", 0x03A4: "T", 0x0396: "Z"}),
    ),
}

#: One valid RFC 3339 form each, and the too-strict check that refuses it.
STRICTNESSES: dict[str, tuple[str, Callable[[str], bool]]] = {
    "lower-case-t-z": ("2024-09-01t19:01:53z", lambda v: "t" in v or "z" in v),
    "numeric-offset": ("2024-09-01T19:01:53+05:30", lambda v: not v.endswith(("Z", "z"))),
    "negative-zero-offset": ("2024-09-01T19:01:53-00:00", lambda v: v.endswith("-00:00")),
    "leap-second": ("2016-12-31T23:59:60Z", lambda v: v[17:19] == "60"),
    "fraction": ("2024-09-01T19:01:53.5Z", lambda v: "." in v),
    "long-fraction": ("2024-09-01T19:01:53.1234567891Z", lambda v: bool(re.search(r"\.\d{10}", v))),
    "year-zero": ("0000-01-01T00:00:00Z", lambda v: v.startswith("0000")),
    "before-1970": ("1969-12-31T23:59:59Z", lambda v: v[:4] < "1970"),
    "after-2038": ("2038-01-19T03:14:08Z", lambda v: v[:4] >= "2038"),
}


# ---------------------------------------------------------------------------------------
# Schema mutants
# ---------------------------------------------------------------------------------------


class Edit(Protocol):
    """One edit of a schema document, in place.  The edits are lambdas that bind the loop's
    variables as defaults (``lambda d, n=name: ...``), so only the document is passed."""

    def __call__(self, document: dict[str, Any], /) -> None: ...


class Locate(Protocol):
    """Where in a schema document an edit applies, bound the same way as an :class:`Edit`."""

    def __call__(self, document: dict[str, Any], /) -> dict[str, Any]: ...


@dataclass
class _SchemaMutants:
    document: dict[str, Any]
    mutants: list[Mutant] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.original = SchemaValidator(self.document)

    def add(
        self,
        mid: str,
        edit: str,
        blame: str,
        witnesses: Sequence[Any],
        *,
        document: dict[str, Any] | None = None,
        formats: Mapping[str, DateTimeCheck] | None = None,
        no_witness: str = "",
    ) -> None:
        """Keep the mutant if one of ``witnesses`` tells it apart; else exclude it."""
        mutated = document if document is not None else self.document
        make = _validator_factory(mutated, formats or {})
        impl = make()
        for witness in witnesses:
            if self.original(witness).valid != impl(witness).valid:
                family = mid.split(":")[1]
                self.mutants.append(Mutant(mid, family, "validator", edit, blame, witness, make))
                return
        self.excluded.append(Excluded(mid, no_witness or "no witness among the candidates", make))

    def edited(self, edit: Edit) -> dict[str, Any]:
        doc = copy.deepcopy(self.document)
        edit(doc)
        return doc


def _validator_factory(
    document: dict[str, Any], formats: Mapping[str, DateTimeCheck]
) -> Callable[[], Any]:
    def make() -> SchemaValidator:
        return SchemaValidator(document, formats)

    return make


def _accept_blame(sub: Mapping[str, Any], name: str) -> str:
    """What a mutant that refuses a valid value of ``name`` is blamed on."""
    return (
        f"format:accepts-rfc3339:{name}" if sub.get("format") == "date-time" else "schema:accepts-*"
    )


def schema_mutants(document: Mapping[str, Any]) -> tuple[list[Mutant], list[Excluded]]:
    """Every single-edit mutant of ``document`` (see the module docstring)."""
    g = _SchemaMutants(copy.deepcopy(dict(document)))
    doc = g.document
    props: dict[str, Any] = doc["properties"]
    required: list[str] = list(doc.get("required", ()))
    base = base_record(doc)

    def with_value(name: str, value: Any) -> dict[str, Any]:
        return {**base, name: value}

    for name in required:
        g.add(
            f"schema:drop-required:{name}",
            f"{name} no longer required",
            f"schema:rejects-missing-required:{name}",
            [{k: v for k, v in base.items() if k != name}],
            document=g.edited(lambda d, n=name: d["required"].remove(n)),
        )
    for name in props:
        if name not in required:
            g.add(
                f"schema:make-required:{name}",
                f"{name} made required",
                "schema:accepts-required-only",
                [base],
                document=g.edited(lambda d, n=name: d.setdefault("required", []).append(n)),
            )

    for name, sub in props.items():
        types = _types(sub)
        if not types:
            g.excluded.append(Excluded(f"schema:type-*:{name}", f"{name} has no type to edit"))
            continue
        for kind in JSON_TYPES:
            if _allows(types, kind):
                continue
            g.add(
                f"schema:type-widened:{name}:{kind}",
                f"{name} also admits {kind}",
                f"schema:rejects-wrong-type:{name}",
                [with_value(name, _value_of_type(kind))],
                document=g.edited(lambda d, n=name, k=kind: _widen(d["properties"][n], k)),
                no_witness=f"{name}'s enum admits no {kind}, so widening its type changes nothing",
            )
        g.add(
            f"schema:type-removed:{name}",
            f"{name} of any type",
            f"schema:rejects-wrong-type:{name}",
            [with_value(name, _value_of_type(k)) for k in JSON_TYPES if not _allows(types, k)],
            document=g.edited(lambda d, n=name: d["properties"][n].pop("type")),
            no_witness=f"{name}'s enum still admits only its members",
        )

    for name, sub in props.items():
        if sub.get("format") != "date-time":
            continue
        g.add(
            f"schema:format-removed:{name}",
            f"{name} any string",
            f"format:rejects-malformed-date-time:{name}",
            [with_value(name, "yesterday")],
            document=g.edited(lambda d, n=name: d["properties"][n].pop("format")),
        )
        for fmt in ("date", "time"):
            g.add(
                f"schema:format-changed:{name}:{fmt}",
                f"{name} format {fmt} instead of date-time",
                f"format:accepts-rfc3339:{name}",
                [with_value(name, BASE_DATETIME)],
                document=g.edited(lambda d, n=name, f=fmt: d["properties"][n].update(format=f)),
            )
        for variant, (spelling, read) in LENIENCIES.items():
            g.add(
                f"schema:format-lenient:{name}:{variant}",
                f"{name}'s date-time check also accepts {spelling!r} ({variant})",
                f"format:rejects-malformed-date-time:{name}",
                [with_value(name, spelling)],
                document=g.edited(lambda d, n=name: d["properties"][n].update(format="edited")),
                formats={"edited": _lenient(read)},
            )
        for variant, (form, refuses) in STRICTNESSES.items():
            g.add(
                f"schema:format-strict:{name}:{variant}",
                f"{name}'s date-time check refuses {form!r} ({variant})",
                f"format:accepts-rfc3339:{name}",
                [with_value(name, form)],
                document=g.edited(lambda d, n=name: d["properties"][n].update(format="edited")),
                formats={"edited": _strict(refuses)},
            )

    for name, sub in props.items():
        members = sub.get("enum")
        if members is None:
            continue
        for i, member in enumerate(members):
            rest = [m for j, m in enumerate(members) if j != i]
            g.add(
                f"schema:enum-removed:{name}:{member}",
                f"{member!r} removed from {name}'s enum",
                f"schema:accepts-every-value:{name}",
                [with_value(name, member)],
                document=g.edited(lambda d, n=name, r=rest: d["properties"][n].update(enum=r)),
                no_witness="the enum had only this member",
            )
        seen: set[str] = set()
        candidates = [("platform", s) for s in PLATFORM_SPELLINGS]
        for member in members:
            if isinstance(member, str) and member:
                candidates.extend((f"{member}:{v}", s) for v, s in near_misses(member))
        for variant, value in candidates:
            if value in seen:
                continue
            seen.add(value)
            mid = f"schema:enum-near-miss:{name}:{variant}" + (
                f":{value}" if variant == "platform" else ""
            )
            if value in members:
                g.excluded.append(Excluded(mid, f"{value!r} is a member of {name}'s enum"))
                continue
            g.add(
                mid,
                f"{value!r} added to {name}'s enum",
                f"schema:rejects-not-in-enum:{name}",
                [with_value(name, value)],
                document=g.edited(
                    lambda d, n=name, v=value: d["properties"][n].update(
                        enum=[*d["properties"][n]["enum"], v]
                    )
                ),
            )

    extra = next(n for n in ("x_extra", "extra_", "x") if n not in props)
    _open_close(
        g, "root", "/", doc, lambda d: d, {**base, extra: 1}, "schema:rejects-unknown-property"
    )
    for name, sub in props.items():
        if "object" in _types(sub):
            _open_close(
                g,
                name,
                f"/properties/{name}",
                sub,
                lambda d, n=name: d["properties"][n],
                with_value(name, {"k": 1}),
                None,
            )

    for name, sub in props.items():
        for limit, keywords, values in _limits(sub, list(props)):
            g.add(
                f"schema:limit:{name}:{limit}",
                f"{name} limited by {json.dumps(keywords)}",
                _accept_blame(sub, name),
                [with_value(name, v) for v in values],
                document=g.edited(lambda d, n=name, kw=keywords: d["properties"][n].update(kw)),
                no_witness=f"every value of {name} the schema accepts meets the limit",
            )

    optional = [n for n in props if n not in required]
    for a in optional:
        for b in optional:
            if a == b:
                continue
            g.add(
                f"schema:depends:{a}:{b}",
                f"{a} needs {b}",
                "schema:accepts-*",
                [{**base_record(doc, a)}],
                document=g.edited(
                    lambda d, x=a, y=b: d.setdefault("dependentRequired", {}).update({x: [y]})
                ),
            )
    for name, sub in props.items():
        for member in sub.get("enum", ()):
            for b in optional:
                g.add(
                    f"schema:value-needs:{name}={member}:{b}",
                    f"{name} {member!r} needs {b}",
                    "schema:accepts-*",
                    [with_value(name, member)],
                    document=g.edited(
                        lambda d, n=name, m=member, y=b: d.setdefault("allOf", []).append(
                            {
                                "if": {"properties": {n: {"const": m}}, "required": [n]},
                                "then": {"required": [y]},
                            }
                        )
                    ),
                )
    return g.mutants, g.excluded


def _widen(sub: dict[str, Any], kind: str) -> None:
    sub["type"] = [*_types(sub), kind]


def _strict(refuses: Callable[[str], bool]) -> DateTimeCheck:
    def check(value: str) -> str | None:
        return datetime_error(value) or (
            "refused by a too strict check" if refuses(value) else None
        )

    return check


def _lenient(read: Callable[[str], str]) -> DateTimeCheck:
    def check(value: str) -> str | None:
        return datetime_error(value) and datetime_error(read(value))

    return check


def _open_close(
    g: _SchemaMutants,
    where: str,
    pointer: str,
    sub: Mapping[str, Any],
    locate: Locate,
    witness: dict[str, Any],
    open_blame: str | None,
) -> None:
    closed = sub.get("additionalProperties", True) is False
    if closed:
        g.add(
            f"schema:opened:{where}",
            f"{pointer} admits unknown properties",
            open_blame or "schema:rejects-*",
            [witness],
            document=g.edited(lambda d: locate(d).update(additionalProperties=True)),
        )
        g.excluded.append(Excluded(f"schema:closed:{where}", f"{pointer} is closed already"))
    else:
        g.add(
            f"schema:closed:{where}",
            f"{pointer} admits no unknown properties",
            "schema:accepts-*",
            [witness],
            document=g.edited(lambda d: locate(d).update(additionalProperties=False)),
        )
        g.excluded.append(Excluded(f"schema:opened:{where}", f"{pointer} is open already"))


def _limits(
    sub: Mapping[str, Any], names: Sequence[str]
) -> Iterator[tuple[str, dict[str, Any], list[Any]]]:
    """``(name, keywords, candidate witnesses)`` for each limit a property's types take."""
    types = _types(sub)
    long_fraction = "2024-09-01T19:01:53." + "1" * 240 + "Z"
    if "string" in types:
        yield "min-length-1", {"minLength": 1}, [""]
        yield "max-length-255", {"maxLength": 255}, ["x" * 256, long_fraction]
        yield "ascii-only", {"pattern": "^[\\x20-\\x7e]*$"}, ["é", "日本", "\x00", "😀"]
        yield "no-control-characters", {"pattern": "^[^\\x00-\\x1f\\x7f]*$"}, ["\x00", "a\nb", "\t"]
        yield "no-markup", {"pattern": "^[^<>]*$"}, ["<script>alert(1)</script>"]
    if "integer" in types or "number" in types:
        yield "minimum-0", {"minimum": 0}, [-1]
        yield "maximum-int32", {"maximum": 2**31 - 1}, [2**31]
    if "object" in types:
        yield "min-properties-1", {"minProperties": 1}, [{}]
        yield "max-properties-16", {"maxProperties": 16}, [{f"k{i}": i for i in range(17)}]
        yield (
            "flat",
            {"additionalProperties": {"not": {"type": ["object", "array"]}}},
            [
                {"a": {"b": 1}},
                {"a": [1]},
            ],
        )
        yield "ascii-keys", {"propertyNames": {"pattern": "^[\\x20-\\x7e]*$"}}, [{"é": 1}]
        yield (
            "no-record-keys",
            {"propertyNames": {"not": {"enum": list(names)}}},
            [{n: 1} for n in names],
        )


# ---------------------------------------------------------------------------------------
# Lifecycle mutants
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditedTable:
    """A lifecycle model with some transitions refused or allowed (the store's view; it
    need not be a valid table)."""

    base: LifecycleModel
    refuse: frozenset[tuple[str, str]] = frozenset()
    allow: frozenset[tuple[str, str]] = frozenset()

    @property
    def initial(self) -> str:
        return self.base.initial

    def is_legal(self, a: str, b: str) -> bool:
        return (self.base.is_legal(a, b) or (a, b) in self.allow) and (a, b) not in self.refuse

    def is_terminal(self, status: str) -> bool:
        return self.base.is_terminal(status)

    def __getattr__(self, name: str) -> Any:
        # Whatever else a store asks of its model is the unedited table's.
        if name.startswith("__") or name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)


Hook = Callable[["MutantStore", str, dict[str, Any], dict[str, Any]], None]


@dataclass
class MutantStore(ReferenceStore):
    """The reference store with one edit: a table edit, or a hook that breaks one invariant.

    ``on_create(store, run_id, run, record)`` and ``on_enter(store, run_id, run, info)``
    (``info``: the run ``before`` the transition, its ``at`` and ``output``) change the
    stored run after a create or an accepted transition; ``on_read(store, run_id, record,
    run)`` changes what ``get`` returns; ``refuse_create(record)`` refuses a valid create.
    """

    on_create: Hook | None = None
    on_enter: Hook | None = None
    on_read: Hook | None = None
    refuse_create: Callable[[dict[str, Any]], bool] | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        super().reset()
        self.notes.clear()

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.refuse_create is not None and self.refuse_create(record):
            raise ValueError("refused")
        super().create(record)
        run_id = record[self.model.fields.run_id]
        if self.on_create is not None:
            self.on_create(self, run_id, self.runs[run_id], record)
        return copy.deepcopy(self.runs[run_id])

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        before = copy.deepcopy(self._run(run_id))
        super().transition(run_id, status, at, output)
        run = self.runs[run_id]
        if self.on_enter is not None:
            self.on_enter(self, run_id, run, {"before": before, "at": at, "output": output})
        return copy.deepcopy(run)

    def get(self, run_id: str) -> dict[str, Any]:
        record = super().get(run_id)
        if self.on_read is not None:
            self.on_read(self, run_id, record, self.runs[run_id])
        return record


def transcript(program: Sequence[dict[str, Any]], store: Any) -> list[Any]:
    """What a store answers to each step of a program, from a reset store."""
    adapter = open_adapter(obj=store)
    try:
        adapter.reset()
        out = []
        for op in program:
            if op["op"] == "create":
                answer = adapter.create(op["record"])
            elif op["op"] == "get":
                answer = adapter.get(op["run_id"])
            else:
                answer = adapter.transition(op["run_id"], op["status"], op["at"], op.get("output"))
            out.append(answer.to_json())
        return out
    finally:
        adapter.close()


def _earlier(value: str) -> str:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return (moment - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(i: int) -> str:
    return (datetime(2024, 9, 1, 19, 1, 53) + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _walks(model: LifecycleModel, length: int) -> Iterator[tuple[str, ...]]:
    """Every legal walk from the initial status, shortest first (the initial status left
    out)."""
    layer: list[tuple[str, ...]] = [()]
    for _ in range(length + 1):
        yield from layer
        layer = [(*w, b) for w in layer for b in model.successors(w[-1] if w else model.initial)]


def _programs(
    document: Mapping[str, Any], model: LifecycleModel, *, depth: int = 4
) -> Iterator[list[dict[str, Any]]]:
    """Candidate witnesses: a run created, walked legally, given one more step (any status,
    so illegal ones too), with and without an output on the last step, then read back."""
    f = model.fields
    ids = [n for n in document["properties"] if n.endswith("_id")]
    record = {**base_record(document, *ids), f.status: model.initial}
    record[f.run_id] = "w-1"
    has_output = f.output in document["properties"]
    for walk in _walks(model, depth):
        for last in (None, *model.statuses):
            for with_output in (False, True) if has_output else (False,):
                if with_output and (last is None or not model.is_terminal(last)):
                    continue  # an output comes with the completing transition
                steps = [*walk, last] if last is not None else list(walk)
                program: list[dict[str, Any]] = [{"op": "create", "record": dict(record)}]
                for i, status in enumerate(steps, 1):
                    op: dict[str, Any] = {
                        "op": "transition",
                        "run_id": "w-1",
                        "status": status,
                        "at": _instant(i),
                    }
                    if with_output and i == len(steps):
                        op["output"] = {"result": "ok"}
                    program.append(op)
                program.append({"op": "get", "run_id": "w-1"})
                yield program


def _create_programs(document: Mapping[str, Any], model: LifecycleModel) -> Iterator[list[Any]]:
    """Programs that create runs with schema-valid but unusual ids, then read them back."""
    for run_id in ("", "ünïcödé-ид", "x" * 10_000, "<b>run</b>", "a/b?c#d", "\x00"):
        f = model.fields
        record = {**base_record(document), f.status: model.initial, f.run_id: run_id}
        yield [{"op": "create", "record": record}, {"op": "get", "run_id": run_id}]


@dataclass
class _LifecycleMutants:
    ctx: Context
    document: dict[str, Any]
    mutants: list[Mutant] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    _answers: dict[str, list[Any]] = field(default_factory=dict)

    def reference(self) -> ReferenceStore:
        return ReferenceStore(model=self.ctx.model, oracle=self.ctx.oracle)

    def add(
        self,
        mid: str,
        edit: str,
        blame: str,
        no_witness: str,
        candidates: Callable[[], Iterator[list[dict[str, Any]]]] | None = None,
        **edits: Any,
    ) -> None:
        """Keep the mutant with the first candidate program on which the reference breaks
        nothing and the mutant breaks ``blame``; else exclude it."""
        model = self.ctx.model
        table: LifecycleModel | EditedTable
        if "refuse" in edits or "allow" in edits:
            table = EditedTable(
                model, edits.pop("refuse", frozenset()), edits.pop("allow", frozenset())
            )
        else:
            table = model
        oracle = self.ctx.oracle

        def make() -> MutantStore:
            return MutantStore(model=table, oracle=oracle, **edits)  # type: ignore[arg-type]

        for program in (candidates or (lambda: _programs(self.document, model)))():
            if self.distinguishes(program, make, blame):
                family = mid.split(":")[1]
                self.mutants.append(Mutant(mid, family, "lifecycle", edit, blame, program, make))
                return
        self.excluded.append(Excluded(mid, no_witness))

    def reference_answers(self, program: list[Any]) -> list[Any] | None:
        """The reference's answers to ``program``, or ``None`` when the reference itself
        breaks a requirement on it (then it proves nothing)."""
        key = json.dumps(program, sort_keys=True)
        if key not in self._answers:
            clean = not self.findings(program, self.reference)
            self._answers[key] = transcript(program, self.reference()) if clean else []
        return self._answers[key] or None

    def distinguishes(self, program: list[Any], make: Callable[[], Any], blame: str) -> bool:
        """The reference breaks nothing, the two answer differently, and the mutant breaks
        ``blame`` (when the catalogue has a requirement ``blame`` names: a mutant may be
        ahead of the catalogue, and then the different answers are the proof)."""
        expected = self.reference_answers(program)
        if expected is None or transcript(program, make()) == expected:
            return False
        if not any(fnmatch.fnmatchcase(r.id, blame) for r in catalogue(self.ctx.schema)):
            return True
        return any(fnmatch.fnmatchcase(r, blame) for r in self.findings(program, make))

    def findings(self, program: list[Any], make: Callable[[], Any]) -> list[str]:
        adapter = open_adapter(obj=make())
        try:
            ops = program_from_json(program)
            return [f.requirement for f in self.ctx.executor.run(adapter, ops)]
        finally:
            adapter.close()


def lifecycle_mutants(ctx: Context) -> tuple[list[Mutant], list[Excluded]]:
    """Every single-edit mutant of the lifecycle table, and each record invariant broken in
    each state where it can be (see the module docstring)."""
    g = _LifecycleMutants(ctx, copy.deepcopy(dict(ctx.schema.document)))
    model = ctx.model
    props = g.document["properties"]
    # The parts the record's properties play (the table's ``fields``): a record shaped
    # differently from the run record (``id``, ``startedAt``) gets the same mutants.
    rid, status, start, end, out = (
        model.fields.run_id,
        model.fields.status,
        model.fields.started_at,
        model.fields.ended_at,
        model.fields.output,
    )
    reached = {model.initial} | {s for w in _walks(model, len(model.statuses)) for s in w}

    for a, b in sorted(
        model.transitions, key=lambda p: (model.statuses.index(p[0]), model.statuses.index(p[1]))
    ):
        g.add(
            f"lifecycle:refuse:{a}->{b}",
            f"refuses {a} -> {b}",
            "lifecycle:accepts-legal-transitions",
            f"no run reaches {a}",
            refuse=frozenset({(a, b)}),
        )
    for a, b in model.illegal_pairs():
        family = "allow-terminal-exit" if model.is_terminal(a) else "allow"
        blame = (
            "lifecycle:terminal-states-absorbing"
            if model.is_terminal(a)
            else "lifecycle:rejects-illegal-transitions"
        )
        reason = f"no run reaches {a}" if a not in reached else "no program tells it apart"
        g.add(
            f"lifecycle:{family}:{a}->{b}",
            f"allows {a} -> {b}",
            blame,
            reason,
            allow=frozenset({(a, b)}),
        )

    def entering(state: str, hook: Hook) -> Hook:
        def on_enter(
            store: MutantStore, run_id: str, run: dict[str, Any], info: dict[str, Any]
        ) -> None:
            if run[status] == state:
                hook(store, run_id, run, info)

        return on_enter

    for name in (n for n in props if n == "id" or n.endswith("_id")):

        def change(
            store: MutantStore,
            run_id: str,
            run: dict[str, Any],
            info: dict[str, Any],
            n: str = name,
        ) -> None:
            if isinstance(run.get(n), str):
                run[n] = run[n] + "-2"

        g.add(
            f"lifecycle:ids-change:{name}",
            f"changes {name} on a transition",
            "lifecycle:ids-never-change",
            f"no run carries {name}",
            on_enter=change,
        )

    if start is not None and start in props:

        def starts_early(
            store: MutantStore, run_id: str, run: dict[str, Any], record: dict[str, Any]
        ) -> None:
            run[start] = _instant(0)

        if starts_later(model):
            g.add(
                "lifecycle:started-at-on-create",
                f"sets {start} on create",
                "lifecycle:no-started-at-while-initial",
                "",
                on_create=starts_early,
            )
        for state in model.statuses:

            def restart(
                store: MutantStore, run_id: str, run: dict[str, Any], info: dict[str, Any]
            ) -> None:
                if start in info["before"]:
                    run[start] = info["at"]

            g.add(
                f"lifecycle:started-at-rewritten:{state}",
                f"rewrites {start} on entering {state}",
                "lifecycle:started-at-never-changes",
                f"no run enters {state} after it started"
                if state != model.initial
                else f"no transition enters the initial status {state}",
                on_enter=entering(state, restart),
            )
    if end is not None and end in props:

        def ends_at_once(
            store: MutantStore, run_id: str, run: dict[str, Any], record: dict[str, Any]
        ) -> None:
            run[end] = _instant(0)

        g.add(
            f"lifecycle:ended-at-while:{model.initial}",
            f"sets {end} on create",
            "lifecycle:ended-at-exactly-when-terminal",
            "",
            on_create=ends_at_once,
        )
        for state in model.statuses:
            if state == model.initial:
                continue
            if model.is_terminal(state):

                def forget(
                    store: MutantStore, run_id: str, run: dict[str, Any], info: dict[str, Any]
                ) -> None:
                    run.pop(end, None)

                g.add(
                    f"lifecycle:ended-at-missing:{state}",
                    f"no {end} on entering {state}",
                    "lifecycle:ended-at-exactly-when-terminal",
                    f"no run reaches {state}",
                    on_enter=entering(state, forget),
                )

                def too_early(
                    store: MutantStore, run_id: str, run: dict[str, Any], info: dict[str, Any]
                ) -> None:
                    if start is not None and isinstance(run.get(start), str):
                        run[end] = _earlier(run[start])

                g.add(
                    f"lifecycle:ended-before-started:{state}",
                    f"{end} before {start} on entering {state}",
                    "lifecycle:ended-at-not-before-started-at",
                    f"no run enters {state} after it started",
                    on_enter=entering(state, too_early),
                )
            else:

                def ends(
                    store: MutantStore, run_id: str, run: dict[str, Any], info: dict[str, Any]
                ) -> None:
                    run[end] = info["at"]

                g.add(
                    f"lifecycle:ended-at-while:{state}",
                    f"sets {end} on entering {state}",
                    "lifecycle:ended-at-exactly-when-terminal",
                    f"no run reaches {state}",
                    on_enter=entering(state, ends),
                )

    extra = next(n for n in ("updated_at", "x_updated_at") if n not in props)
    if ctx.schema.additional_properties is False:

        def unknown(
            store: MutantStore, run_id: str, record: dict[str, Any], run: dict[str, Any]
        ) -> None:
            record[extra] = _instant(0)

        g.add(
            f"lifecycle:read-back-unknown-property:{extra}",
            f"reads back with {extra}",
            "lifecycle:returns-valid-records",
            "",
            on_read=unknown,
        )
    for name in ctx.schema.datetime_properties:

        def db_style(
            store: MutantStore,
            run_id: str,
            record: dict[str, Any],
            run: dict[str, Any],
            n: str = name,
        ) -> None:
            if isinstance(record.get(n), str):
                record[n] = record[n].replace("T", " ", 1)

        g.add(
            f"lifecycle:read-back-malformed:{name}",
            f"reads {name} back with a space for T",
            "lifecycle:returns-valid-records",
            f"no run carries {name}",
            on_read=db_style,
        )
    if out is not None and out in props:

        def as_text(
            store: MutantStore, run_id: str, record: dict[str, Any], run: dict[str, Any]
        ) -> None:
            if out in record:
                record[out] = json.dumps(record[out])

        g.add(
            "lifecycle:read-back-output-as-text",
            f"reads {out} back as a JSON string",
            "lifecycle:returns-valid-records",
            "no run carries output",
            on_read=as_text,
        )

        def drops_output(
            store: MutantStore, run_id: str, run: dict[str, Any], info: dict[str, Any]
        ) -> None:
            if model.is_terminal(run[status]):
                run.pop(out, None)

        g.add(
            "lifecycle:output-dropped",
            "drops the output given with the completing transition",
            "lifecycle:*output*",
            "no transition carries an output",
            on_enter=drops_output,
        )

    def lower(store: MutantStore, run_id: str, record: dict[str, Any], run: dict[str, Any]) -> None:
        record[status] = str(record[status]).lower()

    g.add(
        "lifecycle:read-back-status-lower-case",
        f"reads {status} back in lower case",
        "lifecycle:returns-current-status",
        "",
        on_read=lower,
    )

    def remember(
        store: MutantStore, run_id: str, run: dict[str, Any], info: dict[str, Any]
    ) -> None:
        store.notes[run_id] = info["before"][status]

    def stale(store: MutantStore, run_id: str, record: dict[str, Any], run: dict[str, Any]) -> None:
        record[status] = store.notes.get(run_id, record[status])

    g.add(
        "lifecycle:read-back-stale-status",
        "reads back the status before the last transition",
        "lifecycle:returns-current-status",
        "",
        on_enter=remember,
        on_read=stale,
    )

    for what, refuses in (
        ("empty", lambda r: r[rid] == ""),
        ("non-ascii", lambda r: not str(r[rid]).isascii()),
        ("longer-than-255", lambda r: len(str(r[rid])) > 255),
        ("markup", lambda r: "<" in str(r[rid])),
        ("control-characters", lambda r: any(ord(c) < 32 for c in str(r[rid]))),
    ):
        g.add(
            f"lifecycle:create-refuses-run-id:{what}",
            f"refuses to create a run whose {rid} is {what}",
            "lifecycle:creates-runs",
            "",
            candidates=lambda: _create_programs(g.document, model),
            refuse_create=refuses,
        )
    return g.mutants, g.excluded


# ---------------------------------------------------------------------------------------
# Judging a mutant
# ---------------------------------------------------------------------------------------


def all_mutants(
    schema: Mapping[str, Any] | None = None, lifecycle: Any = None
) -> tuple[Context, list[Mutant], list[Excluded]]:
    """The context (schema and model in use) and every mutant of both, schema ones first;
    ``lifecycle`` is a table, a path, or ``None`` for the default."""
    document = dict(schema) if schema is not None else dict(default_schema().document)
    ctx = context(document, lifecycle)
    s_mutants, s_excluded = schema_mutants(document)
    l_mutants, l_excluded = lifecycle_mutants(ctx)
    return ctx, [*s_mutants, *l_mutants], [*s_excluded, *l_excluded]


def reference_for(ctx: Context, role: str) -> Any:
    if role == "validator":
        return SchemaValidator(ctx.schema.document)
    return ReferenceStore(model=ctx.model, oracle=ctx.oracle)


def witness_differs(ctx: Context, mutant: Mutant) -> bool:
    """Whether the witness really tells the mutant from the reference: the oracle and the
    mutant disagree on the document, or the program breaks ``blame`` on the mutant only."""
    if mutant.role == "validator":
        accepted: bool = mutant.make()(mutant.witness).valid
        return Oracle(ctx.schema).is_valid(mutant.witness) != accepted
    g = _LifecycleMutants(ctx, dict(ctx.schema.document))
    return g.distinguishes(mutant.witness, mutant.make, mutant.blame)


@dataclass(frozen=True)
class Outcome:
    """What ``certify --profile quick`` made of one mutant."""

    mutant: str
    found: bool
    """The blamed requirement failed (and, for a MUST, the verdict is non-conformant and
    its level failed)."""
    failed: tuple[str, ...]
    verdict: str
    problems: tuple[str, ...] = ()
    """Evidence that does not hold: a failed requirement whose counterexample the mutant
    and the reference judge alike."""


def blamed_requirements(ctx: Context, mutant: Mutant) -> list[str]:
    """The ids of the catalogue's requirements that ``mutant.blame`` names."""
    return [
        r.id
        for r in catalogue(ctx.schema, model=ctx.model, role=mutant.role)
        if fnmatch.fnmatchcase(r.id, mutant.blame)
    ]


def certify_mutant(
    ctx: Context,
    mutant: Mutant,
    *,
    profile: str = "quick",
    seed: int = 0,
    blamed_only: bool = False,
    shrink: bool = True,
) -> Outcome:
    """Certify ``mutant`` (every requirement of its role, or with ``blamed_only`` just the
    ones it should be blamed on: each requirement's search is seeded by the run seed and its
    own id, so their outcomes are the same either way, in a fraction of the time).

    ``shrink=False`` turns off what the engine does only after a requirement has failed:
    shrinking, and the further searches for other kinds of failure. Whether a mutant is
    found is decided before either (by the first search and the directed cases), so the
    outcome's ``found`` is the same, about ten times faster; the evidence checked is then
    the first failing case as found."""
    only = blamed_requirements(ctx, mutant) if blamed_only else []
    if blamed_only and not only:
        return Outcome(mutant.id, False, (), "not run", (f"no requirement is {mutant.blame}",))
    adapter = open_adapter(obj=mutant.make())
    after_failure = (
        contextlib.nullcontext()
        if shrink
        else mock.patch.multiple(_engine, KIND_SEARCHES=0, SHRINK_CASES_PER_EXAMPLE=0)
    )
    try:
        with after_failure:
            report = certify_adapter(
                adapter, ctx=ctx, role=mutant.role, profile=profile, seed=seed, only=only
            ).report
    finally:
        adapter.close()
    rows = [r for r in report["requirements"] if r["outcome"] == "failed"]
    blamed = [r for r in rows if fnmatch.fnmatchcase(r["id"], mutant.blame)]
    must_holds = report["verdict"] == "non-conformant"
    found = any(
        row["keyword"] != "MUST" or (must_holds and report["levels"][row["level"]] == "failed")
        for row in blamed
    )
    problems = tuple(
        f"{r['id']}: its counterexample does not tell the mutant from the reference"
        for r in rows
        if not _evidence_holds(ctx, mutant, r["counterexample"], r["id"])
    )
    return Outcome(mutant.id, found, tuple(r["id"] for r in rows), report["verdict"], problems)


def _evidence_holds(ctx: Context, mutant: Mutant, counterexample: Any, requirement: str) -> bool:
    if mutant.role == "validator":
        accepted: bool = mutant.make()(counterexample).valid
        return Oracle(ctx.schema).is_valid(counterexample) != accepted
    g = _LifecycleMutants(ctx, dict(ctx.schema.document))
    return g.distinguishes(counterexample, mutant.make, requirement)


def figure(outcomes: Sequence[Outcome], mutants: Sequence[Mutant]) -> str:
    roles = {m.id: m.role for m in mutants}
    s = [o for o in outcomes if roles[o.mutant] == "validator"]
    lc = [o for o in outcomes if roles[o.mutant] == "lifecycle"]
    return (
        f"quick finds {sum(o.found for o in s)}/{len(s)} single-edit mutants of the run schema "
        f"and {sum(o.found for o in lc)}/{len(lc)} of the lifecycle table"
    )


def _certify_one(job: tuple[int, bool]) -> Outcome:
    ctx, mutants, _ = _STATE
    return certify_mutant(ctx, mutants[job[0]], blamed_only=job[1], shrink=not job[1])


_STATE: tuple[Context, list[Mutant], list[Excluded]]


def main(argv: Sequence[str] | None = None) -> int:
    """Certify every mutant at ``quick`` with seed 0 and print the figure and the misses."""
    import argparse
    import multiprocessing

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--schema", help="a run schema (JSON) or a record profile's name instead of the default"
    )
    parser.add_argument("--lifecycle", help="a lifecycle table (JSON or TOML)")
    parser.add_argument("--json", help="write every outcome to this file")
    parser.add_argument(
        "--blamed-only",
        action="store_true",
        help="run only the requirements each mutant should be blamed on (same outcome, faster)",
    )
    args = parser.parse_args(argv)
    global _STATE
    document = None
    if args.schema in RECORD_PROFILES:
        document = RECORD_PROFILES[args.schema].document()
    elif args.schema:
        with open(args.schema, encoding="utf-8") as fh:
            document = json.load(fh)
    _STATE = all_mutants(document, args.lifecycle)
    _, mutants, excluded = _STATE
    jobs = [(i, args.blamed_only) for i in range(len(mutants))]
    outcomes = []
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for o in pool.imap(_certify_one, jobs):
            outcomes.append(o)
            m = mutants[len(outcomes) - 1]
            if not o.found:
                print(f"MISSED {o.mutant}: {m.edit}; expected {m.blame}; failed: {list(o.failed)}")
            elif o.problems:
                print(f"EVIDENCE {o.mutant}: {list(o.problems)}")
            sys.stdout.flush()
    print(f"{len(excluded)} edits excluded (no witness)")
    print(figure(outcomes, mutants))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([o.__dict__ for o in outcomes], fh, indent=1, default=list)
    return 0 if all(o.found and not o.problems for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
