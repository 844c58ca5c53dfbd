"""Shared fixtures: async tests run on anyio's asyncio backend; state (approval key, pending
approvals) in each test's own directory, never the user's `~/.local/state`."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def state_dir(tmp_path_factory, monkeypatch):
    """ODOO_MCP_STATE_DIR for the test and every server process it starts (they inherit os.environ);
    outside `tmp_path`, which some tests snapshot."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("ODOO_MCP_STATE_DIR", str(path))
    return path
