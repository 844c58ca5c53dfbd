"""OAuth in process: the approvals endpoint with signed-in approvers, a person's policy following its file's
reloads, and an OAuth file the server refuses to start with."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from guard.approvals.gate import Approvals
from guard.approvals.store import MemoryApprovalStore, PendingApproval
from guard.audit import AuditLog
from guard.policy import load_policy
from odoo_mcp.approvals.http import ApprovalsEndpoint
from odoo_mcp.cli import main
from tests.oauth_helpers import granted_to, serving_in_process
from tests.odoo_double.seed import ADMIN

pytestmark = pytest.mark.anyio


@pytest.fixture
async def server(tmp_path):
    async with serving_in_process(tmp_path) as running:
        yield running


def pending(grant: str, number: int) -> PendingApproval:
    now = time.time()
    return PendingApproval(id=f"a{number}", grant=grant, session="s", tool="odoo_write", digest="d" * 64,
                           question="write?", created=now, expires=now + 600)


async def test_a_signed_in_approver_answers_at_approvals_but_never_for_their_own_grant(server, tmp_path):
    _, admin = await server.tokens(login=ADMIN["login"], secret=ADMIN["password"], scope="odoo approvals")
    _, demo = await server.tokens()
    store = MemoryApprovalStore()
    store.add(pending("demo@default", 1))
    store.add(pending("admin@default", 2))
    approvals = Approvals(b"k" * 32, store, AuditLog(tmp_path / "approvals-audit.jsonl", stderr=False))
    endpoint = ApprovalsEndpoint(granted_to, approvals, None, verifier=server.oauth.approvals)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(endpoint), base_url=server.base) as web:
        as_admin = {"Authorization": f"Bearer {admin['access_token']}"}
        listed = await web.get("/approvals", headers=as_admin)
        assert listed.status_code == 200 and {a["id"] for a in listed.json()} == {"a1", "a2"}
        approved = await web.post("/approvals/a1/approve", headers=as_admin)
        assert approved.status_code == 200 and approved.json()["decided_by"] == "http:admin@default"
        own = await web.post("/approvals/a2/approve", headers=as_admin)
        assert own.status_code == 403  # an approver never decides their own grant's calls
        not_approver = await web.get("/approvals", headers={"Authorization": f"Bearer {demo['access_token']}"})
        assert not_approver.status_code == 403 and "insufficient_scope" in not_approver.headers["www-authenticate"]
        nobody = await web.get("/approvals")
        assert nobody.status_code == 401 and "resource_metadata=" in nobody.headers["www-authenticate"]
    refused = [json.loads(line) for line in (tmp_path / "approvals-audit.jsonl").read_text().splitlines()]
    assert [r["event"] for r in refused if r["event"] == "approval_refused"] == ["approval_refused"]


async def test_a_persons_policy_follows_its_files_reload(server, tmp_path):
    _, admin = await server.tokens(login=ADMIN["login"], secret=ADMIN["password"])
    assert await server.oauth.tools.resolve(f"Bearer {admin['access_token']}") == "admin@default"
    key = server.oauth.config.policy_key("admins.json")
    assert server.policies.for_grant("admin@default") is server.policies.for_grant(key)
    (tmp_path / "admins.json").write_text(json.dumps({"version": "1", "default": "allow"}))
    server.policies.swap(key, load_policy(tmp_path / "admins.json"))  # what the reloader does on a change
    await server.oauth.tools.resolve(f"Bearer {admin['access_token']}")
    assert server.policies.for_grant("admin@default").default == "allow"


@pytest.mark.parametrize(("document", "problem"), [
    ({"public_url": "http://mcp.example.com"}, "must be https://"),
    ({"public_url": "https://mcp.example.com/mcp"}, "no path"),
    ({"public_url": "https://mcp.example.com", "connections": ["nope"]}, "'nope' is not a configured Odoo"),
    ({"public_url": "https://mcp.example.com", "policies": [{"login": "a", "group": "base.group_user",
                                                             "policy": "p.json"}]}, "exactly one of login or group"),
    ({"public_url": "https://mcp.example.com", "extra": 1}, "extra: Extra inputs are not permitted"),
])
def test_an_unusable_oauth_file_stops_the_start_naming_the_problem(tmp_path, capsys, monkeypatch, document, problem):
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "deny"}))
    (tmp_path / "oauth.json").write_text(json.dumps(document))
    monkeypatch.setenv("ODOO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ODOO_DB", "db")
    monkeypatch.setenv("ODOO_USERNAME", "agent")
    monkeypatch.setenv("ODOO_PASSWORD", "pw")
    monkeypatch.setenv("ODOO_MCP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    code = main(["serve", "--http", "--policy", str(tmp_path / "policy.json"), "--oauth", str(tmp_path / "oauth.json")])
    err = capsys.readouterr().err
    assert code == 2 and "refusing to start" in err and problem in err
