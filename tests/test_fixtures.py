"""Tests for :mod:`.strategies._fixtures`, the files :mod:`._output_files` writes and the
``fixtures`` command: reproducible, labelled, content-addressed fixture files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance._audit import audit_records
from inngest_conformance._encode import content_id
from inngest_conformance._output_files import FORMATS, write_fixtures
from inngest_conformance._planning import context
from inngest_conformance.strategies import resolve_lifecycle
from inngest_conformance.strategies._fixtures import Fixtures, Taken
from inngest_conformance.strategies._invalid import (
    InvalidCase,
    Violation,
    label_holds,
    targets,
)
from inngest_conformance.strategies._lifecycle_model import LifecycleModel
from inngest_conformance.strategies._oracle import Oracle, default_oracle
from inngest_conformance.strategies._rfc3339 import is_common_datetime
from inngest_conformance.strategies._schema import RunSchema, default_schema, schema_from_dict
from inngest_conformance.strategies._status_sequences import SequenceViolation, check_sequence

N = 300
CLI = [sys.executable, "-c", "from inngest_conformance._cli import main; raise SystemExit(main())"]


def model(schema: RunSchema | None = None) -> LifecycleModel:
    return resolve_lifecycle(None, schema or default_schema())


def write(out: Path, seed: int, **counts: Any) -> dict[str, Path]:
    schema = counts.pop("schema", default_schema())
    paths = write_fixtures(
        out, schema=schema, model=model(schema), seed=seed, progress=None, **counts
    )
    return {p.name: p for p in paths}


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One fixture set, seed 1, shared by the tests that only read it."""
    return write(tmp_path_factory.mktemp("fx"), 1, valid=N, invalid=N, sequences=N)


# ---------------------------------------------------------------------------------------
# Reproducible from a seed
# ---------------------------------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path: Path, files: dict[str, Path]) -> None:
    again = write(tmp_path, 1, valid=N, invalid=N, sequences=N)
    assert set(again) == {"valid.jsonl", "invalid.jsonl", "sequences.jsonl"} == set(files)
    for name, path in again.items():
        assert path.read_bytes() == files[name].read_bytes(), name


def test_different_seed_different_bytes(tmp_path: Path, files: dict[str, Path]) -> None:
    other = write(tmp_path, 2, valid=N, invalid=N, sequences=N)
    for name, path in other.items():
        assert path.read_bytes() != files[name].read_bytes(), name


def test_streams_are_independent(tmp_path: Path) -> None:
    few = write(tmp_path / "few", 5, valid=50, invalid=10, sequences=10)
    more = write(tmp_path / "more", 5, valid=50, invalid=200, sequences=100)
    assert few["valid.jsonl"].read_bytes() == more["valid.jsonl"].read_bytes()
    longer = write(tmp_path / "longer", 5, valid=80, invalid=10, sequences=10)
    prefix = longer["valid.jsonl"].read_text(encoding="utf-8").splitlines()[:50]
    assert prefix == few["valid.jsonl"].read_text(encoding="utf-8").splitlines()
    assert longer["invalid.jsonl"].read_bytes() == few["invalid.jsonl"].read_bytes()
    assert longer["sequences.jsonl"].read_bytes() == few["sequences.jsonl"].read_bytes()


def test_row_counts_and_canonical_lines(files: dict[str, Path]) -> None:
    for name in ("valid.jsonl", "invalid.jsonl", "sequences.jsonl"):
        lines = files[name].read_text(encoding="utf-8").split("\n")
        assert lines[-1] == ""
        assert len(lines) == N + 1
        for line in lines[:-1]:
            row = json.loads(line)
            # Canonical JSON, with the characters some readers take for a line break
            # escaped: every line reader sees one line.
            canonical = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            for c in "\u0085\u2028\u2029":
                canonical = canonical.replace(c, f"\\u{ord(c):04x}")
            assert line == canonical
            assert line.splitlines() == [line]


def test_no_temporary_files_left(files: dict[str, Path]) -> None:
    directory = next(iter(files.values())).parent
    assert sorted(p.name for p in directory.iterdir()) == sorted(files)


# ---------------------------------------------------------------------------------------
# Content ids
# ---------------------------------------------------------------------------------------


