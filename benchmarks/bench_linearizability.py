"""Histories checked per second by the linearizability search, and how its cost grows.

Measured: how many histories of one run ``check_history`` decides per second against the
lifecycle model, for histories made by running the model itself (so each is linearizable)
with every operation given a random interval around its linearization point, and for the
same histories with one answer changed to one no order explains (the search must then
exhaust every order it may take before saying so).  Histories have ``C`` clients of ``O``
operations each (transitions and reads of one run, random overlaps of up to ``--overlap``
linearization points either side).

Baseline, in the same rounds: replaying the same history through the model in its
linearization order (one pass, no search): what checking costs when the order is known.
The headline is the median of the per-round ratios ``search / replay`` at 4 clients x 4
operations; the growth table gives each size's rate as a ratio to 2 x 2's.

    python benchmarks/bench_linearizability.py [--histories 300] [--rounds 5] [--overlap 3]
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from typing import Any

from _common import emit, fmt_rate, fmt_ratio, interleave, machine, median, paired_ratios, rates
from _common import table as text_table
from inngest_conformance.strategies import default_lifecycle
from inngest_conformance.strategies._concurrent_programs import LifecycleSpec
from inngest_conformance.strategies._linearizability import Entry, check_history
from inngest_conformance.strategies._programs import Get, Transition

MODEL = default_lifecycle()
AT = "2024-01-01T00:00:00Z"
SIZES = ((2, 2), (2, 4), (4, 2), (4, 4), (4, 8), (8, 2), (8, 4))


def _history(rng: random.Random, clients: int, ops: int, overlap: float) -> list[Entry]:
    """A linearizable history of run ``r`` from ``QUEUED``: the model's own answers."""
    state, entries = MODEL.initial, []
    order = [c for c in range(clients) for _ in range(ops)]
    rng.shuffle(order)
    for point, client in enumerate(order):
        if rng.random() < 0.4:
            op: Any = Get(run_id="r")
        else:
            op = Transition(run_id="r", status=rng.choice(MODEL.statuses), at=AT)
        record: dict[str, Any] = {"run_id": "r", "function_id": "f", "status": state}
        if isinstance(op, Transition) and MODEL.is_legal(state, op.status):
            state = op.status
            record["status"] = state
            answer: dict[str, Any] = {"ok": True, "record": record}
        elif isinstance(op, Transition):
            answer = {"ok": False, "error": "illegal"}
        else:
            answer = {"ok": True, "record": record}
        if MODEL.is_terminal(record["status"]):
            record["ended_at"] = AT
        before, after = rng.uniform(0, overlap), rng.uniform(0, overlap)
        entries.append(Entry("r", op, answer, point - before, point + after, client))
    return entries


def _broken(rng: random.Random, history: list[Entry]) -> list[Entry]:
    i = rng.randrange(len(history))
    wrong = {"ok": True, "record": {"run_id": "r", "function_id": "f", "status": "ARCHIVED"}}
    return [*history[:i], replace(history[i], answer=wrong), *history[i + 1 :]]


def _replay(spec: LifecycleSpec, history: list[Entry]) -> bool:
    state: str | None = spec.initial("r")
    for entry in history:  # made in linearization order
        assert state is not None
        state = spec.step(state, entry.operation, entry.answer)
        if state is None:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--histories", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--overlap", type=float, default=3.0)
    args = parser.parse_args()
    spec = LifecycleSpec(MODEL, {"r": MODEL.initial})

    def made(size: tuple[int, int], seed: int, broken: bool) -> list[list[Entry]]:
        rng = random.Random(f"{size}:{seed}")
        out = [_history(rng, *size, args.overlap) for _ in range(args.histories)]
        return [_broken(rng, h) for h in out] if broken else out

    def search(size: tuple[int, int], broken: bool) -> Any:
        def measure(round_: int) -> dict[str, Any]:
            histories = made(size, round_, broken)
            start = time.perf_counter()
            verdicts = [check_history(spec, h).outcome for h in histories]
            rate = len(histories) / (time.perf_counter() - start)
            want = "not-linearizable" if broken else "linearizable"
            assert all(v == want for v in verdicts), f"{size}: {set(verdicts)}"
            return {"rate": rate}

        return measure

    def replay(size: tuple[int, int]) -> Any:
        def measure(round_: int) -> dict[str, Any]:
            histories = made(size, round_, False)
            start = time.perf_counter()
            assert all(_replay(spec, h) for h in histories)
            return {"rate": len(histories) / (time.perf_counter() - start)}

        return measure

    print("== headline: search against replay in a known order, 4 clients x 4 operations")
    head = interleave(
        args.rounds,
        {"search": search((4, 4), False), "replay (baseline)": replay((4, 4))},
    )
    ratio = median(paired_ratios(rates(head["search"]), rates(head["replay (baseline)"])))
    print("== growth with clients and operations (each against 2 x 2 in the same rounds)")
    rows, growth = [], {}
    for broken in (False, True):
        for size in SIZES[1:]:
            label = f"{size[0]}x{size[1]}{' broken' if broken else ''}"
            arms = interleave(
                args.rounds, {label: search(size, broken), "2x2": search(SIZES[0], broken)}
            )
            r = median(paired_ratios(rates(arms[label]), rates(arms["2x2"])))
            growth[label] = r
            rows.append(
                [label, fmt_rate(median(rates(arms[label]))), fmt_rate(median(rates(arms["2x2"]))),
                 fmt_ratio(r)]
            )  # fmt: skip
    print(text_table(["history", "histories/s", "2x2 histories/s", "rate vs 2x2"], rows))
    print(f"search / replay at 4x4: {fmt_ratio(ratio)} (median of per-round ratios)")
    emit(
        {
            "script": "bench_linearizability.py",
            "machine": machine(),
            "histories": args.histories,
            "search_histories_per_s_4x4": median(rates(head["search"])),
            "search_vs_replay_4x4": ratio,
            "rate_vs_2x2": growth,
        }
    )


if __name__ == "__main__":
    main()
