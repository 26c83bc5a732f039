"""Variants within a requirement: what kind of case a failure is, and declared exceptions.

One counterexample per requirement hides the others: a model that lets ``null`` by for a
date-time property often also takes ``0`` for it, and a date-time parser that takes a space
for ``T`` often also takes ``+0530``.  So every failing case is classified into a *kind*,
and a report lists one shrunk example per kind.  The same names let an implementation
declare what it does not claim at a finer grain than a whole requirement:
``format:accepts-rfc3339:started_at[year-0000]`` for a model built on Python's
:mod:`datetime`, which cannot hold year 0000, leap seconds or more than six fraction digits.

Kinds are read from the case, never from the implementation's answer, so the same case is
always the same kind:

- an invalid record: its violation's ``detail`` (``null``, ``space-separator``, ...);
- a valid record: the features of its values (:data:`DATETIME_FEATURES` of each date-time,
  the value of an enum property), shown unprefixed for the property the requirement is about
  and as ``property:feature`` for the others; ``common`` when it has none;
- a lifecycle program: the step that broke the requirement (``create`` or a transition
  ``RUNNING->PAUSED``; for a read-back, the step that put the run in its state).

A variant of ``format:accepts-rfc3339:P`` or ``schema:accepts-every-value:P`` is about the
*values* of ``P``: declaring it takes those values out of every requirement that accepts
valid records, since a record the implementation does not claim to accept cannot count
against it anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inngest_conformance._run_programs import CREATE, ILLEGAL, LEGAL, TERMINAL
from inngest_conformance.strategies import LifecycleModel
from inngest_conformance.strategies._limits import MAX_MEMBERS, spread
from inngest_conformance.strategies._programs import Create, Op, Transition

if TYPE_CHECKING:
    from inngest_conformance._requirements import Context, Requirement

#: The features of a valid RFC 3339 date-time that implementations commonly cannot handle,
#: each with one value that has that feature alone.  The order is the order kinds are named in.
DATETIME_FEATURES: dict[str, str] = {
    "year-0000": "0000-01-01T00:00:00Z",
    "leap-second": "1998-12-31T23:59:60Z",
    "long-fraction": "2019-01-01T00:00:00.1234567Z",
    "very-long-fraction": "2019-01-01T00:00:00.1234567890123Z",
    "lower-case-t": "2019-01-01t00:00:00Z",
    "lower-case-z": "2019-01-01T00:00:00z",
    "numeric-offset": "2019-01-01T05:30:00+05:30",
    "zero-offset": "2019-01-01T00:00:00+00:00",
    "unknown-local-offset": "2019-01-01T00:00:00-00:00",
    "utc-before-year-0001": "0001-01-01T00:30:00+01:00",
    "utc-after-year-9999": "9999-12-31T23:30:00-01:00",
}
"""``long-fraction`` is 7-9 digits (past microseconds), ``very-long-fraction`` 10 or more
(past nanoseconds); ``unknown-local-offset`` is RFC 3339's ``-00:00``; the ``utc-*`` ones are
local times in 0001-9999 whose UTC instant is outside it."""

_SHAPE = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})(?P<sep>[Tt])"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<zone>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
COMMON = "common"
"""The kind of a valid case with none of the named features."""


def datetime_features(value: str) -> tuple[str, ...]:
    """The :data:`DATETIME_FEATURES` a date-time shows, in their order (none for a value
    that is not one)."""
    m = _SHAPE.fullmatch(value)
    if m is None:
        return ()
    found: set[str] = set()
    if m["year"] == "0000":
        found.add("year-0000")
    if m["second"] == "60":
        found.add("leap-second")
    digits = len(m["fraction"] or "")
    if 7 <= digits <= 9:
        found.add("long-fraction")
    elif digits > 9:
        found.add("very-long-fraction")
    if m["sep"] == "t":
        found.add("lower-case-t")
    zone = m["zone"]
    if zone == "z":
        found.add("lower-case-z")
    elif zone == "+00:00":
        found.add("zero-offset")
    elif zone == "-00:00":
        found.add("unknown-local-offset")
    elif zone not in ("Z",):
        found.add("numeric-offset")
        east = zone[0] == "+"
        shift = int(zone[1:3]) * 60 + int(zone[4:6])
        minutes = int(m["hour"]) * 60 + int(m["minute"])
        date = (m["year"], m["month"], m["day"])
        if east and date == ("0001", "01", "01") and minutes < shift:
            found.add("utc-before-year-0001")
        if not east and date == ("9999", "12", "31") and minutes + shift >= 1440:
            found.add("utc-after-year-9999")
    return tuple(name for name in DATETIME_FEATURES if name in found)


def rfc3339_requirement_id(prop: str) -> str:
    return f"format:accepts-rfc3339:{prop}"


def enum_requirement_id(prop: str) -> str:
    return f"schema:accepts-every-value:{prop}"


@dataclass(frozen=True, slots=True)
class Feature:
    """One thing a case shows: ``name``, declarable on requirement ``owner``; ``shown`` is
    how the case's kind names it (``None``: not part of the kind)."""

    owner: str
    name: str
    shown: str | None


