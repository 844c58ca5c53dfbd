"""Guarded mounts: other MCP servers' tools, exposed as `NAME__tool` behind this server's guard.

`serve --mount NAME=COMMAND…` starts another MCP server over stdio (`NAME=http(s)://…/mcp`
connects to a streamable-HTTP one instead); a mounts file (`--mounts FILE`,
`ODOO_MCP_MOUNTS`) does the same for several:

    {"mounts": {
        "cf":  {"command": ["npx", "-y", "@cloudflare/mcp-server-cloudflare"], "env": {"CF_TOKEN": "…"}},
        "s3":  {"url": "http://127.0.0.1:9100/mcp"}
    }}

The real `mcp` client connects at start-up, lists the mounted server's tools and keeps the
connection for the server's lifetime. Each tool becomes a `ToolSpec` wrapped by the same
`Guard.wrap` as every native tool, so policy, hiding, limits, approvals, shadow mode and the
audit apply unchanged. Its arguments are validated against the mounted tool's own input schema
(`jsonschema`) before anything is forwarded; its risk class comes from the tool's annotations
(`readOnlyHint` → read, `destructiveHint: false` → write, otherwise destructive — MCP's own
default; no annotations at all → `unknown`, which `policy init` treats as destructive).

A mount that does not start (command not found, no handshake within the timeout, a listing
that fails) is reported on stderr and in the audit (`mount_failed`), and its tools are absent;
the server starts anyway. A mount that dies later answers `[MOUNT UNAVAILABLE]`.

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
from pydantic import ConfigDict, model_validator

from guard.refusals import MountedToolError, MountUnavailable
from guard.spec import Call, Risk, ToolArgs, ToolFailure, ToolSpec
from odoo_mcp.config import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
SEPARATOR = "__"
START_TIMEOUT = 20.0


@dataclass(frozen=True)
class MountConfig:
    name: str
    command: tuple[str, ...] = ()
    url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


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
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"mounts file {path}: {exc}") from None
    mounts = document.get("mounts") if isinstance(document, dict) else None
    if not isinstance(mounts, dict):
        raise ConfigError(f'mounts file {path}: expected {{"mounts": {{"<name>": {{"command": [...]}}}}}}')
    found = []
    for name, entry in mounts.items():
        where = f"mounts file {path}: mounts.{name}"
        _check_name(name, where)
        if not isinstance(entry, dict) or set(entry) - {"command", "url", "env"}:
            raise ConfigError(f"{where}: expected an object with command (a list) or url, and optional env")
        command, url, env = entry.get("command"), entry.get("url"), entry.get("env") or {}
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
        found.append(MountConfig(name, tuple(command or ()), url, dict(env)))
    return found


def risk_of(annotations: Any) -> tuple[Risk, str]:
    """(the guard's risk class, the label `policy init` reads: read/write/destructive/unknown)."""
    if annotations is None:
        return Risk.DESTRUCTIVE, "unknown"
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
    """A pass-through argument model that validates against the mounted tool's JSON Schema."""
    schema = dict(schema) if isinstance(schema, Mapping) else {"type": "object"}
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = validator_class(schema)

    class MountedArgs(ToolArgs):
        model_config = ConfigDict(extra="allow")

        @model_validator(mode="before")
        @classmethod
        def _schema(cls, data: Any) -> Any:
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
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


class Mounts:
    """The running mounts: their clients on a private event loop, and their tools as `ToolSpec`s."""

    def __init__(self, configs: Sequence[MountConfig], *, timeout: float = START_TIMEOUT) -> None:
        names = [config.name for config in configs]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            raise ConfigError(f"mount {duplicate!r} is configured twice")
        self.configs = list(configs)
        self.timeout = timeout
        self.tools: list[MountedTool] = []
        self.failed: dict[str, str] = {}
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
            for tool in listed:
                self.tools.append(self._tool(config.name, tool))

    async def _make_event(self) -> asyncio.Event:
        return asyncio.Event()

    async def _open(self, config: MountConfig) -> list[Any]:
        ready: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        holder = asyncio.ensure_future(self._hold(config, ready))
        self._holders.append(holder)
        return await asyncio.wait_for(ready, self.timeout)

    async def _hold(self, config: MountConfig, ready: asyncio.Future[list[Any]]) -> None:
        """Open the client, list its tools, then keep it open until the server stops."""
        from mcp import Client

        try:
            async with Client(_transport(config), read_timeout_seconds=60) as client:
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
            description=f"[mounted from {mount}] {tool.description or tool.name}",
            idempotent=bool(getattr(tool.annotations, "idempotent_hint", False)),
            open_world=bool(getattr(tool.annotations, "open_world_hint", True)),
        )
        return MountedTool(mount, name, label, spec)

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
            raise MountedToolError(f"{mount}: {text or 'the mounted tool reported an error'}")
        if not text and result.structured_content is not None:
            return result.structured_content
        return text  # what a client of the mounted server would read

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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _describe(exc.exceptions[0])
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "no answer within the start-up timeout"
    return f"{type(exc).__name__}: {exc}"[:300]


def _transport(config: MountConfig) -> Any:
    if config.url:
        from mcp.client.streamable_http import streamable_http_client

        return streamable_http_client(config.url)
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=config.command[0], args=list(config.command[1:]), env={**os.environ, **config.env}
    )
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
            audit.record("mount_started", mount=name, tools=tools)
