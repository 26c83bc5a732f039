"""Schemas of other drafts through the doors: ``--draft`` on the command line and
``--conformance-draft`` in the plugin, and a draft 7 schema certified end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from inngest_conformance.plugin import option_name

from tests.common import REFERENCE, read_report, run_cli, with_tests_importable

pytest_plugins = ["pytester"]

DRAFT_07 = Path(__file__).parent / "data" / "draft-07.schema.json"
QUICK = ("--profile", "quick")


def _without_dialect(folder: Path) -> Path:
    document = json.loads(DRAFT_07.read_text())
    del document["$schema"]
    path = folder / "schema.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("target", [REFERENCE, "tests.fakes.third_party:draft7_jsonschema"])
def test_a_draft_07_schema_is_certified_end_to_end(tmp_path: Path, target: str) -> None:
    done = run_cli(
        tmp_path, "certify", "--target", target, "--schema", str(DRAFT_07), *QUICK,
        "--report-dir", "out",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = read_report(tmp_path / "out")
    assert report["verdict"] == "conformant"
    assert report["schema"]["draft"] == "7"
    assert report["schema"]["ignored_keywords"] == {
        "markdownDescription": 1,
        "x-intellij-html-description": 1,
    }
    ids = [r["id"] for r in report["requirements"]]
    assert "schema:rejects-extra-item:/pair" in ids
    assert "schema:rejects-missing-dependent:n" in ids
    assert "Schema read as draft 7." in (tmp_path / "out" / "report.md").read_text()


def test_a_planted_draft_mistake_is_found(tmp_path: Path) -> None:
    """python-jsonschema's draft 2020-12 validator on the draft 7 document ignores its
    ``dependencies``: the kit blames it."""
    done = run_cli(
        tmp_path, "certify", "--target", "tests.fakes.third_party:draft7_read_as_2020_12",
        "--schema", str(DRAFT_07), *QUICK, "--report-dir", "out",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    failed = {r["id"] for r in read_report(tmp_path / "out")["requirements"]
              if r["outcome"] == "failed"}  # fmt: skip
    assert "schema:rejects-missing-dependent:n" in failed


def test_draft_names_the_draft_of_a_schema_without_one(tmp_path: Path) -> None:
    plain = _without_dialect(tmp_path)

    def ids(*args: str) -> list[str]:
        done = run_cli(tmp_path, "requirements", "--format", "json", *args)
        assert done.returncode == 0, done.stderr
        return [r["id"] for r in json.loads(done.stdout)]

    as_7 = ids("--schema", str(plain), "--draft", "7")
    assert as_7 == ids("--schema", str(DRAFT_07))
    assert as_7 == ids("--schema", str(DRAFT_07), "--draft", "7")
    # Read as 2020-12, items is an array it does not take: refused, not guessed.
    done = run_cli(tmp_path, "requirements", "--schema", str(plain))
    assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["certify", "compare", "fixtures", "audit", "requirements"])
def test_a_draft_contradicting_schema_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    args = {
        "certify": ["--target", REFERENCE],
        "compare": ["--target", REFERENCE, "--target", REFERENCE],
        "fixtures": ["--valid", "1", "--invalid", "1", "--seed", "0", "--out", "fx"],
        "audit": ["records.jsonl"],
        "requirements": [],
    }[command]
    (tmp_path / "records.jsonl").write_text("{}\n")
    done = run_cli(tmp_path, command, *args, "--schema", str(DRAFT_07), "--draft", "4")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "$schema says draft 7 and --draft says 4" in lines[0]
    assert not (tmp_path / "fx").exists()


def test_an_unknown_draft_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "requirements", "--draft", "5")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--draft" in done.stderr and "2019-09" in done.stderr


@pytest.mark.slow  # a second run through the plugin's door (2 s or more)
def test_the_plugin_reads_a_draft_by_option_and_ini(pytester: pytest.Pytester) -> None:
    plain = _without_dialect(pytester.path)
    base = (option_name("target"), REFERENCE, option_name("profile"), "quick")
    by_option = pytester.runpytest_subprocess(
        *base, option_name("schema"), str(plain), option_name("draft"), "7",
        option_name("report"), "out",
    )  # fmt: skip
    assert by_option.ret == 0, by_option.stdout.str()
    assert read_report(pytester.path / "out")["schema"]["draft"] == "7"
    pytester.makeini(f"[pytest]\nconformance_schema = {DRAFT_07}\nconformance_draft = 4\n")
    refused = pytester.runpytest_subprocess(*base)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*$schema says draft 7 and --draft says 4*"])


def test_a_schema_hook_that_fails_is_one_line() -> None:
    """A target that cannot take the schema (jsonschema-rs refuses a regex of Python's)
    says so in one line, however many lines its own error has."""
    from inngest_conformance._adapters import follow
    from inngest_conformance.errors import TargetError

    class Picky:
        def for_schema(self, schema: object) -> object:
            raise ValueError("not a regex\n\nFailed validating 'format'\n  in schema")

    with pytest.raises(TargetError) as info:
        follow(Picky(), str(DRAFT_07))
    assert "\n" not in str(info.value)
    assert "Picky.for_schema" in str(info.value) and "Failed validating" in str(info.value)


@pytest.mark.slow
def test_export_reads_the_draft_the_report_records(tmp_path: Path) -> None:
    """A report of a schema without ``$schema``, certified with ``--draft 7``, exports
    without ``--draft``: the module judges its cases as draft 7, and still fails where the
    implementation is wrong."""
    plain = _without_dialect(tmp_path)
    done = run_cli(
        tmp_path, "certify", "--target", "tests.fakes.third_party:draft7_read_as_2020_12",
        "--schema", str(plain), "--draft", "7", *QUICK, "--report-dir", "out",
        "--requirement", "schema:rejects-missing-dependent:n",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert read_report(tmp_path / "out")["schema"]["draft"] == "7"
    done = run_cli(
        tmp_path, "export", "out/report.json", "--schema", str(plain), "--pytest", "test_it.py"
    )
    assert done.returncode == 0, done.stderr
    module = (tmp_path / "test_it.py").read_text()
    assert "DRAFT = '7'" in module and "draft=DRAFT," in module
    # Read as 2020-12 (the default), the schema's array ``items`` is refused: the draft
    # that made the report is what makes the export possible.
    done = run_cli(
        tmp_path, "export", "out/report.json", "--schema", str(plain), "--draft", "2020-12",
        "--pytest", "other.py",
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py",
         "--conformance-target", "tests.fakes.third_party:draft7_read_as_2020_12"],
        cwd=tmp_path, env=with_tests_importable(), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 1 and " failed" in ran.stdout, ran.stdout + ran.stderr
