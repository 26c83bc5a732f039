"""Certifying and comparing with several worker processes (``--jobs N``), each with its own
adapters.

Each requirement's search is seeded by the run's seed and the requirement's id, and an
implementation is reset before each lifecycle program, so requirements are independent of
each other: they can run in any process, in any order, and give the same results.  Each
worker opens the implementation itself (a harness or a service connection is never shared
across processes: :class:`AdapterSpec` says how to open it) and runs one requirement at a
time through the same :func:`~inngest_conformance._engine.run_requirement` a serial run
uses; the results come back as report rows and are put back in catalogue order, so the
report is the one ``--jobs 1`` writes apart from its timings.  A comparison works the same
way: each worker opens every implementation and compares one requirement at a time through
:func:`~inngest_conformance._compare.compare_requirement`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any, TypeVar

from inngest_conformance._adapters import Adapter, AdapterSpec
from inngest_conformance._adapters.base import Description
from inngest_conformance._case_log import PartWriter
from inngest_conformance._compare import Compared, Entrant, compare_requirement
from inngest_conformance._engine import (
    Interrupted,
    Listener,
    Result,
    examples_for,
    requirement_seed,
    result_from_json,
    run_requirement,
    skipped,
)
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance._run_concurrent import TRIES
from inngest_conformance._variants import Declared
from inngest_conformance._vocabulary import Profile
from inngest_conformance._workers import start_worker

T = TypeVar("T")


@dataclass
class _Worker:
    ctx: Context
    adapter: Adapter
    requirements: dict[str, Requirement]
    profile: Profile
    run_seed: int
    declared: Declared | None
    parts: PartWriter | None = None
    warned: int = 0


_WORKER: list[_Worker] = []


def _start_worker(
    spec: AdapterSpec,
    schema: Any,
    model: Any,
    profile: Profile,
    run_seed: int,
    declared: Declared | None,
    parts: Path | None,
    parent: int,
) -> None:
    # Ctrl-C is the parent's to handle (it stops handing out requirements); the worker ends
    # with its parent.
    start_worker(parent)
    ctx = Context(schema, model)
    adapter = spec.open()
    Finalize(None, adapter.close, exitpriority=10)
    requirements = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    writer = PartWriter(parts) if parts is not None else None
    _WORKER.append(_Worker(ctx, adapter, requirements, profile, run_seed, declared, writer))


def _run_one(requirement_id: str) -> tuple[dict[str, Any], float, list[str]]:
    """One requirement in a worker: its report row, its duration and the adapter's new
    warnings; its cases, when logged, in its own part file, complete when this returns."""
    w = _WORKER[0]
    req = w.requirements[requirement_id]
    try:
        result = run_requirement(
            w.ctx,
            req,
            w.adapter,
            examples=examples_for(w.profile, req.kind),
            tries=TRIES[w.profile],
            run_seed=w.run_seed,
            declared=w.declared,
            every_variant=w.profile == "certify",
            observe=w.parts,
        )
    finally:
        if w.parts is not None:
            w.parts.close()
    warnings = w.adapter.warnings[w.warned :]
    w.warned = len(w.adapter.warnings)
    return result.to_json(), result.duration_s, list(warnings)


def _errored(req: Requirement, run_seed: int, reason: str) -> Result:
    return Result(
        req, "errored", 0, requirement_seed(run_seed, req.id), message=reason, detail=reason
    )


def _in_workers(
    requirements: Sequence[Requirement],
    jobs: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    task: Callable[[str], T],
) -> Iterator[tuple[Requirement, T | BrokenProcessPool]]:
    """``task(requirement id)`` for every requirement, in ``jobs`` spawned worker processes
    set up by ``initializer``: each requirement with its answer as soon as it is done (those
    done together in catalogue order), or with the error of a worker that could not start
    or died.  Closing the iterator (Ctrl-C in the consumer) cancels what has not started,
    lets the running ones finish and shuts the pool down."""
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )
    try:
        by_future: dict[Future[T], Requirement] = {
            pool.submit(task, req.id): req for req in requirements
        }
        pending = set(by_future)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: requirements.index(by_future[f])):
                try:
                    yield by_future[future], future.result()
                except BrokenProcessPool as exc:
                    yield by_future[future], exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def certify_in_workers(
    ctx: Context,
    spec: AdapterSpec,
    requirements: Sequence[Requirement],
    *,
    jobs: int,
    profile: Profile = "standard",
    run_seed: int = 0,
    listener: Listener | None = None,
    declared: Declared | None = None,
    warnings: list[str] | None = None,
    parts: Path | None = None,
) -> list[Result]:
    """What :func:`~inngest_conformance._engine.certify` returns, run by ``jobs`` worker
    processes; the workers' adapter warnings are added to ``warnings``, and each
    requirement's cases to its part file in ``parts`` when cases are logged.  Ctrl-C stops
    handing out requirements, lets the running ones finish and raises
    :class:`~inngest_conformance._engine.Interrupted` with the rest skipped."""
    done: dict[str, Result] = {}
    initargs = (spec, ctx.schema, ctx.model, profile, run_seed, declared, parts, os.getpid())
    try:
        for req, answer in _in_workers(requirements, jobs, _start_worker, initargs, _run_one):
            if isinstance(answer, BrokenProcessPool):
                # A worker that could not open the implementation, or died: every
                # requirement it leaves is errored, with why.
                result = _errored(req, run_seed, f"a worker process ended: {answer}")
                said: list[str] = []
            else:
                row, duration, said = answer
                result = replace(result_from_json(row, req), duration_s=duration)
            done[req.id] = result
            if warnings is not None:
                warnings.extend(w for w in said if w not in warnings)
            if listener:
                listener("start", req, None)
                listener("finish", req, result)
    except KeyboardInterrupt:
        raise Interrupted(
            [
                done.get(r.id) or skipped(r, "not run: the run was interrupted", run_seed)
                for r in requirements
            ]
        ) from None
    return [done[r.id] for r in requirements]


@dataclass
class _Comparer:
    ctx: Context
    entrants: list[Entrant]
    requirements: dict[str, Requirement]
    profile: Profile
    seed: int
    pool: ThreadPoolExecutor
    parts: PartWriter | None


_COMPARER: list[_Comparer] = []


def _start_comparer(
    specs: Sequence[tuple[str, AdapterSpec, Description]],
    schema: Any,
    model: Any,
    profile: Profile,
    seed: int,
    parts: Path | None,
    parent: int,
) -> None:
    start_worker(parent)  # Ctrl-C is the parent's to handle; the worker ends with its parent
    ctx = Context(schema, model)
    entrants = []
    for name, spec, description in specs:
        adapter = spec.open()
        Finalize(None, adapter.close, exitpriority=10)
        entrants.append(Entrant(name, adapter, description))
    pool = ThreadPoolExecutor(max_workers=max(1, len(entrants)))
    requirements = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    writer = PartWriter(parts) if parts is not None else None
    _COMPARER.append(_Comparer(ctx, entrants, requirements, profile, seed, pool, writer))


def _compare_one(requirement_id: str) -> dict[str, Any]:
    c = _COMPARER[0]
    req = c.requirements[requirement_id]
    try:
        compared = compare_requirement(
            c.ctx, c.entrants, req, profile=c.profile, seed=c.seed, pool=c.pool, log=c.parts
        )
    finally:
        if c.parts is not None:
            c.parts.close()
    return compared.to_json()


def compare_in_workers(
    ctx: Context,
    entrants: Sequence[tuple[str, AdapterSpec, Description]],
    requirements: Sequence[Requirement],
    *,
    jobs: int,
    profile: Profile = "standard",
    seed: int = 0,
    parts: Path | None = None,
) -> list[Compared]:
    """Each requirement compared by one of ``jobs`` worker processes, every worker with its
    own adapters (``entrants``: each implementation's column name, how to open it, and its
    description); in catalogue order, as :func:`~inngest_conformance._compare.compare`
    compares them; with ``parts``, each requirement's cases go to its own part file."""
    done: dict[str, Compared] = {}
    initargs = (list(entrants), ctx.schema, ctx.model, profile, seed, parts, os.getpid())
    names = [name for name, _, _ in entrants]
    for req, answer in _in_workers(requirements, jobs, _start_comparer, initargs, _compare_one):
        if isinstance(answer, BrokenProcessPool):
            reason = f"a worker process ended: {answer}"
            row = {
                "id": req.id,
                "level": req.level,
                "keyword": req.keyword,
                "outcomes": dict.fromkeys(names, "errored"),
                "cases": 0,
            }
            done[req.id] = Compared(row, [], {n: _errored(req, seed, reason) for n in names})
        else:
            done[req.id] = Compared.from_json(answer, req)
    return [done[r.id] for r in requirements]
