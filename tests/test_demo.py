"""The README's first command: `odoo-mcp demo` runs from an installed copy and shows every step's result.

"Installed" is imitated faithfully and fast: the files a wheel would carry (the packages of
pyproject.toml plus their declared package data, nothing else: no addons_stub/, no examples/
at the top) are copied to a temporary folder, and the demo runs from there, outside the checkout.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from odoo_mcp.families import all_specs
from tests.harness import REPO


def installed_copy(destination: Path) -> Path:
    """What the wheel would hold, by pyproject.toml's package configuration."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    includes = config["packages"]["find"]["include"]
    data = config.get("package-data", {})
    for init in REPO.glob("**/__init__.py"):
        package_dir = init.parent
        relative = package_dir.relative_to(REPO)
        dotted = ".".join(relative.parts)
        if ".venv" in relative.parts or not any(fnmatch.fnmatch(dotted, pattern) for pattern in includes):
            continue
        if any(not (REPO / Path(*relative.parts[:i]) / "__init__.py").exists() for i in range(1, len(relative.parts))):
            continue
        for source in package_dir.glob("*.py"):
            target = destination / relative / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        for pattern in data.get(dotted, []):
            for source in package_dir.glob(pattern):
                target = destination / relative / source.relative_to(package_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    return destination


def test_demo_runs_from_an_installed_copy_and_shows_each_result(tmp_path):
    site = installed_copy(tmp_path / "site-packages")
    assert not (site / "addons_stub").exists()
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO") and k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "demo"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**env, "PYTHONPATH": str(site), "HOME": str(tmp_path)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    steps = out.split("\n== ")
    assert len(steps) == 11, out
    start = steps[1].split("\n", 1)[1]
    assert "odoo-mcp 0.1.0: policy " in start and "6 listed, 6 allowed, 3 hidden" in " ".join(start.split())
    assert "6 tools listed: ee_depends, ee_link, ee_modules, ee_search, ee_unlink, policy_status" in steps[2]
    assert "hidden and absent: ['ee_deploy', 'ee_clone', 'oca_clone_repo']" in steps[2]
    assert "-> ok: query: accounting | count: 2 | results: account_accountant, account_reports" in steps[3]
    assert "enterprise_depends: account_accountant" in " ".join(steps[3].split())
    unlisted = len(all_specs()) - 6 - 3  # policy_status tells of the tools tools/list leaves out (not the hidden)
    assert "denied: odoo_unlink" in steps[3] and f"not_listed: {unlisted - 1}" in steps[3]  # one is denied by name
    assert "[POLICY DENIED] agents may not delete Odoo records on this server" in steps[4]
    assert 'to allow it, add "odoo_write" under "tools"' in " ".join(steps[4].split())
    assert "[INVALID ARGUMENTS] modules[0]: must be a module's technical name" in steps[5]
    assert "refused when more than 5 modules are given" in steps[5]
    assert "[PATH REFUSED] target_dir:" in steps[6]
    assert "[PATH REFUSED] modules: evil_link" in steps[6]
    assert "-> ok: target: main | linked: web_enterprise, account_accountant, account_reports" in steps[7]
    assert "-> ok: target: main | linked: sign" in steps[8]  # refused calls gave their quota back
    assert "[RATE LIMITED] ee_link_rate: 3 per minute (grant)" in steps[8]
    assert "unlinked: account_reports, account_accountant, web_enterprise, sign (+1 more)" in steps[9]
    assert "links in target: []" in steps[9]
    assert out.rstrip().splitlines()[-1].startswith("Done.")
    assert list(workdir.iterdir()) == []  # the demo wrote only into its own temporary folder
    assert not (tmp_path / ".local").exists()  # nothing in the user's state folder (audit, approval key)


def test_examples_ship_with_the_package(tmp_path):
    site = installed_copy(tmp_path / "site-packages")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO") and k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "policy", "init", "--example", "readonly"],
        capture_output=True, text=True, cwd=tmp_path, env={**env, "PYTHONPATH": str(site)}, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"list": "allowed"' in done.stdout
    assert not (REPO / "examples").exists(), "example policies live in odoo_mcp/examples/ (shipped in the wheel)"
