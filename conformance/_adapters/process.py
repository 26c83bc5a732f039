"""Drive an implementation written in any language as a child process speaking JSON Lines.

Named ``process`` rather than ``subprocess`` so that it never shadows the standard module.

The child is the code under test, so it is expected to misbehave: print banners, hang,
crash, flood stderr, answer garbage or huge lines.  None of that may hang or crash the
kit.  Hence the shape of this module:

* stdout is read by one reader thread per child into a queue, so a request can wait with
  a timeout without ``select`` on pipes and lines of any length work;
* stderr is drained continuously by another thread into a bounded tail, so a child that
  writes a lot of it never blocks on a full pipe, and the tail is there to explain crashes;
* the child runs in its own session, so a hung child is killed together with anything it
  started (``os.killpg``), and the next request starts a fresh one;
* requests are written without blocking past the request's deadline.

Threads are per child, never per request: a request costs one write and one queue get.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import shlex
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import IO, Any

from inngest_conformance.errors import UsageError

from .base import ImplementationError, StartError
from .wire import WireAdapter, op_label, seconds, snippet

STDERR_TAIL_BYTES = 8192
#: Non-JSON answer lines remembered (by their first bytes) so that a restarted child
#: giving the same one is not taken for printing a banner.
_KEPT_NOT_JSON_ANSWERS = 64
_KEY_BYTES = 1024
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


def _read_lines(stream: IO[bytes], lines: queue.SimpleQueue[bytes | None]) -> None:
    try:
        for line in iter(stream.readline, b""):
            lines.put(line)
    except (OSError, ValueError):
        pass
    finally:
        lines.put(_EOF)


def _drain(stream: IO[bytes], tail: _Tail) -> None:
    read = getattr(stream, "read1", stream.read)
    try:
        while chunk := read(65536):
            tail.append(chunk)
    except (OSError, ValueError):
        pass


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _finalize(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1.0)


def _exit_text(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "unknown signal"
        return f"was killed by signal {-returncode} ({name})"
    return f"exited with status {returncode}"


class _Child:
    """One running child process with its reader threads."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.stderr = _Tail()
        self.answered = False
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        self.stdin_fd = proc.stdin.fileno()
        os.set_blocking(self.stdin_fd, False)
        self.threads = [
            threading.Thread(
                target=_read_lines,
                args=(proc.stdout, self.lines),
                daemon=True,
                name=f"conformance-stdout-{proc.pid}",
            ),
            threading.Thread(
                target=_drain,
                args=(proc.stderr, self.stderr),
                daemon=True,
                name=f"conformance-stderr-{proc.pid}",
            ),
        ]
        for thread in self.threads:
            thread.start()
        self.finalizer = weakref.finalize(self, _finalize, proc)

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
        """End the child and everything in its process group; return its exit status."""
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
        for thread in self.threads:
            thread.join(timeout=1.0)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.finalizer.detach()
        return returncode


class ProcessAdapter(WireAdapter):
    """An implementation run as ``command``, speaking the wire protocol on stdin/stdout.

    The child starts on the first request and is restarted by the request after it
    crashed, exited or was killed for not answering (or for answering a line that is not
    JSON, after which its answers could not be matched to requests).  ``restarts`` counts
    those restarts, ``crashes`` describes each end (reason and stderr tail), ``warnings``
    quotes the banner lines skipped before the first answer, and ``ever_answered`` tells
    whether the child ever gave one answer.  ``env`` adds variables to this process's
    environment for the child; a ``command`` given as a string is split like a POSIX shell
    would, without running one.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        startup_timeout: float = 10.0,
        request_timeout: float = 5.0,
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
        self.env = None if env is None else {**os.environ, **env}
        self.cwd = cwd
        self.restarts = 0
        self.crashes: list[str] = []
        self._child: _Child | None = None
        self._not_json_answers: set[bytes] = set()
        self._started_once = False
        self._closed = False
        self._lock = threading.Lock()

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
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env,
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
        self._child = _Child(proc)
        return self._child

    def _end(
        self, child: _Child, reason: str | None, request: Any, killed: bool = False
    ) -> ImplementationError:
        """Stop ``child`` after a failure; record and return the error for the request."""
        returncode = child.stop(graceful=False)
        tail = child.stderr.text()
        if reason is None:
            reason = _exit_text(returncode)
            last = next((ln for ln in reversed(tail.splitlines()) if ln.strip()), "")
            if last:
                reason += f"; last stderr line: {snippet(last.strip(), 160)}"
        crash = f"killed: {reason}" if killed else reason
        self.crashes.append(f"{crash}\n{tail}".rstrip())
        self._child = None
        return ImplementationError(reason, detail=tail, request=request)

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
        with self._lock:
            if self._closed:
                raise RuntimeError("this ProcessAdapter is closed")
            # A child is started at most once per request: a child that died between
            # requests is not this request's fault, so the request goes to a fresh one;
            # a child started for this request that dies before reading it is.
            child = self._child
            if child is not None:
                self._take_unsolicited(child)  # ends it if it exited between requests
                child = self._child
            fresh = child is None
            if child is None:
                child = self._start(request)
            data = (json.dumps(request) + "\n").encode()
            while True:
                timeout = self.request_timeout
                if not child.answered:
                    timeout += self.startup_timeout
                deadline = time.monotonic() + timeout
                if self._write(child, data, deadline, timeout, request):
                    return self._read_answer(child, deadline, timeout, request)
                error = self._exited(child, request)
                if fresh:
                    raise error
                child, fresh = self._start(request), True

    def _take_unsolicited(self, child: _Child) -> None:
        while True:
            try:
                line = child.lines.get_nowait()
            except queue.Empty:
                return
            if line is _EOF:
                self._exited(child, None)
                return
            if not line.strip():
                continue
            if child.answered:
                self._warn(f"printed a line no request asked for: {snippet(line.rstrip())}")
            else:
                self._banner(line)

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

    def _read_answer(self, child: _Child, deadline: float, timeout: float, request: Any) -> Any:
        while True:
            try:
                line = child.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise self._timed_out(child, timeout, request) from None
            if line is _EOF:
                raise self._exited(child, request)
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
                ended = self._end(child, reason, request, killed=True)
                quoted = text[:8192].decode("utf-8", errors="replace")
                if ended.detail.strip():
                    quoted += f"\n\nstderr:\n{ended.detail}"
                raise ImplementationError(reason, detail=quoted, request=request) from None
            child.answered = True
            self.ever_answered = True
            return answer
