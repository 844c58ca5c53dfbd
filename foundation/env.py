"""Reading settings from an environment mapping: the one reader, the one boolean parser, their error.

Every layer that takes settings from the environment (the server's `Settings`, the Odoo
connection settings, the addons family's settings) reads them through these functions, so a
variable is found the same way (our name first, upstream fallbacks after; blank means unset)
and `1/0, true/false, yes/no, on/off` mean the same everywhere. It lives at the bottom of the
layers (`foundation` imports nothing of ours) so that every layer above can use it. `ConfigError`
is its error, and the error of every setting that cannot be used (the Odoo client's tree names it
too: `odoo_client.errors.ConfigError` is this class).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ConfigError(ValueError):
    """A setting that cannot be used: the server refuses to start, naming the variable."""


TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def first_set(env: Mapping[str, str], *names: str) -> str | None:
    """The first non-empty variable among `names`, stripped; None when none is set."""
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return value
    return None


def parse_bool(value: Any, where: str) -> bool:
    """A boolean setting; anything but the words above is a `ConfigError` naming `where`."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ConfigError(f"{where}: {value!r} is not a boolean (1/0, true/false, yes/no, on/off)")


def positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    """A count setting: `default` when unset or empty; anything but a whole number ≥ 1 is a
    `ConfigError` naming the variable (a cap of 0 or "lots" must never mean "no cap")."""
    raw = env.get(name) or ""
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name}={raw!r} is not a positive integer")
    return value
