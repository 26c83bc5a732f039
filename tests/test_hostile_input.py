"""Hostile input given to the kit: audited lines, schemas, tables, reports, and the text
implementations answer with.

Each case drives the command line the way a user (or an attacker) would, bounded in time:
a bad line is reported as that line, a file that cannot be a file of records or a schema
is one line and exit status 2, and nothing hangs, fills the memory or ends in a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance.strategies._files import NotStrictJson, strict_json

from tests.common import CLI, read_report, run_cli

pytest_plugins = ["pytester"]

RECORD = {"run_id": "r1", "function_id": "fn", "status": "QUEUED"}
REFERENCE = "inngest_conformance.reference:validator"


def _rows(tmp_path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in read_report(tmp_path / "out")["requirements"]}


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# --- JSON that Python's parser takes and JSON is not ------------------------------------------

NOT_JSON = {
    "nan": ('{"run_id": "r2", "function_id": NaN, "status": "QUEUED"}', "NaN is not JSON"),
    "infinity": ('{"run_id": "r2", "x": -Infinity}', "-Infinity is not JSON"),
    "overflow": ('{"run_id": "r2", "x": 1e999}', "1e999 is beyond a double's range"),
    "duplicate": (
        '{"run_id": "r2", "status": "QUEUED", "status": "COMPLETED", "function_id": "f"}',
        "key 'status' appears twice in one object",
    ),
    "long-integer": ('{"run_id": "r2", "x": ' + "9" * 5000 + "}", "an integer of 5000 digits"),
    "deep": ("[" * 100_000 + "]" * 100_000, "it nests deeper"),
}


@pytest.mark.parametrize("case", sorted(NOT_JSON))
def test_audit_reports_a_line_python_reads_but_json_is_not(tmp_path: Path, case: str) -> None:
    line, says = NOT_JSON[case]
    good = json.dumps(RECORD)
    (tmp_path / "runs.jsonl").write_text(f"{good}\n{line}\n{good}\n", "utf-8")
    result = run_cli(tmp_path, "audit", "runs.jsonl", "--report-dir", "out", timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    row = _rows(tmp_path)["source:emits-valid-records"]
    assert row["outcome"] == "failed"
    assert row["message"].startswith("line 2 is not JSON"), row["message"]
    assert says in row["message"], row["message"]
    assert len(json.dumps(row["counterexample"])) < 3000  # a clipped excerpt, not the line


def test_audit_reports_a_line_that_is_not_utf8_and_judges_the_rest(tmp_path: Path) -> None:
    good = json.dumps(RECORD).encode()
    bad = json.dumps({**RECORD, "run_id": "r2"}).encode().replace(b"r2", b"r\xff")
    odd = json.dumps({**RECORD, "run_id": "r3", "status": "DONE"}).encode()
    (tmp_path / "runs.jsonl").write_bytes(b"\n".join([good, bad, odd]) + b"\n")
    result = run_cli(tmp_path, "audit", "runs.jsonl", "--report-dir", "out", timeout=60)
    assert result.returncode == 1, result.stderr
    message = _rows(tmp_path)["source:emits-valid-records"]["message"]
    assert message.startswith("2 failures: line 2 is not UTF-8 text (byte 14)"), message
    assert "line 3: /status" in message
    assert read_report(tmp_path / "out")["audited"]["records"] == 2


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
       allow_infinity=False) | st.text(), lambda inner: st.lists(inner)
       | st.dictionaries(st.text(), inner), max_leaves=20))  # fmt: skip
def test_strict_json_reads_every_json_document_as_python_does(value: Any) -> None:
    text = json.dumps(value)
    assert strict_json(text) == json.loads(text)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-2E+999"]), st.booleans())
def test_strict_json_refuses_what_only_python_reads(token: str, nested: bool) -> None:
    text = f'{{"a": [{token}]}}' if nested else token
    with pytest.raises(NotStrictJson):
        strict_json(text)


# --- lines and files without end ------------------------------------------------------------


def test_an_overlong_line_is_a_bad_line_skipped_without_being_held(tmp_path: Path) -> None:
    good = json.dumps(RECORD)
    huge = json.dumps({**RECORD, "run_id": "r2", "output": {"x": "y" * 50_000}})
    (tmp_path / "runs.jsonl").write_text(f"{good}\n{huge}\n{good}\n", "utf-8")
    result = run_cli(
        tmp_path, "audit", "runs.jsonl", "--max-line-mb", "0.01", "--report-dir", "out"
    )
    assert result.returncode == 1, result.stderr
    message = _rows(tmp_path)["source:emits-valid-records"]["message"]
    assert message == "line 2 is longer than 10485 bytes (--max-line-mb)"
    assert read_report(tmp_path / "out")["audited"]["records"] == 2
    bad = run_cli(tmp_path, "audit", "runs.jsonl", "--max-line-mb", "0")
    assert "--max-line-mb: '0' is not a number of MiB above 0" in one_line_error(bad)


DEVICE_COMMANDS = {
    "audit": ("audit", "/dev/zero"),
    "validate": ("validate", "/dev/zero"),
    "certify-schema": ("certify", "--target", REFERENCE, "--schema", "/dev/zero"),
    "requirements": ("requirements", "--lifecycle", "/dev/zero"),
}


@pytest.mark.parametrize("command", sorted(DEVICE_COMMANDS))
def test_a_device_is_refused_in_one_line(tmp_path: Path, command: str) -> None:
    line = one_line_error(run_cli(tmp_path, *DEVICE_COMMANDS[command], timeout=30))
    assert "/dev/zero" in line and "not" in line, line


def test_a_fifo_given_as_a_schema_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "schema.json")
    result = run_cli(tmp_path, "requirements", "--schema", "schema.json", timeout=30)
    assert "is not a regular file" in one_line_error(result)


def test_a_file_over_the_size_limit_is_refused_and_the_limit_can_be_raised(
    tmp_path: Path,
) -> None:
    record = {**RECORD, "output": {"pad": "x" * 3_000_000}}
    (tmp_path / "big.json").write_text(json.dumps(record), "utf-8")
    env = {**os.environ, "INNGEST_CONFORMANCE_MAX_FILE_MB": "2"}
    small = subprocess.run(
        [*CLI, "validate", "big.json"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    line = one_line_error(small)
    assert "larger than 2 MiB" in line and "INNGEST_CONFORMANCE_MAX_FILE_MB" in line
    env["INNGEST_CONFORMANCE_MAX_FILE_MB"] = "8"
    raised = subprocess.run(
        [*CLI, "validate", "big.json"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert raised.returncode == 0, raised.stderr


@pytest.mark.slow
def test_audit_of_a_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    """60 MB of records (300,000 lines, 30,000 runs): holding every row took about 6 bytes
    of memory per byte of file; streaming keeps what later records are judged against."""
    path = tmp_path / "runs.jsonl"
    pad = "x" * 100
    with path.open("w", encoding="utf-8") as fh:
        for i in range(30_000):
            base = {"run_id": f"run-{i}", "function_id": "fn", "app_id": pad}
            fh.write(json.dumps({**base, "status": "QUEUED"}) + "\n")
            start = {**base, "status": "RUNNING", "started_at": "2024-01-01T00:00:00Z"}
            for _ in range(8):
                fh.write(json.dumps(start) + "\n")
            fh.write(json.dumps({**start, "status": "COMPLETED",
                                 "ended_at": "2024-01-01T00:00:09Z"}) + "\n")  # fmt: skip
    size = path.stat().st_size
    (tmp_path / "one.jsonl").write_text(json.dumps(RECORD) + "\n", "utf-8")
    floor_kb, _ = _peak_kb(["audit", str(tmp_path / "one.jsonl"), "--report-dir", "one"], tmp_path)
    peak_kb, status = _peak_kb(["audit", str(path), "--report-dir", "out"], tmp_path)
    assert status == 0
    assert read_report(tmp_path / "out")["audited"] == {
        "records": 300_000,
        "runs": 30_000,
        "transitions": 60_000,
    }
    # What the file added to the peak is less than its size (rows held were several times it).
    assert (peak_kb - floor_kb) * 1024 < size, (peak_kb, floor_kb, size)


def _peak_kb(args: list[str], cwd: Path) -> tuple[int, int]:
    """The peak resident memory (KiB) of the CLI run with ``args``, and its exit status,
    measured in a process of its own (the peak of its only child)."""
    code = (
        "import resource, subprocess, sys; "
        f"r = subprocess.run({[*CLI, *args]!r}, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=600,
        check=True,
    )  # fmt: skip
    peak, status = map(int, out.stdout.split())
    return peak, status


def test_a_backtracking_pattern_leaves_a_line_undecided_not_the_audit_endless(
    tmp_path: Path,
) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["run_id", "status"],
        "properties": {
            "run_id": {"type": "string"},
            "status": {"enum": ["QUEUED", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED"]},
            "name": {"type": "string", "pattern": "^(a+)+$"},
        },
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema), "utf-8")
    lines = [
        {"run_id": "r1", "status": "QUEUED", "name": "aaa"},
        {"run_id": "r2", "status": "QUEUED", "name": "a" * 41 + "!"},
        {"run_id": "r3", "status": "QUEUED", "name": "b"},
    ]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines), "utf-8")
    result = run_cli(
        tmp_path, "audit", "runs.jsonl", "--schema", "schema.json", "--record-timeout", "0.5",
        "--report-dir", "out", timeout=60,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    row = _rows(tmp_path)["source:emits-valid-records"]
    # Line 3 breaks the pattern (judged); line 2 could not be judged in time.
    assert row["outcome"] == "failed" and "line 3: /name" in row["message"], row
    assert result.returncode == 1
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines[:2]), "utf-8")
    result = run_cli(
        tmp_path, "audit", "runs.jsonl", "--schema", "schema.json", "--record-timeout", "0.5",
        "--report-dir", "out", timeout=60,
    )  # fmt: skip
    row = _rows(tmp_path)["source:emits-valid-records"]
    assert row["outcome"] == "errored", row
    assert row["message"].startswith("line 2 was not judged within 0.5 s"), row["message"]
    assert read_report(tmp_path / "out")["verdict"] == "error"


# --- a case log on a full disk ------------------------------------------------------------


@contextlib.contextmanager
def small_disk(where: Path, size: str = "48k") -> Iterator[Path]:
    """A real filesystem of ``size`` mounted at ``where`` (a tmpfs: root only)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_a_case_log_on_a_full_disk_is_a_warning_and_the_reports_stand(
    tmp_path: Path, jobs: str
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        result = run_cli(
            tmp_path, "certify", "--target", REFERENCE, "--profile", "quick", "--jobs", jobs,
            "--log-cases", str(disk / "cases.jsonl"), "--report-dir", "out",
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        warning = f"--log-cases {disk / 'cases.jsonl'}: the case log was not written: "
        assert f"inngest-conformance: warning: {warning}No space left on device" in result.stderr
        assert not (disk / "cases.jsonl").exists()  # no log with cases missing
        assert list(disk.iterdir()) == []  # nor its parts
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "conformant"
    assert any(w.startswith(warning) for w in report["warnings"])


def test_a_case_log_is_never_renamed_over_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "cases.jsonl")
    result = run_cli(
        tmp_path, "certify", "--target", REFERENCE, "--profile", "quick",
        "--log-cases", "cases.jsonl", "--report-dir", "out",
    )  # fmt: skip
    assert "it is not a regular file" in one_line_error(result)
    assert stat.S_ISFIFO((tmp_path / "cases.jsonl").stat().st_mode)


def test_the_plugin_warns_of_a_case_log_it_could_not_write(
    tmp_path: Path, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_nothing="def test_one():\n    assert True\n")
    with small_disk(tmp_path / "disk", "16k") as disk:
        result = pytester.runpytest_subprocess(
            f"--conformance-target={REFERENCE}",
            "--conformance-profile=quick", f"--conformance-log-cases={disk / 'cases.jsonl'}",
        )  # fmt: skip
        out = result.stdout.str()
        assert result.ret == 0, out
        assert "inngest-conformance: warning: --conformance-log-cases" in out
        assert "the case log was not written: No space left on device" in out
        assert not (disk / "cases.jsonl").exists()


# --- lone surrogates: JSON can say them, UTF-8 cannot ----------------------------------------

SURROGATE_VALIDATOR = """
from inngest_conformance.reference import Verdict


def validate(record):
    # Rejects every record, with messages holding lone surrogates.
    return Verdict(False, ("bad \\ud800 thing", "and \\udfff"))
"""


def test_a_lone_surrogate_in_an_audited_line_is_reported_and_read_back(tmp_path: Path) -> None:
    (tmp_path / "runs.jsonl").write_text('{"run_id": "r\\ud800", "status": "QUEUED"}\n', "ascii")
    result = run_cli(tmp_path, "audit", "runs.jsonl", "--report-dir", "out", timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    row = _rows(tmp_path)["source:emits-valid-records"]
    assert row["counterexample"]["run_id"] == "r\ud800"  # the same value, read back
    for name in ("report.md", "report.html"):
        assert "\\ud800" in (tmp_path / "out" / name).read_text("utf-8")


@pytest.mark.parametrize("door", ["cli", "plugin"])
def test_a_lone_surrogate_in_an_answer_never_costs_the_report(
    tmp_path: Path, pytester: pytest.Pytester, door: str
) -> None:
    if door == "cli":
        (tmp_path / "surrogates.py").write_text(SURROGATE_VALIDATOR, "utf-8")
        result = run_cli(
            tmp_path, "certify", "--target", "surrogates:validate", "--profile", "quick",
            "--levels", "schema", "--report-dir", "out", timeout=120,
        )  # fmt: skip
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        folder = tmp_path / "out"
    else:
        pytester.makepyfile(surrogates=SURROGATE_VALIDATOR)
        result_p = pytester.runpytest_subprocess(
            "--conformance-target=surrogates:validate", "--conformance-profile=quick",
            "--conformance-report=out", "-p", "no:cacheprovider",
        )  # fmt: skip
        assert "Traceback" not in result_p.stdout.str() + result_p.stderr.str()
        assert result_p.ret == 1
        folder = pytester.path / "out"
    report = read_report(folder)
    answers = json.dumps([r.get("answer") for r in report["requirements"]])
    assert "\\ud800" in answers and "\\udfff" in answers, answers
    assert (folder / "report.html").exists() and (folder / "report.md").exists()


# --- an implementation's text is data in every output -----------------------------------------

HOSTILE_NAME = (
    "evil\x1b[31mRED\x07 <img src=x onerror=alert(1)>\n# Heading "
    "[click](javascript:alert(1)) ![t](https://evil.example/t.png) www.evil.example"
)


def test_a_hostile_name_is_inert_in_the_terminal_markdown_junit_and_step_summary(
    tmp_path: Path,
) -> None:
    harness = [sys.executable, "-m", "inngest_conformance.harness", "--target",
               "tests.defects:lowercases_status", "--name", HOSTILE_NAME]  # fmt: skip
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [*CLI, "compare", "--target", REFERENCE, "--command", shlex.join(harness),
         "--profile", "quick", "--levels", "schema", "--report-dir", "out",
         "--junit", "out/junit.xml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    for text in (result.stdout, result.stderr):
        assert not any(c in text for c in "\x1b\x07"), text
    assert "\\u001b[31mRED" in result.stdout
    markdown = (tmp_path / "out" / "report.md").read_text("utf-8") + summary.read_text("utf-8")
    assert not any(line.lstrip().startswith("# Heading") for line in markdown.splitlines())
    assert not any(c in markdown for c in "\x1b\x07")
    # Inside code spans text is inert; outside them nothing may be markup.
    prose = re.sub(r"(`+)(?s:.*?)\1", "", markdown)
    assert "<img" not in prose and not re.search(r"(?<!\\)\]\(javascript:", prose)
    assert "![t](" not in prose and "https://evil" not in prose and "www.evil" not in prose
    assert "&lt;img" in prose and "\\[click\\]" in prose
    ET.parse(tmp_path / "out" / "junit.xml")  # well-formed whatever the name holds


def test_a_control_character_in_a_property_name_keeps_junit_well_formed(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "required": ["run_id", "status"],
        "properties": {
            "run_id": {"type": "string"},
            "status": {"enum": ["QUEUED", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED"]},
            "a\x01b\x1bc": {"type": "string"},
        },
        "additionalProperties": False,
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema), "utf-8")
    (tmp_path / "lax.py").write_text("def validate(record):\n    return True\n", "utf-8")
    result = run_cli(
        tmp_path, "certify", "--target", "lax:validate", "--schema", "schema.json",
        "--profile", "quick", "--levels", "schema", "--report-dir", "out",
        "--junit", "out/junit.xml",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    tree = ET.parse(tmp_path / "out" / "junit.xml")
    names = [case.get("name", "") for case in tree.iter("testcase")]
    assert any("\\u0001" in n for n in names), names
    assert "\x1b" not in result.stdout
    markdown = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "\x01" not in markdown and "\x1b" not in markdown


def test_enum_members_with_newlines_and_nul_keep_the_terminal_one_line_each(
    tmp_path: Path,
) -> None:
    statuses = ["QUEUED", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED"]
    schema = {
        "type": "object",
        "required": ["run_id", "status"],
        "properties": {
            "run_id": {"type": "string"},
            "status": {"enum": statuses},
            "kind": {"enum": ["a\nb", "c\x00d", "e\x1b[2Jf"]},
        },
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema), "utf-8")
    result = run_cli(tmp_path, "requirements", "--schema", "schema.json", "--variants")
    assert result.returncode == 0, result.stderr
    assert "\x00" not in result.stdout and "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    # Every line is an id with its keyword and statement, or a variant of one: no member
    # starts a line of its own.
    heads = ("schema:", "format:", "lifecycle:", "concurrency:", "  ")
    assert all(line.startswith(heads) for line in lines)
    assert any("a\\u000ab" in line for line in lines), lines
