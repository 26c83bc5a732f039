"""Run stores and sources as their authors meet the kit: the lifecycle level and ``audit``.

Each scenario writes a small store (the reference with one change) or a JSON Lines file
into a fresh folder and runs ``python -m inngest_conformance`` there, or certifies a store
through the engine, and looks only at the verdict, the blamed requirement and what the
report shows: the exit status, the requirement rows, the counterexample.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from inngest_conformance._planning import context
from inngest_conformance.strategies._oracle import default_oracle
from inngest_conformance.strategies._programs import (
    Create,
    Transition,
    directed_programs,
    gen_program,
    program_from_json,
    program_to_json,
)
from inngest_conformance.strategies._records import ADVERSARIAL_STRINGS
from inngest_conformance.strategies._source import RandomSource

from tests.common import CLI, certify_obj, read_report
from tests.defects import DEFECTS, Defect

pytest_plugins = ["pytester"]

INVARIANT_KEYWORDS = {
    "ids-never-change": "MUST",
    "started-at-never-changes": "MUST",
    "ended-at-not-before-started-at": "MUST",
    "no-started-at-while-initial": "SHOULD",
    "ended-at-exactly-when-terminal": "SHOULD",
    "keeps-output": "SHOULD",
}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )


def certify_store(cwd: Path, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    options = ("--role", "lifecycle", "--profile", "quick", "--report-dir", "out")
    return run(cwd, "certify", "--target", target, *options, *extra)


def row_of(report: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(r for r in report["requirements"] if r["id"] == rid)


def failed(report: dict[str, Any]) -> set[str]:
    return {r["id"] for r in report["requirements"] if r["outcome"] == "failed"}


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# --- what a new run carries -------------------------------------------------------------

#: A correct store that refuses, on create, what the schema says a run gains later.
STRICT_CREATE = """
from inngest_conformance.reference import ReferenceStore

LATER = ("started_at", "ended_at", "output")


class StrictCreate(ReferenceStore):
    refused = LATER

    def create(self, record):
        if any(name in record for name in self.refused):
            raise ValueError("unexpected property on create")
        return super().create(record)


class NoAppIdOnCreate(StrictCreate):
    refused = (*LATER, "app_id")


