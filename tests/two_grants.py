"""One server process over streamable HTTP with two grants (alice, bob), the Odoo double, and no
operator connection: every Odoo connection is opened at run time. Shared by the tests of what one
grant may reach of another's (runtime connections, identity profiles)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from odoo_mcp.http.auth import token_digest
from tests import zygote
from tests.harness import REPO
from tests.loopback import free_port, wait_for_port
from tests.odoo_double import OdooDouble


@contextmanager
def two_grants_served(tmp_path: Path) -> Iterator[tuple[str, OdooDouble]]:
    """(the server's /mcp URL, the double) for a server whose grants are alice and bob."""
    with OdooDouble(partners=3) as double:
        (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}))
        tokens = {g: "sha256:" + token_digest(f"{g}-token") for g in ("alice", "bob")}
        (tmp_path / "tokens.json").write_text(json.dumps({"grants": tokens}))
        port = free_port()
        env = {**os.environ, "ODOO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "ODOO_MCP_AUDIT_STDERR": "0",
               "ODOO_MCP_STATE_DIR": str(tmp_path / "state"), "ALLOWED_ODOO_URLS": double.url}
        for name in ("ODOO_URL", "ODOO_PASSWORD", "ODOO_API_KEY", "CONNECTIONS_FILE"):
            env.pop(name, None)  # no operator connection: every connection is opened at run time
        process = subprocess.Popen(
            [*zygote.command("odoo_mcp"), "serve", "--http", "--port", str(port),
             "--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json")],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        wait_for_port(port, process)
        try:
            yield f"http://127.0.0.1:{port}/mcp", double
        finally:
            process.terminate()
            process.communicate(timeout=10)


def client_for(url: str, grant: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {grant}-token"}, timeout=30)
    return Client(streamable_http_client(url, http_client=http))


def text(result) -> str:
    return result.content[0].text


def ok(result) -> dict:
    assert not result.is_error, text(result)
    return json.loads(text(result))
