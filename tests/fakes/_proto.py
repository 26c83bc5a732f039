"""What the fake harnesses share: a correct, trivial validator speaking the protocol.

Each fake script next to this one breaks one rule on top of it.  The validator accepts a
record that is an object with a "status" key; correctness is not what these fakes test.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any


def describe(name: str) -> dict[str, Any]:
    return {
        "implementation": {"name": name, "version": "0.0.1", "language": "python"},
        "roles": ["validator"],
    }


def judge(request: dict[str, Any], name: str) -> dict[str, Any]:
    op = request.get("op")
    if op == "describe":
        return describe(name)
    if op == "validate":
        record = request.get("record")
        if isinstance(record, dict) and "status" in record:
            return {"valid": True}
        return {"valid": False, "errors": ["record has no status"]}
    return {"error": f"unsupported op {op!r}"}


def send(answer: Any) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def requests() -> Iterator[dict[str, Any]]:
    for line in sys.stdin:
        yield json.loads(line)
