"""What every worker process of the kit does first (``certify``/``compare --jobs``,
``fixtures --jobs``).

A worker leaves Ctrl-C to its parent, which stops handing out work and shuts the pool down
in order.  And it ends with its parent: a parent killed outright (``SIGKILL``, a CI job's
timeout) cannot shut its pool down, and a worker waiting for work would wait forever.
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["start_worker"]

#: How often a worker looks whether its parent is still there, in seconds.
PARENT_CHECK_S = 0.5


def start_worker(parent: int) -> None:
    """Ignore Ctrl-C, and exit at once when the parent process (``parent``, its pid as the
    parent knew it: one killed before this ran has left the worker to another already) is
    gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="inngest-conformance-parent-watch", daemon=True).start()
