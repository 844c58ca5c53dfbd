"""Guarded mounts: other MCP servers' tools, exposed as `NAME__tool` behind this server's guard.

`serve --mount NAME=COMMAND…` starts another MCP server over stdio (`NAME=http(s)://…/mcp`
connects to a streamable-HTTP one instead); a mounts file (`--mounts FILE`,
`ODOO_MCP_MOUNTS`) does the same for several:

    {"mounts": {
        "cf":  {"command": ["npx", "-y", "@cloudflare/mcp-server-cloudflare"], "env": {"CF_ACCOUNT": "…"},
                "inherit": ["CF_TOKEN"]},
        "s3":  {"url": "http://127.0.0.1:9100/mcp"}
    }}

A started mount gets a small environment (`SAFE_ENV`: PATH, HOME, the locale…), the server's
variables its entry names in `inherit`, and its `env` values — never the rest of the server's
environment (`ODOO_PASSWORD`, the approval key, tokens).

The real `mcp` client connects at start-up, lists the mounted server's tools and keeps the
connection for the server's lifetime. Each tool becomes a `ToolSpec` wrapped by the same
`Guard.wrap` as every native tool, so policy, hiding, limits, approvals, shadow mode and the
audit apply unchanged. Its arguments are validated against the mounted tool's own input schema
(`jsonschema`) before anything is forwarded; its risk class comes from the tool's annotations
(`destructiveHint: true` → destructive, even next to `readOnlyHint`; else `readOnlyHint` → read,
`destructiveHint: false` → write, otherwise destructive — MCP's own default; no annotations at
all → `unknown`, which `policy init` treats as destructive).

A mount that does not start (command not found, no handshake within the timeout, a listing
that fails) is reported on stderr and in the audit (`mount_failed`), and its tools are absent;
the server starts anyway. So does one whose listing is partly unusable: a tool listed twice,
a prefixed name two mounts offer (`a_` + `b` and `a` + `_b`), a schema the guard will not run
(`odoo_mcp/mounted_schema.py`) — those tools are left out and reported (`skipped` in
`mount_started`), the rest are served. A mount that dies later answers `[MOUNT UNAVAILABLE]`.

What a mount answers is its own words, never the guard's: every answer starts with
`[mounted from NAME] ` (`marker`), so `[POLICY DENIED]` or `[APPROVAL PENDING] ap_…` sent by a
mount cannot pass for the guard's; and no more than the read cap (`ODOO_MCP_MAX_ANSWER_CHARS`)
of it is passed on, with a line saying what was cut.

The clients live on their own event loop in one thread: `serve` runs the MCP transport on a
loop it creates itself, and a client must be opened and closed on the loop it runs on. Calls
cross over with `run_coroutine_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import referencing.exceptions
from pydantic import ConfigDict, model_validator

from foundation.env import positive_int
from guard.refusals import MountedToolError, MountUnavailable
from guard.spec import Call, Risk, ToolArgs, ToolFailure, ToolSpec
from odoo_mcp import mounted_schema
from odoo_mcp.config import ConfigError, read_json_file
from odoo_mcp.mounted_schema import UnusableSchema
from tools.odoo_kit.sensitive import MAX_ANSWER_CHARS

NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
"""A mounted tool's own name (MCP's advice for tool names): anything else is left out."""
SEPARATOR = "__"
START_TIMEOUT = 20.0
CAP_VARIABLE = "ODOO_MCP_MAX_ANSWER_CHARS"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SAFE_ENV = ("HOME", "USER", "LOGNAME", "SHELL", "PATH", "TERM", "TMPDIR", "TZ", "LANG", "LANGUAGE", "LC_ALL",
            "LC_CTYPE", "LC_MESSAGES")  # fmt: skip
"""What a started mount gets of the server's environment without asking: where and who it runs as,
its terminal, time zone and language. Nothing else (no `ODOO_PASSWORD`, no approval key, no tokens)."""


@dataclass(frozen=True)
class MountConfig:
    name: str
    command: tuple[str, ...] = ()
    url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    inherit: tuple[str, ...] = ()
    """Names of the server's environment variables the mounted process also gets (when set)."""


def _check_name(name: str, where: str) -> None:
    if not NAME.match(name) or SEPARATOR in name:
        raise ConfigError(f"{where}: mount name {name!r} must be lowercase letters, digits, '_' (no '__')")


