"""The kit measures its own strength: ``quick`` must find every single-edit mutant.

``tests/mutants.py`` derives the mutants from the schema and lifecycle table in use; here
each one is certified through the library (``certify_adapter`` at ``--profile quick``,
seed 0) and must be found *and* blamed on the requirement its edit breaks.  The default
suite certifies one mutant of each family (chosen by a hash of the ids), on the requirements
it should be blamed on, and two mutants with whole runs; the slow suite certifies every one
on the requirements it should be blamed on (the same outcome as a whole run: every search
is seeded by the run seed and its requirement's id).  The mutants the kit
does not find yet are marked ``xfail`` (strict) by id in :data:`MISSED`, with the
requirement that should have caught them, so that a fix to a generator shows up as an
XPASS to remove from the list.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance import certify_adapter, open_adapter
from inngest_conformance.reference import ReferenceStore
from inngest_conformance.strategies import (
    Oracle,
    default_schema,
    invalid_runs,
    runs,
)

from tests.mutants import (
    LENIENCIES,
    PLATFORM_SPELLINGS,
    STRICTNESSES,
    Mutant,
    SchemaValidator,
    all_mutants,
    certify_mutant,
    figure,
    near_misses,
    witness_differs,
)

#: Mutants of the run schema and default table that ``quick`` with seed 0 does not find
#: yet, grouped by why.  Remove an id when the generator that should find it is fixed: its
#: strict xfail then reports the unexpected pass.
_MISSES: dict[str, tuple[str, ...]] = {}
MISSED = {mid: why for why, ids in _MISSES.items() for mid in ids}

#: The same for the mutants that touch a changed schema's new status and property.
_MISSES_CHANGED: dict[str, tuple[str, ...]] = {}
MISSED_CHANGED = {mid: why for why, ids in _MISSES_CHANGED.items() for mid in ids}


@functools.cache
def _run_schema() -> tuple[Any, list[Mutant], list[Any]]:
    return all_mutants()


def _changed_document() -> dict[str, Any]:
    """The run schema with one more status and one more optional (integer) property."""
    doc = copy.deepcopy(dict(default_schema().document))
    doc["properties"]["status"]["enum"].append("SCHEDULED")
    doc["properties"]["attempt"] = {"type": "integer", "description": "Retry attempt."}
    return doc


CHANGED_TABLE = {
    "initial": "QUEUED",
    "terminal": ["COMPLETED", "FAILED", "CANCELLED"],
    "transitions": {
        "QUEUED": ["SCHEDULED", "RUNNING", "CANCELLED"],
        "SCHEDULED": ["RUNNING", "CANCELLED"],
        "RUNNING": ["PAUSED", "COMPLETED", "FAILED", "CANCELLED"],
        "PAUSED": ["RUNNING", "CANCELLED"],
    },
}


@functools.cache
def _changed_schema() -> tuple[Any, list[Mutant], list[Any]]:
    return all_mutants(_changed_document(), CHANGED_TABLE)


def _key(mutant_id: str) -> str:
    return hashlib.sha256(mutant_id.encode()).hexdigest()


def sample(mutants: Iterable[Mutant]) -> list[Mutant]:
    """One mutant of each family, chosen by a hash of the ids: the same every run."""
    firsts: dict[tuple[str, str], Mutant] = {}
    for m in sorted(mutants, key=lambda m: _key(m.id)):
        firsts.setdefault((m.role, m.family), m)
    return [firsts[k] for k in sorted(firsts)]


def _param(mutant: Mutant, missed: dict[str, str] = MISSED, *, slow: bool = False) -> Any:
    why = missed.get(mutant.id)
    reason = f"{why}; should fail {mutant.blame}"
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if why else []
    if slow:
        marks.append(pytest.mark.slow)
    return pytest.param(mutant, id=mutant.id, marks=marks)


def _check_found(
    ctx: Any, mutant: Mutant, *, blamed_only: bool = False, shrink: bool = True
) -> None:
    outcome = certify_mutant(ctx, mutant, blamed_only=blamed_only, shrink=shrink)
    assert outcome.found, (
        f"{mutant.id} ({mutant.edit}) not found at quick: expected {mutant.blame} to fail; "
        f"verdict {outcome.verdict}, failed {list(outcome.failed)}; witness {mutant.witness!r}"
    )
    assert not outcome.problems, outcome.problems


# ---------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------


def test_mutant_ids_are_unique_and_every_edit_is_accounted_for() -> None:
    _, mutants, excluded = _run_schema()
    ids = [m.id for m in mutants] + [e.id for e in excluded]
    assert len(ids) == len(set(ids))
    assert all(e.reason for e in excluded)


def test_the_generator_covers_every_kind_of_edit_from_the_schema() -> None:
    ctx, mutants, _ = _run_schema()
    ids = {m.id for m in mutants}
    schema = ctx.schema
    for name in schema.required:
        assert f"schema:drop-required:{name}" in ids
    for name in schema.optional:
        assert f"schema:make-required:{name}" in ids
        assert f"lifecycle:ids-change:{name}" in ids or not name.endswith("_id")
    for spec in schema.properties:
        if spec.enum is None:
            assert f"schema:type-removed:{spec.name}" in ids
            assert f"schema:type-widened:{spec.name}:null" in ids or "null" in spec.types
        for member in spec.enum or ():
            assert f"schema:enum-removed:{spec.name}:{member}" in ids
            for variant, value in near_misses(member):
                found = f"schema:enum-near-miss:{spec.name}:{member}:{variant}" in ids
                # A value met before (another member's variant, a platform spelling) is one
                # mutant, not two.
                assert found or any(
                    m.witness.get(spec.name) == value
                    for m in mutants
                    if m.family == "enum-near-miss"
                )
        if spec.enum is not None:
            for spelling in PLATFORM_SPELLINGS:
                assert any(
                    m.family == "enum-near-miss" and m.witness[spec.name] == spelling
                    for m in mutants
                )
    for name in schema.datetime_properties:
        assert f"schema:format-removed:{name}" in ids
        for variant in (*LENIENCIES, *STRICTNESSES):
            assert any(i.endswith(f":{name}:{variant}") for i in ids), variant
    assert "schema:opened:root" in ids and "schema:closed:output" in ids
    assert "schema:depends:ended_at:started_at" in ids
    assert "schema:value-needs:status=COMPLETED:output" in ids
    model = ctx.model
    for a, b in model.transitions:
        assert f"lifecycle:refuse:{a}->{b}" in ids
    for a, b in model.illegal_pairs():
        assert (
            f"lifecycle:allow:{a}->{b}" in ids or f"lifecycle:allow-terminal-exit:{a}->{b}" in ids
        )
    assert any(f"lifecycle:allow:{s}->{s}" in ids for s in model.statuses)
    families = {m.family for m in mutants if m.role == "lifecycle"}
    assert {
        "ids-change",
        "started-at-rewritten",
        "ended-at-while",
        "ended-at-missing",
        "ended-before-started",
        "started-at-on-create",
        "read-back-stale-status",
        "output-dropped",
        "create-refuses-run-id",
    } <= families


def test_unreachable_and_equivalent_edits_are_excluded_with_the_reason() -> None:
    _, _, excluded = _run_schema()
    reasons = {e.id: e.reason for e in excluded}
    assert "enum admits no null" in reasons["schema:type-widened:status:null"]
    assert reasons["schema:closed:root"] == "/ is closed already"
    assert "initial status" in reasons["lifecycle:started-at-rewritten:QUEUED"]


@pytest.mark.parametrize("which", ["run schema", "changed schema"])
def test_every_witness_tells_its_mutant_from_the_reference(which: str) -> None:
    ctx, mutants, _ = _run_schema() if which == "run schema" else _changed_schema()
    same = [m.id for m in mutants if not witness_differs(ctx, m)]
    assert not same, f"witnesses that do not tell the mutant apart: {same}"


@settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    st.one_of(
        runs(),
        runs(common_datetimes=True),
        invalid_runs().map(lambda case: case.record),
        st.sampled_from([witness for _, (witness, _) in LENIENCIES.items()]).map(
            lambda v: {"run_id": "", "function_id": "", "status": "QUEUED", "started_at": v}
        ),
    )
)
def test_excluded_schema_edits_judge_every_document_as_the_reference(document: Any) -> None:
    ctx, _, excluded = _run_schema()
    expected = ctx.oracle.is_valid(document)
    for e in excluded:
        if e.make is not None:
            assert e.make()(document).valid == expected, (e.id, document)


@settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.one_of(runs(), invalid_runs().map(lambda case: case.record)))
def test_the_unedited_schema_validator_is_the_oracle(document: Any) -> None:
    """Schema mutants start from this validator, so a finding is the edit's doing."""
    assert SchemaValidator(default_schema().document)(document).valid == Oracle().is_valid(document)


