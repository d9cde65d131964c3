"""The rules the replay checks, on hand-made logs of events the contracts would never emit: each
broken rule is found under its code, and the same history without the fault is clean."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from adapters.audit.findings import Findings
from adapters.audit.replay import Replayer
from adapters.audit.state import LedgerState
from node.deploy import DeployedContract, Deployment
from node.events import EventCodec

ADDRESSES = {
    "Consortium": "0x" + "c1" * 20,
    "CreditLists": "0x" + "c2" * 20,
    "Evaluations": "0x" + "c3" * 20,
    "AnchorLog": "0x" + "c4" * 20,
}
DEPLOYMENT = Deployment(
    chain_id=31337,
    genesis_hash="0x" + "00" * 32,
    contracts={n: DeployedContract(a, "0x" + "de" * 32, 1, "") for n, a in ADDRESSES.items()},
    founding_members={31: "0x" + "31" * 20, 32: "0x" + "32" * 20, 33: "0x" + "33" * 20, 34: "0x" + "34" * 20},
    quorum=3,
    proposal_ttl=7 * 24 * 3600,
)
CODEC = EventCodec(ADDRESSES)
NOW = 1_770_000_000
ENTRY = "0x" + "e1" * 32


def word(value: int | str) -> str:
    return value[2:].rjust(64, "0") if isinstance(value, str) else f"{value:064x}"


class Chain:
    """Builds raw logs, one transaction per ``tx()``, one block per transaction."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []
        self._tx = itertools.count(1)
        self.block = 10
        self.tx_hash = ""

    def tx(self) -> Chain:
        self.block += 1
        self.tx_hash = "0x" + f"{next(self._tx):064x}"
        return self

    def log(self, contract: str, event: str, topics: list[int | str], data: str | list[int | str] = "") -> Chain:
        if isinstance(data, list):
            data = "".join(word(w) for w in data)
        self.logs.append(
            {
                "address": ADDRESSES[contract],
                "topics": [CODEC.topic(contract, event), *("0x" + word(t) for t in topics)],
                "data": "0x" + data,
                "blockNumber": hex(self.block),
                "blockTimestamp": hex(NOW + self.block),
                "transactionHash": self.tx_hash,
                "transactionIndex": "0x0",
                "logIndex": hex(len(self.logs)),
                "removed": False,
            }
        )
        return self

    def publish(self, province: int = 33, list_type: int = 2, valid_until: int = 0) -> Chain:
        self.tx().log(
            "CreditLists",
            "EntryPublished",
            [ENTRY, "0x" + "aa" * 32, province],
            [list_type, 3, "0x" + "cc" * 32, 1, valid_until],
        )
        return self.log("CreditLists", "BatchPublished", [province], [1, 1])

    def status(self, previous: int, status: int, province: int = 33, version: int = 1) -> Chain:
        return self.tx().log("CreditLists", "EntryStatusChanged", [ENTRY, province], [previous, status, version])


def replay(chain: Chain) -> Findings:
    state = LedgerState()
    c = state.consortium
    c.members = dict(DEPLOYMENT.founding_members)
    c.terms = dict.fromkeys(c.members, 1)
    c.quorum, c.tag_key_version = 3, 1
    findings = Findings()
    replayer = Replayer(deployment=DEPLOYMENT, state=state, findings=findings, block_time=lambda n: NOW + n)
    replayer.apply(chain.logs)
    replayer.end_page(chain.block)
    return findings


def test_a_legal_history_is_clean() -> None:
    chain = Chain().publish().status(1, 2).status(2, 1).status(1, 4)
    assert list(replay(chain)) == []


@pytest.mark.parametrize(
    ("steps", "code"),
    [
        ([(1, 3)], "ILLEGAL_TRANSITION"),  # AMENDED only by an amendment
        ([(1, 2), (2, 4)], "ILLEGAL_TRANSITION"),  # a disputed entry cannot be repaired
        ([(1, 6), (6, 1)], "ILLEGAL_TRANSITION"),  # a revoked entry stays revoked
        ([(1, 5)], "ILLEGAL_TRANSITION"),  # no valid-until: it never expires
        ([(2, 1)], "STATUS_MISMATCH"),  # the event's previous status is not the entry's
    ],
)
def test_illegal_status_changes_are_found(steps: list[tuple[int, int]], code: str) -> None:
    chain = Chain().publish()
    for previous, status in steps:
        chain.status(previous, status)
    assert code in replay(chain).codes()


