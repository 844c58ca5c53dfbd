"""The secret values this server was configured with, so the audit log can mask them wherever they appear.

Collected once at start-up: every environment variable whose name says it holds a secret
(`ODOO_PASSWORD`, `ODOO_API_KEY`, ...), and the password / API key of every connection in the
connections file. The audit log's last processor replaces these values in every field of every
record (`guard.audit.KnownSecrets`), whatever key they arrive under.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from guard.audit import is_secret_key
from odoo_client.settings import OdooSettings
from odoo_mcp.config import ConfigError


def configured_secrets(env: Mapping[str, str]) -> Iterator[str]:
    for name, value in env.items():
        if is_secret_key(name) and value.strip():
            yield value.strip()
    try:
        settings = OdooSettings.from_env(env)
    except ConfigError:
        return  # the server refuses to start on this before any call (cli.run_server)
    for config in settings.connections.values():
        yield from (secret for secret in (config.password, config.api_key) if secret)