@pytest.mark.parametrize(
    "which",
    [
        # The packaged schema's references at quick, by default: tests/test_engine.py.
        pytest.param("run schema", marks=pytest.mark.slow),
        pytest.param("changed schema", marks=pytest.mark.slow),
    ],
)
def test_the_unedited_implementations_are_conformant_at_quick(which: str) -> None:
    ctx, _, _ = _run_schema() if which == "run schema" else _changed_schema()
    impls = [
        SchemaValidator(ctx.schema.document),
        ReferenceStore(model=ctx.model, oracle=ctx.oracle),
    ]
    for impl in impls:
        adapter = open_adapter(obj=impl)
        report = certify_adapter(adapter, ctx=ctx, profile="quick", seed=0).report
        failed = [r["id"] for r in report["requirements"] if r["outcome"] != "passed"]
        assert report["verdict"] == "conformant" and not failed, failed


# ---------------------------------------------------------------------------------------
# quick finds them
# ---------------------------------------------------------------------------------------

RUN_SCHEMA_SAMPLE = sample(_run_schema()[1])


@pytest.mark.parametrize(
    "mutant", [_param(m, slow=m.role == "lifecycle") for m in RUN_SCHEMA_SAMPLE]
)
def test_quick_finds_one_mutant_of_each_family(mutant: Mutant) -> None:
    """The blamed requirements only: each requirement's search is seeded by the run seed
    and its id, so its outcome is the one a whole run gives.  The schema mutants shrink;
    the lifecycle ones (slow suite) do not, which changes no finding: shrinking a lifecycle
    program is what costs, and the whole run below shrinks one."""
    _check_found(_run_schema()[0], mutant, blamed_only=True, shrink=mutant.role != "lifecycle")


