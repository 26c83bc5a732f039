"""Answers N requests (argv[1]), then crashes on the next with a traceback on stderr.

With --after-answer it exits quietly right after the Nth answer instead.
"""

import sys

from _proto import judge, requests, send

limit = int(sys.argv[1])
after_answer = "--after-answer" in sys.argv
for count, request in enumerate(requests(), start=1):
    if count > limit:
        raise RuntimeError(f"crashed on request {count}")
    send(judge(request, "crash-after"))
    if after_answer and count == limit:
        sys.exit(0)
