"""The sign-in page in a real headless browser: Debian's chromium, driven by selenium through chromium-driver.

What a person does: their MCP client opens the authorization URL in a browser; they type a wrong
password (the page says so), then the right one; the browser is sent to the client's callback
with a code; the client exchanges it (PKCE) and calls a tool as that person. The browser keeps the
CSRF cookie and posts the form as any browser does — the part an httpx-driven test takes on trust.
Run by `make test-browser` (skipped in `make test`); no browser is downloaded at run time.
"""

from __future__ import annotations

import json
import shutil
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.loopback import serving
from tests.oauth_helpers import pkce, start_oauth_server, stop
from tests.odoo_double.seed import DEMO

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def callback():
    """The MCP client's redirect URI: a loopback page that keeps what it was sent."""
    page = b"<!doctype html><title>signed in</title><p>You can close this window."
    with serving(page, "text/html") as (base, seen):
        yield f"{base}/callback", seen


@pytest.fixture
def browser(tmp_path, monkeypatch):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager never fetches a driver or a browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def fill(driver, login: str, secret: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, "login")
    field.clear()
    field.send_keys(login)
    driver.find_element(By.ID, "secret").send_keys(secret)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def loaded(driver, condition):
    """What `condition` finds once the page the last click asked for has come (a click does not wait for
    the form's answer): selenium's own wait, up to 20 s; a condition still false then fails the test."""
    from selenium.common.exceptions import NoSuchElementException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 20, ignored_exceptions=(NoSuchElementException,)).until(condition)


async def test_a_person_signs_in_in_a_real_browser_and_their_client_calls_as_them(tmp_path, state_dir, browser,
                                                                                   callback):
    from selenium.webdriver.common.by import By

    redirect, seen = callback
    server = start_oauth_server(tmp_path, state_dir)
    try:
        async with httpx2.AsyncClient(base_url=server.base, timeout=30) as web:
            client = (await web.post("/register", json={"redirect_uris": [redirect], "client_name": "Browser Test",
                                                        "token_endpoint_auth_method": "none"})).json()
            verifier, challenge = pkce()
            query = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect,
                     "state": "st-1", "code_challenge": challenge, "code_challenge_method": "S256",
                     "resource": server.url, "scope": "odoo"}
            await anyio.to_thread.run_sync(browser.get, f"{server.base}/authorize?{urlencode(query)}")
            assert browser.title == "Sign in to Odoo"
            assert "Browser Test" in browser.find_element(By.CLASS_NAME, "client").text
            await anyio.to_thread.run_sync(fill, browser, DEMO["login"], "not-the-password")
            alert = await anyio.to_thread.run_sync(loaded, browser, lambda b: b.find_element(By.CSS_SELECTOR,
                                                                                             "[role=alert]"))
            assert "did not accept" in alert.text
            assert [path for path in seen if path.startswith("/callback")] == []
            await anyio.to_thread.run_sync(fill, browser, DEMO["login"], DEMO["password"])
            await anyio.to_thread.run_sync(loaded, browser, lambda b: b.title == "signed in")
            landed = [path for path in seen if path.startswith("/callback")]  # (and the browser's favicon.ico)
            assert browser.title == "signed in" and len(landed) == 1
            answer = {key: values[0] for key, values in parse_qs(urlsplit(landed[0]).query).items()}
            assert answer["state"] == "st-1" and answer["iss"].rstrip("/") == server.base  # RFC 9207
            token = await web.post("/token", data={"grant_type": "authorization_code", "code": answer["code"],
                                                   "redirect_uri": redirect, "client_id": client["client_id"],
                                                   "code_verifier": verifier, "resource": server.url})
            assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        transport = streamable_http_client(server.url, http_client=httpx2.AsyncClient(headers=headers, timeout=30))
        async with Client(transport) as mcp:
            status = json.loads((await mcp.call_tool("policy_status", {})).content[0].text)
        assert status["grant"] == "demo@default"
        assert [r["reason"] for r in server.records("oauth_signin_failed")] == [
            "Odoo refused the login (AccessDenied)"]
    finally:
        assert stop(server) == b""
