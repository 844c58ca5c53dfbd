"""odoo_client/connection.py against the Odoo double: re-login once, timeouts, read_group before Odoo 19.
Moved from tests/test_odoo_client.py (the report session's reopening: tests/test_odoo_client_web.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from odoo_client.errors import OdooFault, OdooUnreachable
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings
from tests.odoo_configs import env_for
from tests.odoo_double import OdooDouble

PROTOCOLS = ["jsonrpc", "xmlrpc", "json2"]


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=10) as running:
        yield running


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_dropped_session_logs_in_again_once(protocol, double):
    connection = OdooPool(OdooSettings.from_env(env_for(double, protocol))).get()
    assert connection.execute("res.partner", "search_count", [[]]) == 11
    assert connection.logins == 1
    double.behaviour.expire_calls = 1
    assert connection.execute("res.partner", "search_count", [[]]) == 11
    assert connection.logins == 2
    double.behaviour.expire_calls = 2
    with pytest.raises(OdooFault, match="SessionExpired"):
        connection.execute("res.partner", "search_count", [[]])
    connection.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_slow_server_times_out_with_a_clear_error(protocol, double):
    connection = OdooPool(OdooSettings.from_env(env_for(double, protocol, ODOO_TIMEOUT="0.3"))).get()
    connection.uid()
    double.behaviour.delay = 1.0
    with pytest.raises(OdooUnreachable, match=r"no answer within 0\.3 s"):
        connection.execute("res.partner", "search_count", [[]])
    double.behaviour.delay = 0.0


def test_read_group_before_odoo_19_uses_read_group():
    with OdooDouble(partners=10, version="17.0") as double:
        connection = OdooPool(OdooSettings.from_env(env_for(double, "xmlrpc"))).get()
        assert connection.major_version() == 17
        groups = connection.execute("res.partner", "read_group", [[], ["employee:sum"], ["city"]], {"lazy": False})
        assert sum(group["__count"] for group in groups) == 11
