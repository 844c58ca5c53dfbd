"""odoo_client/web.py: PDF reports through a web session, opened with the password on every protocol.

Reports need a web session, which Odoo opens with a password only: with a password configured they
work on every protocol and every Odoo version (one double each, 16.0 to 19.0), the session opened
again once when Odoo forgot it; without one the refusal names the setting. Moved from
tests/test_odoo_versions.py and tests/test_odoo_client_connection.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from odoo_client.errors import ConfigError
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings
from tests.odoo_configs import VERSIONS, env_for, key_only, versioned
from tests.odoo_double import ADMIN, OdooDouble


@pytest.fixture(scope="module", params=VERSIONS)
def double(request) -> Iterator[OdooDouble]:
    with versioned(request.param) as running:
        yield running


def test_reports_open_a_web_session_with_the_password_whatever_the_protocol(double):
    connection = OdooPool(OdooSettings.from_env(key_only(double, ODOO_PASSWORD=ADMIN["password"]))).get()
    try:
        assert connection.report_pdf("contacts.report_partner_card", [1]).startswith(b"%PDF")
        double.drop_sessions()
        assert connection.report_pdf("contacts.report_partner_card", [1]).startswith(b"%PDF")
    finally:
        connection.close()


def test_a_report_without_a_password_is_refused_naming_the_setting(double):
    connection = OdooPool(OdooSettings.from_env(key_only(double))).get()
    try:
        with pytest.raises(ConfigError) as refused:
            connection.report_pdf("contacts.report_partner_card", [1])
        message = str(refused.value)
        assert "ODOO_PASSWORD" in message and "report" in message and "wrong" not in message
    finally:
        connection.close()


PROTOCOLS = ["jsonrpc", "xmlrpc", "json2"]


@pytest.fixture
def one_double() -> Iterator[OdooDouble]:
    """A 19.0 double for a test of its own (the tests above share one per version)."""
    with OdooDouble(partners=10) as running:
        yield running


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_report_session_is_reopened_once_after_the_server_forgets_it(protocol, one_double):
    connection = OdooPool(OdooSettings.from_env(env_for(one_double, protocol, ODOO_PASSWORD=ADMIN["password"]))).get()
    assert connection.report_pdf("contacts.report_partner_card", [1]).startswith(b"%PDF")
    one_double.drop_sessions()
    assert connection.report_pdf("contacts.report_partner_card", [1]).startswith(b"%PDF")
    connection.close()
