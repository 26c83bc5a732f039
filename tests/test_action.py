"""The GitHub Action (``action.yml``), its steps run here as a runner runs them.

Each step's ``run:`` script goes to ``bash --noprofile --norc -eo pipefail`` (a runner's
``shell: bash``) with the environment its ``env:`` block gives, the inputs filled in as
GitHub would, from the values a test passes or the action's defaults.  The kit is the one
installed in this test environment (``install: ""`` skips pip), or a stand-in Python that
records the command line it is given.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.common import REFERENCE, ROOT, read_report

ACTION = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
INPUT = re.compile(r"^\$\{\{ inputs\.([A-Za-z0-9_-]+) \}\}$")
REQUIRED_ONLY = "schema:accepts-required-only"
ENUM_ID = "schema:rejects-not-in-enum:status"

#: A stand-in for the runner's Python: it records each command line it is given (one JSON
#: list a line), answers ``-m inngest_conformance`` with $FAKE_STATUS and ``-m pip`` with 0,
#: and is this Python for anything else (the splitting of the ``args`` input).
FAKE_PYTHON = """#!{python}
import json, os, sys
with open(os.environ["CALLS"], "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["-m", "inngest_conformance"]:
    sys.exit(int(os.environ.get("FAKE_STATUS", "0")))
if sys.argv[1:3] == ["-m", "pip"]:
    sys.exit(0)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def run_action(
    cwd: Path, inputs: dict[str, str], extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Every step in order, as a runner would; stops at the first that fails."""
    declared = ACTION["inputs"]
    unknown = set(inputs) - set(declared)
    assert not unknown, f"no such input: {unknown}"
    values = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    values.update(inputs)
    result = subprocess.CompletedProcess[str]([], 0, "", "")
    for n, step in enumerate(ACTION["runs"]["steps"]):
        env = {**os.environ, **(extra_env or {})}
        for key, value in step.get("env", {}).items():
            m = INPUT.match(str(value))
            assert m, f"{key}: {value!r} is not one input"
            env[key] = values[m.group(1)]
        script = cwd / f".step-{n}.sh"
        script.write_text(step["run"], "utf-8")
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode:
            break
    return result


def fake_python(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "python"
    path.write_text(FAKE_PYTHON.format(python=sys.executable), "utf-8")
    path.chmod(0o755)
    return str(path), tmp_path / "calls.jsonl"


def calls(path: Path) -> list[list[str]]:
    """The stand-in's ``-m`` command lines (pip, the kit), in order."""
    made = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [words for words in made if words[:1] == ["-m"]]


def test_inputs_reach_the_scripts_only_through_env() -> None:
    steps = ACTION["runs"]["steps"]
    assert ACTION["runs"]["using"] == "composite"
    used: set[str] = set()
    for step in steps:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "an expression pasted into a script is shell injection"
        for value in step.get("env", {}).values():
            m = INPUT.match(str(value))
            assert m is not None
            used.add(m.group(1))
    assert used == set(ACTION["inputs"])
    assert not any("upload" in str(step.get("uses", "")) for step in steps)


def test_the_reference_validator_passes_and_the_reports_are_written(tmp_path: Path) -> None:
    inputs = {
        "install": "",
        "python": sys.executable,
        "target": REFERENCE,
        "profile": "quick",
        "report-dir": "out/conformance",
        "junit": "out/junit.xml",
        "args": f"--requirement {REQUIRED_ONLY}",
    }
    result = run_action(tmp_path, inputs)
    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "out" / "conformance")
    assert report["verdict"] == "conformant" and report["profile"] == "quick"
    assert [r["id"] for r in report["requirements"]] == [REQUIRED_ONLY]
    assert (tmp_path / "out" / "junit.xml").read_text("utf-8").startswith("<?xml")


def test_a_planted_defect_fails_the_step_with_status_1(tmp_path: Path) -> None:
    inputs = {
        "install": "",
        "python": sys.executable,
        "target": "tests.defects:lowercases_status",
        "profile": "quick",
        "args": f"--requirement {ENUM_ID}",
    }
    result = run_action(tmp_path, inputs, {"PYTHONPATH": str(ROOT)})
    assert result.returncode == 1, result.stdout + result.stderr
    report = read_report(tmp_path / "reports")
    assert report["verdict"] == "non-conformant"
    assert "verdict: non-conformant" in result.stdout


def test_the_command_line_the_inputs_make(tmp_path: Path) -> None:
    python, recorded = fake_python(tmp_path)
    inputs = {
        "install": "inngest-conformance==9.9",
        "python": python,
        "command": "node impl.js --flag",
        "baseline": "ci/baseline.json",
        "seed": "7",
        "args": "--skip ID --reason 'not supported here' --levels schema,format",
    }
    result = run_action(tmp_path, inputs, {"CALLS": str(recorded), "FAKE_STATUS": "1"})
    assert result.returncode == 1, result.stderr
    install, certify = calls(recorded)
    assert install == ["-m", "pip", "install", "inngest-conformance==9.9"]
    assert certify == [
        "-m",
        "inngest_conformance",
        "certify",
        "--report-dir",
        "reports",
        "--command",
        "node impl.js --flag",
        "--profile",
        "standard",
        "--seed",
        "7",
        "--baseline",
        "ci/baseline.json",
        "--skip",
        "ID",
        "--reason",
        "not supported here",
        "--levels",
        "schema,format",
    ]


def test_empty_inputs_pass_no_flag_and_skip_the_install(tmp_path: Path) -> None:
    python, recorded = fake_python(tmp_path)
    inputs = {"install": "", "python": python, "url": "http://127.0.0.1:1/", "seed": ""}
    result = run_action(tmp_path, inputs, {"CALLS": str(recorded)})
    assert result.returncode == 0, result.stderr
    [certify] = calls(recorded)
    assert certify == [
        "-m",
        "inngest_conformance",
        "certify",
        "--report-dir",
        "reports",
        "--url",
        "http://127.0.0.1:1/",
        "--profile",
        "standard",
    ]


def test_hostile_inputs_stay_data(tmp_path: Path) -> None:
    python, recorded = fake_python(tmp_path)
    hostile = '$(touch pwned) `touch pwned` "; touch pwned; echo "'
    inputs: dict[str, Any] = {"install": "", "python": python, "target": hostile}
    env = {"CALLS": str(recorded)}
    result = run_action(tmp_path, {**inputs, "args": "--x '$(touch pwned)'"}, env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pwned").exists()
    [certify] = calls(recorded)
    assert certify[certify.index("--target") + 1] == hostile
    assert certify[-2:] == ["--x", "$(touch pwned)"]

    unbalanced = run_action(tmp_path, {**inputs, "args": "--reason 'open"}, env)
    assert unbalanced.returncode == 2
    assert unbalanced.stderr.splitlines() == [
        "inngest-conformance action: error: the args input: No closing quotation"
    ]
