"""The errors a user of the kit can cause, under one root.

Every one says, in one line, what was wrong and what to do instead.  The command line turns
a :class:`ConformanceError` into that line and exit status 2, and the pytest plugin into a
usage error; anything else raised inside the kit is a bug and stays a traceback.  They
derive from :class:`ValueError` as well, so code that caught ``ValueError`` keeps working.

What an implementation under test does wrong is not here: a crash, a hang or garbage is an
``errored`` outcome in the report, never an exception that stops the run.
"""

from __future__ import annotations

__all__ = [
    "ConformanceError",
    "LifecycleError",
    "ReportWriteError",
    "SchemaError",
    "TargetError",
    "UsageError",
]


class ConformanceError(ValueError):
    """The root: the kit cannot do what it was asked, and the message says why."""


class UsageError(ConformanceError):
    """The run cannot start: a bad option, an unknown requirement, a missing role."""


class SchemaError(ConformanceError):
    """The schema cannot be used: not JSON, not an object, or beyond what the kit handles."""


class LifecycleError(ConformanceError):
    """A lifecycle table that cannot be used; the message says what is wrong and what to do."""


class TargetError(ConformanceError):
    """A ``MODULE:OBJECT`` target that cannot be loaded or driven; the message says why."""


class ReportWriteError(ConformanceError):
    """The reports could not be written (the folder is left as it was)."""
