"""The words of guard/refusals.py: every tag and outcome as clients and audit readers see them.

A client tells refusals apart by the tag at the start of the text, an audit reader by the
`outcome` field; both are documented, so both are contracts. Each tag is its name in words
and appears in the docs as `[TAG]`; each outcome is its name in lower case and appears in the
docs; each failure class renders `[TAG] message` and carries its outcome.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from guard.refusals import (
    Conflict,
    GitFailure,
    MountedToolError,
    MountUnavailable,
    NotConfigured,
    OdooFailure,
    OdooUnreachableRefusal,
    Outcome,
    PathRefused,
    PinRefused,
    PolicyRefusal,
    Tag,
    ToolFailure,
)

DOCS = "\n".join(p.read_text(encoding="utf-8") for p in (Path(__file__).resolve().parent.parent / "docs").glob("*.md"))


@pytest.mark.parametrize("tag", list(Tag), ids=[t.name for t in Tag])
def test_a_tag_is_its_name_in_words_and_is_documented(tag):
    assert tag.value == tag.name.replace("_", " ")
    assert f"[{tag.value}]" in DOCS


@pytest.mark.parametrize("outcome", list(Outcome), ids=[o.name for o in Outcome])
def test_an_outcome_is_its_name_in_lower_case_and_is_documented(outcome):
    assert outcome.value == outcome.name.lower()
    assert outcome.value in DOCS


FAILURES = [  # built in the test, not at import: what is checked is the code that runs now
    (lambda: ToolFailure("broke"), "[TOOL ERROR] broke", Outcome.FAILED),
    (lambda: PathRefused("t", "outside its root"), "[PATH REFUSED] t: outside its root", Outcome.PATH_REFUSED),
    (lambda: PolicyRefusal("a sensitive field"), "[POLICY DENIED] a sensitive field", Outcome.DENIED),
    (lambda: NotConfigured("no root"), "[NOT CONFIGURED] no root", Outcome.FAILED),
    (lambda: OdooFailure("AccessError", "no"), "[ODOO ERROR] AccessError: no", Outcome.FAILED),
    (lambda: OdooUnreachableRefusal("timeout"), "[ODOO UNREACHABLE] timeout", Outcome.FAILED),
    (lambda: Conflict("nothing linked"), "[CONFLICT] nothing linked", Outcome.FAILED),
    (lambda: Conflict("nothing linked", {"b": "theirs", "a": "a file"}),
     "[CONFLICT] nothing linked — a: a file; b: theirs", Outcome.FAILED),
    (lambda: GitFailure("fatal"), "[GIT ERROR] fatal", Outcome.FAILED),
    (lambda: PinRefused("no authority"), "[PIN REFUSED] no authority", Outcome.FAILED),
    (lambda: MountUnavailable("down"), "[MOUNT UNAVAILABLE] down", Outcome.FAILED),
    (lambda: MountedToolError("their error"), "[MOUNTED TOOL ERROR] their error", Outcome.FAILED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("failure", "text", "outcome"), FAILURES, ids=[re.sub(r"\W+", "_", f[1]).strip("_") for f in FAILURES]
)
def test_a_failure_renders_its_tag_and_carries_its_outcome(failure, text, outcome):
    failure = failure()
    assert failure.render() == text
    assert failure.outcome is outcome
    assert isinstance(failure, ToolFailure)


def test_the_parts_of_a_failure_stay_readable():
    refused = PathRefused("path", "too long")
    assert (refused.arg, refused.why, refused.message) == ("path", "too long", "path: too long")
    assert OdooFailure("UserError", "x").exception == "UserError"
    assert Conflict("c", {"m": "why"}).problems == {"m": "why"}
    assert Conflict("c").problems == {} and Conflict("c").message == "c"
    assert str(ToolFailure("text")) == "text"
