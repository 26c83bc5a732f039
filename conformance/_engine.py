"""The one engine: run a requirement's cases through an adapter, judge, shrink, record.

The certify command, the pytest plugin and ``testing.suite`` go through
:func:`run_requirement` (one requirement) and :func:`certify` (a whole catalogue);
``compare`` puts each shared case to :func:`judge`, the judgement every search makes of a
case, and shrinks a disagreement with :func:`run_requirement`; ``replay`` puts each recorded
case to :func:`judge` again.  Each
requirement is a Hypothesis search seeded from the run's seed and the requirement id, so a
verdict is reproducible requirement by requirement.  A case the implementation gets wrong
is shrunk by Hypothesis to a minimal counterexample; a case the implementation *errors* on
(crash, hang, garbage) stops that requirement at once as ``errored``, without shrinking, so
a hanging implementation costs one timeout, not hundreds.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky
from hypothesis.errors import Unsatisfiable as NoCaseDrawn
from inngest_conformance._adapters.base import Adapter, ImplementationError, Unsupported
from inngest_conformance._encode import canonical_sha256, content_id
from inngest_conformance._requirements import Context, Requirement
from inngest_conformance._run_concurrent import (
    PROBABILISTIC,
    PROGRAMS,
    TRIES,
    SetupRefused,
    explained_to_json,
    history_to_json,
    shrink,
    supports_concurrency,
    try_program,
)
from inngest_conformance._run_programs import shorten
from inngest_conformance._variants import Coverage, Declared, Tally, features, kind_parts
from inngest_conformance._vocabulary import CasePhase, Event, Kind, Outcome, Profile
from inngest_conformance.errors import UsageError
from inngest_conformance.strategies import InvalidCase, RandomSource, Violation
from inngest_conformance.strategies._concurrent_programs import ConcurrentProgram
from inngest_conformance.strategies._formats import OPENAPI_FORMAT
from inngest_conformance.strategies._programs import Op, program_from_json, program_to_json
from inngest_conformance.strategies._source import Unsatisfiable, derive_seed

PROFILES: dict[Profile, dict[Kind, int]] = {
    "quick": {"accept": 50, "reject": 50, "lifecycle": 30},
    "standard": {"accept": 200, "reject": 200, "lifecycle": 100},
    "certify": {"accept": 1000, "reject": 1000, "lifecycle": 400},
}


def examples_for(profile: Profile, kind: Kind) -> int:
    """The examples of one requirement of ``kind`` at ``profile``: :data:`PROFILES`', or
    for the concurrency level its programs (each tried :data:`TRIES` times)."""
    if kind == "concurrency":
        return PROGRAMS[profile]
    return PROFILES[profile][kind]


@dataclass(frozen=True, slots=True)
class Judgement:
    """What one case showed: ``ok``, or what was answered against what was expected."""

    ok: bool
    message: str = ""
    answer: Any = None
    expected: Any = None
    step: int | None = None
    """For a lifecycle program, the step that broke the requirement."""
    later: tuple[Judgement, ...] = ()
    """For a lifecycle program, the later steps that broke it too (other kinds, maybe)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One distinct kind of failure of a requirement, with its own (shrunk) example."""

    kind: str
    message: str
    counterexample: Any
    answer: Any
    expected: Any
    flaky: bool = False
    case_id: str = ""
    """The content hash of the counterexample (:func:`case_id`)."""

    def to_json(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "message": self.message,
            "counterexample": self.counterexample,
            "answer": self.answer,
            "expected": self.expected,
        }
        if self.flaky:
            out["flaky"] = True
        if self.case_id:
            out["case_id"] = self.case_id
        return out


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one requirement, with its evidence.

    A failed requirement has one headline failure (``counterexample``, ``answer``,
    ``expected``: the first kind found, shrunk) and in ``failures`` every distinct kind,
    the headline first.
    """

    requirement: Requirement
    outcome: Outcome
    examples: int
    seed: int
    message: str = ""
    counterexample: Any = None
    answer: Any = None
    expected: Any = None
    detail: str = ""
    flaky: bool = False
    duration_s: float = field(default=0.0, compare=False)
    failures: tuple[Failure, ...] = ()
    declared: dict[str, str] = field(default_factory=dict)
    """Declared variants of this requirement (variant -> reason): not counted against it."""
    coverage: Coverage | None = None
    """The variants its cases exercised, and those they never did (``None``: not searched)."""
    case_id: str = ""
    """The content hash of ``counterexample`` (:func:`case_id`), when there is one."""
    rounds: int | None = None
    """How many further rounds searched it after the profile (``None``: none were asked)."""
    extra_examples: int = 0
    """How many of ``examples`` those rounds sent."""
    met: int | None = None
    """How many of ``examples`` met the requirement (``None``: not counted).  A failed
    requirement to reject whose count is 0 rejected nothing it was sent: a report's hints
    say what that usually means."""
    concurrency: dict[str, Any] | None = None
    """For the concurrency level: programs and tries run, and for a failure how many tries
    of the shrunk program showed it (report.json's ``concurrency``)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            **self.requirement.to_json(),
            "outcome": self.outcome,
            "examples": self.examples,
            "seed": self.seed,
        }
        if self.outcome in ("failed", "errored", "skipped"):
            out["message"] = self.message
        if self.outcome == "failed":
            out["counterexample"] = self.counterexample
            out["answer"] = self.answer
            out["expected"] = self.expected
            out["flaky"] = self.flaky
            if self.failures:
                out["failures"] = [f.to_json() for f in self.failures]
            if self.met is not None:
                out["met"] = self.met
        if self.outcome == "errored":
            out["counterexample"] = self.counterexample
            if self.expected is not None:
                out["expected"] = self.expected
            out["detail"] = self.detail
        if self.case_id and self.outcome in ("failed", "errored"):
            out["case_id"] = self.case_id
        if self.declared:
            out["declared_variants"] = [
                {"variant": v, "reason": reason} for v, reason in self.declared.items()
            ]
        if self.coverage is not None:
            out["coverage"] = self.coverage.to_json()
        if self.rounds is not None:
            out["search"] = {"rounds": self.rounds, "cases": self.extra_examples}
        if self.concurrency is not None:
            out["concurrency"] = self.concurrency
        return out


def result_from_json(row: dict[str, Any], requirement: Requirement) -> Result:
    """A :class:`Result` back from its :meth:`Result.to_json` row (for merged reports)."""
    return Result(
        requirement,
        row["outcome"],
        int(row["examples"]),
        int(row["seed"]),
        message=row.get("message", ""),
        counterexample=row.get("counterexample"),
        answer=row.get("answer"),
        expected=row.get("expected"),
        detail=row.get("detail", ""),
        flaky=bool(row.get("flaky", False)),
        failures=tuple(
            Failure(
                f["kind"],
                f.get("message", ""),
                f.get("counterexample"),
                f.get("answer"),
                f.get("expected"),
                bool(f.get("flaky", False)),
                str(f.get("case_id", "")),
            )
            for f in row.get("failures", ())
        ),
        declared={d["variant"]: d["reason"] for d in row.get("declared_variants", ())},
        coverage=Coverage.from_json(row["coverage"]) if "coverage" in row else None,
        case_id=str(row.get("case_id", "")),
        rounds=int(row["search"]["rounds"]) if "search" in row else None,
        extra_examples=int(row["search"]["cases"]) if "search" in row else 0,
        met=int(row["met"]) if "met" in row else None,
        concurrency=row.get("concurrency"),
    )


class _Failed(Exception):
    def __init__(self, case: Any, judgement: Judgement, parts: tuple[str, ...]) -> None:
        super().__init__(judgement.message)
        self.case = case
        self.judgement = judgement
        self.parts = parts
        self.kind = "+".join(parts)

    def covered_by(self, kinds: Collection[str]) -> bool:
        """Whether this failure is of one of ``kinds`` or has a feature that is one."""
        return self.kind in kinds or any(p in kinds for p in self.parts)

    def size(self) -> tuple[int, str]:
        text = json.dumps(case_record_any(self.case), sort_keys=True, default=repr)
        return len(text), text


class _ShrunkEnough(BaseException):
    """Ends a search whose shrinking has used its budget: its smallest failure is the example."""


class _Errored(BaseException):
    """Escapes Hypothesis at once: an erroring implementation is not shrunk against."""

    def __init__(self, case: Any, error: ImplementationError | Unsupported) -> None:
        super().__init__(str(error))
        self.case = case
        self.error = error


class InterruptGuard:
    """Ctrl-C that is never lost, and never lands where it cannot be handled.

    Python raises ``KeyboardInterrupt`` wherever the main thread happens to be when SIGINT
    arrives.  Inside a garbage-collector callback (Hypothesis keeps one to time the
    collector) the exception is printed as "Exception ignored" and dropped, and the run
    would go on as if nothing had been asked.  So the handler first records the request,
    and the engine checks the record before every case: an interrupt swallowed once is
    raised again at the next case.  Outside :meth:`raising` regions (building and writing
    the report) the handler only records, so the report of an interrupted run is always
    complete and marked as such.
    """

    def __init__(self) -> None:
        self.requested = False
        self._raising = 0
        self._hook: Callable[[Any], Any] = sys.unraisablehook

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._raising:
            raise KeyboardInterrupt

    def unraisable(self, unraisable: Any) -> None:
        """An interrupt dropped where it could not propagate is not news: it is recorded
        and raised again at the next case.  Anything else goes to the previous hook."""
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        self._hook(unraisable)

    def install(self) -> tuple[Any, Callable[[Any], Any]]:
        """Make this the SIGINT handler (main thread only); what it replaced, to restore."""
        previous = signal.signal(signal.SIGINT, self.handle), sys.unraisablehook
        self._hook = previous[1]
        sys.unraisablehook = self.unraisable
        return previous

    @staticmethod
    def restore(previous: tuple[Any, Callable[[Any], Any]]) -> None:
        signal.signal(signal.SIGINT, previous[0])
        sys.unraisablehook = previous[1]

    def check(self) -> None:
        """Raise the recorded interrupt, inside a :meth:`raising` region."""
        if self.requested and self._raising:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def raising(self) -> Iterator[None]:
        """A region where Ctrl-C interrupts at once (a wait on an implementation included)."""
        self._raising += 1
        try:
            self.check()
            yield
        finally:
            self._raising -= 1


@contextlib.contextmanager
def interrupts() -> Iterator[InterruptGuard]:
    """The guard in force, installed as the SIGINT handler if none is.

    Reentrant: nested calls share the outer guard.  It is installed only in the main
    thread and only over Python's default handler; where someone else handles Ctrl-C (or
    ignores it), a guard that never fires is returned and nothing changes.
    """
    current = signal.getsignal(signal.SIGINT)
    owner = getattr(current, "__self__", None)
    if isinstance(owner, InterruptGuard):
        yield owner
        return
    guard = InterruptGuard()
    if (
        threading.current_thread() is not threading.main_thread()
        or current is not signal.default_int_handler
    ):
        yield guard
        return
    previous = guard.install()
    try:
        yield guard
    finally:
        guard.restore(previous)


def requirement_seed(run_seed: int, requirement_id: str) -> int:
    """The Hypothesis seed of one requirement in a run: stable across kit runs and machines."""
    return derive_seed(run_seed, requirement_id)


def case_record(req: Requirement, case: Any) -> Any:
    """The JSON a report shows for a case: the document, or the lifecycle program."""
    return case_record_any(case)


def case_record_any(case: Any) -> Any:
    if isinstance(case, InvalidCase):
        return case.record
    if isinstance(case, ConcurrentProgram):
        return case.to_json()
    if isinstance(case, list) and all(isinstance(op, Op) for op in case):
        return program_to_json(case)
    return case


def case_id(case: Any) -> str:
    """A case's id: the content hash (:func:`~inngest_conformance._encode.content_id`) of
    the case as reports show it; for an invalid record, of the record with its violation,
    as a fixture file's id is.  The same case has the same id in every run and report."""
    if isinstance(case, InvalidCase):
        return content_id([case.record, case.violation.to_json()])
    return content_id(case_record_any(case))


