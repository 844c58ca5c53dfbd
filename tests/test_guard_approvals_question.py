"""guard/approvals/question.py: the question a human reads. Split out of tests/test_guard_approvals_ticket.py."""

from __future__ import annotations

import pytest

from guard.approvals.question import MASKED, render_question
from tests.test_guard_approvals_ticket import NOW

pytestmark = pytest.mark.anyio

QUESTION_ARGS = {
    "body": "see https://example.com/" + "a" * 300 + "/phish",
    "secret_token": "tok-XYZ",
    "url": "https://bob:hunter2@example.com/x",
    "count": 3,
}


def test_question_shows_the_whole_call_and_says_what_is_masked():
    question = render_question(
        tool="odoo_message_post",
        risk="write",
        grant="alice",
        session="s1",
        arguments=QUESTION_ARGS,
        preview={"records": ["Azure Interior"]},
        approval_id="ap_1",
        expires=NOW,
    )
    assert QUESTION_ARGS["body"] in question  # nothing cut, the end of a long value included
    assert "tok-XYZ" not in question and "hunter2" not in question
    assert f'"secret_token": "{MASKED}"' in question
    assert "are secrets: they are sent to the tool but not shown here" in question
    assert "Azure Interior" in question and "What would change:" in question
    assert "alice" in question and "ap_1" in question
