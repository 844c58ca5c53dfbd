"""The argument models refuse hostile names before any handler runs (pydantic patterns)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tools.addons.ee_tools import EeCloneArgs, EeDeployArgs, EeLinkArgs
from tools.addons.manifest import parse_manifest_text
from tools.addons.oca_tools import OcaCloneRepoArgs


@pytest.mark.parametrize(
    "name",
    ["..", "../x", "/etc", "~", "a/b", "a.b", "A", "sign\n", "sign\x00", " sign", "ѕign", "ｓign", "-x", "_x", "",
     "a" * 101],
)
def test_module_names(name: str) -> None:
    with pytest.raises(ValidationError):
        EeLinkArgs(modules=[name])


def test_good_names_pass() -> None:
    assert EeLinkArgs(modules=["l10n_be_reports", "account_reports"]).modules[0] == "l10n_be_reports"
    assert OcaCloneRepoArgs(repo="stock-logistics-barcode", branch="saas-18.4").branch == "saas-18.4"
    assert EeCloneArgs(branch="19.0", mode="buffered", instance="prod-1").instance == "prod-1"


@pytest.mark.parametrize("branch", ["--upload-pack=x", "..", "a..b", "19.0/x", "19.0\n", "x" * 300, "-b", "19.0 "])
def test_branch_names(branch: str) -> None:
    with pytest.raises(ValidationError):
        OcaCloneRepoArgs(repo="web", branch=branch)


@pytest.mark.parametrize("value", ["a\r\nX: 1", "a b", "", "x" * 600])
def test_tokens_are_header_safe(value: str) -> None:
    with pytest.raises(ValidationError):
        EeCloneArgs(token=value)


def test_deploy_needs_an_instance_name() -> None:
    with pytest.raises(ValidationError):
        EeDeployArgs(instance="../enterprise")


def test_broken_manifest_message_is_readable() -> None:
    with pytest.raises(ValueError, match=r"code \(a call, a name or an operation\) at line 2; never executed"):
        parse_manifest_text('{\n"name": __import__("os").getenv("X")}')
