"""Real schemas (``tests/data/real-schemas/``, with their provenance): jsonschema-rs certified
against each at ``--profile quick`` through the command line.

Whatever a schema holds, the run ends in a report or in one line saying what the kit cannot
follow: never a traceback, never a hang.  Where a report is written, jsonschema-rs (a
correct peer: it agreed with the kit on every counterexample measured) fails nothing, or
what it fails is a format the kit reads differently (listed in ``FORMAT_READINGS``); the
requirements the kit finds no case for are exactly those ``known-limits.json`` lists.  The
figures are in the docs' "The schema vocabulary"; ``python tests/real_schemas.py`` prints
the whole table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.real_schemas import CORPUS, TARGETS, certify, schemas

#: Requirements whose difference with jsonschema-rs is a reading of a format (documented in
#: the README's "The oracle"): none found so far.
FORMAT_READINGS: frozenset[str] = frozenset()

PROVENANCE = json.loads((CORPUS / "provenance.json").read_text())["schemas"]


def test_every_schema_has_its_provenance() -> None:
    listed = {entry["file"] for entry in PROVENANCE}
    on_disk = {p.name for p in CORPUS.glob("*.json")} - {"provenance.json", "known-limits.json"}
    assert listed == on_disk
    assert 30 <= len(listed) <= 50
    for entry in PROVENANCE:
        assert entry["licence"] and (CORPUS / entry["licence_file"]).is_file(), entry["file"]
        assert entry["taken_from"] and re.fullmatch("[0-9a-f]{64}", entry["sha256"])


#: The requirements the kit finds no case for yet on each schema, with the message it
#: reports (errored: the run goes on and says why): the kit's own limits, measured, not
#: the validator's.  A schema's list must be exactly what its run shows: a new one is a
#: regression, one the kit has learnt to find takes its entry out of the file.
KNOWN_LIMITS: dict[str, dict[str, str]] = json.loads((CORPUS / "known-limits.json").read_text())[
    "limits"
]


def test_every_known_limit_names_a_schema_of_the_corpus() -> None:
    assert set(KNOWN_LIMITS) <= {p.stem for p in schemas()}
    for limits in KNOWN_LIMITS.values():
        assert limits and all(why.startswith("no case found: ") for why in limits.values())


@pytest.mark.slow
@pytest.mark.parametrize("schema", schemas(), ids=lambda p: p.stem)
def test_jsonschema_rs_on_a_real_schema(schema: Path) -> None:
    outcome = certify(schema, TARGETS["jsonschema-rs"])
    assert outcome.status != "timeout"
    assert outcome.status != "traceback", outcome.reason
    assert outcome.exit_status in (0, 1, 2)
    if outcome.status == "refused":
        assert outcome.stderr_lines == 1, outcome.reason
        # The kit refuses what it cannot follow, naming where; jsonschema-rs may refuse a
        # schema too (a pattern its regex engine does not read), and says so.
        assert outcome.reason.startswith("inngest-conformance: error: "), outcome.reason
        assert schema.stem not in KNOWN_LIMITS
        return
    failed = [f for f in outcome.failed if " (failed): " in f]
    unexplained = [f for f in failed if f.split(" ", 1)[0] not in FORMAT_READINGS]
    assert not unexplained, unexplained
    errored = dict(f.split(" (errored): ", 1) for f in outcome.failed if " (errored): " in f)
    assert errored == KNOWN_LIMITS.get(schema.stem, {})
    if not failed:
        assert outcome.verdict == ("error" if errored else "conformant")