def test_content_id() -> None:
    a = {"run_id": "r", "status": "QUEUED"}
    b = {"status": "QUEUED", "run_id": "r"}
    assert content_id(a) == content_id(b)  # key order does not matter
    assert content_id(a) != content_id({**a, "run_id": "s"})
    assert len(content_id(a)) == 16
    assert int(content_id(a), 16) >= 0
    assert content_id("\ud800") == content_id("\ud800")  # lone surrogates still hash


def test_ids_are_content_hashes(files: dict[str, Path]) -> None:
    for row in rows(files["valid.jsonl"]):
        assert row["id"] == content_id(row["record"])
    for row in rows(files["invalid.jsonl"]):
        assert row["id"] == content_id([row["record"], row["violation"]])
    for row in rows(files["sequences.jsonl"]):
        assert row["id"] == content_id([row["statuses"], row["violation"]])


def test_ids_are_unique_per_content_and_stable_across_seeds(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    other = write(tmp_path, 2, valid=N, invalid=N, sequences=N)
    for name, key in (
        ("valid.jsonl", ("record",)),
        ("invalid.jsonl", ("record", "violation")),
        ("sequences.jsonl", ("statuses", "violation")),
    ):
        by_id: dict[str, str] = {}
        by_content: dict[str, str] = {}
        for path in (files[name], other[name]):
            for row in rows(path):
                content = json.dumps([row[k] for k in key], sort_keys=True)
                # One id, one content; one content, one id.
                assert by_id.setdefault(row["id"], content) == content, (name, row["id"])
                assert by_content.setdefault(content, row["id"]) == row["id"], name
        if name != "sequences.jsonl":
            assert len(by_id) > N  # many distinct records, each with its own id
    # Short status sequences recur across seeds: the same sequence kept the same id.
    ids = [{r["id"] for r in rows(p["sequences.jsonl"])} for p in (files, other)]
    assert ids[0] & ids[1]


# ---------------------------------------------------------------------------------------
# Every row is what its label says
# ---------------------------------------------------------------------------------------


def test_valid_rows_pass_the_oracle(files: dict[str, Path]) -> None:
    oracle = default_oracle()
    for row in rows(files["valid.jsonl"]):
        assert set(row) == {"id", "record"}
        assert oracle.is_valid(row["record"]), row


def test_invalid_rows_fail_for_their_label(files: dict[str, Path]) -> None:
    oracle = default_oracle()
    rules = set()
    for row in rows(files["invalid.jsonl"]):
        assert set(row) == {"id", "record", "violation"}
        case = InvalidCase(row["record"], Violation(**row["violation"]))
        assert not oracle.is_valid(case.record)
        assert label_holds(oracle, case), row
        rules.add(case.violation.rule)
    assert len(rules) == 6


def test_sequence_rows(files: dict[str, Path]) -> None:
    m = model()
    kinds = {True: 0, False: 0}
    for row in rows(files["sequences.jsonl"]):
        assert set(row) == {"id", "statuses", "valid", "violation", "observed_valid"}
        found: SequenceViolation | None = check_sequence(m, row["statuses"])
        kinds[row["valid"]] += 1
        if row["valid"]:
            assert row["violation"] is None
            assert found is None, row
        else:
            assert found is not None, row
            assert found.to_json() == row["violation"]
    assert kinds[True] > 0
    assert kinds[False] > 0


def test_sequence_rows_say_what_audit_says_of_the_same_statuses(files: dict[str, Path]) -> None:
    """``valid`` judges every status a run passed through; ``observed_valid`` is audit's
    reading of a poller's view, where a repeat (``COMPLETED, COMPLETED``) is no step."""
    ctx = context()
    views: Counter[tuple[bool, bool]] = Counter()
    for row in rows(files["sequences.jsonl"]):
        records = [(i, {"run_id": "r", "status": s}) for i, s in enumerate(row["statuses"], 1)]
        results, _ = audit_records(ctx, records)
        order = next(r for r in results if r.requirement.id == "source:statuses-follow-lifecycle")
        assert (order.outcome != "failed") == row["observed_valid"], (row, order.message)
        views[row["valid"], row["observed_valid"]] += 1
        if row["valid"]:
            assert row["observed_valid"], row  # a legal walk is a legal view
    # Both readings occur, and they differ: a repeat or a skip is illegal only as a walk.
    assert views[False, True] > 0 and views[False, False] > 0, views


def test_fixtures_follow_the_schema(tmp_path: Path) -> None:
    doc = copy.deepcopy(dict(default_schema().document))
    doc["properties"]["status"]["enum"].append("SCHEDULED")
    schema = schema_from_dict(doc)
    paths = write(tmp_path, 3, schema=schema, valid=400, invalid=200)
    oracle = Oracle(schema)
    statuses = {row["record"]["status"] for row in rows(paths["valid.jsonl"])}
    assert "SCHEDULED" in statuses
    assert all(oracle.is_valid(r["record"]) for r in rows(paths["valid.jsonl"]))
    for row in rows(paths["invalid.jsonl"]):
        assert label_holds(oracle, InvalidCase(row["record"], Violation(**row["violation"])))


def test_fixtures_class_streams() -> None:
    fx = Fixtures(default_schema(), model(), 9)
    first = list(fx.valid(20))
    assert first == list(Fixtures(default_schema(), model(), 9).valid(20))
    assert list(fx.invalid(0)) == []
    assert len(list(fx.sequences(15))) == 15


# ---------------------------------------------------------------------------------------
# The test-suite format
# ---------------------------------------------------------------------------------------


def test_test_suite_format(tmp_path: Path) -> None:
    paths = write_fixtures(
        tmp_path,
        schema=default_schema(),
        model=model(),
        seed=4,
        valid=100,
        invalid=100,
        fmt="test-suite",
        progress=None,
    )
    assert [p.name for p in paths] == ["test-suite.json"]
    groups = json.loads(paths[0].read_text(encoding="utf-8"))
    assert isinstance(groups, list)
    assert len(groups) == 2
    counts = []
    for group in groups:
        assert set(group) == {"description", "schema", "tests"}
        assert isinstance(group["description"], str)
        oracle = Oracle(schema_from_dict(group["schema"]))
        assert group["schema"] == dict(default_schema().document)
        for test in group["tests"]:
            assert set(test) == {"description", "data", "valid"}
            assert isinstance(test["description"], str)
            assert test["valid"] is oracle.is_valid(test["data"]), test
        counts.append(sum(t["valid"] for t in group["tests"]))
    assert counts == [100, 0]
    assert [len(g["tests"]) for g in groups] == [100, 100]


def test_test_suite_format_is_reproducible(tmp_path: Path) -> None:
    for out in ("a", "b"):
        write_fixtures(
            tmp_path / out,
            schema=default_schema(),
            model=model(),
            seed=4,
            valid=30,
            invalid=30,
            fmt="test-suite",
            progress=None,
        )
    assert (tmp_path / "a" / "test-suite.json").read_bytes() == (
        tmp_path / "b" / "test-suite.json"
    ).read_bytes()


# ---------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------


def test_no_sequences_file_when_none_asked(tmp_path: Path) -> None:
    paths = write(tmp_path, 1, valid=3, invalid=0)
    assert set(paths) == {"valid.jsonl", "invalid.jsonl"}
    assert paths["invalid.jsonl"].read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("name", ["valid", "invalid", "sequences"])
def test_negative_counts_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=f"--{name}"):
        write(tmp_path, 1, **{name: -1})
    assert not list(tmp_path.iterdir())


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    assert FORMATS == ("jsonl", "test-suite")
    with pytest.raises(ValueError, match="xml"):
        write_fixtures(tmp_path, schema=default_schema(), model=model(), seed=1, fmt="xml")


