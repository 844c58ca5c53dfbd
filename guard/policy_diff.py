"""What a new version of a policy changes, and whether it dropped what the old one said.

Live reload reads a file that someone may be rewriting. Any line prefix of an Intercept YAML
policy is a valid, looser policy: cut before `default` and every unlisted tool is allowed;
cut after `odoo_unlink:` and the tool is listed with nothing under it, so allowed unchecked.
The reloader waits for the file to stand still (`odoo_mcp.reload`); this module is the second
net: a new version that *leaves unsaid* something the old one said is refused, because that
is what a cut-off file looks like and a deliberate change can always be written out:

- `default`, written in the old policy, missing from the new one (Intercept's implied
  `allow`);
- `hide` or `all_tools`, written in the old policy, missing from the new one;
- a tool written with nothing under it (`odoo_unlink:` with no `rules`, the shape a cut leaves)
  where the policy in force checks or denies it — compared with the policy in force, whatever
  version that is, so a second cut after a first one is caught too; `rules: []` or `{}` written
  out is deliberate and accepted;
- a tool whose old entry had checks, now gone, where the new `default: allow` would let it
  run unchecked.

`changes` says, for the audit, which tools a swap newly allows, newly denies or checks
differently. Pure: two policies in, lists out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from guard.decisions import gate_tool
from guard.policy import WILDCARD, Policy, ToolRule

DROPPABLE = ("hide", "all_tools")
"""Top-level keys whose default (nothing hidden, no limit on every call) is looser than any value."""


def _has_checks(rule: ToolRule | None) -> bool:
    """An entry that does more than list the tool (an action, a condition, a limit, a rule)."""
    if rule is None:
        return False
    return bool(
        rule.action != "allow" or rule.require or rule.deny_if or rule.limits or rule.rate_limit or rule.rules
    )


def dropped(old: Policy, new: Policy) -> list[str]:
    """What the old policy said and the new one leaves to a looser default, one `path: why` line each."""
    problems: list[str] = []
    if "default" not in old.implied and "default" in new.implied:
        problems.append(
            f"default: the policy in force says {old.default!r}, the new file does not say it (so 'allow'): "
            "a file cut off while being written? Write default explicitly"
        )
    said = {"hide": bool(old.hide), "all_tools": bool(old.all_tools.limits)}
    for key in DROPPABLE:
        if said[key] and key not in new.model_fields_set:
            problems.append(f"{key}: the policy in force has it, the new file leaves it out")
    for implied in sorted(new.implied - {"default"}):
        name = implied.removeprefix("tools.")
        if _has_checks(old.tools.get(name)) or not gate_tool(old, name, known=True).allowed:
            problems.append(
                f"tools.{name}: written with nothing under it, which would allow it unchecked where the policy "
                "in force does not (a file cut off while being written? To mean it, write rules: [] explicitly)"
            )
    for name, rule in old.tools.items():
        if not _has_checks(rule):
            continue
        if name not in new.tools and name != WILDCARD and new.default == "allow" and not new.hides(name):
            problems.append(
                f"tools.{name}: gone, and default 'allow' would let it run unchecked where the policy in force "
                "has rules (to drop them, write the tool with rules: [] explicitly)"
            )
    return problems


@dataclass
class Changes:
    """Tools a swap newly allows or denies (the tool gate), and tools whose rules differ."""

    newly_allowed: list[str] = field(default_factory=list)
    newly_denied: list[str] = field(default_factory=list)
    rules_changed: list[str] = field(default_factory=list)


def changes(old: Policy, new: Policy, tools: Iterable[str] = ()) -> Changes:
    """Compare the tool gate of `old` and `new` on `tools` and every tool either policy names."""
    names = sorted({*tools, *old.tool_names(), *new.tool_names()})
    found = Changes()
    for name in names:
        before = gate_tool(old, name, known=True).allowed
        after = gate_tool(new, name, known=True).allowed
        if after and not before:
            found.newly_allowed.append(name)
        elif before and not after:
            found.newly_denied.append(name)
        elif after and (old.tools.get(name) != new.tools.get(name)):
            found.rules_changed.append(name)
    if old.tools.get(WILDCARD) != new.tools.get(WILDCARD):
        found.rules_changed.append(WILDCARD)
    return found