@pytest.mark.parametrize(
    "mutant",
    [
        _param(m, slow=m.role == "lifecycle")
        for m in _run_schema()[1]
        if m.id in ("schema:drop-required:run_id", "lifecycle:refuse:QUEUED->RUNNING")
    ],
)
def test_a_whole_quick_run_finds_a_mutant_and_its_evidence_holds(mutant: Mutant) -> None:
    _check_found(_run_schema()[0], mutant)


@pytest.mark.slow
@pytest.mark.parametrize(
    "mutant",
    [_param(m) for m in _run_schema()[1] if m.id not in {s.id for s in RUN_SCHEMA_SAMPLE}],
)
def test_quick_finds_every_mutant(mutant: Mutant) -> None:
    # Every mutant the sample above does not already certify.  On the requirements it should
    # be blamed on: each requirement's search is seeded by the run seed and its own id, so
    # the outcome is a whole run's (whole runs: the test above).  Without shrinking, which
    # changes no finding (see certify_mutant; the sample shrinks).
    _check_found(_run_schema()[0], mutant, blamed_only=True, shrink=False)


def _touches_the_change(mutant: Mutant) -> bool:
    return "SCHEDULED" in mutant.id or "attempt" in mutant.id


CHANGED_SAMPLE = [
    m
    for m in _changed_schema()[1]
    if m.id
    in (
        "schema:enum-removed:status:SCHEDULED",
        "schema:type-widened:attempt:number",
        "lifecycle:refuse:SCHEDULED->RUNNING",
    )
]


