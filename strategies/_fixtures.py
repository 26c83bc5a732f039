"""Fuzz fixtures: labelled valid and invalid records and status sequences, as rows.

The same generator functions as the Hypothesis strategies run here on a seeded
:class:`~.strategies._source.RandomSource`, so a fixture file is what the strategies would
produce, only faster and without shrinking.  Every record is checked with the oracle before
it is written: a valid one passes, an invalid one fails for exactly its label.  The same
seed gives the same bytes; an id is a hash of the content, so it is stable for the same
record across runs and seeds, and unique within a file (a repeated row is skipped and
another drawn in its place).

Invalid rows are balanced: the rules take turns (each about an equal share), and within a
rule its properties take turns, so a file of 600 has about 100 cases of each rule, whatever
number of properties a rule applies to.

The files are written on the command side (:mod:`inngest_conformance._output_files`); the
pytest plugin parametrizes tests with the rows directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from inngest_conformance._encode import canonical_json, content_id, digest
from inngest_conformance.errors import UsageError
from inngest_conformance.strategies._invalid import (
    InvalidCase,
    Target,
    apply_target,
    label_holds,
    targets,
)
from inngest_conformance.strategies._lifecycle_model import LifecycleModel
from inngest_conformance.strategies._oracle import Oracle
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._schema import RunSchema
from inngest_conformance.strategies._source import RandomSource, derive_seed
from inngest_conformance.strategies._status_sequences import check_sequence
from inngest_conformance.strategies._status_sequences import (
    gen_invalid_status_sequence as gen_bad_sequence,
)
from inngest_conformance.strategies._status_sequences import gen_status_sequence as gen_sequence

#: How many draws in a row may repeat rows already written before a generator is taken to
#: have no new rows left.
MAX_REPEATS = 2000


@dataclass(frozen=True, slots=True)
class Fixtures:
    """Generators of fixture rows over one schema, model and seed."""

    schema: RunSchema
    model: LifecycleModel
    seed: int
    common_datetimes: bool = False
    """Valid records' date-times only in the common form (as ``runs(common_datetimes=True)``)."""

    def _source(self, stream: str) -> RandomSource:
        # One independent stream per file: asking for more invalid records does not change
        # the valid ones.
        return RandomSource(derive_seed(self.seed, stream))

    def _valid(self, n: int) -> Iterator[tuple[str, dict[str, Any], str]]:
        """(id, record, the record's canonical JSON): serialised once, for id and line."""
        src, oracle = self._source("valid"), Oracle(self.schema)
        seen: set[str] = set()
        made = repeats = 0
        while made < n:
            record = gen_record(src, self.schema, common_datetimes=self.common_datetimes)
            if not oracle.fast_is_valid(record):  # never trust the generator
                raise AssertionError(f"kit defect: generated an invalid 'valid' record {record!r}")
            text = canonical_json(record)
            rid = digest(text)
            if rid in seen:
                repeats = _repeated(repeats, "valid records", made)
                continue
            seen.add(rid)
            made, repeats = made + 1, 0
            yield rid, record, text

    def valid(self, n: int) -> Iterator[dict[str, Any]]:
        for rid, record, _ in self._valid(n):
            yield {"id": rid, "record": record}

    def valid_lines(self, n: int) -> Iterator[str]:
        """The lines of valid.jsonl: the same bytes as ``canonical_json(row)`` for each row."""
        for rid, _, text in self._valid(n):
            yield f'{{"id":"{rid}","record":{text}}}\n'

    def invalid(self, n: int) -> Iterator[dict[str, Any]]:
        """``n`` labelled invalid rows, the rules taking turns (see the module docstring)."""
        src, oracle = self._source("invalid"), Oracle(self.schema)
        by_rule: dict[str, list[Target]] = {}
        for target in targets(self.schema):
            by_rule.setdefault(target.rule, []).append(target)
        rules = list(by_rule.values())
        turns = [0] * len(rules)
        seen: set[str] = set()
        made = repeats = 0
        while made < n:
            i = made % len(rules)
            among = rules[i]
            case: InvalidCase = apply_target(src, self.schema, among[turns[i] % len(among)])
            if not label_holds(oracle, case):
                continue
            violation = case.violation.to_json()
            rid = content_id([case.record, violation])
            if rid in seen:
                repeats = _repeated(repeats, "invalid records", made)
                continue
            seen.add(rid)
            made, repeats = made + 1, 0
            turns[i] += 1
            yield {"id": rid, "record": case.record, "violation": violation}

    def sequences(self, n: int) -> Iterator[dict[str, Any]]:
        return _unique(self._sequences(), n, "status sequences")

    def _sequences(self) -> Iterator[dict[str, Any]]:
        src = self._source("sequences")
        while True:
            if src.boolean():
                statuses = gen_sequence(src, self.model)
                assert check_sequence(self.model, statuses) is None
                violation = None
            else:
                statuses, label = gen_bad_sequence(src, self.model)
                assert check_sequence(self.model, statuses) == label
                violation = label.to_json()
            yield {
                "id": content_id([statuses, violation]),
                "statuses": statuses,
                "valid": violation is None,
                "violation": violation,
            }


def _repeated(repeats: int, what: str, made: int) -> int:
    """Count one more repeated row in a row; a usage error when there are no new ones."""
    if repeats + 1 >= MAX_REPEATS:
        raise UsageError(
            f"only {made} distinct {what} found ({MAX_REPEATS} draws in a row repeated one "
            "already written); ask for fewer"
        )
    return repeats + 1


def _unique(rows: Iterable[dict[str, Any]], n: int, what: str) -> Iterator[dict[str, Any]]:
    """The first ``n`` rows of distinct ids."""
    seen: set[str] = set()
    repeats = 0
    if n <= 0:
        return
    for row in rows:
        if row["id"] in seen:
            repeats = _repeated(repeats, what, len(seen))
            continue
        seen.add(row["id"])
        repeats = 0
        yield row
        if len(seen) == n:
            return
