"""The real server plus one test tool, `guard_echo`, started as `python -m tests.echo_server`.

The guard's behaviour (conditions of every op, path arguments, limits) is easiest to
show on a tool whose arguments cover every JSON type and which simply returns them;
`guard_wait` is a slow call (concurrency, cancellation).
It is registered through the same `build_guard` path as every product tool.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import anyio
from pydantic import Field

from guard.spec import Call, PathArg, Risk, ToolArgs, ToolFailure, ToolSpec
from odoo_mcp.cli import refuse_to_start, run_server
from odoo_mcp.config import ConfigError, Settings


class EchoArgs(ToolArgs):
    text: str | None = None
    amount: float | None = None
    count: Annotated[int, Field(ge=0, le=1000)] = 0
    tags: list[str] = Field(default_factory=list)
    values: dict[str, Any] = Field(default_factory=dict)
    secret_token: str | None = None
    save_path: Annotated[str | None, PathArg("files")] = None
    fail: bool = False
    crash: bool = False


def guard_echo(args: EchoArgs, call: Call) -> dict[str, Any]:
    """Return the arguments (test tool); with save_path, write `text` there exclusively."""
    if args.fail:
        raise ToolFailure("asked to fail")
    if args.crash:
        raise RuntimeError("secret internal detail")
    if args.save_path is not None:
        with open(call.paths["save_path"], "x", encoding="utf-8") as handle:
            handle.write(args.text or "")
    data = args.model_dump(exclude={"secret_token"})
    data["grant"] = call.caller.grant
    return data


ECHO = ToolSpec(
    name="guard_echo",
    family="test",
    risk=Risk.WRITE,
    args=EchoArgs,
    handler=guard_echo,
    description=guard_echo.__doc__ or "",
)


class WaitArgs(ToolArgs):
    seconds: Annotated[float, Field(ge=0, le=120)] = 0


async def guard_wait(args: WaitArgs, call: Call) -> dict[str, Any]:
    """Wait `seconds` on the event loop, then answer (test tool: a slow call, cancellable)."""
    await anyio.sleep(args.seconds)
    return {"waited": args.seconds}


WAIT = ToolSpec(
    name="guard_wait",
    family="test",
    risk=Risk.READ,
    args=WaitArgs,
    handler=guard_wait,
    description=guard_wait.__doc__ or "",
)


def main() -> int:
    try:
        settings = Settings.load()
    except ConfigError as exc:
        return refuse_to_start(exc)
    return run_server(settings, extra_specs=[ECHO, WAIT])


if __name__ == "__main__":
    sys.exit(main())
