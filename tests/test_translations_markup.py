"""The markup check of translations and snippet substitutions (tools/translations/markup.py), in process: the whole
input is judged whatever its shape, and URLs as a browser reads them."""

from __future__ import annotations

import pytest

from tools.translations.markup import UnsafeMarkup, check_attribute, check_fragment, url_refusal

REFUSED = [
    # documents: a tree builder compared only <body>'s children
    '<html><head><script>alert(1)</script></head><body><p>x</p></body></html>',
    '<!doctype html><html><body onload="alert(1)"><p>x</p></body></html>',
    '<!DOCTYPE html><p>x</p>',
    '<html><p>x</p></html>',
    '<head><title>x</title></head><p>x</p>',
    '<p>x</p><body onload="alert(1)">',
    '<?xml version="1.0"?><p>x</p>',
    '<p>x<![CDATA[<img src=x onerror=alert(1)>]]></p>',
    # what the sanitiser removes
    '<script>alert(1)</script>',
    '<img src="x" onerror="alert(1)">',
    '<p t-raw="x">y</p>',
    '<svg/onload=alert(1)>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>',
    '<a href="x" href="javascript:alert(1)">y</a>',
    # a comment a browser ends at --!>: the img is live for a browser, hidden from an old tokenizer
    '<p>x<!-- --!><img src=x onerror=alert(1)> --></p>',
    # URLs as a browser reads them
    '<a href="javascript:alert(1)">y</a>',
    '<a href="java\tscript:alert(1)">y</a>',
    '<a href="java&#9;script:alert(1)">y</a>',
    '<a href=" \x01javascript:alert(1)">y</a>',
    '<a href="JaVaScRiPt&colon;alert(1)">y</a>',
    '<a href="vbscript:x">y</a>',
    '<a href="data:text/html,<script>alert(1)</script>">y</a>',
    '<span data-x="java\tscript:alert(1)">y</span>',
    '<span data-x="java&#10;script:alert(1)">y</span>',
    '<span data-href="javascript:alert(1)">y</span>',
    '<span data-src="data:text/html,x">y</span>',
    '<a href="//evil.example/x">y</a>',
    '<a href="/\\evil.example/x">y</a>',
    '<a href="\t//evil.example/x">y</a>',
    '<a href="/\n/evil.example/x">y</a>',
    '<img src="//evil.example/x.png">',
    '<img srcset="a.png 1x, //evil.example/b.png 2x">',
    '<span data-url="//evil.example/x">y</span>',
    '<span data-bg-src="ftp://evil.example/x">y</span>',
    '<p style="background: url(javascript:alert(1))">y</p>',
]

ACCEPTED = [
    "<p>Un <b>bureau</b> solide</p>",
    'Plain text & an ampersand',
    '<a href="https://www.odoo.com/page">link</a>',
    '<a href="/shop/desk-1">link</a>',
    '<a href="#top">link</a>',
    '<a href="mailto:sales@example.com">mail</a>',
    '<a href="tel:+3222222222">call</a>',
    '<img src="/web/image/product.template/1/image_1920" alt="desk">',
    '<img srcset="/a.png 1x, https://cdn.example.com/b.png 2x">',
    '<span data-name="Note: this is not a URL">x</span>',
    '<span title="Data: sales 2024" aria-label="JavaScript: a language" data-name="Data: overview">x</span>',
    '<span data-oe-model="product.template">x</span>',
    "<table><td>cell</td></table>",
    "<p>line<br/>break</p>",
    '<p title="a&amp;b">x</p>',
    "<p>x<!-- a plain comment --></p>",
]


@pytest.mark.parametrize("markup", REFUSED)
def test_unsafe_markup_is_refused_whatever_its_shape(markup):
    with pytest.raises(UnsafeMarkup, match="unsafe markup refused"):
        check_fragment(markup, "fr_FR")


@pytest.mark.parametrize("markup", ACCEPTED)
def test_safe_markup_is_written_as_given(markup):
    assert check_fragment(markup, "fr_FR") == markup


@pytest.mark.parametrize(("name", "value"), [
    ("href", "java\tscript:alert(1)"), ("href", "//evil.example"), ("href", "\\\\evil.example"),
    ("src", " //evil.example/x.png"), ("data-x", "java\nscript:alert(1)"), ("data-url", "//evil.example"),
    ("href", "\x00javascript:x"),
])
def test_a_url_is_judged_as_a_browser_reads_it(name, value):
    assert url_refusal(name, value) is not None
    with pytest.raises(UnsafeMarkup):
        check_attribute(name, value, "substitution")


@pytest.mark.parametrize(("name", "value"), [("href", "https://example.com"), ("href", "/shop"),
                                             ("data-name", "Note: x"), ("title", "java script: a language"),
                                             ("src", "/web/image/1")])
def test_ordinary_values_pass(name, value):
    assert url_refusal(name, value) is None
