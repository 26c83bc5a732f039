"""Drive an implementation that runs as an HTTP service: each request object is POSTed.

For implementations that are already services, or that are awkward to start as a child
process.  One keep-alive connection is reused for every request, since a connection per
request would cost more than most validations.  Anything that is not a protocol answer --
refused connection, timeout, a 5xx, a body that is not JSON -- is an
:class:`ImplementationError` naming the status and quoting the body.
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from inngest_conformance.errors import UsageError

from .base import ImplementationError
from .wire import WireAdapter, op_label, seconds, snippet

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class HttpAdapter(WireAdapter):
    """An implementation answering the wire protocol's JSON objects POSTed to ``url``.

    A request sent on a reused connection that the server had meanwhile closed (an idle
    keep-alive timeout) is sent once more on a new connection.
    """

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
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
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    @property
    def display_name(self) -> str:
        return self.url

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> HttpAdapter:
        return self

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self.timeout)
        return self._conn

    def _exchange(self, request: dict[str, Any]) -> Any:
        body = json.dumps(request).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        with self._lock:
            for attempt in range(2):
                reused = self._conn is not None and self._conn.sock is not None
                conn = self._connection()
                try:
                    conn.request("POST", self._path, body, headers)
                    response = conn.getresponse()
                    data = response.read()
                except _STALE:
                    self._drop()
                    if reused and attempt == 0:
                        continue
                    raise ImplementationError(
                        f"{self.url} closed the connection without answering {op_label(request)}",
                        request=request,
                    ) from None
                except TimeoutError:
                    self._drop()
                    raise ImplementationError(
                        f"no answer within {seconds(self.timeout)} s to {op_label(request)}",
                        request=request,
                    ) from None
                except ConnectionRefusedError:
                    self._drop()
                    raise ImplementationError(
                        f"cannot connect to {self.url}: connection refused "
                        "(is the service running?)",
                        request=request,
                    ) from None
                except (OSError, http.client.HTTPException) as exc:
                    self._drop()
                    raise ImplementationError(
                        f"request to {self.url} failed: {type(exc).__name__}: {exc}",
                        request=request,
                    ) from None
                break
            if response.will_close:
                self._drop()
        return self._decode(response.status, response.reason, data, request)

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
