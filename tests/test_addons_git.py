"""ee_clone / ee_update / ee_token_check / oca_clone_repo / oca_update / oca_status on local repos.

No network: sources are bare repositories made by the test; the token check talks to a
throw-away HTTP server on 127.0.0.1 that records what git sends. A `git` wrapper first on
PATH logs every argv, to show the token never appears there.
"""

from __future__ import annotations

import base64
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from guard.spec import NotConfigured, PathRefused
from tests.addons_helpers import bare_repo_from, copy_stub, git_wrapper, push_change, stub_call
from tools.addons import ee_tools as ee
from tools.addons import oca_tools as oca
from tools.addons.errors import Conflict

TOKEN = "ghp_TestToken0123456789abcdefSECRET"


@pytest.fixture
def world(tmp_path: Path) -> dict:
    stub = copy_stub(tmp_path)
    sources = tmp_path / "sources"
    sources.mkdir()
    ee_bare = bare_repo_from(stub / "enterprise", sources / "enterprise.git", tmp_path / "work_ee")
    oca_bare = bare_repo_from(stub / "oca" / "contract", sources / "server-tools.git", tmp_path / "work_oca")
    argv_log, env_log = git_wrapper(tmp_path / "bin")
    env = {
        "ODOO_MCP_EE_GIT_URL": str(ee_bare),
        "ODOO_MCP_OCA_GIT_BASE": str(sources),
        "GITHUB_TOKEN": TOKEN,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    }
    return {"stub": stub, "call": stub_call(stub, env), "argv": argv_log, "env_log": env_log, "tmp": tmp_path,
            "ee_bare": ee_bare, "oca_bare": oca_bare}


def test_ee_clone_buffered_update_and_scan(world: dict) -> None:
    call, stub = world["call"], world["stub"]
    out = ee.ee_clone(ee.EeCloneArgs(mode="buffered", instance="staging", token=TOKEN), call)
    assert out["branch"] == "19.0" and (stub / "buffer" / "staging" / "sign" / "__manifest__.py").is_file()
    listing = ee.ee_modules(ee.EeModulesArgs(mode="buffered", instance="staging"), call)
    assert listing["count"] >= 15
    # nothing new upstream: update changes nothing
    up = ee.ee_update(ee.EeUpdateArgs(mode="buffered", instance="staging"), call)
    assert up["changed"] is False
    push_change(world["tmp"] / "work_ee", "sign/README.md", "new upstream file\n")
    up = ee.ee_update(ee.EeUpdateArgs(mode="buffered", instance="staging"), call)
    assert up["changed"] is True and (stub / "buffer" / "staging" / "sign" / "README.md").is_file()
    # the token never reached argv, the clone's config or the result
    assert TOKEN not in world["argv"].read_text()
    assert TOKEN not in (stub / "buffer" / "staging" / ".git" / "config").read_text()
    assert TOKEN not in repr(out) + repr(up)


def test_clone_never_overwrites(world: dict) -> None:
    call = world["call"]
    with pytest.raises(Conflict):
        ee.ee_clone(ee.EeCloneArgs(), call)  # the direct checkout already holds files
    ee.ee_clone(ee.EeCloneArgs(mode="buffered", instance="one"), call)
    with pytest.raises(Conflict):
        ee.ee_clone(ee.EeCloneArgs(mode="buffered", instance="one"), call)


def test_update_refuses_a_folder_that_is_not_a_checkout(world: dict) -> None:
    # the stub's enterprise/ is not a checkout; git must not climb to an enclosing repository
    with pytest.raises(Conflict, match="not a git checkout"):
        ee.ee_update(ee.EeUpdateArgs(), world["call"])


def test_oca_clone_status_update(world: dict) -> None:
    call, stub = world["call"], world["stub"]
    out = oca.oca_clone_repo(oca.OcaCloneRepoArgs(repo="server-tools"), call)
    assert out["repo"] == "server-tools" and (stub / "oca" / "server-tools" / "contract").is_dir()
    status = {r["repo"]: r for r in oca.oca_status(oca.OcaStatusArgs(), call)["repos"]}
    assert status["server-tools"]["git"] and status["server-tools"]["branch"] == "19.0"
    assert status["server-tools"]["dirty"] is False and status["contract"]["git"] is False
    (stub / "oca" / "server-tools" / "notes.txt").write_text("local change")
    one = oca.oca_status(oca.OcaStatusArgs(repo="server-tools"), call)["repos"][0]
    assert one["dirty"] is True and one["changes"] == 1
    push_change(world["tmp"] / "work_oca", "contract/README.md", "upstream\n")
    updated = oca.oca_update(oca.OcaUpdateArgs(), call)
    assert [u["repo"] for u in updated["updated"]] == ["server-tools"]
    assert updated["updated"][0]["changed"] is True
    assert {s["repo"] for s in updated["skipped"]} == {"contract", "sale-workflow", "stock-logistics-barcode"}
    with pytest.raises(Conflict):
        oca.oca_clone_repo(oca.OcaCloneRepoArgs(repo="server-tools"), call)


def test_not_configured_sources(tmp_path: Path) -> None:
    call = stub_call(copy_stub(tmp_path), {"ODOO_MCP_EE_GIT_URL": "", "GITHUB_TOKEN": ""})
    with pytest.raises(NotConfigured):
        ee.ee_clone(ee.EeCloneArgs(mode="buffered", instance="x"), call)
    with pytest.raises(NotConfigured):
        oca.oca_clone_repo(oca.OcaCloneRepoArgs(repo="web"), call)
    bad = stub_call(copy_stub(tmp_path / "b"), {"ODOO_MCP_EE_GIT_URL": "ext::sh -c touch% /tmp/pwned"})
    with pytest.raises(NotConfigured):
        ee.ee_token_check(ee.EeTokenCheckArgs(token=TOKEN), bad)


def test_buffer_instance_cannot_escape(world: dict) -> None:
    with pytest.raises(PathRefused):
        ee.ee_modules(ee.EeModulesArgs(mode="buffered", instance="nope"), world["call"])


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        _Recorder.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="test"')
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_token_check_sends_the_token_as_a_header_only(world: dict, tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/odoo/enterprise.git"
        call = stub_call(world["stub"], {
            "ODOO_MCP_EE_GIT_URL": url, "GITHUB_TOKEN": "",
            "PATH": f"{world['tmp'] / 'bin'}:{os.environ['PATH']}",
        })
        out = ee.ee_token_check(ee.EeTokenCheckArgs(token=TOKEN), call)
    finally:
        server.shutdown()
    assert out["ok"] is False and TOKEN not in repr(out)
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert any(seen.get("authorization") == expected for seen in _Recorder.seen)
    assert TOKEN not in world["argv"].read_text()
    assert "ls-remote --upload-pack=git-upload-pack --heads -- " + url in world["argv"].read_text()
