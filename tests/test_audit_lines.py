"""Every audit record is one line for any reader, and an audit sink that cannot be written stops the start.

JSON escapes C0 controls inside strings, but a JSON encoder writes U+2028/U+2029, NEL (U+0085) and
the other C1 controls as they are: `str.splitlines()`, JavaScript and many log viewers end a line
there, so a caller could split one record into two or forge what looks like a record of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from guard.audit import AuditLog
from tests.harness import REPO

SEPARATORS = ["\u2028", "\u2029", "\x85", "\x1c", "\x1d", "\x1e", "\x0b", "\x0c", "\r", "\n", "\x00", "\x1b",
              "\x7f", "\x80", "\x9b", "\x9f", "\u202e", "\u2066"]


@pytest.mark.parametrize("char", SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_separator_in_a_value_or_a_key_never_splits_a_record(tmp_path, char):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    forged = f'x{char}{{"event": "tool_call", "outcome": "ok"}}'
    log.record("tool_call", required=True, tool="odoo_write", arguments={"name": forged, f"k{char}": 1})
    log.close()
    text = path.read_bytes().decode("utf-8")
    assert text.endswith("\n") and text.count("\n") == 1
    assert len(text.splitlines()) == 1, text  # Python's reader ends a line at every separator above
    assert char not in text.rstrip("\n")  # written escaped
    record = json.loads(text)
    assert record["arguments"]["name"] == forged and record["arguments"][f"k{char}"] == 1


def test_an_audit_file_that_cannot_be_written_stops_the_start(tmp_path):
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "deny"}))
    env = {**os.environ, "ODOO_MCP_AUDIT_LOG": "/dev/full", "ODOO_MCP_AUDIT_STDERR": "0"}
    done = subprocess.run([sys.executable, "-m", "odoo_mcp", "serve", "--policy", str(tmp_path / "policy.json")],
                          cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, text=True)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("odoo-mcp: refusing to start") and "ODOO_MCP_AUDIT_LOG" in line, line
    assert "/dev/full" in line and "No space left on device" in line, line
    assert done.stdout == ""


def test_a_lone_surrogate_is_recorded_not_a_reason_to_refuse_the_record(tmp_path):
    """JSON text may carry `\\ud800`; Python decodes it to a lone surrogate that UTF-8 cannot encode."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.add_secrets(["s3cr\u00e9t-value"])
    assert log.record("tool_call", required=True, arguments={"name": "x\ud800y\u2028", "echo": "s3cr\u00e9t-value"})
    log.close()
    [line] = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["arguments"] == {"name": "x\ud800y\u2028", "echo": "***"}
