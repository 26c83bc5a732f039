"""The wire protocol, shared by the adapters that reach an implementation over a pipe or HTTP.

Both transports carry the same JSON objects, so the requests they send and the checks
they apply to answers live here once: an answer of the wrong shape must read the same
whether it came down a pipe or over HTTP.  A transport only has to turn one request
object into one decoded JSON answer (:meth:`WireAdapter._exchange`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from inngest_conformance._vocabulary import ROLES
from inngest_conformance.errors import UsageError

from .base import Answer, Description, ImplementationError, LifecycleAnswer, Unsupported

SNIPPET_LIMIT = 200
#: Bytes of what a service sent unasked that a message quotes.
SNIPPET_BYTES = SNIPPET_LIMIT
#: Bytes of an answer a report's ``detail`` keeps, at most.
EXCERPT_BYTES = 8192
#: The largest answer (a line, or an HTTP body) read by default: far more than any
#: answer to the kit's cases needs, far less than what exhausts memory.
DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024


#: The longest timeout accepted: a day.  (Longer ones overflow the clocks they are
#: waited on, and no answer is worth waiting longer for.)
MAX_TIMEOUT = 86400.0


def timeout_seconds(text: str, option: str, *, zero: bool = False) -> float:
    """``text`` as a timeout: a number of seconds above 0 (or 0 itself, when ``zero``), at
    most :data:`MAX_TIMEOUT`; a bad value is a usage error naming ``option``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if (value >= 0 if zero else value > 0) and value <= MAX_TIMEOUT:
        return value
    least = "0 or more" if zero else "above 0"
    raise UsageError(
        f"{option} {text!r} is not a number of seconds {least}, at most {MAX_TIMEOUT:g}"
    )


def megabytes(text: str, option: str) -> int:
    """``text``, a number of MiB above 0 (a fraction is fine: ``0.5``), as bytes; a bad
    value is a :class:`~inngest_conformance.errors.UsageError` naming ``option``."""
    try:
        mb = float(text)
    except ValueError:
        mb = math.nan
    if not 0 < mb < math.inf:
        raise UsageError(f"{option} {text!r} is not a number of MiB above 0, e.g. 16 or 0.5")
    return max(1, int(mb * 1024 * 1024))


def cut_snippet(head: bytes) -> str:
    """The start of an answer too long to keep, quoted for a one-line message."""
    return snippet(head[:SNIPPET_LIMIT]) + " (cut)"


