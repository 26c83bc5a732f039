"""Certifying with several worker processes (``--jobs N``), each with its own adapter.

Each requirement's search is seeded by the run's seed and the requirement's id, and an
implementation is reset before each lifecycle program, so requirements are independent of
each other: they can run in any process, in any order, and give the same results.  Each
worker opens the implementation itself (a harness or a service connection is never shared
across processes: :class:`AdapterSpec` says how to open it) and runs one requirement at a
time through the same :func:`~inngest_conformance._engine.run_requirement` a serial run
uses; the results come back as report rows and are put back in catalogue order, so the
report is the one ``--jobs 1`` writes apart from its timings.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing.util import Finalize
from typing import Any

from inngest_conformance._adapters import Adapter, AdapterSpec
from inngest_conformance._engine import (
    PROFILES,
    Interrupted,
    Listener,
    Result,
    requirement_seed,
    result_from_json,
    run_requirement,
    skipped,
)
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance._variants import Declared
from inngest_conformance._vocabulary import Profile


@dataclass
class _Worker:
    ctx: Context
    adapter: Adapter
    requirements: dict[str, Requirement]
    profile: Profile
    run_seed: int
    declared: Declared | None
    warned: int = 0


_WORKER: list[_Worker] = []


def _start_worker(
    spec: AdapterSpec,
    schema: Any,
    model: Any,
    profile: Profile,
    run_seed: int,
    declared: Declared | None,
) -> None:
    # Ctrl-C is the parent's to handle: it stops handing out requirements.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctx = Context(schema, model)
    adapter = spec.open()
    Finalize(None, adapter.close, exitpriority=10)
    requirements = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    _WORKER.append(_Worker(ctx, adapter, requirements, profile, run_seed, declared))


def _run_one(requirement_id: str) -> tuple[dict[str, Any], float, list[str]]:
    """One requirement in a worker: its report row, its duration and the adapter's new
    warnings."""
    w = _WORKER[0]
    req = w.requirements[requirement_id]
    result = run_requirement(
        w.ctx,
        req,
        w.adapter,
        examples=PROFILES[w.profile][req.kind],
        run_seed=w.run_seed,
        declared=w.declared,
        every_variant=w.profile == "certify",
    )
    warnings = w.adapter.warnings[w.warned :]
    w.warned = len(w.adapter.warnings)
    return result.to_json(), result.duration_s, list(warnings)


def _errored(req: Requirement, run_seed: int, reason: str) -> Result:
    return Result(
        req, "errored", 0, requirement_seed(run_seed, req.id), message=reason, detail=reason
    )


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
) -> list[Result]:
    """What :func:`~inngest_conformance._engine.certify` returns, run by ``jobs`` worker
    processes; the workers' adapter warnings are added to ``warnings``.  Ctrl-C stops
    handing out requirements, lets the running ones finish and raises
    :class:`~inngest_conformance._engine.Interrupted` with the rest skipped."""
    done: dict[str, Result] = {}
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(spec, ctx.schema, ctx.model, profile, run_seed, declared),
    )
    by_future: dict[Future[tuple[dict[str, Any], float, list[str]]], Requirement] = {}
    try:
        for req in requirements:
            by_future[pool.submit(_run_one, req.id)] = req
        pending = set(by_future)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: requirements.index(by_future[f])):
                req = by_future[future]
                try:
                    row, duration, said = future.result()
                except BrokenProcessPool as exc:
                    # A worker that could not open the implementation, or died: every
                    # requirement it leaves is errored, with why.
                    result = _errored(req, run_seed, f"a worker process ended: {exc}")
                    said = []
                else:
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
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [done[r.id] for r in requirements]
