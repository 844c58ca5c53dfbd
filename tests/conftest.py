"""Shared fixtures: async tests run on anyio's asyncio backend; state (approval key, pending
approvals) in each test's own directory, never the user's `~/.local/state`; a real Redis on loopback."""

import pytest

from tests.loopback import free_port, wait_for_port


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


@pytest.fixture
def redis_url(tmp_path):
    """A real Redis server on loopback for counters shared between server processes."""
    import shutil
    import subprocess

    binary = shutil.which("redis-server")
    assert binary, "redis-server is required (installed by .ci/run / the Makefile's test target)"
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process, timeout=10)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def pytest_addoption(parser):
    parser.addoption("--browser", action="store_true", help="run the tests marked browser (make test-browser)")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs chromium and selenium; run by `make test-browser`")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--browser"):
        return
    skip = pytest.mark.skip(reason="a headless-browser test: `make test-browser` runs it")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
