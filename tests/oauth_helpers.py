"""OAuth test helpers: a server process with `--oauth` in front of the Odoo double, and a person who signs in.

`SigningIn` is the redirect and callback handler the SDK's `OAuthClientProvider` asks for: where a
person would open the authorization URL in a browser, it follows it with httpx, fills the sign-in
form (keeping the CSRF cookie, as a browser does) and hands the code of the final redirect back.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from odoo_mcp.grants import token_digest
from tests import zygote
from tests.harness import REPO
from tests.loopback import free_port, wait_for_port
from tests.odoo_double import OdooDouble
from tests.odoo_double.seed import ADMIN, DEMO

REDIRECT = "http://127.0.0.1:9/callback"
HIDDEN = re.compile(r"<input type=hidden name=(\w+) value='([^']*)'>")

POLICY = {"version": "1", "default": "deny", "tools": {
    "policy_status": {}, "odoo_search_read": {}, "odoo_execute": {}, "odoo_connections": {}}}
ADMINS_POLICY = {"version": "1", "default": "deny", "tools": {"policy_status": {}, "odoo_execute": {}}}


@dataclass
class RunningServer:
    url: str
    base: str
    audit: Path
    process: subprocess.Popen
    double: OdooDouble

    def records(self, event: str | None = None) -> list[dict[str, Any]]:
        if not self.audit.exists():
            return []
        rows = [json.loads(line) for line in self.audit.read_text().splitlines() if line.strip()]
        return [row for row in rows if event is None or row["event"] == event]


def start_oauth_server(folder: Path, state: Path, oauth: dict[str, Any] | None = None,
                       tokens: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> RunningServer:
    """`odoo-mcp serve --http --oauth` against a fresh Odoo double; stop it with `stop(server)`."""
    double = OdooDouble(partners=5).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (folder / "policy.json").write_text(json.dumps(POLICY))
    (folder / "admins.json").write_text(json.dumps(ADMINS_POLICY))
    document = {"public_url": base, "policies": [{"group": "base.group_system", "policy": "admins.json"}],
                "approvers": {"logins": [ADMIN["login"]]},
                "signin_limits": {"per_login": {"max": 3, "window": 600}}, **(oauth or {})}
    (folder / "oauth.json").write_text(json.dumps(document))
    arguments = ["--oauth", str(folder / "oauth.json")]
    if tokens is not None:
        (folder / "tokens.json").write_text(json.dumps({"grants": {
            name: "sha256:" + token_digest(token) for name, token in tokens.items()}}))
        arguments += ["--tokens", str(folder / "tokens.json")]
    audit = folder / "audit.jsonl"
    environment = {
        **os.environ, "ODOO_MCP_AUDIT_LOG": str(audit), "ODOO_MCP_AUDIT_STDERR": "0", "ODOO_MCP_STATE_DIR": str(state),
        "ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
        "ODOO_PASSWORD": ADMIN["password"], "ODOO_PROTOCOL": "xmlrpc", **(env or {}),
    }
    process = subprocess.Popen(
        [*zygote.command("odoo_mcp"), "serve", "--http", "--port", str(port),
         "--policy", str(folder / "policy.json"), *arguments],
        cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
    except AssertionError:
        double.stop()
        raise
    return RunningServer(f"{base}/mcp", base, audit, process, double)


def stop(server: RunningServer) -> bytes:
    server.process.terminate()
    out, _ = server.process.communicate(timeout=10)
    server.double.stop()
    return out


@dataclass
class MemoryStorage:
    tokens: OAuthToken | None = None
    client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def form_fields(page: str) -> dict[str, str]:
    return dict(HIDDEN.findall(page))


@dataclass
class SigningIn:
    """A person at the sign-in page: follows the authorization URL, submits their login, returns the code."""

    base: str
    login: str = DEMO["login"]
    secret: str = DEMO["password"]
    location: str = ""
    pages: list[httpx2.Response] = field(default_factory=list)

    async def redirect(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient(timeout=30) as browser:
            hop = await browser.get(authorization_url)
            assert hop.status_code == 302, hop.text
            page = await browser.get(hop.headers["location"])
            self.pages.append(page)
            answer = await browser.post(f"{self.base}/oauth/signin",
                                        data={**form_fields(page.text), "login": self.login, "secret": self.secret})
            self.pages.append(answer)
            assert answer.status_code == 302, answer.text
            self.location = answer.headers["location"]

    async def callback(self) -> AuthorizationCodeResult:
        query = {key: values[0] for key, values in parse_qs(urlsplit(self.location).query).items()}
        if "code" not in query:
            raise RuntimeError(f"no code: {query}")
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


def oauth_client(server: RunningServer, person: SigningIn, storage: MemoryStorage | None = None,
                 scope: str | None = None) -> tuple[OAuthClientProvider, MemoryStorage]:
    storage = storage or MemoryStorage()
    metadata = OAuthClientMetadata(redirect_uris=[REDIRECT], client_name="the suite's client", scope=scope,
                                   grant_types=["authorization_code", "refresh_token"], response_types=["code"])
    provider = OAuthClientProvider(server.url, metadata, storage, redirect_handler=person.redirect,
                                   callback_handler=person.callback)
    return provider, storage


# ---- in process: the OAuth routes and the bearer gate on an ASGI transport, Odoo the double on loopback ----

def pkce() -> tuple[str, str]:
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


async def granted_to(scope: Any, receive: Any, send: Any) -> None:
    """The app behind the bearer gate: answers which grant the request was let in as."""
    body = json.dumps({"grant": scope["state"]["grant"]}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@dataclass
class InProcess:
    """An OAuth server in this process: `web` talks to it over ASGI; `oauth` is every part of it."""

    oauth: Any
    web: httpx2.AsyncClient
    audit_path: Path
    double: OdooDouble
    policies: Any

    @property
    def base(self) -> str:
        return self.oauth.config.public_url

    def records(self, event: str | None = None) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        rows = [json.loads(line) for line in self.audit_path.read_text().splitlines() if line.strip()]
        return [row for row in rows if event is None or row["event"] == event]

    async def register(self, redirect: str = REDIRECT, **extra: Any) -> dict[str, Any]:
        extra = {key: value for key, value in extra.items() if value is not None}
        answer = await self.web.post("/register", json={"redirect_uris": [redirect], "client_name": "hostile suite",
                                                        "token_endpoint_auth_method": "none", **extra})
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def authorize(self, client_id: str, challenge: str, **extra: Any) -> httpx2.Response:
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s1",
                  "code_challenge": challenge, "code_challenge_method": "S256",
                  "resource": f"{self.base}/mcp", **extra}
        return await self.web.get("/authorize", params={k: v for k, v in params.items() if v is not None})

    async def sign_in(self, signin_url: str, login: str = DEMO["login"], secret: str = DEMO["password"]
                      ) -> httpx2.Response:
        page = await self.web.get(signin_url)
        assert page.status_code == 200, page.text
        return await self.web.post("/oauth/signin", data={**form_fields(page.text), "login": login, "secret": secret})

    async def code_for(self, client_id: str, challenge: str, scope: str | None = None, **signin: Any) -> str:
        hop = await self.authorize(client_id, challenge, scope=scope)
        assert hop.status_code == 302, hop.text
        answer = await self.sign_in(hop.headers["location"], **signin)
        assert answer.status_code == 302, answer.text
        return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]

    async def exchange(self, client_id: str, code: str, verifier: str | None) -> httpx2.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id,
                "code_verifier": verifier, "resource": f"{self.base}/mcp"}
        return await self.web.post("/token", data={k: v for k, v in data.items() if v is not None})

    async def tokens(self, scope: str | None = None, **signin: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        client = await self.register(scope=scope)
        verifier, challenge = pkce()
        code = await self.code_for(client["client_id"], challenge, scope=scope, **signin)
        answer = await self.exchange(client["client_id"], code, verifier)
        assert answer.status_code == 200, answer.text
        return client, answer.json()

    async def call_as(self, access_token: str, path: str = "/mcp") -> httpx2.Response:
        return await self.web.post(path, headers={"Authorization": f"Bearer {access_token}"}, json={})


def in_process(folder: Path, oauth: dict[str, Any] | None = None, static: tuple[str, ...] = ()) -> InProcess:
    from guard.audit import AuditLog
    from guard.limiter import Limiter
    from guard.policy import load_policy
    from guard.policy_set import PolicySet
    from odoo_mcp.config import Settings
    from odoo_mcp.http.auth import BearerGrants
    from odoo_mcp.oauth import OAuthRoutes, build_oauth
    from odoo_mcp.oauth.config import parse_oauth

    double = OdooDouble(partners=3).start()
    (folder / "policy.json").write_text(json.dumps(POLICY))
    (folder / "admins.json").write_text(json.dumps(ADMINS_POLICY))
    audit_path = folder / "audit.jsonl"
    env = {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
           "ODOO_PASSWORD": ADMIN["password"], "ODOO_PROTOCOL": "xmlrpc", "ODOO_MCP_STATE_DIR": str(folder / "state"),
           "ODOO_MCP_POLICY": str(folder / "policy.json")}
    settings = Settings.load(env=env)
    document = {"public_url": "http://127.0.0.1:8765", "approvers": {"logins": [ADMIN["login"]]},
                "policies": [{"group": "base.group_system", "policy": "admins.json"}],
                "signin_limits": {"per_login": {"max": 3, "window": 600}, "per_address": {"max": 5, "window": 600}},
                **(oauth or {})}
    config = parse_oauth(document, "oauth.json", folder)
    policies = PolicySet(load_policy(folder / "policy.json"),
                         {key: load_policy(path) for key, path in config.policy_files.items()})
    audit = AuditLog(audit_path, stderr=False)
    server = build_oauth(config, settings, policies, Limiter(), audit, static)
    app = OAuthRoutes(BearerGrants(granted_to, {}, verifier=server.tools), server)
    web = httpx2.AsyncClient(transport=httpx2.ASGITransport(app), base_url=config.public_url)
    return InProcess(server, web, audit_path, double, policies)


@asynccontextmanager
async def serving_in_process(folder: Path) -> AsyncIterator[InProcess]:
    """`in_process(folder)` with its web app running, closed and stopped afterwards."""
    running = in_process(folder)
    async with running.web:
        yield running
    running.oauth.close()
    running.double.stop()
