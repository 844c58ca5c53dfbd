"""tools/addons/linking.py under a co-tenant: a moved target, a link replaced mid-call, a link re-pointed.

The functions are called directly on folders in `tmp_path`. Where the promise is about
something changing *between two steps of one call*, the co-tenant acts at exactly that point:
`Between` is the plan's mapping, and runs the co-tenant's move when the next link is about to
be made (a race made deterministic, not a mock of our code). Each test names the break it catches.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from guard.spec import PathRefused
from tools.addons.errors import Conflict
from tools.addons.link_ops import link_modules, unlink_modules
from tools.addons.linking import (
    LinkPlan,
    apply_links,
    apply_unlinks,
    link_destination,
    open_target,
    plan_links,
    plan_unlinks,
    read_entry,
)
from tools.addons.roots import Target


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """source/{m1,m2,m3}, outside/m1, and an empty target under a/ (a parent a co-tenant can swap)."""
    for name in ("m1", "m2", "m3"):
        (tmp_path / "source" / name).mkdir(parents=True)
    (tmp_path / "outside" / "m1").mkdir(parents=True)
    (tmp_path / "a" / "target").mkdir(parents=True)
    return tmp_path


def target_of(tree: Path) -> Target:
    path = tree / "a" / "target"
    return Target("main", path, Path(os.path.realpath(path)))


def test_a_target_whose_parent_was_swapped_for_a_link_is_refused_and_nothing_is_linked(tree: Path):
    """The pinned target's parent becomes a link to a look-alike: `O_NOFOLLOW` only guards the last
    component, so the descriptor lands elsewhere; the `/proc/self/fd` check must see it
    (break: `open_target` skips its `actual != target.real` comparison)."""
    target = target_of(tree)
    (tree / "a").rename(tree / "elsewhere")
    os.symlink(tree / "elsewhere", tree / "a")
    with pytest.raises(PathRefused, match="moved while in use; nothing done"):
        link_modules(target, {"m1": tree / "source" / "m1"}, {})
    with pytest.raises(PathRefused, match="moved while in use"):
        unlink_modules(target, ["m1"], tree / "source", "enterprise")
    assert list((tree / "elsewhere" / "target").iterdir()) == []


def test_a_target_that_is_now_a_link_is_not_followed(tree: Path):
    target = target_of(tree)
    (tree / "a" / "target").rename(tree / "a" / "real_target")
    os.symlink(tree / "a" / "real_target", tree / "a" / "target")
    with pytest.raises(PathRefused, match="cannot open target 'main' without following links"):
        link_modules(target, {"m1": tree / "source" / "m1"}, {})
    assert list((tree / "a" / "real_target").iterdir()) == []


def test_the_pinned_target_opens(tree: Path):
    with open_target(target_of(tree)) as fd:
        assert os.path.samestat(os.fstat(fd), os.stat(tree / "a" / "target"))


class Between(dict):
    """A plan's `create` mapping that runs `act` just before the link at position `at` is made."""

    def __init__(self, entries: dict[str, Path], at: int, act: Callable[[], None]) -> None:
        super().__init__(entries)
        self.at, self.act = at, act

    def items(self):  # type: ignore[override]
        for index, entry in enumerate(list(super().items())):
            if index == self.at:
                self.act()
            yield entry


def test_rollback_removes_the_links_this_call_made(tree: Path):
    """m3 is planted after the plan: the call fails and m1, m2 (ours) are gone (break: no rollback)."""
    target = target_of(tree)
    sources = {name: tree / "source" / name for name in ("m1", "m2", "m3")}
    planted = tree / "outside" / "m1"
    plan = LinkPlan(target, create=Between(sources, 2, lambda: os.symlink(planted, target.real / "m3")))
    with open_target(target) as fd, pytest.raises(Conflict) as failed:
        apply_links(fd, plan)
    assert failed.value.message.startswith("target changed while linking; links made by this call were removed — ")
    assert failed.value.problems == {"m3": "something appeared at this name after the check; left untouched"}
    assert sorted(os.listdir(target.real)) == ["m3"]
    assert os.readlink(target.real / "m3") == str(planted)


