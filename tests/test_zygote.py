"""The test zygote (tests/zygote.py) starts processes that behave as `python -m` would for a test:
the launcher's argv, environment, directory and pipes; its exit status; signals passed on; and no
child left running when the launcher is killed. The end-to-end tests rely on all four."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests import zygote

pytestmark = pytest.mark.skipif(zygote.fresh(), reason="ODOO_MCP_TEST_FRESH=1: no zygote")


def start(tmp_path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        zygote.command("tests.zygote_probe", *args), cwd=tmp_path, env={**os.environ, "ZYGOTE_PROBE": "given"},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def first_line(process: subprocess.Popen[str]) -> dict:
    assert process.stdin and process.stdout
    process.stdin.write("hello\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def test_the_child_runs_with_the_launchers_argv_environment_directory_and_pipes_and_exits_as_it_does(tmp_path):
    process = start(tmp_path, "exit", "7")
    seen = first_line(process)
    assert seen["argv"] == ["exit", "7"] and seen["probe"] == "given" and seen["stdin"] == "hello"
    assert os.path.samefile(seen["cwd"], tmp_path)
    assert seen["pid"] != process.pid  # a fork of the zygote, not the launcher itself
    assert process.wait(timeout=30) == 7


def test_a_signal_to_the_launcher_reaches_the_child_and_the_launcher_dies_of_it(tmp_path):
    process = start(tmp_path, "sleep")
    child = first_line(process)["pid"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == -signal.SIGTERM
    assert not _alive(child)


def test_no_child_outlives_a_killed_launcher(tmp_path):
    process = start(tmp_path, "sleep")
    child = first_line(process)["pid"]
    process.kill()
    process.wait(timeout=30)
    assert not _alive(child)


def _alive(pid: int, wait: float = 10) -> bool:
    """Whether `pid` still runs after up to `wait` seconds (the zygote reaps its children)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[-1].startswith("Z"):
                    return False
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return True