store = StrictCreate()
no_app_id = NoAppIdOnCreate()
"""


@pytest.mark.parametrize("seed", ["0", "1"])
def test_a_store_refusing_output_on_create_is_conformant(tmp_path: Path, seed: str) -> None:
    (tmp_path / "strict.py").write_text(STRICT_CREATE)
    only = ("--requirement", "lifecycle:creates-runs", "--requirement", "lifecycle:keeps-output")
    result = certify_store(tmp_path, "strict:store", "--seed", seed, *only)
    assert result.returncode == 0, result.stdout + result.stderr
    assert row_of(read_report(tmp_path / "out"), "lifecycle:creates-runs")["outcome"] == "passed"


@pytest.mark.slow
def test_what_a_new_run_carries_is_the_tables(tmp_path: Path) -> None:
    (tmp_path / "strict.py").write_text(STRICT_CREATE)
    only = ("--requirement", "lifecycle:creates-runs")
    default = certify_store(tmp_path, "strict:no_app_id", *only)
    assert default.returncode == 1, default.stdout + default.stderr
    assert "lifecycle:creates-runs" in failed(read_report(tmp_path / "out"))

    table = json.loads(
        (Path(__file__).parent.parent / "strategies/data/lifecycle.json").read_text()
    )
    table["absent"]["QUEUED"].append("app_id")
    (tmp_path / "table.json").write_text(json.dumps(table))
    told = certify_store(tmp_path, "strict:no_app_id", "--lifecycle", "table.json", *only)
    assert told.returncode == 0, told.stdout + told.stderr


def test_created_records_span_the_valid_space_with_unique_ids() -> None:
    ctx = context()
    oracle = default_oracle()
    ids: list[str] = []
    for seed in range(400):
        program = gen_program(RandomSource(seed), ctx.schema, ctx.model, focus="create")
        created = [op.record for op in program if isinstance(op, Create)]
        assert all(oracle.is_valid(record) for record in created)
        assert all(not set(r) & {"started_at", "ended_at", "output"} for r in created)
        run_ids = [r["run_id"] for r in created]
        assert len(run_ids) == len(set(run_ids)), run_ids
        ids += run_ids
    assert "" in ids
    assert any(not i.isascii() for i in ids)
    assert any(len(i) >= 10_000 for i in ids)
    assert any("<" in i for i in ids)
    # And the directed cases try each adversarial id whatever the search draws.
    directed = directed_programs(ctx.schema, ctx.model, focus="create")
    firsts = [p[0] for p in directed]
    assert all(isinstance(op, Create) for op in firsts)
    records = [op.record for op in firsts if isinstance(op, Create)]
    assert {r["run_id"] for r in records} == set(ADVERSARIAL_STRINGS)
    assert all(oracle.is_valid(r) for r in records)


def test_directed_programs_read_a_run_back_in_every_state() -> None:
    ctx = context()
    programs = directed_programs(ctx.schema, ctx.model, focus="states")
    seen = {ctx.model.initial}
    for program in programs:
        seen.update(op.status for op in program[:-2] if isinstance(op, Transition))
        # A report shows a program as JSON, and replay reads it back as the same program.
        assert program_from_json(program_to_json(program)) == program
    assert seen == set(ctx.model.statuses) - set(ctx.model.unused)
    first = programs[0]
    assert isinstance(first[0], Create)
    create, *_, get = program_to_json(first)
    assert create == {"op": "create", "record": first[0].record}
    assert get == {"op": "get", "run_id": first[0].record["run_id"]}


# --- invariant keywords -----------------------------------------------------------------

#: A store that rewrites function_id when a run starts.
CHANGES_FUNCTION_ID = """
from inngest_conformance.reference import ReferenceStore


class ChangesFunctionId(ReferenceStore):
    def transition(self, run_id, status, at, output=None):
        record = super().transition(run_id, status, at, output)
        if status == "RUNNING":
            self.runs[run_id]["function_id"] = record["function_id"] = "fn-v2"
        return record


