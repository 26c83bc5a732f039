"""What a report's failures usually mean: the ``hints`` a person reads before the evidence.

A list of failed requirements says what broke, not why.  Two patterns have one usual cause
each, and a report names it in one line so that a user fixes one thing, not twelve:

- **Nothing rejected.**  A format requirement failed without rejecting one of the cases it
  sent (its row's ``met`` is 0): every malformation of that format was accepted, and the
  validator almost always does not assert ``format`` (draft 2020-12 makes it an
  annotation unless asked for; python-jsonschema asks for it with a format checker and
  skips ``date-time`` silently without the ``rfc3339-validator`` package).  When every
  requirement to reject at the ``schema`` level did the same, the implementation accepts
  everything, or its answer is not read as the rejection it means.  A validator that
  misses one malformation rejects the others, and gets no hint.
- **One case, several requirements.**  Requirements that fail (or error) on the same case
  (the same ``case_id``) usually share one fault: a ``null`` read back fails a MUST and
  two SHOULDs at once.

Hints are derived from the results alone, so the same run gives the same hints; they are
no part of the verdict or the fingerprint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inngest_conformance._engine import Result
from inngest_conformance._requirements import Context
from inngest_conformance.strategies._formats import reading_of

__all__ = ["hints", "with_hints"]

#: The package without which python-jsonschema's format checker skips a format silently.
CHECKER_PACKAGES = {
    "date-time": "rfc3339-validator",
    "time": "rfc3339-validator",
    "uri": "rfc3987",
}
#: What judging the structure alone looks like on the command line.
SCHEMA_ONLY = "certify --levels schema"


def hints(ctx: Context, results: Sequence[Result]) -> list[dict[str, Any]]:
    """The report's ``hints``: each a ``kind``, the ``requirements`` it is about, and the
    one line (``text``) that says what they usually mean."""
    return [*_rejected_nothing(ctx, results), *_shared_cases(results)]


def with_hints(report: dict[str, Any], found: list[dict[str, Any]]) -> dict[str, Any]:
    """``report`` with ``found`` as its hints (none: no ``hints`` key), where
    :func:`inngest_conformance.report.build_report` puts them: before the requirements."""
    out: dict[str, Any] = {}
    for key, value in report.items():
        if key == "requirements" and found:
            out["hints"] = found
        if key != "hints":
            out[key] = value
    return out


def _rejected_nothing(ctx: Context, results: Sequence[Result]) -> list[dict[str, Any]]:
    """The hint for requirements to reject that rejected not one case they sent: at the
    schema level when all of them did (the implementation accepts everything), else at the
    format level for each format whose every malformation was accepted."""
    levels: dict[str, list[Result]] = {}
    for r in results:
        if r.requirement.kind == "reject" and r.outcome in ("passed", "failed"):
            levels.setdefault(r.requirement.level, []).append(r)
    empty = {
        level: [r for r in mine if r.outcome == "failed" and r.met == 0]
        for level, mine in levels.items()
    }
    if levels.get("schema") and len(empty["schema"]) == len(levels["schema"]):
        named = {level: mine for level, mine in empty.items() if mine}
        cases = sum(r.examples for mine in named.values() for r in mine)
        where = " and ".join(f"level {level}" for level in named)
        return [
            {
                "kind": "rejects-nothing",
                "levels": list(named),
                "requirements": [r.requirement.id for mine in named.values() for r in mine],
                "text": (
                    f"not one of {cases} invalid cases was rejected ({where}): the "
                    "implementation most likely accepts everything, or its rejection is not "
                    "read as one (a rejection is False, a falsy 'valid', a raised ValueError or "
                    "jsonschema.ValidationError, or a class named with --rejects-with)"
                ),
            }
        ]
    # A format under a reading of the kit's (OpenAPI's int64) is ignored by every validator
    # of the dialect, as the dialect says: accepting its every value is no missing checker.
    mine = [r for r in empty.get("format", []) if reading_of(_format(ctx, r)) is None]
    if not mine:
        return []
    formats = sorted({_format(ctx, r) for r in mine})
    cases = sum(r.examples for r in mine)
    packages: dict[str, list[str]] = {}
    for fmt in formats:
        if fmt in CHECKER_PACKAGES:
            packages.setdefault(CHECKER_PACKAGES[fmt], []).append(fmt)
    extra = "".join(
        f", {' and '.join(names)} only with {package} installed"
        for package, names in packages.items()
    )
    return [
        {
            "kind": "format-not-asserted",
            "levels": ["format"],
            "requirements": [r.requirement.id for r in mine],
            "text": (
                f"not one of {cases} malformed {' or '.join(formats)} values was rejected: "
                "the validator most likely does not assert 'format' (draft 2020-12 makes it "
                "an annotation); python-jsonschema asserts it with "
                f"format_checker=Draft202012Validator.FORMAT_CHECKER{extra}; to judge the "
                f"structure alone, {SCHEMA_ONLY}"
            ),
        }
    ]


def _format(ctx: Context, r: Result) -> str:
    """The ``format`` a format-level requirement is about: its property's, or its nested
    place's (the last part of its id, ``format:rejects-malformed-format:/user/email``)."""
    subject = r.requirement.subject
    if subject is not None:
        for spec in ctx.schema.properties:
            if spec.name == subject and spec.format:
                return spec.format
    parts = r.requirement.id.split(":", 2)
    place = ctx.schema.places.get(parts[-1]) if len(parts) == 3 else None
    if place is not None and place[0].format:
        return place[0].format
    return "format"


def _shared_cases(results: Sequence[Result]) -> list[dict[str, Any]]:
    """One hint per case that several failed or errored requirements fail on (a group
    inside a larger group is left to the larger one)."""
    sharing: dict[str, list[Result]] = {}
    for r in results:
        if r.outcome not in ("failed", "errored"):
            continue
        # In the row's order, never a set's: the same run gives the same hints, byte for byte.
        ids = dict.fromkeys(c for c in (r.case_id, *(f.case_id for f in r.failures)) if c)
        for case in ids:
            sharing.setdefault(case, []).append(r)
    groups: list[tuple[str, list[Result]]] = []
    for case, mine in sharing.items():
        names = {r.requirement.id for r in mine}
        if len(names) < 2:
            continue
        if any(names <= {r.requirement.id for r in other} for _, other in groups):
            continue
        groups = [
            (c, other) for c, other in groups if not {r.requirement.id for r in other} < names
        ]
        groups.append((case, mine))
    return [
        {
            "kind": "shared-case",
            "case_id": case,
            "requirements": [r.requirement.id for r in mine],
            "text": (
                f"{_listed([f'{r.requirement.id} ({r.requirement.keyword})' for r in mine])} "
                f"fail on the same case {case}: most likely one fault; fix it, then run again"
            ),
        }
        for case, mine in groups
    ]


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
