"""Approvals as a user meets them: real servers over stdio, the real client, both protocol eras.

An answer counts only for the exact call it was asked for, once, before it expires; a client
without elicitation gets `[APPROVAL PENDING] <id>`, a human approves it with the CLI (or the
HTTP endpoint of another server sharing Redis), and the agent's retry runs once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import subprocess
import sys

import anyio
import httpx2
import mcp_types as types
import pytest

from odoo_mcp.cli import main as cli_main
from odoo_mcp.http.auth import token_digest
from tests import zygote
from tests.harness import REPO, GuardedSession, _to_result, guarded_server
from tests.loopback import free_port, wait_for_port

pytestmark = pytest.mark.anyio

TTL = 1.5
POLICY = {"version": "1", "default": "deny", "tools": {"guard_echo": {"action": "require_approval"}}}
SERVER_POLICY = {"version": "1", "default": "deny", "tools": {"odoo_version": {"action": "require_approval"}}}
"""For the real server's processes (guard_echo exists only in the test server)."""
LONG = "see https://example.com/" + "a" * 300 + "/phish-here"
ARGS = {"text": LONG, "secret_token": "tok-XYZ", "count": 1}
OTHER_ARGS = {**ARGS, "count": 2}


def yes(accept: bool = True) -> dict[str, types.ElicitResult]:
    action = "accept" if accept else "decline"
    return {"approval": types.ElicitResult(action=action, content={"approve": True} if accept else None)}


async def ask(server: GuardedSession, arguments: dict) -> types.InputRequiredResult:
    """First round of a 2026-07-28 call: the server answers `input_required` with its question."""
    result = await server.client.session.call_tool("guard_echo", arguments, allow_input_required=True)
    assert isinstance(result, types.InputRequiredResult), result
    assert result.request_state
    return result


async def answer(server: GuardedSession, arguments: dict, state: str | None, accept: bool = True):
    """The retry carrying the human's answer and the echoed state (what the SDK's client sends)."""
    raw = await server.client.session.call_tool(
        "guard_echo", arguments, input_responses=yes(accept), request_state=state, allow_input_required=True
    )
    assert isinstance(raw, types.CallToolResult), raw
    return _to_result(raw)


def ran(server: GuardedSession) -> int:
    return sum(r["tool"] == "guard_echo" and r["outcome"] == "ok" for r in server.audit_records())


def refusals(server: GuardedSession) -> list[str]:
    return [r["reason"] for r in server.audit_records("approval") if r["action"] == "refused"]


def altered(state: str) -> str:
    prefix, body, mac = state.split(".")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    return f"{prefix}.{flipped}.{mac}"


