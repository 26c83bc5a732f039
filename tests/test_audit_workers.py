"""``audit --workers``: a file that interleaves several workers' records, judged as a history.

Line order is then not the order things happened.  Where every record of a run says when it
was read (the ``metadata.fetchedAt`` of the API response its line holds), the run is judged
in read order, reads at one instant in an order the lifecycle explains; where not, only what
no order of the lines explains is a failure.  The properties: shuffling the lines of legal
runs never makes a failure, and with read times the verdict is the one of the same records
written in read order and audited line by line.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance._audit import WORKERS, audit_records
from inngest_conformance._planning import context
from inngest_conformance.strategies import LifecycleModel

from tests.common import read_report, run_cli

CTX = context()
MODEL: LifecycleModel = CTX.model
ORDER = "source:statuses-follow-lifecycle"


def record(run_id: str, status: str, start: int | None = 1, end: int = 9) -> dict[str, Any]:
    out: dict[str, Any] = {"run_id": run_id, "function_id": "fn", "status": status}
    if status != "QUEUED" and start is not None:
        out["started_at"] = f"2024-05-01T10:00:0{start}Z"
    if MODEL.is_terminal(status):
        out["ended_at"] = f"2024-05-01T10:00:0{end}Z"
    return out


def read(run: dict[str, Any], at: float) -> dict[str, Any]:
    """``run`` as a poller saved the API's answer: with the time it was read."""
    seconds = f"{at:06.3f}"
    return {"data": run, "metadata": {"fetchedAt": f"2024-05-01T10:01:{seconds}Z"}}


def audit(rows: list[Any], workers: bool = True) -> dict[str, str]:
    results, _ = audit_records(CTX, enumerate(rows, start=1), workers=workers)
    return {r.requirement.id: r.outcome for r in results}


def messages(rows: list[Any]) -> dict[str, str]:
    results, _ = audit_records(CTX, enumerate(rows, start=1), workers=True)
    return {r.requirement.id: r.message for r in results if r.outcome == "failed"}


def test_read_times_put_interleaved_lines_back_in_order() -> None:
    walk = ["QUEUED", "RUNNING", "PAUSED", "RUNNING", "COMPLETED"]
    rows = [read(record("r1", s), float(i)) for i, s in enumerate(walk)]
    shuffled = [rows[3], rows[0], rows[4], rows[2], rows[1]]
    assert audit(shuffled, workers=False)[ORDER] == "failed"  # line by line: goes backwards
    judged = audit(shuffled)
    assert judged[ORDER] == "passed"
    assert set(judged.values()) <= {"passed", "skipped"}


def test_a_run_read_going_backwards_is_blamed_in_read_order() -> None:
    rows = [
        read(record("r1", "COMPLETED"), 3.0),
        read(record("r1", "QUEUED"), 1.0),
        read(record("r1", "RUNNING"), 4.0),  # read after COMPLETED: left a terminal state
    ]
    found = messages(rows)
    assert set(found) == {ORDER}
    assert found[ORDER].startswith("run 'r1' (in the order its records were read): ")


def test_reads_at_one_instant_are_taken_in_an_order_the_lifecycle_explains() -> None:
    """RUNNING's line comes first, both read in the same millisecond: QUEUED, then RUNNING
    (whose start then appears, never vanishes)."""
    rows = [
        read(record("r1", "RUNNING"), 1.0),
        read(record("r1", "QUEUED"), 1.0),
        read(record("r1", "COMPLETED"), 2.0),
    ]
    assert set(audit(rows).values()) <= {"passed", "skipped"}
    # Two outcomes at one instant: no order explains them.
    rows.append(read(record("r1", "CANCELLED"), 2.0))
    assert audit(rows)[ORDER] == "failed"


