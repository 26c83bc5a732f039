"""What the engine needs from an implementation under test, whatever it is written in.

An adapter turns one implementation (a Python object, a program speaking the wire
protocol, an HTTP service) into these calls.  An answer the implementation *gave* is a
value (:class:`Answer`, :class:`LifecycleAnswer`); an implementation that crashed, hung or
talked garbage raises :class:`ImplementationError` instead, so that the engine can mark the
case ``errored`` and never mistake a crash for a rejection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Description:
    """Who the implementation says it is (``describe`` in the wire protocol)."""

    name: str
    version: str = ""
    language: str = ""
    roles: tuple[str, ...] = ()
    command: str = ""
    roles_declared: bool = True
    """False when ``roles`` is a guess (a harness without ``describe``), not its word."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        for key in ("version", "language", "command"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.roles:
            out["roles"] = list(self.roles)
        return out


@dataclass(frozen=True, slots=True)
class Answer:
    """A validator's judgement of one record."""

    valid: bool
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid}
        if self.errors:
            out["errors"] = list(self.errors)
        return out


@dataclass(frozen=True, slots=True)
class LifecycleAnswer:
    """A lifecycle operation's result: accepted with the record, or refused with a reason."""

    ok: bool
    record: Any = None
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok}
        if self.ok:
            out["record"] = self.record
        elif self.error:
            out["error"] = self.error
        return out


class ImplementationError(Exception):
    """The implementation did not give an answer: it crashed, hung, or answered garbage.

    ``reason`` is one line for the report; ``detail`` keeps what helps a reader find the
    cause (a traceback, the tail of stderr, the offending line).  (Not a frozen dataclass:
    Python sets ``__traceback__`` and notes on exceptions as they propagate.)
    """

    def __init__(self, reason: str, detail: str = "", request: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.request = request

    def __str__(self) -> str:
        return self.reason

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImplementationError):
            return NotImplemented
        return (self.reason, self.detail) == (other.reason, other.detail)

    def __hash__(self) -> int:
        return hash((self.reason, self.detail))


class StartError(ImplementationError):
    """The implementation could not be started at all: its program is missing or not
    executable, or its working folder does not exist.  A mistake in how it was named
    rather than a misbehaviour, so a run refuses to start on it instead of judging."""


class Unsupported(Exception):
    """The implementation says it does not support an operation (``{"error": ..}``)."""


@runtime_checkable
class ValidatorAdapter(Protocol):
    def validate(self, record: Any) -> Answer: ...


@runtime_checkable
class LifecycleAdapter(Protocol):
    def reset(self) -> None: ...

    def create(self, record: dict[str, Any]) -> LifecycleAnswer: ...

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> LifecycleAnswer: ...

    def get(self, run_id: str) -> LifecycleAnswer: ...


class Adapter(Protocol):
    """Every adapter: both roles' methods (raising :class:`Unsupported` where absent), and
    what a run says of the implementation besides its answers."""

    warnings: list[str]
    """What the adapter noticed that the report should say (a banner skipped, a restart,
    a ``describe`` without a usable answer); a run appends to it too."""

    @property
    def display_name(self) -> str:
        """How a report names the implementation when it does not name itself: its
        Python name, its command or its URL."""
        ...

    @property
    def launch_command(self) -> str:
        """The command line that starts the implementation, or ``""`` when the kit does
        not start it (a Python object, a service already running)."""
        ...

    def describe(self) -> Description: ...

    def validate(self, record: Any) -> Answer: ...

    def reset(self) -> None: ...

    def create(self, record: dict[str, Any]) -> LifecycleAnswer: ...

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> LifecycleAnswer: ...

    def get(self, run_id: str) -> LifecycleAnswer: ...

    def close(self) -> None: ...
