"""The HTTP adapter: against the kit's harness served over HTTP, and against tiny servers
that misbehave (5xx, bodies that are not JSON, wrong shapes, slowness, dropped
connections)."""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from inngest_conformance._adapters import (
    Answer,
    HttpAdapter,
    ImplementationError,
    LifecycleAnswer,
    PythonAdapter,
    Unsupported,
)
from inngest_conformance.harness import make_http_server

from tests.common import RECORD, serving
from tests.fakes import ENV, TARGETS, fake_targets

#: No test here leaves a child process running.
pytestmark = pytest.mark.usefixtures("no_leftover_children")


@pytest.fixture
def harness_url() -> Iterator[str]:
    with serving(f"{TARGETS}:Store", env={**os.environ, **ENV}) as url:
        yield url


def test_http_against_the_python_harness(harness_url: str) -> None:
    with HttpAdapter(harness_url, timeout=3.0) as adapter:
        described = adapter.describe()
        assert described.name == f"{TARGETS}.Store"
        assert described.roles == ("validator", "lifecycle")
        assert adapter.validate({"status": 1}) == Answer(valid=True)
        adapter.reset()
        assert adapter.create(RECORD).ok
        assert adapter.create(RECORD) == LifecycleAnswer(ok=False, error="run 'r1' exists")
        assert adapter.transition("r1", "RUNNING", "2024-01-01T00:00:00Z").ok
        assert adapter.get("r1").record["status"] == "RUNNING"
        for _ in range(50):
            assert adapter.validate({"status": 1}).valid
        assert adapter.ever_answered
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({"explode": True})
        assert caught.value.reason.startswith("HTTP 500 Internal Server Error to {op: validate}")
        assert "raised KeyError: 'status'" in caught.value.reason
        assert "Traceback" in caught.value.detail
        assert adapter.validate({"status": 1}).valid


def test_http_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    adapter = HttpAdapter(url)
    with pytest.raises(ImplementationError) as caught:
        adapter.describe()
    expected = f"cannot connect to {url}: connection refused (is the service running?)"
    assert caught.value.reason == expected
    assert not adapter.ever_answered
    adapter.close()


@contextlib.contextmanager
def tiny_server(
    status: int,
    body: bytes,
    *,
    delay: float = 0.0,
    close_each: bool = False,
    clients: set[tuple[str, int]] | None = None,
) -> Iterator[str]:
    seen: set[tuple[str, int]] = set() if clients is None else clients

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            seen.add(self.client_address)
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if close_each:
                # Drop the connection although keep-alive was promised.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/run"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_http_5xx_is_an_implementation_error() -> None:
    with tiny_server(500, b"<h1>Internal Server Error</h1>") as url:
        adapter = HttpAdapter(url)
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        adapter.close()
    assert caught.value.reason == (
        "HTTP 500 Internal Server Error to {op: validate}: '<h1>Internal Server Error</h1>'"
    )
    assert caught.value.detail == "<h1>Internal Server Error</h1>"


def test_http_body_that_is_not_json() -> None:
    with tiny_server(200, b"<html>hello</html>") as url:
        adapter = HttpAdapter(url)
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        adapter.close()
    assert caught.value.reason == (
        "protocol error: HTTP 200 with a body that is not JSON: '<html>hello</html>'"
    )


def test_http_wrong_shape_and_unsupported_answers() -> None:
    with (
        tiny_server(200, b'{"valid": "yes"}') as url,
        HttpAdapter(url) as adapter,
        pytest.raises(ImplementationError, match="protocol error: answered"),
    ):
        adapter.validate({})
    with tiny_server(404, b'{"error": "no such op"}') as url, HttpAdapter(url) as adapter:
        with pytest.raises(Unsupported, match="no such op"):
            adapter.reset()
        assert adapter.describe().name == url
    with (
        tiny_server(404, b"Not Found") as url,
        HttpAdapter(url) as adapter,
        pytest.raises(ImplementationError, match="HTTP 404 Not Found to"),
    ):
        adapter.reset()


def test_http_timeout() -> None:
    with tiny_server(200, b'{"valid": true}', delay=1.0) as url:
        adapter = HttpAdapter(url, timeout=0.3)
        with pytest.raises(ImplementationError, match=r"no answer within 0\.3 s to \{op: validate"):
            adapter.validate({})
        adapter.close()


def test_http_keeps_the_connection_alive() -> None:
    clients: set[tuple[str, int]] = set()
    with tiny_server(200, b'{"valid": true}', clients=clients) as url, HttpAdapter(url) as adapter:
        for _ in range(5):
            assert adapter.validate({}).valid
    assert len(clients) == 1


