"""A native tools/call answered without the SDK's per-message path (`odoo_mcp.wire.fast_call`) says
exactly what the SDK says, runs concurrently, cancels as the SDK cancels, and leaves to the SDK
every call that needs its session.

End to end: the same sequence of requests, raw over a real server's pipes, answered with the fast
path on and off, byte for byte; a cancellation through the real `mcp` client. In process: which
calls the fast path takes."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest
from mcp_types import jsonrpc_message_adapter
from mcp_types import methods as sdk_methods
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from guard.guard import Guard, Result
from guard.policy import parse_policy
from guard.spec import Blob, ToolSpec
from odoo_mcp.server import build_server, to_call_result
from odoo_mcp.wire.fast_call import FastPath, attached, wire_result
from tests import zygote
from tests.echo_server import ECHO, WAIT
from tests.harness import REPO, guarded_server

POLICY = {
    "version": "1",
    "default": "deny",
    "hide": ["odoo_unlink"],
    "tools": {"guard_echo": {}, "guard_wait": {}, "policy_status": {}, "odoo_write": {"action": "deny"}},
}


def _request(request_id: Any, method: str, params: Any = None) -> dict[str, Any]:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    return message if params is None else {**message, "params": params}


def _call(request_id: Any, name: str, arguments: Any = None, **params: Any) -> dict[str, Any]:
    body = {"name": name, **({} if arguments is None else {"arguments": arguments}), **params}
    return _request(request_id, "tools/call", body)


INITIALIZE = _request(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                        "clientInfo": {"name": "t", "version": "1"}})
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}

SESSION = [
    INITIALIZE, INITIALIZED, _request(1, "tools/list"),
    _call(2, "guard_echo", {"text": "héllo", "count": 3, "tags": ["a"], "values": {"n": None, "x": [1.5]}}),
    _call("s-3", "guard_echo", {"text": "a string id"}),
    _call(4, "guard_echo", {"count": -1}),                   # invalid arguments
    _call(5, "guard_echo", {"fail": True}),                  # the tool's own refusal
    _call(6, "guard_echo", {"crash": True}),                 # a handler exception
    _call(7, "no_such_tool", {}),                            # unknown
    _call(8, "odoo_unlink", {"model": "res.partner"}),       # hidden
    _call(9, "odoo_write", {"model": "res.partner"}),        # denied
    _call(10, "guard_echo"),                                 # no arguments
    _request(11, "tools/call", {"name": "guard_echo", "arguments": None}),  # arguments: null
    _call(12, "guard_echo", [1, 2]),                         # arguments not an object: the SDK's path
    _call(13, "guard_echo", {"text": "p"}, _meta={"progressToken": "t13"}),  # a progress token: the SDK's path
    _call(14, 42, {}),                                       # a name that is not a string: the SDK's path
    _call(15, "policy_status", {}),
    _call(19, "guard_echo", {"count": 18446744073709551616, "values": {"n": -9223372036854775809}}),  # the SDK's
    _call(16, "guard_wait", {"seconds": 60}),                # cancelled below: never answered
    {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 16, "reason": "t"}},
    _call(17, "guard_echo", {"text": "after the cancellation"}),
    _call(18, "guard_wait", {"seconds": 60}),                # still running when stdin ends: Connection closed
]
ANSWERED_BEFORE_EOF = 17  # every request of SESSION but 16 (cancelled) and 18 (answered at the end of stdin)

BEFORE_INITIALIZE = [
    _call(1, "guard_echo", {"text": "too early"}),
    INITIALIZE, INITIALIZED,
    _call(2, "guard_echo", {"text": "in time"}),
]


class RawServer:
    """A real echo server (forked from the zygote) on raw pipes: requests written as given, answer lines as read."""

    def __init__(self, folder: Path, *, fast: bool, **env: str) -> None:
        folder.mkdir()
        self.policy = folder / "policy.json"
        self.policy.write_text(json.dumps(POLICY))
        self.audit = folder / "audit.jsonl"
        self.stderr = folder / "stderr.txt"
        environment = {**os.environ, "ODOO_MCP_POLICY": str(self.policy), "ODOO_MCP_AUDIT_STDERR": "0",
                       "ODOO_MCP_AUDIT_LOG": str(self.audit), "PYTHONPATH": str(REPO),
                       "ODOO_MCP_FAST_CALLS": "1" if fast else "0", **env}
        with self.stderr.open("wb") as errors:
            self.process = subprocess.Popen(zygote.command("tests.echo_server"), cwd=REPO, env=environment,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.lines: list[bytes] = []
        self._buffer = b""

    def send(self, *requests: dict[str, Any]) -> None:
        self.process.stdin.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
        self.process.stdin.flush()

    def read(self, until: int | None) -> None:
        """Read until `until` answer lines are in (None: until the server closes its stdout)."""
        deadline = time.monotonic() + 60
        stdout = self.process.stdout
        while until is None or len(self.lines) < until:
            ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no answer after {self.lines}"
            chunk = os.read(stdout.fileno(), 1 << 20)
            if not chunk:
                assert until is None, f"the server closed its stdout after {self.lines}"
                return
            self._buffer += chunk
            *complete, self._buffer = self._buffer.split(b"\n")
            self.lines.extend(line for line in complete if line.strip())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


def _masked(line: bytes) -> bytes:
    return re.sub(rb"stdio-[0-9a-f]{12}", b"stdio-<session>", line)  # policy_status's session id


def serve_raw(tmp_path: Path, requests: list[dict[str, Any]], before_eof: int, *, fast: bool) -> tuple[dict, str]:
    """The answer lines (bytes, by id; the random stdio session id masked) of a real echo server to
    `requests`, and its stderr.

    Reads `before_eof` answers, then closes stdin and reads the rest until the server exits."""
    server = RawServer(tmp_path / ("fast" if fast else "sdk"), fast=fast)
    try:
        server.send(*requests)
        server.read(before_eof)
        server.process.stdin.close()
        server.read(None)
    finally:
        server.close()
    by_id: dict[Any, bytes] = {}
    for line in server.lines:
        request_id = json.loads(line).get("id")
        assert request_id not in by_id, f"answered twice: {line!r}"
        by_id[request_id] = _masked(line)
    return by_id, server.stderr.read_text()


def reload_session(tmp_path: Path, *, fast: bool) -> tuple[list[bytes], str]:
    """A call, the policy reloaded (the tool hidden, another denied), the same calls again: every line written."""
    import hashlib

    server = RawServer(tmp_path / ("fast" if fast else "sdk"), fast=fast, ODOO_MCP_POLICY_RELOAD="0.1")
    try:
        server.send(INITIALIZE, INITIALIZED, _request(1, "tools/list"), _call(2, "guard_echo", {"text": "before"}))
        server.read(3)
        reloaded = {**POLICY, "hide": ["odoo_unlink", "guard_echo"],
                    "tools": {**POLICY["tools"], "guard_wait": {"action": "deny"}}}
        text = json.dumps(reloaded).encode()
        server.policy.write_bytes(text)
        digest = server.policy.parent / "policy.json.sha256"
        digest.write_text(hashlib.sha256(text).hexdigest())  # read at the next poll
        deadline = time.monotonic() + 60
        while "policy_reloaded" not in server.audit.read_text():
            assert time.monotonic() < deadline, "the policy was not reloaded"
            time.sleep(0.05)
        server.send(_call(3, "guard_echo", {"text": "after"}), _call(4, "guard_wait", {}), _request(5, "tools/list"))
        server.read(7)
    finally:
        server.close()
    return [_masked(line) for line in server.lines], server.stderr.read_text()


def test_after_a_reload_a_hidden_or_denied_tool_is_refused_as_through_the_sdk(tmp_path):
    fast, errors = reload_session(tmp_path, fast=True)
    sdk, _ = reload_session(tmp_path, fast=False)
    by_id = {json.loads(line).get("id", "notice"): line for line in fast}
    assert by_id == {json.loads(line).get("id", "notice"): line for line in sdk}
    assert json.loads(by_id["notice"]) == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}
    assert fast.index(by_id["notice"]) < fast.index(by_id[3])  # the client hears of the change first
    texts = {key: json.loads(by_id[key])["result"]["content"][0]["text"] for key in (2, 3, 4)}
    assert texts[3] == "[POLICY DENIED] unknown tool 'guard_echo'"
    assert texts[4].startswith("[POLICY DENIED]") and "guard_wait" in texts[4]
    assert "guard_echo" not in {tool["name"] for tool in json.loads(by_id[5])["result"]["tools"]}
    assert fast_count(errors) >= 1  # the call before the reload


def fast_count(stderr: str) -> int:
    for line in stderr.splitlines():
        if "tools/call answered without the SDK" in line:
            return int(line.split("ended: ")[1].split()[0])
    return 0


def test_the_same_answers_byte_for_byte_with_the_fast_path_on_and_off(tmp_path):
    fast, fast_errors = serve_raw(tmp_path, SESSION, ANSWERED_BEFORE_EOF, fast=True)
    sdk, sdk_errors = serve_raw(tmp_path, SESSION, ANSWERED_BEFORE_EOF, fast=False)
    assert fast == sdk
    assert 16 not in fast  # the cancelled call is never answered
    assert json.loads(fast[18])["error"] == {"code": -32000, "message": "Connection closed"}
    answers = {key: json.loads(line) for key, line in fast.items()}
    texts = {key: answer["result"]["content"][0]["text"] for key, answer in answers.items() if key not in (0, 1, 18)}
    assert texts[4].startswith("[INVALID ARGUMENTS]") and texts[6].startswith("[INTERNAL ERROR]")
    assert texts[7].startswith("[POLICY DENIED]") and texts[9].startswith("[POLICY DENIED]")
    assert json.loads(texts[2])["text"] == "héllo" and json.loads(texts["s-3"])["text"] == "a string id"
    # the fast path did answer them: 2, s-3, 4-11, 15, 16, 17, 18; 12, 13, 14, 19 went to the SDK
    assert fast_count(fast_errors) == 14 and fast_count(sdk_errors) == 0
    # the guard's whole pipeline both ways: the same intent and outcome records (in any order: calls run concurrently)
    records = audited(tmp_path / "fast")
    assert records == audited(tmp_path / "sdk")
    assert ("guard_wait", "cancelled") in [(r["tool"], r.get("outcome")) for r in records]


def audited(folder: Path) -> list[str]:
    """The tool_intent and tool_call records, without what differs between two runs (ids, times, the chain)."""
    records = []
    for line in (folder / "audit.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("event") in ("tool_intent", "tool_call"):
            for key in ("prev", "pid", "time", "call", "session", "duration_ms"):
                record.pop(key, None)
            records.append(record)
    return sorted(records, key=lambda record: json.dumps(record, sort_keys=True))


def test_a_call_before_initialize_is_the_sdks_and_the_same(tmp_path):
    fast, errors = serve_raw(tmp_path, BEFORE_INITIALIZE, 3, fast=True)
    sdk, _ = serve_raw(tmp_path, BEFORE_INITIALIZE, 3, fast=False)
    assert fast == sdk
    assert "error" in json.loads(fast[1])  # the SDK's init gate
    assert fast_count(errors) == 1  # only the call after initialize


@pytest.mark.anyio
@pytest.mark.parametrize("fast", [True, False])
async def test_a_cancelled_call_is_audited_cancelled_and_the_session_goes_on(tmp_path, fast):
    env = {"ODOO_MCP_FAST_CALLS": "1" if fast else "0"}
    async with guarded_server(POLICY, tmp_path=tmp_path, env=env, echo=True, mode="legacy") as server:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.call, "guard_wait", {"seconds": 60})
            while not server.audit_records("tool_intent"):  # the slow call is running
                await anyio.sleep(0.02)
            echoed = await server.call("guard_echo", {"text": "meanwhile"})  # not held up by the slow call
            assert echoed.data["text"] == "meanwhile"
            tasks.cancel_scope.cancel()  # the client sends notifications/cancelled
        while not [r for r in server.audit_records() if r["tool"] == "guard_wait"]:
            await anyio.sleep(0.02)
        after = await server.call("guard_echo", {"text": "after"})
        assert after.data["text"] == "after"
        outcomes = [(r["tool"], r["outcome"]) for r in server.audit_records()]
    assert outcomes == [("guard_echo", "ok"), ("guard_wait", "cancelled"), ("guard_echo", "ok")]


# In process: the answer's shape, and which calls the fast path takes.

@pytest.mark.parametrize("version", HANDSHAKE_PROTOCOL_VERSIONS)
@pytest.mark.parametrize("result", [
    Result(False, '{"a":1}'),
    Result(True, "[POLICY DENIED] no"),
    Result(False, "{}", None, (Blob("r.pdf", "application/pdf", b"%PDF\x00\xff"), Blob("b", "text/plain", b""))),
])
def test_the_wire_result_is_what_the_sdk_serialises(result, version):
    dumped = to_call_result(result).model_dump(by_alias=True, mode="json", exclude_none=True)
    expected = sdk_methods.serialize_server_result("tools/call", version, dumped)
    assert orjson.dumps(wire_result(result)) == orjson.dumps(expected)  # the same keys, in the same order


def _server(policy: dict[str, Any], *specs: ToolSpec) -> tuple[Guard, Any]:
    guard = Guard(parse_policy(policy))
    for spec in (ECHO, WAIT, *specs):
        guard.wrap(spec)
    server = build_server(guard)
    calls = attached(server)
    assert calls is not None, "build_server attached no fast calls: is the SDK's middleware chain another one?"
    return guard, calls


async def _takes(calls: Any, lines: list[dict[str, Any]], *, initialized: bool = True) -> list[bool]:
    written: list[bytes] = []

    async def write(data: bytes) -> None:
        written.append(data)

    path = FastPath(calls, write)
    if initialized:
        path.passing(jsonrpc_message_adapter.validate_python(INITIALIZE))
        path.sent({"jsonrpc": "2.0", "id": 0, "result": {"protocolVersion": "2025-06-18"}})
    taken = [path.take(json.dumps(line)) for line in lines]
    await path.finished()
    return taken


PLAIN = _call(1, "guard_echo", {"text": "x"})


@pytest.mark.anyio
async def test_the_fast_path_takes_plain_native_calls_only():
    _, calls = _server(POLICY)
    lines = [
        PLAIN, _call("a", "guard_echo"), _call(2, "no_such_tool", {}), _call(3, "odoo_unlink", {}),
        _call(4, "guard_echo", {"text": "x"}, _meta={"progressToken": 1}),
        _call(5, "guard_echo", {"text": "x"}, requestState="abc"),
        _call(6, "guard_echo", {"text": "x"}, inputResponses={}),
        _call(7, "guard_echo", "text"),
        {**PLAIN, "id": 1.5}, {**PLAIN, "id": True}, {**PLAIN, "id": None},
        {**PLAIN, "extra": 1}, {**PLAIN, "jsonrpc": "1.0"},
        _request(8, "tools/list"), _call(9, "guard_echo", {"count": 2**64}), _call(2**63, "guard_echo"),
    ]
    assert await _takes(calls, lines) == [True, True, True, True] + [False] * 12
    assert await _takes(calls, [PLAIN], initialized=False) == [False]


@pytest.mark.parametrize("version", HANDSHAKE_PROTOCOL_VERSIONS)
def test_what_the_fast_path_takes_the_sdk_would_accept(version):
    null = _request(3, "tools/call", {"name": "x", "arguments": None})
    for line in (PLAIN, _call("a", "guard_echo"), _call(2, "no_such_tool", {}), null):
        message = jsonrpc_message_adapter.validate_json(json.dumps(line), by_name=False)
        sdk_methods.validate_client_request("tools/call", version, message.params)


@pytest.mark.anyio
async def test_a_session_initialised_by_another_era_or_refused_stays_with_the_sdk():
    _, calls = _server(POLICY)
    written: list[bytes] = []

    async def write(data: bytes) -> None:
        written.append(data)

    path = FastPath(calls, write)
    path.passing(jsonrpc_message_adapter.validate_python(INITIALIZE))
    path.sent({"jsonrpc": "2.0", "id": 0, "error": {"code": -32022, "message": "no"}})
    assert not path.take(json.dumps(PLAIN))
    path.passing(jsonrpc_message_adapter.validate_python({**INITIALIZE, "id": 1}))
    path.sent({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2026-07-28"}})
    assert not path.take(json.dumps(PLAIN))
    path.sent({"jsonrpc": "2.0", "id": 0, "result": {"protocolVersion": "2025-06-18"}})  # not an initialize id
    assert not path.take(json.dumps(PLAIN))
    assert written == []


@pytest.mark.anyio
async def test_a_call_that_may_ask_a_human_or_a_mounted_tool_goes_to_the_sdk():
    asking = {**POLICY, "tools": {**POLICY["tools"], "guard_echo": {"action": "require_approval"}}}
    _, calls = _server(asking)
    assert await _takes(calls, [PLAIN, _call(2, "guard_wait", {})]) == [False, True]
    wildcard = {**POLICY, "tools": {**POLICY["tools"], "*": {"action": "require_approval"}}}
    _, calls = _server(wildcard)
    assert await _takes(calls, [PLAIN, _call(2, "guard_wait", {})]) == [False, False]

    from dataclasses import replace

    mounted = replace(ECHO, name="m_echo", family="mount:m")
    generic = replace(ECHO, name="g_echo", equivalents=lambda args: [])
    policy = {**POLICY, "tools": {**POLICY["tools"], "m_echo": {}, "g_echo": {}}}
    _, calls = _server(policy, mounted, generic)
    assert await _takes(calls, [_call(1, "m_echo", {}), _call(2, "g_echo", {})]) == [False, True]
    policy["tools"]["guard_wait"] = {"action": "require_approval"}  # another tool's rule may ask through g_echo
    _, calls = _server(policy, mounted, generic)
    assert await _takes(calls, [_call(2, "g_echo", {}), PLAIN]) == [False, True]


@pytest.mark.anyio
async def test_after_a_reload_the_next_call_goes_through_the_sdk():
    guard, calls = _server(POLICY)
    assert await _takes(calls, [PLAIN]) == [True]
    guard.policies.swap(None, parse_policy({**POLICY, "hide": ["guard_echo"]}))
    assert await _takes(calls, [PLAIN]) == [False]  # the SDK's path tells the client its list changed first


@pytest.mark.anyio
async def test_a_cancellation_reaches_the_newest_request_of_an_id_as_in_the_sdk():
    _, calls = _server(POLICY)
    answers: list[dict[str, Any]] = []

    async def write(data: bytes) -> None:
        answers.append(json.loads(data))

    cancel = jsonrpc_message_adapter.validate_python(
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "7"}})  # "7" is 7
    path = FastPath(calls, write)
    path.passing(jsonrpc_message_adapter.validate_python(INITIALIZE))
    path.sent({"jsonrpc": "2.0", "id": 0, "result": {"protocolVersion": "2025-06-18"}})
    assert path.take(json.dumps(_call(7, "guard_wait", {"seconds": 0.2})))
    path.passing(cancel)  # cancels it: never answered
    assert path.take(json.dumps(_call(8, "guard_wait", {"seconds": 0.2})))
    path.passing(jsonrpc_message_adapter.validate_python(_request(8, "ping")))  # the SDK's request 8 now
    path.passing(cancel.model_copy(update={"params": {"requestId": 8}}))  # reaches the SDK's, not ours
    while path._tasks:
        await anyio.sleep(0.05)
    assert [answer["id"] for answer in answers] == [8]


def test_what_the_fast_path_copies_of_the_sdk_is_the_sdks():
    """The error code of a call still running when stdin ends, and how ids correlate ("7" is 7)."""
    import mcp_types
    from mcp.shared.dispatcher import coerce_request_id

    from odoo_mcp.wire.fast_call import CONNECTION_CLOSED, coerce_id

    assert CONNECTION_CLOSED == mcp_types.CONNECTION_CLOSED
    for request_id in (7, "7", "x", "-3", " 8", "0x1", 2**40, "٣"):
        assert coerce_id(request_id) == coerce_request_id(request_id)