def test_rollback_leaves_what_now_sits_at_a_name_it_had_linked(tree: Path):
    """After our m1 was made, a co-tenant replaced it with their own link and planted m2: the call
    fails, and rollback must not remove their m1 (break: `rollback` unlinks without re-reading)."""
    target = target_of(tree)
    theirs = str(tree / "outside" / "m1")

    def co_tenant() -> None:
        os.unlink(target.real / "m1")
        os.symlink(theirs, target.real / "m1")
        os.symlink(theirs, target.real / "m2")

    sources = {name: tree / "source" / name for name in ("m1", "m2")}
    with open_target(target) as fd, pytest.raises(Conflict):
        apply_links(fd, LinkPlan(target, create=Between(sources, 1, co_tenant)))
    assert os.readlink(target.real / "m1") == theirs
    assert os.readlink(target.real / "m2") == theirs


def test_rollback_leaves_a_folder_put_in_place_of_our_link(tree: Path):
    target = target_of(tree)

    def co_tenant() -> None:
        os.unlink(target.real / "m1")
        (target.real / "m1").mkdir()
        (target.real / "m1" / "keep.txt").write_text("theirs")
        (target.real / "m2").mkdir()

    sources = {name: tree / "source" / name for name in ("m1", "m2")}
    with open_target(target) as fd, pytest.raises(Conflict):
        apply_links(fd, LinkPlan(target, create=Between(sources, 1, co_tenant)))
    assert (target.real / "m1" / "keep.txt").read_text() == "theirs"


# Between unlink's plan and the removal, the link is re-pointed (or replaced): the removal
# re-reads it and leaves anything that is no longer a link into the owner's root
# (break: `apply_unlinks` trusts the plan and unlinks every planned name).
REPOINTED = [
    (
        "re-pointed outside the owner's root",
        lambda t, tree: (os.unlink(t / "m1"), os.symlink(tree / "outside" / "m1", t / "m1")),
    ),
    ("replaced by a real folder", lambda t, tree: (os.unlink(t / "m1"), (t / "m1").mkdir())),
    ("replaced by a file", lambda t, tree: (os.unlink(t / "m1"), (t / "m1").write_text("theirs"))),
]


@pytest.mark.parametrize(("case", "move"), REPOINTED, ids=[c[0] for c in REPOINTED])
def test_unlink_rechecks_where_a_link_points_right_before_removing_it(tree: Path, case, move):
    target = target_of(tree)
    owner = tree / "source"
    for name in ("m1", "m2"):
        os.symlink(owner / name, target.real / name)
    with open_target(target) as fd:
        removable, absent, problems = plan_unlinks(fd, target, ["m1", "m2"], owner, "enterprise")
        assert (removable, absent, problems) == (["m1", "m2"], [], {})
        move(target.real, tree)
        assert apply_unlinks(fd, target, removable, owner) == ["m2"]
        kind, _ = read_entry(fd, "m1")
    assert kind != "absent" and read_entry_outside(target.real / "m1") == case


def read_entry_outside(path: Path) -> str:
    if path.is_symlink():
        return "re-pointed outside the owner's root"
    return "replaced by a real folder" if path.is_dir() else "replaced by a file"


def test_unlink_refuses_the_owner_root_itself_and_links_elsewhere(tree: Path):
    target = target_of(tree)
    owner = tree / "source"
    os.symlink(owner, target.real / "whole")
    os.symlink(tree / "outside" / "m1", target.real / "m1")
    os.symlink(owner / "m2", target.real / "m2")
    with pytest.raises(Conflict, match="nothing unlinked") as refused:
        unlink_modules(target, ["whole", "m1", "m2"], owner, "enterprise")
    assert set(refused.value.problems) == {"whole", "m1"}
    assert sorted(os.listdir(target.real)) == ["m1", "m2", "whole"]
    assert unlink_modules(target, ["m2", "m3"], owner, "enterprise") == {
        "target": "main",
        "target_path": str(target.path),
        "unlinked": ["m2"],
        "not_linked": ["m3"],
    }


def test_read_entry_tells_what_is_at_a_name(tree: Path):
    target = target_of(tree)
    os.symlink("../x", target.real / "link")
    (target.real / "dir").mkdir()
    (target.real / "file").write_text("f")
    with open_target(target) as fd:
        assert read_entry(fd, "link") == ("link", "../x")
        assert read_entry(fd, "dir") == ("dir", None)
        assert read_entry(fd, "file") == ("other", None)
        assert read_entry(fd, "none") == ("absent", None)