async def test_answers_bind_to_the_exact_call_in_both_protocol_eras(tmp_path):
    questions: list[str] = []
    human_delay = {"seconds": 0.0, "accept": True}

    async def human(_context, params):
        questions.append(params.message)
        await anyio.sleep(human_delay["seconds"])
        return yes(human_delay["accept"])["approval"]

    shared = {"ODOO_MCP_APPROVAL_KEY": "k" * 48, "ODOO_MCP_APPROVAL_TTL": str(TTL)}
    for name in ("modern", "legacy", "bob"):
        (tmp_path / name).mkdir()
    async with (
        guarded_server(  # declares elicitation; the test answers each question itself
            POLICY, tmp_path=tmp_path / "modern", echo=True, env=shared, elicitation_callback=human
        ) as modern,
        guarded_server(
            POLICY, tmp_path=tmp_path / "legacy", echo=True, env=shared, mode="legacy", elicitation_callback=human
        ) as legacy,
        guarded_server(POLICY, tmp_path=tmp_path / "bob", echo=True, env={**shared, "ODOO_MCP_GRANT": "bob"}) as bob,
    ):
        # --- 2026-07-28: input_required + retry ---
        unsolicited = await answer(modern, ARGS, None)
        assert unsolicited.text.startswith("[APPROVAL REFUSED] this server did not ask for this answer")
        first = await ask(modern, ARGS)
        question = first.input_requests["approval"].params.message
        assert LONG in question  # the whole call, the end of a 300+ character value included
        assert "tok-XYZ" not in question and "«masked secret»" in question
        state = first.request_state
        forged = await answer(modern, ARGS, altered(state))
        assert forged.text.startswith("[APPROVAL REFUSED] the approval state was altered")
        assert (await answer(modern, OTHER_ARGS, state)).text.startswith(
            "[APPROVAL REFUSED] the approval was given for a different call"
        )
        assert (await bob.call("guard_echo", ARGS)).tag == "APPROVAL PENDING"  # bob's own call: not approved
        cross = _to_result(
            await bob.client.session.call_tool("guard_echo", ARGS, input_responses=yes(), request_state=state)
        )
        assert cross.text.startswith("[APPROVAL REFUSED] the approval was issued to another grant")
        assert ran(modern) == 0
        done = await answer(modern, ARGS, state)
        assert not done.is_error, done.text
        assert done.data["text"] == LONG
        assert ran(modern) == 1
        replay = await answer(modern, ARGS, state)
        assert replay.text.startswith("[APPROVAL REFUSED] this approval was already used")
        assert (await answer(modern, OTHER_ARGS, state)).tag == "APPROVAL REFUSED"
        declined = await answer(modern, ARGS, (await ask(modern, ARGS)).request_state, accept=False)
        assert declined.text == "[APPROVAL DECLINED] the user declined 'guard_echo'"
        late = (await ask(modern, ARGS)).request_state
        await anyio.sleep(TTL + 0.1)
        assert (await answer(modern, ARGS, late)).text.startswith("[APPROVAL REFUSED] the approval expired")
        assert ran(modern) == 1
        assert refusals(modern) == ["unsolicited", "altered", "other_call", "replayed", "other_call", "expired"]
        assert refusals(bob) == ["other_grant"]
        assert {r["outcome"] for r in modern.audit_records() if r["outcome"] != "ok"} == {
            "approval_refused",
            "approval_requested",
            "approval_declined",
        }

        # --- handshake era: elicitation inside the call ---
        ok = await legacy.call("guard_echo", ARGS)
        assert not ok.is_error, ok.text
        assert LONG in questions[-1] and "tok-XYZ" not in questions[-1]
        assert ran(legacy) == 1
        human_delay["accept"] = False
        assert (await legacy.call("guard_echo", ARGS)).text == "[APPROVAL DECLINED] the user declined 'guard_echo'"
        assert len(questions) == 2  # the second call was asked anew
        unasked = _to_result(await legacy.client.session.call_tool("guard_echo", ARGS, input_responses=yes()))
        assert unasked.text.startswith("[APPROVAL REFUSED] this server did not ask for this answer")
        fresh = (await ask(modern, ARGS)).request_state  # valid for alice's modern session only (and TTL s)
        other_session = _to_result(
            await legacy.client.session.call_tool("guard_echo", ARGS, input_responses=yes(), request_state=fresh)
        )
        assert other_session.text.startswith("[APPROVAL REFUSED] the approval was issued to another session")
        assert len(questions) == 2  # refused answers never reach the human
        human_delay.update(seconds=TTL + 0.1, accept=True)
        slow = await legacy.call("guard_echo", ARGS)
        assert slow.text.startswith("[APPROVAL REFUSED] the approval expired")
        assert ran(legacy) == 1
        assert refusals(legacy) == ["unsolicited", "other_session", "expired"]


def approvals_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`odoo-mcp approvals ARGS` with the server's environment, in process (`cli.main`, what the command
    runs): the server under test is the real process; the operator's command needs none of its own."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(["approvals", *args])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(["odoo-mcp", "approvals", *args], code, out.getvalue(), err.getvalue())


def pending_id(text: str) -> str:
    assert text.startswith("[APPROVAL PENDING] ap_"), text
    return text.split()[2]


