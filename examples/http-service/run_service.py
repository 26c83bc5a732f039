"""A small HTTP service that keeps runs: a JSON API, and a conformance endpoint for testing.

The API::

    POST /runs                      {"run_id": .., "function_id": .., "status": "QUEUED", ..}
    GET  /runs/{run_id}             (the id percent-encoded)
    POST /runs/{run_id}/transitions {"status": "RUNNING", "at": "2024-05-01T12:00:00Z"}

answers the run's record as JSON (201 on create, 200 otherwise), or ``{"error": ..}`` with
400 (malformed request), 404 (no such run) or 409 (the lifecycle forbids it).

Started with ``--conformance-endpoint``, the service also answers the inngest-conformance
wire protocol POSTed to ``/conformance``, so that ``inngest-conformance certify --url
http://HOST:PORT/conformance`` can certify the store behind the API.  The endpoint goes
through the same :class:`RunService` methods as the API; it adds ``reset``, which is why it
is off unless asked for.

``python run_service.py --port 0`` picks a free port and prints the URL it listens on.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import threading
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

NAME, VERSION = "run-service", "0.1.0"
INITIAL = "QUEUED"
TRANSITIONS: dict[str, frozenset[str]] = {
    "QUEUED": frozenset({"RUNNING", "CANCELLED"}),
    "RUNNING": frozenset({"PAUSED", "COMPLETED", "FAILED", "CANCELLED"}),
    "PAUSED": frozenset({"RUNNING", "CANCELLED"}),
}
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
FIELDS = frozenset(
    {"run_id", "function_id", "app_id", "status", "event_id", "output", "started_at", "ended_at"}
)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z",
    re.ASCII,
)

Reply = tuple[HTTPStatus, dict[str, Any]]


class Refused(Exception):
    """A request the service answers with an error status."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def instant(text: Any) -> datetime:
    """An RFC 3339 date-time as an aware ``datetime``; a leap second counts as :59."""
    match = _DATETIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise Refused(HTTPStatus.BAD_REQUEST, f"{text!r} is not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7) or "", match.group(8)
    micros = int((fraction[1:] + "000000")[:6]) if fraction else 0
    tz = timezone.utc
    if offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), micros, tzinfo=tz)
    except ValueError as exc:
        raise Refused(HTTPStatus.BAD_REQUEST, f"{text!r} is not a date-time: {exc}") from None


class RunService:
    """The runs, in memory, behind one lock (the server answers on many threads)."""

    def __init__(self) -> None:
        self._runs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._runs.clear()

    def create(self, record: Any) -> dict[str, Any]:
        if not isinstance(record, dict):
            raise Refused(HTTPStatus.BAD_REQUEST, "a run is a JSON object")
        unknown = sorted(set(record) - FIELDS)
        if unknown:
            raise Refused(HTTPStatus.BAD_REQUEST, f"unknown properties: {unknown}")
        for key in ("run_id", "function_id"):
            if not isinstance(record.get(key), str):
                raise Refused(HTTPStatus.BAD_REQUEST, f"{key} must be a string")
        if record.get("status") != INITIAL:
            raise Refused(HTTPStatus.CONFLICT, f"a new run must be {INITIAL}")
        if "started_at" in record or "ended_at" in record:
            raise Refused(HTTPStatus.CONFLICT, "a new run has not started yet")
        with self._lock:
            if record["run_id"] in self._runs:
                raise Refused(HTTPStatus.CONFLICT, f"run {record['run_id']!r} exists already")
            self._runs[record["run_id"]] = copy.deepcopy(record)
            return copy.deepcopy(record)

    def transition(self, run_id: str, change: Any) -> dict[str, Any]:
        if not isinstance(change, dict) or not isinstance(change.get("status"), str):
            raise Refused(HTTPStatus.BAD_REQUEST, 'a transition is {"status": .., "at": ..}')
        status, at, output = change["status"], change.get("at"), change.get("output")
        when = instant(at)
        if output is not None and not isinstance(output, dict):
            raise Refused(HTTPStatus.BAD_REQUEST, "output must be a JSON object")
        with self._lock:
            run = self._run(run_id)
            if status not in TRANSITIONS.get(run["status"], frozenset()):
                raise Refused(HTTPStatus.CONFLICT, f"cannot go from {run['status']} to {status!r}")
            started = run.get("started_at")
            if started is not None and when < instant(started):
                raise Refused(HTTPStatus.CONFLICT, f"'at' {at} is before started_at {started}")
            if started is None and status not in TERMINAL:
                run["started_at"] = at
            if status in TERMINAL:
                run["ended_at"] = at
            if output is not None:
                run["output"] = copy.deepcopy(output)
            run["status"] = status
            return copy.deepcopy(run)

    def get(self, run_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._run(run_id))

    def _run(self, run_id: str) -> dict[str, Any]:
        try:
            return self._runs[run_id]
        except KeyError:
            raise Refused(HTTPStatus.NOT_FOUND, f"no run {run_id!r}") from None


