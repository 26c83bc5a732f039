"""The library entry points that the command line and the pytest plugin both call.

:func:`open_adapter` turns "what the user pointed at" into an adapter;
:func:`plan` decides which requirements a run covers; :func:`certify_adapter` runs them
through the engine and builds the report.  Nothing here prints: progress goes to a
listener, so the CLI and the plugin each show it their own way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from inngest_conformance._adapters import (
    Adapter,
    Description,
    HttpAdapter,
    ImplementationError,
    ProcessAdapter,
    PythonAdapter,
    StartError,
    load_target,
    rejection_classes,
)
from inngest_conformance._engine import (
    PROFILES,
    Interrupted,
    Listener,
    Result,
    certify,
    interrupts,
    skipped,
)
from inngest_conformance._requirements import LEVELS, ROLE_LEVELS, Context, Requirement, catalogue
from inngest_conformance._variants import Declared, split_exception, variant_names
from inngest_conformance.errors import UsageError as UsageError  # re-exported
from inngest_conformance.report import RunInfo, build_report
from inngest_conformance.strategies import resolve_lifecycle, resolve_schema
from inngest_conformance.strategies._lifecycle_model import LifecycleModel
from inngest_conformance.strategies._schema import RunSchema


def open_adapter(
    *,
    target: str | None = None,
    command: str | None = None,
    url: str | None = None,
    obj: Any = None,
    request_timeout: float = 5.0,
    startup_timeout: float = 10.0,
    rejects_with: Sequence[str] = (),
) -> Adapter:
    """An adapter for exactly one of ``target``, ``command``, ``url`` or ``obj``.

    ``rejects_with`` names (``"MOD:CLASS"``) exception classes a Python implementation
    raises to refuse, besides ``ValueError`` and ``jsonschema.ValidationError``.
    """
    given = [
        k
        for k, v in (("target", target), ("command", command), ("url", url), ("obj", obj))
        if v is not None
    ]
    if len(given) != 1:
        raise UsageError(
            "name exactly one implementation: --target MOD:OBJ, --command CMD or --url URL"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if rejects_with and target is None and obj is None:
        raise UsageError(
            "--rejects-with names a Python exception class: it applies to --target only "
            '(a program or service refuses with {"ok": false} or {"valid": false})'
        )
    rejections = rejection_classes(rejects_with)
    if target is not None:
        return PythonAdapter(load_target(target), name=target, rejections=rejections)
    if obj is not None:
        return PythonAdapter(obj, rejections=rejections)
    if command is not None:
        return ProcessAdapter(
            command, startup_timeout=startup_timeout, request_timeout=request_timeout
        )
    assert url is not None
    return HttpAdapter(url, timeout=request_timeout)


def choose_role(adapter: Adapter, role: str | None, description: Description | None = None) -> str:
    """The role asked for, or the one the implementation says it plays (``description``,
    when given, is what it said; otherwise it is asked)."""
    if role is not None:
        if role not in ROLE_LEVELS:
            raise UsageError(f"--role {role!r} is not one of {', '.join(ROLE_LEVELS)}")
        if description is not None:
            check_role(role, description)
        return role
    roles = (description or adapter.describe()).roles
    return "validator" if "validator" in roles or not roles else roles[0]


#: What an implementation needs to play each role, for the message refusing it.
_ROLE_NEEDS = {
    "validator": "a callable, a pydantic model, a jsonschema validator or a validate op",
    "lifecycle": "create, transition and get",
}


def check_role(role: str, description: Description) -> None:
    """Refuse a role the implementation says it cannot play, before anything is run:
    otherwise every requirement would be skipped and the run would look like a result."""
    if not description.roles_declared or not description.roles or role in description.roles:
        return
    raise UsageError(
        f"{description.name} cannot play role {role} (it plays {', '.join(description.roles)}; "
        f"{role} needs {_ROLE_NEEDS.get(role, role)}): name the role it plays, or another "
        "implementation"
    )


def describe(adapter: Adapter) -> Description:
    """What the implementation says it is, asked once before a run.

    An implementation that crashes, hangs or talks garbage on ``describe`` is still run
    (each requirement then shows what it does with real requests), so it is named by its
    command or URL instead and the failure goes into the report's warnings (the adapter's
    ``warnings``).  Only an implementation that cannot be started at all stops the run.
    """
    try:
        return adapter.describe()
    except StartError:
        raise
    except ImplementationError as exc:
        command = getattr(adapter, "command", "")
        name = getattr(adapter, "url", "") or command or type(adapter).__name__
        warnings = getattr(adapter, "warnings", None)
        if isinstance(warnings, list):
            warnings.append(
                f"describe got no usable answer ({exc.reason}); the report names the "
                "implementation by its command or URL, and without --role it is taken "
                "for a validator"
            )
        return Description(name=str(name), command=command if isinstance(command, str) else "")


def plan(
    ctx: Context,
    role: str,
    *,
    only: Sequence[str] = (),
    levels: Sequence[str] | None = None,
    exceptions: Mapping[str, str] | None = None,
) -> list[Requirement]:
    """The requirements a run covers, in catalogue order: the role's, within ``levels``,
    less the declared ``exceptions`` (checked here: each must be one of the role's)."""
    reqs = list(catalogue(ctx.schema, role=role, model=ctx.model))
    role_ids = {r.id for r in reqs}
    known = {r.id for r in catalogue(ctx.schema, model=ctx.model)}
    if levels is not None:
        unknown_levels = [lvl for lvl in levels if lvl not in LEVELS]
        if unknown_levels:
            raise UsageError(
                f"--levels: no level {unknown_levels[0]!r}; levels are {', '.join(LEVELS)}"
            )
        reqs = [r for r in reqs if r.level in levels]
        if not reqs:
            raise UsageError(
                f"--levels {','.join(levels)} covers none of role {role}'s requirements "
                f"(its levels: {', '.join(ROLE_LEVELS[role])})"
            )
    for key in exceptions or {}:
        rid, variant = split_exception(key)
        if rid not in known:
            raise UsageError(
                f"--skip {key!r}: no such requirement; `inngest-conformance requirements` "
                "lists them"
            )
        if rid not in role_ids:
            raise UsageError(f"--skip {key!r} is not one of role {role}'s requirements")
        if variant is not None:
            req = next(r for r in catalogue(ctx.schema, role=role) if r.id == rid)
            names = variant_names(ctx, req)
            if variant not in names:
                listing = "`inngest-conformance requirements --variants` lists them"
                raise UsageError(
                    f"--skip {key!r}: {rid} has no variant {variant!r}"
                    + (f" (its variants: {', '.join(names)})" if names else " (it has none)")
                    + f"; {listing}"
                )
    reqs = [r for r in reqs if r.id not in (exceptions or {})]
    if only:
        unknown = [i for i in only if i not in known]
        if unknown:
            raise UsageError(
                f"no requirement {unknown[0]!r}; `inngest-conformance requirements` lists them"
            )
        reqs = [r for r in reqs if r.id in only]
        if not reqs:
            raise UsageError(f"requirement {only[0]!r} is not one of role {role}'s")
    return reqs


def covered_levels(role: str, levels: Sequence[str] | None) -> tuple[str, ...]:
    """The levels a verdict covers: the role's, narrowed by ``--levels``."""
    return tuple(lvl for lvl in ROLE_LEVELS[role] if levels is None or lvl in levels)


def declared(
    ctx: Context, role: str, exceptions: Mapping[str, str] | None, seed: int
) -> list[Result]:
    """Results for the requirements an implementation does not claim: not run, with why."""
    return [
        skipped(req, f"declared exception: {exceptions[req.id]}", seed)
        for req in catalogue(ctx.schema, role=role, model=ctx.model)
        if exceptions and req.id in exceptions
    ]


def in_catalogue_order(ctx: Context, results: Sequence[Result]) -> list[Result]:
    order = {r.id: i for i, r in enumerate(catalogue(ctx.schema, model=ctx.model))}
    return sorted(results, key=lambda r: order.get(r.requirement.id, len(order)))


def context(schema: Any = None, lifecycle: Any = None) -> Context:
    resolved: RunSchema = resolve_schema(schema)
    model: LifecycleModel = resolve_lifecycle(lifecycle, resolved)
    return Context(resolved, model)


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
        130 when interrupted."""
        if self.interrupted:
            return 130
        if self.verdict == "conformant":
            return 0
        judged = any(r.outcome in ("passed", "failed") for r in self.results)
        return 1 if judged else 2


def mark_interrupted(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` as an interrupted run's: the interrupt came after its last case."""
    from inngest_conformance.report import fingerprint, verdict_text

    out = {**report, "interrupted": True, "verdict": "error"}
    out["verdict_text"] = verdict_text(out)
    out["fingerprint"] = fingerprint(out)
    return out


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
) -> Certification:
    """Certify one implementation behind ``adapter``; see the module docstring.

    ``levels`` narrows what the verdict covers; ``exceptions`` (id -> reason) declares
    requirements the implementation does not claim: they are not run, and the report lists
    them apart, never as silently passed.
    """
    if profile not in PROFILES:
        raise UsageError(f"--profile {profile!r} is not one of {', '.join(PROFILES)}")
    ctx = ctx or context()
    started_at, t0 = now_iso(), time.perf_counter()
    with interrupts() as guard:
        with guard.raising():
            desc = description or describe(adapter)
        chosen = choose_role(adapter, role, desc)
        requirements = plan(ctx, chosen, only=only, levels=levels, exceptions=exceptions)
        interrupted = False
        try:
            results = certify(
                ctx,
                adapter,
                requirements,
                profile=profile,
                run_seed=seed,
                listener=listener,
                declared=Declared.from_exceptions(exceptions),
            )
        except Interrupted as stop:
            results, interrupted = stop.results, True
        # A Ctrl-C after the last case still ends the run as interrupted.
        interrupted = interrupted or guard.requested
    if not only:
        results = in_catalogue_order(ctx, [*results, *declared(ctx, chosen, exceptions, seed)])
    warnings = tuple(getattr(adapter, "warnings", ()))
    info = RunInfo(
        ctx,
        chosen,
        profile,
        seed,
        desc,
        tuple(invocation),
        covered_levels(chosen, levels),
        warnings,
        dict(exceptions or {}),
    )
    report = build_report(
        info,
        results,
        started_at=started_at,
        duration_s=time.perf_counter() - t0,
        interrupted=interrupted,
    )
    return Certification(results, report)


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


