"""The OCA maintainer tools and whole-folder tools over stdio, with upstream's weaknesses as hostile calls.

One server drives every call: generation on addons_stub/'s `contract` repo, clone/update,
migrate and deploy against a local bare git remote.
"""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

import pytest
from mcp import types

from tests.addons_helpers import bare_repo_from, copy_stub, git, stub_env
from tests.harness import guarded_server

pytestmark = pytest.mark.anyio
ALLOW_ALL = {"version": "1", "default": "allow"}


async def test_oca_tools_end_to_end_and_hostile(tmp_path: Path) -> None:
    stub = copy_stub(tmp_path)
    contract = stub / "oca" / "contract"
    (contract / "setup.py").write_text(f"open({str(tmp_path / 'EXECUTED')!r}, 'w')\n")
    (contract / "contract" / "readme" / "USAGE.rst").write_text(".. include:: /etc/hostname\n\nUse it.\n")
    (contract / "contract" / "readme" / "newsfragments" / "notes.txt").write_text("not a fragment")
    outside = tmp_path / "outside_addon"
    (outside / "readme").mkdir(parents=True)
    (outside / "__manifest__.py").write_text("{'name': 'Outside'}")
    os.symlink(outside, contract / "evil_addon")
    sources = tmp_path / "sources"
    sources.mkdir()
    bare = bare_repo_from(contract, sources / "server-tools.git", tmp_path / "work")
    (stub / "ocabuf").mkdir()
    env = {**stub_env(stub), "ODOO_MCP_OCA_GIT_BASE": str(sources), "ODOO_MCP_OCA_BUFFER_DIR": str(stub / "ocabuf"),
           "ODOO_MCP_COMMUNITY_DIRS": ""}  # as with the README's Claude Desktop settings: no community dirs
    questions: list[str] = []

    async def human(context, params):
        questions.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    policy = {**ALLOW_ALL, "tools": {"oca_deploy": {"action": "require_approval"}}}
    async with guarded_server(policy, tmp_path=tmp_path, env=env, elicitation_callback=human) as server:
        async def ok(name: str, args: dict) -> dict:
            result = await server.call(name, args)
            assert not result.is_error, f"{name}: {result.text}"
            return result.data

        async def refused(name: str, args: dict, tag: str, words: str = "") -> None:
            result = await server.call(name, args)
            assert result.tag == tag, f"{name}: {result.text}"
            assert words in result.text

        listed = {tool.name for tool in await server.list_tools()}
        assert len({n for n in listed if n.startswith("ee_")}) == 12
        assert len({n for n in listed if n.startswith("oca_")}) == 15
        assert {"ee_license_status", "odoo_cert_info", "odoo_cert_refresh"} <= listed

        deps = await ok("ee_depends", {"module": "account_reports"})
        assert deps["core_depends"] == ["account", "web"] and deps["missing"] == [] and deps["series"] == "19.0"
        link = await ok("ee_link", {"modules": ["account_reports"], "with_depends": True, "target_dir": "second"})
        assert link["core_dependencies"] == ["account", "web"] and link["missing_dependencies"] == []
        await ok("ee_unlink", {"modules": ["account_reports", "account_accountant", "web_enterprise"],
                               "target_dir": "second"})
        linked = await ok("oca_link", {"module": "contract_sale", "target_dir": "second"})
        assert linked["dependencies"] == {"core_ce": ["account", "portal", "product", "sale"], "oca": ["contract"]}
        await ok("oca_unlink", {"module": "contract_sale", "target_dir": "second"})

        readme = await ok("oca_gen_readme", {"repo": "contract", "addon": "contract"})
        assert readme["written"] == ["README.rst", "static/description/index.html"]
        rst = (contract / "contract" / "README.rst").read_text()
        assert "Manage recurring contracts" in rst and "Jane Doe" in rst and "Production/Stable" in rst
        html = (contract / "contract" / "static" / "description" / "index.html").read_text()
        assert Path("/etc/hostname").read_text().strip() not in html and "Use it." in html
        assert (await ok("oca_gen_readme", {"repo": "contract", "addon": "contract"}))["written"] == []

        table = await ok("oca_gen_table", {"repo": "contract"})
        assert table["addons"] == ["contract", "contract_sale"]
        text = (contract / "README.md").read_text()
        assert "[contract_sale](contract_sale/) | 19.0.1.0.0" in text and "(the addons table goes here" not in text

        (contract / "contract_sale" / "static" / "description").mkdir(parents=True)
        (contract / "contract_sale" / "static" / "description" / "icon.png").write_bytes(b"mine")
        extra = contract / "contract_extra"
        shutil.copytree(contract / "contract_sale", extra, ignore=shutil.ignore_patterns("static"))
        (outside / "description").mkdir()
        os.symlink(outside, contract / "contract_extra" / "static")  # static/ leads out of the repo
        icons = await ok("oca_gen_icon", {"repo": "contract"})
        assert icons["added"] == ["contract"] and icons["kept"] == ["contract_sale"]
        assert "PATH REFUSED" in icons["refused"]["contract_extra"] and not (outside / "description/icon.png").exists()
        shutil.rmtree(contract / "contract_extra")
        assert (contract / "contract" / "static/description/icon.png").read_bytes().startswith(b"\x89PNG")
        assert (contract / "contract_sale" / "static/description/icon.png").read_bytes() == b"mine"

        reqs = await ok("oca_gen_requirements", {"repo": "contract"})
        assert reqs["requirements"] == ["python-dateutil>=2.8"]
        assert not (tmp_path / "EXECUTED").exists()  # the repo's setup.py never ran

        log = await ok("oca_changelog", {"repo": "contract", "addon": "contract"})
        assert log["consumed"] == ["123.bugfix", "124.feature"]
        history = (contract / "contract" / "readme" / "HISTORY.rst").read_text()
        assert "**Bugfixes**" in history and "invoiced twice. (#123)" in history
        assert sorted(os.listdir(contract / "contract" / "readme" / "newsfragments")) == ["notes.txt"]

        site = await ok("oca_fix_website", {"repo": "contract", "url": "https://github.com/OCA/contract"})
        assert site["changed"] == ["contract", "contract_sale"]
        sale = ast.literal_eval((contract / "contract_sale/__manifest__.py").read_text())
        assert sale["website"] == "https://github.com/OCA/contract"

        # upstream: path traversal via repo/addon/instance, unvalidated url and branches
        for name, args in [("oca_gen_readme", {"repo": "../oca", "addon": "contract"}),
                           ("oca_gen_table", {"repo": "/etc"}),
                           ("oca_gen_icon", {"repo": "contract", "addon": "../x"}),
                           ("oca_changelog", {"repo": "contract", "addon": "contract", "instance": "../../tmp"}),
                           ("oca_fix_website", {"repo": "contract", "url": "https://x.org/\"+__import__('os')+\""}),
                           ("oca_fix_website", {"repo": "contract", "url": "--help"}),
                           ("oca_migrate", {"source_branch": "--upload-pack=x", "target_branch": "20.0"}),
                           ("oca_clone_all", {"mode": "buffered", "instance": "/abs"}),
                           ("oca_deploy", {"instance": "../oca", "target": "second"}),
                           ("oca_deploy", {"instance": "stage", "target": "second", "repos": ["../../etc"]})]:
            await refused(name, args, "INVALID ARGUMENTS")
        await refused("oca_gen_readme", {"repo": "contract", "addon": "evil_addon"}, "PATH REFUSED", "symlink")
        # upstream creates the instance folder on every call; here a missing one is refused, not made
        await refused("oca_gen_table", {"repo": "contract", "mode": "buffered", "instance": "ghost"}, "PATH REFUSED")
        assert not (stub / "ocabuf" / "ghost").exists()
        assert not (outside / "README.rst").exists()

        clone = await ok("oca_clone_all", {"repos": ["server-tools"]})
        assert [c["repo"] for c in clone["cloned"]] == ["server-tools"] and clone["status"] == "ok"
        again = await ok("oca_clone_all", {"repos": ["server-tools", "missing-repo"]})
        assert again["updated"][0]["changed"] is False and "missing-repo" in again["failed"]

        refs_before = git("for-each-ref", cwd=bare)
        mig = await ok("oca_migrate", {"source_branch": "19.0", "target_branch": "20.0", "repos": ["server-tools"]})
        assert mig["pushed"] is False and mig["migrated"][0]["addons"] == ["contract", "contract_sale"]
        checkout = stub / "oca" / "server-tools"
        assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=checkout).strip() == "20.0"
        manifest = ast.literal_eval((checkout / "contract" / "__manifest__.py").read_text())
        assert manifest["version"] == "20.0.1.0.0" and manifest["installable"] is False
        assert git("for-each-ref", cwd=bare) == refs_before  # nothing pushed
        again = await ok("oca_migrate", {"source_branch": "19.0", "target_branch": "20.0", "repos": ["server-tools"]})
        assert "already exists" in again["failed"]["server-tools"]

        await ok("oca_clone_all", {"mode": "buffered", "instance": "stage", "repos": ["server-tools"]})
        await refused("oca_deploy", {"instance": "stage", "target": str(tmp_path)}, "PATH REFUSED", "configured target")
        (stub / "target2" / "server-tools").mkdir()
        (stub / "target2" / "server-tools" / "keep.txt").write_text("foreign")
        await refused("oca_deploy", {"instance": "stage", "target": "second"}, "CONFLICT", "not made by oca_deploy")
        assert (stub / "target2" / "server-tools" / "keep.txt").read_text() == "foreign"
        (stub / "target2" / "server-tools" / "keep.txt").unlink()
        (stub / "target2" / "server-tools").rmdir()
        deployed = await ok("oca_deploy", {"instance": "stage", "target": "second"})
        assert deployed["deployed"] == ["server-tools"]
        assert "repos_copied" in questions[-1] and "server-tools" in questions[-1]  # the human saw what it copies
        assert (stub / "target2" / "server-tools" / "contract" / "__manifest__.py").is_file()
        assert not (stub / "target2" / "server-tools" / ".git").exists()
        # an ee_deploy into the same target: neither deploy takes the other's folders for its own stale ones
        shutil.copytree(stub / "enterprise" / "sign", stub / "buffer" / "inst1" / "sign")
        assert (await ok("ee_deploy", {"instance": "inst1", "target": "second"}))["deployed"] == ["sign"]
        again = await ok("oca_deploy", {"instance": "stage", "target": "second"})
        assert again["removed"] == [] and (stub / "target2" / "sign" / "__manifest__.py").is_file()
        assert (await ok("ee_deploy", {"instance": "inst1", "target": "second"}))["removed"] == []
        assert (stub / "target2" / "server-tools" / "contract").is_dir()