def program_steps(model: LifecycleModel, program: Sequence[Op]) -> list[str]:
    """What each step of a lifecycle program stands for, in one walk: ``create``, ``A->B``,
    or for a read-back the step that put the run in the state it is read in (the run's
    state by the model: a program stops at the first step a store and the model disagree on,
    so up to there the model's state is the store's)."""
    last: dict[Any, str] = {}  # run id -> the step that made its current state
    states: dict[Any, str] = {}
    out: list[str] = []
    for op in program:
        if isinstance(op, Create):
            run_id = op.record.get(model.fields.run_id)
            states[run_id], last[run_id] = model.initial, "create"
            out.append("create")
        elif isinstance(op, Transition):
            current, target = states.get(op.run_id, "?"), str(op.status)
            name = f"{current}->{target}"
            out.append(name)
            if current != "?" and model.is_legal(current, target):
                states[op.run_id], last[op.run_id] = target, name
        else:
            out.append(last.get(op.run_id, "get"))
    return out


def transition_at(model: LifecycleModel, program: Sequence[Op], step: int) -> str:
    """What a lifecycle program's step ``step`` stands for (see :func:`program_steps`)."""
    steps = program_steps(model, program[: step + 1])
    return steps[step] if 0 <= step < len(steps) else "?"


def features(ctx: Context, req: Requirement, case: Any, step: int | None) -> tuple[Feature, ...]:
    """What a case of ``req`` shows (see the module docstring); ``step`` is where a lifecycle
    program failed."""
    if req.kind == "reject":
        detail = str(case.violation.detail)
        return (Feature(req.id, detail, detail),)
    if req.kind == "lifecycle":
        name = transition_at(ctx.model, case, step or 0)
        return (Feature(req.id, name, name),)
    if not isinstance(case, dict):
        return ()
    out = []
    for spec in ctx.schema.properties:
        value = case.get(spec.name)
        if not isinstance(value, str):
            continue
        mine = spec.name == req.subject
        if spec.enum is not None:
            out.append(Feature(enum_requirement_id(spec.name), value, value if mine else None))
        if spec.format == "date-time":
            for name in datetime_features(value):
                shown = name if mine else f"{spec.name}:{name}"
                out.append(Feature(rfc3339_requirement_id(spec.name), name, shown))
    return tuple(out)


def kind_parts(found: Sequence[Feature]) -> tuple[str, ...]:
    """A case's kind, as parts: its shown features, or :data:`COMMON` alone (the kind's
    name joins them with ``+``)."""
    return tuple(f.shown for f in found if f.shown is not None) or (COMMON,)


def variant_names(
    ctx: Context, req: Requirement, directed: Sequence[Any] | None = None
) -> list[str]:
    """The variants of ``req`` that an exception may name: every kind its directed cases
    stand for (every variant of an invalid rule, every feature of a date-time, every value of
    an enum, every step of a lifecycle program).  ``directed``: ``req.explicit(ctx)``, if
    already made."""
    if req.kind == "reject":
        cases = req.explicit(ctx) if directed is None else directed
        names = [c.violation.detail for c in cases]
        return list(dict.fromkeys(names))
    if req.kind == "lifecycle":
        return _lifecycle_variants(ctx.model, req.id)
    if req.subject is None:
        return []
    spec = ctx.schema.spec(req.subject)
    if spec.enum is not None and req.id == enum_requirement_id(spec.name):
        return [str(m) for m in spread(spec.enum, MAX_MEMBERS)]
    if spec.format == "date-time" and req.id == rfc3339_requirement_id(spec.name):
        return list(DATETIME_FEATURES)
    return []


def _lifecycle_variants(model: LifecycleModel, requirement_id: str) -> list[str]:
    """The steps a lifecycle requirement's failures can be at: ``create`` for creating; a
    legal transition for accepting one; an illegal one from a live (or, for terminal states
    being absorbing, a terminal) state for rejecting one; and for a record invariant, the
    step that put the run in the state its record is checked in."""
    legal = [f"{a}->{b}" for a, b in sorted(model.transitions)]
    if requirement_id in (ILLEGAL, TERMINAL):
        terminal = requirement_id == TERMINAL
        return [
            f"{a}->{b}"
            for a, b in model.illegal_pairs()
            if model.is_terminal(a) == terminal and a in model.statuses
        ]
    if requirement_id == CREATE:
        return ["create"]
    if requirement_id == LEGAL:
        return legal
    return ["create", *legal]


