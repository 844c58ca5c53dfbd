"""Serving the double: a threaded HTTP/1.1 server on 127.0.0.1 with an ephemeral port."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable
from http.server import ThreadingHTTPServer
from pathlib import Path

from . import seed
from .database import Database
from .wire import Behaviour, DoubleHandler


class OdooDouble:
    """A running double: `url`, `db` (the database name), the `database` itself and knobs."""

    def __init__(
        self,
        addons_paths: Iterable[Path] = (),
        partners: int = 150,
        version: str = "19.0",
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """`tls=(certificate, key)` serves HTTPS (for the certificate-verification tests)."""
        self.database: Database = seed.build(addons_paths, partners=partners, version=version)
        self.behaviour = Behaviour()
        handler = type("Handler", (DoubleHandler,), {"db": self.database, "behaviour": self.behaviour})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._server.daemon_threads = True
        # stop() waits for serve_forever's next poll: at the default 0.5 s every test paid half a second to stop
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="odoo-double", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def db(self) -> str:
        return self.database.name

    def start(self) -> OdooDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def drop_sessions(self) -> None:
        """Forget every web session, as a restarted Odoo does."""
        self.database.sessions.clear()

    def __enter__(self) -> OdooDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
