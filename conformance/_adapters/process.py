"""Drive an implementation written in any language as a child process speaking JSON Lines.

Named ``process`` rather than ``subprocess`` so that it never shadows the standard module.

The child is the code under test, so it is expected to misbehave: print banners, hang,
crash, flood stderr, answer garbage, huge lines or twice, start processes that outlive it.
None of that may hang or crash the kit.  Hence the shape of this module:

* one pump thread per child reads its stdout and stderr with ``os.read`` as they come
  (never a buffered ``readline``, which blocks ``close`` for as long as it waits), so a
  request can wait with a timeout, and a stop can always end the pump through a wake-up
  pipe even when a process the child started keeps the pipes open;
* a line is kept only up to the answer size limit (``max_answer_bytes``): beyond it the
  rest of the line is discarded as it arrives and the request in flight is a protocol
  error, so a child writing without end costs a bounded amount of memory;
* stderr is drained continuously into a bounded tail, so a child that writes a lot of it
  never blocks on a full pipe, and the tail is there to explain crashes;
* the child runs in its own session, so a hung child is killed together with anything it
  started (``os.killpg``); a process that left the session (``setsid``) is found by a
  token in its environment (``/proc``, on Linux) and killed too; the next request starts a
  fresh child;
* each request line carries an ``id``; an answer that echoes it is matched by it, so a
  second answer to an earlier request is never taken for this one's;
* requests are written without blocking past the request's deadline.

Threads are per child, never per request: a request costs one write and one queue get.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import select
import selectors
import shlex
import signal
import subprocess
import threading
import time
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inngest_conformance.errors import UsageError

from .base import ImplementationError, StartError
from .wire import (
    DEFAULT_MAX_ANSWER_BYTES,
    EXCERPT_BYTES,
    WireAdapter,
    cut_snippet,
    op_label,
    oversized,
    seconds,
    snippet,
)

STDERR_TAIL_BYTES = 8192
#: Non-JSON answer lines remembered (by their first bytes) so that a restarted child
#: giving the same one is not taken for printing a banner.
_KEPT_NOT_JSON_ANSWERS = 64
_KEY_BYTES = 1024
#: The environment variable carrying a token unique to one child: every process it starts
#: inherits it, also one that leaves the child's session, and so can be found and ended.
CHILD_TOKEN = "INNGEST_CONFORMANCE_CHILD"
#: Seconds a stopped child's pipes are given to reach their end (the rest of a traceback
#: on stderr) before the pump is woken and told to stop reading.
_DRAIN_SECONDS = 1.0
_EOF = None


class _Tail:
    """The last ``limit`` bytes written to a stream."""

    def __init__(self, limit: int = STDERR_TAIL_BYTES) -> None:
        self.limit = limit
        self._data = bytearray()
        self._lock = threading.Lock()

    def append(self, chunk: bytes) -> None:
        with self._lock:
            self._data += chunk
            if len(self._data) > 2 * self.limit:
                del self._data[: -self.limit]

    def text(self) -> str:
        with self._lock:
            data = bytes(self._data[-self.limit :])
        return data.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class _Oversized:
    """A stdout line grew past the answer size limit: its first bytes, and how many were
    read before the pump gave up keeping it."""

    head: bytes
    size: int


_Item = list[bytes] | _Oversized | None


class _Lines:
    """Cuts a byte stream into lines of at most ``limit`` bytes (newline excluded)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._partial = bytearray()
        self._discarding = False

    def feed(self, chunk: bytes) -> list[bytes | _Oversized]:
        """The lines ``chunk`` ends, and a mark for each line that grew past the limit,
        in the order they came."""
        out: list[bytes | _Oversized] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start : end + 1]
            if not self._discarding:
                self._partial += piece
                if len(self._partial) - (end >= 0) > self.limit:
                    out.append(_Oversized(bytes(self._partial[:EXCERPT_BYTES]), len(self._partial)))
                    self._partial.clear()
                    self._discarding = end < 0
                elif end >= 0:
                    out.append(bytes(self._partial))
                    self._partial.clear()
            elif end >= 0:
                self._discarding = False
            if end < 0:
                return out
            start = end + 1

    def rest(self) -> bytes:
        """A last line without a newline, at the end of the stream."""
        rest = b"" if self._discarding else bytes(self._partial)
        self._partial.clear()
        return rest


