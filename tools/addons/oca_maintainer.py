"""The OCA maintainer-tools jobs (upstream shells out to `oca-gen-*`, `oca-towncrier`, …), done natively.

Each tool works inside one repository of the OCA folder (direct) or of a buffered instance,
by descriptor (`repo_files`), with the pure generators of `oca_gen`. Nothing from the
repository is executed: manifests are parsed as literals, fragments are text, docutils runs
with file inclusion and raw HTML off, and no `setup.py` or build backend is ever called.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import Any

from pydantic import Field

from foundation.fsroot import NameTaken, RootRefused, create_file_at, remove_if_same, walk
from guard.refusals import failure_of
from guard.spec import Call, Risk, ToolArgs, ToolFailure
from tools.addons import oca_gen
from tools.addons.manifest import MANIFEST, Manifest, ManifestError, read_manifest_at
from tools.addons.names import BranchName, InstanceName, Mode, ModuleName, RepoName
from tools.addons.repo_files import ensure_dir, is_plain_dir, list_names, open_repo, read_text, replace_file
from tools.addons.service import addons_settings
from tools.registry import tool

WebsiteUrl = Field(
    pattern=r"^https://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]{0,400})?$",
    description="The https URL to write as each manifest's website (no quotes, spaces or backslashes).",
)


class OcaCommonArgs(ToolArgs):
    """Upstream's common arguments: which branch, and which OCA folder (direct or a buffer instance)."""

    branch: BranchName | None = Field(default=None, description="Series for links and versions (default ODOO_BRANCH).")
    mode: Mode = Field(default="direct", description="direct: ODOO_MCP_OCA_DIR; buffered: a buffer instance.")
    instance: InstanceName | None = Field(default=None, description="Buffered instance (mode=buffered).")


def _branch(call: Call, args: OcaCommonArgs) -> str:
    return args.branch or addons_settings(call).branch


