"""Programs that race clients against one run store, and the model that judges them.

A concurrent program is a sequential ``setup`` (create a few runs, walk each to a live
status) and then, per client, a short list of operations the clients issue at once against
those runs.  What the clients do is the race a store gets wrong, by ``focus``:

- ``"same"``: every client asks for the same legal transition of one run (two workers
  finishing the same run): exactly one may succeed;
- ``"conflict"``: the clients ask for different transitions out of the same status
  (``COMPLETED`` against ``CANCELLED``, ``PAUSED`` against ``COMPLETED``), then read it;
- ``"reads"``: one client walks the run to a terminal status while the others read it.

Records are plain (the race is not about values; the lifecycle level tries those), and
every concurrent transition carries the same ``at`` (later than the setup's), so that no
order the store picks makes one of them go back in time.  :class:`LifecycleSpec` is the
lifecycle model as :mod:`._linearizability` asks it: a run's state is its status, and an
answer is explained when the model accepts or refuses the same transitions and every record
carries the status the model is in and none of what the table's ``absent`` leaves out there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inngest_conformance.strategies._lifecycle_model import LifecycleModel
from inngest_conformance.strategies._programs import (
    Create,
    Get,
    Op,
    Transition,
    _carries_output,
    _path,
    format_instant,
    gen_create_record,
    gen_output,
    program_from_json,
    program_to_json,
)
from inngest_conformance.strategies._schema import RunSchema
from inngest_conformance.strategies._source import Source

__all__ = [
    "CONCURRENT_FOCUSES",
    "ConcurrentProgram",
    "LifecycleSpec",
    "gen_concurrent_program",
    "setup_states",
]

CONCURRENT_FOCUSES = ("same", "conflict", "reads")
_SETUP_CLOCK = 1000 * 86400 * 365 * 5


@dataclass(frozen=True, slots=True)
class ConcurrentProgram:
    """A ``setup`` run in order, then each client's operations, all clients at once."""

    setup: tuple[Op, ...]
    clients: tuple[tuple[Op, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "setup": program_to_json(self.setup),
            "clients": [program_to_json(ops) for ops in self.clients],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConcurrentProgram:
        return cls(
            tuple(program_from_json(data["setup"])),
            tuple(tuple(program_from_json(ops)) for ops in data["clients"]),
        )

    @property
    def operations(self) -> int:
        """How many operations the clients issue."""
        return sum(len(ops) for ops in self.clients)


def setup_states(model: LifecycleModel, setup: Sequence[Op]) -> dict[Any, str]:
    """Each run's status after ``setup``, as the model has it (legal steps only)."""
    id_field = model.fields.run_id
    states: dict[Any, str] = {}
    for op in setup:
        if isinstance(op, Create):
            states[op.record[id_field]] = model.initial
        elif isinstance(op, Transition) and model.is_legal(states[op.run_id], op.status):
            states[op.run_id] = op.status
    return states


def _forks(model: LifecycleModel, *, conflict: bool) -> list[str]:
    """The live statuses the setup may leave a run in: with two successors or more for a
    conflict, with one or more otherwise."""
    least = 2 if conflict else 1
    return [
        s
        for s in model.statuses
        if not model.is_terminal(s)
        and s not in model.unused
        and len(model.successors(s)) >= least
        and (s == model.initial or _path(model, s) is not None)
    ]


def gen_concurrent_program(
    src: Source,
    schema: RunSchema,
    model: LifecycleModel,
    *,
    focus: str = "same",
    max_clients: int = 4,
    max_runs: int = 2,
) -> ConcurrentProgram:
    """A concurrent program of ``focus`` (see the module docstring): 2 to ``max_clients``
    clients over 1 to ``max_runs`` runs.  Shrinks towards two clients, one run, the
    initial status, the first successors."""
    forks = _forks(model, conflict=focus == "conflict") or _forks(model, conflict=False)
    n_runs = src.integer(1, max_runs)
    setup: list[Op] = []
    taken: dict[Any, str] = {}
    clock = _SETUP_CLOCK
    for _ in range(n_runs):
        record = gen_create_record(src, schema, model, taken=taken, now=clock, plain=True)
        run_id = record[model.fields.run_id]
        setup.append(Create(record=record))
        start = src.choice(forks)
        for status in [] if start == model.initial else _path(model, start) or []:
            clock += 1000
            setup.append(Transition(run_id=run_id, status=status, at=format_instant(clock)))
        taken[run_id] = start
    at = format_instant(clock + 1000)
    n_clients = src.integer(2, max_clients)
    clients: list[list[Op]] = [[] for _ in range(n_clients)]
    for run_id, status in taken.items():
        successors = model.successors(status)

        def transition(target: str, run_id: Any = run_id) -> Transition:
            carries = _carries_output(schema, model, target) and src.boolean(0.3)
            output = gen_output(src, schema, model) if carries else None
            return Transition(run_id=run_id, status=target, at=at, output=output)

        if focus == "same":
            target = src.choice(successors)
            for ops in clients:
                ops.append(transition(target))
        elif focus == "conflict":
            for i, ops in enumerate(clients):
                pick = successors[i % len(successors)] if src.boolean(0.8) else None
                ops.append(transition(pick if pick is not None else src.choice(successors)))
                if src.boolean(0.5):
                    ops.append(Get(run_id=run_id))
        else:
            walker = src.integer(0, n_clients - 1)
            current = status
            while not model.is_terminal(current):
                current = src.choice(model.successors(current))
                clients[walker].append(transition(current))
            for i, ops in enumerate(clients):
                if i != walker:
                    ops.extend(Get(run_id=run_id) for _ in range(src.integer(1, 3)))
    return ConcurrentProgram(tuple(setup), tuple(tuple(ops) for ops in clients))


@dataclass(frozen=True, slots=True)
class LifecycleSpec:
    """The lifecycle model as the linearizability search asks it (see the module docstring).

    ``start`` is each run's status when the clients begin (:func:`setup_states`).
    """

    model: LifecycleModel
    start: Mapping[Any, str]

    def initial(self, key: Any) -> str:
        return self.start[key]

    def step(self, state: str, operation: Any, answer: Any) -> str | None:
        ok = bool(answer.get("ok")) if isinstance(answer, dict) else False
        if isinstance(operation, Get):
            return state if ok and self._holds(state, answer) else None
        if not isinstance(operation, Transition):
            return None
        if not self.model.is_legal(state, operation.status):
            return None if ok else state
        return operation.status if ok and self._holds(operation.status, answer) else None

    def _holds(self, status: str, answer: dict[str, Any]) -> bool:
        """Whether the answered record is one of a run in ``status``."""
        record = answer.get("record")
        if not isinstance(record, dict) or record.get(self.model.fields.status) != status:
            return False
        return not any(prop in record for prop in self.model.absent_in(status))
