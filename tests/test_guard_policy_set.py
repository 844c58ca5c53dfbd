"""guard/policy_set.py: which policy a grant gets, swaps, and the pin a running call keeps.

In process on `PolicySet` itself (tests/test_teams_units.py drives it through the guard and
the reloader).
"""

from __future__ import annotations

import json

import anyio
import pytest

from guard.policy import parse_text
from guard.policy_set import PolicySet

pytestmark = pytest.mark.anyio


def policy(default: str):
    return parse_text(json.dumps({"version": "1", "default": default}))


def test_each_grant_gets_its_own_policy_or_the_default():
    default, bobs = policy("deny"), policy("allow")
    policies = PolicySet(default, {"bob": bobs})
    assert policies.default is default
    assert policies.for_grant("bob") is bobs and policies.for_grant("alice") is default
    assert policies.for_grant(None) is default
    assert policies.grants() == ["bob"] and policies.all() == [default, bobs]
    assert PolicySet(default).grants() == []


def test_a_swap_replaces_one_policy_counts_and_tells_its_listeners():
    default, new, bobs = policy("deny"), policy("allow"), policy("allow")
    policies = PolicySet(default)
    heard: list[int] = []
    policies.on_swap(lambda: heard.append(policies.generation))
    assert policies.swap("bob", bobs) is default  # bob had the default until now
    assert policies.swap(None, new) is default
    assert policies.swap("bob", policy("deny")) is bobs
    assert (policies.default, policies.for_grant("alice"), policies.generation, heard) == (new, new, 3, [1, 2, 3])


def test_a_call_keeps_the_policy_it_pinned_through_a_swap():
    default, bobs = policy("deny"), policy("allow")
    policies = PolicySet(default, {"bob": bobs})
    assert policies.current() is default  # nothing pinned: the default
    with policies.pinned("bob") as pinned:
        assert pinned is bobs and policies.current() is bobs
        policies.swap("bob", policy("deny"))
        assert policies.current() is bobs
        with policies.pinned("bob") as again:  # the same grant inside: the same pin
            assert again is bobs
        with policies.pinned("alice") as other:
            assert other is default and policies.current() is default
        assert policies.current() is bobs
    assert policies.current() is default
    with policies.pinned(None) as pinned:
        assert pinned is default


async def test_concurrent_calls_each_see_their_own_pin():
    policies = PolicySet(policy("deny"), {"bob": policy("allow")})
    seen: dict[str, str] = {}

    async def call(grant: str) -> None:
        with policies.pinned(grant):
            await anyio.sleep(0.01)
            seen[grant] = policies.current().default

    async with anyio.create_task_group() as group:
        group.start_soon(call, "bob")
        group.start_soon(call, "alice")
    assert seen == {"bob": "allow", "alice": "deny"}
