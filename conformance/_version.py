"""The kit's version, read from the installed distribution's metadata (its one home)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("inngest-conformance")
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"
