"""The run lifecycle as data, the judges of status sequences, and their generators.

Which status may follow which is a property of the platform, not of this kit, and users
whose schema adds a status (``SCHEDULED``, say) must be able to describe its place in the
lifecycle without touching code.  So the lifecycle is a table -- ``initial``, ``terminal``,
``transitions`` -- loaded from JSON or TOML into a :class:`LifecycleModel`, and everything
else here (the strict and observed sequence checks, the generators of legal, illegal and
observed sequences) is derived from that table alone.

Two ways of looking at a run are judged:

* *strict* (:func:`check_sequence`): every status the run passed through, in order.  It
  starts at the initial status and every consecutive pair is a listed transition.
* *observed* (:func:`check_observed`): what a poller sees.  It may start late, see a
  status many times and miss statuses in between, but it never goes back and never
  leaves a terminal status.

The generators are plain ``gen(src, ...)`` functions over a
:class:`~.strategies._source.Source`, so each one runs under Hypothesis (and shrinks) or from
a seeded :class:`random.Random` alike.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from inngest_conformance.errors import LifecycleError as LifecycleError  # re-exported
from inngest_conformance.strategies._encode import canonical_sha256, clip, one_line
from inngest_conformance.strategies._files import read_text
from inngest_conformance.strategies._source import Source

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = [
    "INVARIANTS",
    "RULES",
    "LifecycleError",
    "LifecycleModel",
    "SequenceViolation",
    "check_observed",
    "check_sequence",
    "default_lifecycle",
    "gen_invalid_status_sequence",
    "gen_observed_sequence",
    "gen_status_sequence",
    "lifecycle_from_dict",
    "load_lifecycle",
]

#: The rules a :class:`SequenceViolation` may name.
RULES = ("bad-initial", "illegal-transition", "leaves-terminal", "goes-backwards", "unknown-status")

_KEYS = ("initial", "terminal", "transitions", "keywords", "absent")

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


def _show(value: Any) -> str:
    return clip(repr(value), 60)


def _names(statuses: Sequence[str]) -> str:
    return ", ".join(statuses)


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
    completion").  After construction, the resolved pairs,
    sorted, without empty entries."""

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
        return _graph(self).unused

    def successors(self, status: str) -> tuple[str, ...]:
        """The statuses ``status`` may move to, in :attr:`statuses` order (none if unknown)."""
        return _graph(self).successors.get(status, ())

    def is_legal(self, a: str, b: str) -> bool:
        """Whether ``a -> b`` is a listed transition."""
        return (a, b) in self.transitions

    def reachable(self, a: str, b: str) -> bool:
        """Whether a non-empty path of legal transitions leads from ``a`` to ``b``."""
        return b in _graph(self).reach_plus.get(a, ())

    def is_terminal(self, status: str) -> bool:
        """Whether ``status`` is terminal (absorbing)."""
        return status in self.terminal

    def illegal_pairs(self) -> tuple[tuple[str, str], ...]:
        """Every ``(a, b)`` over :attr:`statuses`, ``a == b`` included, that is not a transition.

        In :attr:`statuses` order of ``a``, then of ``b``.
        """
        return _graph(self).illegal

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
    return (
        *((s, DEFAULT_ABSENT_ON_CREATE if s == model.initial else ("ended_at", "output"))
          for s in live),
        *((s, ("output",)) for s in model.statuses if s in model.terminal and s not in completing),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Graph:
    successors: Mapping[str, tuple[str, ...]]
    # Shortest-path lengths, zero-or-more steps: dist[a][b] exists iff b is reachable from a.
    dist: Mapping[str, Mapping[str, int]]
    reach_plus: Mapping[str, frozenset[str]]
    legal: tuple[tuple[str, str], ...]
    illegal: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]


@lru_cache(maxsize=64)
def _graph(model: LifecycleModel) -> _Graph:
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
    return _Graph(successors, dist, reach_plus, legal, illegal, unused)