def test_a_relative_link_leads_from_the_target(tree: Path):
    target = target_of(tree)
    assert link_destination(target, "../../source/m1") == tree / "source" / "m1"
    assert link_destination(target, str(tree / "source" / "m2")) == tree / "source" / "m2"
    os.symlink(tree / "source", tree / "alias")
    assert link_destination(target, str(tree / "alias" / "m3")) == tree / "source" / "m3"  # resolved


def test_a_plan_sorts_each_name_by_what_is_there(tree: Path):
    target = target_of(tree)
    source = tree / "source"
    os.symlink(source / "m1", target.real / "m1")  # ours already
    os.symlink(tree / "outside" / "m1", target.real / "m2")  # a link elsewhere
    (target.real / "m3").mkdir()
    (target.real / "m4").write_text("f")
    with open_target(target) as fd:
        plan = plan_links(fd, target, {f"m{i}": source / f"m{min(i, 3)}" for i in range(1, 6)})
    assert plan.create == {"m5": source / "m3"}
    assert plan.already == ["m1"]
    assert plan.problems == {
        "m2": f"a link to {tree / 'outside' / 'm1'} is already in target 'main'; not replaced",
        "m3": "a real folder of that name is in target 'main'; not replaced",
        "m4": "a file of that name is in target 'main'; not replaced",
    }


def test_linking_makes_every_planned_link_or_says_why_not(tree: Path):
    target = target_of(tree)
    sources = {"m1": tree / "source" / "m1", "m2": tree / "source" / "m2"}
    assert link_modules(target, sources, {}) == {
        "target": "main",
        "target_path": str(target.path),
        "linked": ["m1", "m2"],
        "already_linked": [],
    }
    assert os.readlink(target.real / "m1") == str(tree / "source" / "m1")
    assert link_modules(target, sources, {})["already_linked"] == ["m1", "m2"]
    with pytest.raises(Conflict) as refused:
        link_modules(target, {"m3": tree / "source" / "m3"}, {"m3": "shadows a community module"})
    assert refused.value.problems == {"m3": "shadows a community module"}
    assert not (target.real / "m3").exists()


def test_unlink_plans_say_why_a_name_stays(tree: Path):
    target = target_of(tree)
    owner = tree / "source"
    (target.real / "dir").mkdir()
    (target.real / "file").write_text("f")
    os.symlink(tree / "outside" / "m1", target.real / "elsewhere")
    os.symlink(owner / "m1", target.real / "m1")
    with open_target(target) as fd:
        removable, absent, problems = plan_unlinks(fd, target, ["dir", "file", "elsewhere", "m1", "gone"], owner, "EE")
    assert (removable, absent) == (["m1"], ["gone"])
    assert problems == {
        "dir": "a real folder, not a link; never removed",
        "file": "a file, not a link; never removed",
        "elsewhere": f"a link to {tree / 'outside' / 'm1'}, not into the EE root; left in place",
    }


def test_a_link_removed_meanwhile_is_not_reported_removed(tree: Path):
    target = target_of(tree)
    owner = tree / "source"
    os.symlink(owner / "m1", target.real / "m1")
    with open_target(target) as fd:
        assert apply_unlinks(fd, target, ["m1", "m1"], owner) == ["m1"]  # the second time it is gone


def test_a_relative_link_into_the_owner_root_is_removed(tree: Path):
    """A link written relative to the target (as a user may make one by hand) is judged where it leads."""
    target = target_of(tree)
    owner = tree / "source"
    os.symlink("../../source/m1", target.real / "m1")
    os.symlink("../../outside/m1", target.real / "m2")
    assert unlink_modules(target, ["m1"], owner, "EE")["unlinked"] == ["m1"]
    with pytest.raises(Conflict) as refused:
        unlink_modules(target, ["m2"], owner, "EE")
    assert refused.value.problems == {"m2": "a link to ../../outside/m1, not into the EE root; left in place"}
    os.symlink("../../source/m3", target.real / "m3")
    with open_target(target) as fd:
        assert apply_unlinks(fd, target, ["m3", "m2"], owner) == ["m3"]


def test_a_relative_link_to_the_same_module_is_already_linked(tree: Path):
    target = target_of(tree)
    os.symlink("../../source/m1", target.real / "m1")
    with open_target(target) as fd:
        plan = plan_links(fd, target, {"m1": tree / "source" / "m1"})
    assert (plan.already, plan.create, plan.problems) == (["m1"], {}, {})
