"""Third-party validators as Python targets (``tests.fakes.third_party:NAME``), as a user
certifies them: built from an example schema, nothing of the kit's added."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "schemas"
EVENT_SCHEMA = EXAMPLES / "event.schema.json"

#: jsonschema-rs on the event schema, asserting the formats of draft 2020-12's vocabulary
#: (and so ignoring ``int64``, which it does not define).
event_jsonschema_rs = jsonschema_rs.validator_for(
    json.loads(EVENT_SCHEMA.read_text()), validate_formats=True
)

DRAFT_07_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "draft-07.schema.json"

#: python-jsonschema's own draft 7 validator on a draft 7 schema, as published.
draft7_jsonschema = jsonschema.Draft7Validator(json.loads(DRAFT_07_SCHEMA.read_text()))

#: The same document read as draft 2020-12 (a planted mistake): its items array and its
#: dependencies mean nothing there.
draft7_read_as_2020_12 = jsonschema.Draft202012Validator(
    {k: v for k, v in json.loads(DRAFT_07_SCHEMA.read_text()).items() if k != "$schema"}
)


class FollowingJsonschemaRs:
    """jsonschema-rs (formats asserted) on whatever schema the run is certified against,
    as published: ``--target tests.fakes.third_party:following_jsonschema_rs --schema X``
    is jsonschema-rs built from ``X`` (through the kit's ``for_schema`` hook)."""

    def __init__(self, document: Any = None) -> None:
        self._validator = (
            None
            if document is None
            else jsonschema_rs.validator_for(document, validate_formats=True)
        )

    def for_schema(self, schema: Any) -> FollowingJsonschemaRs:
        return FollowingJsonschemaRs(json.loads(json.dumps(schema.source)))

    def __call__(self, record: Any) -> bool:
        if self._validator is None:
            raise TypeError("certify with --schema: this validator follows the run's schema")
        return bool(self._validator.is_valid(record))


following_jsonschema_rs = FollowingJsonschemaRs()
