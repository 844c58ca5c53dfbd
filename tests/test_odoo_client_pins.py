"""Certificate info, explicit trust-on-first-use pins and ee_license_status, against the HTTPS Odoo double.

Reuses test_odoo_tls's self-signed set-up: the pin is written only with approval or the
operator flag, a pinned connection verifies against exactly that certificate, and a pin that
no longer matches fails the connection instead of falling back to no verification.
"""

from __future__ import annotations

import subprocess

import pytest
from mcp import types

from tests.harness import guarded_server
from tests.odoo_double import OdooDouble
from tests.odoo_double.seed import LICENSE, add_license
from tests.test_odoo_tls import env_for

pytestmark = pytest.mark.anyio
ALLOW = {"version": "1", "default": "allow"}
COUNT = {"model": "res.partner", "domain": [["city", "=", "Ghent"]]}


def self_signed(folder, name: str):
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    f"/CN={name}", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("pin"), "pinned-odoo")


@pytest.fixture(scope="module")
def https_double(certificate):
    with OdooDouble(tls=certificate) as running:
        add_license(running.database)
        yield running


async def test_pin_needs_authority_then_verifies_and_never_downgrades(https_double, certificate, tmp_path):
    pins = tmp_path / "pins"
    env = env_for(https_double, "jsonrpc", ODOO_VERIFY_SSL="0", ODOO_MCP_TLS_PIN_DIR=str(pins))
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env) as server:
        typo = await server.call("odoo_cert_refresh", {"connection": "defualt"})
        assert typo.tag == "NOT CONFIGURED", typo.text  # upstream falls back to the sole connection
        info = (await server.call("odoo_cert_info", {})).data
        assert info["presented"]["subject"] == "CN=pinned-odoo" and info["presented"]["self_signed"]
        assert len(info["presented"]["sha256"].split(":")) == 32 and info["pinned"] is None
        assert info["verification"] == "off (no pin)"
        refused = await server.call("odoo_cert_refresh", {})
        assert refused.tag == "PIN REFUSED" and "approval" in refused.text
        assert not pins.exists() or not list(pins.iterdir())
        wrong = await server.call("odoo_cert_refresh", {"fingerprint": ":".join(["AB"] * 32)})
        assert wrong.tag == "PIN REFUSED" and "expected fingerprint" in wrong.text
        license_off = await server.call("ee_license_status", {})
        assert license_off.is_error and "TLS verification off and no pinned certificate" in license_off.text
    env["ODOO_MCP_TLS_PIN_WRITE"] = "1"
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env) as server:
        pinned = (await server.call("odoo_cert_refresh", {"fingerprint": info["presented"]["sha256"]})).data
        assert pinned["changed"] and pinned["sha256"] == info["presented"]["sha256"]
        assert pinned["authority"] == "ODOO_MCP_TLS_PIN_WRITE"
        assert (await server.call("odoo_cert_info", {})).data["verification"] == "pinned"
        assert (await server.call("odoo_search_count", COUNT)).data == 50
        status = (await server.call("ee_license_status", {})).data
        assert status["expiration_date"] == LICENSE["database.expiration_date"]
        assert status["expiration_reason"] == "renewal"
        assert status["enterprise_code"].endswith("7890") and LICENSE["database.enterprise_code"] not in str(status)
    # another certificate now sits in the pin: the connection fails, it never falls back to CERT_NONE
    other, _ = self_signed(tmp_path, "impostor")
    (pins / pinned["pin_file"]).write_text(other.read_text())
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env) as server:
        result = await server.call("odoo_search_count", COUNT)
        assert result.tag == "ODOO UNREACHABLE", result.text
        assert "certificate verify failed" in result.text or "CERTIFICATE_VERIFY_FAILED" in result.text


