"""Shared fixtures: async tests run on anyio's asyncio backend; state (approval key, pending
approvals) in each test's own directory, never the user's `~/.local/state`."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """ODOO_MCP_STATE_DIR for the test and every server process it starts (they inherit os.environ)."""
    path = tmp_path / "state"
    monkeypatch.setenv("ODOO_MCP_STATE_DIR", str(path))
    return path
