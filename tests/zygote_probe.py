"""`python -m tests.zygote_probe [sleep|exit N]`: what a forked test server sees, for tests/test_zygote.py.

Prints its argv, working directory, one environment variable and whether stdin is readable,
as one JSON line; `exit N` then exits with N, `sleep` waits to be signalled.
"""

import json
import os
import sys
import time

print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "probe": os.environ.get("ZYGOTE_PROBE"),
                  "stdin": sys.stdin.readline().strip(), "pid": os.getpid()}), flush=True)  # fmt: skip
if sys.argv[1:2] == ["exit"]:
    sys.exit(int(sys.argv[2]))
if sys.argv[1:2] == ["sleep"]:
    time.sleep(60)
