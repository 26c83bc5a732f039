"""The command line's entry point, kept apart from the engine it loads.

Importing the engine takes a moment (more on a loaded machine), and a Ctrl-C in that moment
arrived before the command line's own interrupt guard existed: a traceback and death by
signal, where a Ctrl-C a second later is one line and exit status 130.  Here the import
itself is guarded, so an interrupt at any time ends the command the same way.
"""

from __future__ import annotations

import signal
import sys

#: The exit status of an interrupted command (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def main() -> int:
    # What the kit prints may quote a lone surrogate an implementation sent: shown as its
    # escape, never a UnicodeEncodeError on the way to the terminal.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        from inngest_conformance._cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        # A second Ctrl-C on the way out must not turn the exit status into a signal.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stderr.write("inngest-conformance: interrupted\n")
        return INTERRUPTED
