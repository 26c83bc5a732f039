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

from inngest_conformance.strategies import LifecycleModel
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


def transition_at(model: LifecycleModel, program: Sequence[Op], step: int) -> str:
    """The transition a lifecycle program's step ``step`` stands for: ``create``, ``A->B``,
    or for a read-back the step that put the run in the state it is read in (the run's
    state by the model: a program stops at the first step a store and the model disagree on,
    so up to there the model's state is the store's)."""
    last: dict[Any, str] = {}  # run id -> the step that made its current state
    states: dict[Any, str] = {}
    for i, op in enumerate(program[: step + 1]):
        if isinstance(op, Create):
            run_id = op.record.get("run_id")
            states[run_id], last[run_id] = model.initial, "create"
            if i == step:
                return "create"
        elif isinstance(op, Transition):
            current = states.get(op.run_id, "?")
            target = str(op.status)
            if i == step:
                return f"{current}->{target}"
            if current != "?" and model.is_legal(current, target):
                states[op.run_id], last[op.run_id] = target, f"{current}->{target}"
        elif i == step:
            return last.get(op.run_id, "get")
    return "?"


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


def variant_names(ctx: Context, req: Requirement) -> list[str]:
    """The variants of ``req`` that an exception may name: every kind its directed cases
    stand for (every variant of an invalid rule, every feature of a date-time, every value of
    an enum, every step of a lifecycle program)."""
    if req.kind == "reject":
        names = [c.violation.detail for c in req.explicit(ctx)]
        return list(dict.fromkeys(names))
    if req.kind == "lifecycle":
        model = ctx.model
        steps = ["create", *(f"{a}->{b}" for a, b in sorted(model.transitions))]
        if req.id.endswith(("rejects-illegal-transitions", "terminal-states-absorbing")):
            terminal = req.id.endswith("terminal-states-absorbing")
            steps += [
                f"{a}->{b}"
                for a, b in model.illegal_pairs()
                if model.is_terminal(a) == terminal and a in model.statuses
            ]
        return steps
    if req.subject is None:
        return []
    spec = ctx.schema.spec(req.subject)
    if spec.enum is not None and req.id == enum_requirement_id(spec.name):
        return [str(m) for m in spec.enum]
    if spec.format == "date-time" and req.id == rfc3339_requirement_id(spec.name):
        return list(DATETIME_FEATURES)
    return []


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
