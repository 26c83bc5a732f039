"""Differential runs: the same generated cases through several implementations at once.

Certifying one implementation answers "is it right?"; comparing answers "how do these
differ?".  For each requirement the cases are drawn once, from the run's seed, and every
implementation gets exactly those cases in the same order, so the matrix is a fair
comparison.  Implementations run in parallel (one thread each: they are separate processes
or independent objects).  Every case on which an implementation disagrees with the oracle,
or with another implementation, is then shrunk: each implementation that failed the
requirement gets the engine's usual search from the same seed, and the minimal case it
finds is put to every implementation, so a disagreement row shows all answers to one small
case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inngest_conformance._adapters.base import (
    Adapter,
    Description,
    ImplementationError,
    Unsupported,
)
from inngest_conformance._case_log import PartWriter
from inngest_conformance._engine import (
    PROFILES,
    CaseObserver,
    CaseSent,
    Result,
    case_id,
    case_record_any,
    expected_of,
    rebuild_case,
    requirement_seed,
    result_from_json,
    run_requirement,
    send,
)
from inngest_conformance._requirements import Context, Requirement
from inngest_conformance._vocabulary import CasePhase, Kind, Outcome, Profile
from inngest_conformance.report import verdict
from inngest_conformance.strategies import RandomSource
from inngest_conformance.strategies._source import Unsatisfiable


@dataclass(frozen=True)
class Entrant:
    """One implementation in a comparison: a unique name and its adapter."""

    name: str
    adapter: Adapter
    description: Description


def unique_names(descriptions: Sequence[Description]) -> list[str]:
    """Names for the matrix columns: the implementations' own, numbered where they clash."""
    names: list[str] = []
    for d in descriptions:
        base = d.name + (f" {d.version}" if d.version else "")
        name, n = base, 2
        while name in names:
            name, n = f"{base} #{n}", n + 1
        names.append(name)
    return names


def draw_cases(ctx: Context, req: Requirement, n: int, seed: int) -> list[Any]:
    """The cases every implementation gets for ``req``: the directed ones, then ``n`` drawn
    (fewer where the generator stops finding any).  :class:`Unsatisfiable`, saying why,
    when not one case can be made."""
    if req.unbuilt is not None:
        return []  # no case of it is built (see ``Requirement.unbuilt``)
    src = RandomSource(requirement_seed(seed, req.id))
    why = ""
    try:
        cases = list(req.explicit(ctx))
    except Unsatisfiable as exc:
        cases, why = [], str(exc)
    for _ in range(n):
        try:
            cases.append(req.sample(ctx, src))
        except Unsatisfiable as exc:
            why = str(exc)
            break
    if not cases and why:
        raise Unsatisfiable(why)
    return cases


def _no_case(req: Requirement, entrants: Sequence[Entrant], seed: int, why: str) -> Compared:
    """``req`` compared on no case (none could be made): errored for every entrant, as
    ``certify`` reports it, never passed."""
    message = f"no case found: {why}"
    detail = f"to leave it out, declare it: --skip '{req.id}' --reason TEXT"
    row: dict[str, Any] = {
        "id": req.id,
        "level": req.level,
        "keyword": req.keyword,
        "outcomes": {e.name: "errored" for e in entrants},
        "cases": 0,
    }
    made = Result(req, "errored", 0, requirement_seed(seed, req.id), message, detail=detail)
    return Compared(row, [], {e.name: made for e in entrants})


def token(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    case: Any,
    observe: CaseObserver | None = None,
    phase: CasePhase = "shared",
) -> dict[str, Any]:
    """What one implementation made of one case, comparable across implementations."""
    try:
        j = send(ctx, req, adapter, case, observe, phase)
    except (ImplementationError, Unsupported) as exc:
        return {"ok": False, "errored": str(exc)}
    if j.ok:
        return {"ok": True, "answer": j.answer} if j.answer is not None else {"ok": True}
    return {"ok": False, "message": j.message, "answer": j.answer}


