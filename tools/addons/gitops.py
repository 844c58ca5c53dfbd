"""Running git without a shell and without ever putting a token in argv, a URL or `.git/config`.

The token travels as an HTTP header in git's *environment* configuration
(`GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n`, git ≥ 2.31), scoped to the
configured source's host, so it is sent to that host only and is not written anywhere.
The environment of the child is rebuilt from a short allow-list (no inherited `GIT_*`),
hooks and fsmonitor are disabled (a checkout's own config must not run programs), and
prompts are off. Every value that reaches argv is a validated name placed after `--`
where git allows it. Output is scrubbed of the token before anyone sees it.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from tools.addons.errors import GitFailure

_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "NO_PROXY")


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
    configs: list[tuple[str, str]] = [
        ("core.hooksPath", "/dev/null"),
        ("core.fsmonitor", "false"),
        ("protocol.ext.allow", "never"),
        ("credential.helper", ""),
        ("advice.detachedHead", "false"),
    ]
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
) -> str:
    """Run `git args…` (no shell); return stdout, or raise `GitFailure` with scrubbed stderr."""
    child_env = git_env(env, source, token)
    if cwd is not None:
        # Never let git climb to a repository above the checkout (e.g. the project's own).
        child_env["GIT_CEILING_DIRECTORIES"] = str(Path(cwd).parent)
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


def is_repo_root(path: Path) -> bool:
    """True only for the top of a checkout (its own `.git`), never a folder inside another repo."""
    return (path / ".git").exists()


def head(path: Path, env: Mapping[str, str]) -> dict[str, str]:
    sha = run_git(["rev-parse", "HEAD"], env=env, cwd=path).strip()
    branch = run_git(["rev-parse", "--abbrev-ref", "HEAD"], env=env, cwd=path).strip()
    return {"commit": sha, "branch": branch}
