"""Record profiles: the packaged schema and lifecycle table of each record shape a run has.

The design card's run schema is the kit's default, but it is not what Inngest's APIs
return: the REST v1 run is snake_case with TitleCase statuses, the v2 run camelCase with
``id`` for the run's id.  Someone who stores, shows or converts runs the platform sends
needs those shapes, so each ships here as a *record profile* -- a schema and a lifecycle
table, written from Inngest's own published documents (each schema's ``$comment`` cites
the files and commits) -- chosen by name wherever a schema or a table path is accepted
(``--schema inngest-v1``).  A value that is exactly a profile's name is that profile; a
file of the same name is reached as ``./inngest-v1``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from inngest_conformance.strategies._lifecycle_model import LifecycleModel
from inngest_conformance.strategies._lifecycle_table import lifecycle_from_dict

if TYPE_CHECKING:
    from inngest_conformance.strategies._schema import RunSchema

__all__ = ["DEFAULT_PROFILE", "RECORD_PROFILES", "RecordProfile", "profile_named", "profile_of"]


@dataclass(frozen=True, slots=True)
class RecordProfile:
    """One packaged record shape: its name, what it is, and its two data files."""

    name: str
    title: str
    """What the records are, in a few words (shown by ``audit`` and in the README)."""
    schema_file: str
    """The schema, relative to the strategies package."""
    lifecycle_file: str
    """The lifecycle table, relative to the strategies package."""

    def schema(self) -> RunSchema:
        """The profile's schema, analysed once."""
        return _schema(self.schema_file)

    def lifecycle(self, schema: RunSchema | None = None) -> LifecycleModel:
        """The profile's lifecycle table, held to ``schema`` (by default its own)."""
        return lifecycle_from_dict(_document(self.lifecycle_file), schema=schema or self.schema())

    def document(self) -> dict[str, Any]:
        """The schema document, a fresh copy."""
        return _document(self.schema_file)


#: The profiles, by name; the first is the kit's default (the design card's schema).
RECORD_PROFILES: dict[str, RecordProfile] = {
    p.name: p
    for p in (
        RecordProfile(
            "design-card",
            "the design card's InngestRun record (the kit's default)",
            "data/inngest-run.schema.json",
            "data/lifecycle.json",
        ),
        RecordProfile(
            "inngest-v1",
            "the REST API v1 run (GET /v1/runs/{runID}, GET /v1/events/{eventID}/runs)",
            "data/profiles/inngest-v1.schema.json",
            "data/profiles/inngest-v1.lifecycle.json",
        ),
        RecordProfile(
            "inngest-v2",
            "the REST API v2 run (GET /runs/{runId})",
            "data/profiles/inngest-v2.schema.json",
            "data/profiles/inngest-v2.lifecycle.json",
        ),
    )
}
DEFAULT_PROFILE = "design-card"


def profile_named(value: object) -> RecordProfile | None:
    """The profile ``value`` names exactly (a string), or ``None`` (a path, say)."""
    return RECORD_PROFILES.get(value) if isinstance(value, str) else None


def profile_of(schema: RunSchema) -> RecordProfile | None:
    """The profile whose schema ``schema`` is (the same document, by its hash), if any."""
    return next((p for p in RECORD_PROFILES.values() if p.schema().sha256 == schema.sha256), None)


def _document(name: str) -> dict[str, Any]:
    return dict(json.loads(_text(name)))


@functools.cache
def _text(name: str) -> str:
    return (resources.files("inngest_conformance.strategies") / name).read_text("utf-8")


@functools.cache
def _schema(name: str) -> RunSchema:
    from inngest_conformance.strategies._schema import schema_from_dict

    return schema_from_dict(_document(name))