async def test_out_of_band_approval_with_the_cli_runs_one_retry(tmp_path, state_dir):
    async with guarded_server(POLICY, tmp_path=tmp_path, echo=True) as server:  # no elicitation: out of band
        key_file = state_dir / "approval.key"  # generated on first start, owner-only
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        pending = await server.call("guard_echo", ARGS)
        approval = pending_id(pending.text)
        assert LONG in pending.text and "tok-XYZ" not in pending.text
        assert pending_id((await server.call("guard_echo", ARGS)).text) == approval  # asking again: same id
        listed = approvals_cli(server.env, "list", "--json")
        assert [item["id"] for item in json.loads(listed.stdout)] == [approval], listed.stderr
        shown = approvals_cli(server.env, "show", approval)
        assert LONG in shown.stdout and "guard_echo" in shown.stdout
        decided = approvals_cli(server.env, "approve", approval, "--by", "carol")
        assert decided.returncode == 0, decided.stdout + decided.stderr
        assert approvals_cli(server.env, "decline", approval).stdout.startswith(f"approval {approval} is approved")
        assert (await server.call("guard_echo", OTHER_ARGS)).tag == "APPROVAL PENDING"  # other arguments
        assert ran(server) == 0
        done = await server.call("guard_echo", ARGS)
        assert not done.is_error, done.text
        assert ran(server) == 1
        again = await server.call("guard_echo", ARGS)
        assert pending_id(again.text) != approval  # a second retry needs a new approval
        assert approvals_cli(server.env, "decline", pending_id(again.text)).returncode == 0
        declined = await server.call("guard_echo", ARGS)
        assert declined.text.startswith(f"[APPROVAL DECLINED] {pending_id(again.text)} was declined by local:")
        assert ran(server) == 1
        actions = [(r["action"], r.get("by")) for r in server.audit_records("approval")]
        assert ("approved", "carol") in actions and ("used", "carol") in actions
        assert [a for a, _ in actions].count("asked") == 3
        assert key not in server.audit_path.read_text() + server.stderr_text()  # the key is never logged


def test_a_key_file_others_can_read_stops_the_start(tmp_path):
    (tmp_path / "policy.json").write_text(json.dumps(SERVER_POLICY))
    key = tmp_path / "approval.key"
    key.write_text("s" * 64)
    key.chmod(0o644)
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "serve", "--policy", str(tmp_path / "policy.json")],
        cwd=REPO, env={**os.environ, "ODOO_MCP_APPROVAL_KEY_FILE": str(key)},
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    assert "refusing to start: approval key file" in done.stderr and "chmod 600" in done.stderr
    assert "s" * 64 not in done.stderr + done.stdout


async def test_pending_approval_approved_through_another_server_sharing_redis(tmp_path, redis_url):
    (tmp_path / "http").mkdir()
    (tmp_path / "tokens.json").write_text(json.dumps({"grants": {"alice": "alice-token"}}))
    (tmp_path / "approvers.json").write_text(json.dumps({"approvers": {"carol": "sha256:" + token_digest("c-tok")}}))
    (tmp_path / "policy.json").write_text(json.dumps(SERVER_POLICY))
    shared = {"ODOO_MCP_LIMITS_STORAGE": redis_url, "ODOO_MCP_APPROVAL_KEY": "r" * 48}
    port = free_port()
    env = {
        **os.environ,
        **shared,
        "ODOO_MCP_STATE_DIR": str(tmp_path / "http" / "state"),
        "ODOO_MCP_AUDIT_LOG": str(tmp_path / "http" / "audit.jsonl"),
        "ODOO_MCP_AUDIT_STDERR": "0",
    }
    process = subprocess.Popen(
        [*zygote.command("odoo_mcp"), "serve", "--http", "--port", str(port),
         "--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json"),
         "--approver-tokens", str(tmp_path / "approvers.json")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        async with (
            guarded_server(POLICY, tmp_path=tmp_path, echo=True, env=shared) as agent,
            httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web,
        ):
            approval = pending_id((await agent.call("guard_echo", ARGS)).text)
            carol = {"Authorization": "Bearer c-tok"}
            assert (await web.get("/approvals", headers={"Authorization": "Bearer alice-token"})).status_code == 401
            assert (await web.post(f"/approvals/{approval}/approve")).status_code == 401
            listed = (await web.get("/approvals", headers=carol)).json()
            assert [item["id"] for item in listed] == [approval]
            assert LONG in listed[0]["question"]
            approved = await web.post(f"/approvals/{approval}/approve", headers=carol)
            assert approved.status_code == 200 and approved.json()["decided_by"] == "http:carol"
            assert (await web.post(f"/approvals/{approval}/decline", headers=carol)).status_code == 409
            assert (await web.post("/mcp", headers=carol, json={})).status_code == 401  # no MCP with it
            done = await agent.call("guard_echo", ARGS)
            assert not done.is_error, done.text
            assert ran(agent) == 1
            assert (await agent.call("guard_echo", ARGS)).tag == "APPROVAL PENDING"
            assert ran(agent) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