def _pump(
    out_fd: int,
    err_fd: int,
    wake_fd: int,
    items: queue.SimpleQueue[_Item],
    tail: _Tail,
    limit: int,
) -> None:
    """Read the child's stdout (into ``items``) and stderr (into ``tail``) until both end
    or ``wake_fd`` is readable; put ``None`` once stdout has ended or the pump stops."""
    lines = _Lines(limit)
    ended = False
    with selectors.DefaultSelector() as selector:
        for fd in (out_fd, err_fd, wake_fd):
            selector.register(fd, selectors.EVENT_READ)
        try:
            while len(selector.get_map()) > 1:
                for key, _ in selector.select():
                    if key.fd == wake_fd:
                        return
                    try:
                        chunk = os.read(key.fd, 65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        chunk = b""
                    if key.fd == err_fd:
                        if chunk:
                            tail.append(chunk)
                        else:
                            selector.unregister(err_fd)
                        continue
                    if not chunk:
                        selector.unregister(out_fd)
                        rest = lines.rest()
                        if rest:
                            items.put([rest])
                        items.put(_EOF)
                        ended = True
                        continue
                    batch: list[bytes] = []
                    for item in lines.feed(chunk):
                        if isinstance(item, bytes):
                            batch.append(item)
                            continue
                        if batch:
                            items.put(batch)
                            batch = []
                        items.put(item)
                    if batch:
                        items.put(batch)
        finally:
            if not ended:
                items.put(_EOF)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _carriers(token: str) -> list[int]:
    """Live processes (other than this one) whose environment carries ``token``: every
    process a child started, also one in a session of its own.  Empty without ``/proc``."""
    needle = f"{CHILD_TOKEN}={token}".encode()
    found: list[int] = []
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        return found
    me = os.getpid()
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _end_escaped(token: str) -> None:
    """Kill what a child started that left its process group (each found process and
    its own group), so that nothing it started outlives it."""
    for pid in _carriers(token):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _finalize(proc: subprocess.Popen[bytes], token: str) -> None:
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1.0)
    _end_escaped(token)