# ---------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def test_cli_writes_the_same_files_as_the_library(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    counts = ("--valid", "5", "--invalid", "5", "--sequences", "5", "--seed", "3")
    result = run_cli("fixtures", *counts, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wrote ") == 3
    lib = write(tmp_path / "lib", 3, valid=5, invalid=5, sequences=5)
    for name, path in lib.items():
        assert (out / name).read_bytes() == path.read_bytes(), name
        assert len(rows(out / name)) == 5


def test_cli_test_suite(tmp_path: Path) -> None:
    counts = ("--valid", "2", "--invalid", "2", "--seed", "1")
    result = run_cli("fixtures", *counts, "--out", str(tmp_path), "--format", "test-suite")
    assert result.returncode == 0, result.stderr
    groups = json.loads((tmp_path / "test-suite.json").read_text(encoding="utf-8"))
    assert [len(g["tests"]) for g in groups] == [2, 2]


def test_cli_negative_count_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "fixtures", "--valid", "-1", "--invalid", "5", "--seed", "3", "--out", str(out)
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--valid" in result.stderr
    assert not out.exists()


def test_cli_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    counts = ("--valid", "1", "--invalid", "1", "--seed", "3")
    result = run_cli("fixtures", *counts, "--out", str(tmp_path), "--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "xml" in result.stderr


def test_cli_bad_schema_is_a_usage_error(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text('{"$schema": 7, "type": "object"}', encoding="utf-8")
    counts = ("--valid", "1", "--invalid", "1", "--seed", "3")
    result = run_cli("fixtures", *counts, "--out", str(tmp_path / "out"), "--schema", str(schema))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(schema) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------
# Unique ids, a balanced mix, common date-times on request
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed7(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``fixtures --invalid 3000 --seed 7`` through the command, as the issue ran it."""
    out = tmp_path_factory.mktemp("seed7")
    counts = ("--valid", "300", "--invalid", "3000", "--sequences", "300", "--seed", "7")
    result = run_cli("fixtures", *counts, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("name", ["valid.jsonl", "invalid.jsonl", "sequences.jsonl"])
def test_ids_are_unique_within_a_file(seed7: Path, name: str) -> None:
    ids = [row["id"] for row in rows(seed7 / name)]
    assert len(ids) == len(set(ids)) == (3000 if name == "invalid.jsonl" else 300)


def test_unique_files_are_still_the_same_bytes_for_the_seed(seed7: Path, tmp_path: Path) -> None:
    again = write(tmp_path, 7, valid=300, invalid=3000, sequences=300)
    for name, path in again.items():
        assert path.read_bytes() == (seed7 / name).read_bytes(), name


def test_invalid_mix_is_balanced_across_rules_and_properties(seed7: Path) -> None:
    invalid = rows(seed7 / "invalid.jsonl")
    by_rule = Counter(r["violation"]["rule"] for r in invalid)
    # Every operator the run schema gives rise to (dependentRequired: none).
    assert set(by_rule) == {t.rule for t in targets(default_schema())}
    assert max(by_rule.values()) - min(by_rule.values()) <= 1, by_rule
    for rule in by_rule:
        by_property = Counter(
            r["violation"]["property"] for r in invalid if r["violation"]["rule"] == rule
        )
        assert max(by_property.values()) - min(by_property.values()) <= 1, (rule, by_property)


def test_a_generator_with_no_new_rows_left_is_a_clear_error(tmp_path: Path) -> None:
    # A two-status lifecycle has only a handful of sequences: asking for more is refused.
    tiny = schema_from_dict(
        {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["A", "B"]}}}
    )
    table = {"initial": "A", "terminal": ["B"], "transitions": {"A": ["B"]}}
    tiny_model = resolve_lifecycle(table, tiny)
    with pytest.raises(ValueError, match="distinct status sequences"):
        write_fixtures(
            tmp_path, schema=tiny, model=tiny_model, seed=1, sequences=500, progress=None
        )


def test_cli_common_datetimes(tmp_path: Path) -> None:
    counts = ("--valid", "400", "--invalid", "0", "--seed", "3")
    result = run_cli("fixtures", *counts, "--out", str(tmp_path), "--common-datetimes")
    assert result.returncode == 0, result.stderr
    values = [
        v
        for row in rows(tmp_path / "valid.jsonl")
        for k, v in row["record"].items()
        if default_schema().spec(k).format == "date-time"
    ]
    assert len(values) > 100
    assert all(is_common_datetime(v) for v in values), [
        v for v in values if not is_common_datetime(v)
    ]
    # Without the option, the valid file has the RFC 3339 edges as well.
    plain = run_cli("fixtures", *counts, "--out", str(tmp_path / "all"))
    assert plain.returncode == 0, plain.stderr
    assert not all(
        is_common_datetime(v)
        for row in rows(tmp_path / "all" / "valid.jsonl")
        for k, v in row["record"].items()
        if k.endswith("_at")
    )


# ---------------------------------------------------------------------------------------
# Chunks: any process, any order, the same file; memory flat
# ---------------------------------------------------------------------------------------


def test_a_chunk_drawn_whole_is_the_chunk_drawn_lazily() -> None:
    """What a worker process draws (``chunk``) is what the writer would draw itself."""
    fx = Fixtures(default_schema(), model(), 5, chunk_size=300)
    for stream in ("valid", "invalid", "sequences"):
        for k in (0, 3):
            whole = fx.chunk(stream, k)
            assert not whole.dry
            assert [r.line for r in whole.rows] == [r.line for r in fx.draw(stream, k)]
            assert len({r.digest for r in whole.rows}) == len(whole.rows) == 300


def test_rows_across_chunks_are_distinct_and_a_prefix_does_not_depend_on_the_count() -> None:
    """With chunks of 8 rows over a schema of few records, rows repeat across chunks: they
    are skipped, ids stay unique, and the first rows of a longer file are the shorter file."""
    small = schema_from_dict(
        {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"enum": ["A", "B", "C"]}, "n": {"type": "boolean"}},
            "additionalProperties": False,
        }
    )
    table = {"initial": "A", "terminal": ["C"], "transitions": {"A": ["B", "C"], "B": ["C"]}}
    fx = Fixtures(small, resolve_lifecycle(table, small), 2, chunk_size=8)
    for stream in ("invalid", "sequences"):
        long = [r.line for r in fx.rows(stream, 60)]
        assert len(long) == len(set(long)) == 60
        assert [r.line for r in fx.rows(stream, 25)] == long[:25]
        chunks = (fx.chunk(stream, k) for k in range(1000))
        assert [r.line for r in fx.rows(stream, 60, chunks)] == long


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=200))
@settings(max_examples=200)
def test_taken_never_misses_a_taken_id(digests: list[bytes]) -> None:
    taken = Taken()
    for d in digests:
        taken.add(d)
    assert not any(taken.add(d) for d in digests)


def test_the_test_suite_file_is_streamed_as_the_whole_list_would_be_dumped(
    tmp_path: Path,
) -> None:
    schema = default_schema()
    for valid, invalid in ((40, 30), (0, 5), (3, 0)):
        path = write(
            tmp_path / f"{valid}-{invalid}", 4, valid=valid, invalid=invalid, fmt="test-suite"
        )
        fx = Fixtures(schema, model(), 4)
        groups = [
            {
                "description": f"{schema.title or 'run'}: valid records (seed 4)",
                "schema": dict(schema.document),
                "tests": [
                    {"description": f"valid {r['id']}", "data": r["record"], "valid": True}
                    for r in fx.valid(valid)
                ],
            },
            {
                "description": f"{schema.title or 'run'}: invalid records (seed 4)",
                "schema": dict(schema.document),
                "tests": [
                    {
                        "description": f"{r['violation']['rule']} {r['violation']['detail']} at "
                        f"{r['violation']['path'] or '/'} ({r['id']})",
                        "data": r["record"],
                        "valid": False,
                    }
                    for r in fx.invalid(invalid)
                ],
            },
        ]
        expected = json.dumps(groups, indent=2, ensure_ascii=False) + "\n"
        assert path["test-suite.json"].read_text(encoding="utf-8") == expected


@pytest.mark.slow
def test_jobs_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    """Over many chunks of each stream (chunks of 64 rows here), in both formats: the
    workers draw the chunks, the writer takes them in order."""
    for fmt in FORMATS:
        outs = []
        for jobs in (1, 2):
            out = tmp_path / f"{fmt}-{jobs}"
            write(out, 9, valid=700, invalid=700, sequences=150, fmt=fmt, jobs=jobs, chunk_size=64)
            outs.append(out)
        names = sorted(p.name for p in outs[0].iterdir())
        assert names == sorted(p.name for p in outs[1].iterdir()) and names
        for name in names:
            assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), (fmt, name)


def test_cli_jobs_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        counts = ("--valid", "50", "--invalid", "50", "--sequences", "20", "--seed", "9")
        result = run_cli("fixtures", *counts, "--out", str(out), "--jobs", jobs)
        assert result.returncode == 0, result.stderr
        outs.append(out)
    for name in ("valid.jsonl", "invalid.jsonl", "sequences.jsonl"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_jobs_below_one_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(
        "fixtures",
        "--valid",
        "1",
        "--invalid",
        "1",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
        "--jobs",
        "0",
    )
    assert result.returncode == 2
    assert "--jobs" in result.stderr and "Traceback" not in result.stderr
