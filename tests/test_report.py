"""Reports people can read, trust and reproduce, even when the counterexamples are hostile."""

from __future__ import annotations

import html.parser
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inngest_conformance._adapters import open_adapter
from inngest_conformance._engine import Result
from inngest_conformance._render import to_html, to_markdown, visible
from inngest_conformance._requirements import Requirement
from inngest_conformance._run import certify_adapter
from inngest_conformance.reference import Verdict, validator
from inngest_conformance.report import report_schema, with_report_path, write_reports

from tests.common import certify_obj, timeless, with_tests_importable

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