def parse_mount(text: str) -> MountConfig:
    """`NAME=COMMAND ARGS…` (stdio) or `NAME=http(s)://…` (streamable HTTP)."""
    name, sep, target = text.partition("=")
    name, target = name.strip(), target.strip()
    if not sep or not target:
        raise ConfigError(f"--mount {text!r}: expected NAME=COMMAND or NAME=URL")
    _check_name(name, "--mount")
    if target.startswith(("http://", "https://")):
        return MountConfig(name, url=target)
    try:
        command = tuple(shlex.split(target))
    except ValueError as exc:
        raise ConfigError(f"--mount {name}: {exc}") from None
    return MountConfig(name, command=command)


def read_mounts_file(path: Path) -> list[MountConfig]:
    document = read_json_file(path, "mounts file")
    mounts = document.get("mounts") if isinstance(document, dict) else None
    if not isinstance(mounts, dict):
        raise ConfigError(f'mounts file {path}: expected {{"mounts": {{"<name>": {{"command": [...]}}}}}}')
    found = []
    for name, entry in mounts.items():
        where = f"mounts file {path}: mounts.{name}"
        _check_name(name, where)
        if not isinstance(entry, dict) or set(entry) - {"command", "url", "env", "inherit"}:
            raise ConfigError(f"{where}: expected an object with command (a list) or url, and optional env, inherit")
        command, url, env = entry.get("command"), entry.get("url"), entry.get("env") or {}
        inherit = entry.get("inherit") or []
        if (command is None) == (url is None):
            raise ConfigError(f"{where}: give command or url (one of them)")
        if command is not None and (
            not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command)
        ):
            raise ConfigError(f"{where}.command: must be a non-empty list of strings")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise ConfigError(f"{where}.url: must be an http(s) URL")
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise ConfigError(f"{where}.env: must map names to strings")
        if not isinstance(inherit, list) or not all(isinstance(n, str) and ENV_NAME.match(n) for n in inherit):
            raise ConfigError(f"{where}.inherit: must be a list of environment variable names")
        if url is not None and (env or inherit):
            raise ConfigError(f"{where}: env and inherit are for a started command, not a url")
        found.append(MountConfig(name, tuple(command or ()), url, dict(env), tuple(inherit)))
    return found


def risk_of(annotations: Any) -> tuple[Risk, str]:
    """(the guard's risk class, the label `policy init` reads: read/write/destructive/unknown).

    A tool that says it is destructive is destructive, whatever else it says: a `readOnlyHint`
    next to `destructiveHint: true` contradicts itself, and the stricter reading wins."""
    if annotations is None:
        return Risk.DESTRUCTIVE, "unknown"
    if getattr(annotations, "destructive_hint", None) is True:
        return Risk.DESTRUCTIVE, "destructive"
    if getattr(annotations, "read_only_hint", None):
        return Risk.READ, "read"
    if getattr(annotations, "destructive_hint", None) is False:
        return Risk.WRITE, "write"
    return Risk.DESTRUCTIVE, "destructive"


def _problem(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path) or "(arguments)"
    if error.validator == "additionalProperties":
        return f"{path}: {error.message}"
    if error.validator == "required":
        return f"{path}: {error.message}"
    return f"{path}: {error.message[:200]}"


def args_model(schema: Mapping[str, Any], tool: str) -> type[ToolArgs]:
    """A pass-through argument model that validates against the mounted tool's JSON Schema.

    UnusableSchema when the schema cannot be used safely (`mounted_schema.check`): the tool is then
    left out at mount time, with the reason."""
    schema = dict(schema) if isinstance(schema, Mapping) else {"type": "object"}
    validator = mounted_schema.validator(schema)

    class MountedArgs(ToolArgs):
        model_config = ConfigDict(extra="allow")

        @model_validator(mode="before")
        @classmethod
        def _schema(cls, data: Any) -> Any:
            try:
                errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
            except referencing.exceptions.Unresolvable as exc:  # a `#…` pointer to nothing: never fetched
                raise ValueError(
                    f"(arguments): the tool's schema has a reference that cannot be resolved ({exc})"
                ) from None
            if errors:
                raise ValueError("; ".join(dict.fromkeys(_problem(e) for e in errors[:5])))
            return data

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return dict(schema)

    MountedArgs.__name__ = f"{tool}Args"
    return MountedArgs


@dataclass
class MountedTool:
    mount: str
    name: str
    risk_label: str
    spec: ToolSpec
    remote: str = ""
    """The tool's name on the mounted server."""


