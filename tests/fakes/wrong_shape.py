"""Answers every request but describe with the record's "answer", verbatim.

describe answers the JSON in the FAKE_DESCRIBE environment variable, if set.
"""

import json
import os

from _proto import judge, requests, send

for request in requests():
    if request.get("op") == "describe":
        described = os.environ.get("FAKE_DESCRIBE")
        send(json.loads(described) if described else judge(request, "wrong-shape"))
    else:
        send(request.get("record", {}).get("answer"))