store = ChangesFunctionId()
"""


@pytest.mark.slow
def test_identity_and_time_are_must_by_default_and_the_table_sets_keywords(
    tmp_path: Path,
) -> None:
    listed = run(tmp_path, "requirements", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    keywords = {r["id"]: r["keyword"] for r in json.loads(listed.stdout)}
    for name, keyword in INVARIANT_KEYWORDS.items():
        assert keywords[f"lifecycle:{name}"] == keyword, name

    (tmp_path / "changes.py").write_text(CHANGES_FUNCTION_ID)
    must = certify_store(tmp_path, "changes:store")
    assert must.returncode == 1, must.stdout + must.stderr
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "non-conformant"
    assert failed(report) == {"lifecycle:ids-never-change"}
    assert "function_id" in row_of(report, "lifecycle:ids-never-change")["message"]

    table = {
        "initial": "QUEUED",
        "transitions": {
            "QUEUED": ["RUNNING", "CANCELLED"],
            "RUNNING": ["PAUSED", "COMPLETED", "FAILED", "CANCELLED"],
            "PAUSED": ["RUNNING", "CANCELLED"],
        },
        "keywords": {"ids-never-change": "SHOULD"},
    }
    (tmp_path / "lenient.json").write_text(json.dumps(table))
    only = ("--requirement", "lifecycle:ids-never-change")
    should = certify_store(tmp_path, "changes:store", "--lifecycle", "lenient.json", *only)
    assert should.returncode == 0, should.stdout + should.stderr
    report = read_report(tmp_path / "out")
    assert row_of(report, "lifecycle:ids-never-change")["keyword"] == "SHOULD"
    assert any("lifecycle:ids-never-change" in w for w in report["warnings"])


def test_a_table_with_a_bad_keyword_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(
        json.dumps(
            {
                "initial": "QUEUED",
                "transitions": {"QUEUED": ["RUNNING"]},
                "keywords": {"ids-never-change": "MAY"},
            }
        )
    )
    line = one_error_line(run(tmp_path, "requirements", "--lifecycle", "bad.json"))
    assert "bad.json" in line and "'MAY'" in line and "MUST or SHOULD" in line


# --- the read-back is judged in every state, the output is kept ----------------------------


def _engine_report(store: Any, rid: str) -> dict[str, Any]:
    return certify_obj(store, seed=0, role="lifecycle", only=[rid])


@pytest.mark.parametrize(
    ("defect", "steps"),
    [
        # create, RUNNING, PAUSED (ended_at appears)
        ("ended-at-on-paused", ["create", "RUNNING", "PAUSED"]),
        # create, RUNNING, PAUSED, RUNNING (started_at overwritten on resume)
        pytest.param(
            "overwrites-started-at-on-resume",
            ["create", "RUNNING", "PAUSED", "RUNNING"],
            marks=pytest.mark.slow,
        ),
    ],
)
def test_counterexamples_have_no_needless_steps(planted: Defect, steps: list[str]) -> None:
    rid = planted.must_fail
    report = _engine_report(planted.make(), rid)
    row = row_of(report, rid)
    assert row["outcome"] == "failed"
    program = row["counterexample"]
    shown = [op["op"] if op["op"] != "transition" else op["status"] for op in program]
    assert shown == steps, program


@pytest.mark.slow
def test_a_dropped_output_is_reported_with_what_was_given() -> None:
    report = _engine_report(DEFECTS["drops-output"].make(), "lifecycle:keeps-output")
    row = row_of(report, "lifecycle:keeps-output")
    assert row["outcome"] == "failed" and row["keyword"] == "SHOULD"
    given = next(op["output"] for op in row["counterexample"] if "output" in op)
    assert row["expected"] == {"output": given}
    assert "output" not in row["answer"]["record"]
    assert report["verdict"] == "conformant"
    assert any("lifecycle:keeps-output" in w for w in report["warnings"])


# --- records as objects -----------------------------------------------------------------

RECORD_OBJECTS = """
from dataclasses import dataclass
from typing import Any, Optional

import pydantic

from inngest_conformance.reference import ReferenceStore


@dataclass
class RunData:
    run_id: str
    function_id: str
    status: str
    app_id: Optional[str] = None
    event_id: Optional[str] = None
    output: Optional[dict] = None
    started_at: Optional[str] = None
    ended_at: Optional[str] = None


class RunModel(pydantic.BaseModel):
    run_id: str
    function_id: str
    status: str
    app_id: Optional[str] = None
    event_id: Optional[str] = None
    output: Optional[dict[str, Any]] = None
    started_at: Optional[str] = None
    ended_at: Optional[str] = None


class ObjectStore:
    def __init__(self, kind):
        self.kind = kind
        self.inner = ReferenceStore()

    def reset(self):
        self.inner.reset()

    def create(self, record):
        return self.kind(**self.inner.create(record))

    def transition(self, run_id, status, at, output=None):
        return self.kind(**self.inner.transition(run_id, status, at, output))

    def get(self, run_id):
        return self.kind(**self.inner.get(run_id))


