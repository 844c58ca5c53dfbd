"""Servers that tests start on 127.0.0.1: a free port, waiting until one listens, a fixed answer,
scripted answers per route (a server that is not quite Odoo)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """Return once something accepts on `port`; fail if `process` died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"server exited with {process.returncode}: {stderr}") from None
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def serving(body: bytes, content_type: str) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that answers every GET with `body`: (its base URL, the paths asked)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


Answer = tuple[int, dict[str, str], bytes]


@contextmanager
def answering(routes: dict[tuple[str, str], Answer]) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that answers `(method, path)` with its `(status, headers, body)`, every
    other request with 404: (its base URL, the requests asked, as `METHOD path`). A header value may
    name `{url}`, the server's own base URL (a redirect to itself)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hits.append(f"{self.command} {self.path}")
            status, headers, body = routes.get((self.command, self.path), (404, {}, b"Not Found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value.format(url=base))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield base, hits
    finally:
        httpd.shutdown()
        httpd.server_close()
