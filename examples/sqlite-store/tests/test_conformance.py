"""The store certified by inngest-conformance: one test per lifecycle requirement.

The kit drives the ``store`` fixture through generated programs (create runs, move them
through legal and illegal transitions, read them back) and judges every answer.
"""

from inngest_conformance.testing import suite

test_store_conformance = suite("store", role="lifecycle")
