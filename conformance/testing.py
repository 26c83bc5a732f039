"""The conformance suite as a test function in a project's own test module.

Some implementations can only start inside the project's test setup: a run store on a
database the project's fixtures create and tear down.  The command-line options of the
plugin cannot reach those, so a project writes instead::

    from inngest_conformance.testing import suite

    test_store_conformance = suite("store", role="lifecycle")

and gets one test per requirement, judged and recorded by the plugin's own
:func:`inngest_conformance.plugin.run_and_record` (so the results also land in
``--conformance-report`` when one is asked for).  The requirement ids are fixed when the
module is imported, from the schema and lifecycle model given here (the packaged ones by
default), and the cases are judged against that same context; the seed is the session's
(``--conformance-seed``), the profile the session's unless ``profile`` is given.

:func:`check_case` judges one recorded case, as a regression test does: the modules
``inngest-conformance export REPORT.json --pytest FILE`` writes are made of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from inngest_conformance._adapters import PythonAdapter
from inngest_conformance._adapters.base import ImplementationError, Unsupported
from inngest_conformance._adapters.wire import WireAdapter
from inngest_conformance._encode import clip
from inngest_conformance._export import judge_case
from inngest_conformance._planning import check_profile, check_role_name, context, plan
from inngest_conformance._requirements import Context, Requirement
from inngest_conformance._vocabulary import Profile
from inngest_conformance.errors import ConformanceError
from inngest_conformance.plugin import (
    SUITE_KEY,
    RequirementFailed,
    _state,
    run_and_record,
    suite_folder,
)

__all__ = ["check_case", "suite"]

#: What is an adapter already (the process and HTTP adapters are wire adapters).
_ADAPTERS = (PythonAdapter, WireAdapter)


@dataclass(frozen=True, slots=True)
class _Settings:
    """A suite's own context and profile, with the session's seed."""

    ctx: Context
    profile: Profile
    seed: int


def suite(
    fixture: str,
    *,
    role: str = "validator",
    profile: str | None = None,
    schema: Any = None,
    lifecycle: Any = None,
) -> Callable[..., None]:
    """A test function parametrized over the requirements of ``role``.

    ``fixture`` names the fixture that gives the implementation: any object the in-process
    adapter accepts (a callable, a pydantic model class, a jsonschema validator, a store
    with ``create``/``transition``/``get``), or an adapter already made.  ``schema`` and
    ``lifecycle`` are what ``--schema`` and ``--lifecycle`` take (a path, or the document).
    """
    chosen = check_role_name(role, "suite role")
    own_profile = None if profile is None else check_profile(profile, "suite profile")
    ctx = context(schema, lifecycle)
    requirements: dict[str, Requirement] = {r.id: r for r in plan(ctx, chosen)}
    ids = list(requirements)
    # What the report writer needs to give this suite a report of its own.
    identity = {
        "fixture": fixture,
        "role": role,
        "schema": None if schema is None else ctx.schema.source,
        "lifecycle": None if lifecycle is None else ctx.model.to_json(),
    }

    @pytest.mark.parametrize("requirement_id", ids, ids=ids)
    def test_conformance(request: pytest.FixtureRequest, requirement_id: str) -> None:
        obj = request.getfixturevalue(fixture)
        session = _state(request.config)
        settings = _Settings(ctx, own_profile or session.profile, session.seed)
        test = request.node.nodeid.split("[", 1)[0]
        described = {**identity, "test": test, "folder": suite_folder(test)}
        described["profile"] = settings.profile
        request.node.user_properties.append((SUITE_KEY, json.dumps(described)))
        own = not isinstance(obj, _ADAPTERS)
        adapter = PythonAdapter(obj) if own else obj
        failed: str | None = None
        try:
            run_and_record(request.node, settings, requirements[requirement_id], adapter)
        except RequirementFailed as failure:
            failed = str(failure)
        finally:
            if own:
                adapter.close()
        if failed is not None:
            # The message carries the counterexample; the kit's frames would only hide it.
            pytest.fail(failed, pytrace=False)

    test_conformance.__doc__ = f"The {role} conformance suite, run on fixture {fixture!r}."
    return test_conformance


def check_case(
    implementation: Any,
    requirement_id: str,
    case: Any,
    *,
    expected: Any = None,
    schema: Any = None,
    lifecycle: Any = None,
    draft: str | None = None,
) -> None:
    """Put one case of ``requirement_id`` to ``implementation`` and fail the test unless
    it gets the case right, judged as the kit judges it.

    ``case`` is a report's counterexample (a record, or a lifecycle program) and
    ``expected`` the report's ``expected`` for it (for a record to reject, the violation it
    was made with).  ``implementation`` is an adapter (the ``conformance_implementation``
    fixture gives the one the plugin's options name) or any object the in-process adapter
    accepts; ``schema`` and ``lifecycle`` are the run's, as ``suite`` takes them, and
    ``draft`` the draft of a schema without ``$schema`` (``--draft``).  A failure says
    what the implementation answered against what was expected; an implementation that
    errors fails the test too.
    """
    own = not isinstance(implementation, _ADAPTERS)
    adapter = PythonAdapter(implementation) if own else implementation
    problem: str | None = None
    try:
        judgement = judge_case(
            context(schema, lifecycle, draft), adapter, requirement_id, case, expected
        )
        if not judgement.ok:
            problem = (
                f"{requirement_id}: {judgement.message}\n"
                f"  case:     {clip(json.dumps(case, ensure_ascii=False), 2000)}\n"
                f"  answer:   {clip(json.dumps(judgement.answer, ensure_ascii=False), 500)}\n"
                f"  expected: {clip(json.dumps(judgement.expected, ensure_ascii=False), 500)}"
            )
    except (ImplementationError, Unsupported) as exc:
        problem = f"{requirement_id}: the implementation errored: {exc}"
    except ConformanceError as exc:
        problem = f"{requirement_id}: {exc}"
    finally:
        if own:
            adapter.close()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
