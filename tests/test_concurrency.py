"""The concurrency level as its users meet it: the engine, the command line and the plugin.

Two small stores differ only in whether a transition's read-check-write holds a lock: the
racy one waits a little between reading the status and writing the new one (what a
database round trip does), so two clients that overlap both see the old status.  The kit
must blame it with a history no order explains and never blame the locked one, in process
and through a harness that declares it takes requests at once (over stdio and HTTP); a door
that does not declare it is not judged, and the report says so.  The sqlite stores
of ``examples/sqlite-store`` are run many times over (slow), since a race shows only
sometimes.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance.report import report_schema

from tests.common import (
    ROOT,
    certify_obj,
    harness,
    read_report,
    run_cli,
    serving,
)

pytest_plugins = ["pytester"]

TRANSITIONS = {
    "QUEUED": {"RUNNING", "CANCELLED"},
    "RUNNING": {"PAUSED", "COMPLETED", "FAILED", "CANCELLED"},
    "PAUSED": {"RUNNING", "CANCELLED"},
}
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
LEVELS = ["lifecycle", "concurrency"]
CONCURRENCY_IDS = (
    "concurrency:transitions-are-atomic",
    "concurrency:one-terminal-outcome",
    "concurrency:reads-see-committed-state",
)


class LockedStore:
    """A dict of runs; every transition reads, checks and writes under one lock."""

    pause = 0.0

    def __init__(self) -> None:
        self.runs: dict[Any, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def reset(self) -> None:
        self.runs = {}

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        for later in ("started_at", "ended_at", "output"):
            if later in record:
                raise ValueError(f"a new run has no {later}")
        self.runs[record["run_id"]] = dict(record)
        return dict(record)

    def _move(self, run_id: Any, status: str, at: str, output: Any) -> dict[str, Any]:
        run = dict(self.runs[run_id])
        if status not in TRANSITIONS.get(run["status"], ()):
            raise ValueError(f"cannot go from {run['status']} to {status}")
        time.sleep(self.pause)
        run["status"] = status
        run.setdefault("started_at", at) if status not in TERMINAL else None
        if status in TERMINAL:
            run["ended_at"] = at
            if output is not None:
                run["output"] = output
        self.runs[run_id] = run
        return dict(run)

    def transition(self, run_id: Any, status: str, at: str, output: Any = None) -> dict[str, Any]:
        with self.lock:
            return self._move(run_id, status, at, output)

    def get(self, run_id: Any) -> dict[str, Any]:
        return dict(self.runs[run_id])


class RacyStore(LockedStore):
    """The same store without the lock: read, check, (a round trip), write."""

    pause = 0.002

    def transition(self, run_id: Any, status: str, at: str, output: Any = None) -> dict[str, Any]:
        return self._move(run_id, status, at, output)


def rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["requirements"]}


def test_a_racy_store_is_blamed_with_a_history_no_order_explains() -> None:
    report = certify_obj(RacyStore(), role="lifecycle", levels=["concurrency"])
    jsonschema.validate(report, report_schema())
    by_id = rows(report)
    atomic = by_id["concurrency:transitions-are-atomic"]
    assert atomic["outcome"] == "failed"
    assert report["levels"]["concurrency"] == "failed"
    assert report["verdict"] == "non-conformant"
    assert "probabilistic" in report["verdict_text"]
    # Shrunk to the race itself: one run, two clients asking for the same transition.
    program = atomic["counterexample"]
    assert len(program["clients"]) == 2
    assert [len(ops) for ops in program["clients"]] == [1, 1]
    (a,), (b,) = program["clients"]
    assert a == b and a["op"] == "transition"
    history = atomic["answer"]
    assert len(history) == 2 and all(step["answer"]["ok"] for step in history)
    assert {step["client"] for step in history} == {0, 1}
    assert all(step["called_us"] <= step["returned_us"] for step in history)
    # The model explains one of the two successes; after it the run is in the target status.
    assert atomic["expected"]["model_states"] == [a["status"]]
    assert len(atomic["expected"]["explained_order"]) == 1
    assert len(atomic["expected"]["unexplained"]) == 1
    evidence = atomic["concurrency"]
    assert evidence["shrunk"]["tries_showing"] >= 1 and evidence["tries"] == 10
    assert f"{evidence['shrunk']['tries_showing']} of 10 tries" in atomic["message"]


def test_a_locked_store_is_never_blamed() -> None:
    # Sequentially the racy store is the same store: the lifecycle level passes both.
    for store in (LockedStore(), RacyStore()):
        sequential = certify_obj(
            store, role="lifecycle", only=["lifecycle:rejects-illegal-transitions"]
        )
        assert sequential["verdict"] == "conformant"
    report = certify_obj(LockedStore(), role="lifecycle", levels=["concurrency"])
    assert report["verdict"] == "conformant", report["verdict_text"]
    assert report["levels"]["concurrency"] == "passed"
    for rid in CONCURRENCY_IDS:
        assert rows(report)[rid]["concurrency"]["programs"] == 8


def test_the_level_runs_only_when_asked_for() -> None:
    report = certify_obj(LockedStore(), role="lifecycle")
    assert "concurrency" not in report["levels"]
    assert report["levels_covered"] == ["lifecycle"]
    assert not any(r["level"] == "concurrency" for r in report["requirements"])
    assert "concurrency" not in report["verdict_text"]


def test_the_command_line_blames_a_racy_store(tmp_path: Path) -> None:
    target = "tests.test_concurrency:RacyStore"
    result = run_cli(
        tmp_path,
        *("certify", "--target", target, "--role", "lifecycle", "--profile", "quick"),
        *("--levels", "concurrency", "--report-dir", "out"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "concurrency:transitions-are-atomic" in result.stdout
    assert "concurrency probabilistic" in result.stdout
    assert "findings are probabilistic" in (tmp_path / "out" / "report.md").read_text("utf-8")
    assert 'id="concurrency"' in (tmp_path / "out" / "report.html").read_text("utf-8")


@pytest.mark.slow
def test_replay_tries_the_shrunk_program_again(tmp_path: Path) -> None:
    target = "tests.test_concurrency:RacyStore"
    atomic = ("--requirement", "concurrency:transitions-are-atomic")
    found = run_cli(
        tmp_path,
        *("certify", "--target", target, "--role", "lifecycle", "--profile", "quick"),
        *("--levels", "concurrency", "--report-dir", "out", *atomic),
    )
    assert found.returncode == 1, found.stdout + found.stderr
    # The racy store still races; the locked one no longer does.
    again = run_cli(tmp_path, "replay", "out/report.json", "--target", target, *atomic)
    assert again.returncode == 1, again.stdout + again.stderr
    assert "tries gave a history" in again.stdout
    fixed = "tests.test_concurrency:LockedStore"
    now = run_cli(tmp_path, "replay", "out/report.json", "--target", fixed, *atomic)
    assert now.returncode == 0, now.stdout + now.stderr
    assert "passes-now" in now.stdout


@pytest.mark.slow  # 2 s or more; the CLI's racing run is in the default suite
def test_a_harness_over_stdio_is_not_judged_and_says_why(tmp_path: Path) -> None:
    command = " ".join(harness("tests.test_concurrency:LockedStore"))
    both = run_cli(
        tmp_path,
        *("certify", "--command", command, "--role", "lifecycle", "--profile", "quick"),
        *("--levels", "lifecycle,concurrency", "--report-dir", "out"),
        *("--requirement", "lifecycle:rejects-illegal-transitions"),
        *(word for rid in CONCURRENCY_IDS for word in ("--requirement", rid)),
    )
    report = read_report(tmp_path / "out")
    assert report["levels"]["lifecycle"] == "passed", both.stdout + both.stderr
    assert report["levels"]["concurrency"] == "skipped"
    assert "concurrency not judged" in report["verdict_text"]
    for rid in CONCURRENCY_IDS:
        row = rows(report)[rid]
        assert row["outcome"] == "skipped"
        assert row["message"].startswith("not judged: ")
        assert 'does not declare "concurrent": true' in row["message"]
    assert "Concurrency: not judged" in (tmp_path / "out" / "report.md").read_text("utf-8")
    alone = run_cli(
        tmp_path,
        *("certify", "--command", command, "--role", "lifecycle", "--profile", "quick"),
        *("--levels", "concurrency", "--report-dir", "out2"),
    )
    # Nothing judged: never a pass.
    assert alone.returncode == 2
    assert "not judged" in alone.stderr
    assert read_report(tmp_path / "out2")["verdict"] == "error"


def test_a_service_declaring_concurrent_is_raced_over_http(tmp_path: Path) -> None:
    atomic = ("--requirement", "concurrency:transitions-are-atomic")
    options = ("--role", "lifecycle", "--profile", "quick", "--levels", "concurrency", *atomic)
    with serving("tests.test_concurrency:RacyStore", "--concurrent") as url:
        raced = run_cli(tmp_path, "certify", "--url", url, *options, "--report-dir", "a")
    assert raced.returncode == 1, raced.stdout + raced.stderr
    row = rows(read_report(tmp_path / "a"))["concurrency:transitions-are-atomic"]
    assert row["outcome"] == "failed"
    assert len(row["answer"]) >= 2
    # Without --concurrent the harness serialises every call, and says nothing: not judged.
    with serving("tests.test_concurrency:RacyStore") as url:
        plain = run_cli(tmp_path, "certify", "--url", url, *options, "--report-dir", "b")
    assert plain.returncode == 2
    row = rows(read_report(tmp_path / "b"))["concurrency:transitions-are-atomic"]
    assert row["outcome"] == "skipped"
    assert 'does not declare "concurrent": true' in row["message"]


@pytest.mark.slow  # 5 s or more; the HTTP door's racing run is in the default suite
def test_a_harness_declaring_concurrent_is_raced_over_stdio(tmp_path: Path) -> None:
    atomic = ("--requirement", "concurrency:transitions-are-atomic")
    options = ("--role", "lifecycle", "--profile", "quick", "--levels", "concurrency", *atomic)
    racy = " ".join(harness("tests.test_concurrency:RacyStore", "--concurrent"))
    raced = run_cli(tmp_path, "certify", "--command", racy, *options, "--report-dir", "a")
    assert raced.returncode == 1, raced.stdout + raced.stderr
    row = rows(read_report(tmp_path / "a"))["concurrency:transitions-are-atomic"]
    assert row["outcome"] == "failed"
    assert len(row["answer"]) >= 2


@pytest.mark.slow  # every program tried every time (10 s or more)
def test_a_locked_store_raced_over_stdio_passes(tmp_path: Path) -> None:
    options = ("--role", "lifecycle", "--profile", "quick", "--levels", "concurrency")
    locked = " ".join(harness("tests.test_concurrency:LockedStore", "--concurrent"))
    kept = run_cli(tmp_path, "certify", "--command", locked, *options, "--report-dir", "b")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    report = read_report(tmp_path / "b")
    assert report["levels"]["concurrency"] == "passed"
    assert all(rows(report)[rid]["outcome"] == "passed" for rid in CONCURRENCY_IDS)


@pytest.mark.slow  # a second run through the plugin's door (2 s or more)
def test_the_plugin_runs_the_level_from_the_ini(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        stores=f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.test_concurrency import RacyStore\nstore = RacyStore()\n"
    )
    pytester.makeini(
        "[pytest]\nconformance_target = stores:store\nconformance_role = lifecycle\n"
        "conformance_profile = quick\nconformance_levels = lifecycle,concurrency\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-k", "atomic", "--conformance-report", "out"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*concurrency:transitions-are-atomic*tries gave a history*"])
    report = read_report(pytester.path / "out")
    assert report["levels_covered"] == LEVELS
    assert report["levels"]["concurrency"] == "failed"
    unknown = pytester.runpytest_subprocess("-o", "conformance_levels=lifecycle,races")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stderr.fnmatch_lines(["*no level 'races'*"])


# The sqlite stores of the examples, many times over -----------------------------------------

SQLITE = ROOT / "examples" / "sqlite-store"


def _sqlite_store(name: str) -> Any:
    sys.path.insert(0, str(SQLITE))
    try:
        import sqlite_concurrent_store
    finally:
        sys.path.remove(str(SQLITE))
    return getattr(sqlite_concurrent_store, name)()


#: Runs of the quick profile against the naive sqlite store, and how many must find it.
SQLITE_RUNS, SQLITE_FOUND = 20, 15


@pytest.mark.slow
def test_the_naive_sqlite_store_is_found_at_quick_in_most_runs() -> None:
    found = 0
    for seed in range(SQLITE_RUNS):
        store = _sqlite_store("NaiveSqliteRunStore")
        try:
            report = certify_obj(store, role="lifecycle", levels=["concurrency"], seed=seed)
        finally:
            store.close()
        found += report["levels"]["concurrency"] == "failed"
    assert found >= SQLITE_FOUND, f"found in {found} of {SQLITE_RUNS} runs"


@pytest.mark.slow
def test_the_begin_immediate_sqlite_store_is_never_blamed() -> None:
    for seed in range(5):
        store = _sqlite_store("ConcurrentSqliteRunStore")
        try:
            report = certify_obj(store, role="lifecycle", levels=LEVELS, seed=seed)
        finally:
            store.close()
        assert report["verdict"] == "conformant", report["verdict_text"]
        assert report["levels"]["concurrency"] == "passed"
