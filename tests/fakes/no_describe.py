"""A validator-only harness that does not implement describe."""

from _proto import judge, requests, send

for request in requests():
    if request.get("op") == "describe":
        send({"error": "unknown op 'describe'"})
    else:
        send(judge(request, "no-describe"))
