"""What several test files share: where things are, and short ways to run the kit.

Fixtures live in ``tests/conftest.py``; this module holds plain functions and constants,
imported by name (``from tests.common import certify_obj``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from inngest_conformance._adapters import ProcessAdapter, open_adapter
from inngest_conformance._run import certify_adapter

#: The repository's root folder.
ROOT = Path(__file__).resolve().parent.parent
#: The command line of the kit's CLI, run by this Python.
CLI = (sys.executable, "-m", "inngest_conformance")
#: The reference validator, as a ``--target``.
REFERENCE = "inngest_conformance.reference:validator"
#: The Node harness of ``examples/node-ajv`` (its tests skip without node_modules).
NODE_HARNESS = ROOT / "examples" / "node-ajv" / "harness.js"
#: A small valid record: run ``r1``.
RECORD = {"run_id": "r1", "function_id": "fn", "status": "QUEUED"}

#: The ``adapter_for`` fixture: ``adapter_for(command, **ProcessAdapter_options)``.
AdapterFor = Callable[..., ProcessAdapter]


def certify_obj(obj: Any, *, profile: str = "quick", **kwargs: Any) -> dict[str, Any]:
    """The report of certifying the Python implementation ``obj`` in this process.

    ``kwargs`` go to :func:`inngest_conformance._run.certify_adapter` (``seed``, ``role``,
    ``only``, ``levels``, ``exceptions``...); the adapter is closed whatever happens.
    """
    adapter = open_adapter(obj=obj)
    try:
        return certify_adapter(adapter, profile=profile, **kwargs).report
    finally:
        adapter.close()


def with_tests_importable(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process that imports ``tests.*`` (planted defects) from
    the repository root, wherever it runs: ``base`` (by default this process's) with the
    root first on its ``PYTHONPATH``."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def run_cli(
    cwd: Path, *args: str, timeout: float = 300, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The kit's CLI run in ``cwd`` as a user runs it, ``tests.*`` importable (in ``env``,
    by default this process's environment)."""
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env=with_tests_importable(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def harness(target: str, *extra: str) -> list[str]:
    """The command line of the kit's Python harness serving ``target``."""
    return [sys.executable, "-m", "inngest_conformance.harness", "--target", target, *extra]


@contextlib.contextmanager
def serving(target: str, *extra: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """The kit's harness serving ``target`` over HTTP on a free loopback port (``extra``
    goes to its command line, ``env`` is its environment, by default this process's with
    ``tests.*`` importable): its URL, until the block ends and it is stopped."""
    proc = subprocess.Popen(
        harness(target, "--http", "127.0.0.1:0", *extra),
        env=with_tests_importable(env),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        if not first.startswith("listening on http://127.0.0.1:"):
            proc.kill()
            raise AssertionError(f"the harness did not listen: {first!r} {proc.stderr.read()}")
        yield first.split()[-1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def timeless(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` without what differs between two runs of the same seed: the clock."""
    return {k: v for k, v in report.items() if k not in ("started_at", "duration_s")}


def read_report(directory: Path) -> dict[str, Any]:
    """The ``report.json`` written in ``directory``."""
    report: dict[str, Any] = json.loads((directory / "report.json").read_text("utf-8"))
    return report


# Processes ----------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (dead, not yet reaped by its new parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_dead(pid: int, timeout: float = 3.0) -> bool:
    """Whether ``pid`` stops running within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def children() -> set[int]:
    """The pids of this process's children, zombies included."""
    pids: set[int] = set()
    for task in Path("/proc/self/task").glob("*"):
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in (task / "children").read_text().split())
    return pids


def open_fds() -> int:
    """How many file descriptors this process holds open."""
    return len(os.listdir("/proc/self/fd"))
