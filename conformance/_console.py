"""The command line's entry point, kept apart from the engine it loads.

Importing the engine takes a moment (more on a loaded machine), and a Ctrl-C in that moment
arrived before the command line's own interrupt guard existed: a traceback and death by
signal, where a Ctrl-C a second later is one line and exit status 130.  Here the import
itself is guarded, so an interrupt at any time ends the command the same way.
"""

from __future__ import annotations

import re
import signal
import sys
from typing import Any, TextIO

#: The exit status of an interrupted command (128 + SIGINT), as shells report it.
INTERRUPTED = 130


#: Control characters an implementation's text may hold (a name, a message, an enum
#: member): ESC starts terminal sequences, BEL rings, NUL and CR rewrite what is shown.
#: Only the kit's own line-clearing sequence of its progress line passes.
_CONTROL = re.compile("\r\x1b\\[K|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    return text if text == "\r\x1b[K" else f"\\u{ord(text):04x}"


class _Terminal:
    """A text stream whose writes show control characters as escapes (``\\u001b``), so
    nothing an implementation says can move the cursor, ring or hide a line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(_CONTROL.sub(_escape, text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main() -> int:
    # What the kit prints may quote a lone surrogate an implementation sent: shown as its
    # escape, never a UnicodeEncodeError on the way to the terminal; control characters
    # likewise.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    sys.stdout = _Terminal(sys.stdout)
    sys.stderr = _Terminal(sys.stderr)
    try:
        from inngest_conformance._cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        # A second Ctrl-C on the way out must not turn the exit status into a signal.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stderr.write("inngest-conformance: interrupted\n")
        return INTERRUPTED