def test_http_reconnects_when_the_server_drops_a_kept_alive_connection() -> None:
    clients: set[tuple[str, int]] = set()
    with (
        tiny_server(200, b'{"valid": true}', close_each=True, clients=clients) as url,
        HttpAdapter(url) as adapter,
    ):
        for _ in range(5):
            assert adapter.validate({}).valid
    assert len(clients) == 5


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://", "http://127.0.0.1:99999/"]
)
def test_http_urls_are_checked_up_front(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        HttpAdapter(url)


def test_make_http_server_in_process() -> None:
    server = make_http_server(PythonAdapter(fake_targets.has_status), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with HttpAdapter(url) as adapter:
            assert adapter.validate({"status": 1}).valid
            assert adapter.describe().roles == ("validator",)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Hostile services: a raw socket on loopback, bounded in time and memory ---------------

Talk = Callable[[socket.socket, threading.Event], None]


@contextlib.contextmanager
def raw_server(talk: Talk) -> Iterator[str]:
    """A loopback service that reads each request and then does ``talk`` on the socket
    (until the test ends: ``stop`` is set then)."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    talkers: list[threading.Thread] = []

    def talk_on(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5.0)
            while not stop.is_set() and b"\r\n\r\n" not in conn.recv(65536):
                pass  # the request's body comes with its headers: it is small
            talk(conn, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            talker = threading.Thread(target=talk_on, args=(conn,), daemon=True)
            talker.start()
            talkers.append(talker)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        acceptor.join(timeout=5)
        listener.close()
        for talker in talkers:
            talker.join(timeout=5)


def drip(data: bytes) -> Talk:
    def talk(conn: socket.socket, stop: threading.Event) -> None:
        for byte in data:
            conn.sendall(bytes([byte]))
            if stop.wait(0.1):  # one byte every 0.1 s: every read is quick, none ends
                return

    return talk


def endless_chunks(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    for _ in range(1024):  # 64 MiB: bounded should the kit keep it all
        if stop.is_set():
            return
        conn.sendall(chunk)


def answers_twice(conn: socket.socket, stop: threading.Event) -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n" + b'{"valid": true}'
    conn.sendall(response)
    stop.wait(0.05)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n" + b'{"valid": false}')
    stop.wait(5)


HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"


@pytest.mark.parametrize(
    "talk",
    [drip(HEADERS + b'{"valid": true}'), drip(HEADERS[:-4] + b"X-Pad: " + b"x" * 200)],
    ids=["headers", "header-without-end"],
)
def test_http_a_service_dripping_its_headers_is_cut_off(talk: Talk) -> None:
    """Once never: each byte came well within the timeout, which bounded each read."""
    with raw_server(talk) as url, HttpAdapter(url, timeout=0.5) as adapter:
        started = time.monotonic()
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        assert time.monotonic() - started < 1.5
    assert caught.value.reason == "no answer within 0.5 s to {op: validate}"


def test_http_a_service_dripping_its_body_is_cut_off() -> None:
    body = b'{"valid": true, "pad": "' + b"x" * 100 + b'"}'
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()

    def talk(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(head)
        drip(body)(conn, stop)

    with raw_server(talk) as url, HttpAdapter(url, timeout=0.5) as adapter:
        started = time.monotonic()
        with pytest.raises(ImplementationError, match=r"^no answer within 0\.5 s to \{op: valid"):
            adapter.validate({})
        assert time.monotonic() - started < 1.5


def test_http_an_endless_chunked_body_costs_bounded_memory() -> None:
    limit = 1024 * 1024
    with raw_server(endless_chunks) as url, HttpAdapter(url, max_answer_bytes=limit) as adapter:
        tracemalloc.start()
        try:
            with pytest.raises(ImplementationError) as caught:
                adapter.validate({})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 4 * limit, peak
    assert caught.value.reason == (
        f"protocol error: {url} answered more than 1048576 bytes (the answer size limit) "
        f"to {{op: validate}}: '{'x' * 200}' (cut)"
    )
    assert caught.value.detail.endswith(
        "\n\n(the first 8192 of 1048577 bytes read; the answer size limit is 1048576 bytes)"
    )


def test_http_a_body_announced_over_the_limit_is_not_read() -> None:
    def talk(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n{")
        stop.wait(5)

    with raw_server(talk) as url, HttpAdapter(url, timeout=3.0) as adapter:
        started = time.monotonic()
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        assert time.monotonic() - started < 1.0
    assert caught.value.reason == (
        f"protocol error: {url} announced a body of 1000000000000 bytes, more than "
        "16777216 (the answer size limit), to {op: validate}"
    )


def test_http_a_second_response_is_never_the_next_requests_answer() -> None:
    with raw_server(answers_twice) as url, HttpAdapter(url) as adapter:
        assert adapter.validate({}).valid
        time.sleep(0.3)  # the second response is there before the next request
        with pytest.raises(ImplementationError) as caught:
            adapter.validate({})
        assert caught.value.reason.startswith(
            f"protocol error: {url} answered {{op: validate}} twice (it sent "
            "'HTTP/1.1 200 OK\\r\\nContent-Length: 16"
        )
        assert caught.value.reason.endswith("after its response, before the next request)")
