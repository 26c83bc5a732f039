"""One case, exactly: case ids, the log of every case sent, and ``replay --case``.

The printed ``reproduce`` command is run through a real shell from a report folder whose
name holds quotes, spaces, a newline, ``$``, backticks and non-ASCII text, on a case that
holds them too, and must send exactly that case again.
"""

from __future__ import annotations

import html
import json
import os
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._case_log import case_line, check_log_path
from inngest_conformance._encode import content_id
from inngest_conformance._engine import CaseSent, Judgement, case_id, rebuild_case
from inngest_conformance._planning import context
from inngest_conformance._requirements import catalogue
from inngest_conformance.errors import UsageError
from inngest_conformance.plugin import option_name
from inngest_conformance.report import report_schema
from inngest_conformance.strategies import InvalidCase, Violation

from tests.common import CLI, ROOT, certify_obj, read_report
from tests.defects import accepts_unknown_property

pytest_plugins = ["pytester"]

UNKNOWN_ID = "schema:rejects-unknown-property"
ACCEPTS_ID = "schema:accepts-valid-records"
#: Everything a shell would take apart if a command did not quote it.
NASTY = 'it\'s "q" $HOME `id` \\ \n snow ☃ é'
#: An implementation that rejects every record, its error the record it received.
ECHO = """
import json

from inngest_conformance.reference import Verdict


def validate(record):
    return Verdict(False, (json.dumps(record, sort_keys=True),))
"""
KNOWN = {
    "run_id",
    "function_id",
    "app_id",
    "status",
    "event_id",
    "output",
    "started_at",
    "ended_at",
}
#: A defect for the plugin's own project: unknown properties are dropped, not refused.
PLANTED = f"""
from inngest_conformance.reference import validator

KNOWN = {sorted(KNOWN)!r}


def accepts_unknown(record):
    if isinstance(record, dict):
        record = {{k: v for k, v in record.items() if k in KNOWN}}
    return validator(record)
"""
BY_ID = {r.id: r for r in catalogue(context().schema, model=context().model)}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(),
    )


