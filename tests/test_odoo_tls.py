"""TLS against an Odoo with a self-signed certificate: verified by default, a CA bundle per
connection, verification off only when asked — over each protocol, through the real server."""

from __future__ import annotations

import subprocess

import pytest

from tests.harness import guarded_server
from tests.odoo_double import ADMIN, OdooDouble

pytestmark = pytest.mark.anyio
PROTOCOLS = ["jsonrpc", "xmlrpc", "json2"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "odoo.pem", folder / "odoo.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def https_double(certificate):
    with OdooDouble(tls=certificate) as running:
        yield running


def env_for(double: OdooDouble, protocol: str, **extra: str) -> dict[str, str]:
    secret = {"ODOO_API_KEY": ADMIN["api_key"]} if protocol == "json2" else {"ODOO_PASSWORD": ADMIN["password"]}
    return {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
            "ODOO_PROTOCOL": protocol, "ODOO_TIMEOUT": "10", **secret, **extra}  # fmt: skip


ALLOW = {"version": "1", "default": "deny", "tools": {"odoo_search_count": {}}}
COUNT = {"model": "res.partner", "domain": [["city", "=", "Ghent"]]}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_self_signed_certificate_is_refused_by_default(protocol, https_double, tmp_path):
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env_for(https_double, protocol)) as server:
        result = await server.call("odoo_search_count", COUNT)
        assert result.tag == "ODOO UNREACHABLE", result.text
        assert "CERTIFICATE_VERIFY_FAILED" in result.text or "certificate verify failed" in result.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_the_connections_ca_bundle_makes_it_trusted(protocol, https_double, certificate, tmp_path):
    env = env_for(https_double, protocol, ODOO_CA_BUNDLE=str(certificate[0]))
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env) as server:
        result = await server.call("odoo_search_count", COUNT)
        assert not result.is_error, result.text
        assert result.data == 50


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_verification_off_only_when_asked(protocol, https_double, tmp_path):
    env = env_for(https_double, protocol, ODOO_VERIFY_SSL="0")
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env) as server:
        result = await server.call("odoo_search_count", COUNT)
        assert not result.is_error, result.text
