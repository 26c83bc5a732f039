"""The run lifecycle as data: a validated table of statuses and transitions.

Which status may follow which is a property of the platform, not of this kit, and users
whose schema adds a status (``SCHEDULED``, say) must be able to describe its place in the
lifecycle without touching code.  So the lifecycle is a table -- ``initial``, ``terminal``,
``transitions`` -- and a :class:`LifecycleModel` is that table checked: everything else (the
status sequence checks and generators, the lifecycle programs, the record invariants) is
derived from it alone.  Reading a table from a file is :mod:`._lifecycle_table`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from inngest_conformance._encode import canonical_sha256, short_repr
from inngest_conformance.errors import LifecycleError as LifecycleError  # re-exported

__all__ = [
    "DEFAULT_ABSENT_ON_CREATE",
    "FIELDS",
    "INVARIANTS",
    "KEYWORDS",
    "Fields",
    "LifecycleError",
    "LifecycleModel",
    "TransitionGraph",
    "transition_graph",
]

#: The record invariants a lifecycle table may set the RFC 2119 keyword of, with the
#: default keyword of each.  Identity and time are not optional (MUST); the rest is what a
#: well-behaved store does (SHOULD).  The same names serve the lifecycle level
#: (``lifecycle:<name>``) and the audit of a source (``source:<name>``).
INVARIANTS: dict[str, str] = {
    "ids-never-change": "MUST",
    "started-at-never-changes": "MUST",
    "ended-at-not-before-started-at": "MUST",
    "no-started-at-while-initial": "SHOULD",
    "ended-at-exactly-when-terminal": "SHOULD",
    "keeps-output": "SHOULD",
}
#: The keywords an invariant may be given.
KEYWORDS = ("MUST", "SHOULD")
#: What a new run carries not, when the table does not say: the schema describes
#: ``started_at``, ``ended_at`` and ``output`` ("final output emitted by the function on
#: completion") as things a run gains later, so a store may refuse them on create.
DEFAULT_ABSENT_ON_CREATE = ("started_at", "ended_at", "output")
#: The parts a record plays in the lifecycle, by the run record's own property names.
FIELDS = ("run_id", "status", "started_at", "ended_at", "output")


@dataclass(frozen=True, slots=True)
class Fields:
    """Which property of the record plays each part of the lifecycle.

    The lifecycle level speaks of a run's id, status, start and end times and output; a
    record shaped differently (a span's ``span_id``, a job's ``state``) names its own
    properties here, from the table's ``fields``.  ``None`` says the record has no such
    property, so no requirement asks about it.  The defaults are the run record's names.
    """

    run_id: str = "run_id"
    status: str = "status"
    started_at: str | None = "started_at"
    ended_at: str | None = "ended_at"
    output: str | None = "output"

    def named(self) -> dict[str, str | None]:
        """Each part (a name of :data:`FIELDS`) with the property that plays it."""
        return {part: getattr(self, part) for part in FIELDS}

    def renamed(self) -> dict[str, str | None]:
        """The parts whose property is not the run record's own name (the table's ``fields``)."""
        return {part: name for part, name in self.named().items() if name != part}

    def ids(self, record: dict[str, Any]) -> dict[str, Any]:
        """The properties of ``record`` that name something: the run's id, ``id`` and every
        ``*_id``."""
        return {k: v for k, v in record.items() if k in (self.run_id, "id") or k.endswith("_id")}


@dataclass(frozen=True, slots=True)
class LifecycleModel:
    """A validated lifecycle table.

    ``statuses`` lists every status the model knows, in a stable order (the schema's enum
    order when one was given, else order of first appearance in the table).  A status of
    the schema's enum that the table never names is allowed -- a schema may carry a status
    with no lifecycle role -- but it is neither reachable nor terminal, every step into or
    out of it is illegal, and :attr:`unused` lists it.

    Constructing a model checks it: the initial status is not terminal, terminal statuses
    have no outgoing transitions, every status the table names is reachable from the
    initial status, and from every non-terminal status some terminal status is reachable
    (a run can always still finish).  A status with no outgoing transitions must therefore
    be terminal.
    """

    statuses: tuple[str, ...]
    initial: str
    terminal: frozenset[str]
    transitions: frozenset[tuple[str, str]]
    keywords: tuple[tuple[str, str], ...] = ()
    """``(invariant, keyword)`` pairs overriding :data:`INVARIANTS`' defaults; after
    construction, every invariant with its keyword, sorted."""
    absent: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    """``(status, properties)``: what a record in that status does not carry.  ``None``
    means the default: :data:`DEFAULT_ABSENT_ON_CREATE` in the initial status, and
    ``ended_at`` and ``output`` in every other live status, and ``output`` in every
    terminal status but COMPLETED (the schema's "final output emitted by the function on
    completion"), each by the property :attr:`fields` names for it.  After construction,
    the resolved pairs, sorted, without empty entries."""
    fields: Fields = Fields()
    """Which property holds the id, the status, the times and the output."""

    def __post_init__(self) -> None:
        # Resolved at once, so that two spellings of one table are equal models.
        keywords = {**INVARIANTS, **dict(self.keywords)}
        object.__setattr__(self, "keywords", tuple(sorted(keywords.items())))
        absent = _default_absent(self) if self.absent is None else self.absent
        object.__setattr__(
            self, "absent", tuple(sorted((s, tuple(sorted(p))) for s, p in absent if p))
        )
        _check_model(self)

    def keyword(self, invariant: str) -> str:
        """The RFC 2119 keyword of a record invariant (a key of :data:`INVARIANTS`)."""
        return dict(self.keywords)[invariant]

    def absent_in(self, status: str) -> tuple[str, ...]:
        """The properties a record in ``status`` does not carry: a new run is created
        without those of the initial status, and no transition into ``status`` passes them."""
        return dict(self.absent or ()).get(status, ())

    @property
    def unused(self) -> tuple[str, ...]:
        """Statuses the model knows (from the schema's enum) that the table never names."""
        return transition_graph(self).unused

    def successors(self, status: str) -> tuple[str, ...]:
        """The statuses ``status`` may move to, in :attr:`statuses` order (none if unknown)."""
        return transition_graph(self).successors.get(status, ())

    def is_legal(self, a: str, b: str) -> bool:
        """Whether ``a -> b`` is a listed transition."""
        return (a, b) in self.transitions

    def reachable(self, a: str, b: str) -> bool:
        """Whether a non-empty path of legal transitions leads from ``a`` to ``b``."""
        return b in transition_graph(self).reach_plus.get(a, ())

    def is_terminal(self, status: str) -> bool:
        """Whether ``status`` is terminal (absorbing)."""
        return status in self.terminal

    def illegal_pairs(self) -> tuple[tuple[str, str], ...]:
        """Every ``(a, b)`` over :attr:`statuses`, ``a == b`` included, that is not a transition.

        In :attr:`statuses` order of ``a``, then of ``b``.
        """
        return transition_graph(self).illegal

    def to_json(self) -> dict[str, Any]:
        """The table in canonical form: the file's shape, lists sorted, no empty entries.

        The schema's enum is not part of the table, so :attr:`unused` statuses and the order
        of :attr:`statuses` do not appear here.
        """
        targets: dict[str, list[str]] = {}
        for a, b in self.transitions:
            targets.setdefault(a, []).append(b)
        out: dict[str, Any] = {
            "initial": self.initial,
            "terminal": sorted(self.terminal),
            "transitions": {a: sorted(targets[a]) for a in sorted(targets)},
            "keywords": dict(self.keywords),
            "absent": {s: list(p) for s, p in self.absent or ()},
        }
        renamed = self.fields.renamed()
        if renamed:
            out["fields"] = renamed
        return out

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the canonical JSON of :meth:`to_json`: names the table in reports."""
        # ASCII-escaped, as it always was: a table naming a non-ASCII status keeps its hash.
        return canonical_sha256(self.to_json(), ensure_ascii=True)


def _default_absent(model: LifecycleModel) -> tuple[tuple[str, tuple[str, ...]], ...]:
    named = {model.initial, *model.terminal, *(s for pair in model.transitions for s in pair)}
    live = [s for s in model.statuses if s in named and s not in model.terminal]
    # The schema's output is the function's "final output ... on completion": only the
    # completing status carries it (every terminal status, where none is named COMPLETED).
    completing = {s for s in model.terminal if s == "COMPLETED"} or set(model.terminal)
    names = model.fields.named()

    def props(*parts: str) -> tuple[str, ...]:
        return tuple(p for p in (names[part] for part in parts) if p is not None)

    return (
        *((s, props(*DEFAULT_ABSENT_ON_CREATE) if s == model.initial
           else props("ended_at", "output")) for s in live),
        *((s, props("output")) for s in model.statuses
          if s in model.terminal and s not in completing),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class TransitionGraph:
    """What the generators and checks ask of a model's transitions, computed once."""

    successors: Mapping[str, tuple[str, ...]]
    # Shortest-path lengths, zero-or-more steps: dist[a][b] exists iff b is reachable from a.
    dist: Mapping[str, Mapping[str, int]]
    reach_plus: Mapping[str, frozenset[str]]
    legal: tuple[tuple[str, str], ...]
    illegal: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]


@lru_cache(maxsize=64)
def transition_graph(model: LifecycleModel) -> TransitionGraph:
    """The transition graph of ``model`` (cached: a model is immutable)."""
    successors = {
        a: tuple(b for b in model.statuses if (a, b) in model.transitions) for a in model.statuses
    }
    dist: dict[str, dict[str, int]] = {}
    for start in model.statuses:
        seen = {start: 0}
        frontier = [start]
        while frontier:
            nxt = []
            for a in frontier:
                for b in successors[a]:
                    if b not in seen:
                        seen[b] = seen[a] + 1
                        nxt.append(b)
            frontier = nxt
        dist[start] = seen
    reach_plus = {a: frozenset(b for s in successors[a] for b in dist[s]) for a in model.statuses}
    legal = tuple((a, b) for a in model.statuses for b in successors[a])
    illegal = tuple(
        (a, b) for a in model.statuses for b in model.statuses if (a, b) not in model.transitions
    )
    named = {model.initial, *model.terminal, *(s for pair in model.transitions for s in pair)}
    unused = tuple(s for s in model.statuses if s not in named)
    return TransitionGraph(successors, dist, reach_plus, legal, illegal, unused)


def _check_model(model: LifecycleModel) -> None:
    seen: set[str] = set()
    for s in model.statuses:
        if not isinstance(s, str) or not s:
            raise LifecycleError(
                f"status {short_repr(s)} is not a status name; statuses must be non-empty strings"
            )
        if s in seen:
            raise LifecycleError(f"status {s!r} is listed twice in statuses; list each once")
        seen.add(s)

    def known(status: str, where: str) -> None:
        if status not in seen:
            raise LifecycleError(
                f"lifecycle names status {short_repr(status)} in {where}, which is not among the "
                f"model's statuses ({', '.join(model.statuses)}); add it to statuses"
            )

    known(model.initial, "initial")
    _check_fields(model.fields)
    for name, keyword in model.keywords:
        if name not in INVARIANTS:
            raise LifecycleError(
                f"lifecycle table sets the keyword of {short_repr(name)}, which is not a record "
                f"invariant; the invariants are {', '.join(INVARIANTS)}"
            )
        if keyword not in KEYWORDS:
            raise LifecycleError(
                f"lifecycle table gives {name!r} the keyword {short_repr(keyword)}; use "
                f"{' or '.join(KEYWORDS)}"
            )
    for status, props in model.absent or ():
        known(status, "absent")
        for prop in props:
            if not isinstance(prop, str) or not prop:
                raise LifecycleError(
                    f"lifecycle table has {short_repr(prop)} in absent[{status!r}], which is not a "
                    "property name; use a non-empty string"
                )
            for part in ("run_id", "status"):
                if prop == getattr(model.fields, part):
                    # The kit files every record under its id and reads its status: a
                    # record without them is no record of a run in that status.
                    raise LifecycleError(
                        f"lifecycle table's absent[{status!r}] names {prop!r}, the record's "
                        f"{'id' if part == 'run_id' else 'status'} (fields[{part!r}]), which "
                        "every record carries; leave it out of absent"
                    )
    for s in sorted(model.terminal):
        known(s, "terminal")
    for a, b in sorted(model.transitions):
        known(a, "transitions")
        known(b, f"transitions[{a!r}]")

    graph = transition_graph(model)
    if model.initial in model.terminal:
        raise LifecycleError(
            f"initial status {model.initial!r} is also terminal, so a run could never start; "
            "remove it from terminal"
        )
    for s in model.statuses:
        if s in model.terminal and graph.successors[s]:
            targets = ", ".join(repr(b) for b in graph.successors[s])
            raise LifecycleError(
                f"terminal status {s!r} has outgoing transitions (to {targets}); a terminal "
                f"status is final: remove transitions[{s!r}] or drop {s!r} from terminal"
            )
    from_initial = graph.dist[model.initial]
    for s in model.statuses:
        if s not in graph.unused and s not in from_initial:
            raise LifecycleError(
                f"status {s!r} cannot be reached from initial status {model.initial!r}; add a "
                f"transition into {s!r} or remove it from the table"
            )
    for s in model.statuses:
        if s in graph.unused or s in model.terminal:
            continue
        if not graph.successors[s]:
            raise LifecycleError(
                f"status {s!r} has no outgoing transitions but is not terminal; list it in "
                f"terminal or give it a transition"
            )
        if not any(t in model.terminal for t in graph.dist[s]):
            raise LifecycleError(
                f"no terminal status can be reached from status {s!r}, so a run there could "
                "never finish; add a transition towards a terminal status"
            )


def _check_fields(fields: Fields) -> None:
    taken: dict[str, str] = {}
    for part, name in fields.named().items():
        if name is None and part in ("run_id", "status"):
            raise LifecycleError(
                f"lifecycle table's fields must name the property that holds the {part}; "
                "the lifecycle is about a record with an id and a status"
            )
        if name is None:
            continue
        if not isinstance(name, str) or not name:
            raise LifecycleError(
                f"lifecycle table has {short_repr(name)} in fields[{part!r}], which is not a "
                "property name; use a non-empty string (or null for a record without one)"
            )
        if name in taken:
            raise LifecycleError(
                f"lifecycle table's fields name property {name!r} for both {taken[name]} and "
                f"{part}; each part needs a property of its own"
            )
        taken[name] = part
