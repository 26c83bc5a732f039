"""Running a whole certification or comparison: the entry points the doors call.

:func:`certify_adapter` runs one implementation's requirements through the engine and builds
the report; :func:`compare_adapters` puts the same cases to several implementations.  Both
open and close a run the same way (:class:`_Run`): the profile checked, the start time
taken, what the implementation says it is asked once, the role chosen and the requirements
planned (:mod:`inngest_conformance._planning`), and the report built from the results.
Nothing here prints: progress goes to a listener, so the command line and the plugin each
show it their own way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from inngest_conformance._adapters import Adapter, AdapterSpec, Description, open_adapter
from inngest_conformance._baseline import Baseline, exit_status, with_baseline
from inngest_conformance._budget import Budget, compare_more, search_more
from inngest_conformance._case_log import case_parts
from inngest_conformance._compare import Entrant, compare, section_of, unique_names
from inngest_conformance._engine import Interrupted, Listener, Result, certify, interrupts
from inngest_conformance._hints import with_hints
from inngest_conformance._parallel import certify_in_workers, compare_in_workers
from inngest_conformance._planning import (
    check_profile,
    check_role,
    choose_role,
    context,
    covered_levels,
    declared,
    describe,
    in_catalogue_order,
    plan,
)
from inngest_conformance._requirements import Context, lifecycle_unjudged
from inngest_conformance._variants import Declared
from inngest_conformance._vocabulary import Outcome, Profile, Role
from inngest_conformance.errors import UsageError
from inngest_conformance.report import RunInfo, build_report, fingerprint, verdict_text


@dataclass(frozen=True)
class Certification:
    """A finished run: its results and the report document."""

    results: list[Result]
    report: dict[str, Any]

    @property
    def verdict(self) -> str:
        return str(self.report["verdict"])

    @property
    def interrupted(self) -> bool:
        return bool(self.report.get("interrupted"))

    @property
    def exit_code(self) -> int:
        """0 conformant, 1 non-conformant (or partly judged), 2 nothing could be judged;
        130 when interrupted.  Against a baseline, 0 or 1 is the baseline's to say."""
        if self.interrupted:
            return 130
        if self.verdict == "conformant":
            code = 0
        else:
            judged = any(r.outcome in ("passed", "failed") for r in self.results)
            code = 1 if judged else 2
        return exit_status(self.report, code)


