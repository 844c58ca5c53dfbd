"""Tools that a real Odoo 18.0 / 19.0 refused or misread (issue 21), against the Odoo double over real HTTP.

Each test was written first and failed on the code as it was: the double now answers as Odoo does
(keyword arguments a method does not take, a singleton method called on several records, an HTML page
where a file was expected, the fields each version's models have), and the tools follow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.odoo_double import OdooDouble
from tests.sensitive_cases import call, in_process

pytestmark = pytest.mark.anyio
ALLOW_ALL = {"version": "1", "default": "allow"}


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=3) as running:
        yield running


def ok(result) -> dict:
    assert not result.is_error, result.text
    return json.loads(result.text)


def refused(result, needle: str) -> str:
    assert result.is_error and needle in result.text, result.text
    return result.text


# ---- odoo_web_export: export_data(self, fields_to_export), import_compat lives in the context ----


@pytest.mark.parametrize("import_compat", [False, True])
async def test_web_export_sends_only_what_export_data_takes(double, tmp_path, import_compat):
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        ok(await call(guard, "odoo_web_login", {}))
        exported = ok(await call(guard, "odoo_web_export", {"model": "res.partner", "fields": ["name", "type"],
                                                            "limit": 2, "import_compat": import_compat}))
        assert exported["records"] == 2 and len(exported["rows"]) == 2
        assert double.database.last_export_context.get("import_compat") is import_compat
