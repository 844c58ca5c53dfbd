"""odoo_client/transport.py: the TLS context every protocol uses, against an Odoo double with a self-signed
certificate, in process over real HTTPS on loopback.

Verification is on by default; a connection's CA bundle makes its server trusted; with `verify_ssl`
false, a pinned certificate is the only one trusted (a different certificate is refused, never
accepted unverified), a pin that cannot be read stops the connection, and only without a pin is
nothing verified. The same promises through a real server over each protocol: tests/test_odoo_tls.py;
how a pin is fetched and written: tests/test_odoo_client_pins.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from odoo_client.errors import OdooUnreachable
from odoo_client.pins import pin_name, write_pin
from odoo_client.settings import ConnectionConfig
from odoo_client.xmlrpc import XmlRpcTransport
from tests.odoo_double import ADMIN, OdooDouble


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The double's certificate and key, and another certificate for the same address."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(folder, "odoo")
    other, _ = self_signed(folder, "other")
    return cert, key, other


@pytest.fixture(scope="module")
def https_double(certificates) -> Iterator[OdooDouble]:
    with OdooDouble(partners=3, tls=certificates[:2]) as running:
        yield running


def version(double: OdooDouble, **options) -> str:
    """`common.version` over XML-RPC (no login) with these TLS settings: the server's version."""
    config = ConnectionConfig(alias="t", url=double.url, db=double.db, username=ADMIN["login"],
                              password=ADMIN["password"], protocol="xmlrpc", timeout=10, **options)
    transport = XmlRpcTransport(config)
    try:
        return transport.version()["server_version"]
    finally:
        transport.close()


def refused(double: OdooDouble, **options) -> str:
    with pytest.raises(OdooUnreachable) as failure:
        version(double, **options)
    message = str(failure.value)
    assert message.startswith(f"t ({double.url}): ") and "\n" not in message
    return message


def test_verification_is_on_by_default_and_a_ca_bundle_makes_the_server_trusted(https_double, certificates):
    cert, _, other = certificates
    assert "CERTIFICATE_VERIFY_FAILED" in refused(https_double)
    assert version(https_double, ca_bundle=cert) == https_double.database.version
    assert "CERTIFICATE_VERIFY_FAILED" in refused(https_double, ca_bundle=other)


def test_without_verification_a_pin_is_the_only_certificate_trusted(https_double, certificates, tmp_path):
    cert, _, other = certificates
    pins = tmp_path / "pins"
    assert version(https_double, verify_ssl=False, pin_dir=pins) == https_double.database.version  # no pin yet
    write_pin(pins, https_double.url, cert.read_text())
    assert version(https_double, verify_ssl=False, pin_dir=pins) == https_double.database.version
    write_pin(pins, https_double.url, other.read_text())  # the server's certificate is no longer the pinned one
    assert "CERTIFICATE_VERIFY_FAILED" in refused(https_double, verify_ssl=False, pin_dir=pins)


def test_a_pin_that_cannot_be_read_stops_the_connection(https_double, tmp_path):
    pins = tmp_path / "pins"
    pins.mkdir()
    (pins / pin_name(https_double.url)).write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    before = https_double.behaviour.requests
    message = refused(https_double, verify_ssl=False, pin_dir=pins)
    assert f"the pinned certificate {pin_name(https_double.url)} cannot be used" in message
    assert "refusing to connect" in message
    assert https_double.behaviour.requests == before  # nothing sent
