"""The kit's words, typed: levels, roles, keywords, requirement kinds, outcomes, profiles.

Each is a ``Literal`` type with the tuple of its values beside it, in the order a report and
the command line list them.  (``Literal`` rather than ``StrEnum``: the values travel as
plain strings in report.json, the wire protocol and the command line, and Python 3.10 has
no ``StrEnum``.)  This module imports nothing of the kit but its errors, so every layer may use it.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from inngest_conformance.errors import UsageError

Level = Literal["schema", "format", "lifecycle", "concurrency"]
Role = Literal["validator", "lifecycle", "source"]
"""Who a requirement speaks of: an implementation playing ``validator`` or ``lifecycle``
(:data:`ROLES`), or a ``source`` of records whose output is audited."""
Keyword = Literal["MUST", "SHOULD"]
Kind = Literal["accept", "reject", "lifecycle", "audit", "concurrency"]
"""What a requirement's cases are: valid records, invalid records, lifecycle programs,
(``audit``) none: a source is judged over the records it emitted, or (``concurrency``)
programs whose clients run at once."""
Outcome = Literal["passed", "failed", "errored", "skipped"]
Profile = Literal["quick", "standard", "certify"]
Event = Literal["start", "finish"]
"""What a run listener is told of a requirement."""

LEVELS: tuple[Level, ...] = ("schema", "format", "lifecycle", "concurrency")
CORE_LEVELS: tuple[Level, ...] = ("schema", "format", "lifecycle")
"""The levels every report lists; the others (:data:`OPT_IN_LEVELS`) only when asked for."""
ROLES: tuple[Role, ...] = ("validator", "lifecycle")
"""The roles an implementation may play."""
ROLE_LEVELS: dict[Role, tuple[Level, ...]] = {
    "validator": ("schema", "format"),
    "lifecycle": ("lifecycle",),
}
OPT_IN_LEVELS: dict[Role, tuple[Level, ...]] = {"lifecycle": ("concurrency",)}
"""Levels a role covers only when ``--levels`` names them: ``concurrency`` races clients
against a store (threads, several tries a program), which a store must be built for."""
KEYWORDS: tuple[Keyword, ...] = ("MUST", "SHOULD")
KINDS: tuple[Kind, ...] = ("accept", "reject", "lifecycle", "audit", "concurrency")
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "errored", "skipped")
CasePhase = Literal["search", "shrink", "directed", "shorten", "recheck", "shared", "disagreement"]
"""Why a case was sent: drawn by a search, tried while shrinking a failure, a directed case,
a shorter lifecycle program tried, a shrunk failure asked again (is it flaky?); in a
comparison, a case every implementation gets, or the minimal case of a disagreement."""
CASE_PHASES: tuple[CasePhase, ...] = (
    "search",
    "shrink",
    "directed",
    "shorten",
    "recheck",
    "shared",
    "disagreement",
)

_W = TypeVar("_W", bound=str)


def one_of(value: str, words: tuple[_W, ...], what: str) -> _W:
    """``value`` as one of ``words``, or a usage error naming ``what`` was asked
    (``--profile``, ``suite role``, ...) and the words it may be."""
    if value not in words:
        raise UsageError(f"{what} {value!r} is not one of {', '.join(words)}")
    return value
