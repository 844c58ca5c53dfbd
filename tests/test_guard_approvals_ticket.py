"""Bound approvals, in process: tickets, argument hashing, the key file (guard/approvals/ticket.py).

The stores, the gate and the question are in tests/test_guard_approval_{store,gate,question}.py;
the end-to-end contracts (both protocol eras, the approver CLI, Redis between processes)
are in tests/test_approvals_e2e.py; here every case of the pure parts is a table row.
"""

from __future__ import annotations

import base64
import json
import re
import stat
import time
from dataclasses import replace

import pytest

from guard.approvals.ticket import (
    AnswerRefused,
    Binding,
    RefusalReason,
    Ticket,
    arguments_digest,
    new_id,
    sign,
    verify,
)
from odoo_mcp.approvals.key import ApprovalKeyError, load_key

pytestmark = pytest.mark.anyio

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def call_binding() -> Binding:
    """The call every ticket below is for; made when a test runs, never at import (mutmut imports the
    tests once: a value built then by the original code hides every mutant of that code)."""
    return Binding("alice", "s1", "odoo_write", arguments_digest(KEY, "odoo_write", {"ids": [1], "values": {"x": 1}}))

NOW = float(int(time.time()))  # near the real clock: stores drop claims past their expiry


def _retamper(token: str, **claims_update: object) -> str:
    """Change claims inside a token but keep its old MAC (what a forger without the key can do)."""
    prefix, body, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(claims_update)
    new_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{prefix}.{new_body}.{mac}"


def good() -> str:
    return sign(KEY, Ticket("ap_1", call_binding(), NOW + 60))


def other_arguments() -> Binding:
    return replace(call_binding(), digest=arguments_digest(KEY, "odoo_write", {"ids": [2], "values": {"x": 1}}))


VERIFY_CASES = [  # (case, the token, the call it is checked against, now, refusal): each made when the test runs
    ("the exact call", good, call_binding, NOW, None),
    ("no state at all", lambda: None, call_binding, NOW, RefusalReason.UNSOLICITED),
    ("MAC changed", lambda: good()[:-2] + ("AA" if not good().endswith("AA") else "BB"), call_binding, NOW,
     RefusalReason.ALTERED),
    ("claims changed, old MAC", lambda: _retamper(good(), exp=NOW + 10_000), call_binding, NOW, RefusalReason.ALTERED),
    ("grant changed, old MAC", lambda: _retamper(good(), g="bob"), lambda: replace(call_binding(), grant="bob"), NOW,
     RefusalReason.ALTERED),
    ("signed with another key", lambda: sign(OTHER_KEY, Ticket("ap_1", call_binding(), NOW + 60)), call_binding, NOW,
     RefusalReason.ALTERED),
    ("not a ticket", lambda: "hello", call_binding, NOW, RefusalReason.ALTERED),
    ("other format version", lambda: "oga2." + good()[5:], call_binding, NOW, RefusalReason.ALTERED),
    ("expired", good, call_binding, NOW + 60, RefusalReason.EXPIRED),
    ("another grant", good, lambda: replace(call_binding(), grant="bob"), NOW, RefusalReason.OTHER_GRANT),
    ("another session", good, lambda: replace(call_binding(), session="s2"), NOW, RefusalReason.OTHER_SESSION),
    ("another tool", good, lambda: replace(call_binding(), tool="odoo_unlink"), NOW, RefusalReason.OTHER_CALL),
    ("other arguments", good, other_arguments, NOW, RefusalReason.OTHER_CALL),
]  # fmt: skip


@pytest.mark.parametrize(("case", "token", "binding", "now", "refusal"), VERIFY_CASES, ids=[c[0] for c in VERIFY_CASES])
def test_a_ticket_is_accepted_only_for_its_exact_call_before_expiry(case, token, binding, now, refusal):
    token, binding = token(), binding()
    if refusal is None:
        assert verify(KEY, token, binding, now).id == "ap_1"
    else:
        with pytest.raises(AnswerRefused) as caught:
            verify(KEY, token, binding, now)
        assert caught.value.reason is refusal
        assert caught.value.render().startswith("[APPROVAL REFUSED] ")


