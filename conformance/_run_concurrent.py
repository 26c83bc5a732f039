"""Running a concurrent program against a run store, and judging what came back.

A try resets the store, runs the program's setup in order (each answer checked against the
model: a store that gets the sequential lifecycle wrong is the lifecycle level's business),
then starts one thread per client; the threads wait at a barrier so that their operations
really overlap, and each records the time it called and the time the answer came back on
one monotonic clock.  That history is judged by the linearizability search against the
lifecycle model (:class:`~inngest_conformance.strategies._concurrent_programs.LifecycleSpec`).

A race is not reproducible from a seed: the same program may interleave differently on
every try.  So a program is tried several times (:data:`TRIES`), a violation is evidence
that a race exists, and the absence of one in every try is evidence, not proof, that none
does.  :func:`shrink` drops runs, clients and operations from a program while some try of it
still shows a history no order explains, so the counterexample is as small as the race.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inngest_conformance._adapters.base import Adapter, LifecycleAnswer
from inngest_conformance._vocabulary import Profile
from inngest_conformance.strategies import LifecycleModel
from inngest_conformance.strategies._concurrent_programs import (
    ConcurrentProgram,
    LifecycleSpec,
    setup_states,
)
from inngest_conformance.strategies._linearizability import (
    DEFAULT_MAX_STATES,
    Entry,
    LinearizabilityVerdict,
    check_history,
)
from inngest_conformance.strategies._programs import Create, Get, Op, Transition

#: Concurrent programs per requirement, by profile.
PROGRAMS: dict[Profile, int] = {"quick": 8, "standard": 20, "certify": 50}
#: Tries of each program, by profile: how often one race is given the chance to show.
TRIES: dict[Profile, int] = {"quick": 10, "standard": 20, "certify": 40}
#: Python's thread switch interval while clients run (see :func:`run_once`).
SWITCH_INTERVAL_S = 1e-5
#: Why this level's verdicts read differently from the others'.
PROBABILISTIC = (
    "concurrency findings are probabilistic: each program is tried several times, a "
    "failure is a race that showed, a pass is evidence (not proof) that none exists"
)


class SetupRefused(Exception):
    """The store got a setup step wrong (the sequential lifecycle, not a race)."""

    def __init__(self, step: int, op: Op, answer: LifecycleAnswer) -> None:
        super().__init__(
            f"setup step {step} ({op.to_json()['op']}) was answered {answer.to_json()}, which "
            "the lifecycle model does not give; certify the lifecycle level first"
        )
        self.step = step


def supports_concurrency(adapter: Adapter) -> str | None:
    """``None`` when ``adapter`` may be sent requests from several threads at once, else why
    not (the level is then not judged)."""
    if getattr(adapter, "concurrent", False):
        return None
    why = getattr(adapter, "not_concurrent", "")
    return why or f"{adapter.display_name} does not take concurrent requests"


def _call(adapter: Adapter, op: Op) -> LifecycleAnswer:
    if isinstance(op, Create):
        return adapter.create(op.record)
    if isinstance(op, Transition):
        return adapter.transition(op.run_id, op.status, op.at, op.output)
    return adapter.get(op.run_id)


def _setup(adapter: Adapter, model: LifecycleModel, program: ConcurrentProgram) -> None:
    adapter.reset()
    status: dict[Any, str] = {}
    for step, op in enumerate(program.setup):
        answer = _call(adapter, op)
        if isinstance(op, Create):
            status[op.record[model.fields.run_id]] = model.initial
            expected = model.initial
        elif isinstance(op, Transition):
            expected = op.status
        else:
            expected = status[op.run_id]
        record = answer.record if isinstance(answer.record, dict) else {}
        if not answer.ok or record.get(model.fields.status) != expected:
            raise SetupRefused(step, op, answer)
        if isinstance(op, Transition):
            status[op.run_id] = op.status


def run_once(adapter: Adapter, model: LifecycleModel, program: ConcurrentProgram) -> list[Entry]:
    """One try: setup, then every client on a thread of its own, released together.

    Returns the history (client by client, in each client's order).  An implementation
    error in any client is raised here once every thread has ended.
    """
    _setup(adapter, model, program)
    clients = [ops for ops in program.clients if ops]
    # A transport with one connection gives each client its own (an HTTP service).
    make = getattr(adapter, "client_adapters", None)
    doors: list[Adapter] = make(len(clients)) if callable(make) else [adapter] * len(clients)
    try:
        return _race(doors, clients)
    finally:
        if callable(make):
            for door in doors:
                door.close()


def _race(doors: list[Adapter], clients: list[tuple[Op, ...]]) -> list[Entry]:
    """Each client's operations through its door, on a thread of its own, released together."""
    barrier = threading.Barrier(len(clients)) if clients else None
    histories: list[list[Entry]] = [[] for _ in clients]
    errors: list[BaseException] = []

    def client(number: int, ops: tuple[Op, ...]) -> None:
        try:
            assert barrier is not None
            barrier.wait()
            for op in ops:
                assert isinstance(op, (Transition, Get))
                called = time.perf_counter_ns()
                answer = _call(doors[number], op)
                returned = time.perf_counter_ns()
                histories[number].append(
                    Entry(op.run_id, op, answer.to_json(), called, returned, number)
                )
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
            if barrier is not None:
                barrier.abort()

    threads = [
        threading.Thread(target=client, args=(i, ops), daemon=True) for i, ops in enumerate(clients)
    ]
    # Python switches threads every 5 ms by default: longer than a store's whole request,
    # so clients would seldom interleave.  Switching often while they run lets a race show.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real:
        raise real[0]
    return [entry for history in histories for entry in history]


def judge_history(
    model: LifecycleModel,
    program: ConcurrentProgram,
    history: list[Entry],
    *,
    max_states: int = DEFAULT_MAX_STATES,
) -> LinearizabilityVerdict[str]:
    """Whether ``history`` (a try of ``program``) is linearizable against ``model``."""
    spec = LifecycleSpec(model, setup_states(model, program.setup))
    return check_history(spec, history, max_states=max_states)


@dataclass(frozen=True, slots=True)
class Tries:
    """What the tries of one program showed."""

    tries: int
    showed: int
    """How many tries gave a history that is not linearizable."""
    undecided: int
    first: LinearizabilityVerdict[str] | None
    """The first such history's verdict (its part of the history is the evidence)."""


def try_program(
    adapter: Adapter,
    model: LifecycleModel,
    program: ConcurrentProgram,
    tries: int,
    *,
    stop_at_first: bool = False,
    check: Callable[[], None] = lambda: None,
) -> Tries:
    """Run ``program`` ``tries`` times (or until a try shows a violation, with
    ``stop_at_first``); :class:`ImplementationError` and :class:`SetupRefused` propagate.
    ``check`` is called before each try (the engine's interrupt guard)."""
    showed = undecided = done = 0
    first: LinearizabilityVerdict[str] | None = None
    for _ in range(tries):
        check()
        done += 1
        verdict = judge_history(model, program, run_once(adapter, model, program))
        if verdict.outcome == "not-linearizable":
            showed += 1
            first = first or verdict
            if stop_at_first:
                break
        elif verdict.outcome == "undecided":
            undecided += 1
    return Tries(done, showed, undecided, first)


def _without_run(program: ConcurrentProgram, run_id: Any, id_field: str) -> ConcurrentProgram:
    def keep(op: Op) -> bool:
        return bool((op.record.get(id_field) if isinstance(op, Create) else op.run_id) != run_id)

    return ConcurrentProgram(
        tuple(op for op in program.setup if keep(op)),
        tuple(tuple(op for op in ops if keep(op)) for ops in program.clients),
    )


def shrink(
    adapter: Adapter,
    model: LifecycleModel,
    program: ConcurrentProgram,
    tries: int,
    *,
    check: Callable[[], None] = lambda: None,
) -> ConcurrentProgram:
    """The smallest program reached from ``program`` by dropping whole runs, then clients,
    then single operations, each kept only when one of ``tries`` tries of it still shows a
    history that is not linearizable.  What it returns showed one when last tried."""

    def shows(candidate: ConcurrentProgram) -> bool:
        if candidate.operations == 0:
            return False
        found = try_program(adapter, model, candidate, tries, stop_at_first=True, check=check)
        return found.showed > 0

    current = program
    changed = True
    while changed:
        changed = False
        runs = [op.record[model.fields.run_id] for op in current.setup if isinstance(op, Create)]
        for run_id in runs if len(runs) > 1 else ():
            candidate = _without_run(current, run_id, model.fields.run_id)
            if shows(candidate):
                current, changed = candidate, True
        for i in reversed(range(len(current.clients))):
            if len(current.clients) <= 1:
                break
            candidate = ConcurrentProgram(
                current.setup, current.clients[:i] + current.clients[i + 1 :]
            )
            if shows(candidate):
                current, changed = candidate, True
        for i in reversed(range(len(current.clients))):
            for j in reversed(range(len(current.clients[i]))):
                if i >= len(current.clients) or j >= len(current.clients[i]):
                    continue
                ops = current.clients[i][:j] + current.clients[i][j + 1 :]
                clients = (*current.clients[:i], ops, *current.clients[i + 1 :])
                candidate = ConcurrentProgram(current.setup, tuple(c for c in clients if c))
                if shows(candidate):
                    current, changed = candidate, True
    return current


def history_to_json(verdict: LinearizabilityVerdict[str]) -> list[dict[str, Any]]:
    """The evidence part of a history as a report shows it: each operation with its client,
    the answer, and its call and return in microseconds after the first call."""
    if not verdict.entries:
        return []
    origin = min(e.call for e in verdict.entries)
    ordered = sorted(verdict.entries, key=lambda e: (e.call, e.ret))
    return [
        {
            "client": e.client,
            "op": e.operation.to_json(),
            "answer": e.answer,
            "called_us": int((e.call - origin) // 1000),
            "returned_us": int((e.ret - origin) // 1000),
        }
        for e in ordered
    ]


def explained_to_json(verdict: LinearizabilityVerdict[str]) -> dict[str, Any]:
    """What the model could explain: the longest order of the history's operations it gives
    every answer of (positions in :func:`history_to_json`'s list), and the statuses the run
    could be in after it, where no operation left could be explained."""
    ordered = sorted(
        range(len(verdict.entries)), key=lambda i: (verdict.entries[i].call, verdict.entries[i].ret)
    )
    position = {index: at for at, index in enumerate(ordered)}
    return {
        "linearizable": True,
        "explained_order": [position[i] for i in verdict.longest],
        "unexplained": sorted(position[i] for i in set(ordered) - set(verdict.longest)),
        "model_states": list(verdict.states),
    }


__all__ = [
    "PROBABILISTIC",
    "PROGRAMS",
    "TRIES",
    "SetupRefused",
    "Tries",
    "explained_to_json",
    "history_to_json",
    "judge_history",
    "run_once",
    "shrink",
    "supports_concurrency",
    "try_program",
]