def _key(case: Any) -> str:
    text = json.dumps(case_record_any(case), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Compared:
    """One requirement compared: its matrix row, its shrunk disagreements, and each
    entrant's result (by column name)."""

    row: dict[str, Any]
    disagreements: list[dict[str, Any]]
    results: dict[str, Result]

    def to_json(self) -> dict[str, Any]:
        """As a worker process sends it back."""
        return {
            "row": self.row,
            "disagreements": self.disagreements,
            "results": {name: r.to_json() for name, r in self.results.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], req: Requirement) -> Compared:
        results = {name: result_from_json(r, req) for name, r in data["results"].items()}
        return cls(data["row"], data["disagreements"], results)


def compare_requirement(
    ctx: Context,
    entrants: Sequence[Entrant],
    req: Requirement,
    *,
    profile: Profile,
    seed: int,
    pool: ThreadPoolExecutor,
    log: PartWriter | None = None,
    database: Path | None = None,
) -> Compared:
    """Put ``req``'s cases to every entrant (one thread each, from ``pool``), then shrink
    each disagreement.  Depends on nothing but its arguments: any process can run it.
    ``log`` is given every case sent, naming the implementation (the shared cases one
    implementation after another, in the order of ``entrants``, whatever order their
    threads answered in).  ``database`` is the example database folder of the searches that
    shrink a disagreement (:func:`~inngest_conformance._engine.run_requirement`)."""
    budget = PROFILES[profile]
    try:
        cases = draw_cases(ctx, req, budget[req.kind], seed)
    except Unsatisfiable as exc:
        return _no_case(req, entrants, seed, str(exc))
    sent: dict[str, list[CaseSent]] = {e.name: [] for e in entrants}

    def answers(entrant: Entrant) -> list[dict[str, Any]]:
        told = sent[entrant.name].append if log is not None else None
        return [token(ctx, req, entrant.adapter, c, told) for c in cases]

    tokens = dict(zip((e.name for e in entrants), pool.map(answers, entrants), strict=True))
    if log is not None:
        for e in entrants:
            for one in sent[e.name]:
                log.write(one, e.name)
    sent.clear()
    outcomes: dict[str, Outcome] = {}
    for e in entrants:
        mine = tokens[e.name]
        outcome: Outcome = "passed"
        if any("errored" in t for t in mine):
            outcome = "errored"
        if any(not t["ok"] and "errored" not in t for t in mine):
            outcome = "failed"
        outcomes[e.name] = outcome
    row: dict[str, Any] = {
        "id": req.id,
        "level": req.level,
        "keyword": req.keyword,
        "outcomes": outcomes,
        "cases": len(cases),
    }
    results: dict[str, list[Result]] = {e.name: [] for e in entrants}
    rows = _disagreements(
        ctx, req, entrants, cases, tokens, outcomes, budget, seed, results, log, database
    )
    return Compared(row, rows, {name: mine[0] for name, mine in results.items()})


def compare(
    ctx: Context,
    entrants: Sequence[Entrant],
    requirements: Sequence[Requirement],
    *,
    profile: Profile = "standard",
    seed: int = 0,
    log: PartWriter | None = None,
    database: Path | None = None,
) -> list[Compared]:
    """Each requirement compared, in order; ``log`` is given every case sent (see
    :func:`compare_requirement`); ``database`` is an example database folder."""
    with ThreadPoolExecutor(max_workers=max(1, len(entrants))) as pool:
        return [
            compare_requirement(
                ctx,
                entrants,
                req,
                profile=profile,
                seed=seed,
                pool=pool,
                log=log,
                database=database,
            )
            for req in requirements
        ]


def section_of(
    entrants: Sequence[Entrant], compared: Sequence[Compared]
) -> tuple[dict[str, Any], dict[str, list[Result]]]:
    """The ``compare`` section of a report from its requirements compared in order (here
    or in worker processes), and each entrant's results."""
    results: dict[str, list[Result]] = {
        e.name: [c.results[e.name] for c in compared] for e in entrants
    }
    matrix = [c.row for c in compared]
    disagreements = [d for c in compared for d in c.disagreements]
    totals = {
        e.name: {
            o: sum(1 for r in matrix if r["outcomes"][e.name] == o)
            for o in ("passed", "failed", "errored")
        }
        for e in entrants
    }
    section = {
        "implementations": [
            {
                **e.description.to_json(),
                "column": e.name,
                "verdict": verdict(results[e.name]) if results[e.name] else "conformant",
            }
            for e in entrants
        ],
        "matrix": matrix,
        "totals": totals,
        "disagreements": disagreements,
    }
    return section, results


def _disagreements(
    ctx: Context,
    req: Requirement,
    entrants: Sequence[Entrant],
    cases: list[Any],
    tokens: dict[str, list[dict[str, Any]]],
    outcomes: dict[str, Outcome],
    budget: dict[Kind, int],
    seed: int,
    results: dict[str, list[Result]],
    log: PartWriter | None = None,
    database: Path | None = None,
) -> list[dict[str, Any]]:
    """Shrunk disagreements for one requirement; fills each entrant's result for it."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for e in entrants:
        if outcomes[e.name] != "failed":
            outcome = outcomes[e.name]
            first = next((t for t in tokens[e.name] if "errored" in t), None)
            results[e.name].append(
                Result(
                    req,
                    outcome,
                    len(cases),
                    requirement_seed(seed, req.id),
                    message=first["errored"] if first else "",
                )
            )
            continue
        shrunk = run_requirement(
            ctx,
            req,
            e.adapter,
            examples=budget[req.kind],
            run_seed=seed,
            observe=log.observer(e.name) if log is not None else None,
            database=database,
        )
        if shrunk.outcome != "failed":  # the search missed what the drawn cases showed
            index = next(i for i, t in enumerate(tokens[e.name]) if not t["ok"])
            case, found = cases[index], tokens[e.name][index]
            shrunk = Result(
                req,
                "failed",
                len(cases),
                shrunk.seed,
                message=found["message"],
                counterexample=case_record_any(case),
                answer=found.get("answer"),
                expected=expected_of(case),
                case_id=case_id(case),
            )
            minimal = case
        else:
            minimal = _rebuild(req, shrunk)
        results[e.name].append(shrunk)
        key = _key(minimal)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "requirement": req.id,
                "case": case_record_any(minimal),
                "expected": shrunk.expected,
                "answers": {
                    other.name: token(
                        ctx,
                        req,
                        other.adapter,
                        minimal,
                        log.observer(other.name) if log is not None else None,
                        "disagreement",
                    )
                    for other in entrants
                },
            }
        )
    return rows


def _rebuild(req: Requirement, result: Result) -> Any:
    return rebuild_case(req, result.to_json())
