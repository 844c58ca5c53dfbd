"""`odoo_web_request`'s path decision (tools/web_session/routes.py), in process: a hostile corpus against the
one-form rule, the never-list and the allow-list."""

from __future__ import annotations

import pytest

from guard.spec import ToolFailure
from tools.web_session.routes import NEVER_ROUTES, canonical, decide, normal_form, segment

ALLOWED = ("/my", "/shop", "/sitemap.xml", "/web/webclient/version_info")

HOSTILE = [
    # (path, what the refusal says)
    ("/my/x%3F/../../web/dataset/call_kw", "would be read as '/web/dataset/call_kw'"),  # the escape itself
    ("/my/x%3f/../../jsonrpc", "would be read as '/jsonrpc'"),
    ("/my/x%23/../../web/database/list", "would be read as '/web/database/list'"),
    ("/my/%2e%2e/web/content/1", "would be read as '/web/content/1'"),
    ("/my/%2E./web/content/1", "would be read as '/web/content/1'"),
    ("/my/..%2fweb/content/1", "would be read as '/web/content/1'"),
    ("/my/%252e%252e/web/content/1", "would be read as '/web/content/1'"),  # double-encoded
    ("/my/..%5cweb%5ccontent", "would be read as '/web/content'"),
    ("/my\\..\\web\\content", "would be read as '/web/content'"),
    ("/my/../web/database/list", "would be read as '/web/database/list'"),
    ("/my/./home", "would be read as '/my/home'"),
    ("/my//home", "would be read as '/my/home'"),
    ("/my/%2fhome", "would be read as '/my/home'"),
    ("/my/\u2025/web/content/1", "would be read as '/web/content/1'"),  # two-dot leader: NFKC ".."
    ("/my/\uff0e\uff0e/web/content/1", "would be read as '/web/content/1'"),  # fullwidth dots
    ("/my/%ef%bc%8e%ef%bc%8e/web/content/1", "would be read as '/web/content/1'"),
    ("/my/%c0%ae%c0%ae/web/content/1", "not valid UTF-8"),  # overlong UTF-8 dots
    ("/my/%e0%80%ae/x", "not valid UTF-8"),
    ("/my/%41", "would be read as '/my/A'"),  # any escape: the checked form is the sent form
    ("/my/x?a=/../../web", "no query or fragment"),
    ("/my/x#/../../web", "no query or fragment"),
    ("/my;/../web/dataset/call_kw", "would be read as '/web/dataset/call_kw'"),
    ("/my;jsessionid=1/home", "characters other than"),
    ("/my/home\x00", "characters other than"),
    ("/my/ho me", "characters other than"),
    ("/my/h\u00e9", "characters other than"),
    ("/my/@evil.example", "characters other than"),
    ("//evil.example/my", "would be read as '/evil.example/my'"),
    ("@evil.example/my", "absolute path"),
    ("my/home", "absolute path"),
    ("http://evil.example/my", "absolute path"),
    ("/web/dataset/call_kw", "not allowed, whatever"),
    ("/web/action/run", "not allowed, whatever"),
    ("/WEB/Database/list", "not allowed, whatever"),
    ("/jsonrpc", "not allowed, whatever"),
    ("/json/2/res.users/read", "not allowed, whatever"),
    ("/xmlrpc/2/object", "not allowed, whatever"),
    ("/web/session/get_session_info", "not allowed, whatever"),
    ("/web/become", "not allowed, whatever"),
    ("/website/action/1", "not allowed, whatever"),
    ("/mail/message/post", "not allowed, whatever"),
    ("/web/sessionx", "is not allowed (allowed:"),  # not under /web/session, and not allow-listed either
    ("/myhome", "is not allowed (allowed:"),
    ("/", "is not allowed (allowed:"),
]


@pytest.mark.parametrize(("path", "why"), HOSTILE)
def test_hostile_paths_are_refused_naming_why(path, why):
    with pytest.raises(ToolFailure) as refused:
        decide(path, ALLOWED)
    assert why in str(refused.value)


@pytest.mark.parametrize("path", ["/my", "/my/", "/my/home", "/my/orders/page/2", "/shop/category/desks-1",
                                  "/sitemap.xml", "/web/webclient/version_info", "/shop/product/a_b~c(1),x=y:z"])
def test_plain_paths_are_sent_as_written(path):
    assert decide(path, ALLOWED) == path == normal_form(path)


@pytest.mark.parametrize("route", NEVER_ROUTES)
def test_the_never_list_holds_even_when_everything_is_allowed(route):
    for path in (route, route + "/x", route.upper() + "/x"):
        with pytest.raises(ToolFailure, match="whatever ODOO_MCP_WEB_ROUTES says"):
            decide(path, ("/",))


@pytest.mark.parametrize(("value", "expected"), [("..", "%2E%2E"), (".", "%2E"), ("A/B?c#d", "A%2FB%3Fc%23d"),
                                                  ("a..b", "a..b"), ("x y", "x%20y")])
def test_a_value_becomes_one_segment_the_client_keeps(value, expected):
    assert segment(value) == expected


def test_canonical_is_its_own_normal_form():
    for path, _ in HOSTILE:
        try:
            kept = canonical(path)
        except ToolFailure:
            continue
        assert normal_form(kept) == kept
