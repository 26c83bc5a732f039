"""Time invariants compare instants, and an id that appears or vanishes has changed.

A correct store may read back ``2019-01-01T00:00:01+00:00`` for the ``...Z`` it was given:
the same instant, so no time invariant may blame it, in the lifecycle level or in
``audit``.  A store that sets an id property a run did not have (``app_id`` on completion)
changes the run's identity as surely as one that rewrites it.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance._run_programs import History, record_breaches, same_time
from inngest_conformance.reference import ReferenceStore
from inngest_conformance.strategies import default_lifecycle
from inngest_conformance.strategies._datetimes import gen_datetime, gen_same_instant
from inngest_conformance.strategies._rfc3339 import is_rfc3339_datetime, utc_key
from inngest_conformance.strategies._source import HypothesisSource, RandomSource

from tests.common import certify_obj, read_report, run_cli

MODEL = default_lifecycle()
TIMES = ("started_at", "ended_at")
TIME_REQUIREMENTS = (
    "lifecycle:started-at-never-changes",
    "lifecycle:ended-at-not-before-started-at",
    "lifecycle:returns-valid-records",
)


# --- the judge -----------------------------------------------------------------------------


@settings(max_examples=3000, deadline=None)
@given(st.data())
def test_any_spelling_of_the_start_instant_keeps_it(data: st.DataObject) -> None:
    src = HypothesisSource(data.draw)
    start = gen_datetime(src)
    again = gen_same_instant(src, start)
    assert is_rfc3339_datetime(again) and utc_key(again) == utc_key(start)
    base = {"run_id": "r", "function_id": "f"}
    history = History(ids=dict(base))
    assert record_breaches(MODEL, "RUNNING", {**base, "status": "RUNNING", "started_at": start},
                           history) == []  # fmt: skip
    paused = {**base, "status": "PAUSED", "started_at": again}
    assert record_breaches(MODEL, "PAUSED", paused, history) == []
    end = gen_same_instant(src, gen_datetime(src, not_before=start))
    done = {**base, "status": "COMPLETED", "started_at": again, "ended_at": end}
    assert record_breaches(MODEL, "COMPLETED", done, history) == []


@settings(max_examples=2000, deadline=None)
@given(st.data())
def test_only_another_instant_breaks_the_start(data: st.DataObject) -> None:
    src = HypothesisSource(data.draw)
    start, other = gen_datetime(src), gen_datetime(src)
    base = {"run_id": "r", "function_id": "f", "status": "RUNNING"}
    history = History(ids={"run_id": "r", "function_id": "f"})
    record_breaches(MODEL, "RUNNING", {**base, "started_at": start}, history)
    breaches = record_breaches(MODEL, "RUNNING", {**base, "started_at": other}, history)
    moved = [b for b in breaches if b.invariant == "started-at-never-changes"]
    assert bool(moved) == (utc_key(start) != utc_key(other)), (start, other)
    assert same_time(start, other) == (utc_key(start) == utc_key(other))


ID_VALUES = st.text(max_size=5) | st.integers() | st.none()


@settings(max_examples=2000, deadline=None)
@given(
    before=st.dictionaries(st.sampled_from(["app_id", "event_id", "function_id"]), ID_VALUES),
    after=st.dictionaries(st.sampled_from(["app_id", "event_id", "function_id"]), ID_VALUES),
)
def test_ids_break_exactly_when_one_appears_vanishes_or_changes(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    first = {"run_id": "r", "status": "QUEUED", **before}
    later = {"run_id": "r", "status": "QUEUED", **after}
    history = History(ids=MODEL.fields.ids(first))
    breaches = [b for b in record_breaches(MODEL, "QUEUED", later, history)]
    changed = [b for b in breaches if b.invariant == "ids-never-change"]
    assert bool(changed) == (before != after), (before, after)
    for name in set(before) ^ set(after):
        assert changed and name in changed[0].message
        state = "absent before" if name in after else "now absent"
        assert state in changed[0].message


# --- the lifecycle level ----------------------------------------------------------------


class RespellingStore(ReferenceStore):
    """A correct store whose every answer spells its times anew: the same instant in any
    valid spelling (``+00:00``, ``-00:00``, lower-case ``t``/``z``, other offsets, more
    fraction digits), a different one each read."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.reads = itertools.count(seed * 1_000_003)

    def _respell(self, record: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(record)
        for name in TIMES:
            if isinstance(out.get(name), str):
                out[name] = gen_same_instant(RandomSource(next(self.reads)), out[name])
        return out

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        return self._respell(super().create(record))

    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> dict[str, Any]:
        return self._respell(super().transition(run_id, status, at, output))

    def get(self, run_id: str) -> dict[str, Any]:
        return self._respell(super().get(run_id))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_store_that_respells_its_times_is_conformant(seed: int) -> None:
    store = RespellingStore(seed)
    report = certify_obj(store, role="lifecycle", seed=seed)
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert set(outcomes.values()) == {"passed"}, [
        r for r in report["requirements"] if r["outcome"] != "passed"
    ]
    assert set(TIME_REQUIREMENTS) <= set(outcomes)
    # The store really did respell: its reads were not the spellings it was given.
    assert next(store.reads) > seed * 1_000_003 + 100


class AddsAppIdOnCompletion(ReferenceStore):
    """Sets ``app_id`` to ``"default"`` when a run completes, where it had none."""

    def transition(self, run_id: str, status: str, at: str, output: Any = None) -> dict[str, Any]:
        record = super().transition(run_id, status, at, output)
        if status == "COMPLETED" and "app_id" not in record:
            self.runs[run_id]["app_id"] = record["app_id"] = "default"
        return record


def test_an_id_that_appears_is_an_id_that_changed() -> None:
    report = certify_obj(AddsAppIdOnCompletion(), role="lifecycle", seed=0)
    failed = {r["id"]: r for r in report["requirements"] if r["outcome"] == "failed"}
    assert set(failed) == {"lifecycle:ids-never-change"}, failed
    row = failed["lifecycle:ids-never-change"]
    assert 'app_id (absent before, now "default")' in row["message"], row["message"]
    assert row["expected"]["app_id"] == "absent"


RESPELLS_UTC = """
from inngest_conformance.reference import ReferenceStore


class Store(ReferenceStore):
    # Reads spell UTC +00:00 where writes echo what they were given (Z).
    def get(self, run_id):
        record = dict(super().get(run_id))
        for name in ("started_at", "ended_at"):
            if isinstance(record.get(name), str):
                record[name] = record[name].replace("Z", "+00:00")
        return record


store = Store()
"""


def test_the_command_line_finds_a_store_spelling_utc_plus_zero_conformant(tmp_path: Path) -> None:
    (tmp_path / "utc_store.py").write_text(RESPELLS_UTC, "utf-8")
    result = run_cli(
        tmp_path, "certify", "--target", "utc_store:store", "--role", "lifecycle",
        "--profile", "quick", "--report-dir", "out",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "conformant"
    row = next(r for r in report["requirements"] if r["id"] == TIME_REQUIREMENTS[0])
    assert row["outcome"] == "passed"


# --- audit ------------------------------------------------------------------------------

Z, PLUS, LOWER = (
    "2019-01-01T00:00:01Z",
    "2019-01-01T00:00:01+00:00",
    "2019-01-01t05:30:01.000+05:30",
)
BASE = {"run_id": "r1", "function_id": "f1"}


def _audit(tmp_path: Path, *records: dict[str, Any]) -> dict[str, Any]:
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (tmp_path / "runs.jsonl").write_text(lines, "utf-8")
    result = run_cli(tmp_path, "audit", "runs.jsonl", "--report-dir", "out")
    assert "Traceback" not in result.stderr, result.stderr
    report = read_report(tmp_path / "out")
    return {r["id"]: r for r in report["requirements"]}


def test_audit_compares_start_times_by_instant(tmp_path: Path) -> None:
    rows = _audit(
        tmp_path,
        {**BASE, "status": "RUNNING", "started_at": Z},
        {**BASE, "status": "PAUSED", "started_at": PLUS},
        {
            **BASE,
            "status": "COMPLETED",
            "started_at": LOWER,
            "ended_at": "2019-01-01T00:00:02-00:00",
        },
    )
    assert rows["source:started-at-never-changes"]["outcome"] == "passed"
    assert rows["source:ended-at-not-before-started-at"]["outcome"] == "passed"


@pytest.mark.parametrize(
    ("first", "later", "says"),
    [
        ({}, {"app_id": "default"}, 'app_id (absent before, now "default")'),
        ({"app_id": "a1"}, {}, 'app_id (was "a1", now absent)'),
    ],
)
def test_audit_finds_an_id_that_appears_or_vanishes(
    tmp_path: Path, first: dict[str, Any], later: dict[str, Any], says: str
) -> None:
    rows = _audit(
        tmp_path,
        {**BASE, **first, "status": "RUNNING", "started_at": Z},
        {**BASE, **later, "status": "COMPLETED", "started_at": Z, "ended_at": Z},
    )
    row = rows["source:ids-never-change"]
    assert row["outcome"] == "failed" and says in row["message"], row