dataclass_store = ObjectStore(RunData)
pydantic_store = ObjectStore(RunModel)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["dataclass", "pydantic"])
def test_records_as_objects_keep_their_nones_and_name_the_property(
    tmp_path: Path, kind: str
) -> None:
    (tmp_path / "objects.py").write_text(RECORD_OBJECTS)
    result = certify_store(
        tmp_path,
        f"objects:{kind}_store",
        *("--requirement", "lifecycle:returns-valid-records"),
        *("--requirement", "lifecycle:no-started-at-while-initial"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = read_report(tmp_path / "out")
    assert report["counts"]["errored"] == 0
    valid = row_of(report, "lifecycle:returns-valid-records")
    assert valid["outcome"] == "failed"
    assert "None is not of type 'string'" in valid["message"]
    assert "returned a record the schema rejects: /" in valid["message"]
    pointer = valid["message"].split("rejects: ")[1].split(":")[0]
    assert pointer in {"/app_id", "/event_id", "/output", "/started_at", "/ended_at"}
    not_started = row_of(report, "lifecycle:no-started-at-while-initial")
    assert not_started["outcome"] == "failed"
    assert not_started["expected"] == {"started_at": "absent"}
    assert not_started["answer"]["record"]["started_at"] is None


# --- refusals of a store's own class ---------------------------------------------------------

OWN_REFUSALS = """
from inngest_conformance.reference import ReferenceStore


class Refused(Exception):
    pass


class Store(ReferenceStore):
    def create(self, record):
        try:
            return super().create(record)
        except ValueError as exc:
            raise Refused(str(exc)) from None

    def transition(self, run_id, status, at, output=None):
        try:
            return super().transition(run_id, status, at, output)
        except ValueError as exc:
            raise Refused(str(exc)) from None


store = Store()
"""


@pytest.mark.slow
def test_a_store_refusing_with_its_own_class_is_told_how(tmp_path: Path) -> None:
    (tmp_path / "own.py").write_text(OWN_REFUSALS)
    plain = certify_store(tmp_path, "own:store")
    assert plain.returncode in (1, 2), plain.stdout + plain.stderr
    row = row_of(read_report(tmp_path / "out"), "lifecycle:rejects-illegal-transitions")
    assert row["outcome"] == "errored"
    assert "raised Refused" in row["message"]
    assert "ValueError" in row["message"] and "--rejects-with own:Refused" in row["message"]
    assert "conformance_rejects_with" in row["message"]

    named = certify_store(tmp_path, "own:store", "--rejects-with", "own:Refused")
    assert named.returncode == 0, named.stdout + named.stderr
    report = read_report(tmp_path / "out")
    assert "--rejects-with own:Refused" in " ".join(report["invocation"])


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--target", "own:store", "--rejects-with", "own:store"), "not an exception class"),
        (("--target", "own:store", "--rejects-with", "own:Nothing"), "'Nothing'"),
        (("--command", "true", "--rejects-with", "own:Refused"), "--target only"),
    ],
)
def test_a_bad_rejects_with_is_one_line(tmp_path: Path, args: tuple[str, ...], names: str) -> None:
    (tmp_path / "own.py").write_text(OWN_REFUSALS)
    line = one_error_line(run(tmp_path, "certify", *args, "--report-dir", "out"))
    assert names in line


@pytest.mark.slow
def test_the_plugin_takes_rejects_with_from_the_ini(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(own=OWN_REFUSALS)
    pytester.makeini(
        "[pytest]\nconformance_target = own:store\nconformance_role = lifecycle\n"
        "conformance_profile = quick\nconformance_rejects_with = own:Refused\n"
    )
    one = ("-p", "no:cacheprovider", "-k", "illegal")
    result = pytester.runpytest_subprocess(*one)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=1)
    plain = pytester.runpytest_subprocess(*one, "-o", "conformance_rejects_with=")
    assert plain.ret != 0
    plain.stdout.fnmatch_lines(["*--rejects-with own:Refused*"])
    option = pytester.runpytest_subprocess(
        *one, "-o", "conformance_rejects_with=", "--conformance-rejects-with", "own:Refused"
    )
    assert option.ret == 0, option.stdout.str()


# --- audit ------------------------------------------------------------------------------

T1, T2, T3 = "2024-01-01T00:00:01Z", "2024-01-01T00:00:02Z", "2024-01-01T00:00:03Z"
BASE = {"run_id": "r1", "function_id": "f1"}


def write_jsonl(path: Path, *records: Any) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path.name


