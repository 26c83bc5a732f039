"""The reference implementation behind the wire protocol, with exactly one fault.

``python tests/fakes/reference_faulty.py FAULT [ARG]``: every answer it gives is the
reference validator's or the reference store's (through
:func:`inngest_conformance.harness.handle_request`), so a run against it can be conformant; the
fault is the only thing wrong with it.  Faults:

``slow-start``            sleeps 3 s before reading anything
``banner``                prints two banner lines on stdout before serving
``exit-at-once``          writes one line to stderr and exits with status 3
``crash-after N``         answers N requests, then raises (a traceback on stderr, status 1)
``hang-on-op OP``         never answers a request whose op is OP
``hang-on-paused``        never answers a validate of a record whose status is "PAUSED",
                          nor a transition to "PAUSED"
``hang-on-invalid``       never answers a validate of a record the oracle rejects
``not-json``              answers every validate with a line that is not JSON
``debug-line``            prints a debug line on stdout 0.2 s before every (correct) answer
``wrong-shape``           answers every validate with ``{"valid": "yes"}``
``stderr-64k``            writes 64 KiB to stderr before every answer
``big-line-every-10``     pads every tenth answer to more than 4 MB (still correct)
``random [SEED]``         answers every validate with a coin toss
``answer-twice``          answers every validate, then answers it again (wrongly) once the
                          next request has been read, with the first one's id
``setsid-grandchild``     starts a process that leaves the session (``setsid``) and keeps
                          stdout and stderr open for an hour; then serves correctly
``endless-line``          answers the first validate with 1 GiB and no newline, then hangs
``huge-answer MB``        answers every validate with a line of MB megabytes

A hang first creates the file named by ``$REFERENCE_FAULTY_HANGING``, if set, so that a
test can wait for the hang itself rather than for a while.  With ``$REFERENCE_FAULTY_SETSID``
set, any fault also starts the process of ``setsid-grandchild``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from typing import Any

from inngest_conformance._adapters import PythonAdapter
from inngest_conformance.harness import handle_request
from inngest_conformance.reference import ReferenceStore, validator

FAULTS = (
    "slow-start",
    "banner",
    "exit-at-once",
    "crash-after",
    "hang-on-op",
    "hang-on-paused",
    "hang-on-invalid",
    "not-json",
    "debug-line",
    "wrong-shape",
    "stderr-64k",
    "big-line-every-10",
    "random",
    "answer-twice",
    "setsid-grandchild",
    "endless-line",
    "huge-answer",
)
BIG = 4 * 1024 * 1024 + 1


class Reference(ReferenceStore):
    """The reference store that is also the reference validator."""

    def validate(self, record: Any) -> Any:
        return validator(record)


def hang() -> None:
    """Never return; first create the file named by $REFERENCE_FAULTY_HANGING, if set."""
    marker = os.environ.get("REFERENCE_FAULTY_HANGING")
    if marker:
        with open(marker, "w"):
            pass
    while True:
        time.sleep(3600)


def send(answer: Any) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in FAULTS:
        sys.stderr.write(f"usage: reference_faulty.py {'|'.join(FAULTS)} [ARG]\n")
        return 2
    fault, arg = argv[0], (argv[1] if len(argv) > 1 else "")
    adapter = PythonAdapter(Reference(), name="reference-faulty")
    coin = random.Random(int(arg or 0) if fault == "random" else 0)

    if fault == "exit-at-once":
        sys.stderr.write("fatal: cannot load the schema\n")
        return 3
    if fault == "slow-start":
        time.sleep(3)
    escapes = fault == "setsid-grandchild" or "REFERENCE_FAULTY_SETSID" in os.environ
    if escapes and os.fork() == 0:
        os.setsid()
        time.sleep(3600)
        os._exit(0)
    if fault == "banner":
        sys.stdout.write("reference-faulty 0.0.1 starting\nlistening on stdin\n")
        sys.stdout.flush()

    late: dict[str, Any] | None = None
    for count, line in enumerate(sys.stdin, start=1):
        request = json.loads(line)
        op = request.get("op")
        record = request.get("record")
        if late is not None:
            send(late)
            late = None
        if fault == "crash-after" and count > int(arg):
            raise RuntimeError(f"crashed on request {count}")
        if fault == "hang-on-op" and op == arg:
            hang()
        if fault == "hang-on-paused":
            if op == "validate" and isinstance(record, dict) and record.get("status") == "PAUSED":
                hang()
            if op == "transition" and request.get("status") == "PAUSED":
                hang()
        if fault == "hang-on-invalid" and op == "validate" and not validator(record).valid:
            hang()
        if fault == "not-json" and op == "validate":
            sys.stdout.write("I think it is valid\n")
            sys.stdout.flush()
            continue
        if fault == "debug-line":
            sys.stdout.write(f"debug: request {count}\n")
            sys.stdout.flush()
            time.sleep(0.2)
        if fault == "wrong-shape" and op == "validate":
            send({"valid": "yes"})
            continue
        if fault == "endless-line" and op == "validate":
            block = b"x" * (1024 * 1024)
            for _ in range(1024):
                sys.stdout.buffer.write(block)
            sys.stdout.flush()
            hang()
        if fault == "huge-answer" and op == "validate":
            # Written a megabyte at a time: the harness itself stays small.
            sys.stdout.buffer.write(b'{"valid": false, "errors": ["')
            for _ in range(int(arg)):
                sys.stdout.buffer.write(b"x" * (1024 * 1024))
            sys.stdout.buffer.write(b'"]}\n')
            sys.stdout.flush()
            continue
        if fault == "random" and op == "validate":
            send({"valid": coin.random() < 0.5})
            continue
        if fault == "stderr-64k":
            sys.stderr.write((f"noise {count} " * 8192)[: 64 * 1024 - 1] + "\n")
            sys.stderr.flush()
        answer = handle_request(adapter, request)
        if fault == "big-line-every-10" and count % 10 == 0:
            answer["padding"] = "x" * BIG
        send(answer)
        if fault == "answer-twice" and op == "validate":
            late = {**answer, "valid": not answer["valid"]}
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