def oversized(head: bytes, size: int, limit: int, verb: str) -> str:
    """What a report's detail keeps of an answer over the size limit: its first bytes and
    how much of it there was, never the answer itself."""
    excerpt = head[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return (
        f"{excerpt}\n\n(the first {min(len(head), EXCERPT_BYTES)} of {size} bytes {verb}; "
        f"the answer size limit is {limit} bytes)"
    )


def snippet(text: str | bytes, limit: int = SNIPPET_LIMIT) -> str:
    """``text`` quoted for a one-line message, cut to ``limit`` characters."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if len(text) > limit:
        return repr(text[:limit]) + f" (cut, {len(text)} characters in all)"
    return repr(text)


def _quote_json(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return snippet(text)


def op_label(request: Any) -> str:
    op = request.get("op") if isinstance(request, dict) else None
    return f"{{op: {op}}}"


def seconds(value: float) -> str:
    return repr(float(value))


class WireAdapter:
    """An implementation reached through the wire protocol; subclasses supply the transport."""

    def __init__(self) -> None:
        self.ever_answered = False
        self.warnings: list[str] = []
        self.declares_concurrent = False
        """Whether describe answered ``"concurrent": true`` (it may take requests at once)."""

    @property
    def concurrent(self) -> bool:
        """Whether requests may be sent from several threads at once (the concurrency
        level): when describe answered ``"concurrent": true``."""
        return self.declares_concurrent

    @property
    def not_concurrent(self) -> str:
        """Why not, when they may not: the level is then reported as not judged."""
        return (
            f'{self.display_name} does not declare "concurrent": true in its describe '
            "answer, so it is sent one request at a time"
        )

    # Transport -------------------------------------------------------------------------

    def _exchange(self, request: dict[str, Any]) -> Any:
        """Send one request, return the decoded JSON answer, or raise ImplementationError."""
        raise NotImplementedError

    @property
    def display_name(self) -> str:
        raise NotImplementedError

    @property
    def launch_command(self) -> str:
        return ""

    def close(self) -> None:
        """Release the transport; overridden by transports that hold something."""

    def __enter__(self) -> WireAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # Protocol --------------------------------------------------------------------------

    def _ask(self, request: dict[str, Any], expected_key: str) -> dict[str, Any]:
        answer = self._exchange(request)
        if not isinstance(answer, dict):
            raise ImplementationError(
                f"protocol error: answered {_quote_json(answer)} to {op_label(request)}; "
                "expected a JSON object",
                request=request,
            )
        if expected_key not in answer and "error" in answer:
            message = answer["error"]
            raise Unsupported(message if isinstance(message, str) else json.dumps(message))
        return answer

    def _shape_error(
        self, request: dict[str, Any], answer: Any, expected: str
    ) -> ImplementationError:
        return ImplementationError(
            f"protocol error: answered {_quote_json(answer)} to {op_label(request)}; "
            f"expected {expected}",
            detail=json.dumps(answer, ensure_ascii=False)[:8192],
            request=request,
        )

    def describe(self) -> Description:
        request: dict[str, Any] = {"op": "describe"}
        try:
            answer = self._ask(request, "implementation")
        except Unsupported:
            return Description(
                name=self.display_name,
                roles=("validator",),
                command=self.launch_command,
                roles_declared=False,
            )
        expected = (
            '{"implementation": {"name": .., "version": .., "language": ..}, '
            '"roles": ["validator", ..]}'
        )
        impl = answer.get("implementation")
        roles = answer.get("roles")
        if (
            not isinstance(impl, dict)
            or not isinstance(impl.get("name"), str)
            or not impl["name"]
            or not all(isinstance(impl.get(k, ""), str) for k in ("version", "language"))
            or not isinstance(roles, list)
            or not all(isinstance(r, str) for r in roles)
        ):
            raise self._shape_error(request, answer, expected)
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise ImplementationError(
                f"protocol error: describe named unknown role {unknown[0]!r} "
                f"(known roles: {', '.join(ROLES)})",
                request=request,
            )
        self.declares_concurrent = answer.get("concurrent") is True
        return Description(
            name=impl["name"],
            version=impl.get("version", ""),
            language=impl.get("language", ""),
            roles=tuple(dict.fromkeys(roles)),
            command=self.launch_command,
        )

    def validate(self, record: Any) -> Answer:
        request = {"op": "validate", "record": record}
        answer = self._ask(request, "valid")
        valid = answer.get("valid")
        errors = answer.get("errors", [])
        if (
            not isinstance(valid, bool)
            or not isinstance(errors, list)
            or not all(isinstance(e, str) for e in errors)
        ):
            raise self._shape_error(
                request, answer, '{"valid": true} or {"valid": false, "errors": ["..."]}'
            )
        return Answer(valid=valid, errors=tuple(errors))

    def reset(self) -> None:
        request = {"op": "reset"}
        answer = self._ask(request, "ok")
        if answer.get("ok") is not True:
            if answer.get("ok") is False:
                raise ImplementationError(
                    f"reset refused: {snippet(str(answer.get('error', '')))}", request=request
                )
            raise self._shape_error(request, answer, '{"ok": true}')

    def _lifecycle(self, request: dict[str, Any]) -> LifecycleAnswer:
        answer = self._ask(request, "ok")
        ok = answer.get("ok")
        expected = '{"ok": true, "record": {..}} or {"ok": false, "error": ".."}'
        if ok is True:
            if "record" not in answer:
                raise self._shape_error(request, answer, expected)
            return LifecycleAnswer(ok=True, record=answer["record"])
        error = answer.get("error", "")
        if ok is not False or not isinstance(error, str):
            raise self._shape_error(request, answer, expected)
        return LifecycleAnswer(ok=False, error=error)

    def create(self, record: dict[str, Any]) -> LifecycleAnswer:
        return self._lifecycle({"op": "create", "record": record})

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> LifecycleAnswer:
        request: dict[str, Any] = {"op": "transition", "run_id": run_id, "status": status, "at": at}
        if output is not None:
            request["output"] = output
        return self._lifecycle(request)

    def get(self, run_id: str) -> LifecycleAnswer:
        return self._lifecycle({"op": "get", "run_id": run_id})
