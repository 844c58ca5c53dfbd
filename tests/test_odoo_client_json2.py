"""odoo_client/json2.py: JSON-2 takes arguments by name; positional ones are named, or refused.
Moved from tests/test_odoo_client.py."""

from __future__ import annotations

import pytest

from odoo_client.json2 import named_body


def test_json2_names_positional_arguments():
    assert named_body("read", [[1, 2], ["name"]], {}) == {"ids": [1, 2], "fields": ["name"]}
    assert named_body("search_read", [[["a", "=", 1]]], {"limit": 3}) == {"domain": [["a", "=", 1]], "limit": 3}
    assert named_body("action_confirm", [[7]], {}) == {"ids": [7]}
    with pytest.raises(Exception, match="by name"):
        named_body("frobnicate", ["x", 2], {})
