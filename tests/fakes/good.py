"""A correct validator harness."""

from _proto import judge, requests, send

for request in requests():
    send(judge(request, "good"))
