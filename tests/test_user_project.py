"""The kit as a guest: its wheel installed beside an ordinary user's project.

The project keeps what Hypothesis users often keep -- its own ``tests/strategies.py`` and
``tests/conformance.py``, a ``conftest.py`` loading a settings profile -- and its tests
import them by those names.  The kit's wheel (built once from this checkout, or the one CI
names in ``INNGEST_CONFORMANCE_WHEEL``) goes into a fresh venv, and every check runs the
project's pytest in that venv: the project's own suite is unchanged, the plugin certifies
through options and through ini keys, the kit's strategies work in the project's
``@given`` tests, and pytest-xdist writes one merged report.  The examples under
``examples/`` run the same way, through ``examples/run_examples.sh``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.common import ROOT

pytestmark = pytest.mark.slow

WHEEL_ENV = "INNGEST_CONFORMANCE_WHEEL"
VALIDATOR = "inngest_conformance.reference:validator"

# What the user's project holds, file by file.  None of it knows about the kit except
# tests/test_runs.py, which uses the kit's strategies next to the project's own.
PROJECT: dict[str, str] = {
    "conftest.py": """
        from hypothesis import settings

        settings.register_profile("project", max_examples=20, deadline=None)
        settings.load_profile("project")
    """,
    "tests/strategies.py": """
        from hypothesis import strategies as st

        user_ids = st.integers(min_value=1)
        emails = st.from_regex(r"[a-z]{1,8}@example\\.com", fullmatch=True)
    """,
    "tests/conformance.py": """
        def is_user_id(value):
            return isinstance(value, int) and value >= 1
    """,
    "tests/test_users.py": """
        from pathlib import Path

        import conformance
        from conformance import is_user_id
        from hypothesis import given
        from strategies import emails, user_ids


        @given(user_ids)
        def test_user_ids(uid):
            assert is_user_id(uid)


        @given(emails)
        def test_emails(email):
            assert email.endswith("@example.com")


        def test_conformance_is_the_projects_own():
            assert Path(conformance.__file__).parent == Path(__file__).parent
    """,
    "tests/test_runs.py": """
        from hypothesis import given
        from inngest_conformance.strategies import invalid_runs, runs
        from strategies import user_ids


        @given(runs(), user_ids)
        def test_kit_runs_have_their_required_properties(record, uid):
            assert {"run_id", "function_id", "status"} <= set(record)


        @given(invalid_runs(rules=["unknown-property"]))
        def test_kit_invalid_runs_say_what_they_break(case):
            assert case.violation.rule == "unknown-property"
    """,
}
OWN_TESTS = {
    "tests/test_users.py::test_user_ids",
    "tests/test_users.py::test_emails",
    "tests/test_users.py::test_conformance_is_the_projects_own",
    "tests/test_runs.py::test_kit_runs_have_their_required_properties",
    "tests/test_runs.py::test_kit_invalid_runs_say_what_they_break",
}
PLUGIN_INI = {
    "conformance_target": VALIDATOR,
    "conformance_profile": "quick",
    "conformance_report": "reports",
}


def _clean_env() -> dict[str, str]:
    """This process's environment without what would leak the checkout or this session."""
    leaks = ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")
    return {
        k: v for k, v in os.environ.items() if k not in leaks and not k.startswith("PYTEST_XDIST")
    }


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit's wheel: CI's, or one built from a copy of this checkout."""
    given = os.environ.get(WHEEL_ENV)
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"{WHEEL_ENV}={given} is not a file", pytrace=False)
        return path.resolve()
    work = tmp_path_factory.mktemp("wheel")
    # A copy, so that the build leaves nothing in the checkout (build/, *.egg-info).
    source = work / "source"
    ignored = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "node_modules")
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*ignored, ".hypothesis"))
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", "dist", str(source)],
        cwd=work,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (work / "dist").glob("inngest_conformance-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh venv holding the wheel (with its dependencies) and pytest-xdist; its python."""
    where = tmp_path_factory.mktemp("venv")
    made = _run([sys.executable, "-m", "venv", str(where)], cwd=where)
    assert made.returncode == 0, made.stderr
    python = where / "bin" / "python"
    pip_install = (str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check")
    installed = _run([*pip_install, str(wheel), "pytest-xdist"], cwd=where)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


@pytest.fixture(scope="module")
def cli_report(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The main command's report on the reference validator, quick profile, from the venv."""
    where = tmp_path_factory.mktemp("cli")
    kit = venv.with_name("inngest-conformance")
    command = [str(kit), "certify", "--target", VALIDATOR, "--profile", "quick"]
    done = _run([*command, "--report-dir", "reports"], cwd=where)
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads((where / "reports" / "report.json").read_text())
    return report


def make_project(root: Path, ini: dict[str, str] | None = None) -> Path:
    """The user's project in ``root``, its pytest settings (plus ``ini``) in pyproject.toml."""
    for name, text in PROJECT.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    settings = ['testpaths = ["tests"]', 'addopts = "-p no:cacheprovider"']
    settings += [f"{key} = {json.dumps(value)}" for key, value in (ini or {}).items()]
    (root / "pyproject.toml").write_text(
        '[project]\nname = "users"\nversion = "1.0"\n\n[tool.pytest.ini_options]\n'
        + "\n".join(settings)
        + "\n"
    )
    return root


def pytest_in(venv: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run([str(venv), "-m", "pytest", "-rA", *args], cwd=project)


def passed(output: str) -> set[str]:
    """The node ids ``-rA`` lists as passed."""
    return set(re.findall(r"^PASSED (\S+)", output, re.MULTILINE))


def outcomes(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(r["id"], r["outcome"], r["examples"]) for r in report["requirements"]]


def test_the_wheel_installs_only_its_own_namespace(wheel: Path) -> None:
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/")[0] for name in archive.namelist()}
    assert top == {"inngest_conformance", f"inngest_conformance-{version}.dist-info"}


def test_the_projects_own_suite_runs_unchanged(venv: Path, tmp_path: Path) -> None:
    """The same tests pass with the kit's plugin loaded as with it disabled."""
    project = make_project(tmp_path)
    with_kit = pytest_in(venv, project)
    assert with_kit.returncode == 0, with_kit.stdout + with_kit.stderr
    without_kit = pytest_in(venv, project, "-p", "no:inngest_conformance")
    assert without_kit.returncode == 0, without_kit.stdout + without_kit.stderr
    assert passed(with_kit.stdout) == passed(without_kit.stdout) == OWN_TESTS
    assert "inngest-conformance::" not in with_kit.stdout
    assert not (project / "reports").exists()


@pytest.mark.parametrize("how", ["options", "ini"])
def test_the_plugin_certifies_in_the_project(
    venv: Path, tmp_path: Path, how: str, cli_report: dict[str, Any]
) -> None:
    """``--conformance-*`` options or the same ini keys: the main command's verdict."""
    if how == "options":
        project, args = make_project(tmp_path), []
        for key, value in PLUGIN_INI.items():
            args += [f"--{key.replace('_', '-')}", value]
    else:
        project, args = make_project(tmp_path, PLUGIN_INI), []
    done = pytest_in(venv, project, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    requirement_items = {f"inngest-conformance::{r['id']}" for r in cli_report["requirements"]}
    assert passed(done.stdout) == OWN_TESTS | requirement_items
    report = json.loads((project / "reports" / "report.json").read_text())
    assert report["verdict"] == "conformant"
    assert report["profile"] == "quick"
    # Same cases and outcomes as the main command, whatever the project's Hypothesis profile.
    assert outcomes(report) == outcomes(cli_report)
    assert report["fingerprint"] == cli_report["fingerprint"]


def test_xdist_writes_one_merged_report(
    venv: Path, tmp_path: Path, cli_report: dict[str, Any]
) -> None:
    project = make_project(tmp_path, PLUGIN_INI)
    done = pytest_in(venv, project, "-n", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 workers" in done.stdout
    assert [p.relative_to(project) for p in project.rglob("report.json")] == [
        Path("reports/report.json")
    ]
    report = json.loads((project / "reports" / "report.json").read_text())
    assert outcomes(report) == outcomes(cli_report)
    assert report["fingerprint"] == cli_report["fingerprint"]


def test_the_examples_pass_with_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """``examples/run_examples.sh``: sqlite-store and http-service, each with its own tests."""
    script = ROOT / "examples" / "run_examples.sh"
    env = {**_clean_env(), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        ["bash", str(script), str(wheel), sys.executable],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every example passed: http-service sqlite-store" in done.stdout
