"""odoo_client/endpoint.py: the four facts every transport, pin and pool reads from ODOO_URL."""

from __future__ import annotations

import pytest

from odoo_client.endpoint import Endpoint


@pytest.mark.parametrize(("url", "expected"), [
    ("http://odoo.example.com", Endpoint(False, "odoo.example.com", 80, "odoo.example.com", "")),
    ("https://odoo.example.com", Endpoint(True, "odoo.example.com", 443, "odoo.example.com", "")),
    ("https://Odoo.Example.com:8443/", Endpoint(True, "odoo.example.com", 8443, "Odoo.Example.com:8443", "")),
    # user info never reaches the Host header; the path loses only its trailing slash
    ("http://admin:secret@127.0.0.1:8069/odoo/", Endpoint(False, "127.0.0.1", 8069, "127.0.0.1:8069", "/odoo")),
    ("http://[::1]:8069", Endpoint(False, "::1", 8069, "[::1]:8069", "")),
])
def test_the_url_is_read_once_into_scheme_host_port_host_header_and_path(url, expected):
    assert Endpoint.of(url) == expected