def _exit_text(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "unknown signal"
        return f"was killed by signal {-returncode} ({name})"
    return f"exited with status {returncode}"


class _Child:
    """One running child process with its pump thread."""

    def __init__(self, proc: subprocess.Popen[bytes], token: str, limit: int) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.token = token
        self.items: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.pending: collections.deque[bytes] = collections.deque()
        """Lines taken from ``items`` (which delivers them a read at a time) not yet used."""
        self.stderr = _Tail()
        self.answered = False
        # Requests in flight at once (a harness that declared "concurrent": true): the
        # threads waiting take turns reading (one reads a line at a time, under ``cond``'s
        # ``reading``) and hand each answer to the request whose id it echoes.
        self.cond = threading.Condition()
        self.reading = False
        self.waiting: set[int] = set()
        self.answers: dict[int, Any] = {}
        self.ending = False
        self.failure: ImplementationError | None = None
        """Why the child was ended, for every request still waiting on it."""
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        self.stdin_fd = proc.stdin.fileno()
        os.set_blocking(self.stdin_fd, False)
        self._wake_r, self._wake_w = os.pipe()
        self.thread = threading.Thread(
            target=self._run,
            args=(proc.stdout.fileno(), proc.stderr.fileno(), limit),
            daemon=True,
            name=f"conformance-pipes-{proc.pid}",
        )
        self.thread.start()
        self.finalizer = weakref.finalize(self, _finalize, proc, token)

    def idle(self) -> bool:
        """Whether no request is in flight on it (none waits for an answer)."""
        with self.cond:
            return not self.waiting and not self.reading

    def expect(self, rid: int, request: Any) -> None:
        """Wait for the answer echoing ``rid``, or raise the failure that ended it."""
        with self.cond:
            if self.failure is not None:
                raise self.failed(request)
            self.waiting.add(rid)

    def forget(self, rid: int) -> None:
        """Stop waiting for the answer echoing ``rid``."""
        with self.cond:
            self.waiting.discard(rid)
            self.answers.pop(rid, None)

    def failed(self, request: Any) -> ImplementationError:
        """The child's failure (it was ended) as the error of ``request``, one of the
        requests that were in flight on it."""
        assert self.failure is not None
        return ImplementationError(self.failure.reason, detail=self.failure.detail, request=request)

    def _run(self, out_fd: int, err_fd: int, limit: int) -> None:
        """The pump, then the pipes it read closed by the thread that read them (a close
        from another thread could close a descriptor number already reused)."""
        try:
            _pump(out_fd, err_fd, self._wake_r, self.items, self.stderr, limit)
        finally:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            with contextlib.suppress(OSError):
                os.close(self._wake_r)

    def next_item(self, timeout: float) -> bytes | _Oversized | None:
        """The next stdout line, an oversized line, or ``None`` at its end; raises
        ``queue.Empty`` after ``timeout`` seconds."""
        if self.pending:
            return self.pending.popleft()
        item = self.items.get(timeout=timeout)
        if isinstance(item, list):
            self.pending.extend(item[1:])
            return item[0]
        return item

    def wait_exited(self, timeout: float) -> bool:
        """Wait until the child has exited, without reaping it, so its group id stays ours."""
        deadline = time.monotonic() + timeout
        waitid = getattr(os, "waitid", None)
        while True:
            if waitid is not None:
                try:
                    if waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG):
                        return True
                except ChildProcessError:
                    return True
            elif self.proc.poll() is not None:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)

    def stop(self, graceful: bool) -> int:
        """End the child, everything in its process group and anything it started that
        left the group; return its exit status.  Bounded in time whatever those do."""
        proc = self.proc
        if graceful:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
            if not self.wait_exited(1.0):
                _signal_group(self.pid, signal.SIGTERM)
                self.wait_exited(1.0)
        # Also reaches grandchildren still in the group after the child itself exited.
        _signal_group(self.pid, signal.SIGKILL)
        returncode = proc.wait()
        _end_escaped(self.token)
        # The pump reads on to the end of both pipes (the rest of a traceback), unless
        # something still holds them open: then it is woken and stops.
        self.thread.join(timeout=_DRAIN_SECONDS)
        if self.thread.is_alive():
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
            self.thread.join(timeout=_DRAIN_SECONDS)
        with contextlib.suppress(OSError):
            os.close(self._wake_w)
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        self.finalizer.detach()
        return returncode


