"""The kit's own tests.

A package, so that the helpers (``tests.common``, ``tests.defects``, ``tests.mutants``,
``tests.fakes``) are imported by one name from the repository root, by pytest (its
``pythonpath`` setting) and by ``python -c`` or ``python -m`` alike.
"""
