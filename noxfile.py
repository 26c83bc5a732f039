"""The sessions a contributor needs: ``nox -s lint``, ``types``, ``tests``, ``slow``, ``docs``
and ``ci``.

Each session runs in a fresh virtual environment with the kit installed from the checkout
as a user gets it (``pip install .``, never an editable install: mypy checks the installed
package, and the tests import it), and runs the commands ``.ci/run`` runs.  The commands are
spelled once, here, as ``.ci/run`` spells them without its venv prefixes;
``tests/test_docs.py`` checks that ``.ci/run`` runs every one, so the two cannot disagree.
``nox -s ci`` runs ``.ci/run`` itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
CONFIG = str(ROOT / "pyproject.toml")

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "types", "tests", "docs"]

LINT = (("ruff", "check", "."), ("ruff", "format", "--check", "."))
#: The installed package, checked from outside the checkout (where ``inngest_conformance``
#: can only be the installed one); then the tests against it, from the checkout.
TYPES_PACKAGE = ("mypy", "--config-file", "pyproject.toml", "-p", "inngest_conformance")
TYPES_TESTS = ("mypy", "--config-file", "pyproject.toml", "tests")
#: The suite as CI runs it: three workers on two cores (many tests wait on a child process),
#: a worker out of tests takes some of another's.
SUITE = ("python", "-m", "pytest", "-n", "3", "--dist", "worksteal")
DOCS = (("python", "docs/gen_reference.py", "--check"), ("mkdocs", "build", "--strict"))


def _install(session: nox.Session, extra: str) -> None:
    session.install("--upgrade", "pip")
    session.install(f"{ROOT}[{extra}]")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and format, as CI checks them."""
    _install(session, "test")
    for command in LINT:
        session.run(*command)


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict on the installed package, then on the tests."""
    _install(session, "test")
    with tempfile.TemporaryDirectory() as outside, session.chdir(outside):
        session.run(*(CONFIG if word == "pyproject.toml" else word for word in TYPES_PACKAGE))
    session.run(*TYPES_TESTS)


@nox.session
def tests(session: nox.Session) -> None:
    """The default suite (the slow tests deselected); arguments go to pytest."""
    _install(session, "test")
    session.run(*SUITE, *session.posargs)


@nox.session
def slow(session: nox.Session) -> None:
    """The slow tests only (CI runs them with the default ones, in one session)."""
    _install(session, "test")
    session.run(*SUITE, "-m", "slow", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The generated reference pages are current, and the site builds with no warning."""
    _install(session, "docs")
    for command in DOCS:
        # As CI runs it: without mkdocs-material's banner about MkDocs 2.
        session.run(*command, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(venv_backend="none")
def ci(session: nox.Session) -> None:
    """Everything CI does: .ci/run (it builds the wheel and its own venvs under build/ci)."""
    session.run("bash", ".ci/run", external=True)
