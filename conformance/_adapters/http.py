"""Drive an implementation that runs as an HTTP service: each request object is POSTed.

For implementations that are already services, or that are awkward to start as a child
process.  One keep-alive connection is reused for every request, since a connection per
request would cost more than most validations.  Anything that is not a protocol answer --
refused connection, timeout, a 5xx, a body that is not JSON -- is an
:class:`ImplementationError` naming the status and quoting the body.

A service is as untrusted as a harness: the timeout bounds a whole exchange (connecting,
sending, the status line, the headers and the body), not each read, so a service that
drips one byte a second is cut off like one that never answers; a body is read only up
to the answer size limit; and bytes a service sends on a kept-alive connection before the
next request (a second response) are a protocol error, never the next request's answer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from inngest_conformance.errors import UsageError

from .base import ImplementationError
from .wire import (
    DEFAULT_MAX_ANSWER_BYTES,
    EXCERPT_BYTES,
    SNIPPET_BYTES,
    WireAdapter,
    cut_snippet,
    op_label,
    oversized,
    seconds,
    snippet,
)

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_CHUNK = 65536


class _Watchdog:
    """Shuts a socket down when the exchange using it outlives its deadline.

    One thread per adapter, started with the first exchange, never one per request:
    arming it is a lock and an assignment.  A socket shut down makes the read or write
    blocked on it return at once, whatever the service is doing.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sock: socket.socket | None = None
        self._deadline = 0.0
        self._fired = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket | None, deadline: float) -> None:
        with self._cond:
            self._sock, self._deadline, self._fired = sock, deadline, False
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="conformance-http-watchdog"
                )
                self._thread.start()
            self._cond.notify()

    def watch(self, sock: socket.socket | None) -> None:
        """The exchange's socket, once it is connected."""
        with self._cond:
            self._sock = sock
            if self._fired:
                self._shut()

    def disarm(self) -> bool:
        """Stop watching; whether the deadline passed meanwhile."""
        with self._cond:
            self._sock = None
            self._deadline = 0.0
            return self._fired

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None
            self._closed = False

    def _shut(self) -> None:
        if self._sock is not None:
            # The plain socket's shutdown, also under TLS: it only stops the transfer.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._deadline or self._fired:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self._fired = True
                self._shut()


