"""Builders, enums and checks shared by the contract suite.

Values mirror the Solidity types of ``contracts/src/interfaces``; nothing here talks to the
ledger except through an :class:`~tests.support.Exchange`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from enum import IntEnum
from typing import Any

import pytest
from eth_utils.crypto import keccak

from node.client import Receipt
from node.errors import ContractRevert
from tests.support import PROVINCE_CODES, Exchange, dev_account

PROVINCE_SHORT = {31: "SH", 32: "JS", 33: "ZJ", 34: "AH"}
OUTSIDER = 5  # dev account 5 is no member
ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = bytes(32)
DAY = 24 * 3600


class ListType(IntEnum):
    NONE = 0
    RED = 1
    BLACK = 2


class Status(IntEnum):
    NONE = 0
    PUBLISHED = 1
    DISPUTED = 2
    AMENDED = 3
    REPAIRED = 4
    EXPIRED = 5
    REVOKED = 6


class ProposalKind(IntEnum):
    NONE = 0
    ADD_MEMBER = 1
    REMOVE_MEMBER = 2
    ROTATE_SIGNER = 3
    SET_QUORUM = 4
    BUMP_TAG_KEY_VERSION = 5
    CALL = 6


class ProposalState(IntEnum):
    NONE = 0
    PENDING = 1
    EXECUTED = 2
    EXPIRED = 3


class ResultStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    REVOKED = 2


# -- identifiers ---------------------------------------------------------------------------

_serial = itertools.count(1)


def local_id(code: int, kind: str = "L") -> bytes:
    """A fresh list number of province ``code``: ASCII, right-padded with zero bytes."""
    text = f"{PROVINCE_SHORT.get(code, 'XX')}-{kind}-2025-{next(_serial):08d}"
    return text.encode("ascii").ljust(32, b"\0")


def packed_id(code: int, local: bytes) -> bytes:
    """keccak256(abi.encodePacked(uint8 code, bytes32 localId)), computed here, not by the contract."""
    assert 0 <= code < 256 and len(local) == 32
    return keccak(bytes([code]) + local)


def digest(label: str) -> bytes:
    """A reproducible 32-byte stand-in for a subject tag, commitment or Merkle root."""
    return keccak(text=f"{label}#{next(_serial)}")


def signer(code: int) -> str:
    """The founding signer address of province ``code`` (dev accounts 1-4)."""
    return dev_account(PROVINCE_CODES.index(code) + 1).address


# -- credit lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    """ICreditLists.NewEntry."""

    local_id: bytes
    list_type: int
    domain: int
    subject_tag: bytes
    commitment: bytes
    valid_from: int
    valid_until: int

    def abi(self) -> tuple[Any, ...]:
        return astuple(self)

    def id_for(self, code: int) -> bytes:
        return packed_id(code, self.local_id)


def new_entry(code: int, **overrides: Any) -> NewEntry:
    """A valid black-list entry of province ``code`` without end date, unless overridden."""
    fields: dict[str, Any] = {
        "local_id": local_id(code, "BL" if overrides.get("list_type", ListType.BLACK) == ListType.BLACK else "RL"),
        "list_type": ListType.BLACK,
        "domain": 7,
        "subject_tag": digest("tag"),
        "commitment": digest("commitment"),
        "valid_from": 1_735_689_600,  # 2025-01-01
        "valid_until": 0,
    }
    fields.update(overrides)
    return NewEntry(**fields)


@dataclass(frozen=True)
class EntryState:
    """ICreditLists.Entry as returned by ``entry()``."""

    province: int
    list_type: int
    status: int
    domain: int
    version: int
    valid_from: int
    valid_until: int
    updated_at: int


def entry_state(exchange: Exchange, entry_id: bytes) -> EntryState:
    return EntryState(*exchange.call("CreditLists", "entry", entry_id))


def publish(exchange: Exchange, who: Any, *entries: NewEntry, tag_key_version: int = 1) -> Receipt:
    return exchange.send(who, "CreditLists", "publishBatch", tag_key_version, [e.abi() for e in entries])


def change_status(exchange: Exchange, who: Any, *changes: tuple[bytes, int]) -> Receipt:
    return exchange.send(who, "CreditLists", "changeStatusBatch", [(eid, int(s)) for eid, s in changes])


def amend(exchange: Exchange, who: Any, *amendments: tuple[bytes, bytes, int, int]) -> Receipt:
    return exchange.send(who, "CreditLists", "amendBatch", list(amendments))


# -- ledger --------------------------------------------------------------------------------


def chain_time(exchange: Exchange) -> int:
    """Timestamp of the latest block: what the next transaction's block starts from."""
    return int(exchange.clients[31].block("latest")["timestamp"])


def block_time(exchange: Exchange, receipt: Receipt) -> int:
    return int(exchange.clients[31].block(receipt.block_number)["timestamp"])


def events_of(exchange: Exchange, receipt: Receipt, contract: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, arguments) of each event ``contract`` emitted in ``receipt``, in log order."""
    return [(e["event"], dict(e["args"])) for e in exchange.events(receipt, contract)]


def _normal(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    if isinstance(value, IntEnum):
        return int(value)
    return value


@contextlib.contextmanager
def reverts(name: str, **args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevert]]:
    """Expect the block to revert with custom error ``name`` and (some of) its arguments."""
    with pytest.raises(ContractRevert) as caught:
        yield caught
    error = caught.value
    assert error.name == name, f"expected {name}, got {error}"
    got = {key: _normal(error.args_by_name.get(key)) for key in args}
    assert got == {key: _normal(value) for key, value in args.items()}, f"{name} arguments"


# -- governance ----------------------------------------------------------------------------


def propose(exchange: Exchange, who: Any, function: str, *args: Any) -> tuple[int, Receipt]:
    """Make a proposal and return its id (from its ProposalCreated event) and the receipt."""
    receipt = exchange.send(who, "Consortium", function, *args)
    created = [a for name, a in events_of(exchange, receipt, "Consortium") if name == "ProposalCreated"]
    assert len(created) == 1
    return int(created[0]["proposalId"]), receipt


def enact(
    exchange: Exchange, function: str, *args: Any, proposer: int = 31, voters: tuple[int, ...] = (32, 33)
) -> tuple[int, Receipt]:
    """Propose and vote until the quorum executes; returns the id and the last receipt."""
    proposal_id, receipt = propose(exchange, proposer, function, *args)
    for voter in voters:
        receipt = exchange.send(voter, "Consortium", "vote", proposal_id)
    assert exchange.call("Consortium", "proposalState", proposal_id) == ProposalState.EXECUTED
    return proposal_id, receipt


def adopt_agreement(
    exchange: Exchange, domain: int, yrd_levels: int, mappings: list[tuple[int, int, list[int]]]
) -> Receipt:
    """Adopt a recognition agreement the only way there is: a consortium call reaching quorum."""
    data = exchange.contract("Evaluations").encode_abi("adoptAgreement", args=[domain, yrd_levels, mappings])
    _, receipt = enact(exchange, "proposeCall", exchange.deployment.address("Evaluations"), data)
    return receipt
