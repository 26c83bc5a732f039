"""Run and judge: certify an implementation of the Inngest run record against the schema.

The engine is a library; the ``inngest-conformance`` command line and the pytest plugin are
thin doors onto it:

>>> from inngest_conformance import certify_target
>>> report = certify_target("inngest_conformance.reference:validator", profile="quick")
>>> report["verdict"]
'conformant'

The public modules are this one, :mod:`inngest_conformance.strategies` (Hypothesis
strategies), :mod:`inngest_conformance.testing` (the suite for a project's own tests),
:mod:`inngest_conformance.report` (the report model), :mod:`inngest_conformance.errors`,
:mod:`inngest_conformance.reference` and :mod:`inngest_conformance.harness`; modules whose
names start with ``_`` are private.

Importing this package is cheap: the pytest plugin lives in it, and every pytest session of
an environment with the kit installed imports that plugin.  The names below load the engine
on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inngest_conformance._adapters import open_adapter
    from inngest_conformance._run import Certification, certify_adapter, certify_target
    from inngest_conformance._version import __version__

__all__ = [
    "Certification",
    "__version__",
    "certify_adapter",
    "certify_target",
    "open_adapter",
]

_LAZY = {
    "Certification": "inngest_conformance._run",
    "certify_adapter": "inngest_conformance._run",
    "certify_target": "inngest_conformance._run",
    "open_adapter": "inngest_conformance._adapters",
    "__version__": "inngest_conformance._version",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'inngest_conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
