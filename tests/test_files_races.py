"""Issue 9, critical items 1 and 2: a co-tenant swaps a folder of the files root for a symlink
while `odoo_record_backup`, `odoo_attachment_download` and `odoo_attachment_upload` run.

In-process and fast: the handlers are called the way the guard calls them (the path confined
by name first, then the handler), against the Odoo double over real HTTP. A thread keeps
swapping `files/a` for a link to a folder outside the root that has the same layout, so a
handler that re-opened the checked path by name would write or read there. After several
hundred calls nothing outside the root was created, read or changed; every call either did
its work inside the root or answered `[PATH REFUSED]`.
"""

from __future__ import annotations

import base64
import itertools
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from foundation.fsroot import RootRefused
from guard.paths import confine
from guard.refusals import failure_of
from guard.spec import Call, Caller, PathRefused, ToolFailure
from odoo_mcp.config import Roots, Settings
from odoo_mcp.runtime import Runtime
from tests.odoo_double import ADMIN, OdooDouble
from tests.race_helpers import swapping, tree
from tools.odoo import files

ITERATIONS = 300
RACE_SECONDS = 30
"""A loaded machine may need more calls before the swap lands inside one: go on, within this bound."""
SECRET = b"outside secret, never uploaded"


@pytest.fixture(scope="module")
def double() -> Iterator[OdooDouble]:
    with OdooDouble() as running:
        yield running


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "files", tmp_path / "outside"
    for base in (root, outside):
        (base / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "data.txt").write_bytes(b"inside")
    (outside / "a" / "b" / "data.txt").write_bytes(SECRET)
    (outside / "b").mkdir()
    (outside / "b" / "data.txt").write_bytes(SECRET)
    return root, outside


def runtime_for(root: Path, double: OdooDouble) -> Runtime:
    env = {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
           "ODOO_PASSWORD": ADMIN["password"], "ODOO_PROTOCOL": "xmlrpc", "ODOO_TIMEOUT": "5",
           "ODOO_MCP_FILES_DIR": str(root)}
    return Runtime(Settings(policy_path=root / "policy.json", roots=Roots(files_dir=root), env=env))


def guarded(runtime: Runtime, handler, args, path_arg: str, must_exist: bool = False) -> str:
    """What the guard does: confine by name, then run the handler; the outcome's tag."""
    time.sleep(0.0005)  # let the co-tenant run between calls on a loaded machine
    root = runtime.settings.roots.files_dir
    try:
        paths = {path_arg: confine(path_arg, getattr(args, path_arg), root, must_exist=must_exist)}
    except PathRefused:
        return "refused_by_name"
    try:
        handler(args, Call(caller=Caller(), runtime=runtime, paths=paths))
    except Exception as raised:
        failure = failure_of(raised)  # as the guard reads what a handler raised
        if isinstance(failure, PathRefused):
            return "refused_by_walk"
        if isinstance(failure, ToolFailure):
            return failure.tag
        raise
    return "ok"


def run_race(root: Path, outside: Path, calls) -> Counter[str]:
    before = tree(outside)
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + RACE_SECONDS
    with swapping(root / "a", outside / "a") as swapper:
        for outcome in calls():  # at least ITERATIONS calls, and on until the swap was caught mid-call once
            outcomes[outcome] += 1
            done = sum(outcomes.values())
            if done >= ITERATIONS and (outcomes["refused_by_walk"] or time.monotonic() > deadline):
                break
    assert swapper.swaps >= 10, "the co-tenant thread barely ran: the race was not exercised"
    assert tree(outside) == before, "a file outside the files root was created or changed"
    assert set(outcomes) <= {"ok", "refused_by_name", "refused_by_walk"}, outcomes
    return outcomes


def test_backup_never_writes_outside(layout, double) -> None:
    root, outside = layout
    runtime = runtime_for(root, double)

    def calls():
        for i in itertools.count():
            args = files.BackupArgs(model="res.partner", ids=[1], save_path=f"a/b/backup_{i}.json")
            yield guarded(runtime, files.odoo_record_backup, args, "save_path")

    outcomes = run_race(root, outside, calls)
    assert outcomes["refused_by_walk"] > 0, outcomes  # checked by name, swapped before the write
    written = list((root / "a" / "b").glob("backup_*.json"))
    assert len(written) == outcomes["ok"] and all(not p.is_symlink() for p in written)


def test_download_never_writes_agent_bytes_outside(layout, double) -> None:
    root, outside = layout
    runtime = runtime_for(root, double)
    payload = base64.b64encode(b"#!/bin/sh\necho agent-chosen bytes\n").decode()
    upload = files.UploadArgs(name="evil.sh", content_base64=payload)
    attachment = files.odoo_attachment_upload(upload, Call(caller=Caller(), runtime=runtime))["id"]

    def calls():
        for i in itertools.count():
            args = files.DownloadArgs(attachment_id=attachment, save_path=f"a/b/evil_{i}.sh")
            yield guarded(runtime, files.odoo_attachment_download, args, "save_path")

    outcomes = run_race(root, outside, calls)
    assert outcomes["refused_by_walk"] > 0, outcomes
    assert len(list((root / "a" / "b").glob("evil_*.sh"))) == outcomes["ok"]


def test_upload_never_reads_outside(layout, double) -> None:
    root, outside = layout
    runtime = runtime_for(root, double)
    uploaded: list[int] = []

    def calls():
        for i in itertools.count():
            args = files.UploadArgs(name=f"race_{i}.txt", file_path="a/b/data.txt")
            yield guarded(runtime, files.odoo_attachment_upload, args, "file_path", must_exist=True)
            uploaded.append(i)

    outcomes = run_race(root, outside, calls)
    assert outcomes["refused_by_walk"] > 0, outcomes
    connection = files.odoo(Call(caller=Caller(), runtime=runtime), None)
    rows = connection.execute("ir.attachment", "search_read", [[["name", "like", "race_"]]], {"fields": ["datas"]})
    contents = {base64.b64decode(row["datas"]) for row in rows}
    assert len(rows) == outcomes["ok"] and contents <= {b"inside"}


def test_hard_link_to_an_outside_file_is_not_uploaded(layout, double) -> None:
    root, outside = layout
    os.link(outside / "b" / "data.txt", root / "linked.txt")
    runtime = runtime_for(root, double)
    args = files.UploadArgs(name="linked.txt", file_path="linked.txt")
    with pytest.raises(RootRefused, match="hard links"):
        files.odoo_attachment_upload(args, Call(caller=Caller(), runtime=runtime,
                                                paths={"file_path": confine("file_path", "linked.txt", root)}))


def test_files_root_replaced_while_running_is_refused(layout, double) -> None:
    root, _ = layout
    runtime = runtime_for(root, double)
    call = Call(caller=Caller(), runtime=runtime)
    files.write_new(call, "first.json", b"{}")
    root.rename(root.with_name("files.old"))
    root.mkdir()
    with pytest.raises(RootRefused, match="replaced"):
        files.write_new(call, "second.json", b"{}")
    assert list(root.iterdir()) == []
