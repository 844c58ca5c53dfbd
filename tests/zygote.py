"""Server processes for the tests without paying the imports each time: a fork server.

Why: the end-to-end tests start ~150 server processes, and each spent about 1 s of CPU importing
the MCP SDK, pydantic and our tool families before its first answer — most of the suite's CPU on
a 2-core machine. The zygote (started once per pytest worker, on first use) imports all of that
once, with no Odoo or server settings in its environment; each "start" forks it. The test still
starts a real process (`tests/zygote_launch.py`, stdlib only) that the `mcp` client or
`subprocess` talks to over real pipes and sockets: the launcher hands its stdin, stdout and
stderr to the zygote, which forks a child that takes them as its own, takes the launcher's
argv, environment and working directory, runs the module as `python -m` would
(`runpy.run_module`, as `__main__`) and sends back its exit status. The launcher forwards the
signals it gets (SIGTERM, SIGINT, SIGHUP) to the child and exits as the child did; the child
exits when the launcher disappears.

What differs from a fresh interpreter is only what import time could capture: the modules were
imported once, under the zygote's environment. No module of this project reads the environment,
the working directory or argv at import (the server reads its settings when it starts); the
random module is reseeded in each child. Tests of start-up itself (`test_cli`,
`test_startup_fail_closed`, `test_stdio_early_answers`, `test_first_hour`, the demo) start plain
`python -m odoo_mcp` processes, and `ODOO_MCP_TEST_FRESH=1` makes every test do so
(`command()` then returns the plain command).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import pkgutil
import random
import runpy
import select
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LAUNCHER = Path(__file__).resolve().parent / "zygote_launch.py"
PACKAGES = ("foundation", "guard", "odoo_client", "tools", "odoo_mcp")
"""Every module of these is imported by the zygote (but `__main__`s): what a server process loads."""
PRELOAD_EXTRA = ("tests.echo_server", "tests.harness", "mcp.server.mcpserver")

_zygote: tuple[subprocess.Popen[bytes], str, int] | None = None
"""This process's zygote: the process, its socket, and the pid that started it (a fork of the test
process, as mutmut makes one per mutant, starts its own rather than share or stop its parent's)."""


def fresh() -> bool:
    """`ODOO_MCP_TEST_FRESH=1`: every test starts a fresh interpreter, as before the zygote."""
    return os.environ.get("ODOO_MCP_TEST_FRESH", "") == "1"


def command(module: str, *args: str) -> list[str]:
    """The command that runs `python -m module args…` as a fork of this worker's zygote."""
    if fresh():
        return [sys.executable, "-m", module, *args]
    return [sys.executable, "-S", "-E", str(LAUNCHER), _socket_path(), module, *args]


def _socket_path() -> str:
    """The zygote's socket, starting the zygote on first use (and stopping it when this process exits)."""
    global _zygote
    if _zygote is not None and _zygote[2] == os.getpid() and _zygote[0].poll() is None:
        return _zygote[1]
    folder = tempfile.mkdtemp(prefix="zygote-")
    path = os.path.join(folder, "s")
    env = {name: value for name, value in os.environ.items() if not name.startswith("ODOO")}
    env["PYTHONPATH"] = str(REPO)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.zygote", path, str(os.getpid())],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    ready = process.stdout.readline() if process.stdout else b""
    if ready.strip() != b"ready":
        raise RuntimeError(f"the test zygote did not start (exit {process.wait()})")
    _zygote = (process, path, os.getpid())
    atexit.register(_stop, process, folder, os.getpid())
    return path


def _stop(process: subprocess.Popen[bytes], folder: str, owner: int) -> None:
    if os.getpid() != owner:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    os.rmdir(folder)


# ---- the zygote itself: `python -m tests.zygote SOCKET PARENT_PID` ----


def preload() -> None:
    """Import every module a server process may load, so that each fork starts with them."""
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    for name in PRELOAD_EXTRA:
        importlib.import_module(name)


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the launcher went away")
        data += chunk
    return data


def _accept(listener: socket.socket) -> tuple[socket.socket, list[int], dict[str, Any]] | None:
    """One start request: the launcher's connection, its three stdio descriptors and its spec."""
    conn, _ = listener.accept()
    try:
        _, fds, _, _ = socket.recv_fds(conn, 1, 3)
        size = int.from_bytes(_read_exact(conn, 4), "big")
        spec = json.loads(_read_exact(conn, size))
    except (OSError, ValueError):
        conn.close()
        return None
    return conn, fds, spec


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def serve(path: str, parent: int) -> tuple[socket.socket, list[int], dict[str, Any]] | None:
    """Fork on every request; return in the child (with what it must run), never in the zygote."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while os.getppid() == parent:
        readable, _, _ = select.select([listener], [], [], 0.5)
        _reap()
        if not readable:
            continue
        request = _accept(listener)
        if request is None:
            continue
        if os.fork() == 0:
            listener.close()
            return request
        conn, fds, _ = request
        conn.close()
        for fd in fds:
            os.close(fd)
    return None


def _watch_launcher(conn: socket.socket) -> None:
    """End this child when its launcher is gone (killed by a test's timeout): nothing outlives it."""
    import threading

    def wait() -> None:
        try:
            while conn.recv(1):
                pass
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=wait, daemon=True).start()


def become(conn: socket.socket, fds: list[int], spec: dict[str, Any]) -> int:
    """In the forked child: take the launcher's stdio, environment, directory and argv, then run."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(spec["cwd"])
    os.environ.clear()
    os.environ.update(spec["env"])
    random.seed()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.argv = [spec["module"], *spec["args"]]
    conn.sendall(os.getpid().to_bytes(4, "big"))
    _watch_launcher(conn)
    status = [1]
    # the status goes back after the exit handlers the run registers (they run last-registered first)
    atexit.register(_report, conn, status)
    try:
        runpy.run_module(spec["module"], run_name="__main__", alter_sys=True)
        status[0] = 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            status[0] = done.code or 0
        else:
            print(done.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    return status[0]


def _report(conn: socket.socket, status: list[int]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(OSError):
        conn.sendall((status[0] & 0xFF).to_bytes(1, "big"))


def main() -> int:
    preload()
    request = serve(sys.argv[1], int(sys.argv[2]))
    if request is None:
        return 0
    return become(*request)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
