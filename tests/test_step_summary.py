"""The CI job summary: when ``GITHUB_STEP_SUMMARY`` names a file, certify, compare, audit
and the plugin append a short Markdown summary to it: the verdict line, the levels, each
failure with its counterexample and its ``reproduce:`` command.  A file that cannot be
written costs one warning line on stderr, never the run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from inngest_conformance._baseline import Baseline, Entry
from inngest_conformance._output_files import STEP_SUMMARY, append_step_summary
from inngest_conformance._render import to_step_summary
from inngest_conformance.plugin import NODE, option_name

from tests.common import CLI, REFERENCE, certify_obj, read_report
from tests.defects import accepts_null_or_integer_app_id, lowercases_status

pytest_plugins = ["pytester"]

ENUM_ID = "schema:rejects-not-in-enum:status"
PLANTED = "tests.defects:lowercases_status"
CERTIFY = ("certify", "--target", PLANTED, "--profile", "quick", "--requirement", ENUM_ID)


def run(*args: str, summary: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI from the repository root (so ``tests.defects`` imports), the summary file
    named in its environment."""
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd or Path.cwd(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, STEP_SUMMARY: str(summary)},
    )


def test_the_summary_shows_the_verdict_levels_and_each_failure() -> None:
    report = certify_obj(lowercases_status, only=[ENUM_ID])
    row = report["requirements"][0]
    text = to_step_summary(report)
    assert f"**Verdict: {report['verdict_text']}**" in text
    assert "Levels: schema failed, format skipped, lifecycle skipped." in text
    assert f"`{ENUM_ID}` (MUST) failed: {row['message']}" in text
    assert json.dumps(row["counterexample"], ensure_ascii=False) in text
    assert f"reproduce: `{row['reproduce']}`" in text
    assert "| requirement |" not in text  # the full table is report.md's


APP_ID = "schema:rejects-wrong-type:app_id"


def test_against_a_baseline_the_summary_reads_as_the_exit_status() -> None:
    """A known failure is listed apart with its reason, not among the failures; a new kind
    of a baselined requirement and a fixed one are the failures, each saying why."""
    entries = {ENUM_ID: Entry("status case", ()), APP_ID: Entry("app_id", ("null",))}
    entries["schema:rejects-not-an-object"] = Entry("once", ("array",))
    only = [ENUM_ID, APP_ID, "schema:rejects-not-an-object"]
    baseline = Baseline("known.json", entries)
    report = certify_obj(accepts_null_or_integer_app_id, only=only, baseline=baseline)
    assert report["baseline"]["new"] == [APP_ID]
    text = to_step_summary(report)
    assert "baseline known.json: 0 known failures, 2 fixed, 1 new failure; the run fails." in text
    failing = text.split("Failures (they fail the run):", 1)[1]
    assert f"- `{APP_ID}` (MUST) failed:" in failing
    assert "  - baseline: new kinds of failure, not in the baseline: integer" in failing
    # Both pass with this defect (it judges the status and the document right): fixed.
    for rid in (ENUM_ID, "schema:rejects-not-an-object"):
        assert f"- `{rid}` fixed: remove it from the baseline" in failing
    assert "Known failures (baseline):" not in text

    known = Baseline("known.json", {APP_ID: Entry("app_id is not checked", ("integer", "null"))})
    report = certify_obj(accepts_null_or_integer_app_id, only=[APP_ID], baseline=known)
    text = to_step_summary(report)
    assert "Failures" not in text and "the run passes." in text
    assert text.split("Known failures (baseline):", 1)[1].strip().splitlines() == [
        f"- `{APP_ID}` (MUST) known failure (baseline): app_id is not checked"
    ]


def test_a_hostile_counterexample_is_clipped_inside_one_code_span() -> None:
    report = certify_obj(lowercases_status, only=[ENUM_ID])
    report["requirements"][0]["counterexample"] = "``` </details>\n# heading\x00" + "x" * 10_000
    text = to_step_summary(report)
    line = next(x for x in text.splitlines() if "counterexample:" in x)
    assert line.startswith("  - counterexample: ````") and line.endswith("````")
    assert "\\u0000" in line and "\x00" not in text and "\n# heading" not in text
    assert len(line) < 500


@pytest.mark.slow
def test_certify_appends_and_never_overwrites(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", "utf-8")
    out = ("--report-dir", str(tmp_path / "out"))
    first = run(*CERTIFY, *out, summary=summary)
    assert first.returncode == 1, first.stderr
    second = run(*CERTIFY, *out, "--quiet", summary=summary)
    assert second.returncode == 1
    row = read_report(tmp_path / "out")["requirements"][0]
    text = summary.read_text("utf-8")
    assert text.startswith("earlier step\n")
    assert text.count(f"### inngest-conformance: {PLANTED}") == 2
    assert text.count(f"reproduce: `{row['reproduce']}`") == 2
    assert first.stderr == second.stderr == ""


def test_an_unwritable_summary_is_one_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    result = run(*CERTIFY, "--report-dir", str(tmp_path / "out"), summary=tmp_path)
    assert result.returncode == 1
    assert (tmp_path / "out" / "report.json").is_file()
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"inngest-conformance: warning: cannot append the job summary to {tmp_path}"
    )
    assert "verdict: non-conformant" in result.stdout


@pytest.mark.slow
def test_compare_and_audit_append_theirs(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    compared = run(
        "compare",
        "--target",
        REFERENCE,
        "--target",
        PLANTED,
        "--profile",
        "quick",
        "--levels",
        "format",
        "--report-dir",
        str(tmp_path / "compare"),
        "--quiet",
        summary=summary,
    )
    assert compared.returncode == 0, compared.stderr
    columns = [i["column"] for i in read_report(tmp_path / "compare")["compare"]["implementations"]]
    text = summary.read_text("utf-8")
    assert all(f"- {c}: conformant (4 passed, 0 failed, 0 errored)" in text for c in columns)

    record = {"run_id": "r1", "function_id": "fn", "status": "QUEUED"}
    (tmp_path / "runs.jsonl").write_text(json.dumps(record) + "\n{not json\n", "utf-8")
    audited = run("audit", "runs.jsonl", "--report-dir", "audit", summary=summary, cwd=tmp_path)
    assert audited.returncode == 1, audited.stderr
    text = summary.read_text("utf-8").split("### inngest-conformance:")[-1]
    assert "**Verdict: non-conformant, on 1 record of 1 run" in text
    assert "`source:emits-valid-records`" in text
    assert "reproduce: `inngest-conformance audit runs.jsonl" in text


def test_append_step_summary_does_nothing_without_the_variable(tmp_path: Path) -> None:
    report = certify_obj(lowercases_status, only=[ENUM_ID])
    assert append_step_summary([report], environ={}) is None
    assert append_step_summary([report], environ={STEP_SUMMARY: ""}) is None
    target = tmp_path / "s.md"
    assert append_step_summary([report, report], environ={STEP_SUMMARY: str(target)}) == target
    assert target.read_text("utf-8") == to_step_summary(report) * 2


@pytest.mark.slow
def test_the_plugin_appends_when_it_writes_a_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = pytester.path / "summary.md"
    monkeypatch.setenv(STEP_SUMMARY, str(summary))
    result = pytester.runpytest_subprocess(
        option_name("target"),
        REFERENCE,
        option_name("profile"),
        "quick",
        option_name("report"),
        "out",
        f"{NODE}::{ENUM_ID}",
    )
    assert result.ret == 0
    report = read_report(pytester.path / "out")
    assert summary.read_text("utf-8") == to_step_summary(report)
