"""Tests of the linearizability search, on its own and with the lifecycle model.

Hand-made histories of a register and of run transitions, each with the answer worked out
by hand, pin the search's verdicts; the properties run the sequential model itself with
random real-time overlaps around each operation's linearization point (so the history is
linearizable by construction), then change one answer to one no order explains.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance.strategies._concurrent_programs import (
    ConcurrentProgram,
    LifecycleSpec,
    gen_concurrent_program,
    setup_states,
)
from inngest_conformance.strategies._lifecycle_table import default_lifecycle
from inngest_conformance.strategies._linearizability import Entry, check_history, check_part
from inngest_conformance.strategies._programs import Get, Transition
from inngest_conformance.strategies._schema import default_schema
from inngest_conformance.strategies._source import strategy

MODEL = default_lifecycle()
AT = "2024-01-01T00:00:00Z"


@dataclass(frozen=True)
class Register:
    """A register holding an integer: ``("w", v)`` answers ``None``, ``("r",)`` the value."""

    def initial(self, key: Any) -> int:
        return 0

    def step(self, state: int, operation: Any, answer: Any) -> int | None:
        if operation[0] == "w":
            return int(operation[1]) if answer is None else None
        return state if answer == state else None


def e(op: Any, answer: Any, call: float, ret: float, key: Any = "x") -> Entry:
    return Entry(key, op, answer, call, ret)


def test_sequential_history_is_linearizable_in_its_own_order() -> None:
    history = [e(("w", 1), None, 0, 1), e(("r",), 1, 2, 3), e(("w", 2), None, 4, 5)]
    verdict = check_part(Register(), history)
    assert verdict.outcome == "linearizable"
    assert verdict.longest == (0, 1, 2)


def test_overlapping_read_may_see_either_value() -> None:
    for seen in (0, 1):
        history = [e(("w", 1), None, 0, 10), e(("r",), seen, 2, 3)]
        assert check_part(Register(), history).linearizable


def test_stale_read_after_the_write_returned_is_not_linearizable() -> None:
    history = [e(("w", 1), None, 0, 1), e(("r",), 0, 2, 3)]
    verdict = check_part(Register(), history)
    assert verdict.outcome == "not-linearizable"
    # The write explains itself; the read of 0 after it cannot be; the model had 1.
    assert verdict.longest == (0,)
    assert verdict.states == (1,)


def test_reads_disagreeing_on_order_are_not_linearizable() -> None:
    # Two writes overlap; one reader sees 1 then 2, the other 2 then 1, each read after
    # both writes began but while they run: no single order of the writes explains both.
    history = [
        e(("w", 1), None, 0, 100),
        e(("w", 2), None, 0, 100),
        e(("r",), 1, 10, 11),
        e(("r",), 2, 12, 13),
        e(("r",), 2, 10, 11),
        e(("r",), 1, 12, 13),
    ]
    assert check_part(Register(), history).outcome == "not-linearizable"
    # Without the second reader it is linearizable (w1, r1, w2, r2).
    assert check_part(Register(), history[:4]).linearizable


def test_two_workers_both_completing_a_run_is_not_linearizable() -> None:
    spec = LifecycleSpec(MODEL, {"r": "RUNNING"})
    done = {"ok": True, "record": {"run_id": "r", "status": "COMPLETED"}}
    history = [
        e(Transition(run_id="r", status="COMPLETED", at=AT), done, 0, 10, "r"),
        e(Transition(run_id="r", status="COMPLETED", at=AT), done, 1, 9, "r"),
    ]
    verdict = check_history(spec, history)
    assert verdict.outcome == "not-linearizable"
    assert verdict.key == "r"
    assert verdict.states == ("COMPLETED",)
    refused = {"ok": False, "error": "cannot go from COMPLETED to COMPLETED"}
    assert check_history(spec, [history[0], replace(history[1], answer=refused)]).linearizable


def test_cancel_racing_complete_may_go_either_way_but_not_both() -> None:
    spec = LifecycleSpec(MODEL, {"r": "RUNNING"})

    def ok(status: str) -> dict[str, Any]:
        return {"ok": True, "record": {"run_id": "r", "status": status, "ended_at": AT}}

    no = {"ok": False, "error": "no"}
    complete = Transition(run_id="r", status="COMPLETED", at=AT)
    cancel = Transition(run_id="r", status="CANCELLED", at=AT)
    for a, b in ((ok("COMPLETED"), no), (no, ok("CANCELLED"))):
        history = [e(complete, a, 0, 5, "r"), e(cancel, b, 1, 6, "r")]
        assert check_history(spec, history).linearizable
    both = [e(complete, ok("COMPLETED"), 0, 5, "r"), e(cancel, ok("CANCELLED"), 1, 6, "r")]
    assert check_history(spec, both).outcome == "not-linearizable"
    # Neither refused is not explained either: whichever came first was legal.
    assert check_history(spec, [e(complete, no, 0, 5, "r"), e(cancel, no, 1, 6, "r")]).outcome == (
        "not-linearizable"
    )


def test_record_carrying_what_the_table_leaves_out_is_not_explained() -> None:
    spec = LifecycleSpec(MODEL, {"r": "QUEUED"})
    read = {"ok": True, "record": {"run_id": "r", "status": "QUEUED", "ended_at": AT}}
    assert check_history(spec, [e(Get(run_id="r"), read, 0, 1, "r")]).outcome == (
        "not-linearizable"
    )


def test_parts_are_searched_alone() -> None:
    # As one register this is linearizable (a's write explains b's read); but b's read of 1
    # has no write of b to explain it: the runs never explain each other's answers.
    history = [e(("w", 1), None, 0, 10, "a"), e(("r",), 1, 1, 2, "b")]
    assert check_part(Register(), history).linearizable
    verdict = check_history(Register(), history)
    assert verdict.outcome == "not-linearizable"
    assert verdict.key == "b"
    assert verdict.parts == 2
    assert check_history(Register(), [history[0], e(("r",), 0, 1, 2, "b")]).linearizable


def test_bound_reached_is_undecided_never_linearizable() -> None:
    # Twelve overlapping writes and a read of a value none wrote: a search of every order.
    history = [e(("w", i), None, 0, 100) for i in range(1, 13)] + [e(("r",), 99, 0, 100)]
    verdict = check_part(Register(), history, max_states=50)
    assert verdict.outcome == "undecided"
    assert not verdict.linearizable
    assert verdict.explored > 50
    # Linearizable with a generous bound (and so not merely undecided) when the read is of 12.
    fine = [*history[:-1], e(("r",), 12, 0, 100)]
    assert check_part(Register(), fine).linearizable


def test_entry_returning_before_its_call_is_refused() -> None:
    with pytest.raises(ValueError, match="returns"):
        e(("r",), 0, 5, 4)


# Properties: histories of the sequential model itself -------------------------------------


@st.composite
def model_histories(draw: st.DrawFn) -> tuple[LifecycleSpec, list[Entry]]:
    """A concurrent program run on the model: its operations in a random interleaving that
    keeps each client's order, each answered by the model, each given an interval around
    its linearization point (random real-time overlaps)."""
    program: ConcurrentProgram = draw(
        strategy(gen_concurrent_program, default_schema(), MODEL, focus=draw(st.sampled_from(
            ("same", "conflict", "reads")
        )))
    )  # fmt: skip
    start = setup_states(MODEL, program.setup)
    state = dict(start)
    cursors = [0] * len(program.clients)
    entries: list[Entry] = []
    point = 0.0
    while any(c < len(ops) for c, ops in zip(cursors, program.clients, strict=True)):
        live = [i for i, ops in enumerate(program.clients) if cursors[i] < len(ops)]
        client = draw(st.sampled_from(live))
        op = program.clients[client][cursors[client]]
        cursors[client] += 1
        assert isinstance(op, (Transition, Get))
        current = state[op.run_id]
        if isinstance(op, Transition) and MODEL.is_legal(current, op.status):
            state[op.run_id] = op.status
            answer: dict[str, Any] = {"ok": True, "record": _record(op.run_id, op.status)}
        elif isinstance(op, Transition):
            answer = {"ok": False, "error": f"cannot go from {current} to {op.status}"}
        else:
            answer = {"ok": True, "record": _record(op.run_id, current)}
        point += draw(st.floats(0.5, 2))
        before = draw(st.floats(0, 10))
        after = draw(st.floats(0, 10))
        entries.append(Entry(op.run_id, op, answer, point - before, point + after, client))
    return LifecycleSpec(MODEL, start), entries


def _record(run_id: Any, status: str) -> dict[str, Any]:
    record: dict[str, Any] = {"run_id": run_id, "function_id": "f", "status": status}
    if MODEL.is_terminal(status):
        record["ended_at"] = AT
    return record


@settings(max_examples=150, deadline=None)
@given(model_histories())
def test_histories_of_the_model_are_linearizable(case: tuple[LifecycleSpec, list[Entry]]) -> None:
    spec, history = case
    assert check_history(spec, history).linearizable


@settings(max_examples=150, deadline=None)
@given(model_histories(), st.data())
def test_one_answer_no_order_explains_is_found(
    case: tuple[LifecycleSpec, list[Entry]], data: st.DataObject
) -> None:
    spec, history = case
    i = data.draw(st.integers(0, len(history) - 1))
    entry = history[i]
    # A status no run ever reaches: no order of the operations gives it.
    answer = {"ok": True, "record": {**_record(entry.key, "QUEUED"), "status": "ARCHIVED"}}
    history[i] = replace(entry, answer=answer)
    verdict = check_history(spec, history)
    assert verdict.outcome == "not-linearizable"
    assert verdict.key == entry.key
    changed = history[i]
    assert all(verdict.entries[j] is not changed for j in verdict.longest)
