"""Fake implementations, each breaking one rule.

``fake_targets`` and ``broken_target`` are Python targets (``tests.fakes.fake_targets:NAME``,
imported from the repository root), and so is ``third_party`` (validators of other
projects, unchanged); the other modules are harness scripts run by path (:func:`fake`),
which import ``_proto`` from their own folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: This folder.
FAKES = Path(__file__).resolve().parent
#: The module of the fake Python targets, as a ``--target`` names it.
TARGETS = "tests.fakes.fake_targets"
#: What a child process needs in its environment to import ``TARGETS``.
ENV = {"PYTHONPATH": str(FAKES.parent.parent)}


def fake(name: str, *args: str) -> list[str]:
    """The command that runs the fake harness ``name`` (``good``, ``hang``...) by path."""
    return [sys.executable, str(FAKES / f"{name}.py"), *args]
