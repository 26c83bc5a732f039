"""The log of every case a run sent (``--log-cases FILE.jsonl``), one JSON object a line.

Each line holds the requirement, the case's id (:func:`~inngest_conformance._engine.case_id`),
why it was sent (``phase``: ``search``, ``shrink``, ``directed``, ``shorten``, ``recheck``;
in a comparison ``shared`` and ``disagreement``, with the ``implementation``), the case as
reports show it, the answer, and the judgement (``ok``, ``message``, ``expected``; or
``errored`` with what the implementation met instead).  Lines are ASCII JSON: every
non-ASCII character, line separator, NUL and lone surrogate escaped, so a case can never
break a line.

Cases are streamed to part files, one per requirement (per requirement and suite in the
pytest plugin), in a hidden folder beside the log; the log is then written atomically from
the parts in plan order.  A serial run, worker processes (``certify --jobs``) and xdist
workers thus give the same file, byte for byte.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from inngest_conformance._encode import content_id
from inngest_conformance._engine import CaseObserver, CaseSent, case_id, case_record_any
from inngest_conformance._output_files import write_atomic
from inngest_conformance.errors import UsageError

__all__ = ["CaseParts", "PartWriter", "case_line", "case_parts", "check_log_path", "open_parts"]


def case_line(sent: CaseSent, implementation: str | None = None) -> str:
    """One line of the log (with its ``\\n``)."""
    j = sent.judgement
    row: dict[str, Any] = {"requirement": sent.requirement.id, "case_id": case_id(sent.case)}
    if implementation is not None:
        row["implementation"] = implementation
    row["phase"] = sent.phase
    row["case"] = case_record_any(sent.case)
    if j is None:
        row.update(ok=False, errored=sent.error)
    else:
        row.update(answer=j.answer, ok=j.ok, message=j.message, expected=j.expected)
        if j.step is not None:
            row["step"] = j.step
    return json.dumps(row, ensure_ascii=True, separators=(",", ":"), default=repr) + "\n"


def part_name(key: str) -> str:
    """The file name of one part: a hash, so that any requirement id or suite name fits."""
    return f"{content_id(key)}.jsonl"


class PartWriter:
    """Writes each case to the part of its requirement (``group`` tells suites apart)."""

    def __init__(self, directory: Path, group: str = "") -> None:
        self.directory = directory
        self.group = group
        self._key: str | None = None
        self._fh: IO[str] | None = None
        self.error: str | None = None
        """Why a part could not be written (a full disk): the log is then not written,
        and the run goes on."""

    def observer(self, implementation: str | None = None) -> CaseObserver:
        """An observer whose lines name ``implementation`` (a comparison's column)."""
        return lambda sent: self.write(sent, implementation)

    def __call__(self, sent: CaseSent) -> None:
        self.write(sent)

    def write(self, sent: CaseSent, implementation: str | None = None) -> None:
        if self.error is not None:
            return
        key = part_key(sent.requirement.id, self.group)
        try:
            if key != self._key or self._fh is None:
                self.close()
                self._fh = open(  # noqa: SIM115 (kept open across cases, closed by close())
                    self.directory / part_name(key), "a", encoding="ascii", newline="\n"
                )
                self._key = key
            self._fh.write(case_line(sent, implementation))
        except OSError as exc:
            self._fail(exc)

    def close(self) -> None:
        fh, self._fh, self._key = self._fh, None, None
        if fh is not None:
            try:
                fh.close()
            except OSError as exc:  # the last buffered lines did not fit
                self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        """Stop writing, and leave a mark for the merge (a worker's writer lives in another
        process): the log is left unwritten rather than written with cases missing."""
        self.error = str(exc.strerror or exc)
        fh, self._fh = self._fh, None
        with contextlib.suppress(OSError):
            if fh is not None:
                fh.close()
        # The reason goes in the mark's name: a full disk takes a name, not its content.
        with contextlib.suppress(OSError):
            (self.directory / f"{FAILED}{self.error.replace('/', ' ')[:200]}").touch()


#: What a run's warning says when its case log could not be written.
UNWRITTEN = "the case log was not written"

#: How the mark a part writer leaves in the parts folder when it could not write begins
#: (its name goes on with why; part files are named ``*.jsonl``).
FAILED = "failed: "


def part_key(requirement_id: str, group: str = "") -> str:
    return f"{group}\n{requirement_id}"


class CaseParts:
    """The parts folder of one log, and the log written from it."""

    def __init__(self, directory: Path, target: Path) -> None:
        self.directory = directory
        self.target = target
        self._writers: list[PartWriter] = []

    def writer(self, group: str = "") -> PartWriter:
        writer = PartWriter(self.directory, group)
        self._writers.append(writer)
        return writer

    def merge(self, order: Iterable[tuple[str, str]], flag: str = "--log-cases") -> str | None:
        """Write the log from the parts of ``order`` ((requirement id, group) pairs), in
        that order; a requirement that sent nothing has no part.  ``None`` when the log was
        written; else one line saying why it was not (a part or the log itself could not be
        written: a full disk), the run's reports being what matters."""
        error = next((w.error for w in self._writers if w.error is not None), None)
        if error is None:
            marks = sorted(self.directory.glob(f"{FAILED}*"))
            error = marks[0].name[len(FAILED) :] if marks else None
        if error is None:
            try:
                write_atomic(self.target, self._lines(order))
            except OSError as exc:
                error = str(exc.strerror or exc)
        if error is None:
            return None
        return f"{flag} {self.target}: {UNWRITTEN}: {error}"

    def remove(self) -> None:
        """Remove the parts folder (the log, once written, stays)."""
        shutil.rmtree(self.directory, ignore_errors=True)

    def _lines(self, order: Iterable[tuple[str, str]]) -> Iterator[str]:
        for requirement_id, group in order:
            path = self.directory / part_name(part_key(requirement_id, group))
            if path.exists():
                with open(path, encoding="ascii", newline="\n") as fh:
                    yield from fh


def check_log_path(path: str | Path, flag: str = "--log-cases") -> Path:
    """The log's path, refused up front (one line) when it cannot be written; the log is
    renamed into place, so a device or a FIFO there is refused, never replaced."""
    target = Path(path)
    folder = target.absolute().parent
    if target.is_dir():
        raise UsageError(f"{flag} {path}: it is a folder; name a file, e.g. cases.jsonl")
    if target.exists() and not target.is_file():
        raise UsageError(f"{flag} {path}: it is not a regular file; name a file, e.g. cases.jsonl")
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: the folder {folder} does not exist")
    return target


def open_parts(path: str | Path, flag: str = "--log-cases") -> CaseParts:
    """A new, hidden parts folder beside the log ``path``."""
    target = check_log_path(path, flag)
    try:
        directory = tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.absolute().parent)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write there: {exc.strerror or exc}") from None
    return CaseParts(Path(directory), target)


@contextlib.contextmanager
def case_parts(path: str | Path | None, flag: str = "--log-cases") -> Iterator[CaseParts | None]:
    """A parts folder beside ``path`` for the life of the block (``None`` when no log is
    asked for); removed at the end, whether or not the log was written."""
    if path is None:
        yield None
        return
    parts = open_parts(path, flag)
    try:
        yield parts
    finally:
        parts.remove()
