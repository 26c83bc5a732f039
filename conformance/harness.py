"""Serve a Python implementation over the wire protocol, on stdin/stdout or over HTTP.

``python -m inngest_conformance.harness --target MODULE:OBJECT`` puts any object that
:class:`~inngest_conformance._adapters.python.PythonAdapter` accepts behind the same protocol a
harness in another language speaks, so that a Python implementation can be certified
out of process (isolated from the kit, as a service, or to measure what the protocol
itself costs) without writing a harness for it.

A bad request line never ends the server: it is answered ``{"error": ..}``.  An
implementation that *crashes* has no protocol answer, so over stdin/stdout the harness
prints the traceback to stderr and exits with status 1, as any crashing harness would,
and over HTTP it answers 500 with the traceback.  Either way the adapter on the other
side reports a crash, never a rejection.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from ._adapters.base import Adapter, ImplementationError, Unsupported
from ._adapters.python import PythonAdapter, load_target
from .errors import TargetError

__all__ = [
    "handle_request",
    "main",
    "make_http_server",
    "serve_stdio",
]

OPS = ("describe", "validate", "reset", "create", "transition", "get")


def _missing(op: str, request: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
    absent = [k for k in keys if k not in request]
    if absent:
        return {"error": f"{op} needs {', '.join(repr(k) for k in absent)}"}
    return None


def handle_request(adapter: Adapter, request: Any) -> dict[str, Any]:
    """The protocol answer to one decoded request, echoing the request's ``id`` if it has
    one (so that the kit can match the answer to its request).

    :class:`ImplementationError` propagates: the caller decides how a crash is reported.
    """
    answer = _answer(adapter, request)
    if isinstance(request, dict) and "id" in request:
        answer["id"] = request["id"]
    return answer


def _answer(adapter: Adapter, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict) or not isinstance(request.get("op"), str):
        return {"error": 'a request is a JSON object with an "op", e.g. {"op": "describe"}'}
    op = request["op"]
    try:
        if op == "describe":
            d = adapter.describe()
            return {
                "implementation": {"name": d.name, "version": d.version, "language": d.language},
                "roles": list(d.roles),
            }
        if op == "validate":
            return (
                _missing(op, request, ("record",)) or adapter.validate(request["record"]).to_json()
            )
        if op == "reset":
            adapter.reset()
            return {"ok": True}
        if op == "create":
            return _missing(op, request, ("record",)) or adapter.create(request["record"]).to_json()
        if op == "transition":
            return (
                _missing(op, request, ("run_id", "status", "at"))
                or adapter.transition(
                    request["run_id"], request["status"], request["at"], request.get("output")
                ).to_json()
            )
        if op == "get":
            return _missing(op, request, ("run_id",)) or adapter.get(request["run_id"]).to_json()
    except Unsupported as exc:
        return {"error": str(exc) or f"{op} is not supported"}
    return {"error": f"unknown op {op!r}; the ops are {', '.join(OPS)}"}


def _decode(line: str | bytes) -> tuple[Any, dict[str, Any] | None]:
    try:
        return json.loads(line), None
    except (ValueError, RecursionError) as exc:
        return None, {"error": f"the request is not JSON: {exc}"}


def _declaring(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` saying, when it is describe's, that requests may come at once."""
    return {**answer, "concurrent": True} if "implementation" in answer else answer


def _crash_text(exc: ImplementationError) -> str:
    return f"{exc.detail.rstrip()}\nharness: the implementation {exc.reason}\n"


def serve_stdio(
    adapter: Adapter,
    stdin: IO[str],
    stdout: IO[str],
    stderr: IO[str] | None = None,
    *,
    concurrent: bool = False,
) -> int:
    """Answer JSON Lines from ``stdin`` on ``stdout`` until end of input.

    Returns the exit status: 0 at end of input, 1 after the implementation crashed (the
    reason and traceback are written to ``stderr``, by default ``sys.stderr``).  With
    ``concurrent``, each request is handled on a thread of its own as it comes (at most
    :data:`MAX_AT_ONCE` at a time), answers go out as they are ready, each echoing its
    request's id, and describe answers ``"concurrent": true``.
    """
    err = sys.stderr if stderr is None else stderr
    if concurrent:
        return _serve_stdio_at_once(adapter, stdin, stdout, err)
    while line := stdin.readline():
        if not line.strip():
            continue
        request, answer = _decode(line)
        if answer is None:
            try:
                answer = handle_request(adapter, request)
            except ImplementationError as exc:
                err.write(_crash_text(exc))
                err.flush()
                return 1
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()
    return 0


#: Requests handled at once by ``serve_stdio(..., concurrent=True)``; the next line is read
#: when one of them is done.
MAX_AT_ONCE = 64