_WORST = {"failed": 3, "errored": 2, "passed": 1, "skipped": 0}


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
) -> Certification:
    """Run the same cases through every adapter; the report has a ``compare`` section.

    Its top-level requirement rows hold, for each requirement, the worst outcome among the
    implementations (with that one's evidence, named in the row's ``implementation``), so
    the verdict is conformant only when every implementation is.  ``invocations`` gives,
    per adapter, the certify arguments that name it alone: each implementation's entry in
    the ``compare`` section keeps its own failures, each with a ``reproduce`` command for
    that implementation alone, which is also what ``replay`` reruns against it.
    """
    from inngest_conformance._compare import Entrant, compare, unique_names

    if profile not in PROFILES:
        raise UsageError(f"--profile {profile!r} is not one of {', '.join(PROFILES)}")
    if len(adapters) < 2:
        raise UsageError("compare needs at least two implementations")
    ctx = ctx or context()
    started_at, t0 = now_iso(), time.perf_counter()
    descriptions = [describe(a) for a in adapters]
    entrants = [
        Entrant(name, adapter, d)
        for name, adapter, d in zip(unique_names(descriptions), adapters, descriptions, strict=True)
    ]
    chosen = choose_role(adapters[0], role, descriptions[0])
    for d in descriptions:
        check_role(chosen, d)
    requirements = plan(ctx, chosen, levels=levels)
    section, per = compare(ctx, entrants, requirements, profile=profile, seed=seed)
    owners = [
        max(entrants, key=lambda e: _WORST[per[e.name][i].outcome])
        for i in range(len(requirements))
    ]
    worst = [per[owner.name][i] for i, owner in enumerate(owners)]
    covered = covered_levels(chosen, levels)
    own_rows: dict[str, dict[str, dict[str, Any]]] = {}
    for n, (entry, e) in enumerate(zip(section["implementations"], entrants, strict=True)):
        words = tuple(invocations[n]) if n < len(invocations) else ()
        own = build_report(
            RunInfo(ctx, chosen, profile, seed, e.description, words, covered),
            per[e.name],
            started_at=started_at,
            duration_s=0.0,
        )
        failures = [r for r in own["requirements"] if r["outcome"] in ("failed", "errored")]
        entry["invocation"] = list(words)
        entry["failures"] = failures
        own_rows[e.name] = {r["id"]: r for r in failures}
    info = RunInfo(
        ctx,
        chosen,
        profile,
        seed,
        Description(name=" vs ".join(e.name for e in entrants)),
        tuple(invocation),
        covered,
    )
    report = build_report(info, worst, started_at=started_at, duration_s=time.perf_counter() - t0)
    for row, owner in zip(report["requirements"], owners, strict=True):
        mine = own_rows[owner.name].get(row["id"])
        if mine is not None:
            # The worst implementation's evidence, so its command, never all of them at once.
            row["implementation"] = owner.name
            for key in ("reproduce", "replay"):
                row[key] = mine[key]
    report["compare"] = section
    return Certification(worst, report)
