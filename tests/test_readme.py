"""The README's examples, run as written.

A fenced block preceded by ``<!-- readme-test: SCENARIO ACTION -->`` is part of the scenario
SCENARIO; the blocks of one scenario run in order, in a fresh folder, the way a reader
would use them:

- ``file PATH``: the block is a file the reader writes (under its base name); when PATH
  exists in the repository the block must be that file, byte for byte;
- ``pytest NAME``: the block is written to NAME and ``pytest`` runs in the folder, under
  default settings, with no example database (a cold start);
- ``run [exit N]``: the block is shell commands, run with bash (``-e``, ``-o pipefail``)
  and the kit's commands on PATH; exit status N (default 0);
- ``output``: each line of the block appears in the last run's output, in order; ``...``
  alone skips, and within a line ``...`` stands for any text.

The reader's own code, which a README can only name (``mypkg.validation:validate_run``,
a ``store`` fixture), is provided by :data:`READER_CODE`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.common import ROOT

README = ROOT / "README.md"
MARKED = re.compile(
    r"^<!-- readme-test: (?P<scenario>[\w-]+) (?P<action>file|pytest|run|output)"
    r"(?P<args>[^>]*?) -->\n```[\w-]*\n(?P<body>.*?)^```$",
    re.M | re.S,
)
READER_CODE = {
    "mypkg/__init__.py": "",
    "mypkg/validation.py": (
        "from inngest_conformance.reference import validator\n\n\n"
        "def validate_run(record):\n"
        "    return validator(record).valid\n"
    ),
    "conftest.py": (
        "import pytest\n"
        "from inngest_conformance.reference import ReferenceStore\n\n\n"
        "@pytest.fixture\n"
        "def store():\n"
        "    return ReferenceStore()\n"
    ),
}


@dataclass(frozen=True)
class Step:
    action: str
    args: tuple[str, ...]
    body: str
    line: int


def scenarios() -> dict[str, list[Step]]:
    text = README.read_text(encoding="utf-8")
    out: dict[str, list[Step]] = {}
    for m in MARKED.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        step = Step(m["action"], tuple(m["args"].split()), m["body"], line)
        out.setdefault(m["scenario"], []).append(step)
    return out


SCENARIOS = scenarios()


def test_the_readme_marks_the_examples_a_reader_runs_first() -> None:
    assert {"quickstart", "strategies", "suite", "ini", "cases", "fixtures", "first-hour"} <= set(
        SCENARIOS
    )
    install, _, certify = SCENARIOS["quickstart"][0].body.strip().rpartition(" && ")
    assert install == "python3 -m venv .venv && .venv/bin/pip install -q ."
    assert certify.startswith(".venv/bin/inngest-conformance certify --target ")


def environment(folder: Path) -> dict[str, str]:
    """The reader's shell: the kit's commands on PATH, nothing of this test run's pytest."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "HYPOTHESIS_", "COV_")) and k != "PYTHONPATH"
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def expect_lines(expected: str, output: str, where: str) -> None:
    lines = output.splitlines()
    at = 0
    for want in expected.splitlines():
        if want.strip() in ("", "..."):
            continue
        parts = [p for p in want.split("...")]
        pattern = ".*?".join(re.escape(p) for p in parts)
        for i in range(at, len(lines)):
            if re.search(pattern, lines[i]):
                at = i + 1
                break
        else:
            raise AssertionError(f"{where}: no line like {want!r} in order in:\n{output}")


#: Scenarios that certify at the standard profile, several times, or through a pytest
#: subprocess: run with ``-m slow``.
SLOW = {"quickstart", "first-hour", "suite", "ini", "export", "ci", "baseline"}


def _param(name: str) -> object:
    marks: list[pytest.MarkDecorator] = []
    if name in SLOW:
        marks.append(pytest.mark.slow)
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [_param(n) for n in sorted(SCENARIOS)])
def test_readme_scenario(name: str, tmp_path: Path) -> None:
    for path, code in READER_CODE.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(code)
    # The quickstart's `.venv` is the environment these tests run in.
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = environment(tmp_path)
    output = ""
    for step in SCENARIOS[name]:
        where = f"README.md:{step.line} ({name} {step.action} {' '.join(step.args)})"
        if step.action == "file":
            (path,) = step.args
            in_repo = ROOT / path
            if in_repo.exists():
                assert step.body == in_repo.read_text(encoding="utf-8"), f"{where} != {path}"
            (tmp_path / Path(path).name).write_text(step.body, encoding="utf-8")
            continue
        if step.action == "output":
            expect_lines(step.body, output, where)
            continue
        if step.action == "pytest":
            (tmp_path / step.args[0]).write_text(step.body, encoding="utf-8")
            command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
            expected = int(step.args[2]) if step.args[1:2] == ("exit",) else 0
        else:
            body = step.body
            if name == "quickstart":
                # The install half is what CI itself does (it builds and installs the wheel);
                # `.venv` here is the environment these tests run in.
                body = body.strip().rpartition(" && ")[2]
            command = ["bash", "-e", "-o", "pipefail", "-c", body]
            expected = int(step.args[1]) if step.args[:1] == ("exit",) else 0
        done = subprocess.run(
            command,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == expected, f"{where}: exit {done.returncode}\n{output}"
        assert "Traceback" not in output, f"{where}\n{output}"
    if name == "ini":
        assert (tmp_path / "reports" / "report.json").is_file()
    if name == "quickstart":
        assert "verdict: conformant" in output
        assert (tmp_path / "reports" / "report.json").is_file()
