"""Fake implementations, each breaking one rule.

``fake_targets`` and ``broken_target`` are imported (``tests.fakes.fake_targets:NAME``);
the other modules are harness scripts run by path (``python tests/fakes/good.py``), which
import ``_proto`` from their own folder.
"""
