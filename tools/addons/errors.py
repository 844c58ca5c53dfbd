"""The addons tools' own refusals (`[CONFLICT]`, `[GIT ERROR]`), declared with every other tag in
`guard/refusals.py` and named here for the addons modules."""

from __future__ import annotations

from guard.refusals import Conflict, GitFailure

__all__ = ["Conflict", "GitFailure"]