def conformance(service: RunService, request: Any) -> dict[str, Any]:
    """The wire protocol's answer to one request, through the service's own methods."""
    op = request.get("op") if isinstance(request, dict) else None
    if op == "describe":
        implementation = {"name": NAME, "version": VERSION, "language": "python"}
        return {"implementation": implementation, "roles": ["lifecycle"]}
    if op == "reset":
        service.reset()
        return {"ok": True}
    try:
        if op == "create":
            return {"ok": True, "record": service.create(request.get("record"))}
        if op == "transition":
            return {"ok": True, "record": service.transition(str(request.get("run_id")), request)}
        if op == "get":
            return {"ok": True, "record": service.get(str(request.get("run_id")))}
    except Refused as refused:
        return {"ok": False, "error": str(refused)}
    return {"error": f"unsupported op {op!r}; this service keeps runs and does not validate"}


_RUN = re.compile(r"/runs/([^/]+)\Z")
_TRANSITIONS = re.compile(r"/runs/([^/]+)/transitions\Z")


def make_server(
    service: RunService, host: str, port: int, *, conformance_endpoint: bool = False
) -> ThreadingHTTPServer:
    """An HTTP server for ``service``, bound but not yet serving."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection
        # The headers and the body go out in two writes; with Nagle's algorithm on, the
        # body waits for the client's delayed ACK, 40 ms a request.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            match = _RUN.match(self.path)
            if match is None:
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no route GET {self.path}"})
                return
            self._answer(lambda: (HTTPStatus.OK, service.get(unquote(match[1]))))

        def do_POST(self) -> None:
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            except (ValueError, RecursionError) as exc:
                self._reply(HTTPStatus.BAD_REQUEST, {"error": f"the body is not JSON: {exc}"})
                return
            if self.path == "/conformance" and conformance_endpoint:
                self._reply(HTTPStatus.OK, conformance(service, body))
            elif self.path == "/runs":
                self._answer(lambda: (HTTPStatus.CREATED, service.create(body)))
            elif match := _TRANSITIONS.match(self.path):
                run_id = unquote(match[1])
                self._answer(lambda: (HTTPStatus.OK, service.transition(run_id, body)))
            else:
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no route POST {self.path}"})

        def _answer(self, call: Any) -> None:
            try:
                status, body = call()
            except Refused as refused:
                status, body = refused.status, {"error": str(refused)}
            self._reply(status, body)

        def _reply(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet; a real service would log somewhere

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    return Server((host, port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument(
        "--conformance-endpoint",
        action="store_true",
        help="also answer the inngest-conformance wire protocol at /conformance",
    )
    args = parser.parse_args(argv)
    server = make_server(
        RunService(), args.host, args.port, conformance_endpoint=args.conformance_endpoint
    )
    print(f"listening on http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