class ProcessAdapter(WireAdapter):
    """An implementation run as ``command``, speaking the wire protocol on stdin/stdout.

    The child starts on the first request and is restarted by the request after it
    crashed, exited or was killed for not answering (or for answering a line that is not
    JSON, too long a line or twice, after which its answers could not be matched to
    requests).  ``restarts`` counts those restarts, ``crashes`` describes each end (reason
    and stderr tail), ``warnings`` quotes the banner lines skipped before the first answer,
    and ``ever_answered`` tells whether the child ever gave one answer.  ``env`` adds
    variables to this process's environment for the child; a ``command`` given as a
    string is split like a POSIX shell would, without running one.  ``max_answer_bytes``
    bounds one answer line (without its newline).
    """

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        startup_timeout: float = 10.0,
        request_timeout: float = 5.0,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(command, str):
            self.argv = shlex.split(command)
            self.command = command.strip()
        else:
            self.argv = [os.fspath(part) for part in command]
            self.command = shlex.join(self.argv)
        if not self.argv:
            raise UsageError(
                "the command is empty; give the program to run, e.g. 'node harness.js'"
            )
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self.max_answer_bytes = max_answer_bytes
        self.env = None if env is None else {**os.environ, **env}
        self.cwd = cwd
        self.restarts = 0
        self.crashes: list[str] = []
        self._child: _Child | None = None
        self._not_json_answers: set[bytes] = set()
        self._started_once = False
        self._closed = False
        self._lock = threading.Lock()
        self._last_id = 0
        self._ops: collections.OrderedDict[int, str] = collections.OrderedDict()
        """The op of each recent request by its id, to name the one a stray answer echoes."""
        self._answered_op: str | None = None
        """The op of the last request the current child answered."""

    @property
    def display_name(self) -> str:
        return self.command

    @property
    def launch_command(self) -> str:
        return self.command

    @property
    def pid(self) -> int | None:
        """The running child's process id, if one is running."""
        return None if self._child is None else self._child.pid

    @property
    def stderr_tail(self) -> str:
        """The last bytes the current (or last) child wrote to stderr."""
        return "" if self._child is None else self._child.stderr.text()

    # Process management ---------------------------------------------------------------

    def _start(self, request: dict[str, Any]) -> _Child:
        if self.cwd is not None and not os.path.isdir(self.cwd):
            raise StartError(
                f"cannot start {self.command!r}: the folder {os.fspath(self.cwd)!r} does not exist",
                request=request,
            )
        token = uuid.uuid4().hex
        env = {**(os.environ if self.env is None else self.env), CHILD_TOKEN: token}
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        except FileNotFoundError as exc:
            raise StartError(
                f"cannot start {self.command!r}: {self.argv[0]!r} not found "
                "(is it installed and on PATH?)",
                detail=str(exc),
                request=request,
            ) from None
        except PermissionError as exc:
            raise StartError(
                f"cannot start {self.command!r}: {self.argv[0]!r} is not executable",
                detail=str(exc),
                request=request,
            ) from None
        except OSError as exc:
            raise StartError(
                f"cannot start {self.command!r}: {exc.strerror or exc}",
                detail=str(exc),
                request=request,
            ) from None
        if self._started_once:
            self.restarts += 1
        self._started_once = True
        self._answered_op = None
        self._child = _Child(proc, token, self.max_answer_bytes)
        return self._child

    def _end(
        self, child: _Child, reason: str | None, request: Any, killed: bool = False
    ) -> ImplementationError:
        """Stop ``child`` after a failure; record and return the error for the request.

        Once per child: a request that finds it already being ended (another request in
        flight at once failed first) gets that failure, for its own request."""
        with child.cond:
            if child.ending:
                child.cond.wait_for(lambda: child.failure is not None)
                return child.failed(request)
            child.ending = True
        returncode = child.stop(graceful=False)
        tail = child.stderr.text()
        if reason is None:
            reason = _exit_text(returncode)
            last = next((ln for ln in reversed(tail.splitlines()) if ln.strip()), "")
            if last:
                reason += f"; last stderr line: {snippet(last.strip(), 160)}"
        crash = f"killed: {reason}" if killed else reason
        self.crashes.append(f"{crash}\n{tail}".rstrip())
        if self._child is child:
            self._child = None
        error = ImplementationError(reason, detail=tail, request=request)
        with child.cond:
            child.failure = error
            child.cond.notify_all()
        return error

    def _out_of_step(
        self, child: _Child, reason: str, request: Any, quoted: str
    ) -> ImplementationError:
        """End ``child``, whose answers can no longer be matched to requests, for a line
        ``quoted`` in the detail with the stderr tail."""
        ended = self._end(child, reason, request, killed=True)
        if ended.detail.strip():
            quoted += f"\n\nstderr:\n{ended.detail}"
        return ImplementationError(reason, detail=quoted, request=request)

    def _exited(self, child: _Child, request: Any) -> ImplementationError:
        if not child.wait_exited(1.0):
            return self._end(child, "closed its stdout without exiting", request)
        return self._end(child, None, request)

    def close(self) -> None:
        """Close stdin, give the child a moment to exit, then end its process group."""
        with self._lock:
            self._closed = True
            child, self._child = self._child, None
            if child is not None:
                child.stop(graceful=True)

    def __enter__(self) -> ProcessAdapter:
        return self

    # Transport ------------------------------------------------------------------------

    def _exchange(self, request: dict[str, Any]) -> Any:
        # Requests at once (a harness that declared it): each is written under the lock
        # and its answer awaited beside the others' (in any order, matched by the id it
        # echoes); otherwise one request at a time, its answer read under the lock.
        at_once = self.declares_concurrent
        with self._lock:
            if self._closed:
                raise RuntimeError("this ProcessAdapter is closed")
            # A child is started at most once per request: a child that died between
            # requests is not this request's fault, so the request goes to a fresh one;
            # a child started for this request that dies before reading it is.
            child = self._child
            if child is not None and (not at_once or child.idle()):
                # Nothing in flight: what it printed since is unasked for.
                self._take_unsolicited(child, request)  # ends it if it exited meanwhile
                child = self._child
            fresh = child is None
            if child is None:
                child = self._start(request)
            rid, data = self._numbered(request)
            while True:
                timeout, deadline = self._deadline(child)
                if at_once:
                    child.expect(rid, request)
                try:
                    written = self._write(child, data, deadline, timeout, request)
                except ImplementationError:
                    child.forget(rid)
                    raise
                if written and not at_once:
                    return self._read_answer(child, deadline, timeout, request, rid)
                if written:
                    break
                child.forget(rid)
                error = self._exited(child, request)
                if fresh:
                    raise error
                child, fresh = self._start(request), True
        try:
            return self._await(child, rid, deadline, timeout, request)
        finally:
            child.forget(rid)

    def _numbered(self, request: dict[str, Any]) -> tuple[int, bytes]:
        """The next request id, and the request's line carrying it."""
        self._last_id += 1
        rid = self._last_id
        self._ops[rid] = op_label(request)
        if len(self._ops) > 64:
            self._ops.popitem(last=False)
        # The id goes last, after the op, and only on the wire: what a report quotes of
        # the request is the request itself.
        return rid, (json.dumps({**request, "id": rid}) + "\n").encode()

    def _deadline(self, child: _Child) -> tuple[float, float]:
        """A request's timeout (a child's first answer also has its startup time), and
        the monotonic time it ends."""
        timeout = self.request_timeout
        if not child.answered:
            timeout += self.startup_timeout
        return timeout, time.monotonic() + timeout

    # Requests at once ------------------------------------------------------------------

    def _await(self, child: _Child, rid: int, deadline: float, timeout: float, request: Any) -> Any:
        """The answer echoing ``rid``: taken when another waiting thread read it, else
        read by this thread in its turn (one line, handed to whichever request it answers)."""
        while True:
            turn = False
            with child.cond:
                while True:
                    if rid in child.answers:
                        return child.answers.pop(rid)
                    if child.failure is not None:
                        raise child.failed(request)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    if not child.reading:
                        child.reading = turn = True
                        break
                    child.cond.wait(remaining)
            if not turn:
                raise self._timed_out(child, timeout, request)
            try:
                self._read_one(child, deadline, timeout, request)
            finally:
                with child.cond:
                    child.reading = False
                    child.cond.notify_all()

    def _read_one(self, child: _Child, deadline: float, timeout: float, request: Any) -> None:
        """Read one answer line and hand it to the request whose id it echoes."""
        answer = self._read_answer(child, deadline, timeout, request, None)
        echoed = answer.pop("id", None) if isinstance(answer, dict) else None
        with child.cond:
            known = isinstance(echoed, int) and not isinstance(echoed, bool)
            if known and echoed in child.waiting:
                child.answers[echoed] = answer
                self._answered_op = self._ops.get(echoed, self._answered_op)
                return
        if echoed is None:
            reason = (
                f"protocol error: answered {snippet(json.dumps(answer), 80)} without "
                'the id of its request; a harness that declares "concurrent": true must '
                "echo each request's id"
            )
        else:
            reason = self._stray(echoed, request)
        raise self._out_of_step(child, reason, request, json.dumps(answer)[:EXCERPT_BYTES])

    def _take_unsolicited(self, child: _Child, request: Any) -> None:
        """Look at what the child printed since its last answer, before ``request`` is
        sent: a second answer makes the child's answers unmatched, so ``request`` errors
        (and goes to no one); a stray line that is not JSON is a warning."""
        while True:
            try:
                line = child.next_item(0.0)
            except queue.Empty:
                return
            if line is _EOF:
                self._exited(child, None)
                return
            if isinstance(line, _Oversized):
                self._warn(
                    f"printed a line of more than {self.max_answer_bytes} bytes (the answer "
                    f"size limit) no request asked for: {cut_snippet(line.head)}"
                )
                self._end(child, "printed too long a line no request asked for", None)
                return
            if not line.strip():
                continue
            if not child.answered:
                self._banner(line)
                continue
            try:
                json.loads(line)
            except (ValueError, RecursionError):
                self._warn(f"printed a line no request asked for: {snippet(line.rstrip())}")
                continue
            reason = (
                f"protocol error: answered {self._answered_op or 'a request'} twice "
                "(a second answer came after it, before the next request)"
            )
            raise self._out_of_step(child, reason, request, _quoted(line))

    def _banner(self, line: bytes) -> None:
        self._warn(f"skipped a line printed before the first answer: {snippet(line.rstrip())}")

    def _timed_out(self, child: _Child, timeout: float, request: Any) -> ImplementationError:
        started = "" if child.answered else " (including startup)"
        reason = f"no answer within {seconds(timeout)} s{started} to {op_label(request)}"
        return self._end(child, reason, request, killed=True)

    def _write(
        self, child: _Child, data: bytes, deadline: float, timeout: float, request: Any
    ) -> bool:
        """Write ``data``; False if the child had closed its stdin before any of it went."""
        view = memoryview(data)
        while view:
            try:
                written = os.write(child.stdin_fd, view)
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timed_out(child, timeout, request) from None
                select.select([], [child.stdin_fd], [], remaining)
                continue
            except (BrokenPipeError, ConnectionResetError):
                if len(view) == len(data):
                    return False
                raise self._exited(child, request) from None
            except OSError as exc:
                raise self._end(child, f"cannot write to its stdin: {exc}", request) from None
            view = view[written:]
        return True

    def _read_answer(
        self, child: _Child, deadline: float, timeout: float, request: Any, rid: int | None
    ) -> Any:
        """The next answer line, decoded; with ``rid``, its echoed id is checked and taken
        out (``None``: left in, for the caller to match)."""
        while True:
            try:
                line = child.next_item(max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise self._timed_out(child, timeout, request) from None
            if line is _EOF:
                raise self._exited(child, request)
            if isinstance(line, _Oversized):
                reason = (
                    f"protocol error: answered a line of more than {self.max_answer_bytes} "
                    f"bytes (the answer size limit) to {op_label(request)}: "
                    f"{cut_snippet(line.head)}"
                )
                quoted = oversized(line.head, line.size, self.max_answer_bytes, "read")
                raise self._out_of_step(child, reason, request, quoted)
            if not line.strip():
                continue
            try:
                answer = json.loads(line)
            except (ValueError, RecursionError):
                text = line.rstrip(b"\r\n")
                # A line an earlier child gave as an answer is an answer again, not a banner.
                if not child.answered and text[:_KEY_BYTES] not in self._not_json_answers:
                    self._banner(line)
                    continue
                if len(self._not_json_answers) < _KEPT_NOT_JSON_ANSWERS:
                    self._not_json_answers.add(text[:_KEY_BYTES])
                reason = f"protocol error: answered a line that is not JSON: {snippet(text)}"
                # The answer may still follow this line: from here on, answers could no
                # longer be matched to requests, so the next request goes to a fresh child.
                raise self._out_of_step(child, reason, request, _quoted(text)) from None
            if rid is not None and isinstance(answer, dict) and "id" in answer:
                echoed = answer.pop("id")
                if echoed != rid or isinstance(echoed, bool):
                    raise self._out_of_step(
                        child, self._stray(echoed, request), request, _quoted(line)
                    )
            child.answered = True
            self.ever_answered = True
            self._answered_op = op_label(request)
            return answer

    def _stray(self, echoed: Any, request: Any) -> str:
        """Why an answer echoing the id ``echoed`` is not the answer to ``request``."""
        earlier = self._ops.get(echoed) if isinstance(echoed, int) else None
        if earlier is not None and not isinstance(echoed, bool):
            return (
                f"protocol error: answered {earlier} twice (its second answer came while "
                f"the kit waited for the answer to {op_label(request)})"
            )
        return (
            f"protocol error: answered {op_label(request)} with the id of no request sent "
            f"to it: {snippet(json.dumps(echoed), 80)}"
        )


def _quoted(line: bytes) -> str:
    """A stdout line as a report's detail quotes it: its first bytes."""
    return line.rstrip(b"\r\n")[:EXCERPT_BYTES].decode("utf-8", errors="replace")
