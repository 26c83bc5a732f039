"""Third-party validators as Python targets (``tests.fakes.third_party:NAME``), as a user
certifies them: built from an example schema, nothing of the kit's added."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "schemas"
EVENT_SCHEMA = EXAMPLES / "event.schema.json"

#: jsonschema-rs on the event schema, asserting the formats of draft 2020-12's vocabulary
#: (and so ignoring ``int64``, which it does not define).
event_jsonschema_rs = jsonschema_rs.validator_for(
    json.loads(EVENT_SCHEMA.read_text()), validate_formats=True
)
