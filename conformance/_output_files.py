"""The files the kit writes: each atomically, and the fixture files.

A file is written under a temporary name beside it, then renamed into place, so a reader
never sees a torn file and a failed write leaves nothing behind (the reports use the same
temporary names for their all-or-nothing folder).  The fixture files hold the rows of
:class:`~.strategies._fixtures.Fixtures`, as JSON lines or as one JSON Schema Test Suite
file.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO, TypeVar

from inngest_conformance._encode import canonical_json
from inngest_conformance.errors import UsageError
from inngest_conformance.strategies import LifecycleModel, RunSchema
from inngest_conformance.strategies._fixtures import Fixtures

FORMATS = ("jsonl", "test-suite")
T = TypeVar("T")


def temporary_path(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place: hidden, beside it, and
    this process's own."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write ``chunks`` to ``path`` (UTF-8, ``\\n`` line ends) whole, or not at all."""
    tmp = temporary_path(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(chunks)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _progress(total: int, stream: TextIO | None) -> Callable[[int], None]:
    if stream is None or total < 5000 or not stream.isatty():
        return lambda done: None
    step = max(1, total // 100)

    def show(done: int) -> None:
        if done % step == 0 or done == total:
            width = 30
            filled = width * done // total
            bar = "#" * filled + "-" * (width - filled)
            stream.write(f"\r[{bar}] {done}/{total} ")
            if done == total:
                stream.write("\n")
            stream.flush()

    return show


def write_fixtures(
    out: str | os.PathLike[str],
    *,
    schema: RunSchema,
    model: LifecycleModel,
    seed: int,
    valid: int = 0,
    invalid: int = 0,
    sequences: int = 0,
    fmt: str = "jsonl",
    progress: TextIO | None = sys.stderr,
    common_datetimes: bool = False,
) -> list[Path]:
    """Write the fixture files into ``out`` and return their paths."""
    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    for name, n in (("valid", valid), ("invalid", invalid), ("sequences", sequences)):
        if n < 0:
            raise UsageError(f"--{name} must be 0 or more, not {n}")
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    fx = Fixtures(schema, model, seed, common_datetimes)
    total = valid + invalid + sequences
    show = _progress(total, progress)
    done = 0

    def counted(rows: Iterator[T]) -> Iterator[T]:
        nonlocal done
        for row in rows:
            done += 1
            show(done)
            yield row

    written = []
    if fmt == "jsonl":
        lines: dict[str, Iterator[str]] = {
            "valid": counted(fx.valid_lines(valid)),
            "invalid": (canonical_json(r) + "\n" for r in counted(fx.invalid(invalid))),
            "sequences": (canonical_json(r) + "\n" for r in counted(fx.sequences(sequences))),
        }
        for name, n in (("valid", valid), ("invalid", invalid), ("sequences", sequences)):
            if n or name != "sequences":
                path = directory / f"{name}.jsonl"
                write_atomic(path, lines[name])
                written.append(path)
        return written
    path = directory / "test-suite.json"
    groups = [
        {
            "description": f"{schema.title or 'run'}: valid records (seed {seed})",
            "schema": dict(schema.document),
            "tests": [
                {"description": f"valid {r['id']}", "data": r["record"], "valid": True}
                for r in counted(fx.valid(valid))
            ],
        },
        {
            "description": f"{schema.title or 'run'}: invalid records (seed {seed})",
            "schema": dict(schema.document),
            "tests": [
                {
                    "description": f"{r['violation']['rule']} {r['violation']['detail']} at "
                    f"{r['violation']['path'] or '/'} ({r['id']})",
                    "data": r["record"],
                    "valid": False,
                }
                for r in counted(fx.invalid(invalid))
            ],
        },
    ]
    write_atomic(path, iter([json.dumps(groups, indent=2, ensure_ascii=False) + "\n"]))
    written.append(path)
    return written
