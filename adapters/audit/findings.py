"""Discrepancies: what an audit found wrong, each under a stable code with its evidence.

A code names one kind of fault and never changes meaning; reports, tests and people key on it.
``scope`` says where the fault lies: ``ledger`` (the chain broke one of the exchange's rules),
``store`` (a province store disagrees with the ledger) or ``gateway`` (an audit trail disagrees
with its anchored checkpoints). Evidence is a flat JSON object: what the ledger says, what the
store or gateway says, and where (record id, version, block, leaf index).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: code -> (scope, what it means)
CODES: dict[str, tuple[str, str]] = {
    # -- ledger: the chain's own history ----------------------------------------------------
    "DEPLOYMENT_MISMATCH": ("ledger", "the founding events differ from the deployment manifest"),
    "WRITER_NOT_MEMBER": ("ledger", "an event was written for a province that was no member at that block"),
    "SENDER_NOT_SIGNER": ("ledger", "the transaction was not sent by the signer of the province the event names"),
    "ENTRY_NOT_OWNER": ("ledger", "a province changed an entry or result it does not own"),
    "ENTRY_DUPLICATE": ("ledger", "an entry or result was published twice"),
    "ENTRY_UNKNOWN": ("ledger", "an event names an entry or result that was never published"),
    "ILLEGAL_TRANSITION": ("ledger", "a status change the lifecycle does not allow"),
    "STATUS_MISMATCH": ("ledger", "an event's previous status differs from the replayed status"),
    "VERSION_MISMATCH": ("ledger", "an event's version does not follow the replayed version"),
    "INVALID_VALIDITY": ("ledger", "valid-until not after valid-from"),
    "RESULT_ID_MISMATCH": ("ledger", "a result id is not keccak256(province, local id)"),
    "BATCH_COUNT_MISMATCH": ("ledger", "a batch announces another count than the entries it published"),
    "STALE_TAG_KEY": ("ledger", "a batch was published under another subject-tag key version than in force"),
    "RECOGNITION_INVALID": ("ledger", "a recognition the agreement in force does not allow"),
    "AGREEMENT_INVALID": ("ledger", "a recognition agreement or scheme mapping out of order or malformed"),
    "PROPOSAL_INVALID": ("ledger", "a proposal out of sequence, with a wrong expiry, or executed twice or late"),
    "VOTE_INVALID": ("ledger", "a vote by a non-member, twice, on an unknown, executed or expired proposal"),
    "VOTE_TALLY_MISMATCH": ("ledger", "a vote's tally or quorum differs from the replayed ones"),
    "QUORUM_NOT_REACHED": ("ledger", "a proposal executed without the quorum in force"),
    "GOVERNANCE_WITHOUT_PROPOSAL": ("ledger", "a membership, signer, quorum, key or agreement change no proposal made"),
    "GOVERNANCE_PAYLOAD_MISMATCH": ("ledger", "an executed proposal changed something else than it proposed"),
    "STREAM_INVALID": ("ledger", "a checkpoint of an unknown stream, by another owner, or a stream opened twice"),
    "CHECKPOINT_NOT_GROWING": ("ledger", "a checkpoint's tree size is not larger than the previous one's"),
    "CHECKPOINT_INDEX_MISMATCH": ("ledger", "a checkpoint's index does not follow the previous one"),
    "CHECKPOINT_INCONSISTENT": ("ledger", "two consecutive checkpoints of a stream are not consistent (RFC 9162)"),
    # -- store: a province store against the ledger ----------------------------------------
    "STORE_RECORD_MISSING": ("store", "the ledger holds a record the store lacks"),
    "STORE_RECORD_EXTRA": ("store", "the store holds an anchored record the ledger never had"),
    "STORE_VERSION_MISMATCH": ("store", "the store's version differs from the ledger's"),
    "STORE_STATUS_MISMATCH": ("store", "the store's status differs from the ledger's (changed off-chain)"),
    "STORE_FACTS_MISMATCH": ("store", "subject tag, list type, domain, grade or validity differ from the ledger"),
    "STORE_RECORD_ALTERED": ("store", "the stored record no longer hashes to the anchored commitment"),
    "STORE_SALT_ALTERED": ("store", "the stored salt no longer hashes the record to the anchored commitment"),
    "STORE_CONTENT_ALTERED": ("store", "record or salt no longer hash to the anchored commitment"),
    "STORE_RECORD_INVALID": ("store", "the stored record is not a valid canonical record"),
    "STORE_CONTENT_RETAINED": ("store", "a copy keeps record and salt after the owner stopped sharing it"),
    "STORE_VERSION_ROW_MISSING": ("store", "the store lacks the row of the version the ledger anchored"),
    # -- gateway: an audit trail against its anchored checkpoints --------------------------
    "AUDIT_LOG_TRUNCATED": ("gateway", "the audit log holds fewer events than the ledger anchored"),
    "AUDIT_EVENT_DELETED": ("gateway", "an audit event is missing from the log"),
    "AUDIT_EVENTS_REORDERED": ("gateway", "audit events are out of order"),
    "AUDIT_EVENT_ALTERED": ("gateway", "an audit event no longer hashes to the leaf the anchored root includes"),
    "AUDIT_EVENT_MALFORMED": ("gateway", "an audit event is not a well-formed event"),
    "AUDIT_ROOT_MISMATCH": ("gateway", "the events re-hashed give another root than the anchored checkpoint"),
    "AUDIT_LOG_FORKED": ("gateway", "the gateway serves a tree that is not the one it anchored"),
    "AUDIT_STREAM_UNKNOWN": ("gateway", "the gateway's stream has no anchored checkpoint on the ledger"),
}

#: How many discrepancies of one code a report lists with evidence; the rest are counted.
DETAIL_LIMIT = 1_000


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One fault: its code, who it concerns (a province, a gateway) and the evidence."""

    code: str
    subject: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return CODES[self.code][0]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "scope": self.scope,
            "subject": self.subject,
            "message": self.message,
            "evidence": self.evidence,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Discrepancy:
        return cls(str(doc["code"]), str(doc["subject"]), str(doc["message"]), dict(doc["evidence"]))


