"""The README's first command: `odoo-mcp demo` works on a fresh checkout and touches nothing in it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from tests.harness import REPO


def snapshot(root):
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                state[path] = "link:" + os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as handle:
                    state[path] = hashlib.sha256(handle.read()).hexdigest()
            else:
                state[path] = "dir"
    return state


def test_demo_runs_every_step_and_leaves_the_stub_tree_untouched():
    before = snapshot(REPO / "addons_stub")
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "demo"], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "hidden and absent: ['ee_deploy', 'ee_clone', 'oca_clone_repo']" in out
    assert "[POLICY DENIED] agents may not delete Odoo records on this server" in out
    assert "[INVALID ARGUMENTS] modules[0]:" in out
    assert "[PATH REFUSED] target_dir:" in out
    assert "[PATH REFUSED] modules: evil_link" in out
    assert "account_reports -> " in out
    assert "[RATE LIMITED] ee_link_rate: 3 per minute (grant)" in out
    assert out.rstrip().splitlines()[-1].startswith("Done.")
    assert "links in target: []" in out.split("== 8.")[1]
    assert snapshot(REPO / "addons_stub") == before
