"""The HTTP adapter: against the kit's harness served over HTTP, and against tiny servers
that misbehave (5xx, bodies that are not JSON, wrong shapes, slowness, dropped
connections)."""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
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

from tests.common import RECORD, harness
from tests.fakes import ENV, TARGETS, fake_targets

#: No test here leaves a child process running.
pytestmark = pytest.mark.usefixtures("no_leftover_children")


@pytest.fixture
def harness_url() -> Iterator[str]:
    proc = subprocess.Popen(
        harness(f"{TARGETS}:Store", "--http", "127.0.0.1:0"),
        env={**os.environ, **ENV},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:"), proc.stderr.read()  # type: ignore[union-attr]
        yield first.split()[-1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


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
