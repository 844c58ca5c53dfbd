"""Running git without a shell and without ever putting a token in argv, a URL or `.git/config`.

The token travels as an HTTP header in git's *environment* configuration
(`GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n`, git ≥ 2.31), scoped to the
configured source's host, so it is sent to that host only and is not written anywhere.
The environment of the child is rebuilt from a short allow-list (no inherited `GIT_*`),
and prompts are off. Every value that reaches argv is a validated name placed after `--`
where git allows it. Output is scrubbed of the token before anyone sees it.

A checkout's own `.git/config` must never run a program (issue 9: `remote.origin.uploadpack`
ran during `oca_update`). Three layers, because git has many such keys:
1. overrides given through the environment for every git call (they beat the repository's
   config): hooks off, fsmonitor off, `core.sshCommand=ssh`, no pager/editor/askpass/proxy
   command, no credential helper, and an allow-list of transports (`protocol.allow=never`;
   https, http, ssh and file only; never `ext::`);
2. `--upload-pack=git-upload-pack` on every clone/fetch/ls-remote (argv beats any config);
3. before git runs in an existing checkout, its repository-scope config is listed (reading
   it runs nothing) and any key that can run a program or move git's paths (filters, diff
   and merge drivers, `*.uploadpack`, `remote.*.vcs`, `core.worktree`, includes, URL
   rewrites, `http.*`…) makes the call refuse with `[CONFLICT]`, naming the keys.
"""

from __future__ import annotations

import base64
import fnmatch
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from tools.addons.errors import GitFailure

_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "NO_PROXY")


SAFE_OVERRIDES: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.sshCommand", "ssh"),
    ("core.gitProxy", ""),
    ("core.askPass", ""),
    ("core.pager", "cat"),
    ("core.editor", "true"),
    ("core.alternateRefsCommand", ""),
    ("credential.helper", ""),
    ("protocol.allow", "never"),
    ("protocol.https.allow", "always"),
    ("protocol.http.allow", "always"),
    ("protocol.ssh.allow", "always"),
    ("protocol.file.allow", "always"),
    ("protocol.ext.allow", "never"),
    ("uploadpack.packObjectsHook", ""),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("advice.detachedHead", "false"),
)
"""Config given to every git call through the environment: it takes precedence over the repository's."""

UPLOAD_PACK = "--upload-pack=git-upload-pack"
"""On every clone/fetch/ls-remote: argv beats `remote.<name>.uploadpack` in any config."""

UNSAFE_CONFIG = (
    "core.fsmonitor", "core.hookspath", "core.sshcommand", "core.gitproxy", "core.askpass", "core.pager",
    "core.editor", "core.worktree", "core.alternaterefscommand", "*.uploadpack", "*.receivepack",
    "remote.*.vcs", "remote.*.proxy", "filter.*", "diff.external", "diff.*.command", "diff.*.textconv",
    "merge.*.driver", "credential.*", "include.*", "includeif.*", "url.*", "gpg.*", "sequence.editor",
    "pager.*", "ssh.*", "http.*", "protocol.*", "uploadpack.*", "uploadarchive.*", "safe.*", "extensions.*",
    "submodule.*.update", "interactive.difffilter", "web.browser", "browser.*",
)
"""Repository-scope config keys (lowercased, fnmatch) that can run a program or move git's paths.

`extensions.objectformat` is the one extension a normal checkout may carry (sha256 repos).
"""

_SAFE_EXTENSIONS = frozenset({"extensions.objectformat"})


def unsafe_config_keys(listing: str) -> list[str]:
    """Keys of `git config --list --name-only --show-scope` output, from the repository's own
    config (scopes local/worktree), that can run a program or redirect git's paths."""
    found: list[str] = []
    for line in listing.splitlines():
        scope, _, key = line.partition("\t")
        key = key.strip().lower()
        if scope not in {"local", "worktree"} or not key or key in _SAFE_EXTENSIONS:
            continue
        if any(fnmatch.fnmatchcase(key, pattern) for pattern in UNSAFE_CONFIG) and key not in found:
            found.append(key)
    return found


def auth_header(token: str) -> str:
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return f"Authorization: Basic {basic}"


def git_env(env: Mapping[str, str], source: str | None, token: str | None) -> dict[str, str]:
    """The child's environment: allow-listed variables plus git config given through env."""
    child = {key: env[key] for key in _PASSED_ENV if env.get(key)}
    child.setdefault("PATH", os.defpath)
    child["GIT_TERMINAL_PROMPT"] = "0"
    child["GIT_ASKPASS"] = "true"  # answer any prompt with nothing rather than wait
    child["GIT_CONFIG_NOSYSTEM"] = "1"
    configs: list[tuple[str, str]] = [*SAFE_OVERRIDES]
    if token and source:
        parts = urlsplit(source)
        if parts.scheme in {"https", "http"} and parts.hostname:
            port = f":{parts.port}" if parts.port else ""
            scope = f"{parts.scheme}://{parts.hostname}{port}/"
            configs.append((f"http.{scope}.extraHeader", auth_header(token)))
    child["GIT_CONFIG_COUNT"] = str(len(configs))
    for index, (key, value) in enumerate(configs):
        child[f"GIT_CONFIG_KEY_{index}"] = key
        child[f"GIT_CONFIG_VALUE_{index}"] = value
    return child


def scrub(text: str, token: str | None) -> str:
    """Remove the token (and its header form) from git's output."""
    if token:
        text = text.replace(auth_header(token).split(" ", 2)[2], "***").replace(token, "***")
    return text


def run_git(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    source: str | None = None,
    token: str | None = None,
    timeout: float = 600,
    ceiling: Path | None = None,
) -> str:
    """Run `git args…` (no shell); return stdout, or raise `GitFailure` with scrubbed stderr.

    `cwd` may be a `/proc/<pid>/fd/<n>` path (a folder opened by descriptor): then `ceiling`
    names the real folder above it, so git never climbs to a repository above the checkout.
    """
    child_env = git_env(env, source, token)
    if cwd is not None or ceiling is not None:
        # Never let git climb to a repository above the checkout (e.g. the project's own).
        child_env["GIT_CEILING_DIRECTORIES"] = str(ceiling if ceiling is not None else Path(cwd).parent)
    git = shutil.which("git", path=child_env["PATH"])
    if git is None:
        raise GitFailure("git is not installed on the server")
    try:
        done = subprocess.run(
            [git, *args],
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitFailure(f"git {args[0]} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        message = scrub((done.stderr or done.stdout).strip(), token)
        lines = [line for line in message.splitlines() if line.strip()][-3:]
        raise GitFailure(f"git {args[0]} failed: {' | '.join(lines) or f'exit {done.returncode}'}")
    return scrub(done.stdout, token)


def head(path: Path | str, env: Mapping[str, str], ceiling: Path | None = None) -> dict[str, str]:
    """The checked-out commit and branch ("HEAD" when detached), in one git call."""
    lines = run_git(["rev-parse", "HEAD", "--abbrev-ref", "HEAD"], env=env, cwd=Path(path), ceiling=ceiling).split()
    if len(lines) != 2:
        raise GitFailure(f"git rev-parse gave an unexpected answer ({len(lines)} lines)")
    return {"commit": lines[0], "branch": lines[1]}
