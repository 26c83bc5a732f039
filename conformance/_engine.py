"""The one engine: run a requirement's cases through an adapter, judge, shrink, record.

The certify command, the pytest plugin and ``replay`` all go through
:func:`run_requirement` (one requirement) and :func:`certify` (a whole catalogue).  Each
requirement is a Hypothesis search seeded from the run's seed and the requirement id, so a
verdict is reproducible requirement by requirement.  A case the implementation gets wrong
is shrunk by Hypothesis to a minimal counterexample; a case the implementation *errors* on
(crash, hang, garbage) stops that requirement at once as ``errored``, without shrinking, so
a hanging implementation costs one timeout, not hundreds.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.errors import Flaky
from inngest_conformance import _lifecycle as lc
from inngest_conformance._adapters.base import Adapter, ImplementationError, Unsupported
from inngest_conformance._requirements import Context, Requirement
from inngest_conformance.strategies._invalid import InvalidCase

PROFILES: dict[str, dict[str, int]] = {
    "quick": {"accept": 50, "reject": 50, "lifecycle": 30},
    "standard": {"accept": 200, "reject": 200, "lifecycle": 100},
    "certify": {"accept": 1000, "reject": 1000, "lifecycle": 400},
}
OUTCOMES = ("passed", "failed", "errored", "skipped")


@dataclass(frozen=True, slots=True)
class Judgement:
    """What one case showed: ``ok``, or what was answered against what was expected."""

    ok: bool
    message: str = ""
    answer: Any = None
    expected: Any = None


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one requirement, with its evidence."""

    requirement: Requirement
    outcome: str
    examples: int
    seed: int
    message: str = ""
    counterexample: Any = None
    answer: Any = None
    expected: Any = None
    detail: str = ""
    flaky: bool = False
    duration_s: float = field(default=0.0, compare=False)

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
        if self.outcome == "errored":
            out["counterexample"] = self.counterexample
            out["detail"] = self.detail
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
    )


class _Failed(Exception):
    def __init__(self, case: Any, judgement: Judgement) -> None:
        super().__init__(judgement.message)
        self.case = case
        self.judgement = judgement


class _Errored(BaseException):
    """Escapes Hypothesis at once: an erroring implementation is not shrunk against."""

    def __init__(self, case: Any, error: ImplementationError | Unsupported) -> None:
        super().__init__(str(error))
        self.case = case
        self.error = error


