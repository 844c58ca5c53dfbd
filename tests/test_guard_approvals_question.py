"""guard/approvals/question.py: the question a human reads. Split out of tests/test_guard_approvals_ticket.py."""

from __future__ import annotations

from datetime import date

import pytest

from guard.approvals.question import MASKED, masked, question_for, render_question
from guard.spec import Call, Caller, Risk, ToolArgs, ToolFailure, ToolSpec
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


EXPIRES = 1767225600.0  # 2026-01-01 00:00:00 UTC


def test_the_question_reads_exactly_so():
    """The whole text a human approves, line by line: the call, what would change, what is hidden, until when."""
    question = render_question(tool="odoo_write", risk="write", grant="alice", session="s1",
                               arguments={"ids": [1], "note": "Zoë", "api_key": "k-123", "empty_token": ""},
                               preview={"before": {"name": "A"}, "auth": "Bearer abc.def"},
                               approval_id="ap_1", expires=EXPIRES)  # fmt: skip
    assert question == "\n".join([
        "Allow the agent (grant 'alice', session s1) to call odoo_write (write)?",
        "",
        "Arguments, in full:",
        "{",
        '  "ids": [',
        "    1",
        "  ],",
        '  "note": "Zoë",',  # not escaped: the human reads the text as it is
        f'  "api_key": "{MASKED}",',
        '  "empty_token": ""',  # nothing to hide: an empty secret is shown empty
        "}",
        "",
        "What would change:",
        "{",
        '  "before": {',
        '    "name": "A"',
        "  },",
        f'  "auth": "Bearer {MASKED}"',
        "}",
        "",
        f"Values shown as {MASKED} are secrets: they are sent to the tool but not shown here.",
        "",
        "Approval ap_1, valid for this exact call, once, until 2026-01-01 00:00:00 UTC.",
    ])


def test_a_question_with_nothing_secret_says_nothing_about_secrets():
    question = render_question(tool="t", risk="read", grant="g", session="s", arguments={"a": [1, "b"]},
                               approval_id="ap_2", expires=EXPIRES)  # fmt: skip
    assert question == "\n".join([
        "Allow the agent (grant 'g', session s) to call t (read)?", "", "Arguments, in full:",
        "{", '  "a": [', "    1,", '    "b"', "  ]", "}", "",
        "Approval ap_2, valid for this exact call, once, until 2026-01-01 00:00:00 UTC.",
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("value", "shown", "hid"),
    [
        ("plain text", "plain text", False),
        ("Basic dXNlcjpwdw==", f"Basic {MASKED}", True),
        ("https://bob:hunter2@example.com/x", f"https://{MASKED}@example.com/x", True),
        (["a", "https://u:p@h/"], ["a", f"https://{MASKED}@h/"], True),
        ({"password": None, "n": 1}, {"password": None, "n": 1}, False),  # nothing there to hide
        ({"password": "x", "n": 1}, {"password": MASKED, "n": 1}, True),
        ({"nested": {"token": ["t"]}}, {"nested": {"token": MASKED}}, True),
        ((1, 2), [1, 2], False),
        (7, 7, False),
    ],
)
def test_secrets_are_masked_and_said_to_be(value, shown, hid):
    assert masked(value) == (shown, hid)


class Args(ToolArgs):
    ids: set[int]


@pytest.mark.parametrize(
    ("preview", "line"),
    [
        (lambda args, call: {"ids": sorted(args.ids), "grant": call.caller.grant}, '  "grant": "alice"'),
        (lambda args, call: (_ for _ in ()).throw(ToolFailure("record 7 is gone")),
         "What would change: unknown (the preview failed: [TOOL ERROR] record 7 is gone)"),
        (lambda args, call: 1 / 0, "What would change: unknown (the preview failed: ZeroDivisionError)"),
        (lambda args, call: "2 records would be archived", "2 records would be archived"),  # text as is
        (lambda args, call: {"when": date(2026, 1, 31)}, '  "when": "2026-01-31"'),  # any value, as text
    ],
)
async def test_the_question_for_a_call_shows_its_validated_arguments_and_the_preview(preview, line):
    spec = ToolSpec("tidy", "test", Risk.DESTRUCTIVE, Args, lambda args, call: None, "test", preview=preview)
    question = await question_for(spec, Args(ids={2, 1}), Call(Caller("alice", "s1"), None), "ap_9", EXPIRES)
    assert question.startswith("Allow the agent (grant 'alice', session s1) to call tidy (destructive)?\n")
    assert '"ids": [\n    1,\n    2\n  ]' in question  # the arguments as JSON, as validated (a set as a list)
    assert line in question.splitlines()
    assert question.endswith("Approval ap_9, valid for this exact call, once, until 2026-01-01 00:00:00 UTC.")
