"""Configured secrets are masked in the rendered line, whatever characters they hold, and every
line stays readable JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from guard.audit import REDACTED, AuditLog


def strings(value: Any) -> list[str]:
    """Every key and string value of a decoded record."""
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize(
    "secret",
    [
        "plain-secret-1",
        'with"quote-and\\backslash',  # escaped in the line: the escaped form is what is masked
        "ünïcødé-pässwörd",
        "tab\there-and-newline\nthere",
        "u001f-looks-like-an-escape",  # also matches inside an escape: the record is masked field by field
    ],
)
def test_a_configured_secret_never_reaches_the_line_and_the_line_stays_json(tmp_path, secret):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.add_secrets([secret])
    # "\x1f" is written \u001f: a secret "u001f..." then also matches inside that escape sequence
    control = "\x1f" + secret.removeprefix("u001f")
    log.record("tool_call", arguments={"note": f"echo {secret} back", secret: 1, "ctl": control},
               error=f"[ODOO ERROR] AccessDenied: {secret}")
    line = path.read_text()
    record = json.loads(line)  # one readable record
    assert not any(secret in text for text in strings(record))
    assert record["arguments"]["note"] == f"echo {REDACTED} back"
    assert record["error"] == f"[ODOO ERROR] AccessDenied: {REDACTED}"
    if secret not in control:  # not the secret, only its tail after an escape: left as it was
        assert record["arguments"]["ctl"] == control


def test_records_without_secrets_are_left_as_written(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.add_secrets(["not-in-this-record"])
    log.record("tool_call", arguments={"model": "res.partner", "fields": ["name", "email"]})
    assert json.loads(path.read_text())["arguments"] == {"model": "res.partner", "fields": ["name", "email"]}