def _serve_stdio_at_once(adapter: Adapter, stdin: IO[str], stdout: IO[str], err: IO[str]) -> int:
    out = threading.Lock()
    slots = threading.Semaphore(MAX_AT_ONCE)
    ended = threading.Event()
    crashed: list[ImplementationError] = []

    def write(answer: dict[str, Any]) -> None:
        with out:
            stdout.write(json.dumps(answer) + "\n")
            stdout.flush()

    def handle(request: Any) -> None:
        try:
            answer = _declaring(handle_request(adapter, request))
        except ImplementationError as exc:
            with out:
                if not crashed:
                    crashed.append(exc)
                    err.write(_crash_text(exc))
                    err.flush()
            ended.set()  # a crashed harness exits, as the one-at-a-time one does
            return
        finally:
            slots.release()
        write(answer)

    def read() -> None:
        workers = []
        while not ended.is_set() and (line := stdin.readline()):
            if not line.strip():
                continue
            request, refusal = _decode(line)
            if refusal is not None:
                write(refusal)
                continue
            slots.acquire()
            worker = threading.Thread(target=handle, args=(request,), daemon=True)
            worker.start()
            workers.append(worker)
        for worker in workers:
            worker.join()
        ended.set()

    # The reader is a thread of its own so that a crash ends the harness at once, not at
    # the next line it would read.
    threading.Thread(target=read, daemon=True, name="harness-stdin").start()
    ended.wait()
    return 1 if crashed else 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


def make_http_server(
    adapter: Adapter, host: str, port: int, *, concurrent: bool = False
) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) that answers requests POSTed to any path.

    Calls into ``adapter`` are serialised (implementations need not be thread-safe) unless
    ``concurrent``: then each request is handled on its own thread as it comes, and
    ``describe`` answers ``"concurrent": true``, so the kit races the implementation.
    """
    lock: contextlib.AbstractContextManager[Any] = (
        contextlib.nullcontext() if concurrent else threading.Lock()
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "inngest-conformance-harness"

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 405:
                self.send_header("Allow", "POST")
            self.end_headers()
            self.wfile.write(body)

        def _send_json(self, status: int, answer: dict[str, Any]) -> None:
            self._send(status, json.dumps(answer).encode(), "application/json")

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or "")
                if length < 0:
                    raise ValueError(length)
            except ValueError:
                self.close_connection = True
                self._send_json(411, {"error": "send the request with a Content-Length"})
                return
            request, answer = _decode(self.rfile.read(length))
            if answer is not None:
                self._send_json(400, answer)
                return
            try:
                with lock:
                    answer = handle_request(adapter, request)
                if concurrent:
                    answer = _declaring(answer)
            except ImplementationError as exc:
                text = f"the implementation {exc.reason}\n\n{exc.detail}"
                self._send(500, text.encode(), "text/plain; charset=utf-8")
                return
            self._send_json(200, answer)

        def do_GET(self) -> None:
            self._send_json(405, {"error": "POST wire-protocol requests as JSON to this URL"})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server_class = _Server6 if ":" in host else _Server
    return server_class((host, port), Handler)


def is_loopback(address: str) -> bool:
    """Whether a bound address is reachable only from this machine."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _host_port(text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, e.g. 127.0.0.1:0, got {text!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inngest_conformance.harness",
        description="Serve a Python implementation over the conformance wire protocol.",
    )
    parser.add_argument(
        "--target",
        required=True,
        metavar="MODULE:OBJECT",
        help="the implementation, e.g. mypkg.checks:validate_run",
    )
    parser.add_argument("--name", help="the name to describe it by")
    parser.add_argument(
        "--http",
        type=_host_port,
        metavar="HOST:PORT",
        help="serve HTTP on this address only, instead of stdin/stdout (port 0 picks a free "
        "port); a warning on stderr when it is not a loopback address",
    )
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="handle requests at once, each on its own thread, and declare it in describe, "
        "so that the concurrency level races the implementation (it must be thread-safe); "
        "over stdin/stdout answers then come as they are ready, each echoing its request's id",
    )
    args = parser.parse_args(argv)

    # What the implementation prints must not land in the protocol stream.
    protocol_out = sys.stdout
    sys.stdout = sys.stderr
    try:
        adapter = PythonAdapter(load_target(args.target), name=args.name)
    except TargetError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 2

    if args.http is None:
        stdin = sys.stdin
        if hasattr(stdin, "reconfigure"):
            stdin.reconfigure(encoding="utf-8", errors="replace")
        return serve_stdio(adapter, stdin, protocol_out, concurrent=args.concurrent)

    host, port = args.http
    try:
        server = make_http_server(adapter, host, port, concurrent=args.concurrent)
    except OSError as exc:
        print(f"harness: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    if not is_loopback(bound_host):
        print(
            f"harness: warning: serving {args.target} on {bound_host}:{bound_port}, which is "
            "not a loopback address: anyone who can reach this port can call it; bind "
            "127.0.0.1 unless that is what you want",
            file=sys.stderr,
            flush=True,
        )
    print(f"listening on http://{shown}:{bound_port}/", file=protocol_out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
