"""How tests configure a connection to the Odoo double: per protocol, or as the README does, per version.

`env_for` is a connection's environment for one protocol (the API key for JSON-2, the password
otherwise). The files that run a test once per Odoo version (`tests/test_odoo_versions.py`, the
tests of `odoo_client/detect.py` and `web.py`) declare their module-scoped `double` fixture with
`versioned(request.param)`, so one double per version serves a whole module, and configure it with
`key_only`, the README's configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.odoo_double import ADMIN, OdooDouble
from tests.odoo_double.business import install

VERSIONS = ["16.0", "17.0", "18.0", "19.0"]


@contextmanager
def versioned(version: str) -> Iterator[OdooDouble]:
    """A running double of that version, with the business models the stock tools use."""
    with OdooDouble(partners=3, version=version) as running:
        install(running.database)
        yield running


def env_for(double: OdooDouble, protocol: str, **extra: str) -> dict[str, str]:
    secret = {"ODOO_API_KEY": ADMIN["api_key"]} if protocol == "json2" else {"ODOO_PASSWORD": ADMIN["password"]}
    return {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USER": ADMIN["login"], "ODOO_PROTOCOL": protocol,
            **secret, **extra}


def key_only(double: OdooDouble, **extra: str) -> dict[str, str]:
    """The README's Claude Desktop configuration: no ODOO_PROTOCOL, no password."""
    return {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
            "ODOO_API_KEY": ADMIN["api_key"], **extra}


def major(double: OdooDouble) -> int:
    return int(double.database.version.split(".")[0])
