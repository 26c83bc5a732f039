"""Reading a lifecycle table: from a mapping, a JSON or TOML file, or the packaged default.

A table has ``initial`` (a status), ``transitions`` (status -> the statuses it may move
to) and optionally ``terminal``, ``keywords``, ``absent`` and ``fields``.  Every way a
table can be wrong is refused here with a :class:`LifecycleError` naming the offending
value and what to write instead; the rules a well-formed table must still follow
(reachability, terminal statuses that are final) are the model's own
(:class:`~._lifecycle_model.LifecycleModel`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inngest_conformance._encode import one_line, short_repr
from inngest_conformance.errors import LifecycleError
from inngest_conformance.strategies._files import read_text
from inngest_conformance.strategies._lifecycle_model import FIELDS, Fields, LifecycleModel
from inngest_conformance.strategies._limits import JSON_HOOKS, check_document

if TYPE_CHECKING:
    from inngest_conformance.strategies._schema import RunSchema

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["default_lifecycle", "lifecycle_from_dict", "load_lifecycle"]

_KEYS = ("initial", "terminal", "transitions", "keywords", "absent", "fields")


def _status_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise LifecycleError(
            f"lifecycle table has {short_repr(value)} in {where}, which is not a status name; "
            "use a non-empty string"
        )
    return value


def _status_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise LifecycleError(
            f"lifecycle table's {where} must be a list of status names, got {short_repr(value)}; "
            f'write e.g. ["COMPLETED", "FAILED"]'
        )
    return [_status_name(v, f"{where}[{i}]") for i, v in enumerate(value)]


def lifecycle_from_dict(
    data: Mapping[str, Any],
    *,
    statuses: Sequence[str] | None = None,
    schema: RunSchema | None = None,
) -> LifecycleModel:
    """Validate a lifecycle table (the parsed JSON or TOML file) and build its model.

    ``data`` has ``initial`` (a status), ``transitions`` (status -> list of statuses) and
    optionally ``terminal`` (a list; by default the statuses with no outgoing transitions),
    ``keywords`` (record invariant -> ``MUST`` or ``SHOULD``, overriding
    :data:`INVARIANTS`), ``absent`` (status -> the properties a record in it does not
    carry; by default a new run carries none of :data:`DEFAULT_ABSENT_ON_CREATE`) and
    ``fields`` (a part of :data:`FIELDS` -> the property that plays it, for a record
    shaped differently from the run record); no other keys.  When ``statuses`` (the
    schema's enum) is given, every status the table names must be in it, and it becomes
    the model's :attr:`~LifecycleModel.statuses`; statuses of the enum the table never
    names are allowed and reported as :attr:`~LifecycleModel.unused`.  ``schema`` gives
    ``statuses`` (the enum of the property ``fields`` names for the status) and must have
    every property ``fields`` names.  See :class:`LifecycleModel` for the rules a table must
    follow.  Anything wrong raises :class:`LifecycleError` naming the offending value.
    """
    if not isinstance(data, Mapping):
        raise LifecycleError(
            f"lifecycle table must be a mapping with keys 'initial', 'transitions' and "
            f"optionally 'terminal', got {type(data).__name__} {short_repr(data)}"
        )
    check_document(data, "lifecycle table", LifecycleError)
    for key in data:
        if key not in _KEYS:
            raise LifecycleError(
                f"lifecycle table has unknown key {short_repr(key)}; the only keys are 'initial', "
                "'transitions', and optionally 'terminal', 'keywords', 'absent' and 'fields'"
            )
    if "initial" not in data:
        raise LifecycleError(
            'lifecycle table has no \'initial\' status; add one, e.g. "initial": "QUEUED"'
        )
    if "transitions" not in data:
        raise LifecycleError(
            "lifecycle table has no 'transitions'; add a mapping from each status to the "
            'statuses it may move to, e.g. "transitions": {"QUEUED": ["RUNNING"]}'
        )
    initial = _status_name(data["initial"], "initial")
    raw_transitions = data["transitions"]
    if not isinstance(raw_transitions, Mapping):
        raise LifecycleError(
            f"lifecycle table's transitions must be a mapping from status to a list of "
            f"statuses, got {short_repr(raw_transitions)}"
        )
    transitions: list[tuple[str, list[str]]] = []
    for key, value in raw_transitions.items():
        source = _status_name(key, "transitions")
        transitions.append((source, _status_list(value, f"transitions[{source!r}]")))
    terminal = None if "terminal" not in data else _status_list(data["terminal"], "terminal")
    keywords = _keywords(data.get("keywords", {}))
    absent = None if "absent" not in data else _absent(data["absent"])
    fields = Fields() if "fields" not in data else _fields(data["fields"])
    if schema is not None:
        for part, name in dict(data.get("fields", {})).items():
            if isinstance(name, str) and name and not schema.has(name):
                raise LifecycleError(
                    f"lifecycle table's fields[{part!r}] names property {name!r}, which the "
                    f"schema does not have; its properties are {', '.join(schema.names)}"
                )
        named_status = dict(data.get("fields", {})).get("status")
        if isinstance(named_status, str) and not schema.statuses_of(named_status):
            # Without an enum the states are the table's alone, and nothing ties the
            # property's values to them: a store would be judged against statuses the
            # schema never spoke of.
            raise LifecycleError(
                f"lifecycle table's fields['status'] names property {named_status!r}, which "
                "has no enum of status names in the schema; the status property's enum is "
                'the lifecycle\'s states: give it one, e.g. "enum": ["QUEUED", "RUNNING"]'
            )
        if statuses is None:
            statuses = schema.statuses_of(fields.status) or None
        _check_id(schema, fields.run_id)

    mentions: list[tuple[str, str]] = [(initial, "initial")]
    for source, targets in transitions:
        mentions.append((source, "transitions"))
        mentions.extend((t, f"transitions[{source!r}]") for t in targets)
    if terminal is not None:
        mentions.extend((t, f"terminal[{i}]") for i, t in enumerate(terminal))

    if statuses is None:
        order = tuple(dict.fromkeys(s for s, _ in mentions))
    else:
        if isinstance(statuses, str):
            raise LifecycleError(
                f"statuses must be the schema's enum (a list of names), got the string "
                f"{short_repr(statuses)}"
            )
        order = tuple(statuses)
        if len(set(order)) != len(order):
            twice = next(s for i, s in enumerate(order) if s in order[:i])
            raise LifecycleError(
                f"the schema's enum lists status {short_repr(twice)} twice; list each status once"
            )
        enum = set(order)
        for status, where in mentions:
            if status not in enum:
                raise LifecycleError(
                    f"lifecycle table names status {status!r} in {where}, which the schema's "
                    f"enum does not have ({', '.join(order)}); use one of those or add it to "
                    "the schema's enum"
                )

    pairs = frozenset((a, b) for a, targets in transitions for b in targets)
    if terminal is None:
        has_exit = {a for a, _ in pairs}
        named = dict.fromkeys(s for s, _ in mentions)
        if initial not in has_exit:
            raise LifecycleError(
                f"initial status {initial!r} has no outgoing transitions, so a run could never "
                f"leave it; add transitions[{initial!r}]"
            )
        terminal = [s for s in named if s not in has_exit]
    return LifecycleModel(
        statuses=order,
        initial=initial,
        terminal=frozenset(terminal),
        transitions=pairs,
        keywords=keywords,
        absent=absent,
        fields=fields,
    )


def _keywords(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise LifecycleError(
            f"lifecycle table's keywords must map a record invariant to MUST or SHOULD, got "
            f'{short_repr(value)}; write e.g. "keywords": {{"keeps-output": "MUST"}}'
        )
    return tuple(sorted((str(k), v) for k, v in value.items()))


def _absent(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise LifecycleError(
            "lifecycle table's absent must map a status to the properties a record in it does "
            f'not carry, got {short_repr(value)}; write e.g. "absent": {{"QUEUED": ["output"]}}'
        )
    out = []
    for key, props in value.items():
        status = _status_name(key, "absent")
        if isinstance(props, str) or not isinstance(props, Sequence):
            raise LifecycleError(
                f"lifecycle table's absent[{status!r}] must be a list of property names, got "
                f'{short_repr(props)}; write e.g. ["started_at", "ended_at"]'
            )
        out.append((status, tuple(props)))
    return tuple(sorted(out))


def _check_id(schema: RunSchema, name: Any) -> None:
    """A run's id is a key the kit files runs under: a string, a number or another scalar."""
    if not isinstance(name, str) or not schema.has(name):
        return
    spec = schema.spec(name)
    if spec.enum is None and (not spec.types or {"array", "object"} & set(spec.types)):
        kinds = ", ".join(spec.types) if spec.types else "any JSON value"
        raise LifecycleError(
            f"the run's id, property {name!r}, may hold {kinds}; an id must be a string or "
            'a number: give it a "type" such as "string"'
        )


def _fields(value: Any) -> Fields:
    example = '"fields": {"run_id": "span_id", "started_at": "start_time"}'
    if not isinstance(value, Mapping):
        raise LifecycleError(
            "lifecycle table's fields must map a part of the lifecycle to the property that "
            f"plays it, got {short_repr(value)}; write e.g. {example}"
        )
    for part in value:
        if part not in FIELDS:
            raise LifecycleError(
                f"lifecycle table's fields has unknown part {short_repr(part)}; the parts are "
                f"{', '.join(FIELDS)} (e.g. {example})"
            )
    return Fields(**{str(k): v for k, v in value.items()})


def _reject_duplicate_keys(path: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise LifecycleError(
                    f"{path}: key {key!r} appears twice in one JSON object; merge the entries"
                )
            out[key] = value
        return out

    return hook


def load_lifecycle(
    path: str | os.PathLike[str],
    *,
    statuses: Sequence[str] | None = None,
    schema: RunSchema | None = None,
) -> LifecycleModel:
    """Load a lifecycle table from a ``.toml`` file, or JSON (``.json`` or any other suffix).

    A file that cannot be read or parsed, or whose table is invalid, raises
    :class:`LifecycleError` naming the path.  A JSON object that repeats a key is rejected
    too: JSON parsers would otherwise silently keep only the last of, say, two ``RUNNING``
    entries in ``transitions``.
    """
    name = os.fspath(path)
    text = read_text(name, "lifecycle table", LifecycleError)
    data: Any
    if Path(name).suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise LifecycleError(
                f"cannot parse lifecycle table {name} as TOML: {one_line(str(err))}"
            ) from err
        except RecursionError:
            raise _too_deep(name) from None
    else:
        try:
            data = json.loads(text, object_pairs_hook=_reject_duplicate_keys(name), **JSON_HOOKS)
        except json.JSONDecodeError as err:
            raise LifecycleError(
                f"cannot parse lifecycle table {name} as JSON: {one_line(str(err))}"
            ) from err
        except RecursionError:
            raise _too_deep(name) from None
    try:
        return lifecycle_from_dict(data, statuses=statuses, schema=schema)
    except LifecycleError as err:
        raise LifecycleError(f"{name}: {err}") from err


def _too_deep(name: str) -> LifecycleError:
    return LifecycleError(
        f"cannot parse lifecycle table {name}: it nests deeper than Python's parser goes "
        "(about a thousand levels); a table is a few levels deep"
    )


@lru_cache(maxsize=1)
def _default_table() -> str:
    return (
        resources.files("inngest_conformance.strategies") / "data" / "lifecycle.json"
    ).read_text("utf-8")


def default_lifecycle(
    *, statuses: Sequence[str] | None = None, schema: RunSchema | None = None
) -> LifecycleModel:
    """The packaged lifecycle table (``strategies/data/lifecycle.json``)."""
    return lifecycle_from_dict(json.loads(_default_table()), statuses=statuses, schema=schema)