def _addons(repo_fd: int) -> tuple[list[tuple[str, Manifest]], dict[str, str]]:
    """(addon, manifest) of every addon folder of a repository, and the ones whose manifest is unusable."""
    found, problems = [], {}
    for name in list_names(repo_fd):
        if not is_plain_dir(repo_fd, name):
            continue
        fd = walk(repo_fd, [name], "repo")
        try:
            try:
                os.stat(MANIFEST, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            try:
                found.append((name, read_manifest_at(fd, name)))
            except ManifestError as exc:
                problems[name] = f"broken manifest: {exc}"
        finally:
            os.close(fd)
    return found, problems


@contextlib.contextmanager
def _addon(repo_fd: int, addon: str):  # type: ignore[no-untyped-def]
    fd = walk(repo_fd, [addon], "addon")
    try:
        try:
            manifest = read_manifest_at(fd, addon)
        except ManifestError as exc:
            raise ToolFailure(f"{addon}: broken manifest: {exc}; nothing written") from None
        yield fd, manifest
    finally:
        os.close(fd)


class GenReadmeArgs(OcaCommonArgs):
    repo: RepoName
    addon: ModuleName


def _fragments(addon_fd: int) -> dict[str, str]:
    try:
        readme_fd = walk(addon_fd, ["readme"], "addon")
    except RootRefused:
        return {}
    try:
        found = {}
        for name in oca_gen.FRAGMENTS:
            for ext in (".rst", ".md"):
                text = read_text(readme_fd, name + ext, "addon", 256 * 1024)
                if text is not None:
                    found[name] = text
                    break
        return found
    finally:
        os.close(readme_fd)


@tool("oca_gen_readme", family="oca", risk=Risk.WRITE, args=GenReadmeArgs, idempotent=True)
def oca_gen_readme(args: GenReadmeArgs, call: Call) -> dict[str, Any]:
    """Generate an addon's README.rst and static/description/index.html from its readme/ fragments
    and manifest (natively; fragments may not include files or raw HTML)."""
    branch = _branch(call, args)
    with open_repo(call, args.mode, args.instance, args.repo) as (path, repo_fd), \
            _addon(repo_fd, args.addon) as (addon_fd, manifest):
        fragments = _fragments(addon_fd)
        rst = oca_gen.readme_rst(args.addon, manifest, fragments, args.repo, branch)
        html = oca_gen.readme_html(rst)
        description_fd = ensure_dir(addon_fd, ("static", "description"), "addon")  # refused before any write
        try:
            readme_changed = replace_file(addon_fd, "README.rst", rst.encode(), "addon")
            html_changed = replace_file(description_fd, "index.html", html.encode(), "addon")
        finally:
            os.close(description_fd)
    return {"repo": args.repo, "addon": args.addon, "path": str(path / args.addon), "fragments": sorted(fragments),
            "written": [name for name, changed in (("README.rst", readme_changed),
                                                   ("static/description/index.html", html_changed)) if changed]}


class RepoArgs(OcaCommonArgs):
    repo: RepoName


@tool("oca_gen_table", family="oca", risk=Risk.WRITE, args=RepoArgs, idempotent=True)
def oca_gen_table(args: RepoArgs, call: Call) -> dict[str, Any]:
    """Rewrite the addons table between OCA's markers in a repository's README.md from the addons' manifests."""
    with open_repo(call, args.mode, args.instance, args.repo) as (path, repo_fd):
        rows, problems = _addons(repo_fd)
        readme = read_text(repo_fd, "README.md", "repo") or ""
        changed = replace_file(repo_fd, "README.md", oca_gen.addons_table(readme, rows).encode(), "repo")
    return {"repo": args.repo, "path": str(path / "README.md"), "addons": [a for a, _ in rows],
            "changed": changed, "problems": problems}


class GenIconArgs(OcaCommonArgs):
    repo: RepoName
    addon: ModuleName | None = Field(default=None, description="One addon; default: every addon of the repo.")


@tool("oca_gen_icon", family="oca", risk=Risk.WRITE, args=GenIconArgs, idempotent=True)
def oca_gen_icon(args: GenIconArgs, call: Call) -> dict[str, Any]:
    """Add the default icon as static/description/icon.png to addons that have none (an existing icon is kept)."""
    icon = oca_gen.default_icon()
    added, kept, refused = [], [], {}
    with open_repo(call, args.mode, args.instance, args.repo) as (_path, repo_fd):
        names = [args.addon] if args.addon else [a for a, _ in _addons(repo_fd)[0]]
        for name in names:
            try:
                with _addon(repo_fd, name) as (addon_fd, _manifest):
                    if _add_icon(addon_fd, icon):
                        added.append(name)
                    else:
                        kept.append(name)
            except (ToolFailure, RootRefused, NameTaken) as failure:
                if args.addon:
                    raise
                refused[name] = failure_of(failure).render()  # this addon only; the others still get theirs
    return {"repo": args.repo, "added": added, "kept": kept, "refused": refused}


def _add_icon(addon_fd: int, icon: bytes) -> bool:
    """Create static/description/icon.png if missing (never through a link); False when one exists."""
    description_fd = ensure_dir(addon_fd, ("static", "description"), "addon")
    try:
        try:
            os.stat("icon.png", dir_fd=description_fd, follow_symlinks=False)
            return False
        except FileNotFoundError:
            pass
        create_file_at(description_fd, "icon.png", icon, "addon", 0o644)
        return True
    finally:
        os.close(description_fd)


@tool("oca_gen_requirements", family="oca", risk=Risk.WRITE, args=RepoArgs, idempotent=True)
def oca_gen_requirements(args: RepoArgs, call: Call) -> dict[str, Any]:
    """Write a repository's requirements.txt from its addons' manifest external_dependencies (python);
    never runs setup.py or a build backend. Pip options and URLs are refused and listed."""
    with open_repo(call, args.mode, args.instance, args.repo) as (path, repo_fd):
        rows, problems = _addons(repo_fd)
        result = oca_gen.requirements(rows)
        existing = read_text(repo_fd, "requirements.txt", "repo")
        removed = changed = False
        if result.text is not None:
            changed = replace_file(repo_fd, "requirements.txt", result.text.encode(), "repo")
        elif existing is not None and existing.startswith(oca_gen.REQUIREMENTS_HEADER):
            os.unlink("requirements.txt", dir_fd=repo_fd)  # ours, and now empty: removed as upstream does
            removed = True
    lines = [line for line in (result.text or "").splitlines() if line and not line.startswith("#")]
    return {"repo": args.repo, "path": str(path / "requirements.txt"), "requirements": lines, "changed": changed,
            "removed": removed, "refused": result.refused, "problems": problems}


class ChangelogArgs(OcaCommonArgs):
    repo: RepoName
    addon: ModuleName


@tool("oca_changelog", family="oca", risk=Risk.DESTRUCTIVE, args=ChangelogArgs)
def oca_changelog(args: ChangelogArgs, call: Call) -> dict[str, Any]:
    """Build the addon's readme/HISTORY.rst entry from readme/newsfragments/ (towncrier's conventions) and
    consume the fragments it used, as oca-towncrier does; other files there are left alone."""
    with open_repo(call, args.mode, args.instance, args.repo) as (_path, repo_fd), \
            _addon(repo_fd, args.addon) as (addon_fd, manifest):
        readme_fd = ensure_dir(addon_fd, ("readme",), "addon")
        try:
            try:
                news_fd = walk(readme_fd, ["newsfragments"], "addon")
            except RootRefused:
                return {"repo": args.repo, "addon": args.addon, "version": manifest.version, "consumed": [],
                        "written": False, "message": "no readme/newsfragments folder: nothing to do"}
            try:
                fragments: dict[str, str] = {}
                identities: dict[str, tuple[int, int]] = {}
                for name in list_names(news_fd):
                    if oca_gen.fragment_kind(name) is None:
                        continue
                    text = read_text(news_fd, name, "addon", 64 * 1024)
                    if text is not None:
                        fragments[name] = text
                        st = os.stat(name, dir_fd=news_fd, follow_symlinks=False)
                        identities[name] = (st.st_dev, st.st_ino)
                if not fragments:
                    return {"repo": args.repo, "addon": args.addon, "version": manifest.version, "consumed": [],
                            "written": False, "message": "no news fragments: nothing to do"}
                entry = oca_gen.changelog_entry(manifest.version, fragments, dt.datetime.now(dt.UTC).date())
                history = read_text(readme_fd, "HISTORY.rst", "addon") or ""
                replace_file(readme_fd, "HISTORY.rst", oca_gen.prepend_history(history, entry).encode(), "addon")
                for name, identity in identities.items():
                    remove_if_same(news_fd, name, identity)
            finally:
                os.close(news_fd)
        finally:
            os.close(readme_fd)
    return {"repo": args.repo, "addon": args.addon, "version": manifest.version, "consumed": sorted(fragments),
            "written": True, "entry": entry}


class FixWebsiteArgs(OcaCommonArgs):
    repo: RepoName
    url: str = WebsiteUrl


@tool("oca_fix_website", family="oca", risk=Risk.WRITE, args=FixWebsiteArgs, idempotent=True)
def oca_fix_website(args: FixWebsiteArgs, call: Call) -> dict[str, Any]:
    """Set the website key of every addon manifest in a repository (added where missing); each edit is
    made on the parsed manifest and must parse back, else that manifest is left untouched."""
    changed, unchanged, problems = [], [], {}
    with open_repo(call, args.mode, args.instance, args.repo) as (_path, repo_fd):
        for name, manifest in _addons(repo_fd)[0]:
            if manifest.website == args.url:
                unchanged.append(name)
                continue
            fd = walk(repo_fd, [name], "repo")
            try:
                text = read_text(fd, MANIFEST, "repo", 256 * 1024) or ""
                try:
                    new = oca_gen.set_manifest_key(text, "website", args.url)
                except oca_gen.ManifestEditError as exc:
                    problems[name] = str(exc)
                    continue
                replace_file(fd, MANIFEST, new.encode(), "repo")
                changed.append(name)
            finally:
                os.close(fd)
        problems.update(_addons(repo_fd)[1])
    return {"repo": args.repo, "url": args.url, "changed": changed, "unchanged": unchanged, "problems": problems}
