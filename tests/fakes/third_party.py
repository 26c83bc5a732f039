"""Third-party validators as Python targets (``tests.fakes.third_party:NAME``), as a user
certifies them: built from an example schema, nothing of the kit's added."""

from __future__ import annotations

import json
from pathlib import Path

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