class Findings:
    """The discrepancies of one audit, in the order found; at most ``limit`` kept per code,
    every one counted."""

    def __init__(self, *, limit: int = DETAIL_LIMIT) -> None:
        self._limit = limit
        self._kept: list[Discrepancy] = []
        self.counts: dict[str, int] = {}

    def add(self, code: str, subject: str, message: str, **evidence: Any) -> None:
        if code not in CODES:
            raise ValueError(f"unknown discrepancy code {code!r}")
        n = self.counts.get(code, 0)
        self.counts[code] = n + 1
        if n < self._limit:
            self._kept.append(Discrepancy(code, subject, message, evidence))

    def extend(self, items: Iterable[Discrepancy]) -> None:
        for d in items:
            self.add(d.code, d.subject, d.message, **d.evidence)

    def merge(self, other: Findings) -> None:
        """Add ``other``'s discrepancies and counts (including those it counted but did not keep)."""
        for d in other:
            if self.counts.get(d.code, 0) < self._limit:
                self._kept.append(d)
            self.counts[d.code] = self.counts.get(d.code, 0) + 1
        for code, n in other.counts.items():
            kept = sum(1 for d in other if d.code == code)
            self.counts[code] = self.counts.get(code, 0) + n - kept

    def __iter__(self) -> Iterator[Discrepancy]:
        return iter(self._kept)

    def __len__(self) -> int:
        return sum(self.counts.values())

    def codes(self) -> set[str]:
        return set(self.counts)

    def to_json(self) -> dict[str, Any]:
        return {"counts": dict(sorted(self.counts.items())), "items": [d.to_json() for d in self._kept]}

    @classmethod
    def from_json(cls, doc: dict[str, Any], *, limit: int = DETAIL_LIMIT) -> Findings:
        out = cls(limit=limit)
        out.counts = {str(k): int(v) for k, v in doc["counts"].items()}
        out._kept = [Discrepancy.from_json(d) for d in doc["items"]]
        return out
