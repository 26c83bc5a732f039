"""Is a concurrent history linearizable against a sequential model?

A store that several workers use at once is correct when every history of operations it
produces could have come from the sequential model: some order of the operations, one that
keeps every operation that returned before another began ahead of it (real time), in which
the model gives each answer the store gave.  This module decides that, small and on its
own, in the style of Wing and Gong's search with Lowe's memoisation (as Porcupine and
Knossos do it): linearize any operation that no pending operation's return precedes, step
the model, recurse; never visit the same (set of linearized operations, model state) twice.

The model is a :class:`Spec`: a pure function from a state, an operation and the answer the
store gave to the state after it, or ``None`` when the model cannot give that answer there.
Histories split by a key (runs are independent: one run's operations never constrain
another's), so each part is searched alone, and the cost is that of the largest part.

The search is bounded by the number of states it visits: a history it cannot decide within
the bound is *undecided*, never linearizable.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

__all__ = [
    "DEFAULT_MAX_STATES",
    "Entry",
    "LinearizabilityVerdict",
    "Spec",
    "check_history",
    "check_part",
]

S = TypeVar("S", bound=Hashable)
S_co = TypeVar("S_co", bound=Hashable, covariant=True)

#: The default bound: states visited per part of a history before it is undecided.
DEFAULT_MAX_STATES = 100_000

Outcome = Literal["linearizable", "not-linearizable", "undecided"]


class Spec(Protocol[S]):
    """A sequential model, as the search asks it."""

    def initial(self, key: Any) -> S:
        """The state of the part of a history named ``key`` before any operation."""
        ...

    def step(self, state: S, operation: Any, answer: Any) -> S | None:
        """The state after ``operation`` answered ``answer`` from ``state``; ``None`` when
        the model could not have answered so."""
        ...


@dataclass(frozen=True, slots=True)
class Entry:
    """One operation of a history: what was asked, what was answered, and when.

    ``call`` and ``ret`` are the times it was invoked and it returned, on one clock (any
    numbers; nanoseconds of a monotonic clock in the kit).  ``key`` names the independent
    part it belongs to (the run id); ``client`` who issued it (for reports and shrinking).
    """

    key: Any
    operation: Any
    answer: Any
    call: float
    ret: float
    client: int = 0

    def __post_init__(self) -> None:
        if self.ret < self.call:
            raise ValueError(f"entry returns ({self.ret}) before it is called ({self.call})")


@dataclass(frozen=True, slots=True)
class LinearizabilityVerdict(Generic[S]):
    """What the search found about one history.

    For a history that is not linearizable (or undecided), ``key`` names the part that is
    not, ``entries`` are that part's operations, ``longest`` the longest order of them
    (indices into ``entries``) the model explained, and ``states`` every model state an
    explained order of that length reached: what the model says was possible when no
    operation left could be explained.
    """

    outcome: Outcome
    key: Any = None
    entries: tuple[Entry, ...] = ()
    longest: tuple[int, ...] = ()
    states: tuple[S, ...] = ()
    explored: int = 0
    """States visited, over every part searched."""
    parts: int = 0
    """How many parts (keys) were searched."""
    orders: dict[Any, tuple[int, ...]] = field(default_factory=dict, compare=False)
    """For a linearizable history, one order per part that explains it."""

    @property
    def linearizable(self) -> bool:
        return self.outcome == "linearizable"


def check_part(
    spec: Spec[S],
    entries: Sequence[Entry],
    *,
    key: Any = None,
    max_states: int = DEFAULT_MAX_STATES,
) -> LinearizabilityVerdict[S]:
    """Search one part of a history (every entry of one key) for an explaining order.

    Depth first over the operations that may come next in real time (those called no later
    than the earliest return among the operations not yet ordered), remembering every
    (ordered set, state) that led nowhere.  More than ``max_states`` visits: undecided.
    """
    n = len(entries)
    if n == 0:
        return LinearizabilityVerdict("linearizable", key, (), parts=1, orders={key: ()})
    order = sorted(range(n), key=lambda i: (entries[i].call, entries[i].ret, i))
    calls = [entries[i].call for i in order]
    rets = [entries[i].ret for i in order]
    full = (1 << n) - 1
    start = spec.initial(key)
    seen: set[tuple[int, S]] = {(0, start)}
    explored = 1
    best: tuple[int, ...] = ()
    best_states: dict[S, None] = {start: None}
    # Each frame: (done mask, state, the order so far, candidates left to try).
    stack: list[tuple[int, S, tuple[int, ...], list[int]]] = [
        (0, start, (), _candidates(0, calls, rets, n))
    ]
    while stack:
        done, state, path, todo = stack[-1]
        if done == full:
            found = tuple(order[i] for i in path)
            return LinearizabilityVerdict(
                "linearizable", key, tuple(entries), found, (state,), explored, 1, {key: found}
            )
        if not todo:
            stack.pop()
            continue
        i = todo.pop()
        entry = entries[order[i]]
        after = spec.step(state, entry.operation, entry.answer)
        if after is None:
            continue
        mask = done | (1 << i)
        if (mask, after) in seen:
            continue
        seen.add((mask, after))
        explored += 1
        grown = (*path, i)
        if len(grown) > len(best):
            best, best_states = grown, {after: None}
        elif len(grown) == len(best):
            best_states[after] = None
        if explored > max_states:
            return LinearizabilityVerdict(
                "undecided",
                key,
                tuple(entries),
                tuple(order[j] for j in best),
                tuple(best_states),
                explored,
                1,
            )
        stack.append((mask, after, grown, _candidates(mask, calls, rets, n)))
    return LinearizabilityVerdict(
        "not-linearizable",
        key,
        tuple(entries),
        tuple(order[j] for j in best),
        tuple(best_states),
        explored,
        1,
    )


def _candidates(done: int, calls: list[float], rets: list[float], n: int) -> list[int]:
    """The operations not in ``done`` that may be ordered next: none still pending returned
    before they were called.  Latest-called last, so the earliest is tried first."""
    pending = [i for i in range(n) if not done >> i & 1]
    if not pending:
        return []
    horizon = min(rets[i] for i in pending)
    return [i for i in reversed(pending) if calls[i] <= horizon]


def check_history(
    spec: Spec[S],
    entries: Iterable[Entry],
    *,
    max_states: int = DEFAULT_MAX_STATES,
) -> LinearizabilityVerdict[S]:
    """Whether the history ``entries`` is linearizable against ``spec``, part by part.

    Not linearizable as soon as one part is not (that part is the evidence); undecided when
    no part is not linearizable but one could not be decided within ``max_states``;
    linearizable only when every part is.
    """
    parts: dict[Any, list[Entry]] = {}
    for entry in entries:
        parts.setdefault(_hashable(entry.key), []).append(entry)
    explored = 0
    undecided: LinearizabilityVerdict[S] | None = None
    orders: dict[Any, tuple[int, ...]] = {}
    for key, part in parts.items():
        verdict = check_part(spec, part, key=part[0].key, max_states=max_states)
        explored += verdict.explored
        if verdict.outcome == "not-linearizable":
            return _with_totals(verdict, explored, len(parts))
        if verdict.outcome == "undecided" and undecided is None:
            undecided = verdict
        orders[key] = verdict.longest
    if undecided is not None:
        return _with_totals(undecided, explored, len(parts))
    return LinearizabilityVerdict(
        "linearizable", explored=explored, parts=len(parts), orders=orders
    )


def _with_totals(
    verdict: LinearizabilityVerdict[S], explored: int, parts: int
) -> LinearizabilityVerdict[S]:
    return LinearizabilityVerdict(
        verdict.outcome,
        verdict.key,
        verdict.entries,
        verdict.longest,
        verdict.states,
        explored,
        parts,
    )


def _hashable(key: Any) -> Hashable:
    """A run id as a dictionary key: ids are JSON values, and a list is one too."""
    try:
        hash(key)
    except TypeError:
        return repr(key)
    return key  # type: ignore[no-any-return]