DIGEST_CASES = [
    ("key order does not matter", {"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, True),
    ("a value differs", {"a": 1}, {"a": 2}, False),
    ("list order matters", {"a": [1, 2]}, {"a": [2, 1]}, False),
    ("one character past 256 differs", {"t": "x" * 300}, {"t": "x" * 299 + "y"}, False),
    ("1 and 1.0 are one JSON number", {"a": 1}, {"a": 1.0}, False),
    ("nested keys sorted", {"v": {"b": 1, "a": 2}}, {"v": {"a": 2, "b": 1}}, True),
]


@pytest.mark.parametrize(("case", "one", "two", "same"), DIGEST_CASES, ids=[c[0] for c in DIGEST_CASES])
def test_arguments_hash_is_canonical(case, one, two, same):
    assert (arguments_digest(KEY, "t", one) == arguments_digest(KEY, "t", two)) is same


def test_arguments_hash_is_keyed_and_names_the_tool():
    arguments = {"password": "1234"}
    assert arguments_digest(KEY, "t", arguments) != arguments_digest(OTHER_KEY, "t", arguments)
    assert arguments_digest(KEY, "t", arguments) != arguments_digest(KEY, "u", arguments)


def test_key_file_is_created_once_with_owner_only_permissions(tmp_path):
    path = tmp_path / "state" / "approval.key"
    first = load_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_key(path) == first  # reused, not regenerated
    assert load_key(path, "e" * 40) == b"e" * 40  # the environment's key wins


@pytest.mark.parametrize(
    ("case", "setup", "message"),
    [
        ("readable by the group", lambda p: (p.write_text("x" * 64), p.chmod(0o640)), "readable by others"),
        ("too short", lambda p: (p.write_text("short"), p.chmod(0o600)), "at least 32"),
    ],
)
def test_a_bad_key_file_is_refused(tmp_path, case, setup, message):
    path = tmp_path / "approval.key"
    setup(path)
    with pytest.raises(ApprovalKeyError, match=message):
        load_key(path)


def test_a_short_key_in_the_environment_is_refused(tmp_path):
    with pytest.raises(ApprovalKeyError, match="ODOO_MCP_APPROVAL_KEY"):
        load_key(tmp_path / "unused", "short")


def test_a_new_key_file_holds_64_hex_digits_in_an_owner_only_folder(tmp_path):
    path = tmp_path / "state" / "deep" / "approval.key"
    key = load_key(path)
    assert len(key) == 64 and all(c in b"0123456789abcdef" for c in key)
    assert path.read_text() == key.decode() + "\n"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("case", "setup", "env", "message"),
    [
        ("no key at all", None, None,
         "no approval key: set ODOO_MCP_APPROVAL_KEY or ODOO_MCP_APPROVAL_KEY_FILE"),
        ("a file where a folder should be", lambda p: p.parent.parent.write_text("x"), None,
         "approval key file {path}: cannot create it (Not a directory)"),
        ("a folder where the key should be", lambda p: p.mkdir(mode=0o700), None,
         "approval key file {path}: Is a directory"),
        ("31 characters in the environment", None, "e" * 31,
         "ODOO_MCP_APPROVAL_KEY: must be at least 32 characters"),
        ("31 bytes in the file", lambda p: (p.write_text("f" * 31), p.chmod(0o600)), None,
         "approval key file {path}: the key must be at least 32 bytes"),
    ],
)  # fmt: skip
def test_a_key_that_cannot_be_used_says_why(tmp_path, case, setup, env, message):
    path = tmp_path / "dir" / "sub" / "approval.key"
    if setup is not None:
        if case != "a file where a folder should be":
            path.parent.mkdir(parents=True)
        setup(path)
    with pytest.raises(ApprovalKeyError) as caught:
        load_key(None if case == "no key at all" else path, env)
    assert str(caught.value) == message.format(path=path)


def test_a_key_of_exactly_32_is_enough(tmp_path):
    assert load_key(None, "e" * 32) == b"e" * 32
    path = tmp_path / "approval.key"
    path.write_text("f" * 32 + "\n")
    path.chmod(0o600)
    assert load_key(path) == b"f" * 32


def test_an_approval_id_is_128_random_bits_short_enough_to_type():
    ids = {new_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"ap_[A-Za-z0-9_-]{22}", approval_id) for approval_id in ids)


def test_tickets_of_every_length_are_accepted_and_stay_single_strings():
    """Base64 padding is dropped when signed and restored when verified, whatever the payload's length."""
    binding = call_binding()
    for n in range(200):
        ticket = Ticket("ap_" + "x" * n, binding, NOW + 60)
        token = sign(KEY, ticket)
        assert "=" not in token
        assert verify(KEY, token, binding, NOW) == ticket


def test_a_ticket_signed_by_us_that_does_not_hold_a_ticket_is_refused_as_altered():
    token = sign(KEY, Ticket("ap_1", call_binding(), "soon"))  # type: ignore[arg-type]  # an expiry that is no time
    with pytest.raises(AnswerRefused) as caught:
        verify(KEY, token, call_binding(), NOW)
    assert caught.value.reason is RefusalReason.ALTERED
