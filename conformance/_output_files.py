"""The files the kit writes: each atomically, the fixture files, and the CI job summary.

A file is written under a temporary name beside it, then renamed into place, so a reader
never sees a torn file and a failed write leaves nothing behind (the reports use the same
temporary names for their all-or-nothing folder).  The fixture files hold the rows of
:class:`~.strategies._fixtures.Fixtures`, as JSON lines or as one JSON Schema Test Suite
file.  A CI job's summary (GitHub's ``GITHUB_STEP_SUMMARY``) is the one file the kit
appends to, since every step of the job adds its own part.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO, TypeVar

from inngest_conformance._encode import canonical_json
from inngest_conformance._render import to_step_summary
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


#: The environment variable that names the file a GitHub Actions step's summary goes to.
STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


def append_step_summary(
    reports: Iterable[dict[str, Any]],
    *,
    environ: Mapping[str, str] | None = None,
    warn: TextIO | None = None,
    prog: str = "inngest-conformance",
) -> Path | None:
    """Append the Markdown summary of each report to the file ``GITHUB_STEP_SUMMARY``
    names, when it names one; return that file.

    A summary is a courtesy, never a reason to fail the run: a file that cannot be written
    is one warning line on ``warn`` (stderr by default), and ``None``.
    """
    name = (os.environ if environ is None else environ).get(STEP_SUMMARY, "")
    if not name:
        return None
    path = Path(name)
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as fh:
            fh.writelines(to_step_summary(report) for report in reports)
    except OSError as exc:
        (warn or sys.stderr).write(
            f"{prog}: warning: cannot append the job summary to {path} ({STEP_SUMMARY}): "
            f"{exc.strerror or exc}\n"
        )
        return None
    return path


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
