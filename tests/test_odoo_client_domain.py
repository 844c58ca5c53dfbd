"""odoo_client/domain.py: a domain is checked for form before it is sent; a malformed one says what is wrong.
Moved from tests/test_odoo_client.py."""

from __future__ import annotations

import pytest

from odoo_client.domain import DomainError, check_domain


@pytest.mark.parametrize("domain", [
    [], [["name", "=", "x"]], ["|", ["a", "=", 1], ["b", "!=", False]], ["!", ["a", "in", [1, 2]]],
    [["a", "=", 1], ["b", "=", 2]], ["&", "|", ["a", "=", 1], ["b", "=", 2], ["c", "ilike", "x"]],
    [["parent_id.name", "not ilike", "x"]], [["line_ids", "any", [["qty", ">", 1]]]],
])
def test_well_formed_domains_pass(domain):
    assert check_domain(domain) == domain


@pytest.mark.parametrize("domain, problem", [
    ("name = x", "list of terms"), ([["a", "="]], "3 items"), ([["a", "~", 1]], "unknown operator"),
    (["|", ["a", "=", 1]], "more term"), (["&"], "more term"), (["x"], "not '&'"),
    ([["a;drop", "=", 1]], "field name"), ([["a", "in", 3]], "list value"), ([["a", "=", {"$ne": 1}]], "value"),
])
def test_malformed_domains_say_what_is_wrong(domain, problem):
    with pytest.raises(DomainError, match=problem):
        check_domain(domain)