def split_exception(key: str) -> tuple[str, str | None]:
    """``ID[variant]`` as ``(ID, variant)``; a plain ``ID`` as ``(ID, None)``."""
    rid, bracket, rest = key.partition("[")
    if not bracket:
        return key, None
    if not rest.endswith("]") or len(rest) < 2:
        return key, ""
    return rid, rest[:-1]


@dataclass(frozen=True)
class Declared:
    """Declared variant exceptions: requirement id -> {variant: reason}."""

    variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_exceptions(cls, exceptions: Mapping[str, str] | None) -> Declared:
        """The variant entries (``ID[variant]``) of a declared-exceptions mapping."""
        out: dict[str, dict[str, str]] = {}
        for key, reason in (exceptions or {}).items():
            rid, variant = split_exception(key)
            if variant:
                out.setdefault(rid, {})[variant] = reason
        return cls(out)

    def of(self, requirement_id: str) -> Mapping[str, str]:
        return self.variants.get(requirement_id, {})

    def covering(self, found: Sequence[Feature]) -> Feature | None:
        """The first feature of a case that a declared variant takes out, if any."""
        for f in found:
            if f.name in self.variants.get(f.owner, {}):
                return f
        return None


def exercised(ctx: Context, req: Requirement, case: Any) -> tuple[str, ...]:
    """The variants one case of ``req`` exercises, read from the case alone (so the same
    seed counts the same): the names :func:`variant_names` lists where it lists any.

    - an invalid record: its violation's ``detail``;
    - a valid record, for a requirement about one property: the features of that
      property's value (the enum member, the date-time features), or :data:`COMMON`;
    - a valid record otherwise: each optional property ``P:present`` or ``P:absent``, each
      enum value as ``P:VALUE`` and each date-time feature as ``P:feature``;
    - a lifecycle program: every step it takes (``create``, each ``A->B`` tried, legal or
      not), once each.
    """
    if req.kind == "reject":
        return (str(case.violation.detail),)
    if req.kind == "lifecycle":
        return tuple(dict.fromkeys(program_steps(ctx.model, case)))
    if not isinstance(case, dict):
        return (COMMON,)
    if req.subject is not None:
        mine = [f.name for f in features(ctx, req, case, None) if f.owner == req.id]
        return tuple(mine) or (COMMON,)
    out = []
    for spec in ctx.schema.properties:
        if spec.name not in case:
            out.append(f"{spec.name}:absent")
            continue
        if spec.name not in ctx.schema.required:
            out.append(f"{spec.name}:present")
        value = case[spec.name]
        if spec.enum is not None and isinstance(value, str):
            out.append(f"{spec.name}:{value}")
        if spec.format == "date-time" and isinstance(value, str):
            out += [f"{spec.name}:{name}" for name in datetime_features(value)]
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a requirement's cases exercised: ``exercised`` (variant -> cases that showed
    it: the requirement's own :func:`variant_names` first, in their order, then what else
    the cases showed), ``never`` (its own variants no case showed, in their order) and
    ``variants`` (how many own variants it has)."""

    exercised: Mapping[str, int]
    never: tuple[str, ...] = ()
    variants: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "variants": self.variants,
            "exercised": dict(self.exercised),
            "never": list(self.never),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Coverage:
        exercised = {str(k): int(v) for k, v in data.get("exercised", {}).items()}
        never = tuple(str(v) for v in data.get("never", ()))
        return cls(exercised, never, int(data.get("variants", len(never))))


class Tally:
    """Counts, case by case, the variants a requirement's search exercises."""

    def __init__(self, ctx: Context, req: Requirement) -> None:
        self.ctx = ctx
        self.req = req
        self.counts: dict[str, int] = {}
        self._directed: list[Any] | None = None

    def directed(self) -> list[Any]:
        """The requirement's directed cases, made once: the search runs them, and
        :meth:`coverage` reads the variants of an invalid rule from them."""
        if self._directed is None:
            self._directed = self.req.explicit(self.ctx)
        return self._directed

    def add(self, case: Any) -> None:
        counts = self.counts
        for name in exercised(self.ctx, self.req, case):
            counts[name] = counts.get(name, 0) + 1

    def coverage(self) -> Coverage:
        names = variant_names(self.ctx, self.req, self._directed)
        known = set(names)
        ordered = {n: self.counts[n] for n in names if n in self.counts}
        ordered.update((n, self.counts[n]) for n in sorted(self.counts) if n not in known)
        return Coverage(ordered, tuple(n for n in names if n not in self.counts), len(names))
