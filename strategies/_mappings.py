"""Mappings between record profiles: a record of one and the image a converter should give.

A client that stores v1 runs as design-card records is a converter, and a converter is an
implementation with a definite answer per input: the image of each record.  A mapping says
what that image is, where it is defined (``image`` is ``None`` where the target has no
counterpart, so drawing stays within the part where the mapping is total) and what it loses
(:attr:`ProfileMapping.losses`, in words, for the README and the docstring a user reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MAPPINGS", "ProfileMapping"]


@dataclass(frozen=True, slots=True)
class ProfileMapping:
    """How the records of profile ``source`` map to the records of profile ``target``."""

    source: str
    target: str
    image: Callable[[dict[str, Any]], dict[str, Any] | None]
    """The expected image of a record of ``source``, or ``None`` where there is none."""
    losses: tuple[str, ...]
    """What the image does not keep, or keeps only approximately."""


#: v1 statuses to the design card's; Skipped and Unknown have no counterpart, Overflowed is
#: a failure (run_status.go: "This must be RunStatusFailed with an appropriate error code").
V1_TO_DESIGN_CARD_STATUS = {
    "Scheduled": "QUEUED",
    "Running": "RUNNING",
    "Completed": "COMPLETED",
    "Failed": "FAILED",
    "Cancelled": "CANCELLED",
    "Overflowed": "FAILED",
}


def _v1_to_design_card(record: dict[str, Any]) -> dict[str, Any] | None:
    status = V1_TO_DESIGN_CARD_STATUS.get(record["status"])
    output = record.get("output")
    if status is None or (output is not None and not isinstance(output, dict)):
        return None
    image: dict[str, Any] = {
        "run_id": record["run_id"],
        "function_id": record["function_id"],
        "status": status,
    }
    if record.get("event_id") is not None:
        image["event_id"] = record["event_id"]
    if status != "QUEUED":
        image["started_at"] = record["run_started_at"]
    if record.get("ended_at") is not None:
        image["ended_at"] = record["ended_at"]
    if output is not None:
        image["output"] = output
    return image


#: The mappings, by ``(source, target)``.
MAPPINGS: dict[tuple[str, str], ProfileMapping] = {
    ("inngest-v1", "design-card"): ProfileMapping(
        "inngest-v1",
        "design-card",
        _v1_to_design_card,
        (
            "environment_id, function_version, batch_id, original_run_id and cron are "
            "dropped (the design card's record is closed)",
            "Overflowed becomes FAILED; Skipped and Unknown have no image",
            "a non-object output has no image (the design card's output is an object)",
            "a null event_id, ended_at or output becomes absent",
            "run_started_at becomes started_at, except while Scheduled (QUEUED carries none)",
        ),
    ),
}
