"""Hostile inputs against every path-taking addons tool, through the real client over stdio.

The whole temporary tree (the stub copy with every configured root, the git sources, and a
sentinel folder outside all roots) is snapshotted before and after — links not followed,
contents hashed — and must be identical: no file outside (or inside) the roots was created,
changed or removed by a refused call.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.addons_helpers import copy_stub, diff, snapshot
from tests.harness import guarded_server
from tests.test_addons_e2e import full_env

pytestmark = pytest.mark.anyio

ALLOW_ALL = {"version": "1", "default": "allow"}
REFUSALS = {"INVALID ARGUMENTS", "PATH REFUSED", "CONFLICT", "TOOL ERROR", "NOT CONFIGURED"}

LOOK_ALIKES = ["ѕign", "ｓign", "sign\u200b", "sıgn", "SIGN", "sign\n", " sign", "sign ", "sig\u0301n"]
BAD_NAMES = [
    "..", "../enterprise", "../../outside_secret/secret_module", "sign/..", "./sign", "sign/../planning",
    "/etc", "/etc/passwd", "~", "~/sign", "~root", "sign\x00", "\x00", "a" * 101, "a" * 5000, "sign.py",
    ".sign", "sign.", "-sign", "--help", "sign/", "sign\\..\\x", "%2e%2e", "", *LOOK_ALIKES,
]


def hostile_calls(stub: Path, sentinel: Path) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    for name in BAD_NAMES:
        calls.append(("ee_link", {"modules": ["planning", name]}))
        calls.append(("oca_link", {"module": name}))
    for name in ["..", "/etc", "sign\x00", "a" * 101, "ѕign", "sign/../x"]:
        calls += [
            ("ee_unlink", {"modules": [name]}),
            ("oca_unlink", {"module": name}),
            ("ee_depends", {"module": name}),
            ("ee_oca_recommend", {"module": name}),
        ]
    bad_targets = [
        "..", "../target", "/tmp", "/", str(sentinel), str(stub / "target" / ".."), str(stub / "target" / "sub"),
        str(stub / "enterprise"), "main/..", "main/", "./main", "~", "~/target", "main\x00", "MAIN", "mаin",
        "", " main", "x" * 2000, str(stub / "target2") + "/../target2", "file:///tmp",
    ]
    for target in bad_targets:
        calls.append(("ee_link", {"modules": ["planning"], "target_dir": target}))
        calls.append(("ee_unlink", {"modules": ["planning"], "target_dir": target}))
        calls.append(("oca_link", {"module": "contract", "target_dir": target}))
        calls.append(("ee_deploy", {"instance": "staging", "target": target}))
    bad_instances = ["..", "../enterprise", "/tmp", "a/b", "~", "", ".", "-x", "staging\x00", "ѕtaging", "x" * 70]
    for instance in bad_instances:
        calls.append(("ee_modules", {"mode": "buffered", "instance": instance}))
        calls.append(("ee_clone", {"mode": "buffered", "instance": instance}))
        calls.append(("ee_deploy", {"instance": instance}))
        calls.append(("ee_link", {"modules": ["planning"], "mode": "buffered", "instance": instance}))
    bad_repos = ["..", "../enterprise", "contract/../..", ".git", "-upload-pack=touch", "contract\n", "a/b", "/tmp",
                 "~", "cоntract", ""]
    for repo in bad_repos:
        calls.append(("oca_clone_repo", {"repo": repo}))
        calls.append(("oca_update", {"repo": repo}))
        calls.append(("oca_status", {"repo": repo}))
        calls.append(("oca_link", {"module": "contract", "repo": repo}))
    bad_branches = ["--upload-pack=touch /tmp/pwned", "-b", "19.0/../..", "..", "19.0;rm -rf /", "a..b", "19.0\n",
                    "$(id)", "refs/heads/19.0", "x" * 300, "19.0 "]
    for branch in bad_branches:
        calls.append(("ee_clone", {"mode": "buffered", "instance": "fresh", "branch": branch}))
        calls.append(("oca_clone_repo", {"repo": "server-tools", "branch": branch}))
        calls.append(("ee_update", {"branch": branch}))
    bad_tokens = ["tok\r\nX-Injected: 1", "tok en", "tok\x00", "x" * 600]
    for token in bad_tokens:
        calls.append(("ee_clone", {"mode": "buffered", "instance": "fresh", "token": token}))
        calls.append(("ee_token_check", {"token": token}))
    # links inside the checkouts pointing out of them; names already present in the target
    calls += [
        ("ee_link", {"modules": ["evil_link"]}),
        ("ee_link", {"modules": ["evil_abs"]}),
        ("ee_link", {"modules": ["evil_rel"]}),
        ("ee_link", {"modules": ["sign", "evil_link"], "with_depends": True}),
        ("oca_link", {"module": "evil_oca", "repo": "contract"}),
        ("ee_link", {"modules": ["helpdesk"]}),  # a foreign link is already at target/helpdesk
        ("ee_link", {"modules": ["quality"]}),  # a real folder is at target/quality
        ("ee_link", {"modules": ["sign", "helpdesk"]}),  # all or nothing: sign is not linked either
        ("ee_unlink", {"modules": ["helpdesk"]}),
        ("ee_unlink", {"modules": ["quality"]}),
        ("ee_unlink", {"modules": ["escape"]}),  # a link into the sentinel
        ("oca_unlink", {"module": "helpdesk"}),
        ("ee_link", {"modules": ["stock_barcode"]}),  # would shadow the OCA module
        ("ee_deploy", {"instance": "missing"}),  # no such buffered checkout
        ("ee_deploy", {"instance": "staging", "target": "main"}),  # target/quality is not ours: conflict
        ("ee_update", {}),  # enterprise/ is not a checkout: git must not climb to an enclosing repo
        ("ee_clone", {}),  # enterprise/ holds files: never cloned over
    ]
    return calls


def plant_traps(stub: Path, sentinel: Path) -> None:
    sentinel.mkdir()
    (sentinel / "keep.txt").write_text("sentinel")
    secret = sentinel / "secret_module"
    secret.mkdir()
    (secret / "__manifest__.py").write_text("{'name': 'Secret', 'depends': []}")
    os.symlink(secret, stub / "enterprise" / "evil_abs")
    os.symlink(os.path.relpath(secret, stub / "enterprise"), stub / "enterprise" / "evil_rel")
    os.symlink(secret, stub / "oca" / "contract" / "evil_oca")
    os.symlink(sentinel, stub / "target" / "helpdesk")
    os.symlink(sentinel, stub / "target" / "escape")
    (stub / "target" / "quality").mkdir()
    (stub / "target" / "quality" / "data.txt").write_text("not a link")
    # a buffered checkout, so that ee_deploy's target checks are reached
    staging = stub / "buffer" / "staging"
    staging.mkdir()
    for name in ("sign", "quality"):
        shutil.copytree(stub / "enterprise" / name, staging / name)


async def test_hostile_inputs_change_nothing(tmp_path: Path) -> None:
    stub = copy_stub(tmp_path)
    env = full_env(tmp_path, stub)
    sentinel = tmp_path / "sentinel"
    plant_traps(stub, sentinel)
    calls = hostile_calls(stub, sentinel)
    assert len(calls) >= 40
    # the whole temporary tree: every root, the git sources, the sentinel outside the roots;
    # only the harness files (policy, audit, stderr, the git wrapper's argv log) may change
    logs = frozenset({"audit.jsonl", "server.stderr", "policy.json", "bin"})
    before = snapshot(tmp_path, exclude=logs)
    failures = []
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=env) as server:
        for name, args in calls:
            result = await server.call(name, args)
            if not result.is_error or result.tag not in REFUSALS:
                failures.append((name, args, result.text[:200]))
        records = server.audit_records()
    assert failures == []
    assert diff(before, snapshot(tmp_path, exclude=logs)) == {"added": [], "removed": [], "changed": []}
    assert len(records) == len(calls)
    assert not Path("/tmp/pwned").exists()
    stderr = (tmp_path / "server.stderr").read_text()
    assert "Traceback" not in stderr


async def test_target_swapped_for_a_link_between_calls(tmp_path: Path) -> None:
    stub = copy_stub(tmp_path)
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=full_env(tmp_path, stub)) as server:
        assert not (await server.call("ee_link", {"modules": ["sign"]})).is_error
        (stub / "target").rename(stub / "target_moved")
        os.symlink(sentinel, stub / "target")
        before = snapshot(stub, sentinel)
        for args in ({"modules": ["planning"]}, {"modules": ["sign"]}):
            assert (await server.call("ee_link", args)).tag == "PATH REFUSED"
            assert (await server.call("ee_unlink", args)).tag == "PATH REFUSED"
        assert (await server.call("oca_link", {"module": "contract"})).tag == "PATH REFUSED"
        assert diff(before, snapshot(stub, sentinel)) == {"added": [], "removed": [], "changed": []}
    assert list(sentinel.iterdir()) == []