def requirement_seed(run_seed: int, requirement_id: str) -> int:
    """The Hypothesis seed of one requirement in a run: stable across kit runs and machines."""
    digest = hashlib.sha256(f"{run_seed}:{requirement_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def case_record(req: Requirement, case: Any) -> Any:
    """The JSON a report shows for a case: the document, or the lifecycle program."""
    return case.record if isinstance(case, InvalidCase) else case


def judge(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> Judgement:
    """Run one case and compare with the oracle.  Adapter errors propagate."""
    if req.kind == "lifecycle":
        findings = [f for f in ctx.executor.run(adapter, case) if f.requirement == req.id]
        if not findings:
            return Judgement(True)
        first = findings[0]
        return Judgement(False, f"step {first.step}: {first.message}", first.answer, first.expected)
    if req.kind == "reject":
        record, expected_valid = case.record, False
        expected: dict[str, Any] = {"valid": False, "violation": case.violation.to_json()}
    else:
        record, expected_valid = case, True
        expected = {"valid": True}
    answer = adapter.validate(record)
    if answer.valid == expected_valid:
        return Judgement(True, answer=answer.to_json(), expected=expected)
    if expected_valid:
        message = "rejected a valid record" + (f": {answer.errors[0]}" if answer.errors else "")
    else:
        v = case.violation
        message = f"accepted an invalid record ({v.rule} {v.detail} at {v.path or '/'})"
    return Judgement(False, message, answer.to_json(), expected)


def _check_case(ctx: Context, req: Requirement, case: Any) -> None:
    """The kit's own promise, checked on every case before anyone is blamed."""
    if req.kind == "accept" and not ctx.oracle.is_valid(case):
        raise AssertionError(f"kit defect: generated a 'valid' case the oracle rejects: {case!r}")


def run_requirement(
    ctx: Context,
    req: Requirement,
    adapter: Adapter,
    *,
    examples: int,
    run_seed: int,
) -> Result:
    """Search for a case on which ``adapter`` breaks ``req``; see the module docstring."""
    req_seed = requirement_seed(run_seed, req.id)
    count = 0
    started = time.perf_counter()
    last_failure: _Failed | None = None

    def probe(case: Any) -> None:
        nonlocal count, last_failure
        count += 1
        _check_case(ctx, req, case)
        try:
            verdict = judge(ctx, req, adapter, case)
        except (ImplementationError, Unsupported) as exc:
            raise _Errored(case, exc) from None
        if not verdict.ok:
            last_failure = _Failed(case, verdict)
            raise last_failure

    test = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink),
        print_blob=False,
    )(seed(req_seed)(given(req.cases(ctx))(probe)))

    def result(outcome: str, **kwargs: Any) -> Result:
        return Result(
            req, outcome, count, req_seed, duration_s=time.perf_counter() - started, **kwargs
        )

    def failed(case: Any, j: Judgement, *, flaky: bool = False) -> Result:
        if req.kind == "lifecycle" and not flaky:
            case, j = _shorten_program(ctx, req, adapter, case, j)
        flaky = flaky or not _fails_every_time(ctx, req, adapter, case)
        message = f"flaky: {j.message} (the case did not fail on every replay)" if flaky else ""
        return result(
            "failed",
            message=message or j.message,
            answer=j.answer,
            expected=j.expected,
            counterexample=case_record(req, case),
            flaky=flaky,
        )

    try:
        # The search first, so that a failure it finds is shrunk; then the directed cases
        # (one per variant or transition), which make "every" literal at every profile.
        test()
        for case in req.explicit(ctx):
            probe(case)
    except _Failed as failure:
        return failed(failure.case, failure.judgement)
    except _Errored as err:
        if isinstance(err.error, Unsupported):
            return result("skipped", message=f"the implementation does not support it: {err}")
        if last_failure is not None:
            # A wrong answer was already seen: the requirement is judged, and the error
            # met while shrinking only ends the shrinking (an error is not shrunk against).
            note = f" (shrinking stopped: the implementation then errored: {err.error.reason})"
            stopped = replace(last_failure.judgement, message=last_failure.judgement.message + note)
            return failed(last_failure.case, stopped)
        return result(
            "errored",
            message=err.error.reason,
            detail=_error_detail(err.error),
            counterexample=case_record(req, err.case),
        )
    except Flaky as exc:
        cause = _first_failure(exc)
        if cause is None:
            return result("failed", message=f"flaky: {exc}", flaky=True)
        return failed(cause.case, cause.judgement, flaky=True)
    return result("passed")


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
    ctx: Context, req: Requirement, adapter: Adapter, program: Any, j: Judgement
) -> tuple[Any, Judgement]:
    """Delete the steps a failing lifecycle program does not need (see ``shorten``)."""

    def fails(candidate: list[dict[str, Any]]) -> int | None:
        try:
            findings = [f for f in ctx.executor.run(adapter, candidate) if f.requirement == req.id]
        except (ImplementationError, Unsupported):
            return None
        return findings[0].step if findings else None

    shorter = lc.shorten(program, fails)
    if len(shorter) == len(program):
        return program, j
    try:
        again = judge(ctx, req, adapter, shorter)
    except (ImplementationError, Unsupported):
        return program, j
    return (program, j) if again.ok else (shorter, again)


#: How often a shrunk counterexample is asked again before a failure is called solid.
REPLAYS = 3


def _fails_every_time(ctx: Context, req: Requirement, adapter: Adapter, case: Any) -> bool:
    """A nondeterministic implementation is *flaky*, not plainly wrong: replay the case."""
    for _ in range(REPLAYS):
        try:
            if judge(ctx, req, adapter, case).ok:
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


Listener = Callable[[str, Requirement, "Result | None"], None]


def certify(
    ctx: Context,
    adapter: Adapter,
    requirements: Sequence[Requirement],
    *,
    profile: str = "standard",
    run_seed: int = 0,
    listener: Listener | None = None,
) -> list[Result]:
    """Run every requirement in order; ``listener`` hears ``start`` and ``finish`` events."""
    budget = PROFILES[profile]
    results: list[Result] = []
    try:
        for req in requirements:
            if listener:
                listener("start", req, None)
            res = run_requirement(ctx, req, adapter, examples=budget[req.kind], run_seed=run_seed)
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
