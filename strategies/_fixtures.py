"""Fuzz fixtures: labelled valid and invalid records and status sequences, as rows.

The same generator functions as the Hypothesis strategies run here on a seeded
:class:`~.strategies._source.RandomSource`, so a fixture file is what the strategies would
produce, only faster and without shrinking.  Every record is checked with the oracle before
it is written: a valid one passes, an invalid one fails for exactly its label.  The same
seed gives the same bytes; an id is a hash of the content, so it is stable for the same
record across runs and seeds, and unique within a file (a repeated row is skipped and
another drawn in its place).

A stream (``valid``, ``invalid``, ``sequences``) is made of *chunks* of :data:`CHUNK` rows,
chunk ``k`` drawn from a source seeded by the seed, the stream and ``k`` alone.  So chunks
can be drawn in any process and in any order and still give the same file: the rows are
taken chunk by chunk, in order, each row whose id was already taken is skipped, and the
file ends at the count asked for.  Within a chunk repeats are found exactly; across chunks
by a Bloom filter of fixed size (:class:`Taken`), so memory stays flat however many rows a
file holds, and a file's first rows do not depend on how many are asked for.

Invalid rows are balanced: the rules take turns (each about an equal share), and within a
rule its properties take turns, so a file of 600 has about 100 cases of each rule, whatever
number of properties a rule applies to.

The files are written on the command side (:mod:`inngest_conformance._output_files`, which
also draws chunks in worker processes); the pytest plugin parametrizes tests with the rows
directly.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from inngest_conformance._encode import canonical_json, json_line
from inngest_conformance.errors import UsageError
from inngest_conformance.strategies._formats import OPENAPI_FORMAT
from inngest_conformance.strategies._invalid import (
    InvalidCase,
    Target,
    apply_target,
    label_holds,
    targets,
    unbuilt,
)
from inngest_conformance.strategies._lifecycle_model import LifecycleModel
from inngest_conformance.strategies._oracle import Oracle
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._schema import RunSchema
from inngest_conformance.strategies._source import RandomSource, Unsatisfiable, derive_seed
from inngest_conformance.strategies._status_sequences import check_observed, check_sequence
from inngest_conformance.strategies._status_sequences import (
    gen_invalid_status_sequence as gen_bad_sequence,
)
from inngest_conformance.strategies._status_sequences import gen_status_sequence as gen_sequence
from inngest_conformance.strategies._subschema import TRIES

#: How many draws in a row may repeat rows already written before a generator is taken to
#: have no new rows left.
MAX_REPEATS = 2000
#: Rows per chunk of a stream (see the module docstring).
CHUNK = 4096

Stream = Literal["valid", "invalid", "sequences"]
STREAMS: tuple[Stream, ...] = ("valid", "invalid", "sequences")


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True, slots=True)
class Row:
    """One fixture row: its content's SHA-256 (the id is its first 8 bytes, in hex), the row
    as data, and its line in a JSON Lines file."""

    digest: bytes
    row: dict[str, Any]
    line: str

    @property
    def id(self) -> str:
        return self.digest[:8].hex()


@dataclass(frozen=True, slots=True)
class Chunk:
    """The rows of one chunk of a stream, distinct within it; ``dry`` when the generator
    ran out of new rows before the chunk was full."""

    rows: list[Row]
    dry: bool

    def __iter__(self) -> Iterator[Row]:
        yield from self.rows
        if self.dry:
            raise _Dry


class Taken:
    """The ids already taken for a file, as a Bloom filter of fixed size (16 MiB, seven
    probes): it never misses a taken id, and takes a new one for a taken one about once in
    ten million rows at two million (that row is skipped like a repeat: ids stay unique)."""

    BITS = 1 << 27
    PROBES = 7
    __slots__ = ("_bits",)

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS // 8)

    def add(self, digest: bytes) -> bool:
        """Take ``digest``; ``False`` when it was (as far as the filter knows) taken."""
        word = int.from_bytes(digest[8:32], "big")
        bits, new = self._bits, False
        for _ in range(self.PROBES):
            at = word & (self.BITS - 1)
            word >>= 27
            byte, mask = at >> 3, 1 << (at & 7)
            if not bits[byte] & mask:
                bits[byte] |= mask
                new = True
        return new


@dataclass(frozen=True, slots=True)
class Fixtures:
    """Generators of fixture rows over one schema, model and seed."""

    schema: RunSchema
    model: LifecycleModel
    seed: int
    common_datetimes: bool = False
    """Valid records' date-times only in the common form (as ``runs(common_datetimes=True)``)."""
    chunk_size: int = CHUNK
    """Rows per chunk: the same seed and chunk size give the same rows."""

    def valid(self, n: int) -> Iterator[dict[str, Any]]:
        return (r.row for r in self.rows("valid", n))

    def invalid(self, n: int) -> Iterator[dict[str, Any]]:
        """``n`` labelled invalid rows, the rules taking turns (see the module docstring)."""
        return (r.row for r in self.rows("invalid", n))

    def sequences(self, n: int) -> Iterator[dict[str, Any]]:
        return (r.row for r in self.rows("sequences", n))

    def rows(
        self, stream: Stream, n: int, chunks: Iterable[Iterable[Row]] | None = None
    ) -> Iterator[Row]:
        """The first ``n`` rows of ``stream``.  ``chunks`` are the stream's chunks in order
        when they are drawn elsewhere (in worker processes); by default they are drawn here,
        lazily, and give the same rows."""
        if n <= 0:
            return
        drawn: Iterable[Iterable[Row]] = (
            chunks if chunks is not None else (self.draw(stream, k) for k in itertools.count())
        )
        what = {"valid": "valid records", "invalid": "invalid records"}.get(
            stream, "status sequences"
        )
        taken, made, repeats = Taken(), 0, 0
        try:
            for chunk in drawn:
                for row in chunk:
                    if not taken.add(row.digest):
                        repeats = _repeated(repeats, what, made)
                        continue
                    repeats = 0
                    made += 1
                    yield row
                    if made == n:
                        return
        except _Dry:
            raise _dry(what, made) from None

    def chunk(self, stream: Stream, k: int) -> Chunk:
        """Chunk ``k`` of ``stream``, whole: what a worker process draws."""
        rows: list[Row] = []
        try:
            rows.extend(self.draw(stream, k))
        except _Dry:
            return Chunk(rows, True)
        return Chunk(rows, False)

    def draw(self, stream: Stream, k: int) -> Iterator[Row]:
        """The rows of chunk ``k`` of ``stream``, distinct within the chunk; raises
        :class:`_Dry` after the last one when the generator has no new rows left."""
        src = RandomSource(derive_seed(self.seed, f"{stream}/{k}"))
        gen = {"valid": self._valid, "invalid": self._invalid, "sequences": self._sequences}
        rows = gen[stream](src, k)
        seen: set[bytes] = set()
        repeats = 0
        row = next(rows)
        while True:
            if row.digest in seen:
                repeats += 1
                if repeats >= MAX_REPEATS:
                    raise _Dry
                row = rows.send(False)  # a generator with turns gives the same one again
                continue
            seen.add(row.digest)
            repeats = 0
            yield row
            if len(seen) == self.chunk_size:
                return
            row = rows.send(True)

    def _valid(self, src: RandomSource, k: int) -> Generator[Row, bool, None]:
        oracle = Oracle(self.schema)
        while True:
            record = gen_record(src, self.schema, common_datetimes=self.common_datetimes)
            # Never trust the generator; valid under every reading of the kit's too.
            if not oracle.fast_is_valid(record, reading=OPENAPI_FORMAT):
                raise AssertionError(f"kit defect: generated an invalid 'valid' record {record!r}")
            text = canonical_json(record)  # serialised once, for the id and the line
            digest = _digest(text)
            rid = digest[:8].hex()
            yield Row(
                digest,
                {"id": rid, "record": record},
                json_line(f'{{"id":"{rid}","record":{text}}}'),
            )

    def _invalid(self, src: RandomSource, k: int) -> Generator[Row, bool, None]:
        oracle = Oracle(self.schema)
        by_rule: dict[str, list[Target]] = {}
        for target in targets(self.schema):
            # Past the size limit, or no case found: never built (see :func:`buildable`).
            if unbuilt(self.schema, target) is None and buildable(self.schema, oracle, target):
                by_rule.setdefault(target.rule, []).append(target)
        rules = list(by_rule.values())
        if not rules:
            raise UsageError("the kit builds no invalid record of this schema")
        # The turns continue from the chunks before: row i of the stream is rule i's turn.
        made = k * self.chunk_size
        turns = [(made - i + len(rules) - 1) // len(rules) for i in range(len(rules))]
        misses = 0  # tries in a row that made no case of the rule whose turn it is
        while True:
            i = made % len(rules)
            among = rules[i]
            case: InvalidCase | None
            try:
                case = apply_target(src, self.schema, among[turns[i] % len(among)])
            except Unsatisfiable:
                case = None
            if case is None or not label_holds(oracle, case, fast=True):
                misses += 1
                if misses >= TRIES:  # a rule that rarely gives a case: its turn passes
                    misses, made, turns[i] = 0, made + 1, turns[i] + 1
                continue
            misses = 0
            violation = case.violation.to_json()
            record_text, violation_text = canonical_json(case.record), canonical_json(violation)
            # The same text as canonical_json([record, violation]) and of the whole row.
            digest = _digest(f"[{record_text},{violation_text}]")
            rid = digest[:8].hex()
            fresh = yield Row(
                digest,
                {"id": rid, "record": case.record, "violation": violation},
                json_line(f'{{"id":"{rid}","record":{record_text},"violation":{violation_text}}}'),
            )
            if fresh:  # a repeat gives the rule its turn again
                made += 1
                turns[i] += 1

    def _sequences(self, src: RandomSource, k: int) -> Generator[Row, bool, None]:
        while True:
            if src.boolean():
                statuses = gen_sequence(src, self.model)
                assert check_sequence(self.model, statuses) is None
                violation = None
            else:
                statuses, label = gen_bad_sequence(src, self.model)
                assert check_sequence(self.model, statuses) == label
                violation = label.to_json()
            digest = _digest(canonical_json([statuses, violation]))
            row = {
                "id": digest[:8].hex(),
                "statuses": statuses,
                "valid": violation is None,
                "violation": violation,
                # audit's reading: what a poller may see (repeats, skipped states).
                "observed_valid": check_observed(self.model, statuses) is None,
            }
            yield Row(digest, row, json_line(canonical_json(row)))


def buildable(schema: RunSchema, oracle: Oracle, target: Target) -> bool:
    """Whether a case of ``target`` is found in a few seeded tries (the same every run):
    a rule whose near misses always break more than it (an ``allOf`` branch asking the
    same of the property) has no row, rather than a generator that never ends."""
    for i in range(TRIES):
        try:
            case = apply_target(RandomSource(derive_seed(i, target.name)), schema, target)
        except Unsatisfiable:
            continue
        if label_holds(oracle, case, fast=True):
            return True
    return False


class _Dry(Exception):
    """A chunk's generator ran out of new rows."""


def _dry(what: str, made: int) -> UsageError:
    return UsageError(
        f"only {made} distinct {what} found ({MAX_REPEATS} draws in a row repeated one "
        "already written); ask for fewer"
    )


def _repeated(repeats: int, what: str, made: int) -> int:
    """Count one more repeated row in a row; a usage error when there are no new ones."""
    if repeats + 1 >= MAX_REPEATS:
        raise _dry(what, made)
    return repeats + 1
