"""Planning a run: what it is judged against, which role, which requirements, what it covers.

Everything decided before the first case is sent, for the command line, the pytest plugin,
``testing.suite``, compare and replay alike: the context (schema and lifecycle), the
profile and role checks (written once here), what the implementation says it is, and the
requirements a run covers once ``--levels``, ``--skip`` and ``--requirement`` have had
their say.  Nothing here runs a case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from inngest_conformance._adapters.base import (
    Adapter,
    Description,
    ImplementationError,
    StartError,
)
from inngest_conformance._engine import PROFILES, Result, skipped
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance._variants import split_exception, variant_names
from inngest_conformance._vocabulary import (
    LEVELS,
    OPT_IN_LEVELS,
    ROLE_LEVELS,
    ROLES,
    Level,
    Profile,
    Role,
    one_of,
)
from inngest_conformance.errors import UsageError
from inngest_conformance.strategies import RECORD_PROFILES, resolve_lifecycle, resolve_schema
from inngest_conformance.strategies._files import read_text


def context(schema: Any = None, lifecycle: Any = None, draft: str | None = None) -> Context:
    """What a run is judged against: a schema and a lifecycle table, each a path, a
    document, an object or ``None`` for the bundled one; ``draft`` is the JSON Schema draft
    of a schema without ``$schema`` (``--draft``)."""
    resolved = resolve_schema(schema, draft)
    return Context(resolved, resolve_lifecycle(lifecycle, resolved))


def absolute_or_profile(value: str) -> str:
    """A ``--schema``/``--lifecycle`` value as a command run elsewhere reads it: a path made
    absolute, a record profile's name as it is."""
    return value if value in RECORD_PROFILES else str(Path(value).resolve())


def invocation(
    *,
    target: str | None = None,
    command: str | None = None,
    url: str | None = None,
    schema: str | None = None,
    lifecycle: str | None = None,
    rejects_with: Sequence[str] = (),
    draft: str | None = None,
) -> list[str]:
    """The certify arguments that name a run's implementation, schema, lifecycle table and
    rejection classes, in that order: what a report records, and its ``reproduce`` and
    ``replay`` commands repeat.  Paths are taken as given (the caller makes them absolute
    where the command may run elsewhere)."""
    named = (
        ("target", target),
        ("command", command),
        ("url", url),
        ("schema", schema),
        ("draft", draft),
        ("lifecycle", lifecycle),
    )
    words = [word for flag, value in named if value is not None for word in (f"--{flag}", value)]
    return words + [word for spec in rejects_with for word in ("--rejects-with", spec)]


def check_profile(profile: str, what: str = "--profile") -> Profile:
    """``profile`` if it is one, else a usage error naming ``what`` was asked."""
    return one_of(profile, tuple(PROFILES), what)


def check_role_name(role: str, what: str = "--role") -> Role:
    """``role`` if it is one, else a usage error naming ``what`` was asked."""
    return one_of(role, ROLES, what)


def choose_role(adapter: Adapter, role: str | None, description: Description | None = None) -> Role:
    """The role asked for, or the one the implementation says it plays (``description``,
    when given, is what it said; otherwise it is asked)."""
    if role is not None:
        chosen = check_role_name(role)
        if description is not None:
            check_role(chosen, description)
        return chosen
    roles = (description or adapter.describe()).roles
    return "validator" if "validator" in roles or not roles else check_role_name(roles[0])


#: What an implementation needs to play each role, for the message refusing it.
_ROLE_NEEDS: dict[Role, str] = {
    "validator": "a callable, a pydantic model, a jsonschema validator or a validate op",
    "lifecycle": "create, transition and get",
}


def check_role(role: Role, description: Description) -> None:
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
    adapter's display name (its command or URL) instead and the failure goes into the
    adapter's ``warnings``, which the report shows.  Only an implementation that cannot be
    started at all stops the run.
    """
    try:
        return adapter.describe()
    except StartError:
        raise
    except ImplementationError as exc:
        adapter.warnings.append(
            f"describe got no usable answer ({exc.reason}); the report names the "
            "implementation by its command or URL, and without --role it is taken "
            "for a validator"
        )
        return Description(name=adapter.display_name, command=adapter.launch_command)


def plan(
    ctx: Context,
    role: Role,
    *,
    only: Sequence[str] = (),
    levels: Sequence[str] | None = None,
    exceptions: Mapping[str, str] | None = None,
) -> list[Requirement]:
    """The requirements a run covers, in catalogue order: the role's, within ``levels``
    (a level of :data:`OPT_IN_LEVELS` only when ``levels`` names it), less the declared
    ``exceptions`` (checked here: each must be one of the role's)."""
    opt_in = OPT_IN_LEVELS.get(role, ())
    reqs = [
        r
        for r in catalogue(ctx.schema, role=role, model=ctx.model)
        if r.level not in opt_in or (levels is not None and r.level in levels)
    ]
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
                f"(its levels: {', '.join((*ROLE_LEVELS[role], *OPT_IN_LEVELS.get(role, ())))})"
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
            req = next(r for r in catalogue(ctx.schema, role=role, model=ctx.model) if r.id == rid)
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


def covered_levels(role: Role, levels: Sequence[str] | None) -> tuple[Level, ...]:
    """The levels a verdict covers: the role's, narrowed by ``--levels``, and those of its
    :data:`OPT_IN_LEVELS` that ``--levels`` names."""
    own = tuple(lvl for lvl in ROLE_LEVELS[role] if levels is None or lvl in levels)
    return own + tuple(lvl for lvl in OPT_IN_LEVELS.get(role, ()) if levels and lvl in levels)


def declared(
    ctx: Context, role: Role, exceptions: Mapping[str, str] | None, seed: int
) -> list[Result]:
    """Results for the requirements an implementation does not claim: not run, with why."""
    return [
        skipped(req, f"declared exception: {exceptions[req.id]}", seed)
        for req in catalogue(ctx.schema, role=role, model=ctx.model)
        if exceptions and req.id in exceptions
    ]


def in_catalogue_order(ctx: Context, results: Sequence[Result]) -> list[Result]:
    """``results`` in the catalogue's order (a merged or partial run comes in any order)."""
    order = {r.id: i for i, r in enumerate(catalogue(ctx.schema, model=ctx.model))}
    return sorted(results, key=lambda r: order.get(r.requirement.id, len(order)))


def read_reasons(path: str, what: str) -> dict[str, str]:
    """A file of requirement ids, each with why (``--skip-file``, ``--baseline``)."""
    return parse_reasons(read_text(path, what, UsageError), path, what)


def parse_reasons(text: str, path: str, what: str) -> dict[str, str]:
    """Lines ``ID reason`` (blank lines and ``#`` comments left out), or a JSON object
    id -> reason; every id needs a non-empty reason.  ``what`` and ``path`` name the file
    in the one-line error."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{what} {path} is not JSON: {exc}") from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
        ):
            raise UsageError(f"{what} {path}: each id needs a non-empty reason string")
        return {k: v.strip() for k, v in data.items()}
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rid, _, reason = line.partition(" ")
        if not reason.strip():
            raise UsageError(f"{what} {path}:{number}: {rid!r} needs a reason after it")
        out[rid] = reason.strip()
    return out