def mark_interrupted(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` as an interrupted run's: the interrupt came after its last case."""
    out = {**report, "interrupted": True, "verdict": "error"}
    out["verdict_text"] = verdict_text(out)
    out["fingerprint"] = fingerprint(out)
    return out


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Run:
    """What every run opens with and closes with, whatever it runs in between."""

    ctx: Context
    profile: Profile
    seed: int
    started_at: str
    t0: float

    @classmethod
    def open(cls, profile: str, ctx: Context | None, seed: int) -> _Run:
        return cls(ctx or context(), check_profile(profile), seed, now_iso(), time.perf_counter())

    def info(
        self,
        role: Role,
        description: Description,
        invocation: Sequence[str],
        levels: Sequence[str] | None,
        *,
        warnings: Sequence[str] = (),
        exceptions: Mapping[str, str] | None = None,
        budget: Budget | None = None,
        database: bool = False,
    ) -> RunInfo:
        return RunInfo(
            self.ctx,
            role,
            self.profile,
            self.seed,
            description,
            tuple(invocation),
            covered_levels(role, levels),
            tuple(warnings),
            dict(exceptions or {}),
            budget,
            database,
        )

    def report(
        self, info: RunInfo, results: Sequence[Result], *, interrupted: bool = False
    ) -> dict[str, Any]:
        return build_report(
            info,
            results,
            started_at=self.started_at,
            duration_s=time.perf_counter() - self.t0,
            interrupted=interrupted,
        )


def certify_adapter(
    adapter: Adapter,
    *,
    ctx: Context | None = None,
    role: str | None = None,
    profile: str = "standard",
    seed: int = 0,
    only: Sequence[str] = (),
    invocation: Sequence[str] = (),
    listener: Listener | None = None,
    description: Description | None = None,
    levels: Sequence[str] | None = None,
    exceptions: Mapping[str, str] | None = None,
    jobs: int = 1,
    reopen: AdapterSpec | None = None,
    baseline: Baseline | None = None,
    log_cases: str | Path | None = None,
    budget: Budget | None = None,
    database: str | Path | None = None,
) -> Certification:
    """Certify one implementation behind ``adapter``; see the module docstring.

    ``levels`` narrows what the verdict covers; ``exceptions`` (id -> reason) declares
    requirements the implementation does not claim: they are not run, and the report lists
    them apart, never as silently passed.  With ``jobs`` above 1 the requirements run in
    that many worker processes, each opening the implementation again as ``reopen`` says
    (``adapter`` is still asked what it is); the report is the same apart from timings.
    A ``baseline`` of known failures is checked against the role before the first case,
    and judged in the report's ``baseline`` section, which the exit status then follows.
    ``log_cases`` names a JSON Lines file to write every case sent to
    (:mod:`inngest_conformance._case_log`), the same whatever ``jobs``.
    A ``budget`` searches on after the profile run (:mod:`inngest_conformance._budget`),
    in this process whatever ``jobs``; a ``database`` folder keeps the failures found, and
    each search tries those saved by earlier runs first (the report says so).
    """
    folder = _database(database, jobs)
    if jobs > 1 and reopen is None:
        raise UsageError(
            "--jobs runs the implementation in worker processes: name it by --target, "
            "--command or --url"
        )
    run = _Run.open(profile, ctx, seed)
    with interrupts() as guard, case_parts(log_cases) as parts:
        with guard.raising():
            desc = description or describe(adapter)
        chosen = choose_role(adapter, role, desc)
        requirements = plan(run.ctx, chosen, only=only, levels=levels, exceptions=exceptions)
        if chosen == "lifecycle" and not requirements and not only:
            why = lifecycle_unjudged(run.ctx.schema, run.ctx.model)
            if why is not None:
                adapter.warnings.append(why)
        if baseline is not None:
            baseline = baseline.checked(run.ctx, chosen)
        interrupted = False
        writer = parts.writer() if parts is not None else None
        try:
            if jobs > 1 and reopen is not None:
                results = certify_in_workers(
                    run.ctx,
                    reopen,
                    requirements,
                    jobs=jobs,
                    profile=run.profile,
                    run_seed=seed,
                    listener=listener,
                    declared=Declared.from_exceptions(exceptions),
                    warnings=adapter.warnings,
                    parts=parts.directory if parts is not None else None,
                )
            else:
                results = certify(
                    run.ctx,
                    adapter,
                    requirements,
                    profile=run.profile,
                    run_seed=seed,
                    listener=listener,
                    declared=Declared.from_exceptions(exceptions),
                    observe=writer,
                    database=folder,
                )
            if budget is not None and not guard.requested:
                results = search_more(
                    run.ctx,
                    adapter,
                    requirements,
                    results,
                    budget=budget,
                    profile=run.profile,
                    run_seed=seed,
                    declared=Declared.from_exceptions(exceptions),
                    observe=writer,
                    database=folder,
                )
        except Interrupted as stop:
            results, interrupted = stop.results, True
        finally:
            if writer is not None:
                writer.close()
        log_warnings: tuple[str, ...] = ()
        if parts is not None:
            unwritten = parts.merge((r.id, "") for r in requirements)
            log_warnings = (unwritten,) if unwritten else ()
        # A Ctrl-C after the last case still ends the run as interrupted.
        interrupted = interrupted or guard.requested
    if not only:
        results = in_catalogue_order(
            run.ctx, [*results, *declared(run.ctx, chosen, exceptions, seed)]
        )
    info = run.info(
        chosen,
        desc,
        invocation,
        levels,
        warnings=(*adapter.warnings, *log_warnings),
        exceptions=exceptions,
        budget=budget,
        database=folder is not None,
    )
    report = run.report(info, results, interrupted=interrupted)
    return Certification(results, with_baseline(report, baseline))


def _database(folder: str | Path | None, jobs: int) -> Path | None:
    """The example database folder (made if missing), checked before the first case."""
    if folder is None:
        return None
    if jobs > 1:
        raise UsageError("--database works in one process: leave out --jobs")
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--database {str(folder)!r} cannot be made a folder: {exc}") from None
    return path


def certify_target(
    target: str, *, role: str | None = None, profile: str = "standard", seed: int = 0
) -> dict[str, Any]:
    """Certify a Python object named ``MOD:OBJ`` and return the report document."""
    adapter = open_adapter(target=target)
    try:
        return certify_adapter(
            adapter, role=role, profile=profile, seed=seed, invocation=("--target", target)
        ).report
    finally:
        adapter.close()


_WORST: dict[Outcome, int] = {"failed": 3, "errored": 2, "passed": 1, "skipped": 0}


def compare_adapters(
    adapters: Sequence[Adapter],
    *,
    ctx: Context | None = None,
    role: str | None = None,
    profile: str = "standard",
    seed: int = 0,
    levels: Sequence[str] | None = None,
    invocation: Sequence[str] = (),
    invocations: Sequence[Sequence[str]] = (),
    baseline: Baseline | None = None,
    log_cases: str | Path | None = None,
    jobs: int = 1,
    reopen: Sequence[AdapterSpec] = (),
    budget: Budget | None = None,
    database: str | Path | None = None,
) -> Certification:
    """Run the same cases through every adapter; the report has a ``compare`` section.

    Its top-level requirement rows hold, for each requirement, the worst outcome among the
    implementations (with that one's evidence, named in the row's ``implementation``), so
    the verdict is conformant only when every implementation is.  ``invocations`` gives,
    per adapter, the certify arguments that name it alone: each implementation's entry in
    the ``compare`` section keeps its own failures, each with a ``reproduce`` command for
    that implementation alone, which is also what ``replay`` reruns against it.  A
    ``baseline`` applies per implementation (its ``ID@COLUMN`` entries name the columns).
    ``log_cases`` names a JSON Lines file to write every case sent to, each line naming its
    implementation.
    With ``jobs`` above 1 the requirements are compared in that many worker processes, each
    opening every implementation again as ``reopen`` says (one spec per adapter, in order);
    the report is the same apart from timings.  A ``budget`` compares on after the
    profile, each round's new cases put to every implementation; ``database`` is an example
    database folder, as for :func:`certify_adapter`.
    """
    folder = _database(database, jobs)
    if jobs > 1 and len(reopen) != len(adapters):
        raise UsageError(
            "--jobs runs the implementations in worker processes: name each by --target, "
            "--command or --url"
        )
    run = _Run.open(profile, ctx, seed)
    if len(adapters) < 2:
        raise UsageError("compare needs at least two implementations")
    descriptions = [describe(a) for a in adapters]
    entrants = [
        Entrant(name, adapter, d)
        for name, adapter, d in zip(unique_names(descriptions), adapters, descriptions, strict=True)
    ]
    chosen = choose_role(adapters[0], role, descriptions[0])
    for d in descriptions:
        check_role(chosen, d)
    requirements = plan(run.ctx, chosen, levels=levels)
    if baseline is not None:
        baseline = baseline.checked(run.ctx, chosen, [e.name for e in entrants])
    with case_parts(log_cases) as parts:
        writer = parts.writer() if parts is not None else None
        try:
            if jobs > 1:
                opened = [
                    (e.name, spec, e.description) for e, spec in zip(entrants, reopen, strict=True)
                ]
                compared = compare_in_workers(
                    run.ctx,
                    opened,
                    requirements,
                    jobs=jobs,
                    profile=run.profile,
                    seed=seed,
                    parts=parts.directory if parts is not None else None,
                )
            else:
                compared = compare(
                    run.ctx,
                    entrants,
                    requirements,
                    profile=run.profile,
                    seed=seed,
                    log=writer,
                    database=folder,
                )
            if budget is not None:
                compared = compare_more(
                    run.ctx,
                    entrants,
                    requirements,
                    compared,
                    budget=budget,
                    profile=run.profile,
                    seed=seed,
                    log=writer,
                    database=folder,
                )
            section, per = section_of(entrants, compared)
        finally:
            if writer is not None:
                writer.close()
        log_warnings: tuple[str, ...] = ()
        if parts is not None:
            unwritten = parts.merge((r.id, "") for r in requirements)
            log_warnings = (unwritten,) if unwritten else ()
    owners = [
        max(entrants, key=lambda e: _WORST[per[e.name][i].outcome])
        for i in range(len(requirements))
    ]
    worst = [per[owner.name][i] for i, owner in enumerate(owners)]
    own_rows: dict[str, dict[str, dict[str, Any]]] = {}
    own_hints: list[dict[str, Any]] = []
    for n, (entry, e) in enumerate(zip(section["implementations"], entrants, strict=True)):
        words = tuple(invocations[n]) if n < len(invocations) else ()
        own = build_report(
            run.info(chosen, e.description, words, levels),
            per[e.name],
            started_at=run.started_at,
            duration_s=0.0,
            column=e.name,
        )
        failures = [r for r in own["requirements"] if r["outcome"] in ("failed", "errored")]
        # Each implementation's own: the worst rows of several never make one pattern.
        own_hints += [
            {**h, "implementation": e.name, "text": f"{e.name}: {h['text']}"}
            for h in own.get("hints", ())
        ]
        entry["invocation"] = list(words)
        entry["failures"] = failures
        own_rows[e.name] = {r["id"]: r for r in failures}
    names = Description(name=" vs ".join(e.name for e in entrants))
    info = run.info(
        chosen,
        names,
        invocation,
        levels,
        warnings=log_warnings,
        budget=budget,
        database=folder is not None,
    )
    report = with_hints(run.report(info, worst), own_hints)
    for row, owner in zip(report["requirements"], owners, strict=True):
        mine = own_rows[owner.name].get(row["id"])
        if mine is not None:
            # The worst implementation's evidence, so its command, never all of them at once.
            row["implementation"] = owner.name
            for key in ("reproduce", "rerun", "replay", "failures"):
                if key in mine:
                    row[key] = mine[key]
    report["compare"] = section
    return Certification(worst, with_baseline(report, baseline))
