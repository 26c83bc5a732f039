"""Prints a banner on stdout before it answers anything, as some runtimes do."""

import sys

from _proto import judge, requests, send

print("fake-validator 0.0.1 starting")
print("Debugger listening on ws://127.0.0.1:9229/")
sys.stdout.flush()
for request in requests():
    send(judge(request, "banner"))
