"""Which route `odoo_web_request` reaches: one form of the path, decided once, checked, and sent as it is.

The attack this closes: `/my/x%3F/../../web/dataset/call_kw` passed a check that split at the
decoded `?` and saw only `/my/x`, and the HTTP client then removed the dot segments and sent
`/web/dataset/call_kw` with the grant's web session. A check and a sender that read one path two
ways is the bug; so the path is normalised here the way any decoder on the way could read it
(percent-escapes decoded until nothing changes, Unicode compatibility forms, backslashes as
slashes, duplicate slashes, dot segments removed by `urllib.parse.urljoin`'s RFC 3986 merge),
and a path whose normal form differs from what the caller wrote is refused, naming the form it
would have become. What remains is plain: letters, digits and `-._~!$'()*+,=:&` in segments
separated by single slashes. The never-list and the allow-list are decided on that one form, and
`WebSession.send` checks that the request it builds carries exactly it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote, urljoin, urlsplit

from guard.spec import ToolFailure

SEGMENT = re.compile(r"[A-Za-z0-9\-._~!$'()*+,=:&]+")
"""A path segment as it is sent: RFC 3986 `pchar` without `%` (escapes), `;` (path parameters) and `@`."""

NEVER_ROUTES = (
    "/web/database",        # the database manager: drop, backup, restore, change the master password
    "/web/dataset",         # call_kw, call_button, resequence: any model method (odoo_web_call decides those)
    "/web/action",          # load / run: /web/action/run executes a server action (Python code)
    "/web/hook",            # automation webhooks: run a rule's code
    "/web/session",         # authenticate, destroy, change_password, switch company
    "/web/login", "/web/become", "/web/signup", "/web/reset_password",
    "/web/export", "/web/pivot",                            # exports (the export tools apply the sensitive rules)
    "/web/content", "/web/image", "/web/binary", "/web/filestore",  # files and uploads (download, image tools)
    "/web/view",            # edit_custom writes views
    "/web_editor", "/html_editor", "/website/action",       # page editing, website server actions
    "/base_import",         # import files (then call_kw runs them)
    "/mail", "/discuss",    # message posting and attachment upload (odoo_message_post decides those)
    "/report",              # reports (report tools: sensitive models, files root)
    "/xmlrpc", "/jsonrpc", "/json",                         # the RPC protocols and Odoo 18+/19 JSON routes
    "/longpolling", "/websocket", "/bus",
)
"""Routes that run code, change the database or accounts, or return record data and files that another
tool serves with its own checks: refused by `odoo_web_request` whatever `ODOO_MCP_WEB_ROUTES` says
(compared without regard to case)."""


def _decoded(path: str) -> str:
    """Percent-escapes decoded until nothing changes (a proxy and Odoo may each decode once); overlong or
    invalid UTF-8 refused."""
    for _ in range(4):
        try:
            decoded = unquote(path, errors="strict")
        except UnicodeDecodeError:
            raise ToolFailure(f"path {path[:100]!r} refused: a percent-escape is not valid UTF-8") from None
        if decoded == path:
            return decoded
        path = decoded
    raise ToolFailure(f"path {path[:100]!r} refused: percent-escapes nested too deep")


def normal_form(path: str) -> str:
    """What `path` means to the most liberal reader on the way: decoded, NFKC, `\\` as `/`, `//` as `/`,
    dot segments removed (RFC 3986 merge of `urllib.parse.urljoin`)."""
    text = unicodedata.normalize("NFKC", _decoded(path)).replace("\\", "/")
    text = re.sub(r"/{2,}", "/", text)
    merged = urljoin("http://origin/", quote(text, safe="/"))
    return unquote(urlsplit(merged).path)


def canonical(path: str) -> str:
    """`path` itself when it is its own normal form and only plain characters; refused otherwise."""
    if not path.startswith("/"):
        raise ToolFailure(f"path {path[:100]!r} refused: it must be an absolute path on the connection's own server")
    if "?" in path or "#" in path:
        raise ToolFailure(f"path {path[:100]!r} refused: no query or fragment in the path; put the query in params")
    normal = normal_form(path)
    if normal != path:
        raise ToolFailure(f"path {path[:100]!r} refused: it would be read as {normal[:100]!r}; write the path as it "
                           "is sent (no percent-escapes, '.' or '..' segments, '//' or '\\')")
    segments = path[1:].split("/")
    if segments[-1] == "" and len(segments) > 1:
        segments.pop()  # one trailing slash: `/my/`
    bad = next((segment for segment in segments if segment and not SEGMENT.fullmatch(segment)), None)
    if bad is not None:
        raise ToolFailure(f"path {path[:100]!r} refused: segment {bad[:60]!r} has characters other than letters, "
                           "digits and -._~!$'()*+,=:&")
    return path


def _under(path: str, route: str) -> bool:
    route = route.rstrip("/")
    return path == route or path.startswith(route + "/") or route == ""


def never(path: str) -> str | None:
    """The never-list entry `path` falls under (case-insensitively), or None."""
    lowered = path.lower()
    return next((route for route in NEVER_ROUTES if _under(lowered, route)), None)


def decide(path: str, allowed: tuple[str, ...]) -> str:
    """The one path `odoo_web_request` sends: canonical, on no never-list route, under an allowed route."""
    checked = canonical(path)
    blocked = never(checked)
    if blocked is not None:
        raise ToolFailure(f"route {checked[:100]!r} is not allowed, whatever ODOO_MCP_WEB_ROUTES says: {blocked} "
                           "runs code, changes accounts or serves what another tool guards")
    if not any(_under(checked, route) for route in allowed):
        raise ToolFailure(f"route {checked[:100]!r} is not allowed (allowed: {', '.join(allowed)})")
    return checked


def segment(value: str) -> str:
    """One path segment from a value: every reserved character escaped, and a segment of dots too
    (`..` would otherwise be removed by the HTTP client and change the route)."""
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if set(encoded) <= {"."} else encoded