def _env() -> dict[str, str]:
    """This Python's scripts first on PATH (``inngest-conformance``), the tests importable."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def log_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a case log, parsed; each must be one JSON object on one line."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    lines = data.split(b"\n")[:-1]
    assert len(lines) == len(data.decode("ascii").splitlines())  # no line separator inside
    rows = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) for r in rows)
    return rows


# --- case ids ---------------------------------------------------------------------------


def test_a_case_id_is_the_content_hash_of_the_case_as_reports_show_it() -> None:
    record = {"run_id": "r", "function_id": "f", "status": "QUEUED"}
    assert case_id(record) == content_id(record) == case_id(dict(reversed(record.items())))
    violation = Violation(
        rule="unknown-property",
        keyword="additionalProperties",
        schema_path="/additionalProperties",
        path="/",
        level="schema",
        detail="x",
    )
    invalid = InvalidCase({**record, "x": 1}, violation)
    # An invalid record's id covers its violation, as a fixture file's id does.
    assert case_id(invalid) == content_id([invalid.record, violation.to_json()])
    other = InvalidCase(invalid.record, replace(violation, detail="y"))
    assert case_id(invalid) != case_id(other) != case_id(invalid.record)


def test_every_failure_in_a_report_carries_the_id_of_its_case() -> None:
    report = certify_obj(accepts_unknown_property, only=[UNKNOWN_ID])
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    (row,) = report["requirements"]
    assert row["outcome"] == "failed" and len(row["failures"]) >= 2
    assert row["case_id"] == row["failures"][0]["case_id"]
    req = BY_ID[UNKNOWN_ID]
    ids = [f["case_id"] for f in row["failures"]]
    assert ids == [case_id(rebuild_case(req, f)) for f in row["failures"]]
    assert len(set(ids)) == len(ids)
    for f in row["failures"]:
        assert shlex.split(f["reproduce"])[-2:] == ["--case", f["case_id"]]
    assert shlex.split(row["reproduce"])[1] == "replay"
    assert shlex.split(row["rerun"])[1] == "certify"


# --- the log of every case --------------------------------------------------------------


def test_a_log_line_stays_one_line_of_json_whatever_the_case_holds() -> None:
    hostile = "a\nb\r\x00\u2028\u2029\udfff\ud800" + NASTY + "x" * 100_000
    record = {"run_id": hostile, "function_id": "\ud83d", "status": "QUEUED"}
    sent = CaseSent(BY_ID[ACCEPTS_ID], record, Judgement(False, hostile, {"e": hostile}), "search")
    line = case_line(sent, implementation="impl \n 2")
    assert line.endswith("\n") and line.count("\n") == 1 and line.isascii()
    assert len(line.splitlines()) == 1
    row = json.loads(line)
    assert row["case"] == record and row["message"] == hostile
    assert row["case_id"] == case_id(record) and row["implementation"] == "impl \n 2"
    errored = json.loads(case_line(CaseSent(BY_ID[ACCEPTS_ID], record, None, "shrink", "boom")))
    assert (errored["ok"], errored["errored"], errored["phase"]) == (False, "boom", "shrink")


@pytest.mark.slow
def test_certify_logs_every_case_it_sent(tmp_path: Path) -> None:
    log = tmp_path / "cases.jsonl"
    # The directed valid records hold NUL, line breaks and 10,000-character strings.
    only = ["--requirement", ACCEPTS_ID, "--requirement", UNKNOWN_ID]
    target = ("--target", "tests.defects:accepts_unknown_property", "--profile", "quick")
    done = run(tmp_path, "certify", *target, *only, "--log-cases", str(log))
    assert done.returncode == 1, done.stdout + done.stderr
    rows = log_lines(log)
    report = read_report(tmp_path / "reports")
    # The case count of a requirement is what its search, directed cases and shrinking
    # sent; the log also holds the replays of a shrunk failure (recheck).
    for row in report["requirements"]:
        mine = [r for r in rows if r["requirement"] == row["id"]]
        assert len([r for r in mine if r["phase"] not in ("recheck", "shorten")]) == row["examples"]
    assert [r["requirement"] for r in rows] == sorted(
        (r["requirement"] for r in rows), key=[ACCEPTS_ID, UNKNOWN_ID].index
    )
    strings = [v for r in rows for v in r["case"].values() if isinstance(v, str)]
    assert any("\x00" in v for v in strings) and any("\n" in v for v in strings)
    assert any(len(v) >= 10_000 for v in strings)
    assert {r["phase"] for r in rows} >= {"search", "directed", "recheck"}
    assert all(r["ok"] for r in rows if r["requirement"] == ACCEPTS_ID)
    failed = next(r for r in report["requirements"] if r["outcome"] == "failed")
    for f in failed["failures"]:
        sent = [r for r in rows if r["case_id"] == f["case_id"]]
        assert sent and not sent[-1]["ok"] and sent[-1]["case"] == f["counterexample"]
        assert sent[-1]["answer"] == f["answer"] and sent[-1]["expected"] == f["expected"]
    again = tmp_path / "again.jsonl"
    assert run(tmp_path, "certify", *target, *only, "--log-cases", str(again)).returncode == 1
    assert again.read_bytes() == log.read_bytes()  # the same seed, the same file
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".cases", ".again"))]


def test_a_log_path_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    done = run(tmp_path, "certify", "--target", "x:y", "--log-cases", str(tmp_path / "no" / "a"))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("inngest-conformance: error: --log-cases") and "does not exist" in line
    with pytest.raises(UsageError, match="it is a folder"):
        check_log_path(tmp_path)


@pytest.mark.slow
def test_jobs_write_the_same_log_as_one_process(tmp_path: Path) -> None:
    target = ("--target", "tests.defects:accepts_unknown_property", "--profile", "quick")
    only = ("--levels", "schema")
    for jobs in ("1", "2"):
        done = run(
            tmp_path,
            "certify",
            *target,
            *only,
            "--jobs",
            jobs,
            "--log-cases",
            f"jobs{jobs}.jsonl",
            "--report-dir",
            f"r{jobs}",
        )
        assert done.returncode == 1, done.stdout + done.stderr
    one, two = (tmp_path / "jobs1.jsonl").read_bytes(), (tmp_path / "jobs2.jsonl").read_bytes()
    assert one == two
    ids = [r["requirement"] for r in log_lines(tmp_path / "jobs2.jsonl")]
    planned = [r["id"] for r in read_report(tmp_path / "r2")["requirements"]]
    assert list(dict.fromkeys(ids)) == [i for i in planned if i in ids]
    assert len(set(ids)) > 2


@pytest.mark.slow
def test_compare_logs_each_implementations_cases(tmp_path: Path) -> None:
    log = tmp_path / "cmp.jsonl"
    targets = ["--target", "inngest_conformance.reference:validator"]
    targets += ["--target", "tests.defects:accepts_unknown_property"]
    done = run(
        tmp_path, "compare", *targets, "--profile", "quick", "--levels", "schema",
        "--log-cases", str(log), "--report-dir", "cmp",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    rows = log_lines(log)
    report = read_report(tmp_path / "cmp")
    columns = [i["column"] for i in report["compare"]["implementations"]]
    assert {r["implementation"] for r in rows} == set(columns)
    for row in report["compare"]["matrix"]:
        shared = [r for r in rows if r["requirement"] == row["id"] and r["phase"] == "shared"]
        # Every implementation got the same cases, one implementation after the other.
        assert [r["implementation"] for r in shared] == [
            c for c in columns for _ in range(row["cases"])
        ]
        half = len(shared) // 2
        assert [r["case_id"] for r in shared[:half]] == [r["case_id"] for r in shared[half:]]
    wrong = [r for r in rows if r["requirement"] == UNKNOWN_ID and not r["ok"]]
    assert {r["implementation"] for r in wrong} == {columns[1]}
    assert any(r["phase"] == "disagreement" for r in rows)
    # Each implementation's failures, with their one-case commands, in every format.
    markdown = (tmp_path / "cmp" / "report.md").read_text("utf-8")
    page = (tmp_path / "cmp" / "report.html").read_text("utf-8")
    own = [f for i in report["compare"]["implementations"] for f in i["failures"]]
    assert own
    for f in own:
        assert "--implementation" in f["reproduce"] and f["reproduce"] in done.stdout
        assert f"`{f['reproduce']}`" in markdown and html.escape(f["reproduce"]) in page


# --- one case, exactly ------------------------------------------------------------------


def _printed(out: str, label: str) -> Any:
    line = next(x for x in out.splitlines() if x.startswith(f"  {label}:"))
    return json.loads(line.split(":", 1)[1])


def test_the_printed_reproduce_command_survives_a_real_shell(tmp_path: Path) -> None:
    """The folder name and the case hold what a shell would take apart; the command must
    reach the same report and send exactly the case it names."""
    (tmp_path / "echo.py").write_text(ECHO)
    folder = f"reports {NASTY}"
    done = run(
        tmp_path, "certify", "--target", "echo:validate", "--profile", "quick",
        "--requirement", ACCEPTS_ID, "--report-dir", folder,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    report_path = tmp_path / folder / "report.json"
    report = json.loads(report_path.read_text("utf-8"))
    (row,) = report["requirements"]
    assert row["reproduce"] in done.stdout  # the terminal prints the report's command
    # A case holding all of it too: the report as the user might get it from a colleague.
    nasty = {"run_id": NASTY, "function_id": "\U0001f4a5 $(touch PWNED)", "status": "QUEUED"}
    head = {**row["failures"][0], "counterexample": nasty, "case_id": case_id(nasty)}
    head["reproduce"] = row["reproduce"].replace(row["case_id"], head["case_id"])
    report["requirements"] = [{**row, "failures": [head, *row["failures"][1:]]}]
    report_path.write_text(json.dumps(report, ensure_ascii=False), "utf-8")
    for failure in report["requirements"][0]["failures"]:
        shell = subprocess.run(
            ["sh", "-c", failure["reproduce"]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=_env(),
        )
        assert shell.returncode == 1, (failure["reproduce"], shell.stdout, shell.stderr)
        assert shell.stdout.startswith(f"still-fails   {ACCEPTS_ID}[")
        assert f"  case_id:  {failure['case_id']}" in shell.stdout
        answer = _printed(shell.stdout, "answer")
        # The implementation got exactly the case: its error is the record it received.
        assert json.loads(answer["errors"][0]) == failure["counterexample"]
        assert _printed(shell.stdout, "expected") == {"valid": True}
    assert not list(tmp_path.glob("PWNED*"))


@pytest.mark.slow
def test_replay_case_exit_statuses(tmp_path: Path) -> None:
    done = run(
        tmp_path, "certify", "--target", "tests.defects:accepts_unknown_property",
        "--profile", "quick", "--requirement", UNKNOWN_ID,
    )  # fmt: skip
    assert done.returncode == 1
    row = read_report(tmp_path / "reports")["requirements"][0]
    words = shlex.split(row["reproduce"])
    # Fixed: the same case is now answered as expected.
    at = words.index("--target") + 1
    fixed = run(tmp_path, *words[1:at], "inngest_conformance.reference:validator", *words[at + 1 :])
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout.startswith(f"passes-now    {UNKNOWN_ID}[")
    assert _printed(fixed.stdout, "answer")["valid"] is False
    assert _printed(fixed.stdout, "expected") == row["expected"]
    # An unknown id: one line, naming a few known ones, exit 2.
    unknown = run(tmp_path, *words[1:-1], "0" * 16)
    assert unknown.returncode == 2
    (line,) = unknown.stderr.splitlines()
    assert "no failed case '0000000000000000'" in line and row["case_id"] in line
    assert len(line) < 300


def test_an_errored_requirement_reproduces_its_recorded_case(tmp_path: Path) -> None:
    (tmp_path / "dies.py").write_text(
        f"KNOWN = {sorted(KNOWN)!r}\n\n\ndef validate(record):\n"
        "    if isinstance(record, dict) and set(record) - set(KNOWN):\n"
        "        raise RuntimeError('boom')\n    return True\n"
    )
    done = run(
        tmp_path, "certify", "--target", "dies:validate", "--profile", "quick",
        "--requirement", UNKNOWN_ID,
    )  # fmt: skip
    row = read_report(tmp_path / "reports")["requirements"][0]
    assert row["outcome"] == "errored", done.stdout + done.stderr
    assert row["case_id"] == case_id(rebuild_case(BY_ID[UNKNOWN_ID], row))
    words = shlex.split(row["reproduce"])
    assert words[1] == "replay" and words[-2:] == ["--case", row["case_id"]]
    again = run(tmp_path, *words[1:])
    assert again.returncode == 2 and again.stdout.startswith(f"errored       {UNKNOWN_ID}:")
    assert "boom" in again.stdout


# --- the plugin -------------------------------------------------------------------------


@pytest.mark.slow
def test_the_plugin_logs_every_case_alike_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(planted=PLANTED)
    args = (
        option_name("target"), "planted:accepts_unknown",
        option_name("profile"), "quick", option_name("report"), "out",
    )  # fmt: skip
    serial = pytester.runpytest_subprocess(*args, option_name("log_cases"), "serial.jsonl")
    spread = pytester.runpytest_subprocess(
        *args, "-n", "2", option_name("log_cases"), "spread.jsonl"
    )
    assert serial.ret == spread.ret == 1
    report = read_report(pytester.path / "out")
    ran = [r["id"] for r in report["requirements"]]
    failed = next(r for r in report["requirements"] if r["outcome"] == "failed")
    assert shlex.split(failed["reproduce"])[-2:] == ["--case", failed["case_id"]]
    counts = []
    for name in ("serial.jsonl", "spread.jsonl"):
        rows = log_lines(pytester.path / name)
        # One block per requirement, in catalogue order, whichever worker ran it.
        blocks = [r["requirement"] for r in rows]
        assert [b for i, b in enumerate(blocks) if not i or blocks[i - 1] != b] == ran
        for row in report["requirements"]:
            mine = [r for r in rows if r["requirement"] == row["id"]]
            sent = [r for r in mine if r["phase"] not in ("recheck", "shorten")]
            assert len(sent) == row["examples"]
        mine = [r for r in rows if r["requirement"] == failed["id"]]
        assert {f["case_id"] for f in failed["failures"]} <= {r["case_id"] for r in mine}
        counts.append((pytester.path / name).read_bytes())
    # Every requirement sends the same cases in any process: the same log, byte for byte.
    assert counts[0] == counts[1]
    assert not [p for p in pytester.path.iterdir() if p.name.startswith((".serial", ".spread"))]


@pytest.mark.slow
def test_the_plugin_refuses_a_log_path_it_cannot_write(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        option_name("target"), "inngest_conformance.reference:validator",
        option_name("log_cases"), str(pytester.path / "no" / "such.jsonl"),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert option_name("log_cases") in result.stderr.str()
