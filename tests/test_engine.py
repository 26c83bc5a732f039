"""The engine finds every planted defect, blames the right requirement, and is reproducible."""

from __future__ import annotations

import copy
import importlib
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance import reference
from inngest_conformance._adapters import open_adapter
from inngest_conformance._engine import requirement_seed, run_requirement
from inngest_conformance._planning import context
from inngest_conformance._requirements import catalogue
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._source import MinimalSource

from tests.common import certify_obj, timeless
from tests.defects import DEFECTS, RUN_BY_DEFAULT, Defect


def _failed(report: dict[str, Any]) -> set[str]:
    return {r["id"] for r in report["requirements"] if r["outcome"] == "failed"}


@pytest.mark.slow
def test_quick_profile_finds_each_planted_defect(defect: str, planted: Defect) -> None:
    """Found at quick and blamed on its requirement.  The defects run by default (two of
    each level) get whole runs, where no other requirement may fail; the others run on the
    requirements they may be blamed on, which give the outcome a whole run gives them
    (each requirement's search is seeded by the run seed and its own id)."""
    must_fail, may_fail = planted.must_fail, planted.may_fail
    whole = defect in RUN_BY_DEFAULT
    report = certify_obj(planted.make(), only=() if whole else sorted({must_fail, *may_fail}))
    failed = _failed(report)
    assert must_fail in failed, f"{defect}: {must_fail} passed; failed: {sorted(failed)}"
    assert failed <= {must_fail} | may_fail, f"{defect} blamed on {sorted(failed)}"
    if whole:  # every requirement of the role ran
        assert {r["id"] for r in report["requirements"]} > {must_fail} | may_fail
    level = must_fail.split(":")[0]
    assert report["levels"][level] in ("failed", "passed")
    row = next(r for r in report["requirements"] if r["id"] == must_fail)
    assert row["level"] == level
    assert row["counterexample"] is not None
    assert row["answer"] != row["expected"]
    assert "--requirement" in row["reproduce"] and must_fail in row["reproduce"]
    keyword = row["keyword"]
    assert report["verdict"] == ("non-conformant" if keyword == "MUST" else "conformant")
    if keyword == "SHOULD":
        assert any(must_fail in w for w in report["warnings"])


@pytest.mark.parametrize("target", ["validator", "store"])
def test_reference_implementations_are_conformant(target: str) -> None:
    from inngest_conformance import reference

    report = certify_obj(getattr(reference, target), profile="quick", seed=7)
    assert report["verdict"] == "conformant", _failed(report)
    assert report["counts"]["failed"] == report["counts"]["errored"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "profile"),
    # A profile above quick (the default suite's, seed 7), on another seed: 200 records and
    # 100 programs per requirement.  The directed cases run at every profile.
    [("validator", "standard"), ("store", "standard")],
)
def test_reference_implementations_never_blamed_at_standard(target: str, profile: str) -> None:
    from inngest_conformance import reference

    report = certify_obj(getattr(reference, target), profile=profile, seed=1)
    assert report["verdict"] == "conformant", _failed(report)


@pytest.mark.parametrize(
    "defect",
    ["lowercases-status", pytest.param("changes-function-id", marks=pytest.mark.slow)],
)
def test_same_seed_same_report(planted: Defect) -> None:
    """The requirements the defect breaks, found and shrunk alike twice (the whole report's
    sameness is tests/test_report.py's)."""
    only = sorted({planted.must_fail, *planted.may_fail})
    first = certify_obj(planted.make(), seed=11, only=only)
    second = certify_obj(planted.make(), seed=11, only=only)
    assert timeless(first) == timeless(second)


@pytest.mark.slow
def test_counterexamples_are_shrunk() -> None:
    report = certify_obj(DEFECTS["lowercases-status"].make())
    row = next(r for r in report["requirements"] if r["id"] == "schema:rejects-not-in-enum:status")
    record = row["counterexample"]
    # Shrunk: the required properties only, each as simple as the rule allows, the others
    # plain (the smallest realistic ids: nothing else an implementation could object to).
    assert set(record) == {"run_id", "function_id", "status"}
    plain = gen_record(MinimalSource(), context().schema, plain=True)
    assert record["run_id"] == plain["run_id"] and record["function_id"] == plain["function_id"]


