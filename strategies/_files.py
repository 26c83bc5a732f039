"""Reading the user's files: one place for the one-line errors a user sees."""

from __future__ import annotations

import os


def read_text(path: str | os.PathLike[str], what: str, error: type[ValueError]) -> str:
    """The UTF-8 text of ``path``; ``error`` with one line naming ``what`` and the path."""
    where = os.fspath(path)
    try:
        with open(where, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise error(f"cannot read {what} {where}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"cannot read {what} {where}: it is not UTF-8 text") from None
