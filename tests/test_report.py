"""Reports people can read, trust and reproduce, even when the counterexamples are hostile."""

from __future__ import annotations

import html
import html.parser
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._adapters import open_adapter
from inngest_conformance._engine import Result
from inngest_conformance._render import program_lines, to_html, to_markdown, visible
from inngest_conformance._requirements import Requirement
from inngest_conformance._run import certify_adapter
from inngest_conformance.reference import Verdict, validator
from inngest_conformance.report import report_schema, with_report_path, write_reports

from tests.common import certify_obj, read_report, run_cli, timeless, with_tests_importable
from tests.defects import DEFECTS

HOSTILE_ERROR = "<script>alert('x')</script>\x00\x1b[31m|`|\U0001f4a5"


def _hostile_strings(record: Any) -> bool:
    values = record.values() if isinstance(record, dict) else []
    return any(isinstance(v, str) and any(c < " " or c in "<>&|`" for c in v) for v in values)


def hostile(record: Any) -> Verdict:
    """Accepts anything holding markup or a control character; rejects an empty
    function_id; answers in markup."""
    if _hostile_strings(record):
        return Verdict(True)
    verdict = validator(record)
    if verdict.valid and isinstance(record, dict) and record.get("function_id") == "":
        return Verdict(False, (HOSTILE_ERROR,))
    return Verdict(verdict.valid, (HOSTILE_ERROR,) if not verdict.valid else ())


@pytest.fixture(scope="module")
def hostile_report() -> dict[str, Any]:
    return certify_obj(hostile, profile="quick", seed=3)


@pytest.mark.slow
def test_hostile_counterexamples_are_found(hostile_report: dict[str, Any]) -> None:
    failed = [r for r in hostile_report["requirements"] if r["outcome"] == "failed"]
    assert failed, "the planted defect was not found"
    assert any(_hostile_strings(r["counterexample"]) for r in failed)


def test_report_json_matches_its_schema(hostile_report: dict[str, Any], tmp_path: Path) -> None:
    write_reports(hostile_report, tmp_path)
    loaded = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(report_schema()).validate(loaded)
    # JSON keeps every value whole; only the replay commands name where it was written.
    assert loaded == with_report_path(hostile_report, str(tmp_path / "report.json"))


def _no_raw_controls(text: str) -> None:
    bad = [c for c in text if c < " " and c not in "\n"]
    assert not bad, f"raw control characters: {bad[:5]!r}"