def test_requirement_seed_depends_on_run_seed_and_id() -> None:
    assert requirement_seed(0, "a") == requirement_seed(0, "a")
    assert requirement_seed(0, "a") != requirement_seed(1, "a")
    assert requirement_seed(0, "a") != requirement_seed(0, "b")


def test_errored_implementation_is_not_a_rejection() -> None:
    def crashes(record: Any) -> bool:
        raise KeyError("status")

    report = certify_obj(crashes)
    assert report["verdict"] == "error"
    assert {r["outcome"] for r in report["requirements"]} == {"errored"}
    row = report["requirements"][0]
    assert "KeyError" in row["message"]
    assert row["examples"] == 1


def test_catalogue_follows_schema() -> None:
    ctx = context()
    from inngest_conformance._requirements import catalogue

    ids = [r.id for r in catalogue(ctx.schema)]
    assert len(ids) == len(set(ids))
    assert "schema:rejects-missing-required:run_id" in ids
    assert "format:rejects-malformed-date-time:ended_at" in ids
    assert "lifecycle:terminal-states-absorbing" in ids


@pytest.mark.slow
@pytest.mark.parametrize("per_example", [0, 2])
def test_shrinking_is_bounded_by_a_count_of_cases(
    per_example: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lifecycle program holds hundreds of choices: unbounded, Hypothesis's shrinker tried
    # about 2,000 cases for this one requirement at quick. The budget is a count, so the
    # bound holds on any machine, and the failure found is still reported with its kinds.
    from inngest_conformance import _engine
    from inngest_conformance._requirements import catalogue

    monkeypatch.setattr(_engine, "SHRINK_CASES_PER_EXAMPLE", per_example)
    ctx = context()
    req = next(
        r
        for r in catalogue(ctx.schema, model=ctx.model)
        if r.id == "lifecycle:started-at-never-changes"
    )
    examples = _engine.PROFILES["quick"]["lifecycle"]
    adapter = open_adapter(obj=DEFECTS["overwrites-started-at-on-resume"].make())
    try:
        result = _engine.run_requirement(ctx, req, adapter, examples=examples, run_seed=0)
    finally:
        adapter.close()
    assert result.outcome == "failed"
    assert result.failures and result.failures[0].kind == "PAUSED->RUNNING"
    search = max(examples, _engine.KIND_SEARCH_EXAMPLES) + per_example * examples + 1
    directed = len(list(req.explicit(ctx)))
    assert result.examples <= (1 + _engine.KIND_SEARCHES) * search + directed


def test_the_cases_of_a_seed_do_not_depend_on_the_modules_loaded(tmp_path: Path) -> None:
    """Hypothesis draws some values from constants of the local modules loaded so far (a
    user's project, a development install of the kit); the kit's searches do not, so a
    seed sends the same cases from the command line, the plugin and an xdist worker."""
    ctx = context()
    wanted = [
        r
        for r in catalogue(ctx.schema, model=ctx.model)
        if r.kind in ("accept", "reject") and r.level == "schema"
    ][:4]

    def sent() -> list[Any]:
        seen: list[Any] = []

        def validator(record: Any) -> Any:
            seen.append(copy.deepcopy(record))
            return reference.validator(record)

        adapter = open_adapter(obj=validator)
        try:
            for req in wanted:
                run_requirement(ctx, req, adapter, examples=60, run_seed=3)
        finally:
            adapter.close()
        return seen

    before = sent()
    # A local module full of the kinds of constants the generators draw.
    name = f"local_constants_{uuid.uuid4().hex}"
    values = [*(f"run-{i}" for i in range(300)), "QUEUED", "runId", "", "\x00"]
    numbers = [*range(-50, 300), 2**40, 1.5, -0.0]
    (tmp_path / f"{name}.py").write_text(f"STRINGS = {values!r}\nNUMBERS = {numbers!r}\n")
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.import_module(name)
        after = sent()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    assert len(before) > 100
    assert after == before