def _check_model(model: LifecycleModel) -> None:
    seen: set[str] = set()
    for s in model.statuses:
        if not isinstance(s, str) or not s:
            raise LifecycleError(
                f"status {_show(s)} is not a status name; statuses must be non-empty strings"
            )
        if s in seen:
            raise LifecycleError(f"status {s!r} is listed twice in statuses; list each once")
        seen.add(s)

    def known(status: str, where: str) -> None:
        if status not in seen:
            raise LifecycleError(
                f"lifecycle names status {_show(status)} in {where}, which is not among the "
                f"model's statuses ({_names(model.statuses)}); add it to statuses"
            )

    known(model.initial, "initial")
    for name, keyword in model.keywords:
        if name not in INVARIANTS:
            raise LifecycleError(
                f"lifecycle table sets the keyword of {_show(name)}, which is not a record "
                f"invariant; the invariants are {_names(tuple(INVARIANTS))}"
            )
        if keyword not in KEYWORDS:
            raise LifecycleError(
                f"lifecycle table gives {name!r} the keyword {_show(keyword)}; use "
                f"{' or '.join(KEYWORDS)}"
            )
    for status, props in model.absent or ():
        known(status, "absent")
        for prop in props:
            if not isinstance(prop, str) or not prop:
                raise LifecycleError(
                    f"lifecycle table has {_show(prop)} in absent[{status!r}], which is not a "
                    "property name; use a non-empty string"
                )
    for s in sorted(model.terminal):
        known(s, "terminal")
    for a, b in sorted(model.transitions):
        known(a, "transitions")
        known(b, f"transitions[{a!r}]")

    graph = _graph(model)
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


def _status_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise LifecycleError(
            f"lifecycle table has {_show(value)} in {where}, which is not a status name; "
            "use a non-empty string"
        )
    return value


def _status_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise LifecycleError(
            f"lifecycle table's {where} must be a list of status names, got {_show(value)}; "
            f'write e.g. ["COMPLETED", "FAILED"]'
        )
    return [_status_name(v, f"{where}[{i}]") for i, v in enumerate(value)]


def lifecycle_from_dict(
    data: Mapping[str, Any], *, statuses: Sequence[str] | None = None
) -> LifecycleModel:
    """Validate a lifecycle table (the parsed JSON or TOML file) and build its model.

    ``data`` has ``initial`` (a status), ``transitions`` (status -> list of statuses) and
    optionally ``terminal`` (a list; by default the statuses with no outgoing transitions),
    ``keywords`` (record invariant -> ``MUST`` or ``SHOULD``, overriding
    :data:`INVARIANTS`) and ``absent`` (status -> the properties a record in it does not
    carry; by default a new run carries none of :data:`DEFAULT_ABSENT_ON_CREATE`); no
    other keys.  When ``statuses`` (the schema's enum) is given, every status the table
    names must be in it, and it becomes the model's :attr:`~LifecycleModel.statuses`;
    statuses of the enum the table never names are allowed and reported as
    :attr:`~LifecycleModel.unused`.  See :class:`LifecycleModel` for the rules a table must
    follow.  Anything wrong raises :class:`LifecycleError` naming the offending value.
    """
    if not isinstance(data, Mapping):
        raise LifecycleError(
            f"lifecycle table must be a mapping with keys 'initial', 'transitions' and "
            f"optionally 'terminal', got {type(data).__name__} {_show(data)}"
        )
    for key in data:
        if key not in _KEYS:
            raise LifecycleError(
                f"lifecycle table has unknown key {_show(key)}; the only keys are 'initial', "
                "'transitions', and optionally 'terminal', 'keywords' and 'absent'"
            )
    if "initial" not in data:
        raise LifecycleError(
            'lifecycle table has no \'initial\' status; add one, e.g. "initial": "QUEUED"'
        )
    if "transitions" not in data:
        raise LifecycleError(
            "lifecycle table has no 'transitions'; add a mapping from each status to the "
            'statuses it may move to, e.g. "transitions": {"QUEUED": ["RUNNING"]}'
        )
    initial = _status_name(data["initial"], "initial")
    raw_transitions = data["transitions"]
    if not isinstance(raw_transitions, Mapping):
        raise LifecycleError(
            f"lifecycle table's transitions must be a mapping from status to a list of "
            f"statuses, got {_show(raw_transitions)}"
        )
    transitions: list[tuple[str, list[str]]] = []
    for key, value in raw_transitions.items():
        source = _status_name(key, "transitions")
        transitions.append((source, _status_list(value, f"transitions[{source!r}]")))
    terminal = None if "terminal" not in data else _status_list(data["terminal"], "terminal")
    keywords = _keywords(data.get("keywords", {}))
    absent = None if "absent" not in data else _absent(data["absent"])

    mentions: list[tuple[str, str]] = [(initial, "initial")]
    for source, targets in transitions:
        mentions.append((source, "transitions"))
        mentions.extend((t, f"transitions[{source!r}]") for t in targets)
    if terminal is not None:
        mentions.extend((t, f"terminal[{i}]") for i, t in enumerate(terminal))

    if statuses is None:
        order = tuple(dict.fromkeys(s for s, _ in mentions))
    else:
        if isinstance(statuses, str):
            raise LifecycleError(
                f"statuses must be the schema's enum (a list of names), got the string "
                f"{_show(statuses)}"
            )
        order = tuple(statuses)
        if len(set(order)) != len(order):
            twice = next(s for i, s in enumerate(order) if s in order[:i])
            raise LifecycleError(
                f"the schema's enum lists status {_show(twice)} twice; list each status once"
            )
        enum = set(order)
        for status, where in mentions:
            if status not in enum:
                raise LifecycleError(
                    f"lifecycle table names status {status!r} in {where}, which the schema's "
                    f"enum does not have ({_names(order)}); use one of those or add it to "
                    "the schema's enum"
                )

    pairs = frozenset((a, b) for a, targets in transitions for b in targets)
    if terminal is None:
        has_exit = {a for a, _ in pairs}
        named = dict.fromkeys(s for s, _ in mentions)
        if initial not in has_exit:
            raise LifecycleError(
                f"initial status {initial!r} has no outgoing transitions, so a run could never "
                f"leave it; add transitions[{initial!r}]"
            )
        terminal = [s for s in named if s not in has_exit]
    return LifecycleModel(
        statuses=order,
        initial=initial,
        terminal=frozenset(terminal),
        transitions=pairs,
        keywords=keywords,
        absent=absent,
    )


