"""Status sequences: the judges of a run's statuses in order, and their generators.

Two ways of looking at a run are judged:

* *strict* (:func:`check_sequence`): every status the run passed through, in order.  It
  starts at the initial status and every consecutive pair is a listed transition.
* *observed* (:func:`check_observed`): what a poller sees.  It may start late, see a
  status many times and miss statuses in between, but it never goes back and never
  leaves a terminal status.

The generators (of legal, illegal and observed sequences) are plain ``gen(src, ...)``
functions over a :class:`~.strategies._source.Source`, so each one runs under Hypothesis
(and shrinks) or from a seeded :class:`random.Random` alike.  Everything here is derived
from the :class:`~._lifecycle_model.LifecycleModel` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inngest_conformance.strategies._lifecycle_model import LifecycleModel, transition_graph
from inngest_conformance.strategies._source import Source

__all__ = [
    "RULES",
    "SequenceViolation",
    "check_observed",
    "check_sequence",
    "gen_invalid_status_sequence",
    "gen_observed_sequence",
    "gen_status_sequence",
]

#: The rules a :class:`SequenceViolation` may name.
RULES = ("bad-initial", "illegal-transition", "leaves-terminal", "goes-backwards", "unknown-status")


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
        text = f"{b!r} is not a status of this lifecycle ({', '.join(model.statuses)})"
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
    graph = transition_graph(model)
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
    dist = transition_graph(model).dist
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
    dist = transition_graph(model).dist[model.initial]
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
