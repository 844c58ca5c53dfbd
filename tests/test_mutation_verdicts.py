"""`make mutants` skips the tests of a mutant equivalent.toml pins as equivalent — and only of such a one.

The skip is what keeps a whole run under its 30-minute budget (docs/development.md, "Mutation
testing"); a skip that fired on a stale entry or an unlisted mutant would report a live mutant
as equivalent, so both directions are pinned here, on a copy laid out as mutmut lays out
`mutants/`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mutation import verdicts
from mutation.run import pinned_equivalent

_MODULE = '''\
def x_clamp__mutmut_orig(value, top):
    return min(value, top)


def x_clamp__mutmut_1(value, top):
    return max(value, top)


def x_clamp__mutmut_2(value, top):
    return min(value, top + 1)
'''


def _copy(tmp_path: Path, change: str) -> Path:
    """A mutmut copy with one mutated module, `pkg/limits.py`, and an equivalent.toml pinning mutant 2."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "limits.py").write_text(_MODULE, encoding="utf-8")
    (tmp_path / "mutation").mkdir()
    (tmp_path / "mutation" / "equivalent.toml").write_text(
        f'[[equivalent]]\nmutant = "pkg.limits.x_clamp__mutmut_2"\nchange = "{change}"\nreason = "for the test"\n',
        encoding="utf-8")
    return tmp_path


def test_a_pinned_equivalent_is_recognised_and_nothing_else(tmp_path: Path) -> None:
    root = _copy(tmp_path, "return min(value, top + 1)")
    assert pinned_equivalent("pkg.limits.x_clamp__mutmut_2", root)
    assert not pinned_equivalent("pkg.limits.x_clamp__mutmut_1", root)  # not listed
    assert not pinned_equivalent("pkg.other.x_clamp__mutmut_2", root)  # no such module in the copy


def test_a_stale_entry_is_not_skipped(tmp_path: Path) -> None:
    """The code moved and mutmut's number 2 is now another change: its tests must run."""
    root = _copy(tmp_path, "return min(value, top - 1)")
    assert not pinned_equivalent("pkg.limits.x_clamp__mutmut_2", root)


@pytest.mark.parametrize(("mutant", "skipped"), [
    ("pkg.limits.x_clamp__mutmut_2", True),
    ("pkg.limits.x_clamp__mutmut_1", False),
    ("", False),  # the stats or clean run: no mutant
    ("fail", False),  # mutmut's forced-fail run
])
def test_the_plugin_answers_survived_only_for_a_pinned_equivalent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mutant: str, skipped: bool) -> None:
    root = _copy(tmp_path, "return min(value, top + 1)")
    monkeypatch.setattr(verdicts, "OUT", root / "verdicts.jsonl")
    monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
    answer = verdicts.pytest_cmdline_main(None)
    if not skipped:
        assert answer is None  # pytest runs the mutant's tests as usual
        assert not (root / "verdicts.jsonl").exists()
        return
    assert answer == 0  # mutmut reads 0 as "survived"; the report counts it as equivalent
    line = json.loads((root / "verdicts.jsonl").read_text(encoding="utf-8"))
    assert line["mutant"] == mutant and line["equivalent"] is True and line["tests"] == 0
