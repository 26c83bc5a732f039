"""Searching on after the profile: further rounds until a time budget or a round count.

A profile's run is the same on every machine; a time budget is not.  So the profile run
stays exactly as it is, and the budget only adds: round after round, every requirement
still being judged (passed or failed) gets one more search of the profile's size, seeded
from the run's seed and the round number (:func:`round_seed`), the requirements taken in
turn.  Each round is the engine's own search (:func:`~inngest_conformance._engine.
run_requirement`, without the directed cases the profile run already sent), and its result
is merged into the requirement's (:func:`merged`): failures are kept one per kind, the
smallest example of each.  Each requirement records how many rounds it had, so that
``--rounds N`` makes the same rounds again, on any machine.  A comparison gets the same:
every implementation is put the same new cases of each round
(:func:`~inngest_conformance._compare.compare_requirement`).

Ctrl-C during the extra time ends it with what was found: the profile run had completed,
so the report is not marked interrupted.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inngest_conformance._adapters.base import Adapter
from inngest_conformance._case_log import PartWriter
from inngest_conformance._compare import Compared, Entrant, compare_requirement
from inngest_conformance._engine import (
    MAX_KINDS,
    CaseObserver,
    Failure,
    Result,
    examples_for,
    interrupts,
    run_requirement,
)
from inngest_conformance._requirements import Context, Requirement
from inngest_conformance._variants import Coverage, Declared
from inngest_conformance._vocabulary import Profile
from inngest_conformance.errors import UsageError
from inngest_conformance.strategies._source import derive_seed

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str, flag: str = "--max-time") -> float:
    """``90s``, ``5m``, ``1h`` or plain seconds, as seconds above 0."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    seconds = float(match[1]) * _UNITS[match[2]] if match else 0.0
    if not seconds > 0:
        raise UsageError(f"{flag} {text!r} is not a duration above 0: write e.g. 90s, 5m, 1h or 30")
    return seconds


def parse_rounds(text: str, flag: str = "--rounds") -> int:
    """A count of further rounds, 1 or more."""
    try:
        rounds = int(text)
    except ValueError:
        rounds = 0
    if rounds < 1:
        raise UsageError(f"{flag} {text!r} is not a whole number of rounds, 1 or more")
    return rounds


@dataclass(frozen=True, slots=True)
class Budget:
    """How long to search on after the profile: seconds, or an exact count of rounds."""

    max_time_s: float | None = None
    rounds: int | None = None

    @classmethod
    def of(
        cls,
        max_time: str | None,
        rounds: str | None,
        names: tuple[str, str] = ("--max-time", "--rounds"),
    ) -> Budget | None:
        """From the options as given (``None`` when neither is; ``names`` spell them in
        errors); both at once is an error."""
        if max_time is not None and rounds is not None:
            raise UsageError(f"{names[0]} and {names[1]} are two budgets: give one of them")
        if max_time is not None:
            return cls(max_time_s=parse_duration(max_time, names[0]))
        if rounds is not None:
            return cls(rounds=parse_rounds(rounds, names[1]))
        return None

    def share(self, parts: int) -> Budget:
        """This budget split between ``parts`` searches run apart (a round count is not)."""
        if self.max_time_s is None or parts <= 1:
            return self
        return Budget(max_time_s=self.max_time_s / parts)

    def summary(self, results: Sequence[Result]) -> dict[str, Any]:
        """The report's ``search`` section: the budget, the most rounds a requirement had,
        and the cases the rounds sent."""
        return {
            "max_time_s": self.max_time_s,
            "rounds": max((r.rounds or 0 for r in results), default=0),
            "extra_cases": sum(r.extra_examples for r in results),
        }


def round_seed(run_seed: int, round_: int) -> int:
    """The run seed of one further round: every requirement's search in it is seeded from
    this as the profile run's are from ``run_seed``."""
    return derive_seed(run_seed, f"#round{round_}")


def _size(counterexample: Any) -> tuple[int, str]:
    text = json.dumps(counterexample, sort_keys=True, default=repr)
    return len(text), text


def merged(base: Result, extra: Result, round_: int) -> Result:
    """``base`` (the profile run's result, or the merge so far) with one further round's.

    Cases add up.  A failure kind keeps its smallest example; a kind new to the requirement
    is added (a passed requirement becomes failed with it).  An implementation that errors
    in a further round makes a passed requirement errored; a failed one stays failed.  The
    row keeps the profile run's seed; its ``rounds`` say what was searched after.
    """
    total = replace(
        base,
        examples=base.examples + extra.examples,
        duration_s=base.duration_s + extra.duration_s,
        rounds=round_,
        extra_examples=base.extra_examples + extra.examples,
        coverage=_coverage(base.coverage, extra.coverage),
        met=None if base.met is None or extra.met is None else base.met + extra.met,
    )
    # The further round's own outcome, counted as the whole row's.
    instead = replace(
        extra,
        examples=total.examples,
        seed=base.seed,
        duration_s=total.duration_s,
        rounds=round_,
        extra_examples=total.extra_examples,
        coverage=total.coverage,
        met=total.met,
    )
    if extra.outcome in ("errored", "skipped"):
        return total if base.outcome != "passed" else instead
    if extra.outcome != "failed" or (base.outcome == "failed" and not base.failures):
        return total  # (a headline without kinds, e.g. a flaky one, is kept as it is)
    kinds: dict[str, Failure] = {f.kind: f for f in base.failures}
    for f in extra.failures:
        held = kinds.get(f.kind)
        if held is None:
            if len(kinds) < MAX_KINDS:
                kinds[f.kind] = f
        elif _size(f.counterexample) < _size(held.counterexample):
            kinds[f.kind] = f
    failures = tuple(kinds.values())
    if not failures:  # a flaky search with no example of its own
        return total if base.outcome == "failed" else instead
    head = failures[0]
    return replace(
        total,
        outcome="failed",
        message=head.message,
        counterexample=head.counterexample,
        answer=head.answer,
        expected=head.expected,
        flaky=head.flaky,
        failures=failures,
        case_id=head.case_id,
        detail="",
    )


