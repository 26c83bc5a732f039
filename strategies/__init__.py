"""Hypothesis strategies for Inngest run records, derived from the run schema.

>>> from hypothesis import given
>>> from inngest_conformance.strategies import runs, invalid_runs
>>> @given(runs())
... def test_my_validator_accepts(record): assert my_validator(record)
>>> @given(invalid_runs())
... def test_my_validator_rejects(case): assert not my_validator(case.record)

Everything here is derived from a schema document (the packaged run schema by default) and
a lifecycle table (the packaged default by default); pass your own to follow a newer schema.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from inngest_conformance.strategies._drafts import DIALECTS, DRAFTS, read_draft
from inngest_conformance.strategies._invalid import (
    OPERATORS,
    InvalidCase,
    Target,
    Violation,
    gen_invalid,
    label_holds,
    targets,
    unbuilt,
)
from inngest_conformance.strategies._lifecycle_model import (
    Fields,
    LifecycleError,
    LifecycleModel,
)
from inngest_conformance.strategies._lifecycle_table import (
    default_lifecycle,
    lifecycle_from_dict,
    load_lifecycle,
)
from inngest_conformance.strategies._mappings import MAPPINGS, ProfileMapping
from inngest_conformance.strategies._oracle import Oracle, OracleError, default_oracle
from inngest_conformance.strategies._record_profiles import (
    DEFAULT_PROFILE,
    RECORD_PROFILES,
    RecordProfile,
    profile_named,
    profile_of,
)
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._rfc3339 import datetime_error, is_rfc3339_datetime
from inngest_conformance.strategies._schema import (
    PropertySpec,
    RunSchema,
    SchemaError,
    default_schema,
    load_schema,
    schema_from_dict,
)
from inngest_conformance.strategies._source import HypothesisSource, RandomSource, Source, strategy
from inngest_conformance.strategies._status_sequences import (
    SequenceViolation,
    check_observed,
    check_sequence,
    gen_invalid_status_sequence,
    gen_status_sequence,
)

__all__ = [
    "DRAFTS",
    "MAPPINGS",
    "OPERATORS",
    "RECORD_PROFILES",
    "Fields",
    "HypothesisSource",
    "InvalidCase",
    "LifecycleError",
    "LifecycleModel",
    "Oracle",
    "OracleError",
    "ProfileMapping",
    "PropertySpec",
    "RandomSource",
    "RecordProfile",
    "RunSchema",
    "SchemaError",
    "SequenceViolation",
    "Source",
    "Target",
    "Violation",
    "check_observed",
    "check_sequence",
    "datetime_error",
    "default_lifecycle",
    "default_oracle",
    "default_schema",
    "invalid_runs",
    "invalid_status_sequences",
    "is_rfc3339_datetime",
    "label_holds",
    "lifecycle_from_dict",
    "load_lifecycle",
    "load_schema",
    "mapped_runs",
    "resolve_lifecycle",
    "resolve_schema",
    "runs",
    "schema_from_dict",
    "status_sequences",
    "targets",
]

SchemaLike = RunSchema | Mapping[str, Any] | str | os.PathLike[str] | None
ModelLike = LifecycleModel | Mapping[str, Any] | str | os.PathLike[str] | None


def resolve_schema(schema: SchemaLike, draft: str | None = None) -> RunSchema:
    """A :class:`RunSchema` from an analysed schema, a document, a record profile's name
    (:data:`RECORD_PROFILES`: ``"inngest-v1"``), or a path; a document without ``$schema``
    is read as ``draft`` (one of :data:`DRAFTS`; default 2020-12)."""
    if schema is None:
        if draft is not None:
            read_draft(default_schema().document, draft)
        return default_schema()
    profile = profile_named(schema)
    if profile is not None:
        if draft is not None:
            read_draft(profile.schema().document, draft)  # a profile is of draft 2020-12
        return profile.schema()
    if isinstance(schema, RunSchema):
        if draft is not None and draft != schema.draft:
            read_draft({"$schema": DIALECTS[schema.draft]}, draft)  # type: ignore[index]
        return schema
    if isinstance(schema, Mapping):
        return schema_from_dict(dict(schema), draft)
    if isinstance(schema, (str, os.PathLike)):
        return load_schema(schema, draft)
    raise InvalidArgument(f"schema={schema!r} must be a RunSchema, a schema dict or a path")


def resolve_lifecycle(model: ModelLike, schema: RunSchema | None = None) -> LifecycleModel:
    """A :class:`LifecycleModel` from a model, a table, a record profile's name, or a path
    (JSON or TOML).

    A table is held to ``schema`` (by default the packaged one): the statuses it names are
    the enum of the status property, and the properties its ``fields`` name are the
    schema's.  With no table, a record profile's schema brings its own.
    """
    schema = schema or default_schema()
    profile = profile_named(model) if model is not None else profile_of(schema)
    if profile is not None and profile.name != DEFAULT_PROFILE:
        return profile.lifecycle(schema)
    if model is None or profile is not None:
        # A record without the run's id and status (an event, a span) has no lifecycle
        # requirements: the packaged table is not held to its enum.
        if not (schema.has("run_id") and schema.has("status")):
            return default_lifecycle()
        return default_lifecycle(schema=schema)
    if isinstance(model, LifecycleModel):
        return model
    if isinstance(model, Mapping):
        return lifecycle_from_dict(model, schema=schema)
    if isinstance(model, (str, os.PathLike)):
        return load_lifecycle(model, schema=schema)
    raise InvalidArgument(f"model={model!r} must be a LifecycleModel, a table or a path")


def _check_length(max_length: int) -> None:
    if not isinstance(max_length, int) or max_length < 1:
        raise InvalidArgument(f"max_length={max_length!r} must be a positive integer")


def runs(
    schema: SchemaLike = None, *, common_datetimes: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid run records: every enum value often, each optional property present and absent,
    realistic ids and timestamps mixed with adversarial strings, deep outputs and outputs
    shaped like records.

    Date-times take every valid RFC 3339 form unless ``common_datetimes=True`` restricts them
    to the common form ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (years 1970-2099, at most 6 fraction
    digits).  Shrinks towards the required properties only, the first enum value and empty
    strings.
    """
    return strategy(gen_record, resolve_schema(schema), common_datetimes=common_datetimes)


