"""The doors the web families opened, closed through the real server (stdio, the real mcp client, the Odoo double
over real HTTP): each test is an escape the second attack corpus found, and fails on the code it found it in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from guard.spec import ToolFailure
from odoo_client.connection import OdooConnection
from odoo_client.settings import ConnectionConfig
from tests.harness import guarded_server
from tests.odoo_double import ADMIN, OdooDouble
from tests.sensitive_cases import call, in_process, odoo_env
from tools.web_session.session import WebSession

pytestmark = pytest.mark.anyio
ALLOW_ALL = {"version": "1", "default": "allow"}


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=3) as running:
        yield running


def server_env(double: OdooDouble, tmp_path, **extra: str) -> dict[str, str]:
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    return odoo_env(double, "jsonrpc", ODOO_MCP_FILES_DIR=str(files), **extra)


async def test_web_request_sends_only_the_path_it_checked(double, tmp_path):
    """An encoded `?` hid dot segments from the path check; httpx then removed them and the grant's web session
    reached call_kw (database.secret read), the database manager and attachments."""
    call_kw = {"jsonrpc": "2.0", "method": "call", "id": 1,
               "params": {"model": "ir.config_parameter", "method": "search_read", "args": [[]], "kwargs": {}}}
    hostile = [("POST", "/my/x%3F/../../web/dataset/call_kw", call_kw),
               ("POST", "/my/x%3F/../../jsonrpc", {}),
               ("GET", "/my/x%3F/../../web/database/list", {}),
               ("GET", "/my/x%3F/../../web/content/1", {}),
               ("GET", "/my/%2e%2e/web/content/1", {}),
               ("GET", "/my/..%2fweb/content/1", {}),
               ("POST", "/my/x%23/../../web/action/run", {})]
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=server_env(double, tmp_path)) as server:
        login = await server.call("odoo_web_login", {})
        assert not login.is_error, login.text
        home = await server.call("odoo_web_request", {"path": "/my/home"})
        assert not home.is_error and home.data["status"] == 200, home.text
        sent_before = len(double.database.web_log)
        answers = [await server.call("odoo_web_request", {"path": path, "method": method, "data": data})
                   for method, path, data in hostile]
        records = server.audit_records()
    for (_, path, _), answer in zip(hostile, answers, strict=True):
        assert answer.is_error and answer.tag == "TOOL ERROR", (path, answer.text)
        assert "s3cr3t" not in answer.text and "refused" in answer.text, (path, answer.text)
    assert double.database.web_log[sent_before:] == []  # nothing of it reached Odoo
    refused = [r for r in records if r["tool"] == "odoo_web_request" and r["outcome"] != "ok"]
    assert len(refused) == len(hostile)


def test_the_session_sends_exactly_the_path_it_was_given(double):
    """Below the route decision: a path the HTTP client would rewrite (dot segments) is never sent."""
    connection = OdooConnection(ConnectionConfig(alias="default", url=double.url, db=double.db,
                                                 username=ADMIN["login"], password=ADMIN["password"]))
    session = WebSession(connection, anonymous=True)
    try:
        for path in ("/report/barcode/Code128/..", "/shop/./x", "/shop/a/../../web/database/list"):
            with pytest.raises(ToolFailure, match="not to the path that was checked"):
                session.send("GET", path)
        assert double.database.web_log == []
        session.send("GET", "/shop", params={"search": "a b&c"})
    finally:
        session.close()
    assert double.database.web_log == [("GET", "/shop?search=a+b%26c", False)]


async def test_a_barcode_of_dots_stays_one_segment(double, tmp_path):
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "files") as guard:
        result = await call(guard, "public_access_barcode", {"value": ".."})
    assert not result.is_error, result.text
    assert double.database.web_log[-1][1].startswith("/report/barcode/Code128/%2E%2E?")