def _coverage(base: Coverage | None, extra: Coverage | None) -> Coverage | None:
    if base is None or extra is None:
        return base or extra
    exercised = dict(base.exercised)
    for variant, n in extra.exercised.items():
        exercised[variant] = exercised.get(variant, 0) + n
    never = tuple(v for v in base.never if v not in extra.exercised)
    return Coverage(exercised, never, base.variants)


def _still_judged(result: Result) -> bool:
    return result.outcome in ("passed", "failed")


def _rounds(
    budget: Budget,
    ids: Sequence[str],
    active: Callable[[str], bool],
    one: Callable[[str, int], None],
) -> None:
    """Round-robin over ``ids`` (while ``active``) until ``budget`` is spent; ``one`` runs
    one requirement's round.  The clock is read before each search: one begun finishes."""
    deadline = None if budget.max_time_s is None else time.monotonic() + budget.max_time_s
    with interrupts() as guard:
        try:
            with guard.raising():
                round_ = 0
                while budget.rounds is None or round_ < budget.rounds:
                    round_ += 1
                    todo = [rid for rid in ids if active(rid)]
                    if not todo:
                        return
                    for rid in todo:
                        if deadline is not None and time.monotonic() >= deadline:
                            return
                        one(rid, round_)
        except KeyboardInterrupt:
            # The profile run was complete: Ctrl-C only ends the extra time.
            guard.requested = False


def search_more(
    ctx: Context,
    adapter: Adapter,
    requirements: Sequence[Requirement],
    results: Sequence[Result],
    *,
    budget: Budget,
    profile: Profile,
    run_seed: int,
    declared: Declared | None = None,
    observe: CaseObserver | None = None,
    database: Path | None = None,
) -> list[Result]:
    """``results`` (the profile run's, of ``requirements``) after the further rounds
    ``budget`` allows; a requirement that errored or was skipped gets none."""
    by_id = {r.requirement.id: r for r in results}
    reqs = {r.id: r for r in requirements}

    def one(rid: str, round_: int) -> None:
        req = reqs[rid]
        extra = run_requirement(
            ctx,
            req,
            adapter,
            examples=examples_for(profile, req.kind),
            run_seed=round_seed(run_seed, round_),
            declared=declared,
            observe=observe,
            directed=False,
            database=database,
        )
        by_id[rid] = merged(by_id[rid], extra, round_)

    # A concurrent program's tries are its search: no further rounds (they have no kinds).
    ids = [r.id for r in requirements if r.id in by_id and r.kind != "concurrency"]
    _rounds(budget, ids, lambda rid: _still_judged(by_id[rid]), one)
    return [by_id[r.requirement.id] for r in results]


def compare_more(
    ctx: Context,
    entrants: Sequence[Entrant],
    requirements: Sequence[Requirement],
    compared: Sequence[Compared],
    *,
    budget: Budget,
    profile: Profile,
    seed: int,
    log: PartWriter | None = None,
    database: Path | None = None,
) -> list[Compared]:
    """``compared`` (one per requirement, in order) after the further rounds ``budget``
    allows: each round puts the same new cases to every implementation, and every new
    disagreement is added to its requirement's, one per shrunk case."""
    now = {req.id: c for req, c in zip(requirements, compared, strict=True)}
    reqs = {r.id: r for r in requirements}

    def active(rid: str) -> bool:
        return all(_still_judged(r) for r in now[rid].results.values())

    with ThreadPoolExecutor(max_workers=max(1, len(entrants))) as pool:

        def one(rid: str, round_: int) -> None:
            extra = compare_requirement(
                ctx,
                entrants,
                reqs[rid],
                profile=profile,
                seed=round_seed(seed, round_),
                pool=pool,
                log=log,
                database=database,
            )
            now[rid] = _merged_compared(now[rid], extra, round_)

        _rounds(budget, [r.id for r in requirements], active, one)
    return [now[r.id] for r in requirements]


_WORST = {"failed": 3, "errored": 2, "passed": 1, "skipped": 0}


def _merged_compared(base: Compared, extra: Compared, round_: int) -> Compared:
    outcomes = {
        name: max(o, extra.row["outcomes"][name], key=lambda x: _WORST[x])
        for name, o in base.row["outcomes"].items()
    }
    row = {**base.row, "outcomes": outcomes, "cases": base.row["cases"] + extra.row["cases"]}
    seen = {json.dumps(d["case"], sort_keys=True) for d in base.disagreements}
    rows = list(base.disagreements)
    for d in extra.disagreements:
        key = json.dumps(d["case"], sort_keys=True)
        if key not in seen:
            seen.add(key)
            rows.append(d)
    results = {name: merged(r, extra.results[name], round_) for name, r in base.results.items()}
    return Compared(row, rows, results)