async def test_pin_written_with_a_humans_approval(https_double, tmp_path):
    pins = tmp_path / "pins"
    env = env_for(https_double, "xmlrpc", ODOO_VERIFY_SSL="0", ODOO_MCP_TLS_PIN_DIR=str(pins))
    policy = {"version": "1", "default": "allow", "tools": {"odoo_cert_refresh": {"action": "require_approval"}}}

    questions = []

    async def human(context, params):
        questions.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with guarded_server(policy, tmp_path=tmp_path, env=env, elicitation_callback=human) as server:
        result = await server.call("odoo_cert_refresh", {})
        assert not result.is_error, result.text
        assert result.data["authority"] == "approval" and len(list(pins.glob("*.pem"))) == 1
        assert result.data["sha256"] in questions[0]  # the human saw the fingerprint that was pinned
        assert (await server.call("odoo_search_count", COUNT)).data == 50


async def test_license_status_takes_no_url_or_credentials(https_double, certificate, tmp_path):
    env = env_for(https_double, "xmlrpc", ODOO_CA_BUNDLE=str(certificate[0]))
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env) as server:
        bad = await server.call("ee_license_status", {"url": "https://evil.example", "api_key": "k", "db": "x"})
        assert bad.tag == "INVALID ARGUMENTS"
        result = await server.call("ee_license_status", {})
        assert result.tag == "ODOO UNREACHABLE"  # CN=pinned-odoo is not 127.0.0.1: verified TLS refuses it


async def test_a_failed_fetch_changes_nothing_and_never_downgrades(certificate, tmp_path):
    from tests.loopback import free_port
    from tests.odoo_double import ADMIN

    url = f"https://127.0.0.1:{free_port()}"  # nothing listens there
    pins = tmp_path / "pins"
    pins.mkdir()
    pin = pins / f"127.0.0.1_{url.rsplit(':', 1)[1]}.pem"
    pin.write_text(certificate[0].read_text())
    env = {"ODOO_URL": url, "ODOO_DB": "odoo", "ODOO_USERNAME": ADMIN["login"], "ODOO_PASSWORD": ADMIN["password"],
           "ODOO_VERIFY_SSL": "0", "ODOO_TIMEOUT": "5", "ODOO_MCP_TLS_PIN_DIR": str(pins),
           "ODOO_MCP_TLS_PIN_WRITE": "1"}
    async with guarded_server(ALLOW, tmp_path=tmp_path, env=env) as server:
        result = await server.call("odoo_cert_refresh", {})
        assert result.tag == "ODOO UNREACHABLE" and "nothing changed" in result.text
        assert pin.read_text() == certificate[0].read_text()
        assert (await server.call("odoo_search_count", COUNT)).tag == "ODOO UNREACHABLE"


def test_an_approval_pins_only_the_certificate_its_question_showed(https_double, certificate, tmp_path):
    from guard.spec import Call, Caller
    from odoo_mcp.config import Roots, Settings
    from odoo_mcp.runtime import Runtime
    from tools.odoo import cert_tools

    pins = tmp_path / "pins"
    env = env_for(https_double, "xmlrpc", ODOO_VERIFY_SSL="0", ODOO_MCP_TLS_PIN_DIR=str(pins))
    runtime = Runtime(Settings(policy_path=tmp_path / "policy.json", roots=Roots(), env=env))
    approved = Call(caller=Caller(), runtime=runtime, approved=True)
    args = cert_tools.CertRefreshArgs()
    with pytest.raises(cert_tools.PinRefused, match="none shown"):
        cert_tools.odoo_cert_refresh(args, approved)  # no question was shown: nothing to bind to
    shown = cert_tools.cert_refresh_preview(args, Call(caller=Caller(), runtime=runtime))
    cert_tools._shown(approved).remember(("default", shown["server"]), "AA:" * 31 + "BB")  # as if swapped since
    with pytest.raises(cert_tools.PinRefused, match="not the certificate the approval showed"):
        cert_tools.odoo_cert_refresh(args, approved)  # the server presents another one than the question showed
    assert not pins.exists() or not list(pins.glob("*.pem"))
    cert_tools._shown(approved).remember(("default", shown["server"]), shown["would_pin_sha256"])
    assert cert_tools.odoo_cert_refresh(args, approved)["sha256"] == shown["would_pin_sha256"]
