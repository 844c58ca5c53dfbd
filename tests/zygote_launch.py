"""`python -S -E tests/zygote_launch.py SOCKET MODULE ARGS…`: `python -m MODULE ARGS…`, forked from the zygote.

The process a test starts and talks to (see tests/zygote.py): it hands its stdin, stdout and stderr,
its environment, working directory and arguments to the zygote, which forks a child that runs
MODULE on them. Signals this process gets are passed to the child; it exits with the child's status
(or, when the child was killed by a signal it passed on, by that same signal). Standard library
only, without `site`: it starts in a few milliseconds.
"""

import contextlib
import json
import os
import signal
import socket
import sys


def main() -> None:
    path, module, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    socket.send_fds(conn, [b"\0"], [0, 1, 2])
    spec = json.dumps({"module": module, "args": args, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    conn.sendall(len(spec).to_bytes(4, "big") + spec)
    child = int.from_bytes(conn.recv(4, socket.MSG_WAITALL), "big")
    passed: list[int] = []

    def pass_on(signum: int, _frame: object) -> None:
        passed.append(signum)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, pass_on)
    while True:
        try:
            status = conn.recv(1)
            break
        except InterruptedError:
            continue
    if status:
        sys.exit(status[0])
    if passed:  # killed by what we passed on: end the same way
        signal.signal(passed[-1], signal.SIG_DFL)
        os.kill(os.getpid(), passed[-1])
    sys.exit(1)


main()