AUDIT_CASES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "ended-before-started-in-a-record": (
        [
            {**BASE, "status": "QUEUED"},
            {**BASE, "status": "RUNNING", "started_at": T2},
            {**BASE, "status": "COMPLETED", "started_at": T2, "ended_at": T1},
        ],
        "source:ended-at-not-before-started-at",
    ),
    "ended-before-started-across-records": (
        [
            {**BASE, "status": "RUNNING", "started_at": T2},
            # Dropping started_at is a change too; the end is still judged against it.
            {**BASE, "status": "FAILED", "ended_at": T1},
        ],
        "source:ended-at-not-before-started-at",
    ),
    "started-at-restarted": (
        [
            {**BASE, "status": "RUNNING", "started_at": T1},
            {**BASE, "status": "PAUSED", "started_at": T1},
            {**BASE, "status": "RUNNING", "started_at": T2},
        ],
        "source:started-at-never-changes",
    ),
    "started-while-queued": (
        [{**BASE, "status": "QUEUED", "started_at": T1}],
        "source:no-started-at-while-initial",
    ),
    "ended-while-paused": (
        [
            {**BASE, "status": "RUNNING", "started_at": T1},
            {**BASE, "status": "PAUSED", "started_at": T1, "ended_at": T2},
        ],
        "source:ended-at-exactly-when-terminal",
    ),
    "output-lost": (
        [
            {**BASE, "status": "COMPLETED", "started_at": T1, "ended_at": T2, "output": {"a": 1}},
            {**BASE, "status": "COMPLETED", "started_at": T1, "ended_at": T2},
        ],
        "source:keeps-output",
    ),
    "function-id-changed": (
        [
            {**BASE, "status": "QUEUED"},
            {**BASE, "function_id": "f2", "status": "RUNNING", "started_at": T3},
        ],
        "source:ids-never-change",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(AUDIT_CASES))
def test_audit_checks_every_record_invariant(tmp_path: Path, case: str) -> None:
    records, rid = AUDIT_CASES[case]
    name = write_jsonl(tmp_path / "runs.jsonl", *records)
    result = run(tmp_path, "audit", name, "--report-dir", "out")
    report = read_report(tmp_path / "out")
    also = {"source:started-at-never-changes"} if "across" in case else set()
    assert failed(report) == {rid, *also}, report["requirements"]
    keyword = INVARIANT_KEYWORDS[rid.split(":", 1)[1]]
    assert row_of(report, rid)["keyword"] == keyword
    assert result.returncode == (1 if keyword == "MUST" else 0), result.stdout + result.stderr


def test_audit_reports_every_bad_line(tmp_path: Path) -> None:
    good = {**BASE, "status": "QUEUED"}
    bad = {"run_id": "r2", "status": "QUEUED"}
    name = write_jsonl(tmp_path / "runs.jsonl", good, bad, good, "not json", good, bad)
    (tmp_path / "runs.jsonl").write_text(
        (tmp_path / "runs.jsonl").read_text().replace('"not json"', "{not json")
    )
    result = run(tmp_path, "audit", name, "--report-dir", "out")
    assert result.returncode == 1
    message = row_of(read_report(tmp_path / "out"), "source:emits-valid-records")["message"]
    assert message.startswith("3 failures: ")
    for line in ("line 2: /function_id", "line 4 is not JSON", "line 6: /function_id"):
        assert line in message and line in result.stdout
    assert "line 1" not in message and "line 3" not in message


def test_audit_of_a_huge_file_lists_some_bad_lines_and_counts_the_rest(tmp_path: Path) -> None:
    records = [{"run_id": f"r{i}", "status": "QUEUED"} for i in range(1, 501)]
    name = write_jsonl(tmp_path / "runs.jsonl", *records)
    result = run(tmp_path, "audit", name, "--report-dir", "out")
    assert result.returncode == 1
    message = row_of(read_report(tmp_path / "out"), "source:emits-valid-records")["message"]
    assert message.startswith("500 failures: line 1: ")
    assert "line 20: " in message and "line 21: " not in message
    assert message.endswith("and 480 more")
