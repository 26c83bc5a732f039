"""What a user installs: the wheel's contents, the sdist's documentation, the public surface,
and a plugin that costs nothing until asked.

The wheel is the one CI built (``INNGEST_CONFORMANCE_WHEEL``), or one built here from the
checkout; the import checks run against whatever ``inngest_conformance`` this interpreter
imports, which in CI is the installed wheel.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import inngest_conformance
import pytest

from tests.common import ROOT

FOLDERS = {"conformance": "inngest_conformance", "strategies": "inngest_conformance.strategies"}

#: Every public module and what it exports.  A name appearing or disappearing here is a
#: change of the kit's API: update this table, docs/reference/install.md and CHANGELOG.md together.
PUBLIC: dict[str, list[str]] = {
    "inngest_conformance": [
        "Certification",
        "__version__",
        "certify_adapter",
        "certify_target",
        "open_adapter",
    ],
    "inngest_conformance.errors": [
        "ConformanceError",
        "LifecycleError",
        "ReportWriteError",
        "SchemaError",
        "TargetError",
        "UsageError",
    ],
    "inngest_conformance.harness": ["handle_request", "main", "make_http_server", "serve_stdio"],
    "inngest_conformance.plugin": [
        "CASE_KINDS",
        "MARKER",
        "OPTIONS",
        "RequirementFailed",
        "ini_name",
        "option_name",
    ],
    "inngest_conformance.reference": [
        "ReferenceStore",
        "ReferenceValidator",
        "Verdict",
        "store",
        "validator",
    ],
    "inngest_conformance.report": [
        "CERTIFICATE_FORMAT",
        "FORMAT",
        "VERDICTS",
        "RunInfo",
        "build_report",
        "certificate",
        "checked_report",
        "fingerprint",
        "report_schema",
        "verdict_text",
        "write_reports",
    ],
    "inngest_conformance.strategies": [
        "DRAFTS",
        "MAPPINGS",
        "OPERATORS",
        "RECORD_PROFILES",
        "RecordProfile",
        "ProfileMapping",
        "mapped_runs",
        "Fields",
        "HypothesisSource",
        "InvalidCase",
        "LifecycleError",
        "LifecycleModel",
        "Oracle",
        "OracleError",
        "PropertySpec",
        "RandomSource",
        "RunSchema",
        "SchemaError",
        "SequenceViolation",
        "Source",
        "Target",
        "Violation",
        "check_observed",
        "check_sequence",
        "datetime_error",
        "default_lifecycle",
        "default_oracle",
        "default_schema",
        "invalid_runs",
        "invalid_status_sequences",
        "is_rfc3339_datetime",
        "label_holds",
        "lifecycle_from_dict",
        "load_lifecycle",
        "load_schema",
        "resolve_lifecycle",
        "resolve_schema",
        "runs",
        "schema_from_dict",
        "status_sequences",
        "targets",
    ],
    "inngest_conformance.testing": ["check_case", "suite"],
}
#: Public modules run as programs rather than imported for names.
PROGRAMS = {"inngest_conformance.__main__"}


def _installed_modules() -> set[str]:
    import inngest_conformance.strategies as strategies

    found = {"inngest_conformance", "inngest_conformance.strategies"}
    for package in (inngest_conformance, strategies):
        prefix = package.__name__ + "."
        found.update(info.name for info in pkgutil.walk_packages(package.__path__, prefix))
    return found


def test_every_public_module_is_announced() -> None:
    public = {
        name
        for name in _installed_modules()
        if not any(part.startswith("_") for part in name.split(".")[1:])
    }
    assert public - PROGRAMS == set(PUBLIC), "a module became public (or stopped being) unannounced"


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_exactly_the_announced_ones(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"{module}.{name} is in __all__ but missing"


def test_examples_use_only_public_modules() -> None:
    for path in (ROOT / "examples").rglob("*.py"):
        if "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("inngest_conformance"):
                    assert not any(p.startswith("_") for p in name.split(".")[1:]), (
                        f"{path.relative_to(ROOT)} imports the private module {name}"
                    )


# --- the plugin costs nothing until asked ---------------------------------------------------

HEAVY = ("hypothesis", "jsonschema", "faker", "inngest_conformance.strategies")


def _loaded_after(code: str, cwd: Path) -> dict[str, list[str]]:
    probe = (
        f"{code}\nimport json, sys\n"
        "kit = sorted(m for m in sys.modules if m.startswith('inngest_conformance'))\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY[:3]!r} "
        "or m.startswith('inngest_conformance.strategies'))\n"
        "print(json.dumps({'kit': kit, 'heavy': heavy}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    result: dict[str, list[str]] = json.loads(last)
    return result


def test_importing_the_plugin_loads_nothing_heavy(tmp_path: Path) -> None:
    loaded = _loaded_after("import inngest_conformance.plugin", tmp_path)
    assert loaded["kit"] == ["inngest_conformance", "inngest_conformance.plugin"]
    assert loaded["heavy"] == []


def test_a_pytest_session_that_does_not_use_the_kit_loads_only_its_plugin(tmp_path: Path) -> None:
    """The same session with and without the kit's plugin loads the same heavy modules (other
    plugins, Hypothesis's or Faker's, may load their own)."""
    (tmp_path / "test_plain.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")

    def session(*extra: str) -> dict[str, list[str]]:
        args = ["-q", "-p", "no:cacheprovider", *extra, "."]
        return _loaded_after(f"import pytest\nassert pytest.main({args!r}) == 0", tmp_path)

    with_kit, without_kit = session(), session("-p", "no:inngest_conformance")
    assert with_kit["kit"] == ["inngest_conformance", "inngest_conformance.plugin"]
    assert without_kit["kit"] == []
    assert with_kit["heavy"] == without_kit["heavy"]


def test_the_package_root_loads_the_engine_on_first_use(tmp_path: Path) -> None:
    loaded = _loaded_after("import inngest_conformance as k\nassert k.__version__", tmp_path)
    assert "inngest_conformance._run" not in loaded["kit"]
    loaded = _loaded_after("from inngest_conformance import certify_target", tmp_path)
    assert "inngest_conformance._run" in loaded["kit"]


# --- the wheel -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("INNGEST_CONFORMANCE_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


@pytest.mark.slow
def test_the_wheel_installs_one_top_level_name(wheel: Path) -> None:
    tops = {name.split("/")[0] for name in _wheel_names(wheel)}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"inngest_conformance"}


def test_the_wheel_has_every_subpackage_and_data_file(wheel: Path) -> None:
    names = set(_wheel_names(wheel))
    for folder, package in FOLDERS.items():
        base = package.replace(".", "/")
        for path in (ROOT / folder).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            rel = path.relative_to(ROOT / folder).as_posix()
            assert f"{base}/{rel}" in names, f"{folder}/{rel} is missing from the wheel"
    for base in ("inngest_conformance", "inngest_conformance/strategies"):
        assert f"{base}/py.typed" in names


def _metadata(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        (path,) = [n for n in zf.namelist() if n.endswith(f".dist-info/{name}")]
        return zf.read(path).decode("utf-8")


def test_the_wheel_declares_its_entry_points(wheel: Path) -> None:
    text = _metadata(wheel, "entry_points.txt")
    assert "[console_scripts]\ninngest-conformance = inngest_conformance._console:main" in text
    assert "[pytest11]\ninngest_conformance = inngest_conformance.plugin" in text


# --- the sdist ------------------------------------------------------------------------------


#: What a checkout holds that a clean copy of its sources does not.
LOCAL_ONLY = (
    "*.egg-info",
    ".git",
    "build",
    "dist",
    "site",
    ".nox",
    ".venv",
    ".hypothesis",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
    "reports",
)


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("INNGEST_CONFORMANCE_SDIST")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("sdist")
    # From a copy without the checkout's egg-info, whose file list setuptools would reuse.
    source = tmp_path_factory.mktemp("source") / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    build = f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"
    done = subprocess.run([sys.executable, "-c", build], cwd=source, capture_output=True)
    if done.returncode != 0:
        pytest.skip("no setuptools to build an sdist with here (CI passes the one it built)")
    (built,) = out.glob("*.tar.gz")
    return built


@pytest.mark.slow
def test_the_sdist_holds_the_pages_its_readme_links_to(sdist: Path) -> None:
    """The README is the package's description and links into docs/ and the contributor's
    files: an unpacked sdist has every one, and what the site is built from."""
    with tarfile.open(sdist) as tf:
        names = {n.partition("/")[2] for n in tf.getnames()}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {
        target.partition("#")[0] for target in re.findall(r"\]\(([^)\s:#]+)(?:#[^)]*)?\)", readme)
    }
    assert linked and linked <= names
    pages = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "docs").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts  # bytecode of docs/gen_reference.py
    }
    assert pages - names == set()
    assert {"mkdocs.yml", "LICENSE", "ARCHITECTURE.md", "CONTRIBUTING.md"} <= names


def test_the_wheel_metadata_renders_the_readme_and_caps_nothing(wheel: Path) -> None:
    meta = Parser().parsestr(_metadata(wheel, "METADATA"))
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "# inngest-conformance" in (meta.get_payload() or "")
    requires = meta.get_all("Requires-Dist") or []
    for dep in ("hypothesis", "hypothesis-jsonschema", "jsonschema", "pytest", "faker"):
        (line,) = [r for r in requires if r.split(">")[0].split("=")[0].strip() == dep]
        assert "<" not in line and "==" not in line, f"{dep} is capped or pinned: {line}"


def test_the_version_has_one_home(wheel: Path) -> None:
    meta = Parser().parsestr(_metadata(wheel, "METADATA"))
    installed = importlib.import_module("inngest_conformance._version").__version__
    assert meta["Version"] == installed or installed == "0+unknown"
    assert "__version__ =" not in (ROOT / "conformance" / "__init__.py").read_text("utf-8")


def test_ci_tests_the_installed_wheel_not_the_checkout() -> None:
    if not os.environ.get("INNGEST_CONFORMANCE_WHEEL"):
        pytest.skip("outside CI the kit may be an editable install of the checkout")
    path = Path(inngest_conformance.__path__[0]).resolve()
    assert "site-packages" in path.parts and path != ROOT / "conformance", path
