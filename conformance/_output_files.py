"""The files the kit writes: each atomically, the fixture files, and the CI job summary.

A file is written under a temporary name beside it, then renamed into place, so a reader
never sees a torn file and a failed write leaves nothing behind (the reports use the same
temporary names for their all-or-nothing folder).  The fixture files hold the rows of
:class:`~.strategies._fixtures.Fixtures`, as JSON lines or as one JSON Schema Test Suite
file.  A CI job's summary (GitHub's ``GITHUB_STEP_SUMMARY``) is the one file the kit
appends to, since every step of the job adds its own part.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from inngest_conformance._encode import UNPAIRED
from inngest_conformance._render import to_step_summary
from inngest_conformance._workers import start_worker
from inngest_conformance.errors import UsageError
from inngest_conformance.strategies import LifecycleModel, RunSchema
from inngest_conformance.strategies._fixtures import CHUNK, Chunk, Fixtures, Row, Stream
from inngest_conformance.strategies._formats import READINGS

FORMATS = ("jsonl", "test-suite")


def temporary_path(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place: hidden, beside it, and
    this process's own."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write ``chunks`` to ``path`` (UTF-8, ``\\n`` line ends) whole, or not at all; a path
    that is not a regular file (a device, a FIFO) is never replaced (:class:`OSError`)."""
    write_all_atomic([(path, chunks)])


def write_all_atomic(files: Sequence[tuple[Path, Iterable[str]]]) -> None:
    """Write every file of ``files`` whole, or none of them: each is written beside its
    place first, and only once all are written are they renamed into place, so that a
    failure while making a later file (a schema no case of which can be built) leaves no
    earlier one written from the same run."""
    for path, _ in files:
        if path.exists() and not path.is_file():
            raise OSError(f"{path} is not a regular file")
    staged = [temporary_path(path) for path, _ in files]
    try:
        for tmp, (_, chunks) in zip(staged, files, strict=True):
            with open(tmp, "w", encoding="utf-8", errors=UNPAIRED, newline="\n") as fh:
                fh.writelines(chunks)
        for tmp, (path, _) in zip(staged, files, strict=True):
            os.replace(tmp, path)
    finally:
        for tmp in staged:
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
        with open(path, "a", encoding="utf-8", errors=UNPAIRED, newline="\n") as fh:
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
    jobs: int = 1,
    chunk_size: int = CHUNK,
) -> list[Path]:
    """Write the fixture files into ``out`` and return their paths.

    With ``jobs`` above 1 the chunks of each stream are drawn by that many worker
    processes and taken in order: the files are the same bytes as with one.  Rows are
    streamed to the file, never held: memory stays flat however many are asked for.  The
    same seed and ``chunk_size`` (rows per chunk; tests make it small) give the same bytes.
    """
    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    for name, n in (("valid", valid), ("invalid", invalid), ("sequences", sequences)):
        if n < 0:
            raise UsageError(f"--{name} must be 0 or more, not {n}")
    if jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {jobs}")
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    fx = Fixtures(schema, model, seed, common_datetimes, chunk_size)
    show = _progress(valid + invalid + sequences, progress)
    done = 0
    # Workers only when there are whole chunks to share out.
    whole = max(valid, invalid, sequences) // chunk_size
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(_pool(fx, jobs)) if jobs > 1 and whole > 1 else None

        def rows(stream: Stream, n: int) -> Iterator[Row]:
            nonlocal done
            chunks = _in_order(pool, fx, stream, n, jobs) if pool is not None else None
            for row in fx.rows(stream, n, chunks):
                done += 1
                show(done)
                yield row

        written = []
        if fmt == "jsonl":
            counts: tuple[tuple[Stream, int], ...] = (
                ("valid", valid),
                ("invalid", invalid),
                ("sequences", sequences),
            )
            files = [
                (directory / f"{name}.jsonl", (row.line for row in rows(name, n)))
                for name, n in counts
                if n or name != "sequences"
            ]
            write_all_atomic(files)
            return [path for path, _ in files]
        path = directory / "test-suite.json"
        write_atomic(
            path, _test_suite(schema, seed, rows("valid", valid), rows("invalid", invalid))
        )
        written.append(path)
        return written


def _test_suite(
    schema: RunSchema, seed: int, valid: Iterator[Row], invalid: Iterator[Row]
) -> Iterator[str]:
    """The JSON Schema Test Suite file, piece by piece: the same text as
    ``json.dumps(groups, indent=2, ensure_ascii=False)`` of the whole list, never held."""

    def tests(rows: Iterator[Row], valid: bool) -> Iterator[dict[str, Any]]:
        for r in rows:
            if valid:
                yield {"description": f"valid {r.id}", "data": r.row["record"], "valid": True}
                continue
            v = r.row["violation"]
            test = {
                "description": f"{v['rule']} {v['detail']} at {v['path'] or '/'} ({r.id})",
                "data": r.row["record"],
                "valid": False,
            }
            if "reading" in v:  # invalid only under a reading of the kit's: the test says so
                test = {"comment": READINGS[v["reading"]].note, **test}
            yield test

    def dump(value: Any, depth: int) -> str:
        text = json.dumps(value, indent=2, ensure_ascii=False)
        return text.replace("\n", "\n" + "  " * depth)

    title = schema.title or "run"
    groups = (
        (f"{title}: valid records (seed {seed})", tests(valid, True)),
        (f"{title}: invalid records (seed {seed})", tests(invalid, False)),
    )
    yield "["
    for g, (description, cases) in enumerate(groups):
        yield ("," if g else "") + "\n  {\n"
        yield f'    "description": {dump(description, 2)},\n'
        yield f'    "schema": {dump(dict(schema.self_describing), 2)},\n'
        yield '    "tests": ['
        empty = True
        for t, case in enumerate(cases):
            yield ("," if t else "") + "\n      " + dump(case, 3)
            empty = False
        yield "]\n  }" if empty else "\n    ]\n  }"
    yield "\n]\n"


def _start_worker(fx: Fixtures, parent: int) -> None:
    start_worker(parent)  # Ctrl-C is the parent's to handle; the worker ends with its parent
    _WORKER[:] = [fx]


_WORKER: list[Fixtures] = []


def _draw_chunk(stream: Stream, k: int) -> Chunk:
    return _WORKER[0].chunk(stream, k)


@contextlib.contextmanager
def _pool(fx: Fixtures, jobs: int) -> Iterator[ProcessPoolExecutor]:
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(fx, os.getpid()),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_order(
    pool: ProcessPoolExecutor, fx: Fixtures, stream: Stream, n: int, jobs: int
) -> Iterator[Iterable[Row]]:
    """The chunks of ``stream`` in order: the whole chunks ``n`` rows need drawn by the
    pool's workers, at most two per worker ahead of the writer (memory stays flat); the
    last, partial one and any more (when rows repeated) drawn lazily here, row by row."""
    whole = n // fx.chunk_size
    ahead: collections.deque[Future[Chunk]] = collections.deque()
    k = 0
    try:
        while k < whole or ahead:
            while k < whole and len(ahead) < 2 * jobs:
                ahead.append(pool.submit(_draw_chunk, stream, k))
                k += 1
            yield ahead.popleft().result()
        for k in itertools.count(whole):
            yield fx.draw(stream, k)
    finally:
        for future in ahead:
            future.cancel()