class Mounts:
    """The running mounts: their clients on a private event loop, and their tools as `ToolSpec`s."""

    def __init__(
        self, configs: Sequence[MountConfig], *, timeout: float = START_TIMEOUT, env: Mapping[str, str] | None = None
    ) -> None:
        names = [config.name for config in configs]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            raise ConfigError(f"mount {duplicate!r} is configured twice")
        self.configs = list(configs)
        self.timeout = timeout
        self.env: Mapping[str, str] = os.environ if env is None else env
        """The server's environment: the answer cap is read from it (and nothing else of it reaches a mount)."""
        self.max_chars = answer_cap(self.env)
        self.tools: list[MountedTool] = []
        self.failed: dict[str, str] = {}
        self.skipped: dict[str, dict[str, str]] = {}
        """Per mount, the tools left out at start (listed twice, a name collision, an unusable schema) and why."""
        self._clients: dict[str, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._holders: list[Any] = []

    @property
    def names(self) -> list[str]:
        return [config.name for config in self.configs]

    def specs(self) -> list[ToolSpec]:
        return [tool.spec for tool in self.tools]

    def start(self) -> None:
        """Connect every mount (each within `timeout`); a failure is recorded, never raised."""
        if not self.configs:
            return
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mounts", daemon=True)
        self._thread.start()
        self._stop = asyncio.run_coroutine_threadsafe(self._make_event(), self._loop).result()
        for config in self.configs:
            ready: Any = asyncio.run_coroutine_threadsafe(self._open(config), self._loop)
            try:
                listed = ready.result(self.timeout)
            except BaseException as exc:
                ready.cancel()
                self.failed[config.name] = _describe(exc)
                continue
            self._add_tools(config.name, listed)
        self._drop_collisions()

    def _add_tools(self, mount: str, listed: Sequence[Any]) -> None:
        """The mount's tools the guard can serve; each one it cannot is left out, with the reason."""
        skipped = self.skipped.setdefault(mount, {})
        names = [tool.name for tool in listed]
        for tool in listed:
            if names.count(tool.name) > 1:
                skipped[tool.name] = "listed twice by the mounted server"
            elif not isinstance(tool.name, str) or not TOOL_NAME.match(tool.name):
                skipped[str(tool.name)[:80]] = "not a tool name (letters, digits, '_', '-', '.'; at most 64)"
            else:
                try:
                    self.tools.append(self._tool(mount, tool))
                except UnusableSchema as exc:
                    skipped[tool.name] = str(exc)

    def _drop_collisions(self) -> None:
        """Two mounts offering one prefixed name (`a_` + `b`, `a` + `_b`): neither is served."""
        owners: dict[str, list[MountedTool]] = {}
        for tool in self.tools:
            owners.setdefault(tool.name, []).append(tool)
        for name, tools in owners.items():
            if len(tools) > 1:
                mounts = " and ".join(dict.fromkeys(tool.mount for tool in tools))
                for tool in tools:
                    self.skipped[tool.mount][tool.remote] = f"{name} is offered by mounts {mounts}"
        self.tools = [tool for tool in self.tools if len(owners[tool.name]) == 1]

    async def _make_event(self) -> asyncio.Event:
        return asyncio.Event()

    async def _open(self, config: MountConfig) -> list[Any]:
        ready: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        holder = asyncio.ensure_future(self._hold(config, ready))
        self._holders.append(holder)
        return await asyncio.wait_for(ready, self.timeout)

    async def _hold(self, config: MountConfig, ready: asyncio.Future[list[Any]]) -> None:
        """Open the client, list its tools, then keep it open until the server stops."""
        from mcp import Client  # the MCP client (~0.85 s with its transports): only when a mount starts

        try:
            async with Client(_transport(config, self.env), read_timeout_seconds=60) as client:
                tools = (await client.list_tools()).tools
                self._clients[config.name] = client
                ready.set_result(list(tools))
                assert self._stop is not None
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(_describe(exc)))
            else:
                print(f"odoo-mcp: mount {config.name} stopped: {_describe(exc)}", file=sys.stderr)
        finally:
            self._clients.pop(config.name, None)

    def _tool(self, mount: str, tool: Any) -> MountedTool:
        risk, label = risk_of(tool.annotations)
        name = f"{mount}{SEPARATOR}{tool.name}"
        remote = tool.name

        async def handler(args: ToolArgs, call: Call) -> Any:
            return await self.call(mount, remote, args.model_dump(mode="json"))

        spec = ToolSpec(
            name=name,
            family=f"mount:{mount}",
            risk=risk,
            args=args_model(tool.input_schema, name),
            handler=handler,
            description=marked(mount, tool.description or tool.name),
            idempotent=bool(getattr(tool.annotations, "idempotent_hint", False)),
            open_world=bool(getattr(tool.annotations, "open_world_hint", True)),
        )
        return MountedTool(mount, name, label, spec, remote)

    async def call(self, mount: str, tool: str, arguments: dict[str, Any]) -> Any:
        """Forward one validated call to the mounted server (from the serving loop)."""
        client = self._clients.get(mount)
        if client is None or self._loop is None:
            raise MountUnavailable(f"{mount}: the mounted server is not running", before_effect=True)  # quota back
        future = asyncio.run_coroutine_threadsafe(client.call_tool(tool, arguments), self._loop)
        try:
            result = await asyncio.wrap_future(future)
        except ToolFailure:
            raise
        except Exception as exc:
            raise MountUnavailable(f"{mount}: {_describe(exc)}") from None
        text = "\n".join(getattr(block, "text", "") for block in result.content if getattr(block, "type", "") == "text")
        if result.is_error:
            raise MountedToolError(f"{mount}: {self._capped(text or 'the mounted tool reported an error')}")
        if not text and result.structured_content is not None:
            text = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
        return marked(mount, self._capped(text))

    def _capped(self, text: str) -> str:
        """At most `max_chars` of a mounted answer, and a line saying what was cut (the call ran)."""
        if len(text) <= self.max_chars:
            return text
        return (
            f"{text[: self.max_chars]}\n[cut: the mounted answer was {len(text)} characters; "
            f"this server passes at most {self.max_chars} ({CAP_VARIABLE})]"
        )

    def close(self) -> None:
        if self._loop is None:
            return
        loop, stop = self._loop, self._stop
        if stop is not None:
            loop.call_soon_threadsafe(stop.set)

        async def drain() -> None:
            if self._holders:
                await asyncio.wait(self._holders, timeout=5)

        with contextlib.suppress(Exception):  # closing is best effort: the process is ending
            asyncio.run_coroutine_threadsafe(drain(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None


def answer_cap(env: Mapping[str, str]) -> int:
    """The server's read cap (`ODOO_MCP_MAX_ANSWER_CHARS`, as for Odoo reads): the most characters of
    a mounted answer passed on. A value that is not a positive integer stops the start."""
    return positive_int(env, CAP_VARIABLE, MAX_ANSWER_CHARS)


def marker(mount: str) -> str:
    """What every mounted answer starts with. The guard's own answers start with an upper-case tag
    (`[POLICY DENIED]`, `[APPROVAL PENDING] ap_…`, guard/refusals.py); a mount's text comes after
    this fixed, lower-case marker, so a mount cannot answer in the guard's voice."""
    return f"[mounted from {mount}] "


def marked(mount: str, text: str) -> str:
    """A mounted answer as the agent reads it: the mount's marker, then the mount's text as sent."""
    return marker(mount) + text


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _describe(exc.exceptions[0])
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "no answer within the start-up timeout"
    return f"{type(exc).__name__}: {exc}"[:300]


def mount_environment(config: MountConfig, server_env: Mapping[str, str]) -> dict[str, str]:
    """A started mount's whole environment: `SAFE_ENV` and the `inherit` names taken from the server's
    environment, then the mount's own `env` values. The server's secrets are not in it unless named."""
    names = (*SAFE_ENV, *config.inherit)
    return {**{name: server_env[name] for name in names if name in server_env}, **config.env}


def _transport(config: MountConfig, server_env: Mapping[str, str]) -> Any:
    if config.url:
        from mcp.client.streamable_http import streamable_http_client  # as above: only for a mount

        return streamable_http_client(config.url)
    from mcp.client.stdio import StdioServerParameters, stdio_client  # as above: only for a mount

    # the SDK adds its own safe set (HOME, LOGNAME, PATH, SHELL, TERM, USER) under these: all in SAFE_ENV
    env = mount_environment(config, server_env)
    params = StdioServerParameters(command=config.command[0], args=list(config.command[1:]), env=env)
    return stdio_client(params, errlog=sys.stderr)


def mount_configs(flags: Sequence[str], file: str | None) -> list[MountConfig]:
    """`--mount` flags, then the mounts file's entries."""
    configs = [parse_mount(flag) for flag in flags]
    if file:
        configs += read_mounts_file(Path(file).expanduser())
    return configs


def report_mounts(mounts: Mounts, audit: Any) -> None:
    """Each mount's outcome on stderr and in the audit: its tools, or why it is absent."""
    for name in mounts.names:
        if name in mounts.failed:
            print(f"odoo-mcp: mount {name} did not start, its tools are absent: {mounts.failed[name]}", file=sys.stderr)
            audit.record("mount_failed", mount=name, error=mounts.failed[name])
        else:
            tools = [tool.name for tool in mounts.tools if tool.mount == name]
            skipped = mounts.skipped.get(name, {})
            for tool, why in skipped.items():
                print(f"odoo-mcp: mount {name}: tool {tool} left out: {why}", file=sys.stderr)
            audit.record("mount_started", mount=name, tools=tools, skipped=skipped)
