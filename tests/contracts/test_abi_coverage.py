"""The contract suite names every external function and custom error of the contracts.

A guard, not a proof: it fails when a contract gains a function or an error that no test of
this directory mentions, so that new behaviour cannot arrive untested. Needs no ledger.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from node.artifacts import committed
from node.compiler import CONTRACTS

SUITE = Path(__file__).parent
# OpenZeppelin Address errors in the Consortium ABI that no transaction can raise: calls carry
# no value, and proposeCall only accepts targets with code (which, since EIP-6780, a later
# transaction cannot remove).
UNREACHABLE = {("Consortium", "InsufficientBalance"), ("Consortium", "AddressEmptyCode")}


def _suite_strings() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in SUITE.glob("test_*.py") if p.name != Path(__file__).name)
    return set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', text))


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_function_and_error_is_named_by_a_test(contract: str) -> None:
    abi = committed(contract).abi
    names = {(e["type"], e["name"]) for e in abi if e["type"] in ("function", "error")}
    assert names, f"{contract} has no functions or errors in its ABI"
    helpers = (SUITE / "helpers.py").read_text(encoding="utf-8")
    mentioned = _suite_strings() | set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', helpers))
    missing = sorted(
        f"{kind} {name}" for kind, name in names if name not in mentioned and (contract, name) not in UNREACHABLE
    )
    assert missing == []