def _keywords(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise LifecycleError(
            f"lifecycle table's keywords must map a record invariant to MUST or SHOULD, got "
            f'{_show(value)}; write e.g. "keywords": {{"keeps-output": "MUST"}}'
        )
    return tuple(sorted((str(k), v) for k, v in value.items()))


def _absent(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise LifecycleError(
            f"lifecycle table's absent must map a status to the properties a record in it "
            f'does not carry, got {_show(value)}; write e.g. "absent": {{"QUEUED": ["output"]}}'
        )
    out = []
    for key, props in value.items():
        status = _status_name(key, "absent")
        if isinstance(props, str) or not isinstance(props, Sequence):
            raise LifecycleError(
                f"lifecycle table's absent[{status!r}] must be a list of property names, got "
                f'{_show(props)}; write e.g. ["started_at", "ended_at"]'
            )
        out.append((status, tuple(props)))
    return tuple(sorted(out))


def _reject_duplicate_keys(path: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise LifecycleError(
                    f"{path}: key {key!r} appears twice in one JSON object; merge the entries"
                )
            out[key] = value
        return out

    return hook


def load_lifecycle(
    path: str | os.PathLike[str], *, statuses: Sequence[str] | None = None
) -> LifecycleModel:
    """Load a lifecycle table from a ``.toml`` file, or JSON (``.json`` or any other suffix).

    A file that cannot be read or parsed, or whose table is invalid, raises
    :class:`LifecycleError` naming the path.  A JSON object that repeats a key is rejected
    too: JSON parsers would otherwise silently keep only the last of, say, two ``RUNNING``
    entries in ``transitions``.
    """
    name = os.fspath(path)
    text = read_text(name, "lifecycle table", LifecycleError)
    data: Any
    if Path(name).suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise LifecycleError(
                f"cannot parse lifecycle table {name} as TOML: {one_line(str(err))}"
            ) from err
    else:
        try:
            data = json.loads(text, object_pairs_hook=_reject_duplicate_keys(name))
        except json.JSONDecodeError as err:
            raise LifecycleError(
                f"cannot parse lifecycle table {name} as JSON: {one_line(str(err))}"
            ) from err
    try:
        return lifecycle_from_dict(data, statuses=statuses)
    except LifecycleError as err:
        raise LifecycleError(f"{name}: {err}") from err


@lru_cache(maxsize=1)
def _default_table() -> str:
    return (
        resources.files("inngest_conformance.strategies") / "data" / "lifecycle.json"
    ).read_text("utf-8")


def default_lifecycle(*, statuses: Sequence[str] | None = None) -> LifecycleModel:
    """The packaged lifecycle table (``strategies/data/lifecycle.json``)."""
    return lifecycle_from_dict(json.loads(_default_table()), statuses=statuses)


@dataclass(frozen=True, slots=True)
class SequenceViolation:
    """The first thing wrong with a status sequence.

    ``step`` is the index of the offending status, ``from_status`` the status before it
    (``None`` at step 0).
    """

    rule: str
    step: int
    from_status: str | None
    to_status: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "step": self.step,
            "from": self.from_status,
            "to": self.to_status,
            "message": self.message,
        }


def _violation(
    model: LifecycleModel, rule: str, step: int, a: str | None, b: str
) -> SequenceViolation:
    if rule == "unknown-status":
        text = f"{b!r} is not a status of this lifecycle ({_names(model.statuses)})"
    elif rule == "bad-initial":
        text = f"the run starts at {b!r}, but runs start at {model.initial!r}"
    elif rule == "leaves-terminal":
        text = f"{b!r} follows terminal status {a!r}; nothing may follow a terminal status"
    elif rule == "goes-backwards":
        text = f"{b!r} cannot be reached from {a!r}; an observed run never goes back"
    else:
        allowed = ", ".join(model.successors(a or "")) or "nothing"
        text = f"{a!r} -> {b!r} is not a legal transition ({a!r} may move to {allowed})"
    return SequenceViolation(rule, step, a, b, f"step {step}: {text}")


def check_sequence(model: LifecycleModel, statuses: Sequence[str]) -> SequenceViolation | None:
    """The first violation of a strict sequence (every status a run passed through), if any.

    The sequence starts at the initial status and each consecutive pair is a listed
    transition.  Any step after a terminal status is ``leaves-terminal``, even a repeat of
    it: in a strict sequence a repeat is a transition, and terminal statuses have none.
    An empty sequence has nothing wrong with it.
    """
    known = set(model.statuses)
    prev: str | None = None
    for i, s in enumerate(statuses):
        if s not in known:
            return _violation(model, "unknown-status", i, prev, s)
        if prev is None:
            if s != model.initial:
                return _violation(model, "bad-initial", i, None, s)
        elif not model.is_legal(prev, s):
            rule = "leaves-terminal" if model.is_terminal(prev) else "illegal-transition"
            return _violation(model, rule, i, prev, s)
        prev = s
    return None


def check_observed(model: LifecycleModel, statuses: Sequence[str]) -> SequenceViolation | None:
    """The first violation of an observed sequence (what a poller saw), if any.

    It may start at any status of the model, repeat a status, and skip statuses along a
    legal path; each new status must be reachable from the one before.
    """
    known = set(model.statuses)
    prev: str | None = None
    for i, s in enumerate(statuses):
        if s not in known:
            return _violation(model, "unknown-status", i, prev, s)
        if prev is not None and s != prev and not model.reachable(prev, s):
            rule = "leaves-terminal" if model.is_terminal(prev) else "goes-backwards"
            return _violation(model, rule, i, prev, s)
        prev = s
    return None


def _check_max_length(max_length: int, least: int = 1) -> None:
    if max_length < least:
        raise ValueError(f"max_length must be at least {least}, got {max_length}")


def gen_status_sequence(src: Source, model: LifecycleModel, *, max_length: int = 8) -> list[str]:
    """A legal walk from the initial status, of 1 to ``max_length`` statuses.

    Most walks aim at one transition, drawn uniformly from those whose source lies within
    ``max_length - 2`` steps of the initial status: they wander to its source, take it,
    and carry on.  So every such transition turns up within a fixed budget of walks
    (a few times the number of transitions), however deep or unlikely it is.  Most walks
    end in a terminal status, as most runs do; the rest stop mid-run.  Shrinks towards
    ``[initial]``.
    """
    _check_max_length(max_length)
    graph = _graph(model)
    aims: list[tuple[str, str] | None] = [None]
    aims.extend(t for t in graph.legal if graph.dist[model.initial][t[0]] + 2 <= max_length)
    # Stopping at once is the first choice, so that ``[initial]`` is also the shortest
    # choice sequence (Hypothesis shrinks by length first).
    if not src.boolean(0.95):
        return [model.initial]
    aim = src.choice(aims)
    if aim is None:
        walk = [model.initial]
    else:
        walk = _walk_to(src, model, aim[0], max_length - 1)
        walk.append(aim[1])
    while len(walk) < max_length:
        options = model.successors(walk[-1])
        if not options or not src.boolean(0.85):
            break
        walk.append(src.choice(options))
    return walk


def _walk_to(src: Source, model: LifecycleModel, target: str, budget: int) -> list[str]:
    """A legal walk from the initial status ending at ``target``, at most ``budget`` long."""
    dist = _graph(model).dist
    walk = [model.initial]
    while True:
        cur = walk[-1]
        room = budget - len(walk)
        options = sorted(
            (s for s in model.successors(cur) if dist[s].get(target, budget) < room),
            key=lambda s: dist[s][target],
        )
        if cur == target and (not options or not src.boolean(0.3)):
            return walk
        walk.append(src.choice(options))


def gen_invalid_status_sequence(
    src: Source, model: LifecycleModel, *, max_length: int = 8
) -> tuple[list[str], SequenceViolation]:
    """A strict sequence with exactly one bad step, and what :func:`check_sequence` says.

    The bad step is a wrong first status (``bad-initial``), an illegal pair after a legal
    prefix (``illegal-transition``), or a step out of a terminal status reached by a legal
    prefix (``leaves-terminal``); any statuses may follow it.  The bad pair is drawn
    uniformly from :meth:`LifecycleModel.illegal_pairs` whose source can be reached within
    the length budget, so each shows up within a few hundred sequences.  Pairs out of
    :attr:`~LifecycleModel.unused` statuses cannot: no legal prefix reaches them.  Shrinks
    towards ``[s]`` for the first status ``s`` that is not the initial one.
    """
    _check_max_length(max_length)
    dist = _graph(model).dist[model.initial]
    kinds: dict[str, list[tuple[str, str]]] = {"illegal-transition": [], "leaves-terminal": []}
    for a, b in model.illegal_pairs():
        if a in dist and dist[a] + 2 <= max_length:
            rule = "leaves-terminal" if model.is_terminal(a) else "illegal-transition"
            kinds[rule].append((a, b))
    kind = src.choice(["bad-initial", *(k for k, pairs in kinds.items() if pairs)])
    if kind == "bad-initial":
        first = src.choice([s for s in model.statuses if s != model.initial])
        seq = [first]
        expected = _violation(model, kind, 0, None, first)
    else:
        a, b = src.choice(kinds[kind])
        seq = _walk_to(src, model, a, max_length - 1)
        expected = _violation(model, kind, len(seq), a, b)
        seq.append(b)
    while len(seq) < max_length and src.boolean(0.3):
        seq.append(src.choice(model.statuses))
    found = check_sequence(model, seq)
    if found != expected:
        raise AssertionError(f"generated {seq} labelled {expected}, but check_sequence: {found}")
    return seq, expected


def gen_observed_sequence(src: Source, model: LifecycleModel, *, max_length: int = 12) -> list[str]:
    """What a poller might see of a legal run: 1 to ``max_length`` statuses.

    A legal walk (:func:`gen_status_sequence`) with some statuses missed -- the first one
    too, as when polling starts late -- and some seen more than once.  Shrinks towards
    ``[initial]``.
    """
    _check_max_length(max_length)
    walk = gen_status_sequence(src, model, max_length=max_length)
    seen: list[str] = []
    for status in walk:
        if src.boolean(0.25):
            continue
        seen.append(status)
        while len(seen) < max_length and src.boolean(0.2):
            seen.append(status)
        if len(seen) >= max_length:
            break
    return seen or [walk[-1]]
