"""odoo_client/web.py: PDF reports through a web session, opened with the password on every protocol.

Reports need a web session, which Odoo opens with a password only: with a password configured they
work on every protocol and every Odoo version (one double each, 16.0 to 19.0), the session opened
again once when Odoo forgot it; without one the refusal names the setting (moved from
tests/test_odoo_versions.py and tests/test_odoo_client_connection.py). A refused web login, Odoo's
refusal of a report, and a server that never gives the PDF each read as one clear error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from odoo_client.errors import ConfigError, OdooFault, OdooUnreachable
from odoo_client.pool import OdooPool
from odoo_client.settings import ConnectionConfig, OdooSettings
from odoo_client.web import ReportSession
from tests.loopback import answering
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


def report_session(url: str, password: str = ADMIN["password"]) -> ReportSession:
    return ReportSession(ConnectionConfig(alias="t", url=url, db="odoo", username="admin", password=password))


def test_a_refused_web_login_says_it_was_the_reports_login(one_double):
    session = report_session(one_double.url, password="wrong")
    with pytest.raises(OdooFault) as refused:
        session.report_pdf("contacts.report_partner_card", [1])
    assert refused.value.exception == "AccessDenied"
    assert str(refused.value) == ("AccessDenied: the web login (for reports) refused the password of user 'admin' "
                                  "on database 'odoo'")
    assert session.logins == 1
    session.close()


def test_odoos_refusal_of_a_report_keeps_its_name(one_double):
    session = report_session(one_double.url)
    with pytest.raises(OdooFault, match=r"^MissingError: Report 'no\.such\.report' does not exist$"):
        session.report_pdf("no.such.report", [1])
    session.close()


SESSION = (200, {"Content-Type": "application/json", "Set-Cookie": "session_id=s; Path=/"},
           b'{"jsonrpc": "2.0", "id": 1, "result": {"uid": 2}}')
CARD = "/report/pdf/contacts.report_partner_card/1"


@pytest.mark.parametrize(("report", "problem"), [
    ((303, {"Location": "{url}/web/login?redirect=/report"}, b""),
     f"{CARD} asked for a login again right after a web login"),
    ((200, {"Content-Type": "text/html"}, b"<html>Internal Server Error</html>"), f"HTTP 200 on {CARD}: no PDF"),
    ((500, {"Content-Type": "text/html"}, b"<html>Internal Server Error</html>"), f"HTTP 500 on {CARD}: no PDF"),
])
def test_a_report_that_never_comes_is_a_clear_error_after_one_more_login(report, problem):
    routes = {("POST", "/web/session/authenticate"): SESSION, ("GET", CARD): report}
    with answering(routes) as (url, hits), pytest.raises(OdooUnreachable) as refused:
        report_session(url).report_pdf("contacts.report_partner_card", [1])
    assert str(refused.value).startswith(f"t ({url}): {problem}")
    logins = hits.count("POST /web/session/authenticate")
    assert logins == (2 if report[0] == 303 else 1)  # the session opened again once, never in a loop


def test_a_web_login_that_does_not_answer_json_says_so():
    routes = {("POST", "/web/session/authenticate"): (200, {"Content-Type": "text/html"}, b"<html>login</html>")}
    with answering(routes) as (url, hits), pytest.raises(OdooUnreachable) as refused:
        report_session(url).report_pdf("contacts.report_partner_card", [1])
    assert str(refused.value) == f"t ({url}): /web/session/authenticate did not answer JSON"
    assert hits == ["POST /web/session/authenticate"]  # no report asked without a session


def test_a_web_login_on_a_database_that_does_not_exist_says_so(one_double):
    session = ReportSession(ConnectionConfig(alias="t", url=one_double.url, db="other", username="admin",
                                             password=ADMIN["password"]))
    with pytest.raises(OdooFault) as refused:
        session.report_pdf("contacts.report_partner_card", [1])
    assert str(refused.value) == 'ValueError: database "other" does not exist'
    session.close()
