"""Run and judge: certify an implementation of the Inngest run record against the schema.

The engine is a library; the ``inngest-conformance`` command line and the pytest plugin are
thin doors onto it:

>>> from conformance import certify_target
>>> report = certify_target("conformance.reference:validator", profile="quick")
>>> report["verdict"]
'conformant'
"""

from __future__ import annotations

__version__ = "0.1.0"

from conformance.api import Certification, certify_adapter, certify_target, open_adapter

__all__ = [
    "Certification",
    "__version__",
    "certify_adapter",
    "certify_target",
    "open_adapter",
]