class HttpAdapter(WireAdapter):
    """An implementation answering the wire protocol's JSON objects POSTed to ``url``.

    A request sent on a reused connection that the server had meanwhile closed (an idle
    keep-alive timeout) is sent once more on a new connection.  ``timeout`` bounds each
    whole exchange, ``max_answer_bytes`` each response body.
    """

    def __init__(
        self, url: str, *, timeout: float = 5.0, max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    ) -> None:
        super().__init__()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UsageError(
                f"the URL must start with http:// or https://, got {url!r}; "
                "e.g. http://127.0.0.1:8080/"
            )
        if not parts.hostname:
            raise UsageError(f"the URL {url!r} names no host; e.g. http://127.0.0.1:8080/")
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"the URL {url!r} has an invalid port") from None
        self.url = url
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._watchdog = _Watchdog()
        self._answered_op: str | None = None
        """The op of the last request answered on the current connection."""

    @property
    def display_name(self) -> str:
        return self.url

    def client_adapters(self, n: int) -> list[HttpAdapter]:
        """``n`` adapters to the same URL, each with a connection of its own: one per
        concurrent client (requests on one keep-alive connection go one at a time)."""
        return [
            HttpAdapter(self.url, timeout=self.timeout, max_answer_bytes=self.max_answer_bytes)
            for _ in range(n)
        ]

    def close(self) -> None:
        with self._lock:
            self._drop()
        self._watchdog.close()

    def __enter__(self) -> HttpAdapter:
        return self

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._answered_op = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self.timeout)
        return self._conn

    def _unsolicited(self, conn: http.client.HTTPConnection) -> bytes | None:
        """What the service sent on the idle connection since its last response: ``None``
        when nothing, ``b""`` when it closed the connection (to be reopened)."""
        sock = conn.sock
        if sock is None or self._https:
            # Under TLS the raw bytes may be the session's own (a ticket), not a response.
            return None
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        if not poller.poll(0):
            return None
        try:
            sent = sock.recv(SNIPPET_BYTES, socket.MSG_PEEK)
        except OSError:
            return b""
        # A service may say goodbye to an idle connection before closing it.
        return b"" if sent.startswith(b"HTTP/1.1 408 ") else sent

    def _exchange(self, request: dict[str, Any]) -> Any:
        body = json.dumps(request).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        with self._lock:
            if self._conn is not None:
                sent = self._unsolicited(self._conn)
                if sent:
                    answered = self._answered_op or "a request"
                    self._drop()
                    raise ImplementationError(
                        f"protocol error: {self.url} answered {answered} twice (it sent "
                        f"{snippet(sent)} after its response, before the next request)",
                        detail=sent.decode("utf-8", errors="replace"),
                        request=request,
                    )
                if sent == b"":
                    self._drop()
            deadline = time.monotonic() + self.timeout
            self._watchdog.arm(None, deadline)
            try:
                status, reason, data = self._post(body, headers, request, deadline)
            finally:
                fired = self._watchdog.disarm()
            if fired:
                self._drop()
                raise ImplementationError(
                    f"no answer within {seconds(self.timeout)} s to {op_label(request)}",
                    request=request,
                )
            if status < 0:
                raise ImplementationError(reason, request=request)
            self._answered_op = op_label(request)
        return self._decode(status, reason, data, request)

    def _post(
        self, body: bytes, headers: dict[str, str], request: dict[str, Any], deadline: float
    ) -> tuple[int, str, bytes]:
        """One POST and its response: ``(status, reason, body)``, or ``(-1, why, b"")``
        when there was no response (the connection is then dropped)."""
        for attempt in range(2):
            reused = self._conn is not None and self._conn.sock is not None
            conn = self._connection()
            try:
                if conn.sock is None:
                    conn.connect()
                self._watchdog.watch(conn.sock)
                if conn.sock is not None:
                    conn.sock.settimeout(max(0.001, deadline - time.monotonic()))
                conn.request("POST", self._path, body, headers)
                response = conn.getresponse()
                data = self._read_body(response, request)
            except _STALE:
                self._drop()
                if reused and attempt == 0 and time.monotonic() < deadline:
                    continue
                return (
                    -1,
                    f"{self.url} closed the connection without answering {op_label(request)}",
                    b"",
                )
            except TimeoutError:
                self._drop()
                return -1, f"no answer within {seconds(self.timeout)} s to {op_label(request)}", b""
            except ConnectionRefusedError:
                self._drop()
                return (
                    -1,
                    f"cannot connect to {self.url}: connection refused (is the service running?)",
                    b"",
                )
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                return -1, f"request to {self.url} failed: {type(exc).__name__}: {exc}", b""
            if response.will_close:
                self._drop()
            return response.status, response.reason, data
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_body(self, response: http.client.HTTPResponse, request: dict[str, Any]) -> bytes:
        """The body, read in pieces up to the answer size limit."""
        limit = self.max_answer_bytes
        if response.length is not None and response.length > limit:
            self._drop()
            raise ImplementationError(
                f"protocol error: {self.url} announced a body of {response.length} bytes, "
                f"more than {limit} (the answer size limit), to {op_label(request)}",
                request=request,
            )
        data = bytearray()
        while chunk := response.read(min(_CHUNK, limit + 1 - len(data))):
            data += chunk
            if len(data) > limit:
                self._drop()
                raise ImplementationError(
                    f"protocol error: {self.url} answered more than {limit} bytes (the "
                    f"answer size limit) to {op_label(request)}: "
                    f"{cut_snippet(bytes(data[:SNIPPET_BYTES]))}",
                    detail=oversized(bytes(data[:EXCERPT_BYTES]), len(data), limit, "read"),
                    request=request,
                )
        return bytes(data)

    def _decode(self, status: int, reason: str, data: bytes, request: dict[str, Any]) -> Any:
        text = data.decode("utf-8", errors="replace")
        answer: Any = None
        try:
            answer = json.loads(data)
            is_json = True
        except (ValueError, RecursionError):
            is_json = False
        if 200 <= status < 300:
            if not is_json:
                raise ImplementationError(
                    f"protocol error: HTTP {status} with a body that is not JSON: {snippet(text)}",
                    detail=text[:8192],
                    request=request,
                )
            self.ever_answered = True
            return answer
        if 400 <= status < 500 and is_json and isinstance(answer, dict) and "error" in answer:
            # A protocol refusal ({"error": ..}) sent with a 4xx status is still an answer.
            self.ever_answered = True
            return answer
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        quoted = snippet(lines[0]) + (" (first line)" if len(lines) > 1 else "") if lines else "''"
        raise ImplementationError(
            f"HTTP {status} {reason} to {op_label(request)}: {quoted}",
            detail=text[:8192],
            request=request,
        )
