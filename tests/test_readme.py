"""The examples of the README and of every page under ``docs/``, run as written.

Every fenced block of those files (:data:`PAGES`, one list) is marked by the line before it.
``<!-- readme-test: not-run REASON -->`` says why a block is shown and not run (a service
that must be listening, a CI system's file); any other block, preceded by
``<!-- readme-test: SCENARIO ACTION -->``, is part of the scenario SCENARIO.  A scenario's
blocks are on one page; they run in order, in a fresh folder, the way a reader would use
them:

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
#: Every page whose blocks are tested: the README and the documentation site's pages.
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
MARKED = re.compile(
    r"^<!-- readme-test: (?P<scenario>[\w-]+) (?P<action>file|pytest|run|output)"
    r"(?P<args>[^>]*?) -->\n```[\w-]*\n(?P<body>.*?)^```$",
    re.M | re.S,
)
NOT_RUN = re.compile(r"^<!-- readme-test: not-run (?P<reason>\S[^>]*?) -->$")
MARKER_LINE = re.compile(r"^<!-- readme-test: [\w-]+ (file|pytest|run|output)[^>]*-->$")
FENCE = re.compile(r"^```")
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
    page: str
    line: int


def scenarios() -> dict[str, list[Step]]:
    out: dict[str, list[Step]] = {}
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT).as_posix()
        for m in MARKED.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            step = Step(m["action"], tuple(m["args"].split()), m["body"], name, line)
            out.setdefault(m["scenario"], []).append(step)
    return out


SCENARIOS = scenarios()


def unmarked_blocks(text: str) -> list[int]:
    """The lines of the fenced blocks in ``text`` that no marker precedes."""
    lines = text.splitlines()
    found, inside = [], False
    for i, line in enumerate(lines):
        if not FENCE.match(line):
            continue
        if not inside:
            before = lines[i - 1] if i else ""
            if not (MARKER_LINE.match(before) or NOT_RUN.match(before)):
                found.append(i + 1)
        inside = not inside
    return found


def test_the_readme_marks_the_examples_a_reader_runs_first() -> None:
    assert {"quickstart", "strategies", "suite", "ini", "cases", "fixtures", "first-hour"} <= set(
        SCENARIOS
    )
    assert {step.page for step in SCENARIOS["quickstart"]} == {"README.md"}
    install, _, certify = SCENARIOS["quickstart"][0].body.strip().rpartition(" && ")
    assert install == "python3 -m venv .venv && .venv/bin/pip install -q ."
    assert certify.startswith(".venv/bin/inngest-conformance certify --target ")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_block_of_a_page_is_run_or_says_why_not(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    lines = unmarked_blocks(text)
    assert not lines, f"{page.relative_to(ROOT)}: blocks at lines {lines} have no marker"


def test_a_scenario_lives_on_one_page() -> None:
    spread = {n: {s.page for s in steps} for n, steps in SCENARIOS.items()}
    assert {n: pages for n, pages in spread.items() if len(pages) > 1} == {}


def test_the_block_check_finds_an_unmarked_block() -> None:
    text = (
        "<!-- readme-test: a run -->\n```sh\ntrue\n```\n\n"
        "```sh\nfalse\n```\n"
        "<!-- readme-test: not-run a service must listen -->\n```sh\ncurl x\n```\n"
    )
    assert unmarked_blocks(text) == [6]


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


#: Scenarios that certify (at the standard profile, several times, or once at quick for a few
#: seconds) or run a pytest subprocess: run with ``-m slow``.  The default suite keeps the
#: scenarios of a second or less.
SLOW = {
    "quickstart",
    "first-hour",
    "suite",
    "ini",
    "export",
    "ci",
    "baseline",
    "use-certify",
    "index",
    "certify",
    "failure",
    "database",
    "compare",
    "harness",
    "plugin-options",
    "plugin-ini",
    "plugin-select",
    "strategies-guide",
    "skip",
    "other-schema",
    "span",
    "wire",
}


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
    # Pages that name the repository's example schemas are read from a checkout (its
    # example projects are not there: their tests would be collected).
    (tmp_path / "examples").mkdir()
    schemas = ROOT / "examples" / "schemas"
    (tmp_path / "examples" / "schemas").symlink_to(schemas, target_is_directory=True)
    env = environment(tmp_path)
    output = ""
    for step in SCENARIOS[name]:
        where = f"{step.page}:{step.line} ({name} {step.action} {' '.join(step.args)})"
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