def expected_of(case: Any) -> Any:
    """What the oracle expects of a record case whatever is answered (``None`` for a
    lifecycle program, whose expectation is per step)."""
    if isinstance(case, InvalidCase):
        return {"valid": False, "violation": case.violation.to_json()}
    if isinstance(case, dict):
        return {"valid": True}
    return None


def rebuild_case(req: Requirement, row: dict[str, Any]) -> Any:
    """The engine's case from a report row's counterexample."""
    if req.kind == "reject":
        violation = row.get("expected", {}).get("violation")
        if not isinstance(violation, dict):
            raise UsageError(f"{req.id}: the report has no violation to replay")
        return InvalidCase(row.get("counterexample"), Violation(**violation))
    if req.kind == "lifecycle":
        return program_from_json(row["counterexample"])
    if req.kind == "concurrency":
        return ConcurrentProgram.from_json(row["counterexample"])
    return row.get("counterexample")


def _judge_program(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> Judgement:
    """A lifecycle program: run it; every step that broke ``req`` is a finding."""
    findings = [f for f in ctx.executor.run(adapter, case) if f.requirement == req.id]
    if not findings:
        return Judgement(True)
    each = [
        Judgement(False, f"step {f.step}: {f.message}", f.answer, f.expected, f.step)
        for f in findings
    ]
    return replace(each[0], later=tuple(each[1:]))


def _judge_valid(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> Judgement:
    """A valid record: it must be accepted."""
    answer = adapter.validate(case)
    if answer.valid:
        return Judgement(True, answer=answer.to_json(), expected={"valid": True})
    message = "rejected a valid record" + (f": {answer.errors[0]}" if answer.errors else "")
    return Judgement(False, message, answer.to_json(), {"valid": True})


def _judge_invalid(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> Judgement:
    """An invalid record (:class:`InvalidCase`): it must be rejected."""
    v = case.violation
    expected = {"valid": False, "violation": v.to_json()}
    answer = adapter.validate(case.record)
    if not answer.valid:
        return Judgement(True, answer=answer.to_json(), expected=expected)
    reading = f", {v.reading} reading" if v.reading else ""
    message = f"accepted an invalid record ({v.rule} {v.detail} at {v.path or '/'}{reading})"
    return Judgement(False, message, answer.to_json(), expected)


#: Tries of a concurrent program when one case is judged alone (``replay``).
REPLAY_TRIES = 20


def _judge_concurrent(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> Judgement:
    """A concurrent program: tried until a history no order explains shows (at most
    :data:`REPLAY_TRIES` times); a setup the store gets wrong is an implementation error."""
    try:
        found = try_program(adapter, ctx.model, case, REPLAY_TRIES, stop_at_first=True)
    except SetupRefused as exc:
        raise ImplementationError(str(exc)) from None
    if found.first is None:
        return Judgement(True)
    return Judgement(
        False,
        _race_message(found.first.key, found.showed, found.tries),
        history_to_json(found.first),
        explained_to_json(found.first),
    )


def _race_message(run_id: Any, showed: int, tries: int) -> str:
    return (
        f"{showed} of {tries} tries gave a history of run {json.dumps(run_id)[:80]} that no "
        "order of its operations explains"
    )


def _judge_nothing(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> Judgement:
    raise TypeError(f"{req.id}: an audit requirement is judged over records, not cases")


#: How a case of each kind of requirement is judged.
JUDGES: dict[Kind, Callable[[Context, Requirement, Adapter, Any], Judgement]] = {
    "accept": _judge_valid,
    "reject": _judge_invalid,
    "lifecycle": _judge_program,
    "audit": _judge_nothing,
    "concurrency": _judge_concurrent,
}


def judge(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> Judgement:
    """Run one case and compare with the oracle (by :data:`JUDGES`).  Adapter errors
    propagate."""
    return JUDGES[req.kind](ctx, req, adapter, case)


@dataclass(frozen=True, slots=True)
class CaseSent:
    """One case put to the implementation, and what came of it: a judgement, or the error
    the implementation met instead."""

    requirement: Requirement
    case: Any
    judgement: Judgement | None
    phase: CasePhase
    error: str = ""


CaseObserver = Callable[[CaseSent], None]
"""Told of every case a run sends, once, after it is judged."""


def send(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    case: Any,
    observe: CaseObserver | None,
    phase: CasePhase,
) -> Judgement:
    """:func:`judge`, and ``observe`` told what was sent and what came of it."""
    if observe is None:
        return judge(ctx, req, adapter, case)
    try:
        verdict = judge(ctx, req, adapter, case)
    except (ImplementationError, Unsupported) as exc:
        observe(CaseSent(req, case, None, phase, str(exc)))
        raise
    observe(CaseSent(req, case, verdict, phase))
    return verdict


def _check_case(ctx: Context, req: Requirement, case: Any) -> None:
    """The kit's own promise, checked on every case before anyone is blamed: a valid
    case is valid under the kit's reading of OpenAPI's formats too, so that no reading
    blames an implementation for rejecting it."""
    if req.kind == "accept" and not ctx.oracle.is_valid(case, reading=OPENAPI_FORMAT):
        raise AssertionError(f"kit defect: generated a 'valid' case the oracle rejects: {case!r}")


#: At most this many distinct failure kinds are listed for one requirement.
MAX_KINDS = 12
#: At most this many further searches look for failure kinds beyond the first, each of at
#: least :data:`KIND_SEARCH_EXAMPLES` cases.
KIND_SEARCHES = 6
KIND_SEARCH_EXAMPLES = 100
#: Shrinking one failure may try this many cases per example of the profile (150 for a
#: lifecycle requirement at quick, 2,000 at certify).  A count, not a time, so that the
#: same seed shrinks to the same example on any machine.  Lifecycle programs hold hundreds
#: of choices, and Hypothesis's shrinker would otherwise spend tens of seconds per failure
#: kind on them for little gain; deleting needless steps afterwards (``shorten``) is what
#: makes them short.
SHRINK_CASES_PER_EXAMPLE = 5


@contextlib.contextmanager
def _own_constants() -> Iterator[None]:
    """A search that draws no constants from the modules loaded so far.

    Hypothesis (since 6.131) now and then draws a literal found in the *local* modules
    loaded so far: those outside site-packages and the standard library.  Which ones are
    loaded differs between the command line, the pytest plugin, an xdist worker, a user's
    project and a development install of the kit, and so would the cases a seed draws.  So
    the kit's searches draw only Hypothesis's own constants: the same seed, the same cases,
    through every door.  Hypothesis has no setting for this; where its internals are not
    as expected (older versions have no local constants at all) nothing is changed.
    """
    try:
        from hypothesis.internal.conjecture import providers

        collect = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE
        none = type(providers._local_constants)()
    except (ImportError, AttributeError, TypeError):
        yield
        return
    providers._get_local_constants = lambda: none
    cache.cache.clear()  # cached choices mixed in the constants collected before
    try:
        yield
    finally:
        providers._get_local_constants = collect
        cache.cache.clear()


def _settings(examples: int, database: Path | None = None) -> settings:
    """A search's settings: no example database unless one is asked for, and then the
    ``reuse`` phase first, which tries the failures saved there before anything new."""
    return settings(
        max_examples=examples,
        database=DirectoryBasedExampleDatabase(database) if database is not None else None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink)
        if database is None
        else (Phase.reuse, Phase.generate, Phase.shrink),
        print_blob=False,
    )


def database_key(ctx: Context, req: Requirement, search: int) -> bytes:
    """Where one search keeps its failures in an example database: by the schema's and the
    lifecycle model's hashes, the requirement and which of its searches (the first, or a
    search for further kinds), so that another schema never replays this one's examples.
    The run's seed is not in it: failures found with one seed are tried first with any."""
    return canonical_sha256([ctx.schema.sha256, ctx.model.sha256, req.id, search]).encode()


def run_requirement(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    *,
    examples: int,
    run_seed: int,
    declared: Declared | None = None,
    every_variant: bool = False,
    observe: CaseObserver | None = None,
    directed: bool = True,
    database: Path | None = None,
    tries: int = TRIES["standard"],
) -> Result:
    """Search for cases on which ``adapter`` breaks ``req``, one per kind of failure.

    First a Hypothesis search: its first failure, shrunk, is the headline.  Then the
    directed cases (one per variant or transition), which make "every" literal at every
    profile and name the other kinds.  Then, while a search still finds a kind that has no
    shrunk example yet, another search seeded from the first, which ignores the kinds
    already shown, so each kind gets its own shrunk example.  Everything is seeded, so the
    same run seed gives the same kinds and examples.  A failure of a ``declared`` variant
    is not counted against the requirement.  Every case's variants are counted into the
    result's ``coverage``; with ``every_variant`` (the certify profile) a requirement that
    passed without exercising each of its variants not declared is :func:`incomplete`.
    is not counted against the requirement.  ``observe`` is told of every case sent
    (:class:`CaseSent`), shrinking's and the replays' included.  Without ``directed`` the
    directed cases are left out (a further round of a search with a budget: they were
    sent once already).  With a ``database`` folder, each search first tries the failures
    saved there by earlier runs (:func:`database_key`), and saves its own.  A requirement
    of the concurrency level runs ``examples`` programs, each ``tries`` times
    (:func:`_search_concurrent`).
    """
    declared = declared or Declared()
    if req.unbuilt is not None:
        return Result(
            req,
            "errored",
            0,
            requirement_seed(run_seed, req.id),
            message=req.unbuilt,
            detail=f"to leave it out, declare it: --skip '{req.id}' --reason TEXT",
        )
    if req.kind == "concurrency":
        with interrupts() as guard, guard.raising():
            return _search_concurrent(ctx, req, adapter, examples, tries, run_seed, guard)
    with interrupts() as guard, guard.raising():
        result = _search(
            ctx, req, adapter, examples, run_seed, declared, guard, observe, directed, database
        )
    return incomplete(result) if every_variant else result


def _search_concurrent(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    programs: int,
    tries: int,
    run_seed: int,
    guard: InterruptGuard,
) -> Result:
    """The concurrency level's search: ``programs`` programs drawn from the requirement's
    seed, each tried ``tries`` times; the first that shows a history no order explains is
    shrunk (:func:`shrink`) and tried ``tries`` times again, which says how often it shows.
    An adapter that cannot take concurrent requests is not judged (``skipped``, with why)."""
    req_seed = requirement_seed(run_seed, req.id)
    started = time.perf_counter()
    budget = {"programs": programs, "tries": tries, "note": PROBABILISTIC}

    def result(outcome: Outcome, count: int, **kwargs: Any) -> Result:
        return Result(
            req,
            outcome,
            count,
            req_seed,
            duration_s=time.perf_counter() - started,
            **kwargs,
        )

    why = supports_concurrency(adapter)
    if why is not None:
        return result("skipped", 0, message=f"not judged: {why}", concurrency=budget)
    sent = undecided = 0
    program: ConcurrentProgram | None = None
    try:
        for i in range(programs):
            program = req.sample(ctx, RandomSource(derive_seed(req_seed, f"program {i}")))
            sent += 1
            found = try_program(adapter, ctx.model, program, tries, check=guard.check)
            undecided += found.undecided
            if found.first is None:
                continue
            small = shrink(adapter, ctx.model, program, tries, check=guard.check)
            again = try_program(adapter, ctx.model, small, tries, check=guard.check)
            evidence = again.first or found.first
            shown = again if again.first is not None else found
            shrunk_note = "" if again.first else " (the shrunk program did not show it again)"
            return result(
                "failed",
                sent,
                message=_race_message(evidence.key, shown.showed, shown.tries) + shrunk_note,
                counterexample=(small if again.first is not None else program).to_json(),
                answer=history_to_json(evidence),
                expected=explained_to_json(evidence),
                flaky=shown.showed < shown.tries,
                case_id=case_id(small if again.first is not None else program),
                concurrency={
                    **budget,
                    "found_in": {"program": i, "tries_showing": found.showed, "of": found.tries},
                    "shrunk": {"tries_showing": again.showed, "of": again.tries},
                },
            )
    except (ImplementationError, Unsupported, SetupRefused) as exc:
        if isinstance(exc, Unsupported):
            return result("skipped", sent, message=f"not judged: {exc}", concurrency=budget)
        return result(
            "errored",
            sent,
            message=exc.reason if isinstance(exc, ImplementationError) else str(exc),
            detail=_error_detail(exc) if isinstance(exc, ImplementationError) else "",
            counterexample=program.to_json() if program is not None else None,
            case_id=case_id(program) if program is not None else "",
            concurrency=budget,
        )
    if undecided:
        return result(
            "errored",
            sent,
            message=f"undecided: {undecided} histories were past the search's bound; none "
            "showed a violation, but the level is not claimed",
            concurrency=budget,
        )
    return result("passed", sent, met=sent, concurrency=budget)


def incomplete(result: Result) -> Result:
    """A passed ``result`` whose coverage shows variants (not declared) that no case
    exercised, as ``errored``: "every" was not shown, so it is not claimed."""
    if result.outcome != "passed" or result.coverage is None:
        return result
    missing = [v for v in result.coverage.never if v not in result.declared]
    if not missing:
        return result
    names = ", ".join(missing)
    rid = result.requirement.id
    return replace(
        result,
        outcome="errored",
        message=f"incomplete: {len(missing)} variant{'s' if len(missing) != 1 else ''} never "
        f"exercised: {names} (neither the search nor the directed cases produced a case of "
        "them; the certify profile claims every variant)",
        detail=f"never exercised: {names}\nto leave one out, declare it: "
        f"--skip '{rid}[{missing[0]}]' --reason TEXT",
    )


def _search(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    examples: int,
    run_seed: int,
    declared: Declared,
    guard: InterruptGuard,
    observe: CaseObserver | None = None,
    directed: bool = True,
    database: Path | None = None,
) -> Result:
    """:func:`run_requirement`'s body, inside the interrupt guard's raising region."""
    req_seed = requirement_seed(run_seed, req.id)
    count = met = 0
    tally = Tally(ctx, req)
    phase: CasePhase = "search"  # why attempt() is sending its case, for ``observe``
    started = time.perf_counter()
    found: dict[str, _Failed] = {}
    shown: set[str] = set()  # kinds that already have a shrunk example
    last_failure: _Failed | None = None

    def attempt(case: Any) -> _Failed | None:
        nonlocal count, met
        guard.check()
        count += 1
        tally.add(case)
        _check_case(ctx, req, case)
        try:
            verdict = send(ctx, req, adapter, case, observe, phase)
        except (ImplementationError, Unsupported) as exc:
            raise _Errored(case, exc) from None
        if verdict.ok:
            met += 1
            return None
        failures = []
        for j in (verdict, *verdict.later):
            seen = features(ctx, req, case, j.step)
            if declared.covering(seen) is None:
                failures.append(_Failed(case, replace(j, later=()), kind_parts(seen)))
        # A program that breaks the requirement at several steps stands for the first kind
        # not shown yet, so that a search for more kinds is not blocked by a known one.
        fresh = [f for f in failures if not f.covered_by(shown)]
        chosen = fresh or failures
        return chosen[0] if chosen else None

    shrink_left: int | None = None  # cases the current search may still shrink with
    smallest: _Failed | None = None  # the current search's smallest failure so far

    def probe(case: Any) -> None:
        nonlocal last_failure, shrink_left, smallest, phase
        phase = "search" if shrink_left is None else "shrink"
        if shrink_left is not None:
            if shrink_left <= 0:
                raise _ShrunkEnough
            shrink_left -= 1
        failure = attempt(case)
        if failure is not None and not failure.covered_by(shown):
            if shrink_left is None:
                shrink_left = SHRINK_CASES_PER_EXAMPLE * examples
            if smallest is None or failure.size() < smallest.size():
                smallest = failure
            last_failure = failure
            raise failure

    def offer(failure: _Failed) -> None:
        """Keep the simplest example of each kind (Hypothesis's, or a directed case's)."""
        held = found.get(failure.kind)
        if held is None:
            if len(found) < MAX_KINDS:
                found[failure.kind] = failure
        elif failure.size() < held.size():
            found[failure.kind] = failure

    def search(round_: int) -> None:
        nonlocal shrink_left, smallest
        if round_ == 0:
            seed_, budget = req_seed, examples
        else:
            seed_ = requirement_seed(run_seed, f"{req.id}#{round_}")
            budget = max(examples, KIND_SEARCH_EXAMPLES)
        shrink_left, smallest = None, None
        test = given(req.cases(ctx))(probe)
        if database is not None:
            # Hypothesis keys a test's examples by its source; the kit's key is its own.
            test._hypothesis_internal_database_key = database_key(ctx, req, round_)  # type: ignore[attr-defined]
        try:
            with _own_constants():
                _settings(budget, database)(seed(seed_)(test))()
        except _ShrunkEnough:
            assert smallest is not None
            raise smallest from None

    def result(outcome: Outcome, **kwargs: Any) -> Result:
        return Result(
            req,
            outcome,
            count,
            req_seed,
            duration_s=time.perf_counter() - started,
            declared=dict(declared.of(req.id)),
            coverage=tally.coverage(),
            met=met,
            **kwargs,
        )

    def failed(note: str = "", flaky_kinds: frozenset[str] = frozenset()) -> Result:
        # A combination whose features include a kind of its own is that kind again.
        singles = {k for k, f in found.items() if len(f.parts) == 1}
        kept = {k: f for k, f in found.items() if len(f.parts) == 1 or not f.covered_by(singles)}
        first = next(iter(found.values()))
        if first.kind not in kept:  # the headline is the single kind it stood for
            single = next(p for p in first.parts if p in kept)
            kept = {single: kept[single], **kept}
        failures = []
        for kind, f in kept.items():
            if req.kind == "lifecycle" and kind not in flaky_kinds:
                f = _shorten_program(ctx, req, adapter, f, declared, observe)
            flaky = kind in flaky_kinds or not _fails_every_time(ctx, req, adapter, f.case, observe)
            message = f.judgement.message
            if flaky:
                message = f"flaky: {message} (the case did not fail on every replay)"
            failures.append(
                Failure(
                    kind,
                    message,
                    case_record(req, f.case),
                    f.judgement.answer,
                    f.judgement.expected,
                    flaky,
                    case_id(f.case),
                )
            )
        head = failures[0]
        return result(
            "failed",
            message=head.message + note,
            answer=head.answer,
            expected=head.expected,
            counterexample=head.counterexample,
            flaky=head.flaky,
            failures=tuple(failures),
            case_id=head.case_id,
        )

    def errored(err: _Errored) -> Result:
        if isinstance(err.error, Unsupported):
            return result("skipped", message=f"the implementation does not support it: {err}")
        return result(
            "errored",
            message=err.error.reason,
            detail=_error_detail(err.error),
            counterexample=case_record(req, err.case),
            expected=expected_of(err.case),
            case_id=case_id(err.case),
        )

    def why(err: _Errored) -> str:
        return getattr(err.error, "reason", str(err.error))

    flaky_kinds: set[str] = set()
    no_case = ""  # why the search drew no case at all, if it drew none
    try:
        if req.kind != "lifecycle" and not req.drawable(ctx, req_seed):
            raise NoCaseDrawn(f"{req.id}: no case in the probe draws")
        search(0)
    except NoCaseDrawn:
        no_case = why_no_case(ctx, req, req_seed)
    except _Failed as failure:
        offer(failure)
        shown.add(failure.kind)
    except _Errored as err:
        if last_failure is None:
            return errored(err)
        # A wrong answer was already seen: the requirement is judged, and the error met
        # while shrinking only ends the shrinking (an error is not shrunk against).
        found[last_failure.kind] = last_failure
        return failed(f" (shrinking stopped: the implementation then errored: {why(err)})")
    except Flaky as exc:
        cause = _first_failure(exc)
        if cause is None:
            # No case disagreed with itself: the draws did (generation depending on state
            # it should not), which blames the kit, never the implementation.
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return result(
                "errored",
                message=f"no case found: the kit drew this requirement's cases unsteadily "
                f"({first})",
                detail=f"to leave it out, declare it: --skip '{req.id}' --reason TEXT",
            )
        found[cause.kind] = cause
        return failed(flaky_kinds=frozenset({cause.kind}))
    phase = "directed"
    try:
        cases = tally.directed() if directed else []
    except Unsatisfiable as exc:
        no_case = no_case or str(exc)
        cases = []
    try:
        for case in cases:
            sent = attempt(case)
            if sent is not None:
                offer(sent)
                shown.add(sent.kind)
    except _Errored as err:
        if not found:
            return errored(err)
        return failed(f" (other kinds not sought: the implementation then errored: {why(err)})")
    if not found and count == 0 and no_case:
        return result(
            "errored",
            message=f"no case found: {no_case}",
            detail=f"to leave it out, declare it: --skip '{req.id}' --reason TEXT",
        )
    if not found:
        return result("passed")
    note = ""
    for round_ in range(1, KIND_SEARCHES + 1):
        if len(found) >= MAX_KINDS:
            break
        try:
            search(round_)
        except NoCaseDrawn:
            break
        except _Failed as failure:
            offer(failure)
            shown.add(failure.kind)
            continue
        except _Errored as err:
            note = f" (other kinds not sought: the implementation then errored: {why(err)})"
        except Flaky as exc:
            cause = _first_failure(exc)
            if cause is not None:
                found.setdefault(cause.kind, cause)
                flaky_kinds.add(cause.kind)
        break
    return failed(note, frozenset(flaky_kinds))


#: How many cases :func:`why_no_case` makes on its own to say why a search drew none.
DIAGNOSIS_TRIES = 8


def why_no_case(ctx: Context, req: Requirement, req_seed: int) -> str:
    """Why a search drew no case of ``req`` (Hypothesis gave up: every draw was rejected):
    what the generator said when it found no value, or that the near misses it made
    broke more than their label.  A few seeded draws of its own, outside Hypothesis,
    which keeps no reason for a rejected draw."""
    for i in range(DIAGNOSIS_TRIES):
        try:
            case = req.gen(RandomSource(derive_seed(req_seed, f"diagnosis#{i}")), ctx)
        except Unsatisfiable as exc:
            return str(exc)
        if isinstance(case, InvalidCase):
            errors = ctx.oracle.errors(case.record, reading=case.violation.reading)
            v = case.violation
            if not errors:
                return (
                    f"the near misses made of {v.rule} at {v.path or '/'} are valid: the "
                    "schema allows what the rule breaks there"
                )
            other = next((e for e in errors if e.path != v.path or e.keyword != v.keyword), None)
            if other is not None:
                return (
                    f"the near misses made of {v.rule} at {v.path or '/'} break more than "
                    f"its rule ({other.keyword} at {other.path or '/'} too)"
                )
    return "every case drawn was refused by the kit's own checks"


#: How much of the request that got no proper answer an errored row quotes.
REQUEST_QUOTE_LIMIT = 2000


def _error_detail(error: ImplementationError) -> str:
    """An error's evidence (traceback, stderr tail, the offending line), headed by the
    request the implementation did not answer properly: for a lifecycle program, the step."""
    if error.request is None:
        return error.detail
    try:
        text = json.dumps(error.request, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(error.request)
    if len(text) > REQUEST_QUOTE_LIMIT:
        text = f"{text[:REQUEST_QUOTE_LIMIT]}... (cut, {len(text)} characters in all)"
    return f"request: {text}\n\n{error.detail}" if error.detail else f"request: {text}"


def _shorten_program(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    failure: _Failed,
    declared: Declared,
    observe: CaseObserver | None = None,
) -> _Failed:
    """Delete the steps a failing lifecycle program does not need (see ``shorten``),
    keeping only a shorter program that still fails with the same kind."""

    def fails(candidate: list[Op]) -> int | None:
        try:
            verdict = send(ctx, req, adapter, candidate, observe, "shorten")
        except (ImplementationError, Unsupported):
            return None
        return None if verdict.ok else verdict.step

    program = failure.case
    shorter = shorten(program, fails, id_field=ctx.model.fields.run_id)
    if len(shorter) == len(program):
        return failure
    try:
        again = send(ctx, req, adapter, shorter, observe, "shorten")
    except (ImplementationError, Unsupported):
        return failure
    if again.ok:
        return failure
    for j in (again, *again.later):
        seen = features(ctx, req, shorter, j.step)
        if declared.covering(seen) is None:
            candidate = _Failed(shorter, replace(j, later=()), kind_parts(seen))
            if candidate.kind == failure.kind:
                return candidate
    return failure


#: How often a shrunk counterexample is asked again before a failure is called solid.
REPLAYS = 3


def _fails_every_time(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    case: Any,
    observe: CaseObserver | None = None,
) -> bool:
    """A nondeterministic implementation is *flaky*, not plainly wrong: replay the case."""
    for _ in range(REPLAYS):
        try:
            if send(ctx, req, adapter, case, observe, "recheck").ok:
                return False
        except (ImplementationError, Unsupported):
            continue
    return True


def _first_failure(exc: BaseException) -> _Failed | None:
    if isinstance(exc, _Failed):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _first_failure(inner)
        if found is not None:
            return found
    return _first_failure(exc.__cause__) if exc.__cause__ is not None else None


Listener = Callable[[Event, Requirement, "Result | None"], None]


def certify(
    ctx: Context,
    adapter: Adapter,
    requirements: Sequence[Requirement],
    *,
    profile: Profile = "standard",
    run_seed: int = 0,
    listener: Listener | None = None,
    declared: Declared | None = None,
    observe: CaseObserver | None = None,
    database: Path | None = None,
) -> list[Result]:
    """Run every requirement in order; ``listener`` hears ``start`` and ``finish`` events;
    ``declared`` variants are not counted against their requirements; ``observe`` is told
    of every case sent; ``database`` is an example database folder (:func:`run_requirement`)."""
    results: list[Result] = []
    with interrupts() as guard:
        try:
            with guard.raising():
                for req in requirements:
                    if listener:
                        listener("start", req, None)
                    res = run_requirement(
                        ctx,
                        req,
                        adapter,
                        examples=examples_for(profile, req.kind),
                        tries=TRIES[profile],
                        run_seed=run_seed,
                        declared=declared,
                        every_variant=profile == "certify",
                        observe=observe,
                        database=database,
                    )
                    results.append(res)
                    if listener:
                        listener("finish", req, res)
        except KeyboardInterrupt:
            rest = [skipped(r, "not run: the run was interrupted", run_seed) for r in requirements]
            raise Interrupted(results + rest[len(results) :]) from None
    return results


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: carries the results so far, the rest marked skipped."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__("interrupted")
        self.results = results


def skipped(req: Requirement, reason: str, run_seed: int) -> Result:
    """A requirement not run, with why."""
    return Result(req, "skipped", 0, requirement_seed(run_seed, req.id), message=reason)
