"""The PostgreSQL stores of ``examples/postgres-store`` on a real server, raced.

The naive store (read, check, write, each its own statement) must be found at ``quick`` in
most runs, in process and through the HTTP and stdio doors; the conditional-update store
must pass every lifecycle and concurrency requirement, every run.

The server is Debian's PostgreSQL: ``.ci/run`` starts a throwaway cluster with
``examples/postgres-store/start_postgres.sh`` and names it in
``INNGEST_CONFORMANCE_POSTGRES``; without that variable this file starts one itself, and
skips only where no server can be had (never under CI, where that is a failure).  Each test
gets a schema of its own, so tests on several workers never share a table.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.common import ROOT, certify_obj, harness, read_report, run_cli, serving

psycopg = pytest.importorskip("psycopg")

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "examples" / "postgres-store"
RULES = ROOT / "examples" / "sqlite-store"
#: Runs of the quick profile against the naive store, and how many must find it.
NAIVE_RUNS, NAIVE_FOUND = 10, 8


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A connection string to a running server's database ``runs``."""
    given = os.environ.get("INNGEST_CONFORMANCE_POSTGRES")
    if given:
        yield given
        return
    folder = Path(
        subprocess.run(
            ["mktemp", "-d", "/tmp/conformance-pg.XXXXXX"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    script = str(EXAMPLE / "start_postgres.sh")
    started = subprocess.run(
        ["bash", script, str(folder)], capture_output=True, text=True, timeout=600, check=False
    )
    if started.returncode != 0:
        why = f"no PostgreSQL server: {started.stderr.strip().splitlines()[-1:]}"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", script, "--stop", str(folder)], timeout=60, check=False)


@pytest.fixture
def dsn(postgres: str) -> Iterator[str]:
    """``postgres`` with a schema of this test's own first on the search path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{postgres} options='-c search_path={schema}'"
    finally:
        with psycopg.connect(postgres, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")


@contextlib.contextmanager
def importable() -> Iterator[Any]:
    """The example's module, imported as its users run it (with the rules beside it)."""
    sys.path[:0] = [str(EXAMPLE), str(RULES)]
    try:
        import postgres_run_store

        yield postgres_run_store
    finally:
        for folder in (EXAMPLE, RULES):
            sys.path.remove(str(folder))


def certify_store(name: str, dsn: str, levels: list[str], seed: int = 0) -> dict[str, Any]:
    with importable() as module:
        store = getattr(module, name)(dsn)
    try:
        return certify_obj(store, role="lifecycle", levels=levels, seed=seed)
    finally:
        store.close()


def test_the_naive_store_is_found_at_quick_in_most_runs(dsn: str) -> None:
    found = sum(
        certify_store("NaivePostgresRunStore", dsn, ["concurrency"], seed)["levels"]["concurrency"]
        == "failed"
        for seed in range(NAIVE_RUNS)
    )
    assert found >= NAIVE_FOUND, f"found in {found} of {NAIVE_RUNS} runs"


def test_the_naive_store_passes_the_sequential_lifecycle(dsn: str) -> None:
    """Its defect is a race: one request at a time, it is right."""
    report = certify_store("NaivePostgresRunStore", dsn, ["lifecycle"])
    assert report["verdict"] == "conformant", report["verdict_text"]


def test_the_conditional_update_store_is_never_blamed(dsn: str) -> None:
    for seed in range(3):
        report = certify_store("PostgresRunStore", dsn, ["lifecycle", "concurrency"], seed)
        assert report["verdict"] == "conformant", report["verdict_text"]
        assert report["levels"] == {
            **report["levels"],
            "lifecycle": "passed",
            "concurrency": "passed",
        }


def _served_env(dsn: str) -> dict[str, str]:
    path = os.pathsep.join([str(EXAMPLE), str(RULES), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "RUNS_POSTGRES_DSN": dsn, "PYTHONPATH": path}


@pytest.mark.parametrize("door", ["--url", "--command"])
def test_the_stores_through_a_door_out_of_process(door: str, dsn: str, tmp_path: Path) -> None:
    env = _served_env(dsn)
    options = ("--role", "lifecycle", "--profile", "quick", "--levels", "concurrency")
    outcomes = {}
    for name in ("NaivePostgresRunStore", "PostgresRunStore"):
        target = f"postgres_run_store:{name}"
        with contextlib.ExitStack() as stack:
            if door == "--url":
                where = stack.enter_context(serving(target, "--concurrent", env=env))
            else:
                where = " ".join(harness(target, "--concurrent"))
            run = run_cli(tmp_path, "certify", door, where, *options, "--report-dir", name, env=env)
        report = read_report(tmp_path / name)
        outcomes[name] = (run.returncode, report["levels"]["concurrency"])
    assert outcomes == {
        "NaivePostgresRunStore": (1, "failed"),
        "PostgresRunStore": (0, "passed"),
    }
