"""Consortium: founding state, every proposal kind, votes, quorum, expiry and signer keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode

from node.artifacts import committed
from tests.contracts.helpers import (
    DAY,
    OUTSIDER,
    ZERO_ADDRESS,
    ProposalKind,
    ProposalState,
    Status,
    block_time,
    chain_time,
    change_status,
    enact,
    entry_state,
    events_of,
    new_entry,
    propose,
    publish,
    reverts,
    signer,
)
from tests.support import PROVINCE_CODES, Exchange, dev_account

pytestmark = pytest.mark.ledger

TTL = 7 * DAY


def tally(exchange: Exchange, proposal_id: int) -> int:
    return int(exchange.call("Consortium", "proposal", proposal_id)[4])


def state(exchange: Exchange, proposal_id: int) -> ProposalState:
    return ProposalState(exchange.call("Consortium", "proposalState", proposal_id))


# -- founding state ------------------------------------------------------------------------


def test_founding_members_quorum_and_tag_key_version(exchange: Exchange) -> None:
    assert exchange.call("Consortium", "members") == [31, 32, 33, 34]
    assert exchange.call("Consortium", "quorum") == 3
    assert exchange.call("Consortium", "tagKeyVersion") == 1
    assert exchange.call("Consortium", "proposalTtl") == TTL
    assert exchange.call("Consortium", "proposalCount") == 0
    for code in PROVINCE_CODES:
        assert exchange.call("Consortium", "isMember", code) is True
        assert exchange.call("Consortium", "signerOf", code) == signer(code)
        assert exchange.call("Consortium", "memberOf", signer(code)) == [code, 1]
    for code in (0, 30, 35, 255):
        assert exchange.call("Consortium", "isMember", code) is False
        assert exchange.call("Consortium", "signerOf", code) == ZERO_ADDRESS
    outsider = dev_account(OUTSIDER).address
    with reverts("ConsortiumNotAMember", account=outsider):
        exchange.call("Consortium", "memberOf", outsider)


def test_deployment_emits_founding_events(exchange: Exchange) -> None:
    deployed = exchange.deployment.contracts["Consortium"]
    receipt = exchange.clients[31].receipt(deployed.tx_hash)
    assert receipt is not None
    assert events_of(exchange, receipt, "Consortium") == [
        *[("MemberAdded", {"code": code, "signer": signer(code)}) for code in PROVINCE_CODES],
        ("QuorumChanged", {"previousQuorum": 0, "newQuorum": 3}),
        ("TagKeyVersionBumped", {"newVersion": 1}),
    ]


def test_other_contracts_are_wired_to_the_consortium(shared_exchange: Exchange) -> None:
    consortium = shared_exchange.deployment.address("Consortium")
    for name in ("CreditLists", "Evaluations", "AnchorLog"):
        assert shared_exchange.call(name, "consortium") == consortium


_A, _B, _C, _D = (dev_account(i).address for i in (1, 2, 3, 4))


@pytest.mark.parametrize(
    ("codes", "signers", "quorum", "error", "args"),
    [
        ([31, 32], [_A], 1, "ConsortiumFoundingMismatch", {"codes": 2, "signers": 1}),
        ([31, 32], [_A, _B], 0, "ConsortiumInvalidQuorum", {"quorum": 0, "memberCount": 2}),
        ([31, 32], [_A, _B], 3, "ConsortiumInvalidQuorum", {"quorum": 3, "memberCount": 2}),
        ([31, 31], [_A, _B], 1, "ConsortiumMemberExists", {"code": 31}),
        ([31, 32], [_A, _A], 1, "ConsortiumSignerInUse", {"signer": _A}),
        ([31, 32], [_A, ZERO_ADDRESS], 1, "ConsortiumZeroAddress", {}),
        ([0, 32], [_A, _B], 1, "ConsortiumInvalidMemberCode", {"code": 0}),
    ],
    ids=["mismatch", "quorum-0", "quorum-above-members", "duplicate-code", "duplicate-signer", "zero-signer", "code-0"],
)
def test_constructor_refuses_bad_founding_sets(
    ledger_url: str, codes: list[int], signers: list[str], quorum: int, error: str, args: dict[str, Any]
) -> None:
    deployer = Exchange.client_for(ledger_url, dev_account(0))
    data = committed("Consortium").bytecode + abi_encode(
        ["uint8[]", "address[]", "uint8", "uint64"], [codes, signers, quorum, TTL]
    )
    with reverts(error, **args):
        deployer.estimate_raw(to=None, data=data)


# -- every proposal kind end to end --------------------------------------------------------


@dataclass(frozen=True)
class KindCase:
    kind: ProposalKind
    function: str
    args: Callable[[Exchange], tuple[Any, ...]]
    payload: Callable[[Exchange], bytes]
    observe: Callable[[Exchange], Any]  # the state the proposal changes
    before: Any
    after: Any
    effect_events: list[tuple[str, dict[str, Any]]]  # Consortium events between Voted and ProposalExecuted


def _agreement_call(exchange: Exchange) -> tuple[str, bytes]:
    data = exchange.contract("Evaluations").encode_abi("adoptAgreement", args=[1, 4, [(32, 3201, [1, 2, 3, 4, 4])]])
    return exchange.deployment.address("Evaluations"), bytes.fromhex(data[2:])


def _membership(exchange: Exchange, code: int) -> tuple[Any, ...]:
    return (
        exchange.call("Consortium", "isMember", code),
        exchange.call("Consortium", "signerOf", code),
        tuple(exchange.call("Consortium", "members")),
    )


NEW_KEY = dev_account(6).address

KIND_CASES = [
    KindCase(
        ProposalKind.ADD_MEMBER,
        "proposeAddMember",
        lambda ex: (35, dev_account(OUTSIDER).address),
        lambda ex: abi_encode(["uint8", "address"], [35, dev_account(OUTSIDER).address]),
        lambda ex: _membership(ex, 35),
        (False, ZERO_ADDRESS, (31, 32, 33, 34)),
        (True, dev_account(OUTSIDER).address, (31, 32, 33, 34, 35)),
        [("MemberAdded", {"code": 35, "signer": dev_account(OUTSIDER).address})],
    ),
    KindCase(
        ProposalKind.REMOVE_MEMBER,
        "proposeRemoveMember",
        lambda ex: (34,),
        lambda ex: abi_encode(["uint8"], [34]),
        lambda ex: _membership(ex, 34),
        (True, signer(34), (31, 32, 33, 34)),
        (False, ZERO_ADDRESS, (31, 32, 33)),
        [("MemberRemoved", {"code": 34, "signer": signer(34)})],
    ),
    KindCase(
        ProposalKind.ROTATE_SIGNER,
        "proposeRotateSigner",
        lambda ex: (33, NEW_KEY),
        lambda ex: abi_encode(["uint8", "address"], [33, NEW_KEY]),
        lambda ex: ex.call("Consortium", "signerOf", 33),
        signer(33),
        NEW_KEY,
        [("SignerRotated", {"code": 33, "previousSigner": signer(33), "newSigner": NEW_KEY})],
    ),
    KindCase(
        ProposalKind.SET_QUORUM,
        "proposeSetQuorum",
        lambda ex: (2,),
        lambda ex: abi_encode(["uint8"], [2]),
        lambda ex: ex.call("Consortium", "quorum"),
        3,
        2,
        [("QuorumChanged", {"previousQuorum": 3, "newQuorum": 2})],
    ),
    KindCase(
        ProposalKind.BUMP_TAG_KEY_VERSION,
        "proposeBumpTagKeyVersion",
        lambda ex: (),
        lambda ex: abi_encode(["uint32"], [2]),
        lambda ex: ex.call("Consortium", "tagKeyVersion"),
        1,
        2,
        [("TagKeyVersionBumped", {"newVersion": 2})],
    ),
    KindCase(
        ProposalKind.CALL,
        "proposeCall",
        _agreement_call,
        lambda ex: abi_encode(["address", "bytes"], list(_agreement_call(ex))),
        lambda ex: tuple(ex.call("Evaluations", "agreement", 1)),
        (0, 0),
        (1, 4),
        [],
    ),
]


@pytest.mark.parametrize("case", KIND_CASES, ids=lambda c: c.kind.name.lower())
def test_proposal_executes_at_the_third_vote_and_not_before(exchange: Exchange, case: KindCase) -> None:
    receipt = exchange.send(31, "Consortium", case.function, *case.args(exchange))
    created_at = block_time(exchange, receipt)
    payload = case.payload(exchange)
    assert events_of(exchange, receipt, "Consortium") == [
        (
            "ProposalCreated",
            {"proposalId": 1, "kind": case.kind, "proposer": 31, "expiresAt": created_at + TTL, "payload": payload},
        ),
        ("Voted", {"proposalId": 1, "voter": 31, "votes": 1, "quorum": 3}),
    ]
    assert exchange.call("Consortium", "proposalCount") == 1
    assert exchange.call("Consortium", "proposal", 1) == [
        case.kind,
        ProposalState.PENDING,
        31,
        created_at + TTL,
        1,
        payload,
    ]

    receipt = exchange.send(32, "Consortium", "vote", 1)
    assert events_of(exchange, receipt, "Consortium") == [
        ("Voted", {"proposalId": 1, "voter": 32, "votes": 2, "quorum": 3})
    ]
    assert state(exchange, 1) == ProposalState.PENDING
    assert case.observe(exchange) == case.before

    receipt = exchange.send(33, "Consortium", "vote", 1)
    assert events_of(exchange, receipt, "Consortium") == [
        ("Voted", {"proposalId": 1, "voter": 33, "votes": 3, "quorum": 3}),
        *case.effect_events,
        ("ProposalExecuted", {"proposalId": 1, "kind": case.kind}),
    ]
    assert state(exchange, 1) == ProposalState.EXECUTED
    assert case.observe(exchange) == case.after
    assert [exchange.call("Consortium", "hasVoted", 1, code) for code in PROVINCE_CODES] == [True, True, True, False]


def test_call_proposal_runs_the_target_as_the_consortium(exchange: Exchange) -> None:
    target, data = _agreement_call(exchange)
    _, receipt = enact(exchange, "proposeCall", target, data)
    assert events_of(exchange, receipt, "Evaluations") == [
        ("AgreementAdopted", {"domain": 1, "version": 1, "yrdLevels": 4}),
        ("SchemeMapped", {"domain": 1, "version": 1, "province": 32, "schemeId": 3201, "yrdGrades": [1, 2, 3, 4, 4]}),
    ]


def test_quorum_of_one_executes_at_creation(ledger_url: str) -> None:
    exchange = Exchange.deploy(ledger_url, quorum=1)
    receipt = exchange.send(34, "Consortium", "proposeBumpTagKeyVersion")
    names = [name for name, _ in events_of(exchange, receipt, "Consortium")]
    assert names == ["ProposalCreated", "Voted", "TagKeyVersionBumped", "ProposalExecuted"]
    assert events_of(exchange, receipt, "Consortium")[1][1] == {"proposalId": 1, "voter": 34, "votes": 1, "quorum": 1}
    assert exchange.call("Consortium", "tagKeyVersion") == 2
    assert state(exchange, 1) == ProposalState.EXECUTED


# -- votes ---------------------------------------------------------------------------------


def test_nobody_votes_twice(shared_exchange: Exchange) -> None:
    proposal_id, _ = propose(shared_exchange, 31, "proposeSetQuorum", 3)
    with reverts("ConsortiumAlreadyVoted", proposalId=proposal_id, voter=31):
        shared_exchange.send(31, "Consortium", "vote", proposal_id)
    shared_exchange.send(32, "Consortium", "vote", proposal_id)
    with reverts("ConsortiumAlreadyVoted", proposalId=proposal_id, voter=32):
        shared_exchange.send(32, "Consortium", "vote", proposal_id)
    assert tally(shared_exchange, proposal_id) == 2
    assert state(shared_exchange, proposal_id) == ProposalState.PENDING


PROPOSALS_WITH_VALID_ARGUMENTS: list[tuple[str, Callable[[Exchange], tuple[Any, ...]]]] = [
    ("proposeAddMember", lambda ex: (35, dev_account(7).address)),
    ("proposeRemoveMember", lambda ex: (34,)),
    ("proposeRotateSigner", lambda ex: (31, dev_account(7).address)),
    ("proposeSetQuorum", lambda ex: (2,)),
    ("proposeBumpTagKeyVersion", lambda ex: ()),
    ("proposeCall", _agreement_call),
]


@pytest.mark.parametrize(
    ("function", "args"), PROPOSALS_WITH_VALID_ARGUMENTS, ids=[f for f, _ in PROPOSALS_WITH_VALID_ARGUMENTS]
)
def test_non_member_cannot_propose(
    shared_exchange: Exchange, function: str, args: Callable[[Exchange], tuple[Any, ...]]
) -> None:
    outsider = shared_exchange.account_client(OUTSIDER)
    count = shared_exchange.call("Consortium", "proposalCount")
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        shared_exchange.send(outsider, "Consortium", function, *args(shared_exchange))
    assert shared_exchange.call("Consortium", "proposalCount") == count


def test_non_member_cannot_vote(shared_exchange: Exchange) -> None:
    proposal_id, _ = propose(shared_exchange, 32, "proposeSetQuorum", 3)
    for index in (0, OUTSIDER, 9):
        with reverts("ConsortiumNotAMember", account=dev_account(index).address):
            shared_exchange.send(shared_exchange.account_client(index), "Consortium", "vote", proposal_id)
    assert tally(shared_exchange, proposal_id) == 1


def test_unknown_proposal(shared_exchange: Exchange) -> None:
    unknown = 10**6
    with reverts("ConsortiumUnknownProposal", proposalId=unknown):
        shared_exchange.send(31, "Consortium", "vote", unknown)
    with reverts("ConsortiumUnknownProposal", proposalId=unknown):
        shared_exchange.call("Consortium", "proposal", unknown)
    assert state(shared_exchange, unknown) == ProposalState.NONE
    assert shared_exchange.call("Consortium", "hasVoted", unknown, 31) is False


def test_executed_proposal_refuses_votes(shared_exchange: Exchange) -> None:
    proposal_id, _ = enact(shared_exchange, "proposeSetQuorum", 3)
    for voter in (34, 31):  # one that has not voted, one that has
        with reverts("ConsortiumProposalExecuted", proposalId=proposal_id):
            shared_exchange.send(voter, "Consortium", "vote", proposal_id)
    assert tally(shared_exchange, proposal_id) == 3


def test_proposal_expires_after_its_ttl(exchange: Exchange) -> None:
    proposal_id, receipt = propose(exchange, 31, "proposeBumpTagKeyVersion")
    expires_at = block_time(exchange, receipt) + TTL
    exchange.advance_time(TTL - 3600)
    exchange.send(32, "Consortium", "vote", proposal_id)  # still open an hour before the end
    assert state(exchange, proposal_id) == ProposalState.PENDING

    exchange.advance_time(7200)
    assert chain_time(exchange) > expires_at
    assert state(exchange, proposal_id) == ProposalState.EXPIRED
    assert exchange.call("Consortium", "proposal", proposal_id)[1] == ProposalState.EXPIRED
    with reverts("ConsortiumProposalExpired", proposalId=proposal_id, expiredAt=expires_at):
        exchange.send(33, "Consortium", "vote", proposal_id)
    assert exchange.call("Consortium", "tagKeyVersion") == 1
    assert tally(exchange, proposal_id) == 2


# -- membership changes and votes ----------------------------------------------------------


def test_removed_members_vote_stops_counting(exchange: Exchange) -> None:
    pending, _ = propose(exchange, 34, "proposeBumpTagKeyVersion")
    assert tally(exchange, pending) == 1
    enact(exchange, "proposeRemoveMember", 34)

    assert tally(exchange, pending) == 0
    assert exchange.call("Consortium", "hasVoted", pending, 34) is False  # no longer a member
    removed = exchange.clients[34]
    with reverts("ConsortiumNotAMember", account=signer(34)):
        exchange.send(removed, "Consortium", "proposeBumpTagKeyVersion")
    with reverts("ConsortiumNotAMember", account=signer(34)):
        exchange.send(removed, "Consortium", "vote", pending)
    with reverts("ConsortiumNotAMember", account=signer(34)):
        publish(exchange, removed, new_entry(34))

    receipt = exchange.send(31, "Consortium", "vote", pending)
    assert events_of(exchange, receipt, "Consortium") == [
        ("Voted", {"proposalId": pending, "voter": 31, "votes": 1, "quorum": 3})
    ]
    exchange.send(32, "Consortium", "vote", pending)
    assert state(exchange, pending) == ProposalState.PENDING
    exchange.send(33, "Consortium", "vote", pending)
    assert exchange.call("Consortium", "tagKeyVersion") == 2


def test_rotated_signer_old_key_refused_new_key_keeps_entries_and_votes(exchange: Exchange) -> None:
    entry = new_entry(31)
    entry_id = entry.id_for(31)
    publish(exchange, 31, entry)
    pending, _ = propose(exchange, 31, "proposeSetQuorum", 3)
    enact(exchange, "proposeRotateSigner", 31, NEW_KEY, proposer=32, voters=(33, 34))

    old = exchange.clients[31]
    for write in (
        lambda: publish(exchange, old, new_entry(31)),
        lambda: change_status(exchange, old, (entry_id, Status.DISPUTED)),
        lambda: exchange.send(old, "Consortium", "proposeBumpTagKeyVersion"),
    ):
        with reverts("ConsortiumNotAMember", account=signer(31)):
            write()
    with reverts("ConsortiumNotAMember", account=signer(31)):
        exchange.call("Consortium", "memberOf", signer(31))

    new = exchange.account_client(6)
    assert exchange.call("Consortium", "memberOf", NEW_KEY) == [31, 1]
    receipt = change_status(exchange, new, (entry_id, Status.DISPUTED))
    assert events_of(exchange, receipt, "CreditLists")[0][1]["province"] == 31
    assert entry_state(exchange, entry_id).status == Status.DISPUTED
    fresh = new_entry(31)
    publish(exchange, new, fresh)
    assert entry_state(exchange, fresh.id_for(31)).province == 31
    # votes belong to the member, not to the key
    with reverts("ConsortiumAlreadyVoted", proposalId=pending, voter=31):
        exchange.send(new, "Consortium", "vote", pending)


# -- quorum bounds and checks at execution -------------------------------------------------


@pytest.mark.parametrize("quorum", [0, 5, 255])
def test_set_quorum_must_stay_within_the_members(shared_exchange: Exchange, quorum: int) -> None:
    with reverts("ConsortiumInvalidQuorum", quorum=quorum, memberCount=4):
        shared_exchange.send(31, "Consortium", "proposeSetQuorum", quorum)


def test_quorum_is_checked_again_at_execution(exchange: Exchange) -> None:
    raise_quorum, _ = propose(exchange, 31, "proposeSetQuorum", 4)
    enact(exchange, "proposeRemoveMember", 34)
    exchange.send(32, "Consortium", "vote", raise_quorum)
    with reverts("ConsortiumInvalidQuorum", quorum=4, memberCount=3):
        exchange.send(33, "Consortium", "vote", raise_quorum)
    assert state(exchange, raise_quorum) == ProposalState.PENDING
    assert exchange.call("Consortium", "hasVoted", raise_quorum, 33) is False
    assert exchange.call("Consortium", "quorum") == 3


def test_removal_that_makes_the_quorum_unreachable_is_refused(ledger_url: str) -> None:
    exchange = Exchange.deploy(ledger_url, quorum=4)
    with reverts("ConsortiumQuorumUnreachable", quorum=4, memberCountAfter=3):
        exchange.send(31, "Consortium", "proposeRemoveMember", 34)
    assert exchange.call("Consortium", "proposalCount") == 0


def test_reachability_is_checked_again_at_execution(exchange: Exchange) -> None:
    first, _ = propose(exchange, 31, "proposeRemoveMember", 34)
    second, _ = propose(exchange, 31, "proposeRemoveMember", 33)
    for voter in (32, 33):
        exchange.send(voter, "Consortium", "vote", first)
    exchange.send(32, "Consortium", "vote", second)
    with reverts("ConsortiumQuorumUnreachable", quorum=3, memberCountAfter=2):
        exchange.send(33, "Consortium", "vote", second)
    assert exchange.call("Consortium", "members") == [31, 32, 33]
    assert state(exchange, second) == ProposalState.PENDING


def test_signer_taken_meanwhile_is_refused_at_execution(exchange: Exchange) -> None:
    key = dev_account(7).address
    first, _ = propose(exchange, 31, "proposeAddMember", 35, key)
    second, _ = propose(exchange, 31, "proposeAddMember", 36, key)
    for voter in (32, 33):
        exchange.send(voter, "Consortium", "vote", first)
    exchange.send(32, "Consortium", "vote", second)
    with reverts("ConsortiumSignerInUse", signer=key):
        exchange.send(33, "Consortium", "vote", second)
    assert exchange.call("Consortium", "members") == [31, 32, 33, 34, 35]


@pytest.mark.parametrize(
    ("function", "args", "error", "error_args"),
    [
        ("proposeAddMember", lambda ex: (32, dev_account(7).address), "ConsortiumMemberExists", {"code": 32}),
        ("proposeAddMember", lambda ex: (35, signer(32)), "ConsortiumSignerInUse", {"signer": signer(32)}),
        ("proposeAddMember", lambda ex: (35, ZERO_ADDRESS), "ConsortiumZeroAddress", {}),
        ("proposeAddMember", lambda ex: (0, dev_account(7).address), "ConsortiumInvalidMemberCode", {"code": 0}),
        ("proposeRotateSigner", lambda ex: (33, signer(32)), "ConsortiumSignerInUse", {"signer": signer(32)}),
        ("proposeRotateSigner", lambda ex: (33, signer(33)), "ConsortiumSignerInUse", {"signer": signer(33)}),
        ("proposeRotateSigner", lambda ex: (33, ZERO_ADDRESS), "ConsortiumZeroAddress", {}),
        ("proposeRotateSigner", lambda ex: (35, dev_account(7).address), "ConsortiumUnknownMember", {"code": 35}),
        ("proposeRemoveMember", lambda ex: (35,), "ConsortiumUnknownMember", {"code": 35}),
        ("proposeRemoveMember", lambda ex: (0,), "ConsortiumUnknownMember", {"code": 0}),
    ],
    ids=[
        "add-existing-member",
        "add-signer-in-use",
        "add-zero-address",
        "add-code-0",
        "rotate-to-another-members-signer",
        "rotate-to-own-signer",
        "rotate-to-zero-address",
        "rotate-unknown-member",
        "remove-unknown-member",
        "remove-code-0",
    ],
)
def test_membership_proposal_errors(
    shared_exchange: Exchange,
    function: str,
    args: Callable[[Exchange], tuple[Any, ...]],
    error: str,
    error_args: dict[str, Any],
) -> None:
    count = shared_exchange.call("Consortium", "proposalCount")
    with reverts(error, **error_args):
        shared_exchange.send(31, "Consortium", function, *args(shared_exchange))
    assert shared_exchange.call("Consortium", "proposalCount") == count


# -- tag key version -----------------------------------------------------------------------


def test_bump_proposal_moves_only_to_the_version_it_announced(exchange: Exchange) -> None:
    """Two bump proposals made at version 1 both announce version 2 in their payload; the
    members voted for that version, so executing the second must not reach version 3."""
    first, _ = propose(exchange, 31, "proposeBumpTagKeyVersion")
    second, _ = propose(exchange, 32, "proposeBumpTagKeyVersion")
    (announced,) = abi_decode(["uint32"], exchange.call("Consortium", "proposal", second)[5])
    assert announced == 2
    for voter in (32, 33):
        exchange.send(voter, "Consortium", "vote", first)
    assert exchange.call("Consortium", "tagKeyVersion") == 2

    exchange.send(31, "Consortium", "vote", second)
    with reverts("ConsortiumStaleProposal", proposalId=second):
        exchange.send(33, "Consortium", "vote", second)
    assert exchange.call("Consortium", "tagKeyVersion") == announced
    assert state(exchange, second) == ProposalState.PENDING


def test_readmitted_member_votes_afresh(exchange: Exchange) -> None:
    """A vote belongs to the voter's term: after removal and re-admission the old vote no
    longer counts, and the member may vote again."""
    pending, _ = propose(exchange, 34, "proposeSetQuorum", 2)
    enact(exchange, "proposeRemoveMember", 34)
    newcomer = dev_account(6).address
    enact(exchange, "proposeAddMember", 34, newcomer)
    assert exchange.call("Consortium", "isMember", 34) is True
    assert tally(exchange, pending) == 0
    assert exchange.call("Consortium", "hasVoted", pending, 34) is False

    readmitted = exchange.account_client(6)
    receipt = exchange.send(readmitted, "Consortium", "vote", pending)
    assert events_of(exchange, receipt, "Consortium") == [
        ("Voted", {"proposalId": pending, "voter": 34, "votes": 1, "quorum": 3})
    ]
    with reverts("ConsortiumAlreadyVoted", proposalId=pending, voter=34):
        exchange.send(readmitted, "Consortium", "vote", pending)


def test_execute_runs_a_proposal_that_reached_a_lowered_quorum(exchange: Exchange) -> None:
    pending, _ = propose(exchange, 31, "proposeBumpTagKeyVersion")
    exchange.send(32, "Consortium", "vote", pending)
    with reverts("ConsortiumQuorumNotReached", proposalId=pending, votes=2, quorum=3):
        exchange.send(33, "Consortium", "execute", pending)
    enact(exchange, "proposeSetQuorum", 2, proposer=33, voters=(34, 31))
    assert state(exchange, pending) == ProposalState.PENDING  # nobody voted since the change

    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        exchange.send(exchange.account_client(OUTSIDER), "Consortium", "execute", pending)
    receipt = exchange.send(34, "Consortium", "execute", pending)
    assert ("ProposalExecuted", {"proposalId": pending, "kind": ProposalKind.BUMP_TAG_KEY_VERSION}) in events_of(
        exchange, receipt, "Consortium"
    )
    assert exchange.call("Consortium", "tagKeyVersion") == 2
    with reverts("ConsortiumProposalExecuted", proposalId=pending):
        exchange.send(34, "Consortium", "execute", pending)


# -- calls ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["consortium", "account", "zero"])
def test_call_proposal_needs_another_contract_as_target(shared_exchange: Exchange, target: str) -> None:
    address = {
        "consortium": shared_exchange.deployment.address("Consortium"),
        "account": dev_account(OUTSIDER).address,
        "zero": ZERO_ADDRESS,
    }[target]
    with reverts("ConsortiumInvalidCallTarget", target=address):
        shared_exchange.send(31, "Consortium", "proposeCall", address, b"")


def test_call_proposal_bubbles_the_targets_revert(shared_exchange: Exchange) -> None:
    evaluations = shared_exchange.contract("Evaluations")
    data = evaluations.encode_abi("adoptAgreement", args=[900, 0, [(32, 3201, [1])]])
    proposal_id, _ = propose(shared_exchange, 31, "proposeCall", evaluations.address, data)
    shared_exchange.send(32, "Consortium", "vote", proposal_id)
    with reverts("EvaluationsInvalidAgreement", domain=900, index=0):
        shared_exchange.send(33, "Consortium", "vote", proposal_id)
    assert state(shared_exchange, proposal_id) == ProposalState.PENDING
    assert shared_exchange.call("Evaluations", "agreement", 900) == [0, 0]

    # the consortium itself is no member, so it cannot write list entries either
    lists = shared_exchange.contract("CreditLists")
    data = lists.encode_abi("publishBatch", args=[1, [new_entry(31).abi()]])
    proposal_id, _ = propose(shared_exchange, 31, "proposeCall", lists.address, data)
    shared_exchange.send(32, "Consortium", "vote", proposal_id)
    with reverts("ConsortiumNotAMember", account=shared_exchange.deployment.address("Consortium")):
        shared_exchange.send(33, "Consortium", "vote", proposal_id)


def test_call_proposal_reports_a_silent_target_revert_as_failed_call(shared_exchange: Exchange) -> None:
    evaluations = shared_exchange.deployment.address("Evaluations")
    proposal_id, _ = propose(shared_exchange, 31, "proposeCall", evaluations, bytes.fromhex("deadbeef"))
    shared_exchange.send(32, "Consortium", "vote", proposal_id)
    with reverts("FailedCall"):  # no such function and no fallback: a revert without data
        shared_exchange.send(33, "Consortium", "vote", proposal_id)
    assert state(shared_exchange, proposal_id) == ProposalState.PENDING