class _Strict(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1


def test_html_escapes_everything(hostile_report: dict[str, Any], tmp_path: Path) -> None:
    write_reports(hostile_report, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    _no_raw_controls(page)
    parser = _Strict()
    parser.feed(page)
    parser.close()
    assert parser.scripts == 0  # markup in counterexamples never becomes markup
    assert "&lt;script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'id="verdict"' in page and hostile_report["verdict"] in page


def test_markdown_tables_do_not_break(hostile_report: dict[str, Any]) -> None:
    text = to_markdown(hostile_report)
    _no_raw_controls(text)
    header: int | None = None  # the cells of the table being read, by its header's pipes
    rows = 0
    for line in text.splitlines():
        unescaped = line.replace("\\|", "").replace("\\\\", "")
        if not line.startswith("|"):
            header = None
        elif header is None:
            header = unescaped.count("|")
        elif line.startswith("| `"):
            assert unescaped.count("|") == header, line
            rows += 1
    # The requirement table and the coverage table: a row each per requirement.
    assert rows == 2 * len(hostile_report["requirements"])


def test_badge_is_well_formed_xml(hostile_report: dict[str, Any], tmp_path: Path) -> None:
    write_reports(hostile_report, tmp_path)
    root = ET.fromstring((tmp_path / "badge.svg").read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")
    assert hostile_report["verdict"] in "".join(root.itertext())


def test_long_values_are_elided_in_human_formats_only() -> None:
    req = Requirement(
        id="x:y",
        level="schema",
        keyword="MUST",
        statement="s",
        role="validator",
        kind="reject",
        gen=lambda src, ctx: None,
    )
    long = "a" * 50_000
    result = Result(req, "failed", 1, 0, "m", {"run_id": long}, {"valid": True}, {"valid": False})
    report = {
        "format": "inngest-conformance-report/1",
        "kit": {"version": "0"},
        "schema": {"sha256": "0" * 64},
        "lifecycle_model": {"sha256": "0" * 64},
        "seed": 0,
        "profile": "quick",
        "role": "validator",
        "implementation": {"name": "<b>x</b>"},
        "verdict": "non-conformant",
        "levels": {"schema": "failed", "format": "skipped", "lifecycle": "skipped"},
        "counts": {"passed": 0, "failed": 1, "errored": 0, "skipped": 0},
        "warnings": [],
        "requirements": [{**result.to_json(), "reproduce": "r", "replay": "p"}],
        "started_at": "2026-01-01T00:00:00Z",
        "duration_s": 0.0,
    }
    assert len(to_html(report)) < 20_000
    assert len(to_markdown(report)) < 5_000
    assert "more characters in report.json" in to_markdown(report)
    assert visible("\x00\U0001f600") == "\\u0000\U0001f600"


@pytest.mark.slow
def test_same_seed_same_report_and_fingerprint() -> None:
    first = certify_obj(hostile, profile="quick", seed=5)
    second = certify_obj(hostile, profile="quick", seed=5)
    assert timeless(first) == timeless(second)
    assert first["fingerprint"] == second["fingerprint"]
    other = certify_obj(validator, profile="quick", seed=5)
    assert other["fingerprint"] != first["fingerprint"]


@pytest.mark.slow
def test_certificate_at_certify_profile(tmp_path: Path) -> None:
    only = ("schema:rejects-not-an-object", "schema:rejects-missing-required:status")
    report = certify_obj(validator, profile="certify", seed=2, only=only)
    paths = {p.name for p in write_reports(report, tmp_path)}
    assert "certificate.json" in paths
    cert = json.loads((tmp_path / "certificate.json").read_text())
    assert cert["fingerprint"] == report["fingerprint"]
    assert cert["verdict"] == "conformant" and cert["levels"]["schema"] == "passed"
    again = certify_obj(validator, profile="certify", seed=2, only=only)
    assert again["fingerprint"] == cert["fingerprint"]  # a third party gets it again
    quick = write_reports(certify_obj(validator, profile="quick", only=only), tmp_path / "q")
    assert "certificate.json" not in {p.name for p in quick}


def test_interrupted_run_writes_a_complete_report(tmp_path: Path) -> None:
    seen = []

    def listener(event: str, req: Any, result: Any) -> None:
        if event == "finish":
            seen.append(req.id)
            if len(seen) == 2:
                raise KeyboardInterrupt

    adapter = open_adapter(obj=validator)
    try:
        cert = certify_adapter(adapter, profile="quick", listener=listener)
    finally:
        adapter.close()
    report = cert.report
    assert report["interrupted"] is True and report["verdict"] == "error"
    assert cert.exit_code == 130
    outcomes = [r["outcome"] for r in report["requirements"]]
    assert outcomes[:2] == ["passed", "passed"] and set(outcomes[2:]) == {"skipped"}
    write_reports(report, tmp_path)
    jsonschema.Draft202012Validator(report_schema()).validate(
        json.loads((tmp_path / "report.json").read_text())
    )
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_rewriting_reports_leaves_no_temporary_files(tmp_path: Path) -> None:
    report = certify_obj(validator, profile="quick", only=("schema:rejects-not-an-object",))
    for _ in range(3):
        write_reports(report, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["badge.svg", "report.html", "report.json", "report.md"]


class Flaky:
    """Wrong on every other call: a nondeterministic implementation."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, record: Any) -> Verdict:
        self.calls += 1
        if self.calls % 2 and isinstance(record, dict) and "run_id" not in record:
            return Verdict(True)
        return validator(record)


def test_nondeterministic_failure_is_reported_flaky() -> None:
    report = certify_obj(Flaky(), profile="quick", only=("schema:rejects-missing-required:run_id",))
    row = report["requirements"][0]
    assert row["outcome"] == "failed" and row["flaky"] is True
    assert row["message"].startswith("flaky:")


@pytest.mark.slow
def test_junit_names_are_requirement_ids(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    env = with_tests_importable()
    pytest_cmd = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q")
    target = ("--conformance-target", "tests.test_report:hostile")
    profile = ("--conformance-profile", "quick")
    proc = subprocess.run(
        [*pytest_cmd, *target, *profile, f"--junitxml={junit}", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    root = ET.parse(junit).getroot()  # well-formed despite control characters in failures
    names = {case.get("name") for case in root.iter("testcase")}
    assert "schema:rejects-missing-required:run_id" in names
    assert any(case.find("failure") is not None for case in root.iter("testcase"))


@pytest.mark.slow
def test_html_renders_in_a_real_browser(hostile_report: dict[str, Any], tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    write_reports(hostile_report, tmp_path)
    profile = tmp_path / "profile"
    common = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    page = (tmp_path / "report.html").as_uri()
    dom = subprocess.run([*common, "--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="verdict"' in dom.stdout and hostile_report["verdict"] in dom.stdout
    assert "<script" not in dom.stdout.lower()
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1200,900", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 5_000  # something was painted


# --- lifecycle evidence a person can read -------------------------------------------------

#: A store that refuses to resume a paused run (the planted defect).
CANNOT_RESUME = DEFECTS["refuses-paused-to-running"].make()
LEGAL = "lifecycle:accepts-legal-transitions"
VALID_RECORDS = "lifecycle:returns-valid-records"


@dataclass(frozen=True)
class Run:
    """One CLI run as a user sees it: the terminal, and each report file."""

    stdout: str
    report: dict[str, Any]
    md: str
    page: str


def _certify_run(folder: Path, target: str, *args: str) -> Run:
    proc = run_cli(
        folder, "certify", "--target", target, "--profile", "quick", *args, "--report-dir", "out"
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = folder / "out"
    return Run(
        proc.stdout,
        read_report(out),
        (out / "report.md").read_text("utf-8"),
        (out / "report.html").read_text("utf-8"),
    )


@pytest.fixture(scope="module")
def resume_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("resume")
    return _certify_run(folder, "tests.test_report:CANNOT_RESUME", "--requirement", LEGAL)


@pytest.fixture(scope="module")
def kinds_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("kinds")
    return _certify_run(folder, "tests.test_hints:NULL_TIMES", "--requirement", VALID_RECORDS)


def test_a_resume_defect_is_visible_in_every_format(resume_run: Run) -> None:
    """Once the terminal clipped the program after its first operation: the refused
    resume, its last step, was only in report.json."""
    (row,) = resume_run.report["requirements"]
    program = row["counterexample"]
    assert [op.get("status") for op in program][-2:] == ["PAUSED", "RUNNING"]
    assert "PAUSED -> RUNNING" in row["message"]
    lines = program_lines(program)
    assert len(lines) == len(program) >= 3
    terminal = resume_run.stdout.splitlines()
    assert f"  counterexample ({len(program)} operations):" in terminal
    assert all(f"    {line}" in terminal for line in lines)
    md = resume_run.md.splitlines()
    assert all(f"  {line}" in md for line in lines)
    assert "PAUSED -> RUNNING" in resume_run.md and "&gt;" not in resume_run.md
    assert all(html.escape(line) in resume_run.page for line in lines)


def test_each_lifecycle_failure_kind_shows_its_message_and_whole_program(kinds_run: Run) -> None:
    (row,) = kinds_run.report["requirements"]
    failures = row["failures"]
    assert len(failures) >= 2 and any("->" in f["kind"] for f in failures)
    terminal, md = kinds_run.stdout.splitlines(), kinds_run.md.splitlines()
    for f in failures:
        assert f"    {f['kind']}: {f['message']}" in terminal
        lines = program_lines(f["counterexample"])
        if f["case_id"] != row["case_id"]:  # the headline's program is shown above it
            assert all(f"      {line}" in terminal for line in lines)
        head = next(x for x in md if x.startswith(f"- `{f['kind']}` (case `{f['case_id']}`): "))
        assert head.endswith(f["message"].replace("<", "&lt;"))
        assert all(f"  {line}" in md for line in lines)
        assert html.escape(f["message"]) in kinds_run.page
        assert all(html.escape(line) in kinds_run.page for line in lines)
    assert "QUEUED->RUNNING" in kinds_run.md and "-&gt;" not in kinds_run.md


def test_markdown_escapes_only_what_markdown_reads_as_markup(resume_run: Run) -> None:
    (row,) = resume_run.report["requirements"]
    fenced = [*row["counterexample"], {"op": "get", "run_id": "```x````"}]
    message = "QUEUED -> RUNNING & <b>bold</b> | pipe"
    md = to_markdown(
        {
            **resume_run.report,
            "requirements": [{**row, "message": message, "counterexample": fenced}],
        }
    )
    assert "- message: QUEUED -> RUNNING &amp; &lt;b>bold&lt;/b> \\| pipe" in md.splitlines()
    # Inside a code block nothing is escaped; its fence outruns the value's backticks.
    last = f'  [{len(fenced) - 1}] {{"op": "get", "run_id": "```x````"}}'
    assert last in md.splitlines()
    assert "  `````text" in md.splitlines()


def test_the_html_opens_with_the_four_counts(resume_run: Run) -> None:
    page, counts = resume_run.page, resume_run.report["counts"]
    start = page.index('id="counts"')
    assert start < page.index("<h2>Failures</h2>")
    shown = re.sub("<[^>]+>", "", page[start : page.index("</p>", start)])
    for outcome in ("passed", "failed", "errored", "skipped"):
        assert f"{counts[outcome]} {outcome}" in shown


@pytest.mark.slow
@pytest.mark.parametrize("which", ["resume_run", "kinds_run", "hostile"])
def test_a_browsers_first_screen_has_the_counts_and_no_id_wraps(
    which: str, request: pytest.FixtureRequest, hostile_report: dict[str, Any], tmp_path: Path
) -> None:
    """Measured in a real browser at 1280x900: the counts are on the first screen, and no
    requirement id or case id breaks over two lines."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    if which == "hostile":
        write_reports(hostile_report, tmp_path)
    else:
        (tmp_path / "report.html").write_text(request.getfixturevalue(which).page, "utf-8")
    (tmp_path / "measure.html").write_text(MEASURE, "utf-8")
    dom = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--allow-file-access-from-files", f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,900", "--dump-dom", (tmp_path / "measure.html").as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'data-measured="([^"]*)"', dom.stdout)
    assert found is not None, dom.stdout[-2000:]
    measured = json.loads(html.unescape(found.group(1)))
    assert 0 < measured["counts_bottom"] < 900
    assert measured["ids"] > 0 and measured["wrapped"] == []


#: A page that loads report.html at 1280x900 and records where the counts end and which
#: ids (the requirement ids of headings and tables, case ids) break over lines.
MEASURE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:1280px;height:900px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument;
  var ids = Array.from(d.querySelectorAll("h3 code, td:first-child code, code.id"));
  document.body.setAttribute("data-measured", JSON.stringify({
    counts_bottom: d.getElementById("counts").getBoundingClientRect().bottom,
    ids: ids.length,
    wrapped: ids.filter(function (e) { return e.getClientRects().length > 1; })
      .map(function (e) { return e.textContent; })
  }));
});
</script></body></html>
"""