def test_without_read_times_only_what_no_order_explains_fails() -> None:
    rows = [
        record("r1", "COMPLETED"),
        record("r1", "QUEUED"),
        record("r1", "RUNNING"),
        record("r1", "COMPLETED"),  # the same end, read twice
    ]
    assert audit(rows, workers=False)[ORDER] == "failed"
    assert audit(rows)[ORDER] == "passed"
    two = messages([*rows, record("r2", "COMPLETED"), record("r2", "CANCELLED")])
    assert two[ORDER] == (
        "run 'r2', lines 5 and 6: ended COMPLETED and ended CANCELLED: no order of its "
        "records explains two outcomes"
    )
    moved = messages([record("r3", "FAILED", end=7), record("r3", "FAILED", end=8)])
    assert "a terminal run moved again" in moved[ORDER]
    starts = messages([record("r4", "RUNNING", start=1), record("r4", "PAUSED", start=2)])
    assert set(starts) == {"source:started-at-never-changes"}
    outputs = messages(
        [{**record("r5", "COMPLETED"), "output": {"n": 1}}, record("r5", "COMPLETED")]
    )
    assert set(outputs) == {"source:keeps-output"}


def test_each_record_is_still_judged_on_its_own() -> None:
    bad = {**record("r1", "QUEUED"), "started_at": "2024-05-01T10:00:01Z"}
    assert audit([bad, record("r1", "RUNNING")])["source:no-started-at-while-initial"] == "failed"
    ids = audit([record("r1", "QUEUED"), {**record("r1", "RUNNING"), "app_id": "a"}])
    assert ids["source:ids-never-change"] == "failed"


@st.composite
def legal_walks(draw: st.DrawFn) -> list[str]:
    """A legal walk from QUEUED, each status read once or more (a poller's view)."""
    walk = [MODEL.initial]
    for _ in range(draw(st.integers(0, 6))):
        nexts = sorted(MODEL.successors(walk[-1]))
        if not nexts:
            break
        walk.append(draw(st.sampled_from(nexts)))
    return [s for s in walk for _ in range(draw(st.integers(1, 2)))]


@settings(max_examples=300, deadline=None)
@given(walk=legal_walks(), ties=st.lists(st.booleans(), max_size=16), seed=st.integers(0, 2**32))
def test_shuffled_reads_of_legal_runs_are_never_blamed(
    walk: list[str], ties: list[bool], seed: int
) -> None:
    at, rows = 0.0, []
    for i, status in enumerate(walk):
        if not (i < len(ties) and ties[i]):
            at += 1  # a tie: read in the same millisecond as the one before
        rows.append(read(record("r1", status), at))
    random.Random(seed).shuffle(rows)
    judged = audit(rows)
    assert set(judged.values()) <= {"passed", "skipped"}, judged
    plain = [r["data"] for r in rows]
    assert set(audit(plain).values()) <= {"passed", "skipped"}


@settings(max_examples=300, deadline=None)
@given(
    statuses=st.lists(st.sampled_from(MODEL.statuses), min_size=1, max_size=8),
    seed=st.integers(0, 2**32),
)
def test_with_distinct_read_times_the_verdict_is_that_of_the_lines_in_read_order(
    statuses: list[str], seed: int
) -> None:
    in_order = [read(record("r1", s), float(i)) for i, s in enumerate(statuses)]
    shuffled = list(in_order)
    random.Random(seed).shuffle(shuffled)
    assert audit(shuffled) == audit(in_order, workers=False)


def test_the_command_line_says_how_it_judged(tmp_path: Path) -> None:
    rows = [
        read(record("r1", "RUNNING"), 2.0),
        read(record("r1", "QUEUED"), 1.0),
        record("r2", "QUEUED"),
        record("r2", "RUNNING"),
    ]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    plain = run_cli(tmp_path, "audit", "runs.jsonl", "--report-dir", "a")
    assert plain.returncode == 1, plain.stdout + plain.stderr
    both = run_cli(tmp_path, "audit", "runs.jsonl", "--workers", "--report-dir", "b")
    assert both.returncode == 0, both.stdout + both.stderr
    report = read_report(tmp_path / "b")
    note = next(w for w in report["warnings"] if w.startswith(WORKERS))
    assert "1 run(s) judged in the order their records were read" in note
    assert "1 run(s) without a read time" in note
    assert f"note: {note}" in both.stdout