def test_repair_applies_to_black_list_entries_only() -> None:
    assert "ILLEGAL_TRANSITION" in replay(Chain().publish(list_type=1).status(1, 4)).codes()


def test_expiry_is_checked_against_the_block_time() -> None:
    early = Chain().publish(valid_until=NOW + 10_000).status(1, 5)
    late = Chain().publish(valid_until=NOW + 12).status(1, 5)
    assert "ILLEGAL_TRANSITION" in replay(early).codes()
    assert list(replay(late)) == []


def test_only_the_owner_changes_an_entry() -> None:
    findings = replay(Chain().publish(province=33).status(1, 2, province=31))
    [hit] = [d for d in findings if d.code == "ENTRY_NOT_OWNER"]
    assert hit.evidence["owner"] == 33 and hit.evidence["writer"] == 31


def test_a_write_for_a_non_member_is_found() -> None:
    assert "WRITER_NOT_MEMBER" in replay(Chain().publish(province=35)).codes()


def test_a_batch_announcing_another_count_is_found() -> None:
    chain = Chain().tx()
    chain.log("CreditLists", "EntryPublished", [ENTRY, "0x" + "aa" * 32, 33], [2, 3, "0x" + "cc" * 32, 1, 0])
    chain.log("CreditLists", "BatchPublished", [33], [1, 2])
    assert "BATCH_COUNT_MISMATCH" in replay(chain).codes()


def test_a_proposal_executed_without_the_quorum_is_found() -> None:
    payload = abi_encode(["uint8"], [2]).hex()
    chain = Chain().tx()
    created = word(NOW + chain.block + DEPLOYMENT.proposal_ttl) + word(64) + word(len(payload) // 2) + payload
    chain.log("Consortium", "ProposalCreated", [1, 4, 31], created)
    chain.log("Consortium", "Voted", [1, 31], [1, 3])
    chain.tx().log("Consortium", "Voted", [1, 32], [2, 3])
    chain.log("Consortium", "QuorumChanged", [], [3, 2])
    chain.log("Consortium", "ProposalExecuted", [1, 4])

    findings = replay(chain)

    [hit] = [d for d in findings if d.code == "QUORUM_NOT_REACHED"]
    assert (hit.evidence["votes"], hit.evidence["quorum"]) == (2, 3)


def test_a_membership_change_outside_any_proposal_is_found() -> None:
    chain = Chain().tx().log("Consortium", "MemberAdded", [35, "0x" + "35" * 20])
    assert replay(chain).codes() == {"GOVERNANCE_WITHOUT_PROPOSAL"}


def test_a_checkpoint_that_does_not_grow_is_found() -> None:
    name = b"yrdx.gateway.audit".ljust(32, b"\x00")
    stream = "0x" + keccak(bytes([33]) + name).hex()
    chain = Chain().tx().log("AnchorLog", "StreamOpened", [stream, 33], ["0x" + name.hex()])
    chain.tx().log("AnchorLog", "CheckpointAnchored", [stream, 33], [0, 10, "0x" + "11" * 32, NOW])
    chain.tx().log("AnchorLog", "CheckpointAnchored", [stream, 33], [1, 10, "0x" + "22" * 32, NOW])
    assert replay(chain).codes() == {"CHECKPOINT_NOT_GROWING"}


def test_a_recognition_of_ones_own_result_is_found() -> None:
    local_id = b"R-1".ljust(32, b"\x00")
    result = "0x" + keccak(bytes([33]) + local_id).hex()
    chain = Chain().tx()
    data: list[int | str] = ["0x" + local_id.hex(), 3, 3301, 1, "0x" + "cc" * 32, 1, 0]
    chain.log("Evaluations", "ResultPublished", [result, "0x" + "aa" * 32, 33], data)
    chain.tx().log("Evaluations", "ResultRecognised", [result, 33], [1, 1])
    assert "RECOGNITION_INVALID" in replay(chain).codes()
