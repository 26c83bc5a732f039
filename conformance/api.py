"""The library entry points that the command line and the pytest plugin both call.

:func:`open_adapter` turns "what the user pointed at" into an adapter;
:func:`plan` decides which requirements a run covers; :func:`certify_adapter` runs them
through the engine and builds the report.  Nothing here prints: progress goes to a
listener, so the CLI and the plugin each show it their own way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from conformance.adapters import (
    Adapter,
    Description,
    HttpAdapter,
    ProcessAdapter,
    PythonAdapter,
    load_target,
)
from conformance.engine import PROFILES, Interrupted, Listener, Result, certify
from conformance.report import RunInfo, build_report
from conformance.requirements import ROLE_LEVELS, Context, Requirement, catalogue
from strategies import resolve_lifecycle, resolve_schema
from strategies.lifecycle import LifecycleModel
from strategies.schema import RunSchema


class UsageError(ValueError):
    """The run cannot start: a bad option, an unknown requirement, a missing role."""


def open_adapter(
    *,
    target: str | None = None,
    command: str | None = None,
    url: str | None = None,
    obj: Any = None,
    request_timeout: float = 5.0,
    startup_timeout: float = 10.0,
) -> Adapter:
    """An adapter for exactly one of ``target``, ``command``, ``url`` or ``obj``."""
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
    if target is not None:
        return PythonAdapter(load_target(target), name=target)
    if obj is not None:
        return PythonAdapter(obj)
    if command is not None:
        return ProcessAdapter(
            command, startup_timeout=startup_timeout, request_timeout=request_timeout
        )
    assert url is not None
    return HttpAdapter(url, timeout=request_timeout)


def choose_role(adapter: Adapter, role: str | None) -> str:
    """The role asked for, or the one the implementation says it plays."""
    if role is not None:
        if role not in ROLE_LEVELS:
            raise UsageError(f"--role {role!r} is not one of {', '.join(ROLE_LEVELS)}")
        return role
    roles = adapter.describe().roles
    return "validator" if "validator" in roles or not roles else roles[0]


def plan(
    ctx: Context,
    role: str,
    *,
    only: Sequence[str] = (),
    levels: Sequence[str] | None = None,
) -> list[Requirement]:
    """The requirements a run covers, in catalogue order."""
    reqs = list(catalogue(ctx.schema, role=role))
    if levels is not None:
        reqs = [r for r in reqs if r.level in levels]
    if only:
        known = {r.id for r in catalogue(ctx.schema)}
        unknown = [i for i in only if i not in known]
        if unknown:
            raise UsageError(
                f"no requirement {unknown[0]!r}; `inngest-conformance requirements` lists them"
            )
        reqs = [r for r in reqs if r.id in only]
        if not reqs:
            raise UsageError(f"requirement {only[0]!r} is not one of role {role}'s")
    return reqs


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
) -> Certification:
    """Certify one implementation behind ``adapter``; see the module docstring."""
    if profile not in PROFILES:
        raise UsageError(f"--profile {profile!r} is not one of {', '.join(PROFILES)}")
    ctx = ctx or context()
    started_at, t0 = now_iso(), time.perf_counter()
    chosen = choose_role(adapter, role)
    requirements = plan(ctx, chosen, only=only)
    interrupted = False
    try:
        results = certify(
            ctx, adapter, requirements, profile=profile, run_seed=seed, listener=listener
        )
    except Interrupted as stop:
        results, interrupted = stop.results, True
    desc = description or adapter.describe()
    warnings = tuple(getattr(adapter, "warnings", ()))
    info = RunInfo(
        ctx, chosen, profile, seed, desc, tuple(invocation), ROLE_LEVELS[chosen], warnings
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
