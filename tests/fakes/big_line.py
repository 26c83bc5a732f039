"""Answers every tenth request with a 4 MB line (a rejection with one huge error)."""

from _proto import judge, requests, send

for count, request in enumerate(requests(), start=1):
    if count % 10 == 0:
        send({"valid": False, "errors": ["x" * (4 * 1024 * 1024)]})
    else:
        send(judge(request, "big-line"))
