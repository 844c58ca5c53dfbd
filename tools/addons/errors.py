"""Client-readable failures of the addons tools, beyond the guard's own tags.

A conflict is not an internal error nor a policy decision: the request was well formed and
allowed, but doing it would replace or shadow something that is already there. It gets its
own tag so an agent can tell "change your request" from "you may not".
"""

from __future__ import annotations

from guard.spec import ToolFailure


class Conflict(ToolFailure):
    """Linking/unlinking/deploying would replace, shadow or remove something not ours."""

    tag = "CONFLICT"

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        self.problems = dict(problems or {})
        if self.problems:
            detail = "; ".join(f"{name}: {why}" for name, why in sorted(self.problems.items()))
            message = f"{message} — {detail}"
        super().__init__(message)


class GitFailure(ToolFailure):
    """A git command failed; the message is git's own (token scrubbed), never a trace."""

    tag = "GIT ERROR"