def mapped_runs(
    source: str, target: str, *, common_datetimes: bool = False
) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs ``(record, image)``: a valid record of record profile ``source`` and what a
    converter to profile ``target`` should make of it (:data:`MAPPINGS`), drawn only where
    the mapping is total.  Certify a converter with
    ``@given(mapped_runs("inngest-v1", "design-card"))`` and ``convert(record) == image``;
    :attr:`ProfileMapping.losses` says what the image does not keep.  Shrinks as
    :func:`runs` does."""
    mapping = MAPPINGS.get((source, target))
    if mapping is None:
        known = ", ".join(f"{a} -> {b}" for a, b in MAPPINGS)
        raise InvalidArgument(f"no mapping from {source!r} to {target!r}; there is {known}")
    image = mapping.image
    pairs = runs(source, common_datetimes=common_datetimes).map(lambda r: (r, image(r)))
    return pairs.filter(lambda pair: pair[1] is not None)  # type: ignore[return-value]


def invalid_runs(
    schema: SchemaLike = None,
    *,
    rules: Sequence[str] | None = None,
    properties: Sequence[str] | None = None,
    levels: Sequence[str] | None = None,
) -> st.SearchStrategy[InvalidCase]:
    """Invalid documents, each an :class:`InvalidCase` with ``.record`` and ``.violation``.

    ``rules`` (operator names, see ``OPERATORS``), ``properties`` and ``levels``
    (``"schema"``, ``"format"``) narrow what is generated.  Every value but the broken one
    is plain (realistic ids, common date-times, empty objects), so a rejection can only be
    for the label; every case is re-checked with the oracle, so its label is still true
    after shrinking.
    """
    resolved = resolve_schema(schema)
    if rules is not None:
        unknown = [r for r in rules if r not in OPERATORS]
        if unknown:
            raise InvalidArgument(
                f"rules={list(rules)!r}: unknown rule {unknown[0]!r}; known: {', '.join(OPERATORS)}"
            )
    if properties is not None:
        unknown = [p for p in properties if not resolved.has(p)]
        if unknown:
            raise InvalidArgument(f"properties: the schema has no property {unknown[0]!r}")
    among = targets(resolved, rules=rules, properties=properties, levels=levels)
    if not among:
        raise InvalidArgument("no invalidation applies to that choice of rules/properties/levels")
    built = tuple(t for t in among if unbuilt(resolved, t) is None)
    if not built:
        raise InvalidArgument(f"{among[0].name}: {unbuilt(resolved, among[0])}")
    among = built
    oracle = Oracle(resolved)
    return strategy(gen_invalid, resolved, among=among).filter(lambda c: label_holds(oracle, c))


def status_sequences(
    model: ModelLike = None, *, max_length: int = 8
) -> st.SearchStrategy[list[str]]:
    """Legal status sequences: walks of the lifecycle model from its initial state."""
    _check_length(max_length)
    return strategy(gen_status_sequence, resolve_lifecycle(model), max_length=max_length)


def invalid_status_sequences(
    model: ModelLike = None, *, max_length: int = 8
) -> st.SearchStrategy[tuple[list[str], SequenceViolation]]:
    """Illegal status sequences, each with the :class:`SequenceViolation` at its first bad step."""
    _check_length(max_length)
    return strategy(gen_invalid_status_sequence, resolve_lifecycle(model), max_length=max_length)