def test_a_changed_schema_gets_its_own_mutants() -> None:
    _, mutants, excluded = _changed_schema()
    ids = {m.id for m in mutants}
    assert {
        "schema:enum-removed:status:SCHEDULED",
        "schema:make-required:attempt",
        "schema:type-widened:attempt:string",
        "schema:limit:attempt:minimum-0",
        "schema:enum-near-miss:status:SCHEDULED:lower",
        "lifecycle:refuse:QUEUED->SCHEDULED",
        "lifecycle:allow:SCHEDULED->SCHEDULED",
        "lifecycle:ended-at-while:SCHEDULED",
    } <= ids
    assert "schema:enum-near-miss:status:platform:SCHEDULED" in {e.id for e in excluded}
    assert len(CHANGED_SAMPLE) == 3


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [_param(m, MISSED_CHANGED) for m in CHANGED_SAMPLE])
def test_quick_finds_mutants_of_a_changed_schema(mutant: Mutant) -> None:
    _check_found(_changed_schema()[0], mutant, blamed_only=True)


@pytest.mark.slow
@pytest.mark.parametrize(
    "mutant", [_param(m, MISSED_CHANGED) for m in _changed_schema()[1] if _touches_the_change(m)]
)
def test_quick_finds_every_mutant_of_the_change(mutant: Mutant) -> None:
    _check_found(_changed_schema()[0], mutant, blamed_only=True, shrink=False)


def test_the_docs_quote_the_figure_the_marks_give() -> None:
    """The documentation's figure ("How strong is the kit?") is the count of mutants not
    marked missed; the slow suite holds the marks to the truth (strict xfail), this test
    holds the page to the marks."""
    from pathlib import Path

    from tests.mutants import Outcome

    _, mutants, _ = _run_schema()
    outcomes = [Outcome(m.id, m.id not in MISSED, (), "") for m in mutants]
    page = Path(__file__).parent.parent / "docs" / "explanation" / "how-strong.md"
    assert figure(outcomes, mutants) in page.read_text(encoding="utf-8")


def test_figure_counts_found_mutants() -> None:
    from tests.mutants import Outcome

    _, mutants, _ = _run_schema()
    v = next(m for m in mutants if m.role == "validator")
    lc = next(m for m in mutants if m.role == "lifecycle")
    outcomes = [Outcome(v.id, True, (), "non-conformant"), Outcome(lc.id, False, (), "conformant")]
    assert figure(outcomes, mutants) == (
        "quick finds 1/1 single-edit mutants of the run schema and 0/1 of the lifecycle table"
    )


# ---------------------------------------------------------------------------------------
# The references stay conformant
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3])
def test_references_of_a_changed_schema_stay_conformant(seed: int) -> None:
    # The packaged schema's references at standard: tests/test_engine.py.  Here the
    # validator at standard and the store (whose programs cost the most) at quick.
    ctx, _, _ = _changed_schema()
    for impl, profile in (
        (SchemaValidator(ctx.schema.document), "standard"),
        (ReferenceStore(model=ctx.model, oracle=ctx.oracle), "quick"),
    ):
        report = certify_adapter(open_adapter(obj=impl), ctx=ctx, profile=profile, seed=seed).report
        failed = [r["id"] for r in report["requirements"] if r["outcome"] != "passed"]
        assert report["verdict"] == "conformant" and not failed, failed
