"""Answers describe properly and validate with a line that is not JSON."""

import sys

from _proto import judge, requests, send

for request in requests():
    if request.get("op") == "validate":
        sys.stdout.write("I think it is valid\n")
        sys.stdout.flush()
    else:
        send(judge(request, "not-json"))
