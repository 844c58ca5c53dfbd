"""One source for module-name and alias rules: every layer accepts and refuses the same names."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from odoo_client.errors import ConfigError
from odoo_client.names import is_alias, is_module_name
from odoo_client.settings import ConnectionConfig
from tools.addons.index import MODULE_NAME_RE
from tools.addons.names import ModuleName as AddonsModuleName
from tools.odoo_kit import ConnectionName
from tools.odoo_kit import ModuleName as OdooModuleName

MODULES = [
    ("account_reports", True), ("l10n_be", True), ("a", True), ("x" * 100, True),
    ("_private", False), ("x" * 101, False), ("Sale", False), ("sale-x", False), ("../etc", False),
    ("sale\n", False), ("", False), ("sąle", False),
]
ALIASES = [
    ("default", True), ("prod-1.eu_2", True), ("x" * 64, True),
    ("x" * 65, False), ("a b", False), ("é", False), ("a/b", False), ("a\n", False),
]


def accepts(adapter: TypeAdapter, value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("name", "ok"), MODULES)
def test_module_names_are_judged_alike_everywhere(name, ok):
    assert is_module_name(name) is ok
    assert bool(MODULE_NAME_RE.fullmatch(name)) is ok  # the manifest scanner
    assert accepts(TypeAdapter(AddonsModuleName), name) is ok  # ee_/oca_ tools
    assert accepts(TypeAdapter(OdooModuleName), name) is ok  # odoo_module_* tools


@pytest.mark.parametrize(("alias", "ok"), ALIASES)
def test_aliases_are_judged_alike_everywhere(alias, ok):
    assert is_alias(alias) is ok
    assert accepts(TypeAdapter(ConnectionName), alias) is ok  # the tools' `connection` argument
    config = ConnectionConfig(alias=alias, url="http://127.0.0.1:8069", db="d", username="u", password="p")
    if ok:
        config.check("CONNECTIONS_FILE")
    else:
        with pytest.raises(ConfigError, match="alias"):
            config.check("CONNECTIONS_FILE")
