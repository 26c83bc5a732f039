"""Writes 64 KiB to stderr for every request before answering it."""

import sys

from _proto import judge, requests, send

for count, request in enumerate(requests(), start=1):
    sys.stderr.write((f"noise {count} " * 8192)[: 64 * 1024 - 1] + "\n")
    sys.stderr.flush()
    send(judge(request, "noisy-stderr"))
