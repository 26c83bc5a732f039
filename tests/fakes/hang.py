"""Answers describe, hangs on validate; starts a grandchild whose pid goes to argv[1]."""

import subprocess
import sys
import time

from _proto import judge, requests, send

grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
with open(sys.argv[1], "w") as pidfile:
    pidfile.write(str(grandchild.pid))
for request in requests():
    if request.get("op") == "validate":
        time.sleep(3600)
    send(judge(request, "hang"))
