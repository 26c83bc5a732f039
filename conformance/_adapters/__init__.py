"""Adapters: one implementation under test, whatever its language, behind one API.

* :class:`PythonAdapter` -- a Python object in this process (``--target MOD:OBJ``);
* :class:`ProcessAdapter` -- a program speaking JSON Lines on stdin/stdout (``--command``);
* :class:`HttpAdapter` -- a service answering the same JSON objects over HTTP (``--url``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._encode import clip, one_line
from ..errors import TargetError, UsageError
from .base import (
    Adapter,
    Answer,
    Description,
    ImplementationError,
    LifecycleAdapter,
    LifecycleAnswer,
    StartError,
    Unsupported,
    ValidatorAdapter,
)
from .http import HttpAdapter
from .process import ProcessAdapter
from .python import PythonAdapter, load_target, rejection_classes
from .wire import DEFAULT_MAX_ANSWER_BYTES

__all__ = [
    "Adapter",
    "AdapterSpec",
    "Answer",
    "Description",
    "HttpAdapter",
    "ImplementationError",
    "LifecycleAdapter",
    "LifecycleAnswer",
    "ProcessAdapter",
    "PythonAdapter",
    "StartError",
    "TargetError",
    "Unsupported",
    "ValidatorAdapter",
    "load_target",
    "open_adapter",
    "rejection_classes",
]


def follow(
    obj: object, schema: str | None, lifecycle: str | None = None, draft: str | None = None
) -> object:
    """``obj`` made to follow the run's schema and lifecycle table, by its hooks.

    An in-process implementation that reads whatever schema it is given (the reference
    validator and store do) defines ``for_schema(schema)`` (a ``RunSchema``) and returns
    the implementation for that schema; a store may define ``for_lifecycle(model)`` (a
    ``LifecycleModel``) likewise.  When the run names a schema (``--schema``) or a table
    (``--lifecycle``) and ``obj`` has the hook, it is called, so that certifying it against
    another schema or table judges it against that one; otherwise ``obj`` is used as it is.
    A record profile's schema (``--schema inngest-v1``) names its table too.
    """
    if isinstance(obj, type) or (schema is None and lifecycle is None):
        return obj
    from inngest_conformance.strategies import resolve_lifecycle, resolve_schema
    from inngest_conformance.strategies._record_profiles import DEFAULT_PROFILE, profile_of

    if lifecycle is None and schema is not None:
        # A record profile's schema brings its own table, as the run's context has it.
        profile = profile_of(resolve_schema(schema, draft))
        if profile is not None and profile.name != DEFAULT_PROFILE:
            lifecycle = profile.name
    steps = (
        ("for_schema", schema, lambda: resolve_schema(str(schema), draft)),
        (
            "for_lifecycle",
            lifecycle,
            lambda: resolve_lifecycle(lifecycle, resolve_schema(schema, draft)),
        ),
    )
    for name, path, argument in steps:
        hook = getattr(obj, name, None)
        if path is None or not callable(hook):
            continue
        try:
            obj = hook(argument())
        except Exception as exc:
            raise TargetError(
                f"{type(obj).__name__}.{name}({path!r}) failed: {type(exc).__name__}: "
                + clip(one_line(str(exc)), 400)
            ) from exc
    return obj


def open_adapter(
    *,
    target: str | None = None,
    command: str | None = None,
    url: str | None = None,
    obj: Any = None,
    request_timeout: float = 5.0,
    startup_timeout: float = 10.0,
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    rejects_with: Sequence[str] = (),
    schema: str | None = None,
    lifecycle: str | None = None,
    draft: str | None = None,
) -> Adapter:
    """An adapter for exactly one of ``target``, ``command``, ``url`` or ``obj``.

    ``rejects_with`` names (``"MOD:CLASS"``) exception classes a Python implementation
    raises to refuse, besides ``ValueError`` and ``jsonschema.ValidationError``;
    ``request_timeout`` bounds each whole answer and ``max_answer_bytes`` its size, for a
    program or a service.
    """
    given = [
        k
        for k, v in (("target", target), ("command", command), ("url", url), ("obj", obj))
        if v is not None
    ]
    if len(given) != 1:
        raise UsageError(
            "name exactly one implementation: --target MOD:OBJ, --command CMD or --url URL"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if rejects_with and target is None and obj is None:
        raise UsageError(
            "--rejects-with names a Python exception class: it applies to --target only "
            '(a program or service refuses with {"ok": false} or {"valid": false})'
        )
    rejections = rejection_classes(rejects_with)
    if target is not None:
        loaded = follow(load_target(target), schema, lifecycle, draft)
        return PythonAdapter(loaded, name=target, rejections=rejections)
    if obj is not None:
        return PythonAdapter(obj, rejections=rejections)
    if command is not None:
        return ProcessAdapter(
            command,
            startup_timeout=startup_timeout,
            request_timeout=request_timeout,
            max_answer_bytes=max_answer_bytes,
        )
    assert url is not None
    return HttpAdapter(url, timeout=request_timeout, max_answer_bytes=max_answer_bytes)


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """How to open an implementation, again or in another process: what
    :func:`open_adapter` is given (a Python target by its ``MOD:OBJ`` name, never the
    object)."""

    target: str | None = None
    command: str | None = None
    url: str | None = None
    request_timeout: float = 5.0
    startup_timeout: float = 10.0
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    rejects_with: tuple[str, ...] = ()
    schema: str | None = None
    """The run's ``--schema`` (a path; ``None``: the packaged schema), for a Python target
    that follows the schema it is certified against (see :func:`follow`)."""
    lifecycle: str | None = None
    """The run's ``--lifecycle`` (a path; ``None``: the packaged table), likewise."""
    draft: str | None = None
    """The run's ``--draft``: the draft of a schema without ``$schema``."""

    def open(self) -> Adapter:
        return open_adapter(
            schema=self.schema,
            lifecycle=self.lifecycle,
            draft=self.draft,
            target=self.target,
            command=self.command,
            url=self.url,
            request_timeout=self.request_timeout,
            startup_timeout=self.startup_timeout,
            max_answer_bytes=self.max_answer_bytes,
            rejects_with=self.rejects_with,
        )
