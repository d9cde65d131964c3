"""Replaying the consortium: members, signers, quorum, tag-key version and the proposals that
change them, with the rules of ``Consortium.sol`` checked on the way.

A governance change (``MemberAdded``, ``MemberRemoved``, ``SignerRotated``, ``QuorumChanged``,
``TagKeyVersionBumped``, and an agreement's ``AgreementAdopted`` / ``SchemeMapped``) is an
*effect*. Outside the Consortium's deployment transaction, every effect must be followed in the
same transaction by the ``ProposalExecuted`` of a proposal whose payload asked for exactly those
effects, and whose tally of votes (current members, in their current term) reached the quorum in
force before the effects took place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_abi.abi import decode as abi_decode

from adapters.audit.findings import Findings
from adapters.audit.state import LedgerState, Proposal
from node.calls import function_abi
from node.deploy import Deployment
from node.events import LedgerEvent

ADD_MEMBER, REMOVE_MEMBER, ROTATE_SIGNER, SET_QUORUM, BUMP_TAG_KEY, CALL = 1, 2, 3, 4, 5, 6
KIND_NAMES = {
    ADD_MEMBER: "AddMember",
    REMOVE_MEMBER: "RemoveMember",
    ROTATE_SIGNER: "RotateSigner",
    SET_QUORUM: "SetQuorum",
    BUMP_TAG_KEY: "BumpTagKeyVersion",
    CALL: "Call",
}
GOVERNANCE_EVENTS = frozenset(
    {
        "MemberAdded",
        "MemberRemoved",
        "SignerRotated",
        "QuorumChanged",
        "TagKeyVersionBumped",
        "ProposalCreated",
        "Voted",
        "ProposalExecuted",
    }
)

Effect = tuple[Any, ...]


def _lower(address: str) -> str:
    return address.lower()


class Governance:
    """Folds the Consortium's events into ``state.consortium`` and checks them."""

    def __init__(
        self,
        *,
        state: LedgerState,
        findings: Findings,
        deployment: Deployment,
        block_time: Callable[[LedgerEvent], int],
    ) -> None:
        self.state = state
        self.findings = findings
        self.deployment = deployment
        self.block_time = block_time
        self._founding_tx = deployment.contracts["Consortium"].tx_hash.lower()
        self._evaluations = deployment.address("Evaluations").lower()
        self._adopt_selector = function_abi("Evaluations", "adoptAgreement").selector
        self._adopt_types = list(function_abi("Evaluations", "adoptAgreement").types)
        self._effects: list[tuple[Effect, LedgerEvent]] = []
        self._snapshot: tuple[int, dict[int, str], dict[int, int]] | None = None
        self._voted: dict[int, tuple[int, int]] = {}  # proposal -> (tally, quorum) at its vote in this tx
        self._founding: list[LedgerEvent] = []

    # -- effects shared with the Evaluations contract ---------------------------------------

    def effect(self, effect: Effect, event: LedgerEvent) -> None:
        """Record a governance change that a proposal must account for in this transaction."""
        if event.tx_hash.lower() == self._founding_tx:
            self._founding.append(event)
            return
        if self._snapshot is None:
            c = self.state.consortium
            self._snapshot = (c.quorum, dict(c.members), dict(c.terms))
        self._effects.append((effect, event))

    def end_tx(self) -> None:
        """The transaction is over: unclaimed effects had no proposal."""
        for effect, event in self._effects:
            self.findings.add(
                "GOVERNANCE_WITHOUT_PROPOSAL",
                "consortium",
                f"{event.name} at block {event.block_number} was not made by an executed proposal",
                block=event.block_number,
                tx=event.tx_hash,
                event=event.name,
                change=list(effect),
            )
        if self._founding:
            self._check_founding()
        self._effects.clear()
        self._snapshot = None
        self._voted.clear()

    # -- events -----------------------------------------------------------------------------

    def apply(self, e: LedgerEvent) -> int | None:
        """Fold one Consortium event; returns the member code that must have sent it, if any."""
        a = e.args
        c = self.state.consortium
        if e.name == "MemberAdded":
            code, signer = int(a["code"]), _lower(a["signer"])
            self.effect(("AddMember", code, signer), e)
            c.members[code] = signer
            c.terms[code] = c.terms.get(code, 0) + 1
            self._history(e, code=code, signer=signer)
        elif e.name == "MemberRemoved":
            code = int(a["code"])
            self.effect(("RemoveMember", code), e)
            c.members.pop(code, None)
            self._history(e, code=code, signer=_lower(a["signer"]))
        elif e.name == "SignerRotated":
            code, signer = int(a["code"]), _lower(a["newSigner"])
            self.effect(("RotateSigner", code, signer), e)
            c.members[code] = signer
            self._history(e, code=code, signer=signer, previous=_lower(a["previousSigner"]))
        elif e.name == "QuorumChanged":
            quorum = int(a["newQuorum"])
            self.effect(("SetQuorum", quorum), e)
            if int(a["previousQuorum"]) != c.quorum:
                self.findings.add(
                    "GOVERNANCE_PAYLOAD_MISMATCH",
                    "consortium",
                    f"QuorumChanged says the quorum was {a['previousQuorum']}, the replay has {c.quorum}",
                    block=e.block_number,
                    tx=e.tx_hash,
                    ledger=int(a["previousQuorum"]),
                    replayed=c.quorum,
                )
            c.quorum = quorum
            self._history(e, previous=int(a["previousQuorum"]), quorum=quorum)
        elif e.name == "TagKeyVersionBumped":
            version = int(a["newVersion"])
            self.effect(("BumpTagKeyVersion", version), e)
            if version != c.tag_key_version + 1:
                self.findings.add(
                    "GOVERNANCE_PAYLOAD_MISMATCH",
                    "consortium",
                    f"tag key version went from {c.tag_key_version} to {version}",
                    block=e.block_number,
                    tx=e.tx_hash,
                    expected=c.tag_key_version + 1,
                    found=version,
                )
            c.tag_key_version = version
            self._history(e, version=version)
        elif e.name == "ProposalCreated":
            return self._created(e)
        elif e.name == "Voted":
            return self._voted_event(e)
        elif e.name == "ProposalExecuted":
            self._executed(e)
        return None

    def _history(self, e: LedgerEvent, **details: Any) -> None:
        self.state.consortium.history.append([e.block_number, e.log_index, e.name, details])

    def _bad(self, finding: str, e: LedgerEvent, message: str, **evidence: Any) -> None:
        self.findings.add(finding, "consortium", message, block=e.block_number, tx=e.tx_hash, **evidence)

    def _created(self, e: LedgerEvent) -> int:
        a = e.args
        c = self.state.consortium
        pid, kind, proposer = int(a["proposalId"]), int(a["kind"]), int(a["proposer"])
        expected_id = max(c.proposals, default=0) + 1
        if pid != expected_id:
            self._bad("PROPOSAL_INVALID", e, f"proposal {pid} created, expected id {expected_id}", proposal=pid)
        expires = self.block_time(e) + self.deployment.proposal_ttl
        if int(a["expiresAt"]) != expires:
            self._bad(
                "PROPOSAL_INVALID",
                e,
                f"proposal {pid} expires at {a['expiresAt']}, block time + TTL is {expires}",
                proposal=pid,
                expected=expires,
                found=int(a["expiresAt"]),
            )
        if proposer not in c.members:
            self._bad("WRITER_NOT_MEMBER", e, f"proposal {pid} by {proposer}, no member", proposal=pid, code=proposer)
        c.proposals[pid] = Proposal(kind, proposer, int(a["expiresAt"]), str(a["payload"]), e.block_number)
        return proposer

    def _voted_event(self, e: LedgerEvent) -> int:
        a = e.args
        c = self.state.consortium
        pid, voter = int(a["proposalId"]), int(a["voter"])
        p = c.proposals.get(pid)
        if p is None:
            self._bad("VOTE_INVALID", e, f"vote by {voter} on unknown proposal {pid}", proposal=pid, voter=voter)
            return voter
        problem = None
        if p.executed_block:
            problem = "an executed proposal"
        elif self.block_time(e) > p.expires_at:
            problem = "an expired proposal"
        elif voter not in c.members:
            problem = "a proposal, by a non-member"
        elif p.votes.get(voter) == c.terms.get(voter):
            problem = "a proposal it had voted for already"
        if problem:
            self._bad("VOTE_INVALID", e, f"{voter} voted on {problem} ({pid})", proposal=pid, voter=voter)
        if voter in c.members:
            p.votes[voter] = c.terms[voter]
        tally = c.tally(p)
        self._voted[pid] = (tally, c.quorum)
        if (tally, c.quorum) != (int(a["votes"]), int(a["quorum"])):
            self._bad(
                "VOTE_TALLY_MISMATCH",
                e,
                f"vote on {pid}: the event says {a['votes']} of {a['quorum']}, the replay {tally} of {c.quorum}",
                proposal=pid,
                ledger=[int(a["votes"]), int(a["quorum"])],
                replayed=[tally, c.quorum],
            )
        return voter

    def _executed(self, e: LedgerEvent) -> None:
        a = e.args
        c = self.state.consortium
        pid, kind = int(a["proposalId"]), int(a["kind"])
        effects, self._effects = self._effects, []
        p = c.proposals.get(pid)
        if p is None or p.executed_block or p.kind != kind:
            why = "unknown" if p is None else "executed before" if p.executed_block else f"of kind {p.kind}"
            self._bad("PROPOSAL_INVALID", e, f"proposal {pid} executed but {why}", proposal=pid)
            return
        if pid in self._voted:
            tally, quorum = self._voted[pid]
        elif self._snapshot is not None:
            quorum, members, terms = self._snapshot
            tally = sum(1 for code, term in p.votes.items() if code in members and terms[code] == term)
        else:
            tally, quorum = c.tally(p), c.quorum
        if tally < quorum:
            self._bad(
                "QUORUM_NOT_REACHED",
                e,
                f"proposal {pid} ({KIND_NAMES.get(kind, kind)}) executed with {tally} votes, quorum {quorum}",
                proposal=pid,
                votes=tally,
                quorum=quorum,
            )
        if self.block_time(e) > p.expires_at:
            self._bad("PROPOSAL_INVALID", e, f"proposal {pid} executed after it expired", proposal=pid)
        p.executed_block = e.block_number
        expected = self._expected_effects(p)
        found = [effect for effect, _ in effects]
        if expected is not None and found != expected:
            self._bad(
                "GOVERNANCE_PAYLOAD_MISMATCH",
                e,
                f"proposal {pid} ({KIND_NAMES.get(kind, kind)}) proposed one change and made another",
                proposal=pid,
                proposed=[list(x) for x in expected],
                made=[list(x) for x in found],
            )
        self._history(e, proposal=pid, kind=KIND_NAMES.get(kind, str(kind)), votes=tally, quorum=quorum)

    def _expected_effects(self, p: Proposal) -> list[Effect] | None:
        """The effects the payload asks for; None when the payload cannot be read."""
        payload = bytes.fromhex(p.payload[2:])
        try:
            if p.kind == ADD_MEMBER:
                code, signer = abi_decode(["uint8", "address"], payload)
                return [("AddMember", int(code), _lower(signer))]
            if p.kind == REMOVE_MEMBER:
                (code,) = abi_decode(["uint8"], payload)
                return [("RemoveMember", int(code))]
            if p.kind == ROTATE_SIGNER:
                code, signer = abi_decode(["uint8", "address"], payload)
                return [("RotateSigner", int(code), _lower(signer))]
            if p.kind == SET_QUORUM:
                (quorum,) = abi_decode(["uint8"], payload)
                return [("SetQuorum", int(quorum))]
            if p.kind == BUMP_TAG_KEY:
                (version,) = abi_decode(["uint32"], payload)
                return [("BumpTagKeyVersion", int(version))]
            target, data = abi_decode(["address", "bytes"], payload)
        except Exception:  # noqa: BLE001 - eth_abi raises several unrelated types for malformed input
            return None
        if _lower(target) != self._evaluations or bytes(data[:4]) != self._adopt_selector:
            return []
        try:
            domain, levels, mappings = abi_decode(self._adopt_types, bytes(data[4:]))
        except Exception:  # noqa: BLE001
            return None
        out: list[Effect] = [("Agreement", int(domain), int(levels))]
        out += [("Mapping", int(domain), int(m[0]), int(m[1]), tuple(int(g) for g in m[2])) for m in mappings]
        return out

    def _check_founding(self) -> None:
        events, self._founding = self._founding, []
        c = self.state.consortium
        founded = dict(c.members)
        manifest = {code: _lower(s) for code, s in self.deployment.founding_members.items()}
        if founded != manifest or c.quorum != self.deployment.quorum:
            first = events[0]
            self._bad(
                "DEPLOYMENT_MISMATCH",
                first,
                "the founding members or quorum differ from the deployment manifest",
                manifest={
                    "members": {str(k): v for k, v in sorted(manifest.items())},
                    "quorum": self.deployment.quorum,
                },
                ledger={"members": {str(k): v for k, v in sorted(founded.items())}, "quorum": c.quorum},
            )
