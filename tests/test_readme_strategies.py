"""The README's strategy examples, run verbatim the way a new user runs them.

A fresh folder, the code block copied from the README, Hypothesis's default settings (health
checks on), no example database and no cached Unicode tables: each run is a new pytest
process in a new directory, so every run is a cold start.  The strategies must pass
Hypothesis's health checks there, every time, not only on a warm machine.
"""

from __future__ import annotations

import re

import pytest

from tests.common import ROOT

pytest_plugins = ["pytester"]

README = ROOT / "README.md"

#: What the README's examples leave to the reader: the validator under test, in the module
#: the example imports it from.
READER_MODULE = """
from inngest_conformance.reference import validator as _reference


def validate_run(record):
    return _reference(record).valid
"""

#: The issue's report: ``invalid_runs()`` with no arguments failed the same way.
EVERY_RULE = """

@given(invalid_runs())
def test_rejects_every_rule(case):
    assert not validate_run(case.record), case.violation
"""


def readme_strategy_example() -> str:
    """The first Python block of the README's section on strategies, as written."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### 3. Strategies and fuzz fixtures") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README's strategies section has no python example"
    return match.group(1)


def test_the_readme_example_is_the_one_tested() -> None:
    example = readme_strategy_example()
    assert "@given(runs())" in example
    assert "from mypkg.validation import validate_run" in example
    assert "assert validate_run(record)" in example
    assert "invalid_runs(" in example


@pytest.mark.slow
@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_readme_strategies_pass_default_health_checks_from_a_cold_start(
    pytester: pytest.Pytester, attempt: int
) -> None:
    pytester.mkpydir("mypkg")
    (pytester.path / "mypkg" / "validation.py").write_text(READER_MODULE)
    pytester.makepyfile(test_my_validator=readme_strategy_example() + EVERY_RULE)
    assert not (pytester.path / ".hypothesis").exists()
    # -p no:xdist: the user's plain run; the plugin's own items are not collected without
    # a target.  A fresh process, so no Unicode table or strategy cache carries over.
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert "FailedHealthCheck" not in out, out
    result.assert_outcomes(passed=3)
